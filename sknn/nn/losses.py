"""Losses paired with their output activation.

Each loss takes the raw output ``Z`` of the last layer (before the output
activation), turns it in place into the gradient of the per-sample loss with
respect to ``Z`` (the output delta), and returns the per-sample loss. For the
canonical pairs (log-loss with softmax or logistic, squared error with the
identity, Poisson deviance with exp) the delta is ``P - Y`` with ``P =
out_activation(Z)``. Working from the raw output lets every loss be computed
stably (log-sum-exp, ``logaddexp``), without clipping probabilities.

Per-sample losses sum over outputs: multi-output squared error is
``0.5 * sum_k (p_k - y_k) ** 2``, multilabel log-loss sums the binary losses
of the labels. The output delta is then the exact gradient of the reported
loss (scikit-learn instead reports the mean over outputs for squared error but
descends the sum, `scikit-learn#8349
<https://github.com/scikit-learn/scikit-learn/issues/8349>`_).

Losses are registered under scikit-learn's names (HistGradientBoosting's
for the robust ones); the regression ones are the choices of
``MLPRegressor(loss=...)``, which also takes an instance
(``loss=Huber(delta=0.5)``). A loss is a component: its constructor declares
its parameters.
"""

from numbers import Real

import numpy as np
from scipy.special import expit, xlogy

from . import _kernels
from .activations import _row_max, _row_sum
from .component import Component, Interval
from .registry import Registry

__all__ = ["LOSSES", "Loss"]


class Loss(Component):
    """Base class: a per-sample loss and the output activation it pairs with.

    Attributes
    ----------
    out_activation : str
        scikit-learn's name of the output activation (``out_activation_``),
        a key of ``OUTPUT_ACTIVATIONS``.
    regression : bool
        Whether ``MLPRegressor`` offers it (the others serve the classifier).
    """

    out_activation = "identity"
    regression = True

    def loss_and_delta(self, Z, Y):
        """Per-sample loss, shape ``(n_samples,)``; ``Z`` becomes the gradient
        of each sample's loss with respect to ``Z``."""
        raise NotImplementedError


LOSSES = Registry("loss")


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


@LOSSES.register("log_loss")
class LogLoss(Loss):
    """Categorical cross-entropy of a softmax output."""

    out_activation, regression = "softmax", False

    def loss_and_delta(self, Z, Y):
        return softmax_cross_entropy(Z, Y)


@LOSSES.register("binary_log_loss")
class BinaryLogLoss(Loss):
    """Binary cross-entropy of each logistic output (binary and multilabel)."""

    out_activation, regression = "logistic", False

    def loss_and_delta(self, Z, Y):
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


@LOSSES.register("squared_error")
class SquaredError(Loss):
    """Half the squared error, ``0.5 * sum_k (z_k - y_k) ** 2``."""

    def loss_and_delta(self, Z, Y):
        Z -= Y
        return 0.5 * np.einsum("ij,ij->i", Z, Z)


@LOSSES.register("poisson")
class Poisson(Loss):
    """Half the Poisson deviance with a log link: ``y log(y / p) - y + p``,
    ``p = exp(z)``."""

    out_activation = "exp"

    def loss_and_delta(self, Z, Y):
        Z = np.minimum(Z, np.log(np.finfo(Z.dtype).max) / 2, out=Z)
        P = np.exp(Z)
        loss = (xlogy(Y, Y) - Y - Y * Z + P).sum(axis=1)
        np.subtract(P, Y, out=Z)
        return loss


@LOSSES.register("absolute_error")
class AbsoluteError(Loss):
    """``sum_k |z_k - y_k|``: the conditional median. Its gradient is the sign
    of the residual (0 where it is 0)."""

    def loss_and_delta(self, Z, Y):
        Z -= Y
        loss = np.abs(Z).sum(axis=1)
        np.sign(Z, out=Z)
        return loss


@LOSSES.register("huber")
class Huber(Loss):
    """Squared near the target, absolute beyond ``delta``: ``0.5 r ** 2``
    for ``|r| <= delta``, else ``delta * (|r| - delta / 2)``,
    ``r = z - y`` (PyTorch's and Keras' Huber loss with ``delta``).

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([[0.5], [3.0]])
    >>> Huber(delta=1.0).loss_and_delta(Z, np.zeros((2, 1))), Z.ravel()
    (array([0.125, 2.5  ]), array([0.5, 1. ]))
    """

    _constraints = {"delta": Interval(Real, 0, None, "neither")}

    def __init__(self, delta=1.0):
        self.delta = delta

    def loss_and_delta(self, Z, Y):
        delta = Z.dtype.type(self.delta)
        Z -= Y
        r = np.abs(Z)
        loss = np.where(r <= delta, 0.5 * Z * Z, delta * (r - 0.5 * delta)).sum(axis=1)
        np.clip(Z, -delta, delta, out=Z)
        return loss


@LOSSES.register("quantile")
class Quantile(Loss):
    """The pinball loss of the ``quantile`` q: ``q r`` for ``r = y - z >= 0``,
    ``(q - 1) r`` otherwise; its minimiser is the conditional q-quantile.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([[0.0], [2.0]])
    >>> Quantile(quantile=0.9).loss_and_delta(Z, np.ones((2, 1))), Z.ravel()
    (array([0.9, 0.1]), array([-0.9,  0.1]))
    """

    _constraints = {"quantile": Interval(Real, 0, 1, "neither")}

    def __init__(self, quantile=0.5):
        self.quantile = quantile

    def loss_and_delta(self, Z, Y):
        q = Z.dtype.type(self.quantile)
        np.subtract(Y, Z, out=Z)  # the residual r = y - z
        below = Z < 0
        loss = (Z * (q - below)).sum(axis=1)
        Z[...] = below
        Z -= q  # d loss / d z: -q where r >= 0, 1 - q where r < 0
        return loss
