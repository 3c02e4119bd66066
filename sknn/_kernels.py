"""Fused loops for the per-batch elementwise work, compiled by numba if installed.

numpy makes one pass over memory per operation: an Adam step is twelve passes
over the parameters, a bias-plus-ReLU two. A compiled loop does the whole
update in one pass. Each operation here is written twice, side by side: the
numpy version (always available, the reference) and the loop that numba
compiles when it is installed (the ``fast`` extra: ``pip install sknn[fast]``).
Both do the same floating-point operations in the same order, without
fast-math, so they give the same results bit for bit (tested). Two
exceptions round differently: the sum of squares in :func:`l2_penalty`'s
value, and the row sums of :func:`softmax` and :func:`softmax_cross_entropy`
(and the latter's ``log``).

Loops are compiled on first use and cached on disk (in memory only where
no cache directory is writable). Set the environment
variable ``SKNN_NUMBA=0`` to use numpy even when numba is installed.
"""

import math
import os

import numpy as np

__all__ = [
    "adam_update",
    "sgd_update",
    "l2_penalty",
    "bias_relu",
    "relu_derivative",
    "softmax",
    "softmax_cross_entropy",
]


def _load_numba():
    if os.environ.get("SKNN_NUMBA", "1") == "0":
        return None
    try:
        import numba
    except ImportError:
        return None
    # NUMBA_DISABLE_JIT runs "compiled" loops as Python: far slower than numpy
    return None if numba.config.DISABLE_JIT else numba


_numba = _load_numba()

#: Whether the compiled loops are used (tests switch it off to check numpy).
ENABLED = _numba is not None


def _jit(**options):
    """Compile the decorated loop lazily with numba (unchanged without numba).

    ``error_model='numpy'`` drops the zero-division checks that would keep
    LLVM from vectorising; no ``fastmath`` unless asked, so results match
    numpy's.
    """
    if _numba is None:
        return lambda loop: loop

    def compile_(loop):
        try:
            return _numba.njit(nogil=True, error_model="numpy", cache=True, **options)(loop)
        except RuntimeError:  # no writable cache directory: compile anew in each process
            return _numba.njit(nogil=True, error_model="numpy", **options)(loop)

    return compile_


@_jit(fastmath={"reassoc"})
def _plus_reassociable(total, x):
    # A sum whose order the compiler may change, so that it vectorises. LLVM
    # inlines this into the loops that call it and keeps the flag on this
    # one addition only.
    return total + x


# Optimizer steps -------------------------------------------------------------
def _decayed_numpy(params, grad, decay, n_decay, out):
    """``out = grad + decay * params`` on the first ``n_decay`` entries and
    ``grad`` on the rest; returns ``sum(params[:n_decay] ** 2)``."""
    w = params[:n_decay]
    np.multiply(w, decay, out=out[:n_decay])
    out[:n_decay] += grad[:n_decay]
    out[n_decay:] = grad[n_decay:]
    return float(np.einsum("i,i->", w, w))


# Adam ---------------------------------------------------------------------
def _adam_numpy(params, grad, m, v, tmps, b1, b2, c1, c2, eps, lr, decay, n_decay):
    tmp, g = tmps
    sq = 0.0
    if n_decay:
        sq = _decayed_numpy(params, grad, decay, n_decay, out=g)
        grad = g
    m *= b1
    np.multiply(grad, c1, out=tmp)
    m += tmp
    v *= b2
    np.multiply(grad, grad, out=tmp)
    tmp *= c2
    v += tmp
    np.sqrt(v, out=tmp)
    tmp += eps
    np.divide(m, tmp, out=tmp)
    tmp *= lr
    params -= tmp
    return sq


@_jit()
def _adam_one(w, g, mi, vi, b1, b2, c1, c2, eps, lr):
    mi = mi * b1 + g * c1
    vi = vi * b2 + (g * g) * c2
    return w - (mi / (math.sqrt(vi) + eps)) * lr, mi, vi


@_jit()
def _adam_decayed(params, grad, m, v, b1, b2, c1, c2, eps, lr, decay):
    sq = 0.0
    for i in range(params.size):
        w = params[i]
        sq = _plus_reassociable(sq, w * w)
        params[i], m[i], v[i] = _adam_one(w, grad[i] + w * decay, m[i], v[i], b1, b2, c1, c2, eps, lr)
    return sq


@_jit()
def _adam_plain(params, grad, m, v, b1, b2, c1, c2, eps, lr):
    for i in range(params.size):
        params[i], m[i], v[i] = _adam_one(params[i], grad[i], m[i], v[i], b1, b2, c1, c2, eps, lr)


@_jit()
def _adam_loop(params, grad, m, v, tmps, b1, b2, c1, c2, eps, lr, decay, n_decay):
    k = n_decay
    sq = _adam_decayed(params[:k], grad[:k], m[:k], v[:k], b1, b2, c1, c2, eps, lr, decay)
    _adam_plain(params[k:], grad[k:], m[k:], v[k:], b1, b2, c1, c2, eps, lr)
    return sq


def adam_update(
    params, grad, m, v, tmps, beta_1, beta_2, epsilon, learning_rate, decay=0.0, n_decay=0
):
    """One Adam step in place, in the dtype of ``params``.

    With ``g = grad + decay * params`` on the first ``n_decay`` parameters
    (the L2 penalty's gradient, folded into this pass) and ``g = grad`` on
    the rest: ``m = beta_1 m + (1 - beta_1) g``, ``v = beta_2 v + (1 -
    beta_2) g**2``, ``params -= learning_rate * m / (sqrt(v) + epsilon)``.
    ``tmps`` are two scratch arrays like ``params`` (used by numpy only);
    ``grad`` is left as it was.

    Returns
    -------
    sq : float
        ``sum(params[:n_decay] ** 2)`` before the step (the L2 penalty's
        value up to its factor).

    Examples
    --------
    >>> import numpy as np
    >>> p, g = np.zeros(2), np.array([1.0, -1.0])
    >>> m, v = np.zeros(2), np.zeros(2)
    >>> adam_update(p, g, m, v, (np.empty(2), np.empty(2)), 0.9, 0.999, 1e-8, 0.1)
    0.0
    >>> p.round(4)
    array([-0.3162,  0.3162])
    """
    f = params.dtype.type
    scalars = f(beta_1), f(beta_2), f(1.0 - beta_1), f(1.0 - beta_2), f(epsilon), f(learning_rate)
    update = _adam_loop if ENABLED else _adam_numpy
    n_decay = n_decay if decay else 0
    return float(update(params, grad, m, v, tuple(tmps), *scalars, f(decay), n_decay))


# SGD with momentum ---------------------------------------------------------
def _sgd_numpy(params, grad, velocity, step, tmp, lr, momentum, nesterov, decay, n_decay):
    sq = 0.0
    if n_decay:
        sq = _decayed_numpy(params, grad, decay, n_decay, out=step)
        step *= lr
    else:
        np.multiply(grad, lr, out=step)
    velocity *= momentum
    velocity -= step
    if nesterov:
        np.multiply(velocity, momentum, out=tmp)
        tmp -= step
        params += tmp
    else:
        params += velocity
    return sq


@_jit()
def _sgd_one(w, g, vel, lr, momentum, nesterov):
    s = g * lr
    vel = vel * momentum - s
    return w + (vel * momentum - s if nesterov else vel), vel


@_jit()
def _sgd_decayed(params, grad, velocity, lr, momentum, nesterov, decay):
    sq = 0.0
    for i in range(params.size):
        w = params[i]
        sq = _plus_reassociable(sq, w * w)
        params[i], velocity[i] = _sgd_one(w, grad[i] + w * decay, velocity[i], lr, momentum, nesterov)
    return sq


@_jit()
def _sgd_plain(params, grad, velocity, lr, momentum, nesterov):
    for i in range(params.size):
        params[i], velocity[i] = _sgd_one(params[i], grad[i], velocity[i], lr, momentum, nesterov)


@_jit()
def _sgd_loop(params, grad, velocity, step, tmp, lr, momentum, nesterov, decay, n_decay):
    k = n_decay
    sq = _sgd_decayed(params[:k], grad[:k], velocity[:k], lr, momentum, nesterov, decay)
    _sgd_plain(params[k:], grad[k:], velocity[k:], lr, momentum, nesterov)
    return sq


def sgd_update(
    params, grad, velocity, step, tmp, learning_rate, momentum, nesterov, decay=0.0, n_decay=0
):
    """One SGD step in place, in scikit-learn's order of operations.

    With ``g = grad + decay * params`` on the first ``n_decay`` parameters
    (the L2 penalty's gradient) and ``g = grad`` on the rest: ``velocity =
    momentum * velocity - learning_rate * g``; the update is ``velocity``
    or, with Nesterov, ``momentum * velocity - learning_rate * g``. ``step``
    and ``tmp`` are scratch arrays like ``params``. Returns
    ``sum(params[:n_decay] ** 2)`` before the step, as :func:`adam_update`.

    Examples
    --------
    >>> import numpy as np
    >>> p, vel = np.zeros(2), np.array([1.0, 0.0])
    >>> s, t = np.empty(2), np.empty(2)
    >>> sgd_update(p, np.array([1.0, 2.0]), vel, s, t, 0.5, 0.9, False)
    0.0
    >>> p, vel
    (array([ 0.4, -1. ]), array([ 0.4, -1. ]))
    """
    f = params.dtype.type
    update = _sgd_loop if ENABLED else _sgd_numpy
    n_decay = n_decay if decay else 0
    return float(
        update(params, grad, velocity, step, tmp, f(learning_rate), f(momentum), bool(nesterov),
               f(decay), n_decay)
    )


# L2 penalty ----------------------------------------------------------------
def _l2_numpy(w, grad, tmp, c):
    np.multiply(w, c, out=tmp)
    grad += tmp
    # einsum, not np.dot: OpenBLAS threads a dot product this long, and
    # waking its idle worker for every mini-batch cost ~1 ms on a busy
    # machine (where the matrix products of small batches stay serial).
    return float(np.einsum("i,i->", w, w))


@_jit()
def _l2_loop(w, grad, tmp, c):
    total = 0.0
    for i in range(w.size):
        wi = w[i]
        grad[i] += wi * c
        total = _plus_reassociable(total, wi * wi)
    return total


def l2_penalty(w, grad, tmp, scale):
    """Add ``2 * scale * w`` to ``grad`` in place; return ``scale * sum(w**2)``.

    ``tmp`` is a scratch array like ``w`` (used by numpy only).

    Examples
    --------
    >>> import numpy as np
    >>> g = np.zeros(2)
    >>> l2_penalty(np.array([1.0, -2.0]), g, np.empty(2), 0.5)
    2.5
    >>> g
    array([ 1., -2.])
    """
    c = w.dtype.type(2.0 * scale)
    return scale * float((_l2_loop if ENABLED else _l2_numpy)(w, grad, tmp, c))


# ReLU ----------------------------------------------------------------------
def _bias_relu_numpy(Z, b, check_finite):
    Z += b
    finite = bool(np.isfinite(Z).all()) if check_finite else True
    np.maximum(Z, 0, out=Z)
    return finite


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


def bias_relu(Z, b, check_finite=False):
    """``Z = max(Z + b, 0)`` in place, ``b`` broadcast over the rows.

    Returns whether every ``Z + b`` was finite (always True for numpy
    without ``check_finite``, which then skips that pass).

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([[1.0, -2.0]])
    >>> bias_relu(Z, np.array([0.5, 1.0]))
    True
    >>> Z
    array([[1.5, 0. ]])
    """
    if not ENABLED:
        return _bias_relu_numpy(Z, b, check_finite)
    if Z.flags.f_contiguous and not Z.flags.c_contiguous:  # column-major: loop over Z.T
        return bool(_bias_relu_loop(Z.T, b, True))
    return bool(_bias_relu_loop(Z, b, False))


def _relu_derivative_numpy(A, delta):
    np.multiply(delta, A > 0, out=delta)


@_jit()
def _relu_derivative_loop(A, delta):
    zero = delta.dtype.type(0)
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if not A[i, j] > zero:
                delta[i, j] *= zero  # as numpy: -0.0 for negative delta, NaN for inf



def relu_derivative(A, delta):
    """``delta *= (A > 0)`` in place, for ReLU outputs ``A``.

    Examples
    --------
    >>> import numpy as np
    >>> delta = np.array([[3.0, 4.0]])
    >>> relu_derivative(np.array([[0.0, 2.0]]), delta)
    >>> delta
    array([[0., 4.]])
    """
    (_relu_derivative_loop if ENABLED else _relu_derivative_numpy)(A, delta)


# Softmax -----------------------------------------------------------------------
# numpy's row reductions of the (n_samples, n_outputs) output layer. Outputs are
# few (classes), and numpy reduces short rows slowly: Z.max(axis=1) takes
# ~15 us on a (200, 10) batch, a loop over its 10 columns ~5 us, and the row
# sum as a matrix-vector product 1.4 us instead of 5.
def _row_max(Z):
    """Maximum of each row of a 2-D array."""
    if Z.shape[1] > 16 or Z.shape[0] < 32:  # wide rows, or too few for the loop to pay
        return Z.max(axis=1)
    out = Z[:, 0].copy()
    for j in range(1, Z.shape[1]):
        np.maximum(out, Z[:, j], out=out)
    return out


def _row_sum(Z):
    """Sum of each row of a 2-D float array."""
    return Z @ np.ones(Z.shape[1], Z.dtype)


def _softmax_numpy(Z):
    Z -= _row_max(Z)[:, None]
    np.exp(Z, out=Z)
    Z /= _row_sum(Z)[:, None]


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


def _softmax_loop(Z):
    # numpy's exp between two loops: it is vectorised, the C library's exp
    # that a loop would call is not. numpy's broadcast passes over rows of a
    # few classes are slow: a (4096, 10) chunk takes 93 us instead of 222.
    _subtract_row_max(Z)
    np.exp(Z, out=Z)
    _divide_by_row_sum(Z)


def softmax(Z):
    """Softmax of each row of ``Z``, in place (``exp(z - max z)`` normalised).

    A NaN or infinite entry makes its row NaN.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([[0.0, np.log(3.0)]])
    >>> softmax(Z)
    >>> Z.round(4)
    array([[0.25, 0.75]])
    """
    (_softmax_loop if ENABLED else _softmax_numpy)(Z)


# Softmax cross-entropy -------------------------------------------------------
def _softmax_cross_entropy_numpy(Z, Y, loss):
    Z -= _row_max(Z)[:, None]
    np.einsum("ij,ij->i", Y, Z, out=loss)
    np.negative(loss, out=loss)
    np.exp(Z, out=Z)
    norm = _row_sum(Z)
    loss += np.log(norm) * _row_sum(Y)
    Z /= norm[:, None]
    Z -= Y


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


def _softmax_cross_entropy_loop(Z, Y, loss):
    # numpy's exp between two loops, as in softmax (a (200, 10) batch: 9 us
    # instead of 17 with the C library's exp in one loop)
    y_sum = np.empty_like(loss)
    _shift_logits(Z, Y, loss, y_sum)
    np.exp(Z, out=Z)
    _normalise_exp(Z, Y, loss, y_sum)


def softmax_cross_entropy(Z, Y):
    """Per-row cross-entropy of ``softmax(Z)``; ``Z`` becomes ``softmax(Z) - Y``.

    Computed from the logits as ``log(sum(exp(z - max z))) * sum(y) - y . (z
    - max z)``, which cannot overflow. A NaN or infinite logit makes its row's
    loss NaN.

    Examples
    --------
    >>> import numpy as np
    >>> Z, Y = np.array([[0.0, np.log(3.0)]]), np.array([[0.0, 1.0]])
    >>> loss = softmax_cross_entropy(Z, Y)
    >>> loss.round(4), Z.round(4)
    (array([0.2877]), array([[ 0.25, -0.25]]))
    """
    loss = np.empty(Z.shape[0], Z.dtype)
    (_softmax_cross_entropy_loop if ENABLED else _softmax_cross_entropy_numpy)(Z, Y, loss)
    return loss
