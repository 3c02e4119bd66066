"""feature_alpha chosen along a regularisation path: feature_alpha_path,
feature_alpha='auto' and SelectionPathDisplay."""

import pickle

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.feature_selection import SelectFromModel
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from sknn import MLPClassifier, MLPRegressor, SelectionPathDisplay, feature_alpha_path

matplotlib.use("Agg")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_INFORMATIVE = 3


@pytest.fixture(scope="module")
def data():
    # shuffle=False: the informative features come first
    return make_classification(600, 12, n_informative=N_INFORMATIVE, n_redundant=0,
                               shuffle=False, random_state=0)


@pytest.fixture(scope="module")
def path(data):
    X, y = data
    return feature_alpha_path(MLPClassifier((16,), random_state=0), X[:450], y[:450],
                              X_val=X[450:], y_val=y[450:], n_alphas=10, stop_se=None)


def test_the_path_goes_from_every_feature_to_none_and_never_grows(path):
    assert path.alphas[0] == 0 and np.all(np.diff(path.alphas) > 0)
    assert path.n_features[0] == 12 and path.n_features[-1] == 0
    assert np.all(np.diff(path.n_features) <= 0)
    # a feature once removed stays removed
    assert np.all(path.support[1:] <= path.support[:-1])
    np.testing.assert_array_equal(path.n_features, path.support.sum(axis=1))
    for state, support in zip(path.states, path.support):
        np.testing.assert_array_equal(np.any(state["coefs_"][0] != 0, axis=1), support)


def test_each_new_feature_set_is_refitted_from_the_model_of_the_one_before(path):
    """The relaxed model of a new feature set continues the training of the
    model of the feature set before it (the first: the fit without the group
    lasso), not the path's shrunk network, for at most a step's epochs."""
    previous = path.states[0]
    assert len(previous["loss_curve_"]) == path.n_iter[0]
    for i in range(1, len(path.alphas)):
        state = path.states[i]
        if np.array_equal(path.support[i], path.support[i - 1]):
            np.testing.assert_array_equal(state["coefs_"][0], previous["coefs_"][0])
            continue
        curve, before = state["loss_curve_"], previous["loss_curve_"]
        assert curve[: len(before)] == before
        assert 0 < len(curve) - len(before) <= path.step_iter
        previous = state
    assert all(b["t_"] >= a["t_"] for a, b in zip(path.states, path.states[1:]))


def test_each_step_is_scored_by_its_model_on_the_validation_data(path, data):
    """A step's model (the path's network refitted on the features it kept,
    without the group lasso) is what the validation data scores."""
    X, y = data
    for i in range(len(path.alphas)):
        model = path.estimator(i)
        np.testing.assert_array_equal(model.feature_importances_ > 0, path.support[i])
        proba = model.predict_proba(X[450:])
        assert path.validation_loss[i] == pytest.approx(log_loss(y[450:], proba), rel=1e-9)
        assert path.validation_score[i] == pytest.approx(model.score(X[450:], y[450:]))


def test_the_chosen_steps_follow_their_rules(path):
    best, one_se = path.best_index, path.one_se_index
    assert path.validation_loss[best] == path.validation_loss.min()
    assert path.validation_loss[one_se] <= (path.validation_loss[best]
                                            + path.validation_loss_se[best])
    assert path.n_features[one_se] <= path.n_features[best]
    within = path.validation_loss <= path.validation_loss[best] + path.validation_loss_se[best]
    assert path.n_features[one_se] == path.n_features[within].min()
    assert path.index("one_se") == one_se and path.index("best") == best
    with pytest.raises(ValueError, match="rule"):
        path.index("fastest")


def test_the_paired_rule_compares_each_step_with_the_best_sample_by_sample(path, data):
    """'one_se_paired' (the default) keeps the sparsest step whose loss
    exceeds the lowest by at most the standard error of the per-sample
    differences of the two models' losses on the same validation data."""
    X, y = data
    best, chosen = path.best_index, path.one_se_paired_index
    assert path.index() == chosen and MLPClassifier().feature_alpha_rule == "one_se_paired"

    def sample_losses(i):
        proba = path.estimator(i).predict_proba(X[450:])
        return -np.log(proba[np.arange(150), y[450:]])

    for i in range(len(path.alphas)):
        difference = sample_losses(i) - sample_losses(best)
        assert path.validation_loss_diff_se[i] == pytest.approx(
            difference.std(ddof=1) / np.sqrt(150), rel=1e-6, abs=1e-12)
    within = path.validation_loss - path.validation_loss[best] <= path.validation_loss_diff_se
    assert within[chosen] and path.n_features[chosen] == path.n_features[within].min()
    # the same validation samples are hard or easy for both models: the
    # difference varies much less than either loss (what lets the rule drop a
    # feature only when the data show it is not needed)
    assert path.validation_loss_diff_se[chosen] < path.validation_loss_se[best]


def test_past_alpha_max_the_path_stops_once_the_loss_is_far_above_the_lowest(data):
    X, y = data
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, stratify=y,
                                                      random_state=0)
    # a two-step grid: the path goes past alpha_max to remove the last features
    kw = dict(X_val=X_val, y_val=y_val, n_alphas=2)
    full = feature_alpha_path(MLPClassifier((16,), random_state=0), X_train, y_train,
                              stop_se=None, **kw)
    path = feature_alpha_path(MLPClassifier((16,), random_state=0), X_train, y_train,
                              stop_se=1.0, **kw)
    assert full.n_features[-1] == 0 and len(full.alphas) > len(path.alphas) > 2
    loss, se, best = path.validation_loss, path.validation_loss_se, path.best_index
    assert loss[-1] > loss[best] + se[best] and path.n_features[-1] > 0
    np.testing.assert_array_equal(path.validation_loss, full.validation_loss[: len(loss)])
    with pytest.raises(ValueError, match="stop_se"):
        feature_alpha_path(MLPClassifier(), X, y, stop_se=0.0)


def test_auto_holds_out_at_least_a_fifth_of_the_rows(data):
    from sknn.estimators.selection import _split

    X, y = data
    for fraction, held_out in [(0.1, 120), (0.3, 180)]:
        (X_train, _, _), (X_val, _, _) = _split(
            MLPClassifier(validation_fraction=fraction), X, y, None)
        assert (len(X_train), len(X_val)) == (600 - held_out, held_out)


def test_a_step_rebuilds_as_a_model(path, data):
    X, _ = data
    model = path.estimator(path.one_se_index)
    state = path.states[path.one_se_index]
    np.testing.assert_array_equal(model.coefs_[0], state["coefs_"][0])
    assert model.predict_proba(X).shape == (600, 2)


def test_auto_keeps_the_informative_features(data):
    X, y = data
    clf = MLPClassifier((16,), feature_alpha="auto", feature_alpha_rule="one_se",
                        random_state=0).fit(X, y)
    used = np.flatnonzero(clf.feature_importances_)
    assert set(range(N_INFORMATIVE)) <= set(used)
    assert len(used) <= N_INFORMATIVE + 2
    assert clf.feature_alpha_ == clf.feature_alpha_path_.alphas[
        clf.feature_alpha_path_.one_se_index]
    assert clf.feature_alpha_path_.states is None  # the fitted model keeps the summary
    # scikit-learn's feature selection reads it as before
    selector = SelectFromModel(clf, threshold=1e-12, prefit=True).fit(X, y)
    np.testing.assert_array_equal(selector.get_support(indices=True), used)
    assert list(selector.get_feature_names_out()) == [f"x{i}" for i in used]


def test_auto_is_reproducible_and_survives_clone_and_pickle(data):
    X, y = data
    kw = dict(hidden_layer_sizes=(8,), feature_alpha="auto", random_state=3)
    a = MLPClassifier(**kw).fit(X, y)
    b = MLPClassifier(**kw).fit(X, y)
    assert a.feature_alpha_ == b.feature_alpha_
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert clone(a).get_params()["feature_alpha"] == "auto"
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict_proba(X), a.predict_proba(X))
    np.testing.assert_array_equal(restored.feature_alpha_path_.n_features,
                                  a.feature_alpha_path_.n_features)
    # a later fit with a number leaves no stale path behind
    a.set_params(feature_alpha=0.0).fit(X, y)
    assert not hasattr(a, "feature_alpha_") and not hasattr(a, "feature_alpha_path_")


def test_auto_scores_the_users_validation_data(data):
    X, y = data
    reg = MLPRegressor(hidden_layer_sizes=(8,), feature_alpha="auto", validation_fraction=0.0, max_iter=50,
                       random_state=0)
    Xr, yr = make_regression(300, 6, n_informative=2, shuffle=False, random_state=0)
    yr = yr / yr.std()
    reg.fit(Xr[:200], yr[:200], X_val=Xr[200:], y_val=yr[200:])
    assert reg.feature_alpha_path_.validation_score.shape == reg.feature_alpha_path_.alphas.shape
    with pytest.raises(ValueError, match="validation_fraction"):
        reg.fit(Xr, yr)  # no validation data at all


def test_auto_refuses_what_it_cannot_do(data):
    X, y = data
    with pytest.raises(ValueError, match="feature_alpha is not supported with solver='lbfgs'"):
        MLPClassifier(solver="lbfgs", feature_alpha="auto").fit(X, y)
    # scikit-learn's available_if reports the missing method; the reason is its cause
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        MLPClassifier(feature_alpha="auto").partial_fit(X, y, classes=[0, 1])
    assert "not available with feature_alpha='auto'" in str(info.value.__cause__)
    with pytest.raises(ValueError, match="Found input variables with inconsistent numbers"):
        MLPClassifier(feature_alpha="auto").fit(X, y[:-1])
    with pytest.raises(ValueError, match="stochastic solver"):
        feature_alpha_path(MLPClassifier(solver="lbfgs"), X, y)
    with pytest.raises(ValueError, match="n_alphas"):
        feature_alpha_path(MLPClassifier(), X, y, n_alphas=0)
    with pytest.raises(ValueError, match="X_val and y_val"):
        feature_alpha_path(MLPClassifier(), X, y, X_val=X)


def test_display_draws_the_path_and_names_the_dropped_features(data):
    X, y = data
    frame = pd.DataFrame(X, columns=[f"col_{i}" for i in range(X.shape[1])])
    clf = MLPClassifier((8,), feature_alpha="auto", random_state=0).fit(frame, y)
    display = SelectionPathDisplay.from_estimator(clf, max_names=20)
    path = clf.feature_alpha_path_
    np.testing.assert_array_equal(display.features_line_.get_ydata(), path.n_features)
    np.testing.assert_allclose(display.loss_line_.get_ydata(), path.validation_loss)
    chosen_x = display.chosen_lines_[0].get_xdata()[0]
    # (the step without the group lasso is drawn at a tenth of the weakest strength)
    assert chosen_x == pytest.approx(clf.feature_alpha_ or path.alphas[1] / 10)
    named = " ".join(text.get_text() for text in display.texts_)
    assert all(f"col_{i}" in named for i in range(X.shape[1]))  # every one drops out
    display = SelectionPathDisplay.from_path(path, rule=None)
    assert display.chosen_lines_ == []
    with pytest.raises(ValueError, match="feature_alpha_path_"):
        SelectionPathDisplay.from_estimator(MLPClassifier((4,), max_iter=5).fit(X, y))
