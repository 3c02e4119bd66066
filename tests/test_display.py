"""LossCurveDisplay and DiagnosticsDisplay: what they draw, rendered with
the Agg backend."""

import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits, make_regression  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.neural_network import MLPClassifier as SklearnMLP  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sknn import DiagnosticsDisplay, LossCurveDisplay, MLPClassifier, MLPRegressor  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def early_stopped():
    X, y = load_digits(return_X_y=True)
    clf = MLPClassifier(
        (32,), early_stopping=True, n_iter_no_change=3, learning_rate_init=0.01,
        random_state=0,
    )
    return clf.fit(X / 16, y)


def _xy(line):
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())


def test_draws_the_three_curves_of_an_early_stopped_model(early_stopped):
    clf = early_stopped
    display = LossCurveDisplay.from_estimator(clf)
    n = clf.n_iter_
    epochs = np.arange(1, n + 1)

    x, y = _xy(display.line_)
    np.testing.assert_array_equal(x, epochs)
    np.testing.assert_array_equal(y, clf.loss_curve_)

    x, y = _xy(display.lines_["validation_loss"])
    np.testing.assert_array_equal(x, epochs)
    np.testing.assert_array_equal(y, clf.validation_loss_curve_)
    assert display.lines_["validation_loss"].axes is display.ax_

    # the score lives on the secondary axis, sharing the epochs
    score_line = display.lines_["validation_score"]
    x, y = _xy(score_line)
    np.testing.assert_array_equal(x, epochs)
    np.testing.assert_array_equal(y, clf.validation_scores_)
    assert score_line.axes is display.score_ax_ is not display.ax_
    assert display.score_ax_.get_shared_x_axes().joined(display.ax_, display.score_ax_)
    assert display.score_ax_.get_ylabel() == "validation accuracy"

    # the best epoch, whose weights early stopping restored
    best = int(np.argmax(clf.validation_scores_)) + 1
    x, _ = _xy(display.lines_["best_epoch"])
    assert set(x) == {best}

    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["training loss", "validation loss", "validation accuracy", "best epoch"]
    assert display.ax_.get_xlabel() == "epoch" and display.ax_.get_ylabel() == "loss"
    assert display.ax_.get_title() == "MLPClassifier"


def test_without_early_stopping_only_the_training_loss():
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=30, random_state=0)
    with pytest.warns(Warning):  # max_iter reached
        reg.fit(X, y / y.std())
    display = LossCurveDisplay.from_estimator(reg)
    np.testing.assert_array_equal(_xy(display.line_)[1], reg.loss_curve_)
    assert display.lines_["validation_loss"] is None
    assert display.lines_["validation_score"] is None and display.score_ax_ is None
    assert display.ax_.get_xlabel() == "iteration"  # L-BFGS
    assert len(display.ax_.get_lines()) == 1
    assert len(display.figure_.axes) == 1


def test_draws_on_the_given_axes_with_keywords(early_stopped):
    fig, (left, right) = plt.subplots(1, 2)
    display = LossCurveDisplay.from_estimator(
        early_stopped, ax=right, name="digits", loss_kw={"color": "black", "lw": 3}
    )
    assert display.ax_ is right and display.figure_ is fig
    assert not left.get_lines()
    assert display.line_.get_color() == "black" and display.line_.get_linewidth() == 3
    assert right.get_title() == "digits"


def test_plot_of_a_display_built_by_hand():
    display = LossCurveDisplay(
        loss_curve=[3.0, 2.0, 1.5], validation_loss_curve=[3.1, 2.2, 1.9],
        validation_scores=[0.2, 0.5, 0.4], score_name="validation R²",
    ).plot()
    np.testing.assert_array_equal(_xy(display.lines_["validation_score"])[1], [0.2, 0.5, 0.4])
    assert set(_xy(display.lines_["best_epoch"])[0]) == {2}
    assert display.score_ax_.get_ylabel() == "validation R²"


def test_pipeline_and_sklearn_mlp(early_stopped):
    X, y = load_digits(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=3, random_state=0))
    with pytest.warns(Warning):
        pipe.fit(X, y)
    display = LossCurveDisplay.from_estimator(pipe)
    np.testing.assert_array_equal(_xy(display.line_)[1], pipe[-1].loss_curve_)
    # scikit-learn's own MLP has no validation loss, the rest is drawn
    sk = SklearnMLP((8,), early_stopping=True, max_iter=5, random_state=0)
    with pytest.warns(Warning):
        sk.fit(X / 16, y)
    display = LossCurveDisplay.from_estimator(sk)
    assert display.lines_["validation_loss"] is None
    np.testing.assert_array_equal(
        _xy(display.lines_["validation_score"])[1], sk.validation_scores_
    )


def test_renders_to_png(early_stopped, tmp_path):
    display = LossCurveDisplay.from_estimator(early_stopped)
    path = tmp_path / "curves.png"
    display.figure_.savefig(path)
    image = plt.imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_unfitted_estimator_raises():
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(MLPClassifier())


def test_missing_matplotlib_names_the_plot_extra(early_stopped, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'sknn\[plot\]'"):
        LossCurveDisplay.from_estimator(early_stopped)
    with pytest.raises(ImportError, match=r"matplotlib.*sknn\[plot\]"):
        LossCurveDisplay(loss_curve=[1.0]).plot()


# -------------------------------------------------------------- diagnostics
TITLES = {
    "activation_mean": "activation mean",
    "activation_std": "activation std",
    "dead_fraction": "dead units",
    "gradient_norm": "gradient norm",
    "weight_norm": "weight norm",
    "update_ratio": "update / weight",
}


@pytest.fixture(scope="module")
def with_diagnostics():
    X, y = load_digits(return_X_y=True)
    clf = MLPClassifier((16, 8), max_iter=12, learning_rate_init=0.01, diagnostics=True,
                        random_state=0)
    with pytest.warns(Warning):  # max_iter reached
        return clf.fit(X / 16, y)


def test_diagnostics_one_panel_per_quantity_one_line_per_layer(with_diagnostics):
    clf = with_diagnostics
    display = DiagnosticsDisplay.from_estimator(clf)
    assert list(display.axes_) == list(TITLES)
    assert [ax.get_title() for ax in display.axes_.values()] == list(TITLES.values())
    assert sum(ax.get_visible() for ax in display.figure_.axes) == 6
    epochs = np.arange(1, clf.n_iter_ + 1)
    for name, lines in display.lines_.items():
        ax = display.axes_[name]
        assert len(lines) == 3  # hidden 1, hidden 2, output
        drawn = [line for line in lines if line is not None]
        assert ax.get_lines() == drawn
        for j, line in enumerate(lines):
            if name == "dead_fraction" and j == 2:
                assert line is None  # the output layer has no dead units
                continue
            x, y = _xy(line)
            np.testing.assert_array_equal(x, epochs)
            np.testing.assert_array_equal(y, clf.diagnostics_[name][:, j])
            assert line.get_label() == ["hidden 1", "hidden 2", "output"][j]
        assert ax.get_xlabel() == "epoch"
    assert display.lines_["weight_norm"][2].get_linestyle() == "--"
    colors = {matplotlib.colors.to_hex(line.get_color()) for line in display.lines_["weight_norm"]}
    assert len(colors) == 3  # a colour per layer
    assert display.axes_["gradient_norm"].get_yscale() == "log"
    assert display.axes_["activation_mean"].get_yscale() == "linear"
    assert [t.get_text() for t in display.legend_.get_texts()] == ["hidden 1", "hidden 2", "output"]
    assert display.figure_.legends == [display.legend_]
    assert display.figure_.get_suptitle() == "MLPClassifier"


def test_diagnostics_on_given_axes_with_a_subset_and_keywords(with_diagnostics):
    fig, axes = plt.subplots(1, 2)
    display = DiagnosticsDisplay.from_estimator(
        with_diagnostics, quantities=["weight_norm", "gradient_norm"], axes=axes, name="digits",
        line_kw={"linewidth": 3},
    )
    assert display.figure_ is fig
    assert display.axes_ == {"weight_norm": axes[0], "gradient_norm": axes[1]}
    assert axes[0].get_title() == "weight norm" and len(axes[0].get_lines()) == 3
    assert all(line.get_linewidth() == 3 for line in display.lines_["gradient_norm"])
    # the figure is the caller's: the legend goes in the last panel, no title
    assert display.legend_ is axes[1].get_legend() and not fig.legends
    assert [t.get_text() for t in display.legend_.get_texts()] == ["hidden 1", "hidden 2", "output"]
    assert fig.get_suptitle() == ""
    with pytest.raises(ValueError, match="one Axes per quantity"):
        DiagnosticsDisplay.from_estimator(with_diagnostics, axes=axes)
    with pytest.raises(ValueError, match=r"No diagnostics \['loss'\]"):
        DiagnosticsDisplay.from_estimator(with_diagnostics, quantities=["loss"])


def test_diagnostics_display_built_by_hand_keeps_gaps():
    rows = np.array([[np.nan, np.nan], [0.5, 2.0], [0.25, 1.0]])
    display = DiagnosticsDisplay(
        diagnostics={"gradient_norm": rows}, layer_names=["a", "b"]
    ).plot(n_cols=1)
    lines = display.lines_["gradient_norm"]
    np.testing.assert_array_equal(_xy(lines[0])[1], rows[:, 0])  # NaN: an epoch without
    np.testing.assert_array_equal(_xy(lines[1])[0], [1, 2, 3])
    assert [line.get_label() for line in lines] == ["a", "b"]
    assert len(display.figure_.axes) == 1
    # a single epoch is drawn as markers
    one = DiagnosticsDisplay(diagnostics={"weight_norm": rows[1:2]}).plot()
    assert one.lines_["weight_norm"][0].get_marker() == "o"


def test_diagnostics_of_lbfgs_in_a_pipeline_are_per_iteration():
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    pipe = make_pipeline(StandardScaler(), MLPRegressor(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=10, diagnostics=True, random_state=0))
    with pytest.warns(Warning):  # max_iter reached
        pipe.fit(X, y / y.std())
    display = DiagnosticsDisplay.from_estimator(pipe)
    assert display.axes_["weight_norm"].get_xlabel() == "iteration"
    np.testing.assert_array_equal(_xy(display.lines_["update_ratio"][1])[1],
                                  pipe[-1].diagnostics_["update_ratio"][:, 1])


def test_diagnostics_display_refuses_models_without_them():
    with pytest.raises(NotFittedError):
        DiagnosticsDisplay.from_estimator(MLPClassifier(diagnostics=True))
    X, y = load_digits(return_X_y=True)
    clf = MLPClassifier((4,), max_iter=2, random_state=0)
    with pytest.warns(Warning):
        clf.fit(X / 16, y)
    with pytest.raises(ValueError, match="fit it with diagnostics=True"):
        DiagnosticsDisplay.from_estimator(clf)
    sk = SklearnMLP((4,), max_iter=2, random_state=0)
    with pytest.warns(Warning):
        sk.fit(X / 16, y)
    with pytest.raises(ValueError, match="no diagnostics_"):
        DiagnosticsDisplay.from_estimator(sk)


def test_diagnostics_display_without_matplotlib_names_the_plot_extra(with_diagnostics,
                                                                      monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'sknn\[plot\]'"):
        DiagnosticsDisplay.from_estimator(with_diagnostics)


def test_names_the_validation_score_by_the_scoring():
    X, y = load_digits(return_X_y=True)
    clf = MLPClassifier((16,), early_stopping=True, n_iter_no_change=2, max_iter=8,
                        scoring="loss", random_state=0).fit(X / 16, y)
    display = LossCurveDisplay.from_estimator(clf)
    assert display.score_ax_.get_ylabel() == "negative validation loss"
    clf.set_params(scoring="balanced_accuracy")
    display = LossCurveDisplay.from_estimator(clf)
    assert display.score_ax_.get_ylabel() == "validation balanced_accuracy"
