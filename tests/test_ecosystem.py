"""sknn inside the scikit-learn ecosystem: callbacks, persistence, data frames,
metadata routing, meta-estimators and dask."""

import importlib
import warnings

import numpy as np
import pytest
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from strategies import SOLVERS, Recorder

import sknn.nn.network
import sknn.training.callbacks
from sknn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# ---------------------------------------------------------------- callbacks
class PropagatedRecorder(Recorder):
    """The same, auto-propagated by meta-estimators to their sub-estimators."""

    max_propagation_depth = None


@pytest.mark.parametrize("solver", SOLVERS)
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


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_callbacks_end_their_tasks_when_a_fit_raises(iris, solver, monkeypatch):
    X, y = iris
    rec = Recorder()
    calls = {"n": 0}
    original = sknn.nn.network.Network.loss_grad

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ValueError("a failure inside training")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sknn.nn.network.Network, "loss_grad", failing)
    clf = MLPClassifier((8,), solver=solver, batch_size=50, max_iter=10, random_state=0)
    with pytest.raises(ValueError, match="a failure inside training"):
        clf.set_callbacks(rec).fit(X, y)
    names = [name for _, name, _ in rec.ends]
    assert names[-1] == "fit"  # the root task ended, after the round in progress
    assert names.count("fit") == 1 and len(names) >= 2
    assert not hasattr(clf, "coefs_")  # and the failed fit left nothing behind


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


def test_without_callbacks_no_callback_context_is_made(iris, monkeypatch):
    """The epoch loop only calls no-op hooks when no callback is involved."""
    X, y = iris

    def refuse(self, **kwargs):
        raise AssertionError("callback context created")

    monkeypatch.setattr(MLPClassifier, "_init_callback_context", refuse)
    MLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
    with pytest.raises(AssertionError, match="callback context created"):
        MLPClassifier((8,), max_iter=3).set_callbacks(Recorder()).fit(X, y)


def test_set_callbacks_without_sklearn_callback_module(monkeypatch):
    """An older scikit-learn without sklearn.callback: a clear ImportError."""
    monkeypatch.setitem(__import__("sys").modules, "sklearn.callback", None)
    try:
        fallback = importlib.reload(sknn.training.callbacks).CallbackSupportMixin
        with pytest.raises(ImportError, match=r"sklearn\.callback.*scikit-learn>=1\.9"):
            fallback().set_callbacks(ProgressBar())
    finally:
        monkeypatch.undo()
        importlib.reload(sknn.training.callbacks)


# -------------------------------------------------------------- persistence
def _fitted_models(X, y):
    """One fitted model per solver / task / dtype, including early stopping."""
    y_reg = X[:, 0] * 2 - X[:, 1]
    return [
        MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y),
        MLPClassifier((8, 4), solver="sgd", dropout=0.2, max_iter=5, diagnostics=True,
                      random_state=0).fit(X, y),
        MLPClassifier((8,), solver="lbfgs", max_iter=20, diagnostics=True,
                      random_state=0).fit(X, y),
        MLPRegressor(
            hidden_layer_sizes=(8,), early_stopping=True, max_iter=5, random_state=0
        ).fit(X.astype(np.float32), y_reg),
    ]


def _assert_same_model(restored, est, X):
    assert type(restored) is type(est)
    assert restored.get_params() == est.get_params()
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    assert restored.loss_curve_ == est.loss_curve_
    assert restored.validation_loss_curve_ == est.validation_loss_curve_
    _assert_same_diagnostics(restored, est)


def _assert_same_diagnostics(restored, est):
    if est.diagnostics_ is None:
        assert restored.diagnostics_ is None
        return
    assert restored.diagnostics_.keys() == est.diagnostics_.keys()
    for name, rows in est.diagnostics_.items():
        assert len(rows) == len(est.loss_curve_)  # a row per epoch, resumed ones too
        np.testing.assert_array_equal(restored.diagnostics_[name], rows)


def _assert_training_continues_identically(restored, est, X, y):
    """The optimizer state is saved too: one more partial_fit gives the same weights."""
    if est.solver == "lbfgs":
        return
    y = est.predict(X)  # any valid targets
    est.set_params(early_stopping=False)  # partial_fit refuses early stopping
    restored.set_params(early_stopping=False)
    a, b = est.partial_fit(X, y), restored.partial_fit(X, y)
    for Wa, Wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(Wa, Wb)
    _assert_same_diagnostics(b, a)


def test_pickle_and_joblib_round_trips(iris, tmp_path):
    import pickle

    import joblib

    X, y = iris
    for i, est in enumerate(_fitted_models(X, y)):
        _assert_same_model(pickle.loads(pickle.dumps(est)), est, X)
        joblib.dump(est, tmp_path / f"model{i}.joblib")
        restored = joblib.load(tmp_path / f"model{i}.joblib")
        _assert_same_model(restored, est, X)
        _assert_training_continues_identically(restored, est, X, y)


def test_skops_round_trip_trusts_only_sknn_types(iris, tmp_path):
    import skops.io as sio

    X, y = iris
    for i, est in enumerate(_fitted_models(X, y)):
        path = tmp_path / f"model{i}.skops"
        sio.dump(est, path)
        untrusted = sio.get_untrusted_types(file=path)
        assert f"sknn.estimators.mlp.{type(est).__name__}" in untrusted
        assert all(t.startswith("sknn.") for t in untrusted), untrusted
        with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
            sio.load(path)
        restored = sio.load(path, trusted=untrusted)
        _assert_same_model(restored, est, X)
        _assert_training_continues_identically(restored, est, X, y)


def test_skops_pipeline_needs_only_sknn_types(iris, tmp_path):
    import skops.io as sio

    X, y = iris
    pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=5, random_state=0))
    pipe.fit(X, y)
    untrusted = sio.get_untrusted_types(data=sio.dumps(pipe))
    assert sorted(untrusted) == ["sknn.estimators.mlp.MLPClassifier", "sknn.nn.optimizers.Adam"]
    restored = sio.loads(sio.dumps(pipe), trusted=untrusted)
    np.testing.assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))


# ---------------------------------------------------- data frames, routing
def _frame(kind, X, names):
    if kind == "pandas":
        import pandas as pd

        return pd.DataFrame(X, columns=names)
    import polars as pl

    return pl.DataFrame(X, schema=names)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_data_frames_keep_feature_names(iris, kind, cls):
    X, y = iris
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    est = cls(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(_frame(kind, X, names), y)
    np.testing.assert_array_equal(est.feature_names_in_, names)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = est.predict(_frame(kind, X, names))  # same names: no warning
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(est.predict(X), same)
    with pytest.raises(ValueError, match="feature names should match"):
        est.predict(_frame(kind, X, names[::-1]))
    unnamed = cls(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y)
    with pytest.warns(UserWarning, match="fitted without feature names"):
        unnamed.predict(_frame(kind, X, names))


class MetadataRecorder(PropagatedRecorder):
    """Records the sample weights each sknn fit received."""

    def __init__(self):
        super().__init__()
        self.weights = []

    def on_fit_task_begin(self, estimator, context, *, metadata=None):
        if isinstance(estimator, MLPClassifier) and context.task_name == "fit":
            self.weights.append((metadata or {}).get("sample_weight"))


def test_sample_weight_is_routed_through_pipeline_and_grid_search(iris):
    import sklearn

    X, y = iris
    w = np.where(y == 2, 5.0, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):

        def mlp(request=True):
            clf = MLPClassifier((8,), solver="lbfgs", max_iter=30, random_state=0)
            if request:
                clf.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
            return clf

        scaler = StandardScaler().set_fit_request(sample_weight=False)
        pipe = make_pipeline(scaler, mlp()).fit(X, y, sample_weight=w)
        direct = mlp().fit(StandardScaler().fit_transform(X), y, sample_weight=w)
        unweighted = mlp().fit(StandardScaler().fit_transform(X), y)
        np.testing.assert_array_equal(pipe[-1].coefs_[0], direct.coefs_[0])
        assert not np.array_equal(pipe[-1].coefs_[0], unweighted.coefs_[0])

        recorder = MetadataRecorder()
        search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-1]}, cv=3)
        search.set_callbacks(recorder).fit(X, y, sample_weight=w)
        assert np.isfinite(search.cv_results_["mean_test_score"]).all()
        # 2 candidates x 3 folds, then the refit on everything: each got its rows' weights
        assert len(recorder.weights) == 7
        splits = [train for train, _ in StratifiedKFold(3).split(X, y)]
        for i, sw in enumerate(recorder.weights[:-1]):  # candidate-major order
            np.testing.assert_array_equal(sw, w[splits[i % 3]])
        np.testing.assert_array_equal(recorder.weights[-1], w)

        # without the request, routing refuses the weights instead of dropping them
        with pytest.raises(ValueError, match="sample_weight"):
            make_pipeline(scaler, mlp(request=False)).fit(X, y, sample_weight=w)


# ----------------------------------------------------------- meta-estimators
@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(
        n_samples=300, n_features=8, n_informative=3, n_redundant=0, shuffle=False,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


def _mlp(**kw):
    params = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=200, random_state=0)
    return MLPClassifier(**{**params, **kw})


def test_calibrated_classifier_cv(binary):
    from sklearn.calibration import CalibratedClassifierCV

    X, y = binary
    cal = CalibratedClassifierCV(_mlp(), cv=3, method="sigmoid").fit(X, y)
    assert len(cal.calibrated_classifiers_) == 3
    assert all(isinstance(c.estimator, MLPClassifier) for c in cal.calibrated_classifiers_)
    P = cal.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1)
    assert cal.score(X, y) > 0.85


def test_bagging_classifier(binary):
    from sklearn.ensemble import BaggingClassifier

    X, y = binary
    bag = BaggingClassifier(_mlp(), n_estimators=4, max_samples=0.7, random_state=0).fit(X, y)
    assert len(bag.estimators_) == 4
    # bootstrap samples differ, so the members do too
    assert not np.array_equal(bag.estimators_[0].coefs_[0], bag.estimators_[1].coefs_[0])
    assert bag.score(X, y) > 0.85


def test_stacking_classifier(binary):
    from sklearn.ensemble import StackingClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = binary
    stack = StackingClassifier(
        [("mlp", _mlp()), ("wide", _mlp(hidden_layer_sizes=(32,)))],
        final_estimator=LogisticRegression(), cv=3,
    ).fit(X, y)
    assert stack.transform(X).shape == (X.shape[0], 2)  # one probability column each
    assert stack.score(X, y) > 0.85


def test_soft_voting_classifier(binary):
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = binary
    vote = VotingClassifier(
        [("mlp", _mlp()), ("lr", LogisticRegression())], voting="soft"
    ).fit(X, y)
    mlp, lr = vote.named_estimators_["mlp"], vote.named_estimators_["lr"]
    expected = (mlp.predict_proba(X) + lr.predict_proba(X)) / 2
    np.testing.assert_allclose(vote.predict_proba(X), expected)
    assert vote.score(X, y) > 0.85


def test_multi_output_regressor():
    from sklearn.multioutput import MultiOutputRegressor

    X, Y = make_regression(n_samples=200, n_features=5, n_targets=3, noise=1, random_state=0)
    Y = Y / Y.std(axis=0)
    reg = MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=300, random_state=0)
    multi = MultiOutputRegressor(reg).fit(X, Y)
    assert len(multi.estimators_) == 3
    assert all(e.n_outputs_ == 1 for e in multi.estimators_)
    assert multi.predict(X).shape == (200, 3)
    assert multi.score(X, Y) > 0.95


def test_permutation_importance_finds_the_informative_features(binary):
    from sklearn.inspection import permutation_importance

    X, y = binary  # shuffle=False: the 3 informative features come first
    clf = _mlp().fit(X, y)
    result = permutation_importance(clf, X, y, n_repeats=5, random_state=0)
    informative, noise = result.importances_mean[:3], result.importances_mean[3:]
    assert informative.min() > noise.max()
    assert informative.max() > 0.05


# -------------------------------------------------------------------- dask
@pytest.fixture(scope="module")
def dask_client():
    """A small real cluster: 2 worker processes, 1 thread each, on 127.0.0.1."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    )
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_ml_incremental_trains_block_by_block(dask_client):
    import dask.array as da
    from dask_ml.wrappers import Incremental
    from distributed import get_task_stream

    X, y = make_classification(n_samples=800, n_features=10, random_state=0)
    dX, dy = da.from_array(X, chunks=200), da.from_array(y, chunks=200)
    params = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    inc = Incremental(MLPClassifier(**params), shuffle_blocks=False)
    with get_task_stream(dask_client) as stream:
        inc.fit(dX, dy, classes=[0, 1])
    assert stream.data  # the blocks went through the cluster
    # the same as partial_fit over the four blocks in order
    local = MLPClassifier(**params)
    for start in range(0, 800, 200):
        local.partial_fit(X[start:start + 200], y[start:start + 200], classes=[0, 1])
    assert inc.estimator_.t_ == local.t_ == 800
    for W_dask, W_local in zip(inc.estimator_.coefs_, local.coefs_):
        np.testing.assert_array_equal(W_dask, W_local)
    assert inc.score(dX, dy) == pytest.approx(local.score(X, y))


def test_grid_search_on_the_joblib_dask_backend(dask_client):
    import joblib
    from distributed import get_task_stream

    X, y = make_classification(n_samples=300, n_features=8, random_state=0)
    X = StandardScaler().fit_transform(X)
    est = MLPClassifier((8,), solver="lbfgs", max_iter=300, random_state=0)
    grid = {"alpha": [1e-4, 1e-1, 10.0]}
    with get_task_stream(dask_client) as stream, joblib.parallel_backend("dask"):
        remote = GridSearchCV(est, grid, cv=3, n_jobs=-1).fit(X, y)
    assert stream.data  # the fits ran on the workers
    local = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
