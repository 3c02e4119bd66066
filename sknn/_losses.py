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
error but descends the sum, its bug #8349).
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit, xlogy

from ._kernels import softmax_cross_entropy

__all__ = ["LOSSES", "Loss"]


@dataclass(frozen=True)
class Loss:
    """A loss and the output activation it pairs with.

    Attributes
    ----------
    out_activation : str
        scikit-learn's name of the output activation (``out_activation_``).
    loss_and_delta : callable ``(Z, Y) -> ndarray of shape (n_samples,)``
        Per-sample loss; ``Z`` is overwritten with ``out_activation(Z) - Y``.
    """

    out_activation: str
    loss_and_delta: Callable


def _rowsum_product(A, B):
    return np.einsum("ij,ij->i", A, B)


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
    return 0.5 * _rowsum_product(Z, Z)


def _half_poisson_deviance(Z, Y):
    # y log(y / p) - y + p with p = exp(z), summed over outputs
    Z = np.minimum(Z, np.log(np.finfo(Z.dtype).max) / 2, out=Z)
    P = np.exp(Z)
    loss = (xlogy(Y, Y) - Y - Y * Z + P).sum(axis=1)
    np.subtract(P, Y, out=Z)
    return loss


#: Output activation name -> loss.
LOSSES = {
    "softmax": Loss("softmax", softmax_cross_entropy),
    "logistic": Loss("logistic", _logistic_cross_entropy),
    "identity": Loss("identity", _half_squared_error),
    "exp": Loss("exp", _half_poisson_deviance),
}
