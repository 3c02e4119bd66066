"""Weight penalties, added to the mean loss of each (mini)batch::

    Omega = alpha / (2 m) * sum over penalised weights of [rho * |w| + (1 - rho) * w ** 2]
          + feature_alpha / (2 m) * sum over input features f of ||coefs_[0][f, :]||

with ``rho = 0`` for ``'l2'`` (scikit-learn's ``alpha``), ``rho = 1`` for
``'l1'`` and ``rho = l1_ratio`` for ``'elasticnet'``; ``m`` is the number of
samples of the batch (the sum of their weights when weighted). Which
parameters are penalised is a property of the layers: the weights of dense
layers, never their intercepts. The second term, a group lasso, penalises
each input feature's outgoing weights (a row of the first layer's weights) as
a whole, so that unused features lose all their weights.

How each term reaches the optimizer:

- the L2 part, whose gradient ``alpha (1 - rho) / m * w`` is linear in the
  weights, is handed to ``Optimizer.step`` as a decay that every optimizer
  applies (fused into its own pass where a compiled loop exists);
- the L1 part and the group term are not differentiable at zero, and a
  (sub)gradient step never lands on zero. The stochastic solvers take a
  proximal step after each update instead (proximal gradient descent; Parikh
  and Boyd, *Proximal Algorithms*, 2014): each weight is soft-thresholded by
  its step size times the L1 coefficient, ``w = sign(w) max(|w| - t, 0)``,
  and each feature's row shrunk as a block, ``coefs_[0][f] *= max(0, 1 - t_f /
  ||coefs_[0][f]||)``. Weights that reach zero stay there until the data's gradient
  outweighs the penalty. For SGD the step size is the learning rate; for the
  adaptive solvers (Adam, RMSprop, Adagrad, AdamW) it is their per-weight
  step, which makes the proximal step the one of their metric (as in
  proximal Adam, Yun et al., 2021).
- L-BFGS handles the L1 part exactly with the split ``w = w+ - w-``,
  ``w+, w- >= 0``: the penalty becomes linear and L-BFGS-B's bounds put
  weights exactly at zero (Andrew and Gao, 2007, discuss the same objective;
  scikit-learn's ``SGDClassifier(penalty='l1')`` uses Tsuruoka et al.'s
  cumulative penalty instead).
"""

import numpy as np

from . import _kernels
from ._registry import Registry

__all__ = ["NO_PENALTY", "PENALTIES", "Penalty", "add_l2_gradient", "soft_threshold"]


@_kernels.accelerated(_kernels.l2_gradient)
def add_l2_gradient(w, grad, c):
    """``grad += c * w`` in place; returns ``sum(w ** 2)``.

    ``c`` has the dtype of ``w``.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.zeros(2)
    >>> add_l2_gradient(np.array([1.0, -2.0]), g, 0.5)
    5.0
    >>> g
    array([ 0.5, -1. ])
    """
    grad += w * c
    # einsum, not np.dot: OpenBLAS threads a dot product this long, and waking
    # its idle worker for every mini-batch costs more than the sum
    # (benchmarks/README.md).
    return float(np.einsum("i,i->", w, w))


def soft_threshold(w, threshold):
    """``w = sign(w) * max(|w| - threshold, 0)`` in place.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([0.5, -0.05, -2.0])
    >>> soft_threshold(w, 0.1)
    >>> w
    array([ 0.4, -0. , -1.9])
    """
    shrunk = np.abs(w)
    shrunk -= threshold
    np.maximum(shrunk, 0.0, out=shrunk)
    np.copysign(shrunk, w, out=w)


class Penalty:
    """``alpha / (2 m) * sum(rho * |w| + (1 - rho) * w ** 2)`` plus the
    feature group lasso ``feature_alpha / (2 m) * sum_f ||coefs_[0][f, :]||``.

    Parameters
    ----------
    alpha : float
        Strength.
    rho : float
        Share of the L1 part, in [0, 1].
    feature_alpha : float, default=0.0
        Strength of the group lasso on the first layer's rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn._losses import LOSSES
    >>> from sknn._network import Network, dense_stack
    >>> net = Network(dense_stack([2, 1], "relu"), LOSSES["squared_error"](), np.float64)
    >>> net.params[:] = [1.0, -2.0, 0.0]       # two weights, one intercept
    >>> Penalty(alpha=2.0, rho=0.5).add_gradient(net, m=2.0)
    2.0
    >>> net.grad
    array([ 0.75, -1.25,  0.  ])
    """

    def __init__(self, alpha, rho, feature_alpha=0.0):
        self.alpha, self.rho = float(alpha), float(rho)
        self.l1 = self.alpha * self.rho  # sum |w| is weighted l1 / (2 m)
        self.l2 = self.alpha * (1.0 - self.rho)  # sum w ** 2 is weighted l2 / (2 m)
        self.feature = float(feature_alpha)  # sum_f ||coefs_[0][f]|| is weighted feature / (2 m)

    def smooth(self):
        """The differentiable part, the L2 term (for L-BFGS, which handles
        the L1 part with bounds)."""
        return Penalty(self.l2, 0.0)

    def _nonsmooth_value(self, w, first_weights, m):
        value = self.l1 / (2.0 * m) * float(np.abs(w).sum()) if self.l1 else 0.0
        if self.feature:
            value += self.feature / (2.0 * m) * float(np.linalg.norm(first_weights, axis=1).sum())
        return value

    def add_gradient(self, network, m):
        """Add the penalty's (sub)gradient to ``network.grad``; return its value.

        ``m`` is the batch's sample count (or weight). The L1 part uses the
        subgradient ``sign(w)`` (0 at 0), the group term ``coefs_[0][f] / ||coefs_[0][f]||``
        (0 for a row of zeros).
        """
        k = network.n_penalised
        w, grad = network.params[:k], network.grad[:k]
        value = self._nonsmooth_value(w, network.layers[0].coef, m)
        if self.l1:
            grad += self.l1 / (2.0 * m) * np.sign(w)
        if self.feature:
            rows = network.layers[0].coef
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            network.layers[0].coef_grad += self.feature / (2.0 * m) * np.divide(
                rows, norms, out=np.zeros_like(rows), where=norms > 0)
        if self.l2:
            decay = self.l2 / m
            value += 0.5 * decay * add_l2_gradient(w, grad, w.dtype.type(decay))
        return value

    def step(self, optimizer, network, m):
        """One optimizer step on ``network``'s parameters for the penalised
        objective; returns the penalty's value before the step.

        ``network.grad`` holds the gradient of the batch's mean loss; ``m`` is
        the batch's sample count (or weight), 0 for a batch of zero weight
        (then no penalty). The L2 part joins the gradient as the optimizer's
        decay, the L1 and group parts are proximal steps after the update.
        """
        k = network.n_penalised
        if not m > 0:
            optimizer.step(network.params, network.grad)
            return 0.0
        w, first_weights = network.params[:k], network.layers[0].coef
        value = self._nonsmooth_value(w, first_weights, m) if self.l1 or self.feature else 0.0
        decay = self.l2 / m if self.l2 else 0.0
        squares = optimizer.step(network.params, network.grad, decay, k)
        if self.l1:
            soft_threshold(w, optimizer.step_sizes(k) * (self.l1 / (2.0 * m)))
        if self.feature:
            steps = np.broadcast_to(optimizer.step_sizes(first_weights.size),
                                    (first_weights.size,)).reshape(first_weights.shape)
            _shrink_rows(first_weights, steps, self.feature / (2.0 * m))
        return value + 0.5 * decay * squares


def _shrink_rows(W, steps, strength):
    """The group-lasso proximal step on each row of ``W``, in place.

    With per-weight step sizes ``s``, a row ``z`` is set to zero when
    ``||z / s|| <= strength`` (the proximal map's exact condition, which at
    ``z = -s * g`` is the group's optimality condition ``||g|| <= strength``)
    and otherwise scaled by ``1 - strength / ||z / s||``; with equal steps
    this is the exact block soft-threshold ``max(0, 1 - s strength / ||z||)``.
    Weights whose step is huge (no gradient so far) weigh nothing in it.
    """
    scaled = np.linalg.norm(W / steps, axis=1)
    scale = np.divide(strength, scaled, out=np.ones_like(scaled), where=scaled > 0)
    np.subtract(1.0, scale, out=scale)
    np.maximum(scale, 0.0, out=scale)
    W *= scale[:, None]


#: No penalty (``penalty=None``, or ``alpha=0``).
NO_PENALTY = Penalty(0.0, 0.0)

PENALTIES = Registry("penalty")


@PENALTIES.register("l2")
class L2(Penalty):
    """``alpha / (2 m) * sum(w ** 2)``: scikit-learn's ``alpha``."""

    def __init__(self, alpha, feature_alpha=0.0):
        super().__init__(alpha, 0.0, feature_alpha)


@PENALTIES.register("l1")
class L1(Penalty):
    """``alpha / (2 m) * sum(|w|)``."""

    def __init__(self, alpha, feature_alpha=0.0):
        super().__init__(alpha, 1.0, feature_alpha)


@PENALTIES.register("elasticnet")
class ElasticNet(Penalty):
    """``alpha / (2 m) * sum(l1_ratio * |w| + (1 - l1_ratio) * w ** 2)``."""

    def __init__(self, alpha, l1_ratio=0.15, feature_alpha=0.0):
        super().__init__(alpha, l1_ratio, feature_alpha)
