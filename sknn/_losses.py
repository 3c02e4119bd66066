"""Losses paired with their output activation (canonical links).

Each loss takes the raw output ``Z`` of the last layer (before the output
activation), turns it in place into the output delta ``P - Y`` (where
``P = out_activation(Z)``), and returns the per-sample loss. Working from the
raw output lets every loss be computed stably (log-sum-exp, ``logaddexp``),
without clipping probabilities.

Per-sample losses sum over outputs: multi-output squared error is
``0.5 * sum_k (p_k - y_k) ** 2``, multilabel log-loss sums the binary losses
of the labels. The output delta ``P - Y`` is then the exact gradient of the
reported loss (scikit-learn instead reports the mean over outputs for squared
error but descends the sum, `scikit-learn#8349
<https://github.com/scikit-learn/scikit-learn/issues/8349>`_).

Losses are registered under scikit-learn's names (its ``LOSS_FUNCTIONS``);
the regression ones are the choices of ``MLPRegressor(loss=...)``.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit, xlogy

from . import _kernels
from ._activations import _row_max, _row_sum
from ._registry import Registry

__all__ = ["LOSSES", "Loss"]


@dataclass(frozen=True)
class Loss:
    """A loss and the output activation it pairs with.

    Attributes
    ----------
    out_activation : str
        scikit-learn's name of the output activation (``out_activation_``),
        a key of ``OUTPUT_ACTIVATIONS``.
    loss_and_delta : callable ``(Z, Y) -> ndarray of shape (n_samples,)``
        Per-sample loss; ``Z`` is overwritten with ``out_activation(Z) - Y``.
    regression : bool
        Whether ``MLPRegressor`` offers it (the others serve the classifier).
    """

    out_activation: str
    loss_and_delta: Callable
    regression: bool


@_kernels.accelerated(_kernels.softmax_cross_entropy)
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
    Z -= _row_max(Z)[:, None]
    loss = -np.einsum("ij,ij->i", Y, Z)
    np.exp(Z, out=Z)
    norm = _row_sum(Z)
    loss += np.log(norm) * _row_sum(Y)
    Z /= norm[:, None]
    Z -= Y
    return loss


def _logistic_cross_entropy(Z, Y):
    # log(1 + exp(z)) - y z, summed over labels, per label as
    # max(z, 0) - y z + log(1 + exp(-|z|)): no cancellation of two large
    # terms (float32 lost 3 digits at logits of 1e4).
    loss = np.maximum(Z, 0)
    loss -= Y * Z
    tail = np.abs(Z)
    np.negative(tail, out=tail)
    np.exp(tail, out=tail)
    np.log1p(tail, out=tail)
    loss += tail
    loss = loss.sum(axis=1)
    expit(Z, out=Z)
    Z -= Y
    return loss


def _half_squared_error(Z, Y):
    Z -= Y
    return 0.5 * np.einsum("ij,ij->i", Z, Z)


def _half_poisson_deviance(Z, Y):
    # y log(y / p) - y + p with p = exp(z), summed over outputs
    Z = np.minimum(Z, np.log(np.finfo(Z.dtype).max) / 2, out=Z)
    P = np.exp(Z)
    loss = (xlogy(Y, Y) - Y - Y * Z + P).sum(axis=1)
    np.subtract(P, Y, out=Z)
    return loss


#: scikit-learn's loss name -> loss.
LOSSES = Registry("loss")
LOSSES.register("log_loss", Loss("softmax", softmax_cross_entropy, regression=False))
LOSSES.register("binary_log_loss", Loss("logistic", _logistic_cross_entropy, regression=False))
LOSSES.register("squared_error", Loss("identity", _half_squared_error, regression=True))
LOSSES.register("poisson", Loss("exp", _half_poisson_deviance, regression=True))
