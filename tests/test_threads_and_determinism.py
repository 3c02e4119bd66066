"""Threads and determinism: concurrent predictions and fits match sequential
ones, and the same seed gives the same bits."""

import threading
import warnings

import numpy as np
import pytest
from sklearn import neural_network as sk
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from strategies import ESTIMATORS, make_data

from sknn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# ----------------------------------------------------------------- concurrency
def test_threads_predicting_on_one_model_match_sequential_calls():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 10))
    y = np.arange(300) % 4
    clf = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=5, random_state=0).fit(X, y)
    reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=5, random_state=0).fit(X, X[:, :2])
    inputs = [X[i::8] for i in range(8)] + [X.astype(np.float32)]
    calls = [
        (m, method)
        for m, methods in [
            (clf, ("predict", "predict_proba", "predict_log_proba")),
            (reg, ("predict",)),
        ]
        for method in methods
    ]
    expected = {
        (id(m), method, i): getattr(m, method)(Xi)
        for m, method in calls
        for i, Xi in enumerate(inputs)
    }
    barrier = threading.Barrier(8)
    results, errors = {}, []

    def work(worker):
        try:
            barrier.wait()
            for _ in range(5):
                for m, method in calls:
                    for i, Xi in enumerate(inputs[worker:] + inputs[:worker]):
                        i = (i + worker) % len(inputs)
                        results.setdefault((id(m), method, i, worker), []).append(
                            getattr(m, method)(Xi)
                        )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors
    assert len(results) == 8 * len(calls) * len(inputs)
    for (mid, method, i, _), outs in results.items():
        for out in outs:
            np.testing.assert_array_equal(out, expected[(mid, method, i)])


def test_clones_fitted_in_parallel_threads_match_sequential_fits():
    X, y = make_data(MLPClassifier, n=80)
    configs = [
        MLPClassifier(
            hidden_layer_sizes=(8,),
            solver="sgd",
            dropout=0.3,
            batch_size=10,
            max_iter=8,
            random_state=1,
        ),
        MLPClassifier(
            hidden_layer_sizes=(8,), solver="adam", early_stopping=True, max_iter=8, random_state=2
        ),
        MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=8, random_state=3),
        MLPRegressor(
            hidden_layer_sizes=(8,),
            solver="adam",
            dropout=0.2,
            batch_size=16,
            max_iter=8,
            random_state=4,
        ),
    ] * 2
    targets = [y if isinstance(c, MLPClassifier) else X[:, 0] for c in configs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        global_state = np.random.get_state()
        sequential = [clone(c).fit(X, t) for c, t in zip(configs, targets)]
        parallel = [clone(c) for c in configs]
        barrier = threading.Barrier(len(parallel))
        errors = []

        def work(est, t):
            try:
                barrier.wait()
                est.fit(X, t)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(e, t)) for e, t in zip(parallel, targets)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors
    # no draw from numpy's global generator
    np.testing.assert_array_equal(np.random.get_state()[1], global_state[1])
    for a, b in zip(parallel, sequential):
        for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
            np.testing.assert_array_equal(u, v)


# ----------------------------------------------------------------- determinism
DETERMINISM_CONFIGS = [
    dict(solver="sgd", shuffle=True, dropout=0.3, early_stopping=True, batch_size=8),
    dict(solver="adam", shuffle=True, dropout=(0.5,), early_stopping=True),
    dict(solver="adam", init="he_normal", penalty="elasticnet"),
    dict(solver="lbfgs", init="orthogonal"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("params", DETERMINISM_CONFIGS)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_same_int_seed_gives_bitwise_identical_fits(Est, params, dtype):
    X, y = make_data(Est)
    X = X.astype(dtype)
    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(2):
            est = Est(hidden_layer_sizes=(6,), max_iter=6, random_state=42, **params)
            fits.append(est.fit(X, y))
        again = fits[0].fit(X, y)  # the same estimator refitted: same again
    for other in (fits[1], again):
        for u, v in zip(fits[0].coefs_ + fits[0].intercepts_, other.coefs_ + other.intercepts_):
            assert u.dtype == dtype
            np.testing.assert_array_equal(u, v)
    if params.get("early_stopping"):
        assert fits[0].validation_scores_ == fits[1].validation_scores_
    assert fits[0].loss_curve_ == fits[1].loss_curve_
    # a different seed changes the result
    other = Est(hidden_layer_sizes=(6,), max_iter=6, random_state=43, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        other.fit(X, y)
    assert not np.array_equal(other.coefs_[0], fits[1].coefs_[0])


def _refit_pattern(Est, random_state_factory, X, y):
    """Whether two fits of one estimator agree, and two fresh estimators do."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Est(hidden_layer_sizes=(5,), max_iter=3, random_state=random_state_factory())
        first = est.fit(X, y).coefs_[0].copy()
        second = est.fit(X, y).coefs_[0].copy()
        fresh = Est(hidden_layer_sizes=(5,), max_iter=3, random_state=random_state_factory())
        third = fresh.fit(X, y).coefs_[0].copy()
    return np.array_equal(first, second), np.array_equal(first, third), first


@pytest.mark.parametrize(
    "kind, factory",
    [
        ("int", lambda: 7),
        ("RandomState", lambda: np.random.RandomState(7)),
        ("None", lambda: None),
    ],
)
@pytest.mark.parametrize(
    "ours, theirs", [(MLPClassifier, sk.MLPClassifier), (MLPRegressor, sk.MLPRegressor)]
)
def test_random_state_kinds_behave_as_in_scikit_learn(ours, theirs, kind, factory):
    X, y = make_data(ours)
    pattern = _refit_pattern(ours, factory, X, y)[:2]
    expected = {"int": (True, True), "RandomState": (False, True), "None": (False, False)}[kind]
    assert pattern == expected
    assert _refit_pattern(theirs, factory, X, y)[:2] == expected
    if kind == "None":  # None draws from numpy's global generator, as in sklearn
        np.random.seed(5)
        a = _refit_pattern(ours, factory, X, y)[2]
        np.random.seed(5)
        b = _refit_pattern(ours, factory, X, y)[2]
        np.testing.assert_array_equal(a, b)
    else:
        # init='auto' draws sklearn's initial weights from the same seed
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            kw = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=1e-12,
                      momentum=0, max_iter=1, shuffle=False)
            mine = ours(**kw, random_state=factory()).fit(X, y)
            ref = theirs(**kw, random_state=factory()).fit(X, y)
        np.testing.assert_allclose(mine.coefs_[0], ref.coefs_[0], rtol=0, atol=1e-9)
