"""sknn inside the scikit-learn ecosystem: callbacks, persistence, data frames,
metadata routing, meta-estimators and dask."""

import importlib
import warnings

import numpy as np
import pytest
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn._callbacks
from sknn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# ---------------------------------------------------------------- callbacks
class Recorder:
    """Records every task end: (estimator, task name, fitted_estimator)."""

    def __init__(self, stop_after=None):
        self.ends = []
        self.stop_after = stop_after

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.ends.append((type(estimator).__name__, context.task_name, fitted_estimator))
        epochs = sum(name in ("epoch", "iteration") for _, name, _ in self.ends)
        return self.stop_after is not None and epochs >= self.stop_after

    def tasks(self, name):
        return [fitted for _, task, fitted in self.ends if task == name]


class PropagatedRecorder(Recorder):
    """The same, auto-propagated by meta-estimators to their sub-estimators."""

    max_propagation_depth = None


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_scoring_monitor_scores_every_epoch(iris, solver):
    X, y = iris
    monitor = ScoringMonitor(scoring="accuracy")
    clf = MLPClassifier(
        (8,), solver=solver, max_iter=15, learning_rate_init=0.05, random_state=0
    )
    clf.set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    task = "iteration" if solver == "lbfgs" else "epoch"
    epochs = [r for r in rows if r["task_name"] == task]
    assert len(epochs) == clf.n_iter_ > 1
    assert [r["task_id"] for r in epochs] == list(range(clf.n_iter_))
    # the last epoch's model is the fitted one; the root task scores it too
    assert epochs[-1]["accuracy"] == pytest.approx(clf.score(X, y))
    root = [r for r in rows if r["task_name"] == "fit"]
    assert root[0]["accuracy"] == pytest.approx(clf.score(X, y))
    # training improves the score
    assert epochs[-1]["accuracy"] > epochs[0]["accuracy"]


def test_fitted_estimator_of_an_epoch_is_the_model_after_that_epoch(iris):
    X, y = iris
    rec = Recorder()
    params = dict(hidden_layer_sizes=(8,), max_iter=6, random_state=0)
    MLPClassifier(**params).set_callbacks(rec).fit(X, y)
    epochs = rec.tasks("epoch")
    assert len(epochs) == 6
    after_3 = MLPClassifier(**{**params, "max_iter": 3}).fit(X, y)
    np.testing.assert_allclose(epochs[2].predict_proba(X), after_3.predict_proba(X))
    assert epochs[2].n_iter_ == 3
    assert epochs[2].loss_curve_ == after_3.loss_curve_


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_callback_can_stop_the_fit(iris, solver):
    X, y = iris
    clf = MLPClassifier((8,), solver=solver, max_iter=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a requested stop is no failure
        clf.set_callbacks(Recorder(stop_after=4)).fit(X, y)
    assert clf.n_iter_ == 4
    assert len(clf.loss_curve_) == 4


def test_partial_fit_is_one_epoch_task_per_call(iris):
    X, y = iris
    rec = Recorder()
    clf = MLPClassifier((8,), random_state=0).set_callbacks(rec)
    for _ in range(3):
        clf.partial_fit(X, y, classes=np.unique(y))
    assert len(rec.tasks("epoch")) == 3
    assert len(rec.tasks("fit")) == 3


def test_progress_bar_is_drawn(iris, capsys):
    X, y = iris
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    reg.set_callbacks(ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert "MLPRegressor - fit" in out
    assert "100%" in out


def test_callbacks_propagate_through_pipeline_and_grid_search(iris):
    X, y = iris
    rec = PropagatedRecorder()
    pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=3, random_state=0))
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=2)
    search.set_callbacks(rec).fit(X, y)
    sknn_ends = [(task, fitted) for est, task, fitted in rec.ends if est == "MLPClassifier"]
    # 2 candidates x 2 folds + the refit, 3 epochs each
    assert sum(task == "fit" for task, _ in sknn_ends) == 5
    assert sum(task == "epoch" for task, _ in sknn_ends) == 15
    # the propagated callbacks are removed again afterwards
    assert not hasattr(search.best_estimator_[-1], "_skl_callbacks")


def test_no_callbacks_means_no_callback_state(iris):
    X, y = iris
    clf = MLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
    assert not any(name.startswith(("_skl_callbacks", "_callback")) for name in vars(clf))


def test_set_callbacks_without_sklearn_callback_module(monkeypatch):
    """An older scikit-learn without sklearn.callback: a clear ImportError."""
    monkeypatch.setitem(__import__("sys").modules, "sklearn.callback", None)
    try:
        fallback = importlib.reload(sknn._callbacks).CallbackSupportMixin
        with pytest.raises(ImportError, match=r"sklearn\.callback.*scikit-learn>=1\.9"):
            fallback().set_callbacks(ProgressBar())
    finally:
        monkeypatch.undo()
        importlib.reload(sknn._callbacks)
