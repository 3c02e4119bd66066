"""Layers: components with a forward and a backward pass that carry
everything about themselves.

A layer is configured by its constructor (``Dense(64, activation="relu")``)
and built for its input width by :meth:`Layer.build`, which declares its
parameters (:class:`Parameter`: shape, the fitted attribute that stores it,
whether it is trained, its regularizers and constraint). The network binds
them to views of its flat parameter and gradient vectors (or, to predict, to
the estimator's fitted arrays). In training, ``forward`` keeps what
``backward`` needs in the layer's own buffers, allocated once per batch size
by ``allocate``, and receives what it needs from training as arguments (the
batch's sample weights, the random generator); ``backward`` turns the
gradient with respect to the layer's output into the gradients of its
parameters and returns the gradient with respect to its input. In
inference, ``forward`` keeps nothing and writes into the buffer it is given,
so one network can predict from many threads.

A layer also says how it shows in ``summary()`` (:meth:`Layer.summary`), how
it exports to ONNX (:meth:`Layer.to_onnx`), a bound of its output (for the
divergence checks) and, for dense layers, which weights the diagnostics
follow. To add a layer type, subclass :class:`Layer`; registered in
:data:`NORMALIZATIONS`, its name becomes a valid ``normalization`` of the
estimators (the layer between each hidden dense layer and its activation).
"""

import math
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from . import _kernels
from .activations import ACTIVATIONS, Activation
from .component import Component, Interval
from .initializers import initial_parameters
from .registry import Registry

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
    attribute : str
        The fitted estimator attribute (a list, one entry per layer that has
        the parameter) that stores it, e.g. ``"coefs_"``.
    weight : bool
        A weight matrix: laid out first in the flat vector (scikit-learn's
        packing: every layer's weights, then the other parameters).
    trainable : bool
        False for state the layer updates itself (running statistics): the
        optimizer does not see it, and it has no gradient.
    regularizers : tuple of Regularizer
        Penalties on it (see ``regularizers``).
    constraint : Constraint, tuple of Constraint or None
        Projections applied after every optimizer step, in order (see
        ``constraints``).
    """

    name: str
    shape: tuple
    attribute: str
    weight: bool = False
    trainable: bool = True
    regularizers: tuple = ()
    constraint: Any = None


def _regularizers(value):
    """A layer's regularizer argument (None, one, or several) as a tuple."""
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _constraints(value):
    """A layer's constraint argument (None, one, or several) as None or a tuple."""
    if value is None or isinstance(value, tuple):
        return value
    return tuple(value) if isinstance(value, list) else (value,)


def _activation(value):
    return value if isinstance(value, Activation) else ACTIVATIONS[value]


class Layer(Component):
    """Base class of the layers.

    Attributes
    ----------
    units : int
        Width of the output (set by :meth:`build`).
    parameters : tuple of Parameter
        What the layer learns and keeps (none by default), declared by
        :meth:`build`.
    writes_output : bool
        Whether inference writes the output into a new buffer (True) or
        returns its input, changed in place or not (False).
    stochastic : bool
        Whether training draws random numbers (from the ``rng`` it is given).
    starts_row : bool
        Whether the layer begins a row of ``summary()`` (a dense layer); the
        others add their :meth:`summary` fields to the current row.
    activates : bool
        Whether its training output is the activations of the current block
        (what the diagnostics record: a dense layer's, or an activation's
        after a normalization).
    tracked_weight : str or None
        The parameter whose norms and gradient the diagnostics follow (a
        dense layer's ``"coef"``).
    adaptive : bool
        Whether :meth:`adapt` sets the layer's state from the training input.
    row_multiplier : int
        Rows of output per row of input (an ensemble's members; 1 for most).
    input_members : int
        Ensemble members per sample among the input rows (set by the
        network before :meth:`build`; 1 outside an ensemble).
    output : ndarray
        The output of the last training forward pass.
    """

    parameters = ()
    writes_output = False
    stochastic = False
    starts_row = False
    activates = False
    tracked_weight = None
    adaptive = False
    row_multiplier = 1
    input_members = 1
    output = None

    def build(self, n_inputs):
        """Set the layer up for inputs of ``n_inputs`` columns: validate the
        parameters, declare :attr:`parameters`; returns the output width."""
        self.validate()
        self.units = int(n_inputs)
        return self.units

    def bind(self, name, value, grad=None):
        """Attach parameter ``name`` (and its gradient) to the layer."""
        setattr(self, name, value)
        setattr(self, name + "_grad", grad)

    def initialize(self, init, random_state, dtype):
        """Draw initial parameters into the bound arrays."""

    def adapt(self, X, sample_weight=None):
        """Set the layer's state from (a sample of) its training input ``X``
        and the rows' weights, after :meth:`initialize` and before training
        (for ``adaptive`` layers: preprocessing statistics such as
        quantiles, weighted so that a row of weight 2 counts as two rows)."""

    def allocate(self, rows, dtype, input_grad):
        """Training buffers for batches of up to ``rows`` input rows;
        ``input_grad`` says whether ``backward`` must return the input's
        gradient."""

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        """The layer's output for input ``X``.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_inputs)
        training : bool
            Keep what ``backward`` needs (and the output as :attr:`output`),
            and apply training-only behaviour (dropout, batch statistics).
        sample_weight : ndarray of shape (n_samples,) or None
            The batch's sample weights, in training.
        rng : numpy.random.Generator or None
            Randomness of training, for stochastic layers.
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

    def refresh_statistics(self, X, sample_weight=None):
        """Set the layer's own state (running statistics) to that of input
        ``X`` (nothing by default)."""

    def output_bound(self, bound):
        """An upper bound of ``|output|`` for inputs bounded by ``bound``
        (infinite, unknown, by default: the outputs are then checked)."""
        return math.inf

    def summary(self):
        """The layer's fields of its ``summary()`` row (``units``,
        ``activation``, ``normalization``, ``dropout``)."""
        return {}

    def to_onnx(self, graph, x):
        """Add the layer's inference to an ONNX graph (``sknn.export.onnx.Graph``)
        on input ``x``; returns the output's name."""
        raise NotImplementedError(
            f"{type(self).__name__} has no ONNX export; define its to_onnx(graph, x) "
            "method to export networks that use it."
        )


def _activation_onnx(graph, activation, z):
    if activation.onnx is None:
        raise NotImplementedError(
            f"activation {activation.name!r} has no ONNX form; give its Activation an "
            "onnx function to export networks that use it."
        )
    return activation.onnx(graph, z)


def _grown(bound, activation):
    """The bound of ``activation``'s output for inputs bounded by ``bound``."""
    if activation.bound is None:
        return math.inf
    slope, offset = activation.bound
    return slope * bound + offset


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

    ``coef`` has shape ``(fan_in, units)`` and is a weight; ``intercept`` has
    shape ``(units,)``. The activation is fused with the layer (Keras'
    ``Dense(activation=...)``): adding the intercept and applying ReLU is a
    single pass.

    Parameters
    ----------
    units : int
    activation : str or Activation, default="identity"
    init_activation : str, default=None
        The activation an initializer that depends on it (scikit-learn's
        ``'auto'``) uses for this layer; the layer's own by default.
    kernel_regularizer : Regularizer or sequence of them, default=None
        Penalties on ``coef``.
    kernel_constraint : Constraint or sequence of them, default=None
        Projections of ``coef`` after every step (e.g. ``MaxNorm``).

    Attributes
    ----------
    act : Activation
        The activation, resolved by :meth:`build`.
    input : ndarray or sparse matrix
        The input of the last training forward pass.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dense(1, "relu")
    >>> layer.build(2)
    1
    >>> layer.bind("coef", np.array([[1.0], [-1.0]]))
    >>> layer.bind("intercept", np.array([0.5]))
    >>> layer.forward(np.array([[1.0, 3.0], [2.0, 0.0]]))
    array([[0. ],
           [2.5]])
    """

    writes_output = True
    starts_row = True
    activates = True
    tracked_weight = "coef"
    _constraints = {"units": Interval(Integral, 1, None, "left")}

    def __init__(self, units, activation="identity", init_activation=None,
                 kernel_regularizer=None, kernel_constraint=None):
        self.units = units
        self.activation = activation
        self.init_activation = init_activation
        self.kernel_regularizer = kernel_regularizer
        self.kernel_constraint = kernel_constraint

    def build(self, n_inputs):
        self.validate()
        self.fan_in, units = int(n_inputs), int(self.units)
        self.act = _activation(self.activation)
        self.parameters = (
            Parameter("coef", (self.fan_in, units), "coefs_", weight=True,
                      regularizers=_regularizers(self.kernel_regularizer),
                      constraint=_constraints(self.kernel_constraint)),
            Parameter("intercept", (units,), "intercepts_"),
        )
        return units

    def initialize(self, init, random_state, dtype):
        if hasattr(init, "for_activation"):
            init = init.for_activation(self.init_activation or self.act.name)
        self.coef[...], self.intercept[...] = initial_parameters(
            init, self.fan_in, self.intercept.shape[0], random_state, dtype
        )

    def allocate(self, rows, dtype, input_grad):
        units = self.intercept.shape[0]
        self._z = np.empty((rows, units), dtype)
        needs_z = self.act.needs_preactivation
        self._a = np.empty((rows, units), dtype) if needs_z else None
        self._dx = np.empty((rows, self.fan_in), dtype) if input_grad else None
        # Intercept gradients are ones @ delta: a BLAS matrix-vector product,
        # faster than np.sum(delta, axis=0) (benchmarks/README.md).
        self._ones = np.ones(rows, dtype)

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        n = X.shape[0]
        if training:
            Z = self._z[:n]
            self.input = X
        else:
            Z = np.empty((n, self.coef.shape[1]), self.coef.dtype) if out is None else out
        _dot(X, self.coef, Z)
        activation = self.act
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
            self.output = A
        return A

    def backward(self, delta):
        n = delta.shape[0]
        activation = self.act
        if activation.name != "identity":
            z = self._z[:n] if activation.needs_preactivation else None
            activation.derivative(self.output, delta, z)
        np.matmul(self._ones[:n], delta, out=self.intercept_grad)
        _dot_t(self.input, delta, self.coef_grad)
        if self._dx is None:
            return None
        dx = self._dx[:n]
        np.matmul(delta, self.coef.T, out=dx)
        return dx

    def output_bound(self, bound):
        # column sums of |coef|, a block of rows at a time: a wide layer's
        # whole |coef| would be a large temporary
        sums = np.zeros(self.coef.shape[1], self.coef.dtype)
        for start in range(0, self.fan_in, 4096):
            sums += np.abs(self.coef[start:start + 4096]).sum(axis=0)
        column = float(sums.max())
        return _grown(bound * column + float(np.abs(self.intercept).max()), self.act)

    def summary(self):
        return {"units": int(self.units), "activation": self.act.name}

    def to_onnx(self, graph, x):
        z = graph.node("Gemm", [x, graph.const(self.coef, name="coef"),
                                graph.const(self.intercept, name="intercept")])
        return _activation_onnx(graph, self.act, z)


class Dropout(Layer):
    """Inverted dropout: in training, each output is zeroed with probability
    ``rate`` and the others are divided by ``1 - rate``, with a new mask for
    every sample and step; the same mask gates the backward pass. Inference
    passes the input through unchanged (and exports as nothing).

    Parameters
    ----------
    rate : float
        In [0, 1).
    """

    stochastic = True
    _constraints = {"rate": Interval(Real, 0, 1, "left")}

    def __init__(self, rate=0.5):
        self.rate = rate

    def allocate(self, rows, dtype, input_grad):
        self._mask = np.empty((rows, self.units), dtype)
        self._out = np.empty((rows, self.units), dtype)

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        if not training:
            return X
        n = X.shape[0]
        mask = self._mask[:n]
        rng.random(out=mask, dtype=mask.dtype)
        rate = float(self.rate)
        keep = mask >= rate
        mask[...] = keep
        mask *= 1.0 / (1.0 - rate)
        dropped = self._out[:n]
        np.multiply(X, mask, out=dropped)
        return dropped

    def backward(self, delta):
        delta *= self._mask[: delta.shape[0]]
        return delta

    def output_bound(self, bound):
        return bound  # inference passes the input through

    def summary(self):
        return {"dropout": float(self.rate)}

    def to_onnx(self, graph, x):
        return x  # training only


class ActivationLayer(Layer):
    """An activation on its own, in place: after a normalization layer (a
    dense layer fuses its activation otherwise).

    Parameters
    ----------
    activation : str or Activation
    """

    activates = True

    def __init__(self, activation="relu"):
        self.activation = activation

    def build(self, n_inputs):
        self.act = _activation(self.activation)
        return super().build(n_inputs)

    def allocate(self, rows, dtype, input_grad):
        needs_z = self.act.needs_preactivation
        self._z = np.empty((rows, self.units), dtype) if needs_z else None

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        if training:
            if self._z is not None:
                self._z[: X.shape[0]] = X
            self.output = X
        self.act.function(X)
        return X

    def backward(self, delta):
        z = None if self._z is None else self._z[: delta.shape[0]]
        self.act.derivative(self.output, delta, z)
        return delta

    def output_bound(self, bound):
        return _grown(bound, self.act)

    def summary(self):
        return {"activation": self.act.name}

    def to_onnx(self, graph, x):
        return _activation_onnx(graph, self.act, x)


#: Epsilon of both normalizations (PyTorch's default).
_NORM_EPS = 1e-5

#: The layers an estimator's ``normalization`` names: each goes between a
#: hidden dense layer and its activation.
NORMALIZATIONS = Registry("normalization")


class _Normalization(Layer):
    """Shared by both normalizations: a learned scale and shift per unit,
    neither penalised, applied to the normalized input."""

    def build(self, n_inputs):
        units = super().build(n_inputs)
        self.parameters = (
            Parameter("scale", (units,), "normalization_scales_"),
            Parameter("shift", (units,), "normalization_shifts_"),
        )
        return units

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

    def summary(self):
        return {"normalization": type(self).__name__}


@NORMALIZATIONS.register("batch")
class BatchNormalization(_Normalization):
    """Batch normalization (Ioffe and Szegedy, 2015): each unit normalized by
    the batch's mean and variance in training, by running averages of them in
    inference, then scaled and shifted by learned parameters.

    The batch statistics are weighted by the sample weights. The running
    averages move by ``momentum`` of the way to each batch's mean and
    (unbiased) variance, as PyTorch's ``BatchNorm1d(momentum=...)``.

    Parameters
    ----------
    momentum : float, default=0.1
        In (0, 1].
    """

    _constraints = {"momentum": Interval(Real, 0, 1, "right")}

    def __init__(self, momentum=0.1):
        self.momentum = momentum

    def build(self, n_inputs):
        units = super().build(n_inputs)
        self.parameters += (
            Parameter("running_mean", (units,), "running_means_", trainable=False),
            Parameter("running_var", (units,), "running_vars_", trainable=False),
        )
        return units

    def initialize(self, init, random_state, dtype):
        super().initialize(init, random_state, dtype)
        self.running_mean[...], self.running_var[...] = 0.0, 1.0

    def _statistics(self, X, w, xhat):
        """Weighted mean and variance of ``X`` (``xhat`` receives ``X - mean``),
        the rows' shares (None unweighted) and the total weight."""
        total = float(w.sum()) if w is not None else 0.0
        if w is None or not total > 0:
            p, mean, total = None, X.mean(axis=0), float(X.shape[0])
        else:
            p = w / total
            mean = p @ X
        np.subtract(X, mean, out=xhat)
        var = (xhat * xhat).mean(axis=0) if p is None else p @ (xhat * xhat)
        return mean, var, p, total

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        if not training:  # in place: (X - mean) * scale / sqrt(var + eps) + shift
            factor = self.scale / np.sqrt(self.running_var + _NORM_EPS)
            X -= self.running_mean
            X *= factor
            X += self.shift
            return X
        n = X.shape[0]
        xhat = self._xhat[:n]
        mean, var, p, total = self._statistics(X, sample_weight, xhat)
        self._inv = 1.0 / np.sqrt(var + _NORM_EPS)
        xhat *= self._inv
        self._p = p
        self._update_running_statistics(mean, var, total, float(self.momentum))
        return self._scale_and_shift(xhat, self._out[:n])

    def _update_running_statistics(self, mean, var, count, momentum):
        # the unbiased variance, weights counting as repeated rows (as
        # scikit-learn's sample_weight): count is the batch's total weight
        unbiased = var * (count / (count - 1.0)) if count > 1.0 else var
        self.running_mean *= 1.0 - momentum
        self.running_mean += momentum * mean
        self.running_var *= 1.0 - momentum
        self.running_var += momentum * unbiased

    def refresh_statistics(self, X, sample_weight=None):
        xhat = np.empty(X.shape, X.dtype)
        mean, var, _, total = self._statistics(X, sample_weight, xhat)
        self._update_running_statistics(mean, var, total, 1.0)

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

    def to_onnx(self, graph, x):
        # as sknn computes it: (z - mean) * (scale / sqrt(var + eps)) + shift
        factor = self.scale / np.sqrt(self.running_var + _NORM_EPS)
        centered = graph.node("Sub", [x, graph.const(self.running_mean, name="mean")])
        scaled = graph.node("Mul", [centered, graph.const(factor, name="factor")])
        return graph.node("Add", [scaled, graph.const(self.shift, name="shift")])


@NORMALIZATIONS.register("layer")
class LayerNormalization(_Normalization):
    """Layer normalization (Ba et al., 2016): each sample's units normalized
    by their own mean and variance (the same in training and inference), then
    scaled and shifted by learned parameters, as PyTorch's ``LayerNorm``.
    """

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
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

    def to_onnx(self, graph, x):
        # row means as products with a column of 1/n: no opset-dependent reductions
        average = graph.const(np.full((self.units, 1), 1.0 / self.units), name="average")
        centered = graph.node("Sub", [x, graph.node("MatMul", [x, average])])
        var = graph.node("MatMul", [graph.node("Mul", [centered, centered]), average])
        std = graph.node("Sqrt", [graph.node("Add", [var, graph.const(_NORM_EPS)])])
        xhat = graph.node("Div", [centered, std])
        scaled = graph.node("Mul", [xhat, graph.const(self.scale, name="scale")])
        return graph.node("Add", [scaled, graph.const(self.shift, name="shift")])
