"""The compiled loops against their numpy versions, and the fused training step."""

import os
import subprocess
import sys

import numpy as np
import pytest

from sknn import _kernels
from sknn._network import Network
from sknn._optimizers import SGD, Adam

numba_only = pytest.mark.skipif(
    _kernels._numba is None, reason="numba is not installed (the optional 'fast' extra)"
)
DTYPES = [np.float32, np.float64]


def _both(monkeypatch, run, *arrays):
    """``run(*copies)`` with numpy, then with numba; returns both results and copies."""
    out = []
    for enabled in (False, True):
        monkeypatch.setattr(_kernels, "ENABLED", enabled)
        copies = [a.copy() for a in arrays]
        out.append((run(*copies), copies))
    return out


def _state(rng, n, dtype):
    params = rng.normal(size=n).astype(dtype)
    grad = rng.normal(scale=1e-2, size=n).astype(dtype)
    m = rng.normal(scale=1e-3, size=n).astype(dtype)
    v = rng.uniform(0, 1e-4, size=n).astype(dtype)
    return params, grad, m, v


@numba_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("decay", [0.0, 3e-3])
def test_adam_loop_equals_numpy_bit_for_bit(monkeypatch, dtype, decay):
    arrays = _state(np.random.default_rng(0), 1003, dtype)

    def run(params, grad, m, v):
        tmps = (np.empty_like(params), np.empty_like(params))
        return _kernels.adam_update(params, grad, m, v, tmps, 0.9, 0.999, 1e-8, 1e-2,
                                    decay, n_decay=700)

    (sq_np, ref), (sq_nb, got) = _both(monkeypatch, run, *arrays)
    for a, b in zip(ref, got):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(ref[0], arrays[0])  # the step moved the parameters
    np.testing.assert_array_equal(ref[1], arrays[1])  # grad is left as it was
    expected_sq = float(np.sum(arrays[0][:700].astype(np.float64) ** 2)) if decay else 0.0
    # numba sums float32 squares in float64, numpy in float32
    assert sq_np == pytest.approx(expected_sq, rel=1e-5)
    assert sq_nb == pytest.approx(expected_sq, rel=1e-5 if dtype == np.float32 else 1e-12)


@numba_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("decay", [0.0, 3e-3])
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_loop_equals_numpy_bit_for_bit(monkeypatch, dtype, decay, nesterov):
    params, grad, velocity, _ = _state(np.random.default_rng(1), 999, dtype)

    def run(params, grad, velocity):
        scratch = np.empty_like(params), np.empty_like(params)
        return _kernels.sgd_update(params, grad, velocity, *scratch, 0.1, 0.9, nesterov,
                                   decay, n_decay=500)

    (sq_np, ref), (sq_nb, got) = _both(monkeypatch, run, params, grad, velocity)
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)
    assert sq_nb == pytest.approx(sq_np, rel=1e-5 if dtype == np.float32 else 1e-12)


@numba_only
@pytest.mark.parametrize("dtype", DTYPES)
def test_l2_penalty_loop_equals_numpy(monkeypatch, dtype):
    rng = np.random.default_rng(2)
    w, grad = rng.normal(size=777).astype(dtype), rng.normal(size=777).astype(dtype)
    (value_np, ref), (value_nb, got) = _both(
        monkeypatch, lambda w, g: _kernels.l2_penalty(w, g, np.empty_like(w), 0.25), w, grad
    )
    np.testing.assert_array_equal(ref[1], got[1])
    np.testing.assert_array_equal(ref[1], grad + dtype(0.5) * w)
    assert value_nb == pytest.approx(value_np, rel=1e-5 if dtype == np.float32 else 1e-12)
    assert value_np == pytest.approx(0.25 * float(np.sum(w.astype(float) ** 2)), rel=1e-5)


@numba_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["C", "F"])  # prediction's hidden buffers are "F"
def test_relu_loops_equal_numpy_including_nan(monkeypatch, dtype, order):
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(37, 11)).astype(dtype)
    Z[0, 0], Z[1, 1], Z[2, 2] = np.nan, np.inf, -np.inf
    Z = np.asarray(Z, order=order)
    b = rng.normal(size=11).astype(dtype)
    (finite_np, ref), (finite_nb, got) = _both(
        monkeypatch, lambda Z: _kernels.bias_relu(Z, b, check_finite=True), Z
    )
    np.testing.assert_array_equal(ref[0], got[0])
    np.testing.assert_array_equal(got[0], np.maximum(Z + b, 0))
    assert np.isnan(got[0][0, 0]) and got[0][1, 1] == np.inf and got[0][2, 2] == 0
    assert finite_np is False and finite_nb is False
    clean = Z[3:].copy(order=order)
    (finite_np, _), (finite_nb, _) = _both(
        monkeypatch, lambda Z: _kernels.bias_relu(Z, b, check_finite=True), clean
    )
    assert finite_np is True and finite_nb is True

    A = np.maximum(Z, 0)
    delta = rng.normal(size=Z.shape).astype(dtype)
    delta[3, 3] = np.inf
    A[3, 3] = 0.0
    with np.errstate(invalid="ignore"):  # numpy's inf * 0
        (_, ref), (_, got) = _both(monkeypatch, lambda D: _kernels.relu_derivative(A, D), delta)
    np.testing.assert_array_equal(ref[0], got[0])
    assert np.isnan(got[0][3, 3])  # inf * 0, as numpy
    np.testing.assert_array_equal(np.signbit(ref[0]), np.signbit(got[0]))


@numba_only
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_loop_matches_numpy(monkeypatch, dtype):
    rng = np.random.default_rng(4)
    Z = (rng.normal(size=(50, 7)) * 30).astype(dtype)
    Y = np.eye(7, dtype=dtype)[rng.integers(7, size=50)]
    (loss_np, ref), (loss_nb, got) = _both(
        monkeypatch, lambda Z: _kernels.softmax_cross_entropy(Z, Y), Z
    )
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(loss_nb, loss_np, **tol)
    np.testing.assert_allclose(got[0], ref[0], **tol)
    assert loss_nb.dtype == dtype and got[0].dtype == dtype
    # against the definition, in float64
    P = np.exp(Z - Z.max(axis=1, keepdims=True).astype(float))
    P /= P.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(loss_nb, -np.log(np.sum(P * Y, axis=1)), rtol=1e-4,
                               atol=1e-6 if dtype == np.float32 else 1e-12)


@numba_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_classes", [1, 3, 10, 40])
def test_softmax_loop_matches_numpy_and_nan_rows(monkeypatch, dtype, n_classes):
    rng = np.random.default_rng(5)
    Z = (rng.normal(size=(60, n_classes)) * 30).astype(dtype)
    Z[0, 0], Z[1, -1] = np.nan, np.inf
    if n_classes > 1:
        Z[2, 0] = -np.inf  # probability 0
    with np.errstate(invalid="ignore"):  # numpy's inf - inf
        (_, ref), (_, got) = _both(monkeypatch, _kernels.softmax, Z)
    tol = dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(got[0], ref[0], **tol)
    assert got[0].dtype == dtype
    assert np.isnan(got[0][:2]).all()  # a NaN or +inf entry: the row is NaN, as numpy's
    if n_classes > 1:
        assert got[0][2, 0] == 0
    clean = got[0][3:]
    np.testing.assert_allclose(clean.sum(axis=1), 1.0, rtol=1e-5)
    expected = np.exp(Z[3:].astype(float) - Z[3:].max(axis=1, keepdims=True))
    np.testing.assert_allclose(clean, expected / expected.sum(axis=1, keepdims=True),
                               rtol=1e-4, atol=1e-7 if dtype == np.float32 else 1e-15)


@numba_only
def test_softmax_cross_entropy_loop_makes_nan_rows_nan(monkeypatch):
    monkeypatch.setattr(_kernels, "ENABLED", True)
    Z = np.array([[0.0, np.nan, 1.0], [np.inf, 0.0, 1.0], [0.0, 1.0, 2.0]])
    loss = _kernels.softmax_cross_entropy(Z, np.eye(3))
    assert np.isnan(loss[0]) and np.isnan(loss[1]) and np.isfinite(loss[2])


# ------------------------------------------------------------ train_step
def _net(dtype, seed=0):
    net = Network([6, 5, 4, 3], "relu", "softmax", dtype)
    net.params[:] = np.random.default_rng(seed).normal(scale=0.5, size=net.params.size)
    return net


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("optimizer", [Adam, SGD])
@pytest.mark.parametrize("penalty", ["l2", "elasticnet", "l1", None])
@pytest.mark.parametrize("weighted", [False, True])
def test_train_step_equals_loss_grad_then_update(optimizer, penalty, weighted):
    """Folding the L2 gradient into the optimizer's pass changes nothing."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(9, 6))
    Y = np.eye(3)[rng.integers(3, size=9)]
    sw = rng.uniform(0.5, 2.0, size=9) if weighted else None
    kw = dict(alpha=0.3, penalty=penalty, l1_ratio=0.4)
    fused, plain = _net(np.float64), _net(np.float64)
    opt_fused = optimizer(fused.params.size, np.float64, learning_rate_init=0.05)
    opt_plain = optimizer(plain.params.size, np.float64, learning_rate_init=0.05)
    for _ in range(3):
        loss_fused = fused.train_step(opt_fused, X, Y, sw, **kw)
        loss_plain = plain.loss_grad(X, Y, sw, **kw)
        opt_plain.update(plain.params, plain.grad)
        assert loss_fused == pytest.approx(loss_plain, rel=1e-13)
        np.testing.assert_allclose(fused.params, plain.params, rtol=1e-13, atol=1e-15)


@pytest.mark.usefixtures("kernels")
def test_train_step_on_a_zero_weight_batch_applies_no_penalty():
    net, ref = _net(np.float64), _net(np.float64)
    X, Y = np.ones((4, 6)), np.eye(3)[[0, 1, 2, 0]]
    opt = SGD(net.params.size, np.float64, momentum=0.0)
    assert net.train_step(opt, X, Y, np.zeros(4), alpha=1.0) == 0.0
    np.testing.assert_array_equal(net.params, ref.params)


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("optimizer", [Adam, SGD])
def test_train_step_keeps_float32(optimizer):
    net = _net(np.float32)
    opt = optimizer(net.params.size, np.float32)
    X = np.ones((4, 6), np.float32)
    loss = net.train_step(opt, X, np.eye(3, dtype=np.float32)[[0, 1, 2, 0]], alpha=0.1)
    assert np.isfinite(loss)
    assert net.params.dtype == np.float32 and opt.__dict__[
        "m" if optimizer is Adam else "velocity"].dtype == np.float32


@pytest.mark.parametrize("variable", ["SKNN_NUMBA", "NUMBA_DISABLE_JIT"])
def test_environment_variables_switch_numba_off(variable):
    """SKNN_NUMBA=0 by choice; NUMBA_DISABLE_JIT=1 would run the loops as
    Python, far slower than the numpy versions."""
    env = dict(os.environ, **{variable: "0" if variable == "SKNN_NUMBA" else "1"})
    code = "import sknn._kernels as k; print(k.ENABLED, k._numba)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["False", "None"]


@numba_only
def test_works_where_numba_cannot_write_its_cache():
    """A read-only install with no writable cache directory: numba refuses
    ``cache=True`` at import; sknn compiles in memory instead of failing."""
    code = (
        "import numba.core.caching as c; c.CacheImpl._locator_classes = []\n"
        "import numpy as np, sknn._kernels as k\n"
        "from sknn import MLPClassifier\n"
        "X = np.random.default_rng(0).normal(size=(30, 3)); y = np.arange(30) % 2\n"
        "clf = MLPClassifier((4,), max_iter=3).fit(X, y)\n"
        "print(k.ENABLED, clf.predict(X).shape)"
    )
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["True", "(30,)"]
