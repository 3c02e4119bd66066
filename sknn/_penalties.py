"""Weight penalties, added to the mean loss of each (mini)batch::

    Omega = alpha / (2 m) * sum over penalised weights of [rho * |w| + (1 - rho) * w ** 2]

with ``rho = 0`` for ``'l2'`` (scikit-learn's ``alpha``), ``rho = 1`` for
``'l1'`` and ``rho = l1_ratio`` for ``'elasticnet'``; ``m`` is the number of
samples of the batch (the sum of their weights when weighted). Which
parameters are penalised is a property of the layers: the weights of dense
layers, never their intercepts. At ``w = 0`` the L1 part uses the subgradient
0 (``sign(0)``).

The penalty reaches every stochastic optimizer through one mechanism,
:meth:`Penalty.step`: the L1 part joins the gradient, and the L2 part, whose
gradient ``alpha (1 - rho) / m * w`` is linear in the weights, is handed to
``Optimizer.step`` as a decay that every optimizer applies (fused into its
own pass over the parameters where a compiled loop exists). L-BFGS adds the
whole gradient with :meth:`Penalty.add_gradient`.
"""

import numpy as np

from . import _kernels
from ._registry import Registry

__all__ = ["NO_PENALTY", "PENALTIES", "Penalty", "add_l2_gradient"]


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


class Penalty:
    """``alpha / (2 m) * sum(rho * |w| + (1 - rho) * w ** 2)``.

    Parameters
    ----------
    alpha : float
        Strength.
    rho : float
        Share of the L1 part, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0]); g = np.zeros(2)
    >>> Penalty(alpha=2.0, rho=0.5).add_gradient(w, g, m=2.0)
    2.0
    >>> g
    array([ 0.75, -1.25])
    """

    def __init__(self, alpha, rho):
        self.alpha, self.rho = float(alpha), float(rho)
        self.l1 = self.alpha * self.rho  # sum |w| is weighted l1 / (2 m)
        self.l2 = self.alpha * (1.0 - self.rho)  # sum w ** 2 is weighted l2 / (2 m)

    def _add_l1_gradient(self, w, grad, m):
        if not self.l1:
            return 0.0
        scale = self.l1 / (2.0 * m)
        grad += scale * np.sign(w)
        return scale * float(np.abs(w).sum())

    def add_gradient(self, w, grad, m):
        """Add the penalty's gradient to ``grad`` in place; return its value.

        ``w`` and ``grad`` are the penalised parameters and their gradient;
        ``m`` is the batch's sample count (or weight).
        """
        value = self._add_l1_gradient(w, grad, m)
        if self.l2:
            decay = self.l2 / m
            value += 0.5 * decay * add_l2_gradient(w, grad, w.dtype.type(decay))
        return value

    def step(self, optimizer, network, m):
        """One optimizer step on ``network``'s parameters with the penalty
        added to the gradient of its penalised ones; returns the penalty's
        value before the step.

        ``network.grad`` holds the gradient of the batch's mean loss; ``m`` is
        the batch's sample count (or weight), 0 for a batch of zero weight
        (then no penalty).
        """
        k = network.n_penalised
        value = self._add_l1_gradient(network.params[:k], network.grad[:k], m) if m > 0 else 0.0
        decay = self.l2 / m if self.l2 and m > 0 else 0.0
        squares = optimizer.step(network.params, network.grad, decay, k)
        return value + 0.5 * decay * squares


#: No penalty (``penalty=None``, or ``alpha=0``).
NO_PENALTY = Penalty(0.0, 0.0)

PENALTIES = Registry("penalty")


@PENALTIES.register("l2")
class L2(Penalty):
    """``alpha / (2 m) * sum(w ** 2)``: scikit-learn's ``alpha``."""

    def __init__(self, alpha):
        super().__init__(alpha, 0.0)


@PENALTIES.register("l1")
class L1(Penalty):
    """``alpha / (2 m) * sum(|w|)``."""

    def __init__(self, alpha):
        super().__init__(alpha, 1.0)


@PENALTIES.register("elasticnet")
class ElasticNet(Penalty):
    """``alpha / (2 m) * sum(l1_ratio * |w| + (1 - l1_ratio) * w ** 2)``."""

    def __init__(self, alpha, l1_ratio=0.15):
        super().__init__(alpha, l1_ratio)
