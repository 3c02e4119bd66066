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

from ._activations import ACTIVATIONS, Activation
from ._initializers import initial_parameters

__all__ = ["Dense", "Dropout", "Layer", "NonFinitePreactivation", "Parameter"]


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
    """

    name: str
    shape: tuple
    penalised: bool
    attribute: str


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
    """

    parameters = ()
    writes_output = False
    stochastic = False
    rng = None

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


def _dot(A, W, out):
    """``out = A @ W`` for dense or sparse ``A``."""
    if sp.issparse(A):
        out[...] = A @ W
    else:
        np.matmul(A, W, out=out)


def _dot_t(A, delta, out):
    """``out = A.T @ delta`` for dense or sparse ``A``."""
    if sp.issparse(A):
        out[...] = A.T @ delta
    else:
        np.matmul(A.T, delta, out=out)


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

    def __init__(self, fan_in, units, activation="identity"):
        self.fan_in, self.units = int(fan_in), int(units)
        if not isinstance(activation, Activation):
            activation = ACTIVATIONS[activation]
        self.activation = activation
        self.parameters = (
            Parameter("coef", (self.fan_in, self.units), True, "coefs_"),
            Parameter("intercept", (self.units,), False, "intercepts_"),
        )

    def initialize(self, init, random_state, dtype):
        self.coef[...], self.intercept[...] = initial_parameters(
            init, self.fan_in, self.units, random_state, dtype
        )

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
        column = float(np.abs(self.coef).sum(axis=0).max())
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
