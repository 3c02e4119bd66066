"""The compiled loops against their numpy references, and the penalty
mechanism every optimizer gets."""

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from sknn.nn import (
    L1,
    L2,
    OPTIMIZERS,
    SGD,
    Adam,
    ElasticNet,
    LogLoss,
    Network,
    Optimizer,
    _kernels,
    activations,
    compiled_loops,
    dense_stack,
    layers,
    losses,
)
from sknn.nn.regularizers import add_l2_gradient
from sknn.training import Stochastic, Trainer, TrainingConfig, TrainingRecord

DTYPES = [np.float32, np.float64]


def _require_compiled_loops():
    """The comparisons below would compare numpy with numpy without numba:
    fail instead of passing vacuously (numba is in the test extras). Called
    again after the compiled runs: a numba that fails to import when the
    loops first compile switches them off."""
    assert _kernels.available(), (
        "the compiled loops are not available (numba missing, or switched off by "
        "SKNN_NUMBA=0 or NUMBA_DISABLE_JIT=1): install the test extras, "
        "pip install -e '.[test]'"
    )


def _both(run, *arrays):
    """``run(*copies)`` with numpy, then with numba; returns both results and copies."""
    _require_compiled_loops()
    out = []
    for enabled in (False, True):
        copies = [a.copy() for a in arrays]
        with compiled_loops(enabled):
            assert _kernels.enabled() is enabled
            out.append((run(*copies), copies))
    _require_compiled_loops()
    return out


def _state(rng, n, dtype):
    params = rng.normal(size=n).astype(dtype)
    grad = rng.normal(scale=1e-2, size=n).astype(dtype)
    m = rng.normal(scale=1e-3, size=n).astype(dtype)
    v = rng.uniform(0, 1e-4, size=n).astype(dtype)
    return params, grad, m, v


@pytest.mark.parametrize("enabled", [False, True])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_leave_the_gradient_as_it_is(name, enabled):
    # the compiled loops and the numpy reference have the same effects: the
    # parameters and the optimizer's state change, the gradient does not,
    # with the L2 part folded into the step or without it
    params, grad = _state(np.random.default_rng(0), 1003, np.float64)[:2]
    grad[::3] = 0.0
    original = grad.copy()
    with compiled_loops(enabled):
        optimizer = OPTIMIZERS[name](learning_rate=1e-2).build(params.size, params.dtype)
        for decay in (0.0, 0.5):
            optimizer.step(params, grad, decay, 500)
    np.testing.assert_array_equal(grad, original)


@pytest.mark.parametrize("decay", [0.0, 0.25])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("optimizer", [SGD, Adam], ids=lambda cls: cls.__name__)
def test_compiled_optimizer_loops_equal_numpy_bit_for_bit(optimizer, dtype, decay):
    """SGD's and Adam's compiled steps, the L2 part folded in, equal the numpy
    steps (L2 gradient, then the update) bit for bit over several steps; the
    sums of squares they return agree to rounding."""
    assert optimizer.compiled_update is not None
    params, grad = _state(np.random.default_rng(0), 1003, dtype)[:2]

    def steps(p):
        opt = optimizer(learning_rate=1e-2).build(p.size, dtype)
        squares = [opt.step(p, grad, decay, 600) for _ in range(3)]
        return squares, {k: v for k, v in vars(opt).items() if isinstance(v, np.ndarray)}

    ((squares_np, state_np), (p_np,)), ((squares_nb, state_nb), (p_nb,)) = _both(steps, params)
    assert p_np.dtype == dtype and not np.array_equal(p_np, params)
    np.testing.assert_array_equal(p_np, p_nb)
    assert state_np.keys() == state_nb.keys() and state_np
    for key in state_np:
        np.testing.assert_array_equal(state_np[key], state_nb[key])
    rel = 1e-5 if dtype == np.float32 else 1e-12
    assert squares_nb == pytest.approx(squares_np, rel=rel)
    if decay:
        assert squares_np[0] == pytest.approx(float(np.sum(params[:600].astype(float) ** 2)),
                                              rel=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_l2_gradient_loop_equals_numpy(dtype):
    _require_compiled_loops()
    rng = np.random.default_rng(2)
    w, grad = rng.normal(size=777).astype(dtype), rng.normal(size=777).astype(dtype)
    g_np, g_nb = grad.copy(), grad.copy()
    value_np = add_l2_gradient.reference(w, g_np, dtype(0.5))
    value_nb = add_l2_gradient.compiled(w, g_nb, dtype(0.5))
    _require_compiled_loops()
    np.testing.assert_array_equal(g_np, g_nb)
    np.testing.assert_array_equal(g_np, grad + dtype(0.5) * w)
    assert value_nb == pytest.approx(value_np, rel=1e-5 if dtype == np.float32 else 1e-12)
    assert value_np == pytest.approx(float(np.sum(w.astype(float) ** 2)), rel=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["C", "F"])  # prediction's hidden buffers are "F"
def test_relu_loops_equal_numpy_including_nan(dtype, order):
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(37, 11)).astype(dtype)
    Z[0, 0], Z[1, 1], Z[2, 2] = np.nan, np.inf, -np.inf
    Z = np.asarray(Z, order=order)
    b = rng.normal(size=11).astype(dtype)
    (finite_np, ref), (finite_nb, got) = _both(lambda Z: activations._bias_relu(Z, b, True), Z)
    np.testing.assert_array_equal(ref[0], got[0])
    np.testing.assert_array_equal(got[0], np.maximum(Z + b, 0))
    assert np.isnan(got[0][0, 0]) and got[0][1, 1] == np.inf and got[0][2, 2] == 0
    assert finite_np is False and finite_nb is False
    clean = Z[3:].copy(order=order)
    (finite_np, _), (finite_nb, _) = _both(lambda Z: activations._bias_relu(Z, b, True), clean)
    assert finite_np is True and finite_nb is True

    A = np.maximum(Z, 0)
    delta = rng.normal(size=Z.shape).astype(dtype)
    delta[3, 3] = np.inf
    A[3, 3] = 0.0
    with np.errstate(invalid="ignore"):  # numpy's inf * 0
        (_, ref), (_, got) = _both(lambda D: activations._relu_derivative(A, D), delta)
    np.testing.assert_array_equal(ref[0], got[0])
    assert np.isnan(got[0][3, 3])  # inf * 0, as numpy
    np.testing.assert_array_equal(np.signbit(ref[0]), np.signbit(got[0]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("form", ["csr", "unsorted csr with duplicates", "csc"])
def test_sparse_products_equal_scipy_bit_for_bit(dtype, order, form):
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
    (_, ref), (_, got) = _both(lambda o: layers._sparse_dot(A, W, o), out)
    np.testing.assert_array_equal(ref[0], got[0])
    np.testing.assert_allclose(got[0], A.toarray() @ W, rtol=1e-5, atol=1e-5)
    grad = np.full((300, 7), np.nan, dtype)
    (_, ref), (_, got) = _both(lambda o: layers._sparse_dot_t(A, delta, o), grad)
    np.testing.assert_array_equal(ref[0], got[0])
    np.testing.assert_allclose(got[0], A.toarray().T @ delta, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_loop_matches_numpy(dtype):
    rng = np.random.default_rng(4)
    Z = (rng.normal(size=(50, 7)) * 30).astype(dtype)
    Y = np.eye(7, dtype=dtype)[rng.integers(7, size=50)]
    (loss_np, ref), (loss_nb, got) = _both(lambda Z: losses.softmax_cross_entropy(Z, Y), Z)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(loss_nb, loss_np, **tol)
    np.testing.assert_allclose(got[0], ref[0], **tol)
    assert loss_nb.dtype == dtype and got[0].dtype == dtype
    # against the definition, in float64
    P = np.exp(Z - Z.max(axis=1, keepdims=True).astype(float))
    P /= P.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(loss_nb, -np.log(np.sum(P * Y, axis=1)), rtol=1e-4,
                               atol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_classes", [1, 3, 10, 40])
def test_softmax_loop_matches_numpy_and_nan_rows(dtype, n_classes):
    rng = np.random.default_rng(5)
    Z = (rng.normal(size=(60, n_classes)) * 30).astype(dtype)
    Z[0, 0], Z[1, -1] = np.nan, np.inf
    if n_classes > 1:
        Z[2, 0] = -np.inf  # probability 0
    with np.errstate(invalid="ignore"):  # numpy's inf - inf
        (_, ref), (_, got) = _both(activations.softmax, Z)
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


def test_softmax_cross_entropy_loop_makes_nan_rows_nan():
    _require_compiled_loops()
    Z = np.array([[0.0, np.nan, 1.0], [np.inf, 0.0, 1.0], [0.0, 1.0, 2.0]])
    with compiled_loops(True):
        loss = losses.softmax_cross_entropy(Z, np.eye(3))
    _require_compiled_loops()
    assert np.isnan(loss[0]) and np.isnan(loss[1]) and np.isfinite(loss[2])


# ------------------------------------------------------------ the penalty
def _net(dtype, seed=0, regularizer=None):
    net = Network(dense_stack([5, 4], 3, "relu", regularizer=regularizer), 6, LogLoss(), dtype)
    net.params[:] = np.random.default_rng(seed).normal(scale=0.5, size=net.params.size)
    return net


def _n_weights(net):
    """The dense layers' weights: the first parameters of the flat vector."""
    return sum(layer.coef.size for layer in net.layers)


def _train_step(net, optimizer, X, Y, sample_weight=None):
    """One step of the stochastic solver on a batch with a built ``optimizer``:
    returns the batch's loss with the penalties."""
    solver = Stochastic(optimizer)
    solver.dropout_rng = None  # (set by fit_loop; the networks here have no dropout)
    trainer = Trainer(net, solver, TrainingConfig(), TrainingRecord(early_stopping=False),
                      np.random.RandomState(0))
    return solver.train_step(trainer, X, Y, sample_weight)


class PlainGradientDescent(Optimizer):
    """An optimizer as a contributor would add one: a numpy update, nothing else."""

    def update(self, params, grad):
        params -= self.lr * grad


OPTIMIZER_CLASSES = [*(OPTIMIZERS[name] for name in OPTIMIZERS), PlainGradientDescent]


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("optimizer", OPTIMIZER_CLASSES, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize(
    "penalty, l1",  # l1: the weight of sum|w| over 2m
    [(L2(0.3), 0.0), (ElasticNet(0.3, l1_ratio=0.4), 0.3 * 0.4), (L1(0.3), 0.3), (None, 0.0)],
    ids=["l2", "elasticnet", "l1", "none"],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_every_optimizer_descends_the_penalised_objective(optimizer, penalty, l1, weighted):
    """The stochastic solver's step: the regularizer's smooth (L2) gradient
    joins the gradient, the optimizer steps on the smooth objective, then the
    L1 part's proximal step: each weight soft-thresholded by its step size
    times the L1 coefficient."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(9, 6))
    Y = np.eye(3)[rng.integers(3, size=9)]
    sw = rng.uniform(0.5, 2.0, size=9) if weighted else None
    m = 9.0 if sw is None else float(sw.sum())
    stepped = _net(np.float64, regularizer=penalty)
    reference = _net(np.float64, regularizer=penalty)
    opt_stepped, opt_reference = optimizer(learning_rate=0.05), optimizer(learning_rate=0.05)
    opt_stepped.build(stepped.params.size, np.float64)
    opt_reference.build(reference.params.size, np.float64)
    k = _n_weights(reference)
    for _ in range(3):
        loss = _train_step(stepped, opt_stepped, X, Y, sw)
        l1_value = l1 / (2 * m) * np.abs(reference.params[:k]).sum()
        full = reference.loss_grad(X, Y, sw, penalize=True) + l1_value
        opt_reference.step(reference.params, reference.grad)
        w = reference.params[:k]
        t = opt_reference.step_sizes(0, k) * l1 / (2 * m)
        w[...] = np.sign(w) * np.maximum(np.abs(w) - t, 0)
        assert loss == pytest.approx(full, rel=1e-13)
        np.testing.assert_allclose(stepped.params, reference.params, rtol=1e-13, atol=1e-15)
    assert not np.allclose(stepped.params, _net(np.float64).params)


def test_a_new_optimizer_gets_the_l2_penalty():
    net = _net(np.float64, regularizer=L2(alpha=2.0))
    start = net.params.copy()
    opt = PlainGradientDescent(learning_rate=0.1).build(net.params.size, np.float64)
    net.grad[:] = 0.0  # no data gradient: only the penalty moves the weights
    net.smooth_penalty(m=4.0)
    opt.step(net.params, net.grad)
    k = _n_weights(net)
    np.testing.assert_allclose(net.params[:k], start[:k] * (1 - 0.1 * 2.0 / 4.0))
    np.testing.assert_array_equal(net.params[k:], start[k:])  # intercepts: not penalised


@pytest.mark.usefixtures("kernels")
def test_a_zero_weight_batch_applies_no_penalty():
    net, ref = _net(np.float64, regularizer=L2(1.0)), _net(np.float64)
    X, Y = np.ones((4, 6)), np.eye(3)[[0, 1, 2, 0]]
    opt = SGD(momentum=0.0).build(net.params.size, np.float64)
    assert _train_step(net, opt, X, Y, np.zeros(4)) == 0.0
    np.testing.assert_array_equal(net.params, ref.params)


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_keep_float32(name):
    net = _net(np.float32, regularizer=L2(0.1))
    opt = OPTIMIZERS[name]().build(net.params.size, np.float32)
    X = np.ones((4, 6), np.float32)
    loss = _train_step(net, opt, X, np.eye(3, dtype=np.float32)[[0, 1, 2, 0]])
    assert np.isfinite(loss)
    arrays = [v for v in vars(opt).values() if isinstance(v, np.ndarray)]
    assert net.params.dtype == np.float32 and arrays
    assert all(a.dtype == np.float32 for a in arrays)


@pytest.mark.parametrize("variable", ["SKNN_NUMBA", "NUMBA_DISABLE_JIT"])
def test_environment_variables_switch_numba_off(variable):
    """SKNN_NUMBA=0 by choice; NUMBA_DISABLE_JIT=1 would run the loops as
    Python, far slower than the numpy versions."""
    env = dict(os.environ, **{variable: "0" if variable == "SKNN_NUMBA" else "1"})
    code = "import sknn.nn._kernels as k; print(k.enabled(), k.available())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_works_where_numba_cannot_write_its_cache():
    """A read-only install with no writable cache directory: numba refuses
    ``cache=True`` at import; sknn compiles in memory instead of failing."""
    _require_compiled_loops()
    code = (
        "import numba.core.caching as c; c.CacheImpl._locator_classes = []\n"
        "import numpy as np, sknn.nn._kernels as k\n"
        "from sknn import MLPClassifier\n"
        "X = np.random.default_rng(0).normal(size=(30, 3)); y = np.arange(30) % 2\n"
        "clf = MLPClassifier((4,), max_iter=3).fit(X, y)\n"
        "print(k.enabled(), clf.predict(X).shape)"
    )
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["True", "(30,)"]
