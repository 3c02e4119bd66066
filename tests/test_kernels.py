"""The compiled loops against their numpy references, and the penalty
mechanism every optimizer gets."""

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from sknn import _activations, _kernels, _layers, _losses
from sknn._losses import LOSSES
from sknn._network import Network, dense_stack
from sknn._optimizers import OPTIMIZERS, SGD, Optimizer
from sknn._penalties import L1, L2, NO_PENALTY, ElasticNet, add_l2_gradient

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


@pytest.mark.parametrize("enabled", [False, True])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_leave_the_gradient_as_it_is(monkeypatch, name, enabled):
    # the compiled loops and the numpy reference have the same effects: the
    # parameters and the optimizer's state change, the gradient does not
    monkeypatch.setattr(_kernels, "ENABLED", enabled and _kernels._numba is not None)
    params, grad = _state(np.random.default_rng(0), 1003, np.float64)[:2]
    grad[::3] = 0.0
    original = grad.copy()
    optimizer = OPTIMIZERS[name](learning_rate_init=1e-2)
    optimizer.initialize(params.size, params.dtype)
    for _ in range(2):
        optimizer.step(params, grad, 3e-3, 700)
    np.testing.assert_array_equal(grad, original)


@numba_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("decay", [0.0, 3e-3])
@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if OPTIMIZERS[n].fused_update is not None])
def test_fused_optimizer_loops_equal_numpy_bit_for_bit(monkeypatch, name, dtype, decay):
    """Every optimizer's compiled step equals its numpy update after the L2 decay."""
    params, grad = _state(np.random.default_rng(0), 1003, dtype)[:2]
    results = []
    for enabled in (False, True):
        monkeypatch.setattr(_kernels, "ENABLED", enabled)
        optimizer = OPTIMIZERS[name](learning_rate_init=1e-2)
        optimizer.initialize(params.size, dtype)
        p, g = params.copy(), grad.copy()
        squares = [optimizer.step(p, g.copy(), decay, 700) for _ in range(3)]
        state = {k: v for k, v in vars(optimizer).items() if isinstance(v, np.ndarray)}
        results.append((p, state, squares))
    (p_np, state_np, sq_np), (p_nb, state_nb, sq_nb) = results
    assert p_np.dtype == dtype and not np.array_equal(p_np, params)
    np.testing.assert_array_equal(p_np, p_nb)
    assert state_np.keys() == state_nb.keys() and state_np
    for key in state_np:
        np.testing.assert_array_equal(state_np[key], state_nb[key])
    expected = float(np.sum(params[:700].astype(np.float64) ** 2)) if decay else 0.0
    # the loops sum float32 squares in float64, numpy in float32
    assert sq_np[0] == pytest.approx(expected, rel=1e-5)
    assert sq_nb[0] == pytest.approx(expected, rel=1e-5 if dtype == np.float32 else 1e-12)


@numba_only
@pytest.mark.parametrize("dtype", DTYPES)
def test_l2_gradient_loop_equals_numpy(dtype):
    rng = np.random.default_rng(2)
    w, grad = rng.normal(size=777).astype(dtype), rng.normal(size=777).astype(dtype)
    g_np, g_nb = grad.copy(), grad.copy()
    value_np = add_l2_gradient.reference(w, g_np, dtype(0.5))
    value_nb = add_l2_gradient.compiled(w, g_nb, dtype(0.5))
    np.testing.assert_array_equal(g_np, g_nb)
    np.testing.assert_array_equal(g_np, grad + dtype(0.5) * w)
    assert value_nb == pytest.approx(value_np, rel=1e-5 if dtype == np.float32 else 1e-12)
    assert value_np == pytest.approx(float(np.sum(w.astype(float) ** 2)), rel=1e-5)


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
        monkeypatch, lambda Z: _activations._bias_relu(Z, b, True), Z
    )
    np.testing.assert_array_equal(ref[0], got[0])
    np.testing.assert_array_equal(got[0], np.maximum(Z + b, 0))
    assert np.isnan(got[0][0, 0]) and got[0][1, 1] == np.inf and got[0][2, 2] == 0
    assert finite_np is False and finite_nb is False
    clean = Z[3:].copy(order=order)
    (finite_np, _), (finite_nb, _) = _both(
        monkeypatch, lambda Z: _activations._bias_relu(Z, b, True), clean
    )
    assert finite_np is True and finite_nb is True

    A = np.maximum(Z, 0)
    delta = rng.normal(size=Z.shape).astype(dtype)
    delta[3, 3] = np.inf
    A[3, 3] = 0.0
    with np.errstate(invalid="ignore"):  # numpy's inf * 0
        (_, ref), (_, got) = _both(monkeypatch, lambda D: _activations._relu_derivative(A, D), delta)
    np.testing.assert_array_equal(ref[0], got[0])
    assert np.isnan(got[0][3, 3])  # inf * 0, as numpy
    np.testing.assert_array_equal(np.signbit(ref[0]), np.signbit(got[0]))


@numba_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("form", ["csr", "unsorted csr with duplicates", "csc"])
def test_sparse_products_equal_scipy_bit_for_bit(monkeypatch, dtype, order, form):
    rng = np.random.default_rng(5)
    A = sp.random(40, 300, density=0.05, format="csr", dtype=dtype, random_state=6)
    if form == "csc":
        A = A.tocsc()
    elif form != "csr":  # the same non-zeros split in two entries, in reverse order
        data = np.concatenate([A.data, A.data])[::-1] / 2
        indices = np.concatenate([A.indices, A.indices])[::-1]
        rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        order_ = np.argsort(np.concatenate([rows, rows])[::-1], kind="stable")
        A = sp.csr_matrix((data[order_], indices[order_],
                           np.concatenate([[0], np.cumsum(2 * np.diff(A.indptr))])),
                          shape=A.shape)
        assert not A.has_canonical_format
    W = rng.normal(size=(300, 7)).astype(dtype)
    delta = rng.normal(size=(40, 7)).astype(dtype)
    out = np.full((40, 7), np.nan, dtype, order=order)
    (_, ref), (_, got) = _both(monkeypatch, lambda o: _layers._sparse_dot(A, W, o), out)
    np.testing.assert_array_equal(ref[0], got[0])
    np.testing.assert_allclose(got[0], A.toarray() @ W, rtol=1e-5, atol=1e-5)
    grad = np.full((300, 7), np.nan, dtype)
    (_, ref), (_, got) = _both(monkeypatch, lambda o: _layers._sparse_dot_t(A, delta, o), grad)
    np.testing.assert_array_equal(ref[0], got[0])
    np.testing.assert_allclose(got[0], A.toarray().T @ delta, rtol=1e-5, atol=1e-5)


@numba_only
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_loop_matches_numpy(monkeypatch, dtype):
    rng = np.random.default_rng(4)
    Z = (rng.normal(size=(50, 7)) * 30).astype(dtype)
    Y = np.eye(7, dtype=dtype)[rng.integers(7, size=50)]
    (loss_np, ref), (loss_nb, got) = _both(
        monkeypatch, lambda Z: _losses.softmax_cross_entropy(Z, Y), Z
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
        (_, ref), (_, got) = _both(monkeypatch, _activations.softmax, Z)
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
    loss = _losses.softmax_cross_entropy(Z, np.eye(3))
    assert np.isnan(loss[0]) and np.isnan(loss[1]) and np.isfinite(loss[2])


# ------------------------------------------------------------ the penalty
def _net(dtype, seed=0):
    net = Network(dense_stack([6, 5, 4, 3], "relu"), LOSSES["log_loss"](), dtype)
    net.params[:] = np.random.default_rng(seed).normal(scale=0.5, size=net.params.size)
    return net


class PlainGradientDescent(Optimizer):
    """An optimizer as a contributor would add one: a numpy update, nothing else."""

    def update(self, params, grad):
        params -= self.learning_rate * grad


OPTIMIZER_CLASSES = [*(OPTIMIZERS[name] for name in OPTIMIZERS), PlainGradientDescent]


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("optimizer", OPTIMIZER_CLASSES, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("penalty", [L2(0.3), ElasticNet(0.3, l1_ratio=0.4), L1(0.3), NO_PENALTY],
                         ids=["l2", "elasticnet", "l1", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_every_optimizer_descends_the_penalised_objective(optimizer, penalty, weighted):
    """Penalty.step takes the optimizer's step on the smooth objective (the L2
    part handed over as a decay), then the L1 part's proximal step: each
    weight soft-thresholded by its step size times the L1 coefficient."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(9, 6))
    Y = np.eye(3)[rng.integers(3, size=9)]
    sw = rng.uniform(0.5, 2.0, size=9) if weighted else None
    m = 9.0 if sw is None else float(sw.sum())
    stepped, reference = _net(np.float64), _net(np.float64)
    opt_stepped, opt_reference = optimizer(learning_rate_init=0.05), optimizer(learning_rate_init=0.05)
    opt_stepped.initialize(stepped.params.size, np.float64)
    opt_reference.initialize(reference.params.size, np.float64)
    k = reference.n_penalised
    for _ in range(3):
        loss = stepped.loss_grad(X, Y, sw) + penalty.step(opt_stepped, stepped, m)
        l1_value = penalty.l1 / (2 * m) * np.abs(reference.params[:k]).sum()
        full = reference.loss_grad(X, Y, sw, penalty.smooth()) + l1_value
        opt_reference.step(reference.params, reference.grad)
        w = reference.params[:k]
        t = opt_reference.step_sizes(k) * penalty.l1 / (2 * m)
        w[...] = np.sign(w) * np.maximum(np.abs(w) - t, 0)
        assert loss == pytest.approx(full, rel=1e-13)
        np.testing.assert_allclose(stepped.params, reference.params, rtol=1e-13, atol=1e-15)
    assert not np.allclose(stepped.params, _net(np.float64).params)


def test_a_new_optimizer_gets_the_l2_penalty():
    net = _net(np.float64)
    start = net.params.copy()
    opt = PlainGradientDescent(learning_rate_init=0.1)
    net.grad[:] = 0.0  # no data gradient: only the penalty moves the weights
    L2(alpha=2.0).step(opt, net, m=4.0)
    k = net.n_penalised
    np.testing.assert_allclose(net.params[:k], start[:k] * (1 - 0.1 * 2.0 / 4.0))
    np.testing.assert_array_equal(net.params[k:], start[k:])  # intercepts: not penalised


@pytest.mark.usefixtures("kernels")
def test_a_zero_weight_batch_applies_no_penalty():
    net, ref = _net(np.float64), _net(np.float64)
    X, Y = np.ones((4, 6)), np.eye(3)[[0, 1, 2, 0]]
    opt = SGD(momentum=0.0)
    opt.initialize(net.params.size, np.float64)
    assert net.loss_grad(X, Y, np.zeros(4)) + L2(1.0).step(opt, net, 0.0) == 0.0
    np.testing.assert_array_equal(net.params, ref.params)


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_keep_float32(name):
    net = _net(np.float32)
    opt = OPTIMIZERS[name]()
    opt.initialize(net.params.size, np.float32)
    X = np.ones((4, 6), np.float32)
    loss = net.loss_grad(X, np.eye(3, dtype=np.float32)[[0, 1, 2, 0]])
    loss += L2(0.1).step(opt, net, 4.0)
    assert np.isfinite(loss)
    arrays = [v for v in vars(opt).values() if isinstance(v, np.ndarray)]
    assert net.params.dtype == np.float32 and arrays
    assert all(a.dtype == np.float32 for a in arrays)


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
