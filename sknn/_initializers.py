"""Weight initializers, by name.

An initializer is ``init(fan_in, fan_out, random_state, dtype, activation)``
returning ``(coef, intercept)`` of shapes ``(fan_in, fan_out)`` and
``(fan_out,)``. All draws come from ``random_state`` (a
``numpy.random.RandomState``), never from numpy's global generator.
"""

from functools import partial

import numpy as np

__all__ = ["INITIALIZERS", "initialize_layer"]

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it
# gives the truncated draws the nominal standard deviation (as Keras does).
_TRUNCATED_STD = 0.87962566103423978


def _truncated_normal(rng, std, shape):
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * std


def _auto(fan_in, fan_out, rng, activation):
    # scikit-learn's scheme, drawn in its order (weights, then biases), so the
    # same random_state gives scikit-learn's initial network.
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    coef = rng.uniform(-bound, bound, (fan_in, fan_out))
    intercept = rng.uniform(-bound, bound, fan_out)
    return coef, intercept


def _normal(fan_in, fan_out, rng, activation):
    return rng.normal(0.0, 0.05, (fan_in, fan_out)), None


def _uniform(fan_in, fan_out, rng, activation):
    return rng.uniform(-0.05, 0.05, (fan_in, fan_out)), None


def _truncated(fan_in, fan_out, rng, activation):
    return _truncated_normal(rng, 0.05, (fan_in, fan_out)), None


def _orthogonal(fan_in, fan_out, rng, activation):
    rows, cols = max(fan_in, fan_out), min(fan_in, fan_out)
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    q *= np.sign(np.diag(r))
    return (q if fan_in >= fan_out else q.T), None


def _variance_scaling(fan_in, fan_out, rng, activation, *, scale, mode, dist):
    """One family for Glorot, He and LeCun: variance = scale / fan."""
    fan = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    variance = scale / fan
    if dist == "uniform":
        bound = np.sqrt(3.0 * variance)
        return rng.uniform(-bound, bound, (fan_in, fan_out)), None
    std = np.sqrt(variance) / _TRUNCATED_STD
    return _truncated_normal(rng, std, (fan_in, fan_out)), None


def _scaling(scale, mode, dist):
    return partial(_variance_scaling, scale=scale, mode=mode, dist=dist)


#: Initializer name -> ``f(fan_in, fan_out, rng, activation) -> (coef, intercept
#: or None for zeros)``.
INITIALIZERS = {
    "auto": _auto,
    "normal": _normal,
    "uniform": _uniform,
    "truncated_normal": _truncated,
    "orthogonal": _orthogonal,
    "glorot_uniform": _scaling(1.0, "fan_avg", "uniform"),
    "glorot_normal": _scaling(1.0, "fan_avg", "normal"),
    "he_uniform": _scaling(2.0, "fan_in", "uniform"),
    "he_normal": _scaling(2.0, "fan_in", "normal"),
    "lecun_uniform": _scaling(1.0, "fan_in", "uniform"),
    "lecun_normal": _scaling(1.0, "fan_in", "normal"),
}


def initialize_layer(init, fan_in, fan_out, rng, dtype, activation):
    """Initial ``(coef, intercept)`` of one dense layer.

    Parameters
    ----------
    init : str or callable
        A key of :data:`INITIALIZERS`, or ``init(fan_in, fan_out, random_state,
        dtype) -> ndarray of shape (fan_in, fan_out)`` (biases are then zeros).
    fan_in, fan_out : int
    rng : numpy.random.RandomState
    dtype : numpy dtype
    activation : str
        The hidden activation (``'auto'`` depends on it).

    Returns
    -------
    coef : ndarray of shape (fan_in, fan_out)
    intercept : ndarray of shape (fan_out,)
    """
    if callable(init):
        coef = np.asarray(init(fan_in, fan_out, rng, dtype))
        if coef.dtype.kind not in "biuf":  # not bool, int or float
            raise ValueError(
                f"The init callable returned an array of dtype {coef.dtype}; it must "
                "return real numbers (a float array)."
            )
        if coef.shape != (fan_in, fan_out):
            raise ValueError(
                f"The init callable returned an array of shape {coef.shape} for a "
                f"layer with fan_in={fan_in}, fan_out={fan_out}; it must return "
                f"shape ({fan_in}, {fan_out})."
            )
        if not np.all(np.isfinite(coef)):
            raise ValueError("The init callable returned non-finite weights.")
        intercept = None
    else:
        coef, intercept = INITIALIZERS[init](fan_in, fan_out, rng, activation)
    if intercept is None:
        intercept = np.zeros(fan_out)
    return coef.astype(dtype, copy=False), intercept.astype(dtype, copy=False)
