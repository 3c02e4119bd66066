"""Numerical extremes: stable losses and outputs at huge logits, scikit-learn's
error for NaN / inf anywhere, and diverging fits that keep usable weights."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import log_expit, logsumexp
from sklearn import neural_network as sk
from sklearn.exceptions import ConvergenceWarning
from strategies import ESTIMATORS, TINY, all_finite, check_outputs

from sknn import MLPClassifier, MLPRegressor
from sknn.nn import ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS, Network, dense_stack

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# ----------------------------------------------------------- numerical extremes
SKLEARNS_NON_FINITE_ERROR = (
    "Solver produced non-finite parameter weights. The input data may contain large "
    "values and need to be preprocessed."
)


EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, 1e4], [-1e4, 0.0, 1e4]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_losses_are_stable_at_logits_of_1e4(dtype):
    Z = EXTREME.astype(dtype)
    Y = np.eye(3, dtype=dtype)[[0, 1, 2, 0]]
    log_p = EXTREME - logsumexp(EXTREME, axis=1, keepdims=True)  # in float64
    P, expected = np.exp(log_p), -(Y * log_p).sum(axis=1)
    delta = Z.copy()
    loss = LOSSES["log_loss"]().loss_and_delta(delta, Y)
    np.testing.assert_allclose(loss, expected, rtol=1e-6)
    np.testing.assert_allclose(delta, P - Y, atol=1e-6)
    # binary cross-entropy log(1 + exp(z)) - y z: log 2 must survive next to 1e4
    Yb = (Y > 0).astype(dtype)
    delta = Z.copy()
    loss = LOSSES["binary_log_loss"]().loss_and_delta(delta, Yb)
    expected = -(Yb * log_expit(EXTREME) + (1 - Yb) * log_expit(-EXTREME)).sum(axis=1)
    np.testing.assert_allclose(loss, expected, rtol=1e-6)
    assert np.all(np.abs(delta) <= 1)
    for name in ("squared_error", "poisson"):
        delta = Z.copy()
        assert np.all(np.isfinite(LOSSES[name]().loss_and_delta(delta, np.abs(Y))))
        assert np.all(np.isfinite(delta))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_are_finite_at_1e4(dtype):
    for name, activation in OUTPUT_ACTIVATIONS.items():
        A = EXTREME.astype(dtype)
        activation.function(A)
        assert np.all(np.isfinite(A)), name
    A = EXTREME.astype(dtype)
    OUTPUT_ACTIVATIONS["softmax"].function(A)
    np.testing.assert_array_equal(A[:2], [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(A[2], [1 / 3] * 3, rtol=1e-6)
    for name, act in ACTIVATIONS.items():
        Z = EXTREME.astype(dtype)
        A = Z.copy()
        act.function(A)
        delta = np.ones_like(A)
        act.derivative(A, delta, Z)
        assert np.all(np.isfinite(A)) and np.all(np.isfinite(delta)), name


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba", "score"])
def test_nan_or_inf_in_any_chunk_is_sklearns_error(bad, activation, method):
    """Plain arrays are checked for NaN / inf in the first layer, not by a
    pass of their own: the error must still be scikit-learn's, wherever the
    value sits (here in the last of two prediction chunks, where a ReLU
    or tanh would turn -inf into a finite output)."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 64)), np.arange(60) % 3
    kw = dict(hidden_layer_sizes=(8,), activation=activation, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = MLPClassifier(**kw).fit(X, y), sk.MLPClassifier(**kw).fit(X, y)
    X_big = rng.normal(size=(20000, 64))  # 2**20 // 64 = 16384 rows per chunk
    X_big[-1, 5] = bad
    args = (X_big, np.zeros(20000, int)) if method == "score" else (X_big,)
    with pytest.raises(ValueError) as mine:
        getattr(ours, method)(*args)
    with pytest.raises(ValueError) as ref:
        getattr(theirs, method)(*args)
    assert str(mine.value) == str(ref.value)
    X_big[-1, 5] = 0.0
    getattr(ours, method)(*args)  # and the same array without it is fine


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_predict_proba_and_log_proba_are_stable_at_logits_of_1e4(task):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 3))
    y = {
        "binary": np.arange(20) % 2,
        "multiclass": np.arange(20) % 3,
        "multilabel": (X[:, :2] > 0).astype(int),
    }[task]
    clf = MLPClassifier(**{**TINY, "hidden_layer_sizes": (4,), "activation": "identity"})
    clf.fit(X, y)

    def logits():  # identity hidden layer: two affine maps
        H = X @ clf.coefs_[0] + clf.intercepts_[0]
        return H @ clf.coefs_[1] + clf.intercepts_[1]

    # Rescale the output layer so the logits reach about 1e4 in magnitude.
    factor = 1e4 / np.abs(logits()).max()
    clf.coefs_[-1] *= factor
    clf.intercepts_[-1] *= factor
    Z = logits()
    assert 5e3 < np.abs(Z).max() < 2e4
    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)
    assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
    assert np.all(np.isfinite(log_proba))
    if task == "multiclass":
        np.testing.assert_allclose(log_proba, Z - logsumexp(Z, axis=1, keepdims=True))
        np.testing.assert_allclose(proba.sum(axis=1), 1)
    elif task == "binary":
        np.testing.assert_allclose(log_proba, np.c_[log_expit(-Z), log_expit(Z)])
        np.testing.assert_allclose(proba.sum(axis=1), 1)
    else:
        np.testing.assert_allclose(log_proba, log_expit(Z))
    # and the training loss at those weights
    loss = "log_loss" if task == "multiclass" else "binary_log_loss"
    net = Network(dense_stack([4], Z.shape[1], "identity"), 3, LOSSES[loss](), np.float64)
    net.load(vars(clf))
    Y = {"binary": y[:, None], "multiclass": np.eye(3)[y], "multilabel": y}[task].astype(float)
    assert np.isfinite(net.loss_grad(X, Y)) and np.all(np.isfinite(net.grad))


@pytest.mark.parametrize(
    "solver, params, scale",
    [
        ("sgd", dict(learning_rate_init=1e10), 1.0),
        ("sgd", dict(learning_rate_init=1e6, batch_size=1), 1.0),
        # the loss of the only epoch is finite, its updates are not
        ("sgd", dict(learning_rate_init=1e200, max_iter=1), 1.0),
        ("adam", dict(learning_rate_init=1e200), 1.0),
        ("lbfgs", {}, 1e154),  # the loss overflows at any step
        ("lbfgs", dict(alpha=1e300), 1.0),
    ],
)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_diverging_fit_keeps_finite_usable_weights_and_warns(solver, params, scale, Est):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)) * scale
    y = np.arange(40) % 2 if Est is MLPClassifier else X @ [1.0, 2.0, 3.0]
    est = Est(
        **{
            "hidden_layer_sizes": (5, 4),
            "solver": solver,
            "max_iter": 30,
            "random_state": 0,
            **params,
        }
    )
    if Est is MLPRegressor and scale > 1:
        # targets of about 1e154: every squared error overflows, whatever the
        # weights, so no state ever had a finite loss
        with pytest.raises(ValueError, match=SKLEARNS_NON_FINITE_ERROR[:40]):
            est.fit(X, y)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(X, y)
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert any("diverged" in m for m in messages), messages
    assert all_finite(est)
    if scale == 1.0:  # weights still predict on their own training data
        check_outputs(est, X, 40, may_overflow=False)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize(
    "X", [np.finfo(np.float64).max * np.random.RandomState(0).uniform(size=(20, 3)),
          sp.lil_matrix(np.eye(20, 3) * 1e300)], ids=["max_uniform", "sparse_1e300"]
)
def test_data_too_large_for_any_weights_is_sklearns_error(X, solver):
    """No weights, not even the initial ones, give a finite loss: scikit-learn's error."""
    y = np.random.RandomState(1).uniform(size=20)
    kw = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=5, random_state=0)
    with pytest.raises(ValueError) as theirs, np.errstate(all="ignore"):  # its overflow warnings
        sk.MLPRegressor(**kw).fit(X, y)
    with pytest.raises(ValueError) as mine:
        MLPRegressor(**kw).fit(X, y)
    assert str(mine.value) == str(theirs.value) == SKLEARNS_NON_FINITE_ERROR
    # L-BFGS, where scikit-learn returns weights that cannot predict, too
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        MLPRegressor(**{**kw, "solver": "lbfgs"}).fit(X, y)
    # a previously fitted model is left as it was
    reg = MLPRegressor(**{**kw, "warm_start": True}).fit(np.ones((20, 3)), y)
    before = [W.copy() for W in reg.coefs_]
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        reg.fit(X, y)
    for a, b in zip(reg.coefs_, before):
        np.testing.assert_array_equal(a, b)
