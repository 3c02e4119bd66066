"""Weight initializers.

Every initializer, built in or the user's own, is called the same way::

    init(fan_in, fan_out, random_state, dtype) -> ndarray of shape (fan_in, fan_out)

where ``random_state`` is a ``numpy.random.RandomState`` (the estimator's: no
draw ever comes from numpy's global generator) and ``dtype`` the training
dtype. Biases start at zero, except for initializers that draw their own with
a ``bias(fan_in, fan_out, random_state, dtype)`` method (only ``'auto'``,
scikit-learn's scheme, does). An initializer that depends on the layer's
activation has ``for_activation(name)``, returning the one for that layer.

Initializers are components (``VarianceScaling(scale=2.0)`` has its
parameters, for ``init__scale`` in a grid search). To add one, subclass
:class:`Initializer` (or use :class:`VarianceScaling` with other settings) and
register it in :data:`INITIALIZERS`; a plain function with the signature
above also works as ``init=`` without registering.
"""

import numpy as np

from .component import Component
from .registry import Registry

__all__ = [
    "INITIALIZERS",
    "Initializer",
    "VarianceScaling",
    "initial_parameters",
]

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it
# gives the truncated draws the nominal standard deviation (as Keras does).
_TRUNCATED_STD = 0.87962566103423978


def _truncated_normal(rng, std, shape):
    """Normal draws of standard deviation ``std``, those beyond 2 std redrawn."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * std


class Initializer(Component):
    """Base class of the built-in initializers.

    ``init(fan_in, fan_out, random_state, dtype)`` returns the weights of one
    layer; ``init.bias(fan_in, fan_out, random_state, dtype)`` its intercepts,
    zeros unless a subclass draws them.
    """

    def __call__(self, fan_in, fan_out, random_state, dtype):
        raise NotImplementedError

    def bias(self, fan_in, fan_out, random_state, dtype):
        """Initial intercepts of a layer: zeros."""
        return np.zeros(fan_out, dtype=dtype)


INITIALIZERS = Registry("initializer")


@INITIALIZERS.register("auto")
class ScikitLearnUniform(Initializer):
    """scikit-learn's scheme: weights and biases from U(-b, b) with
    ``b = sqrt(factor / (fan_in + fan_out))``, ``factor`` 2 for the logistic
    activation and 6 otherwise.

    Drawn in scikit-learn's order (per layer: weights, then biases), so the
    same ``random_state`` gives scikit-learn's initial network.
    """

    def __init__(self, activation="relu"):
        self.activation = activation

    def for_activation(self, activation):
        """The scheme for a layer with ``activation`` (one per hidden layer)."""
        return ScikitLearnUniform(activation)

    def _bound(self, fan_in, fan_out):
        factor = 2.0 if self.activation == "logistic" else 6.0
        return np.sqrt(factor / (fan_in + fan_out))

    def __call__(self, fan_in, fan_out, random_state, dtype):
        bound = self._bound(fan_in, fan_out)
        return random_state.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype, copy=False)

    def bias(self, fan_in, fan_out, random_state, dtype):
        """Intercepts from the same U(-b, b) as the weights."""
        bound = self._bound(fan_in, fan_out)
        return random_state.uniform(-bound, bound, fan_out).astype(dtype, copy=False)


@INITIALIZERS.register("normal")
class RandomNormal(Initializer):
    """N(0, std**2)."""

    def __init__(self, std=0.05):
        self.std = std

    def __call__(self, fan_in, fan_out, random_state, dtype):
        return random_state.normal(0.0, self.std, (fan_in, fan_out)).astype(dtype, copy=False)


@INITIALIZERS.register("uniform")
class RandomUniform(Initializer):
    """U(-limit, limit)."""

    def __init__(self, limit=0.05):
        self.limit = limit

    def __call__(self, fan_in, fan_out, random_state, dtype):
        weights = random_state.uniform(-self.limit, self.limit, (fan_in, fan_out))
        return weights.astype(dtype, copy=False)


@INITIALIZERS.register("truncated_normal")
class TruncatedNormal(Initializer):
    """N(0, std**2) with draws beyond two standard deviations redrawn."""

    def __init__(self, std=0.05):
        self.std = std

    def __call__(self, fan_in, fan_out, random_state, dtype):
        return _truncated_normal(random_state, self.std, (fan_in, fan_out)).astype(dtype, copy=False)


@INITIALIZERS.register("orthogonal")
class Orthogonal(Initializer):
    """``gain`` times a random orthogonal matrix: the QR decomposition of a
    standard normal ``(max(fi, fo), min(fi, fo))`` matrix, Q's columns times
    the signs of R's diagonal, transposed to ``(fan_in, fan_out)`` if needed."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, fan_in, fan_out, random_state, dtype):
        rows, cols = max(fan_in, fan_out), min(fan_in, fan_out)
        q, r = np.linalg.qr(random_state.standard_normal((rows, cols)))
        q *= np.sign(np.diag(r))
        q = q if fan_in >= fan_out else q.T
        return (self.gain * q).astype(dtype, copy=False)


class VarianceScaling(Initializer):
    """Draws with variance ``scale / fan``: the Glorot, He and LeCun family.

    Parameters
    ----------
    scale : float
    mode : {'fan_in', 'fan_avg'}
        ``fan`` is ``fan_in`` or ``(fan_in + fan_out) / 2``.
    distribution : {'truncated_normal', 'uniform'}
        A normal truncated at two standard deviations (rescaled so that its
        standard deviation is the nominal one), or U(-b, b) with ``b =
        sqrt(3 * variance)``.

    Examples
    --------
    >>> import numpy as np
    >>> he = VarianceScaling(2.0, "fan_in", "truncated_normal")
    >>> W = he(1000, 500, np.random.RandomState(0), np.float32)
    >>> W.shape, W.dtype
    ((1000, 500), dtype('float32'))
    >>> round(float(W.std() ** 2 * 1000), 2)  # variance 2 / fan_in
    2.0
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, fan_in, fan_out, random_state, dtype):
        fan = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / fan
        if self.distribution == "uniform":
            bound = np.sqrt(3.0 * variance)
            weights = random_state.uniform(-bound, bound, (fan_in, fan_out))
        else:
            std = np.sqrt(variance) / _TRUNCATED_STD
            weights = _truncated_normal(random_state, std, (fan_in, fan_out))
        return weights.astype(dtype, copy=False)


@INITIALIZERS.register("glorot_uniform")
class GlorotUniform(VarianceScaling):
    """Glorot (Xavier) uniform: variance ``2 / (fan_in + fan_out)``."""

    def __init__(self):
        super().__init__(1.0, "fan_avg", "uniform")


@INITIALIZERS.register("glorot_normal")
class GlorotNormal(VarianceScaling):
    """Glorot (Xavier) normal: variance ``2 / (fan_in + fan_out)``."""

    def __init__(self):
        super().__init__(1.0, "fan_avg", "truncated_normal")


@INITIALIZERS.register("he_uniform")
class HeUniform(VarianceScaling):
    """He uniform: variance ``2 / fan_in``, for ReLU networks."""

    def __init__(self):
        super().__init__(2.0, "fan_in", "uniform")


@INITIALIZERS.register("he_normal")
class HeNormal(VarianceScaling):
    """He normal: variance ``2 / fan_in``, for ReLU networks."""

    def __init__(self):
        super().__init__(2.0, "fan_in", "truncated_normal")


@INITIALIZERS.register("lecun_uniform")
class LecunUniform(VarianceScaling):
    """LeCun uniform: variance ``1 / fan_in``."""

    def __init__(self):
        super().__init__(1.0, "fan_in", "uniform")


@INITIALIZERS.register("lecun_normal")
class LecunNormal(VarianceScaling):
    """LeCun normal: variance ``1 / fan_in``, for SELU networks."""

    def __init__(self):
        super().__init__(1.0, "fan_in", "truncated_normal")


def initial_parameters(init, fan_in, fan_out, random_state, dtype):
    """Weights ``(fan_in, fan_out)`` and intercepts ``(fan_out,)`` of one layer,
    drawn by ``init`` (weights first) and checked.

    Examples
    --------
    >>> import numpy as np
    >>> W, b = initial_parameters(lambda i, o, rs, dt: np.ones((i, o)), 3, 2,
    ...                           np.random.RandomState(0), np.float32)
    >>> W.dtype, b
    (dtype('float32'), array([0., 0.], dtype=float32))
    """
    weights = np.asarray(init(fan_in, fan_out, random_state, dtype))
    if weights.dtype.kind not in "biuf":  # not bool, int or float
        raise ValueError(
            f"The init callable returned an array of dtype {weights.dtype}; it must "
            "return real numbers (a float array)."
        )
    if weights.shape != (fan_in, fan_out):
        raise ValueError(
            f"The init callable returned an array of shape {weights.shape} for a "
            f"layer with fan_in={fan_in}, fan_out={fan_out}; it must return "
            f"shape ({fan_in}, {fan_out})."
        )
    if not np.all(np.isfinite(weights)):
        raise ValueError("The init callable returned non-finite weights.")
    bias = getattr(init, "bias", None)
    if bias is None:
        intercepts = np.zeros(fan_out)
    else:
        intercepts = bias(fan_in, fan_out, random_state, dtype)
    return weights.astype(dtype, copy=False), intercepts.astype(dtype, copy=False)
