"""Layers: small objects with a forward and a backward pass.

A layer declares its parameters (:class:`Parameter`: shape, whether the
penalty applies, the estimator attribute it is stored in); the network binds
them to views of its flat parameter and gradient vectors (or, to predict, to
the estimator's fitted arrays). In training, ``forward`` keeps what
``backward`` needs in the layer's own buffers, allocated once per batch size
by ``allocate``; ``backward`` turns the gradient with respect to the layer's
output into the gradients of its parameters and returns the gradient with
respect to its input. In inference, ``forward`` keeps nothing and writes into
the buffer it is given, so one network can predict from many threads.

To add a layer type, subclass :class:`Layer` and insert it where the network
is assembled (``_network.dense_stack``).
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from . import _kernels
from ._activations import ACTIVATIONS, Activation
from ._initializers import initial_parameters
from ._registry import Registry

__all__ = [
    "NORMALIZATIONS",
    "ActivationLayer",
    "BatchNormalization",
    "Dense",
    "Dropout",
    "Layer",
    "LayerNormalization",
    "NonFinitePreactivation",
    "Parameter",
]


class NonFinitePreactivation(ValueError):
    """A checked pre-activation was NaN or infinite (see ``Layer.forward``)."""


class Parameter(NamedTuple):
    """A parameter a layer declares.

    Attributes
    ----------
    name : str
        The layer attribute holding it; its gradient is ``name + "_grad"``.
    shape : tuple of int
    penalised : bool
        Whether the weight penalty applies to it.
    attribute : str
        The fitted estimator attribute (a list, one entry per layer) that
        stores it, e.g. ``"coefs_"``.
    trainable : bool
        False for state the layer updates itself (running statistics): the
        optimizer does not see it, and it has no gradient.
    """

    name: str
    shape: tuple
    penalised: bool
    attribute: str
    trainable: bool = True


class Layer:
    """Base class of the layers.

    Attributes
    ----------
    units : int
        Width of the output.
    parameters : tuple of Parameter
        What the layer learns (none by default).
    writes_output : bool
        Whether inference writes the output into a new buffer (True) or
        returns its input, changed in place or not (False).
    stochastic : bool
        Whether training draws random numbers (from ``rng``).
    rng : numpy.random.Generator or None
        Randomness of training, set by the network.
    weighted : bool
        Whether training uses the batch's sample weights, which the network
        then sets as ``sample_weight`` before each training pass.
    """

    parameters = ()
    writes_output = False
    stochastic = False
    rng = None
    weighted = False

    def bind(self, name, value, grad=None):
        """Attach parameter ``name`` (and its gradient) to the layer."""
        setattr(self, name, value)
        setattr(self, name + "_grad", grad)

    def initialize(self, init, random_state, dtype):
        """Draw initial parameters into the bound arrays."""

    def allocate(self, rows, dtype, input_grad):
        """Training buffers for batches of up to ``rows`` rows; ``input_grad``
        says whether ``backward`` must return the input's gradient."""

    def forward(self, X, training=False, out=None, check_finite=False):
        """The layer's output for input ``X``.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_inputs)
        training : bool
            Keep what ``backward`` needs, and apply training-only behaviour
            (dropout).
        out : ndarray of shape (n_samples, units), optional
            Where inference writes the output, for layers that write one.
        check_finite : bool
            Raise :class:`NonFinitePreactivation` when a pre-activation is NaN
            or infinite.
        """
        raise NotImplementedError

    def backward(self, delta):
        """Parameter gradients from ``delta`` (gradient with respect to the
        output of the last training forward pass); returns the gradient with
        respect to the input (None where it was not asked for)."""
        raise NotImplementedError

    def output_bound(self, bound):
        """An upper bound of ``|output|`` for inputs bounded by ``bound``."""
        return bound

    def apply_constraints(self):
        """Project the parameters back onto their constraints (after a step)."""


def _dot(A, W, out):
    """``out = A @ W`` for dense or sparse ``A``."""
    if type(A) is np.ndarray or not sp.issparse(A):  # (issparse is slow on every step)
        np.matmul(A, W, out=out)
    else:
        _sparse_dot(A, W, out)


def _dot_t(A, delta, out):
    """``out = A.T @ delta`` for dense or sparse ``A``."""
    if type(A) is np.ndarray or not sp.issparse(A):
        np.matmul(A.T, delta, out=out)
    else:
        _sparse_dot_t(A, delta, out)


@_kernels.accelerated(_kernels.sparse_dot)
def _sparse_dot(A, W, out):
    out[...] = A @ W


@_kernels.accelerated(_kernels.sparse_dot_t)
def _sparse_dot_t(A, delta, out):
    out[...] = A.T @ delta


class Dense(Layer):
    """A fully connected layer and its activation: ``f(X @ coef + intercept)``.

    ``coef`` has shape ``(fan_in, units)`` and is penalised; ``intercept`` has
    shape ``(units,)`` and is not. The activation is fused with the layer
    (Keras' ``Dense(activation=...)``): adding the intercept and applying
    ReLU is a single pass.

    Parameters
    ----------
    fan_in, units : int
    activation : str or Activation, default="identity"
    init_activation : str, default=None
        The activation an initializer that depends on it (scikit-learn's
        ``'auto'``) uses for this layer; the layer's own by default.
    max_norm : float, default=None
        Constrain the norm of each unit's incoming weights (each column of
        ``coef``) to at most ``max_norm`` after every step.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dense(2, 1, "relu")
    >>> layer.bind("coef", np.array([[1.0], [-1.0]]))
    >>> layer.bind("intercept", np.array([0.5]))
    >>> layer.forward(np.array([[1.0, 3.0], [2.0, 0.0]]))
    array([[0. ],
           [2.5]])
    """

    writes_output = True

    def __init__(self, fan_in, units, activation="identity", init_activation=None,
                 max_norm=None):
        self.fan_in, self.units = int(fan_in), int(units)
        if not isinstance(activation, Activation):
            activation = ACTIVATIONS[activation]
        self.activation = activation
        self.init_activation = init_activation or activation.name
        self.max_norm = max_norm
        self.parameters = (
            Parameter("coef", (self.fan_in, self.units), True, "coefs_"),
            Parameter("intercept", (self.units,), False, "intercepts_"),
        )

    def initialize(self, init, random_state, dtype):
        if hasattr(init, "for_activation"):
            init = init.for_activation(self.init_activation)
        self.coef[...], self.intercept[...] = initial_parameters(
            init, self.fan_in, self.units, random_state, dtype
        )

    def apply_constraints(self):
        if self.max_norm is None:
            return
        norms = np.sqrt(np.einsum("ij,ij->j", self.coef, self.coef))
        too_long = norms > self.max_norm
        if too_long.any():
            self.coef[:, too_long] *= self.max_norm / norms[too_long]

    def allocate(self, rows, dtype, input_grad):
        self._z = np.empty((rows, self.units), dtype)
        needs_z = self.activation.needs_preactivation
        self._a = np.empty((rows, self.units), dtype) if needs_z else None
        self._dx = np.empty((rows, self.fan_in), dtype) if input_grad else None
        # Intercept gradients are ones @ delta: a BLAS matrix-vector product,
        # faster than np.sum(delta, axis=0) (benchmarks/README.md).
        self._ones = np.ones(rows, dtype)

    def forward(self, X, training=False, out=None, check_finite=False):
        n = X.shape[0]
        if training:
            Z = self._z[:n]
            self._input = X
        else:
            Z = np.empty((n, self.units), self.coef.dtype) if out is None else out
        _dot(X, self.coef, Z)
        activation = self.activation
        if training and activation.needs_preactivation:
            Z += self.intercept
            A = self._a[:n]
            A[...] = Z
            activation.function(A)
        else:
            finite = activation.apply_with_bias(Z, self.intercept, check_finite)
            if check_finite and not finite:
                raise NonFinitePreactivation("a pre-activation is not finite")
            A = Z
        if training:
            self._output = A
        return A

    def backward(self, delta):
        n = delta.shape[0]
        activation = self.activation
        if activation.name != "identity":
            z = self._z[:n] if activation.needs_preactivation else None
            activation.derivative(self._output, delta, z)
        np.matmul(self._ones[:n], delta, out=self.intercept_grad)
        _dot_t(self._input, delta, self.coef_grad)
        if self._dx is None:
            return None
        dx = self._dx[:n]
        np.matmul(delta, self.coef.T, out=dx)
        return dx

    def output_bound(self, bound):
        # every activation has |f(z)| <= 1.06 |z| + 2 (selu's scale, elu's -1)
        # column sums of |coef|, a block of rows at a time: a wide layer's
        # whole |coef| would be a large temporary
        sums = np.zeros(self.units, self.coef.dtype)
        for start in range(0, self.fan_in, 4096):
            sums += np.abs(self.coef[start:start + 4096]).sum(axis=0)
        column = float(sums.max())
        return 1.06 * (bound * column + float(np.abs(self.intercept).max())) + 2.0


class Dropout(Layer):
    """Inverted dropout: in training, each output is zeroed with probability
    ``rate`` and the others are divided by ``1 - rate``, with a new mask for
    every sample and step; the same mask gates the backward pass. Inference
    passes the input through unchanged.

    Parameters
    ----------
    units : int
        Width of the input (and output).
    rate : float
        In [0, 1).
    """

    stochastic = True

    def __init__(self, units, rate):
        self.units, self.rate = int(units), float(rate)

    def allocate(self, rows, dtype, input_grad):
        self._mask = np.empty((rows, self.units), dtype)
        self._out = np.empty((rows, self.units), dtype)

    def forward(self, X, training=False, out=None, check_finite=False):
        if not training:
            return X
        n = X.shape[0]
        mask = self._mask[:n]
        self.rng.random(out=mask, dtype=mask.dtype)
        keep = mask >= self.rate
        mask[...] = keep
        mask *= 1.0 / (1.0 - self.rate)
        dropped = self._out[:n]
        np.multiply(X, mask, out=dropped)
        return dropped

    def backward(self, delta):
        delta *= self._mask[: delta.shape[0]]
        return delta


class ActivationLayer(Layer):
    """An activation on its own, in place: after a normalization layer (a
    dense layer fuses its activation otherwise).

    Parameters
    ----------
    units : int
    activation : str or Activation
    """

    def __init__(self, units, activation):
        self.units = int(units)
        if not isinstance(activation, Activation):
            activation = ACTIVATIONS[activation]
        self.activation = activation

    def allocate(self, rows, dtype, input_grad):
        needs_z = self.activation.needs_preactivation
        self._z = np.empty((rows, self.units), dtype) if needs_z else None

    def forward(self, X, training=False, out=None, check_finite=False):
        if training:
            if self._z is not None:
                self._z[: X.shape[0]] = X
            self._output = X
        self.activation.function(X)
        return X

    def backward(self, delta):
        z = None if self._z is None else self._z[: delta.shape[0]]
        self.activation.derivative(self._output, delta, z)
        return delta

    def output_bound(self, bound):
        return 1.06 * bound + 2.0  # as Dense: |f(z)| <= 1.06 |z| + 2


#: Epsilon of both normalizations (PyTorch's default).
_NORM_EPS = 1e-5

NORMALIZATIONS = Registry("normalization")


class _Normalization(Layer):
    """Shared by both normalizations: a learned scale and shift per unit,
    neither penalised, applied to the normalized input."""

    def __init__(self, units):
        self.units = int(units)
        self.parameters = (
            Parameter("scale", (self.units,), False, "normalization_scales_"),
            Parameter("shift", (self.units,), False, "normalization_shifts_"),
        )

    def initialize(self, init, random_state, dtype):
        self.scale[...], self.shift[...] = 1.0, 0.0

    def allocate(self, rows, dtype, input_grad):
        self._xhat = np.empty((rows, self.units), dtype)
        self._out = np.empty((rows, self.units), dtype)

    def _scale_and_shift(self, xhat, out):
        np.multiply(xhat, self.scale, out=out)
        out += self.shift
        return out

    def _parameter_gradients(self, delta, xhat):
        self.scale_grad[...] = np.einsum("ij,ij->j", delta, xhat)
        self.shift_grad[...] = delta.sum(axis=0)



@NORMALIZATIONS.register("batch")
class BatchNormalization(_Normalization):
    """Batch normalization (Ioffe and Szegedy, 2015): each unit normalized by
    the batch's mean and variance in training, by running averages of them in
    inference, then scaled and shifted by learned parameters.

    The batch statistics are weighted by the sample weights. The running
    averages move by ``batch_norm_momentum`` of the way to each batch's mean
    and (unbiased) variance, as PyTorch's ``BatchNorm1d(momentum=...)``.

    Parameters
    ----------
    units : int
    batch_norm_momentum : float, default=0.1
    """

    weighted = True
    sample_weight = None

    def __init__(self, units, batch_norm_momentum=0.1):
        super().__init__(units)
        self.momentum = float(batch_norm_momentum)
        self.parameters += (
            Parameter("running_mean", (self.units,), False, "running_means_", trainable=False),
            Parameter("running_var", (self.units,), False, "running_vars_", trainable=False),
        )

    def initialize(self, init, random_state, dtype):
        super().initialize(init, random_state, dtype)
        self.running_mean[...], self.running_var[...] = 0.0, 1.0

    def forward(self, X, training=False, out=None, check_finite=False):
        if not training:  # in place: (X - mean) * scale / sqrt(var + eps) + shift
            factor = self.scale / np.sqrt(self.running_var + _NORM_EPS)
            X -= self.running_mean
            X *= factor
            X += self.shift
            return X
        n = X.shape[0]
        w = self.sample_weight
        total = float(w.sum()) if w is not None else 0.0
        if w is None or not total > 0:
            p, mean, total = None, X.mean(axis=0), float(n)
        else:
            p = w / total
            mean = p @ X
        xhat = np.subtract(X, mean, out=self._xhat[:n])
        var = (xhat * xhat).mean(axis=0) if p is None else p @ (xhat * xhat)
        self._inv = 1.0 / np.sqrt(var + _NORM_EPS)
        xhat *= self._inv
        self._p = p
        self._update_running_statistics(mean, var, total)
        return self._scale_and_shift(xhat, self._out[:n])

    def _update_running_statistics(self, mean, var, count):
        # the unbiased variance, weights counting as repeated rows (as
        # scikit-learn's sample_weight): count is the batch's total weight
        unbiased = var * (count / (count - 1.0)) if count > 1.0 else var
        m = self.momentum
        self.running_mean *= 1.0 - m
        self.running_mean += m * mean
        self.running_var *= 1.0 - m
        self.running_var += m * unbiased

    def backward(self, delta):
        n = delta.shape[0]
        xhat, p = self._xhat[:n], self._p
        self._parameter_gradients(delta, xhat)
        dxhat = delta * self.scale
        if p is None:
            mean_g, mean_gx = dxhat.mean(axis=0), np.einsum("ij,ij->j", dxhat, xhat) / n
            dxhat -= mean_g
            dxhat -= xhat * mean_gx
        else:  # each row's share p_i of the batch statistics
            total_g, total_gx = dxhat.sum(axis=0), np.einsum("ij,ij->j", dxhat, xhat)
            dxhat -= p[:, None] * (total_g + xhat * total_gx)
        dxhat *= self._inv
        delta[...] = dxhat
        return delta

    def output_bound(self, bound):
        factor = np.abs(self.scale) / np.sqrt(self.running_var + _NORM_EPS)
        spread = bound + float(np.abs(self.running_mean).max())
        return spread * float(factor.max()) + float(np.abs(self.shift).max())


@NORMALIZATIONS.register("layer")
class LayerNormalization(_Normalization):
    """Layer normalization (Ba et al., 2016): each sample's units normalized
    by their own mean and variance (the same in training and inference), then
    scaled and shifted by learned parameters, as PyTorch's ``LayerNorm``.

    Parameters
    ----------
    units : int
    """

    def forward(self, X, training=False, out=None, check_finite=False):
        mean = X.mean(axis=1, keepdims=True)
        xhat = np.subtract(X, mean, out=self._xhat[: X.shape[0]] if training else X)
        inv = 1.0 / np.sqrt((xhat * xhat).mean(axis=1, keepdims=True) + _NORM_EPS)
        xhat *= inv
        if not training:
            return self._scale_and_shift(xhat, xhat)
        self._inv = inv
        return self._scale_and_shift(xhat, self._out[: X.shape[0]])

    def backward(self, delta):
        n = delta.shape[0]
        xhat = self._xhat[:n]
        self._parameter_gradients(delta, xhat)
        dxhat = delta * self.scale
        mean_g = dxhat.mean(axis=1, keepdims=True)
        mean_gx = (dxhat * xhat).mean(axis=1, keepdims=True)
        dxhat -= mean_g
        dxhat -= xhat * mean_gx
        dxhat *= self._inv
        delta[...] = dxhat
        return delta

    def output_bound(self, bound):
        # a normalized row of n values has |xhat| <= sqrt(n), whatever the input
        return np.sqrt(self.units) * float(np.abs(self.scale).max()) + float(
            np.abs(self.shift).max())
