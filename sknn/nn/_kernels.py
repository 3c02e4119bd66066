"""Compiled loops for the per-batch elementwise work (numba, when installed).

numpy makes one pass over memory per operation: an Adam step is twelve
passes over the parameters, a bias-plus-ReLU two. A compiled loop does the
whole operation in one pass. Every operation has a numpy version, the
reference, written beside the math it implements (in ``activations``,
``losses``, ``regularizers`` and ``optimizers``); the loop that replaces it
is here, and :func:`accelerated` is the one place that chooses between them.
Both do the same floating-point operations in the same order, without
fast-math, so they give the same results bit for bit (tested). Two
exceptions round differently: the sums of squares returned by the L2 and
optimizer loops, and the row sums and ``log`` of the softmax loops.

Loops are compiled on first use and cached on disk (in memory only where no
cache directory is writable). numba is the ``fast`` extra (``pip install
sknn[fast]``). The switch: the environment variable ``SKNN_NUMBA=0`` uses
numpy even where numba is installed, and :func:`compiled_loops` turns the
loops off (or back on) for a block of code.
"""

import contextlib
import functools
import importlib.util
import math
import os
import threading

import numpy as np

__all__ = ["accelerated", "available", "compiled_loops", "enabled"]


def _numba_allowed():
    """Whether numba is not switched off (the environment alone: whether it
    is installed is looked up later, as ``import numba`` is slow and happens
    only when a loop first runs)."""
    if os.environ.get("SKNN_NUMBA", "1") == "0":
        return False
    # NUMBA_DISABLE_JIT runs "compiled" loops as Python: far slower than numpy
    return os.environ.get("NUMBA_DISABLE_JIT", "0") in ("", "0")


_available = None  # whether numba is installed and allowed, once looked up
_enabled = _numba_allowed()
_loops = []  # the names of the loops to compile, with their options
_compiled = False
_compile_lock = threading.Lock()


def available():
    """Whether the compiled loops can run here (numba installed and allowed)."""
    global _available, _enabled
    if _available is None:
        _available = _numba_allowed() and importlib.util.find_spec("numba") is not None
        _enabled = _enabled and _available
    return _available


def enabled():
    """Whether the compiled loops are in use now."""
    return _enabled and available()


@contextlib.contextmanager
def compiled_loops(enable):
    """Use the compiled loops (``enable=True``, where :func:`available`) or
    the numpy references (``False``) inside the ``with`` block.

    The choice is process-wide: set it around whole fits, not while other
    threads train.

    Examples
    --------
    >>> with compiled_loops(False):
    ...     enabled()
    False
    """
    global _enabled
    before = _enabled
    _enabled = bool(enable) and available()
    try:
        yield
    finally:
        _enabled = before


def _compile_loops():
    """Replace every loop of this module by its numba-compiled version (each
    compiled on its first call, or loaded from the disk cache); False where
    numba cannot be imported after all."""
    global _compiled, _available, _enabled
    with _compile_lock:
        if _compiled:
            return True
        try:
            import numba
        except ImportError:
            _available = _enabled = False
            return False
        for name, options in _loops:
            loop = globals()[name]
            try:
                compiled = numba.njit(nogil=True, error_model="numpy", cache=True,
                                      **options)(loop)
            except RuntimeError:  # no writable cache directory: compile in each process
                compiled = numba.njit(nogil=True, error_model="numpy", **options)(loop)
            globals()[name] = compiled
        _compiled = True
        return True


def accelerated(compiled):
    """Decorator: run ``compiled`` instead of the decorated numpy reference
    while the compiled loops are enabled.

    Both take the same arguments and return the same result. The decorated
    function keeps both as ``.reference`` and ``.compiled``, so tests can
    compare them. The first compiled call imports numba and compiles.

    Examples
    --------
    >>> @accelerated(lambda x: x + 1)
    ... def increment(x):
    ...     return x + 1
    >>> increment(1), increment.reference(1), increment.compiled(1)
    (2, 2, 2)
    """

    def decorate(reference):
        def run_compiled(*args):
            if not _compiled and not _compile_loops():
                return reference(*args)
            return compiled(*args)

        @functools.wraps(reference)
        def dispatch(*args):
            return (run_compiled if _enabled else reference)(*args)

        dispatch.reference, dispatch.compiled = reference, run_compiled
        return dispatch

    return decorate


def _jit(**options):
    """Mark the decorated loop for numba (compiled by :func:`_compile_loops`).

    ``error_model='numpy'`` drops the zero-division checks that would keep
    LLVM from vectorising; no ``fastmath`` unless asked, so results match
    numpy's. Loops call each other through this module's globals, which
    compiling rebinds, so a caller outside must go through a plain function
    of this module (as every public loop here is).
    """

    def mark(loop):
        _loops.append((loop.__name__, options))
        return loop

    return mark


@_jit(fastmath={"reassoc"})
def _plus_reassociable(total, x):
    # A sum whose order the compiler may change, so that it vectorises. LLVM
    # inlines this into the loops that call it and keeps the flag on this
    # one addition only.
    return total + x


# Optimizer steps with the L2 gradient folded in -------------------------------
# ``decay * params`` joins the gradient of the first ``n_decay`` parameters
# (the regularizers' L2 part, see ``Optimizer.step``), without writing it into
# ``grad``; the loops return the sum of those parameters' squares before the
# step.
@_jit()
def _adam_one(w, g, mi, vi, b1, b2, c1, c2, eps, lr):
    mi = mi * b1 + g * c1
    vi = vi * b2 + (g * g) * c2
    return w - (mi / (math.sqrt(vi) + eps)) * lr, mi, vi


def adam_step(params, grad, m, v, b1, b2, c1, c2, eps, lr, decay, n_decay):
    """Adam's update of ``Adam.update``, with the L2 decay in the same pass."""
    return _adam_loop(params, grad, m, v, b1, b2, c1, c2, eps, lr, decay, n_decay)


@_jit()
def _adam_loop(params, grad, m, v, b1, b2, c1, c2, eps, lr, decay, n_decay):
    sq = 0.0
    for i in range(n_decay):
        w = params[i]
        sq = _plus_reassociable(sq, w * w)
        params[i], m[i], v[i] = _adam_one(w, grad[i] + w * decay, m[i], v[i], b1, b2, c1, c2, eps, lr)
    for i in range(n_decay, params.size):
        params[i], m[i], v[i] = _adam_one(params[i], grad[i], m[i], v[i], b1, b2, c1, c2, eps, lr)
    return sq


@_jit()
def _sgd_one(w, g, vel, lr, momentum, nesterov):
    s = g * lr
    vel = vel * momentum - s
    return w + (vel * momentum - s if nesterov else vel), vel


def sgd_step(params, grad, velocity, lr, momentum, nesterov, decay, n_decay):
    """SGD's update of ``SGD.update``, with the L2 decay in the same pass."""
    return _sgd_loop(params, grad, velocity, lr, momentum, nesterov, decay, n_decay)


@_jit()
def _sgd_loop(params, grad, velocity, lr, momentum, nesterov, decay, n_decay):
    sq = 0.0
    for i in range(n_decay):
        w = params[i]
        sq = _plus_reassociable(sq, w * w)
        params[i], velocity[i] = _sgd_one(w, grad[i] + w * decay, velocity[i], lr, momentum, nesterov)
    for i in range(n_decay, params.size):
        params[i], velocity[i] = _sgd_one(params[i], grad[i], velocity[i], lr, momentum, nesterov)
    return sq


# L2 penalty ----------------------------------------------------------------
@_jit()
def _l2_gradient_loop(w, grad, c):
    total = 0.0
    for i in range(w.size):
        wi = w[i]
        grad[i] += wi * c
        total = _plus_reassociable(total, wi * wi)
    return total


def l2_gradient(w, grad, c):
    """``grad += c * w``; returns ``sum(w ** 2)``."""
    return _l2_gradient_loop(w, grad, c)


# ReLU ----------------------------------------------------------------------
@_jit()
def _relu_of_sum(z, bias, zero, inf):
    # max(z + bias, 0), NaN staying NaN as in numpy, and whether z + bias is
    # finite (free: the loops that call this are bound by memory)
    z = z + bias
    return (zero if z < zero else z), abs(z) < inf


@_jit()
def _bias_relu_loop(Z, b, bias_on_rows):
    # Z row-major; b along its columns, or along its rows when Z is the
    # transpose of a column-major array (the branch is hoisted out of the loop)
    zero, inf = Z.dtype.type(0), Z.dtype.type(np.inf)
    finite = True
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            Z[i, j], ok = _relu_of_sum(Z[i, j], b[i] if bias_on_rows else b[j], zero, inf)
            finite &= ok
    return finite


def bias_relu(Z, b, check_finite):
    """``Z = max(Z + b, 0)`` in place for a row- or column-major ``Z``;
    returns whether every ``Z + b`` was finite."""
    if Z.flags.f_contiguous and not Z.flags.c_contiguous:  # column-major: loop over Z.T
        return bool(_bias_relu_loop(Z.T, b, True))
    return bool(_bias_relu_loop(Z, b, False))


@_jit()
def _relu_derivative_loop(A, delta):
    zero = delta.dtype.type(0)
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if not A[i, j] > zero:
                delta[i, j] *= zero  # as numpy: -0.0 for negative delta, NaN for inf


def relu_derivative(A, delta):
    """``delta *= (A > 0)`` in place."""
    _relu_derivative_loop(A, delta)


# Softmax -------------------------------------------------------------------
# numpy's exp between two loops: it is vectorised, the C library's exp that a
# loop would call is not, and numpy's broadcast passes over rows of a few
# classes are slow (benchmarks/README.md).
@_jit()
def _top(Z, i):
    top = Z[i, 0]
    for j in range(1, Z.shape[1]):
        top = max(top, Z[i, j])
    return top


@_jit()
def _total(Z, i):
    total = Z.dtype.type(0)
    for j in range(Z.shape[1]):
        total += Z[i, j]
    return total


@_jit()
def _subtract_row_max(Z):
    for i in range(Z.shape[0]):
        top = _top(Z, i)
        for j in range(Z.shape[1]):
            Z[i, j] -= top


@_jit()
def _divide_by_row_sum(E):
    for i in range(E.shape[0]):
        norm = _total(E, i)
        for j in range(E.shape[1]):
            E[i, j] /= norm


def softmax(Z):
    """Softmax of each row of ``Z``, in place."""
    _subtract_row_max(Z)
    np.exp(Z, out=Z)
    _divide_by_row_sum(Z)


@_jit()
def _shift_logits(Z, Y, loss, y_sum):
    # Z -= row max; loss = -y . Z; y_sum = sum(y), per row
    for i in range(Z.shape[0]):
        top = _top(Z, i)
        y_dot_z = Z.dtype.type(0)
        for j in range(Z.shape[1]):
            z = Z[i, j] - top
            Z[i, j] = z
            y_dot_z += Y[i, j] * z
        loss[i] = -y_dot_z
        y_sum[i] = _total(Y, i)


@_jit()
def _normalise_exp(E, Y, loss, y_sum):
    # loss += log(sum(E)) * y_sum; E = E / sum(E) - Y, per row
    for i in range(E.shape[0]):
        norm = _total(E, i)
        loss[i] += math.log(norm) * y_sum[i]
        for j in range(E.shape[1]):
            E[i, j] = E[i, j] / norm - Y[i, j]


def softmax_cross_entropy(Z, Y):
    """Per-row cross-entropy of ``softmax(Z)``; ``Z`` becomes ``softmax(Z) - Y``."""
    loss = np.empty(Z.shape[0], Z.dtype)
    y_sum = np.empty_like(loss)
    _shift_logits(Z, Y, loss, y_sum)
    np.exp(Z, out=Z)
    _normalise_exp(Z, Y, loss, y_sum)
    return loss


# Sparse input ----------------------------------------------------------------
# The first layer's products with a CSR matrix, in the order of scipy's
# csr_matvecs / csc_matvecs (so the same bits), written straight into the
# layer's buffer instead of a new array that is then copied.
@_jit()
def _csr_matmul_loop(data, indices, indptr, W, out):
    # each row summed in a contiguous buffer, so that ``out`` may be
    # column-major (prediction's layout)
    row = np.empty(out.shape[1], out.dtype)
    for i in range(out.shape[0]):
        row[:] = 0
        for p in range(indptr[i], indptr[i + 1]):
            a, k = data[p], indices[p]
            for j in range(row.size):
                row[j] += a * W[k, j]
        out[i, :] = row


@_jit()
def _csr_t_matmul_loop(data, indices, indptr, delta, out):
    zero = out.dtype.type(0)
    for k in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[k, j] = zero
    for i in range(delta.shape[0]):
        for p in range(indptr[i], indptr[i + 1]):
            a, k = data[p], indices[p]
            for j in range(out.shape[1]):
                out[k, j] += a * delta[i, j]


def _compiled_csr(A, dense):
    # the loops read rows of ``dense`` against a CSR matrix of the same dtype
    return A.format == "csr" and A.dtype == dense.dtype and dense.flags.c_contiguous


def sparse_dot(A, W, out):
    """``out = A @ W`` for a sparse ``A``."""
    if _compiled_csr(A, W):
        _csr_matmul_loop(A.data, A.indices, A.indptr, W, out)
    else:
        out[...] = A @ W


def sparse_dot_t(A, delta, out):
    """``out = A.T @ delta`` for a sparse ``A``."""
    if _compiled_csr(A, delta) and out.flags.c_contiguous:
        _csr_t_matmul_loop(A.data, A.indices, A.indptr, delta, out)
    else:
        out[...] = A.T @ delta
