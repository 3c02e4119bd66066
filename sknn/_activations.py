"""Activations: each function beside its derivative.

Every activation works in place on a 2-D array. Derivatives are written in
terms of the layer *output* ``A = f(Z)`` (as scikit-learn does), so the forward
cache only needs activations. The one exception is GELU, which is not
invertible: it sets ``needs_preactivation`` and also receives ``Z``.

``derivative(A, delta, Z)`` multiplies ``delta`` (the gradient with respect to
``A``) in place by ``f'(Z)``, turning it into the gradient with respect to ``Z``.

To add an activation, write its function and derivative and register an
:class:`Activation` in :data:`ACTIVATIONS`; the estimators, their validation,
their documentation and the command line then offer it.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit, ndtr

from . import _kernels
from ._registry import Registry

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
    """

    name: str
    function: Callable
    derivative: Callable
    needs_preactivation: bool = False
    with_bias: Callable | None = None

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


#: Hidden-layer activations, by name. ``'selu'`` is meant to be paired with
#: ``init='lecun_normal'`` (self-normalising networks).
ACTIVATIONS = Registry("activation")
for _activation in (
    Activation("identity", _identity, _identity_derivative, with_bias=_add_bias),
    Activation("logistic", _logistic, _logistic_derivative),
    Activation("tanh", _tanh, _tanh_derivative),
    Activation("relu", _relu, _relu_derivative, with_bias=_bias_relu),
    Activation("leaky_relu", _leaky_relu, _leaky_relu_derivative),
    Activation("elu", _elu, _elu_derivative),
    Activation("selu", _selu, _selu_derivative),
    Activation("softplus", _softplus, _softplus_derivative),
    Activation("gelu", _gelu, _gelu_derivative, needs_preactivation=True),
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


#: Output activations, by scikit-learn's ``out_activation_`` name.
OUTPUT_ACTIVATIONS = Registry("output activation")
OUTPUT_ACTIVATIONS.register("identity", _identity)
OUTPUT_ACTIVATIONS.register("logistic", _logistic)
OUTPUT_ACTIVATIONS.register("softmax", softmax)
OUTPUT_ACTIVATIONS.register("exp", _exp)
