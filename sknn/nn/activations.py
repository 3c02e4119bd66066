"""Activations: each function beside its derivative and its ONNX form.

Every activation works in place on a 2-D array. Derivatives are written in
terms of the layer *output* ``A = f(Z)`` (as scikit-learn does), so the forward
cache only needs activations. The one exception is GELU, which is not
invertible: it sets ``needs_preactivation`` and also receives ``Z``.

``derivative(A, delta, Z)`` multiplies ``delta`` (the gradient with respect to
``A``) in place by ``f'(Z)``, turning it into the gradient with respect to ``Z``.

An activation's ``onnx(graph, z)`` adds the nodes that compute it to an
ONNX graph (see ``sknn.export.onnx.Graph``) and returns their output's name;
``bound = (slope, offset)`` promises ``|f(z)| <= slope * |z| + offset``, which
lets training prove outputs finite without a pass over the data.

To add an activation, write its function and derivative and register an
:class:`Activation` in :data:`ACTIVATIONS`; the estimators, their validation,
their documentation, the command line and the ONNX export then offer it.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit, ndtr

from . import _kernels
from .registry import Registry

__all__ = ["ACTIVATIONS", "OUTPUT_ACTIVATIONS", "Activation"]

_LEAKY_SLOPE = 0.01
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT_2PI = 0.3989422804014327


def _add_bias(Z, b, check_finite):
    """``Z += b``; whether the sum is finite (True without ``check_finite``)."""
    Z += b
    return bool(np.isfinite(Z).all()) if check_finite else True


@dataclass(frozen=True)
class Activation:
    """An activation ``f`` and its derivative.

    Attributes
    ----------
    name : str
    function : callable ``(Z) -> None``
        Applies ``f`` in place.
    derivative : callable ``(A, delta, Z) -> None``
        ``delta *= f'(Z)`` in place; ``A = f(Z)``.
    needs_preactivation : bool
        True when ``derivative`` needs ``Z`` (it cannot be recovered from ``A``).
    with_bias : callable ``(Z, b, check_finite) -> bool`` or None
        ``Z = f(Z + b)`` in place, in one pass, returning whether ``Z + b``
        was finite; None adds ``b`` first, then applies ``function``.
    onnx : callable ``(graph, z) -> str`` or None
        Adds ``f`` to an ONNX graph; None where it has no ONNX form (the
        export then says so).
    bound : tuple of float or None
        ``(slope, offset)`` with ``|f(z)| <= slope * |z| + offset`` for every
        ``z``; None where no such bound is known (training then checks the
        outputs with a forward pass where it needs them finite).

    Examples
    --------
    >>> import numpy as np
    >>> def square(Z):
    ...     Z *= Z
    >>> def square_derivative(A, delta, Z):
    ...     delta *= 2 * Z
    >>> act = Activation("square", square, square_derivative, needs_preactivation=True)
    >>> Z = np.array([[1.0, -2.0]])
    >>> act.apply_with_bias(Z, np.array([1.0, 0.0]))
    True
    >>> Z
    array([[4., 4.]])
    """

    name: str
    function: Callable
    derivative: Callable | None
    needs_preactivation: bool = False
    with_bias: Callable | None = None
    onnx: Callable | None = None
    bound: tuple | None = None

    def apply_with_bias(self, Z, b, check_finite=False):
        """``Z = f(Z + b)`` in place, ``b`` broadcast over the rows.

        Returns whether every ``Z + b`` was finite (True without
        ``check_finite``, unless a fused loop checked it for free).
        """
        if self.with_bias is not None:
            return self.with_bias(Z, b, check_finite)
        finite = _add_bias(Z, b, check_finite)
        self.function(Z)
        return finite


# identity -----------------------------------------------------------------
def _identity(Z):
    pass


def _identity_derivative(A, delta, Z=None):
    pass


# logistic -----------------------------------------------------------------
def _logistic(Z):
    expit(Z, out=Z)


def _logistic_derivative(A, delta, Z=None):
    delta *= A
    delta -= delta * A  # delta * A * (1 - A) without a second temporary


# tanh ---------------------------------------------------------------------
def _tanh(Z):
    np.tanh(Z, out=Z)


def _tanh_derivative(A, delta, Z=None):
    delta -= delta * (A * A)


# relu ---------------------------------------------------------------------
def _relu(Z):
    np.maximum(Z, 0, out=Z)


@_kernels.accelerated(_kernels.bias_relu)
def _bias_relu(Z, b, check_finite):
    finite = _add_bias(Z, b, check_finite)
    np.maximum(Z, 0, out=Z)
    return finite


@_kernels.accelerated(_kernels.relu_derivative)
def _relu_derivative_of_output(A, delta):
    np.multiply(delta, A > 0, out=delta)


def _relu_derivative(A, delta, Z=None):
    _relu_derivative_of_output(A, delta)


# leaky relu ---------------------------------------------------------------
def _leaky_relu(Z):
    np.maximum(Z, _LEAKY_SLOPE * Z, out=Z)


def _leaky_relu_derivative(A, delta, Z=None):
    delta *= np.where(A > 0, 1.0, _LEAKY_SLOPE).astype(delta.dtype, copy=False)


# elu (alpha = 1) ------------------------------------------------------------
def _elu(Z):
    neg = Z < 0
    Z[neg] = np.expm1(Z[neg])


def _elu_derivative(A, delta, Z=None):
    # f'(z) = 1 for z > 0, exp(z) = A + 1 otherwise.
    neg = A < 0
    delta[neg] *= A[neg] + 1


# selu ---------------------------------------------------------------------
def _selu(Z):
    neg = Z < 0
    Z[neg] = _SELU_ALPHA * np.expm1(Z[neg])
    Z *= _SELU_SCALE


def _selu_derivative(A, delta, Z=None):
    # f'(z) = scale for z > 0, A + scale * alpha otherwise.
    neg = A < 0
    delta[neg] *= A[neg] + _SELU_SCALE * _SELU_ALPHA
    delta[~neg] *= _SELU_SCALE


# softplus -----------------------------------------------------------------
def _softplus(Z):
    np.logaddexp(0, Z, out=Z)


def _softplus_derivative(A, delta, Z=None):
    # f'(z) = sigmoid(z) = 1 - exp(-A)
    delta *= -np.expm1(-A)


# gelu (exact, with the normal CDF) ------------------------------------------
def _gelu(Z):
    Z *= ndtr(Z)


def _gelu_derivative(A, delta, Z):
    # f'(z) = Phi(z) + z * phi(z)
    pdf = np.exp(-0.5 * Z * Z)
    pdf *= _INV_SQRT_2PI * Z
    pdf += ndtr(Z)
    delta *= pdf


# ONNX forms ---------------------------------------------------------------
# onnxruntime has no float64 Elu, Selu or Softplus, and LeakyRelu's and Selu's
# constants would be float32 attributes: those activations are built from
# elementary nodes with constants of the graph's dtype, so float32 and
# float64 graphs compute what sknn does.
def _onnx_node(op_type, **attrs):
    return lambda g, z: g.node(op_type, [z], **attrs)


def _leaky_relu_onnx(g, z):
    return g.node("Max", [z, g.node("Mul", [z, g.const(_LEAKY_SLOPE)])])


def _expm1_below_zero_onnx(g, z):
    """``exp(min(z, 0)) - 1``: the negative branch of elu, 0 for z >= 0."""
    return g.node("Sub", [g.node("Exp", [g.node("Min", [z, g.const(0.0)])]), g.const(1.0)])


def _elu_onnx(g, z):
    return g.node("Add", [g.node("Relu", [z]), _expm1_below_zero_onnx(g, z)])


def _selu_onnx(g, z):
    # scale * z for z > 0, scale * alpha * (exp(z) - 1) otherwise
    return g.node("Add", [
        g.node("Mul", [g.node("Relu", [z]), g.const(_SELU_SCALE)]),
        g.node("Mul", [_expm1_below_zero_onnx(g, z), g.const(_SELU_SCALE * _SELU_ALPHA)]),
    ])


def _softplus_onnx(g, z):
    # max(z, 0) + log(1 + exp(-|z|)): no overflow for large |z|
    tail = g.node("Exp", [g.node("Neg", [g.node("Abs", [z])])])
    return g.node("Add", [g.node("Relu", [z]),
                          g.node("Log", [g.node("Add", [tail, g.const(1.0)])])])


def _gelu_onnx(g, z):
    # the exact form 0.5 * z * (1 + erf(z / sqrt(2))); onnxruntime has no
    # float64 Erf, so float64 graphs take erf in float32 (an error below 1e-7 z)
    scaled = g.node("Mul", [z, g.const(np.sqrt(0.5))])
    if g.proto == g.FLOAT:
        erf = g.node("Erf", [scaled])
    else:
        single = g.node("Cast", [scaled], to=g.FLOAT)
        erf = g.node("Cast", [g.node("Erf", [single])], to=g.proto)
    half_z = g.node("Mul", [z, g.const(0.5)])
    return g.node("Mul", [half_z, g.node("Add", [erf, g.const(1.0)])])


#: Hidden-layer activations, by name. ``'selu'`` is meant to be paired with
#: ``init='lecun_normal'`` (self-normalising networks).
ACTIVATIONS = Registry("activation")
for _activation in (
    Activation("identity", _identity, _identity_derivative, with_bias=_add_bias,
               onnx=lambda g, z: z, bound=(1.0, 0.0)),
    Activation("logistic", _logistic, _logistic_derivative, onnx=_onnx_node("Sigmoid"),
               bound=(0.0, 1.0)),
    Activation("tanh", _tanh, _tanh_derivative, onnx=_onnx_node("Tanh"), bound=(0.0, 1.0)),
    Activation("relu", _relu, _relu_derivative, with_bias=_bias_relu, onnx=_onnx_node("Relu"),
               bound=(1.0, 0.0)),
    Activation("leaky_relu", _leaky_relu, _leaky_relu_derivative, onnx=_leaky_relu_onnx,
               bound=(1.0, 0.0)),
    Activation("elu", _elu, _elu_derivative, onnx=_elu_onnx, bound=(1.0, 1.0)),
    Activation("selu", _selu, _selu_derivative, onnx=_selu_onnx,
               bound=(_SELU_SCALE, _SELU_SCALE * _SELU_ALPHA)),
    Activation("softplus", _softplus, _softplus_derivative, onnx=_softplus_onnx,
               bound=(1.0, 1.0)),
    Activation("gelu", _gelu, _gelu_derivative, needs_preactivation=True, onnx=_gelu_onnx,
               bound=(1.0, 0.0)),
):
    ACTIVATIONS.register(_activation.name, _activation)


# Output activations (inverse links) ---------------------------------------
# Their derivatives are folded into the loss, whose output delta is always
# ``prediction - y`` (see ``_losses``).
def _row_max(Z):
    """Maximum of each row of a 2-D array.

    numpy reduces short rows slowly; a maximum over the few columns (the
    classes) is faster for the row counts of a batch or a chunk.
    """
    if Z.shape[1] > 16 or Z.shape[0] < 32:  # wide rows, or too few for the loop to pay
        return Z.max(axis=1)
    out = Z[:, 0].copy()
    for j in range(1, Z.shape[1]):
        np.maximum(out, Z[:, j], out=out)
    return out


def _row_sum(Z):
    """Sum of each row of a 2-D float array (a BLAS matrix-vector product)."""
    return Z @ np.ones(Z.shape[1], Z.dtype)


@_kernels.accelerated(_kernels.softmax)
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
    Z -= _row_max(Z)[:, None]
    np.exp(Z, out=Z)
    Z /= _row_sum(Z)[:, None]


def _exp(Z):
    # Clip one below log(max): exp(log(max)) rounds up to inf in float32.
    np.exp(np.minimum(Z, np.log(np.finfo(Z.dtype).max) - 1, out=Z), out=Z)


def _exp_onnx(g, z):
    # as _exp: clipped one below log(max) so that exp stays finite
    top = np.log(np.finfo(g.dtype).max) - 1
    return g.node("Exp", [g.node("Min", [z, g.const(top)])])


#: Output activations (inverse links), by scikit-learn's ``out_activation_``
#: name. Their derivatives are folded into the loss (``derivative`` is None).
OUTPUT_ACTIVATIONS = Registry("output activation")
for _activation in (
    Activation("identity", _identity, None, onnx=lambda g, z: z),
    Activation("logistic", _logistic, None, onnx=_onnx_node("Sigmoid")),
    Activation("softmax", softmax, None, onnx=_onnx_node("Softmax", axis=1)),
    Activation("exp", _exp, None, onnx=_exp_onnx),
):
    OUTPUT_ACTIVATIONS.register(_activation.name, _activation)
