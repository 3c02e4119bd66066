"""Regularizers: penalties attached to parameters, added to the mean loss of
each (mini)batch of ``m`` samples (the sum of their weights when weighted)::

    ElasticNet(alpha, l1_ratio):  alpha / (2 m) * sum(l1_ratio * |w| + (1 - l1_ratio) * w ** 2)
    L2(alpha):                    alpha / (2 m) * sum(w ** 2)        (scikit-learn's alpha)
    L1(alpha):                    alpha / (2 m) * sum(|w|)
    GroupLasso(alpha):            alpha / (2 m) * sum over rows f of ||W[f, :]||

A layer declares which of its parameters carry which regularizers (Keras'
``kernel_regularizer``); the estimators put their ``penalty`` on every dense
layer's weights, never on intercepts, and ``feature_alpha``'s group lasso on
the first layer's weights, whose rows are the input features, so that
unused features lose all their weights.

Each regularizer splits into a smooth and a non-smooth part:

- the smooth part (the L2 term) adds its gradient to the parameters'
  gradient before the optimizer steps (:meth:`Regularizer.smooth`). Where
  it is ``decay * w`` (:meth:`Regularizer.decay`) on the weights at the
  start of the flat vector, the optimizer's step adds it instead, folded
  into its compiled loop's single pass (``Optimizer.step``);
- the non-smooth parts (the L1 term, the group lasso) are not differentiable
  at zero, and a (sub)gradient step never lands on zero. The stochastic
  solvers take a proximal step after each update instead (proximal gradient
  descent; Parikh and Boyd, *Proximal Algorithms*, 2014): each weight is
  soft-thresholded by its step size times the L1 coefficient,
  ``w = sign(w) max(|w| - t, 0)``, and each row shrunk as a block,
  ``W[f] *= max(0, 1 - t_f / ||W[f]||)``. Weights that reach zero stay there
  until the data's gradient outweighs the penalty. For SGD the step size is
  the learning rate; for the adaptive optimizers it is their per-weight
  step, which makes the proximal step the one of their metric (as in
  proximal Adam, Yun et al., 2021).
- L-BFGS handles an L1 part exactly with the split ``w = w+ - w-``,
  ``w+, w- >= 0`` (:meth:`Regularizer.l1_coefficient`): the penalty becomes
  linear and L-BFGS-B's bounds put weights exactly at zero (Andrew and Gao,
  2007, discuss the same objective). The group lasso has no such form and
  needs a stochastic solver.

To add a regularizer, subclass :class:`Regularizer` and register it in
:data:`REGULARIZERS`; its name becomes a valid ``penalty``.
"""

from numbers import Real

import numpy as np

from . import _kernels
from .component import Component, Interval
from .registry import Registry

__all__ = [
    "REGULARIZERS",
    "ElasticNet",
    "GroupLasso",
    "L1",
    "L2",
    "Regularizer",
    "add_l2_gradient",
    "soft_threshold",
]


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


class Regularizer(Component):
    """Base class: a penalty on the parameters it is attached to.

    ``m`` is the batch's sample count (or weight). Every method receives the
    parameter's values ``w`` (and gradient ``grad``) as arrays, a flat one
    where the network joined several parameters that carry the same
    element-wise regularizer.

    Attributes
    ----------
    elementwise : bool
        Whether the penalty is a sum over single values, so that parameters
        carrying it can be joined into one flat vector (False for penalties
        of groups of values, such as rows).
    """

    elementwise = True

    def decay(self, m):
        """``c`` when the smooth part is ``c / 2 * sum(w ** 2)`` (its gradient
        ``c * w``, which an optimizer's step can fold in); 0 without a smooth
        part; None for another form (then :meth:`smooth` must add it)."""
        return 0.0

    def smooth(self, w, grad, m):
        """Add the smooth part's gradient to ``grad`` in place; return its value."""
        c = self.decay(m)
        if not c:
            return 0.0
        return 0.5 * c * add_l2_gradient(w, grad, w.dtype.type(c))

    @property
    def proximal(self):
        """Whether it takes a proximal step (it has a non-smooth part)."""
        return False

    def nonsmooth(self, w, m):
        """The value of the non-smooth part at ``w``."""
        return 0.0

    def proximal_step(self, w, steps, m):
        """The proximal step of the non-smooth part, in place, with step sizes
        ``steps`` (a scalar or one per value of ``w``)."""

    def l1_coefficient(self, m):
        """``c`` such that the non-smooth part is ``c * sum(|w|)`` (0 when
        there is none), for L-BFGS; None when it has another form."""
        return 0.0


class ElasticNet(Regularizer):
    """``alpha / (2 m) * sum(l1_ratio * |w| + (1 - l1_ratio) * w ** 2)``.

    Parameters
    ----------
    alpha : float, default=0.0001
    l1_ratio : float, default=0.15
        The L1 share, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> w, grad = np.array([1.0, -2.0]), np.zeros(2)
    >>> reg = ElasticNet(alpha=2.0, l1_ratio=0.5)
    >>> reg.nonsmooth(w, m=2.0) + reg.smooth(w, grad, m=2.0)   # 0.5 * (1.5 + 2.5)
    2.0
    >>> grad  # the L2 part's gradient; the L1 part is a proximal step
    array([ 0.5, -1. ])
    >>> reg.proximal_step(w, steps=1.0, m=2.0); w
    array([ 0.75, -1.75])
    """

    _constraints = {"alpha": Interval(Real, 0, None, "left"),
                    "l1_ratio": Interval(Real, 0, 1, "both")}

    def __init__(self, alpha=0.0001, l1_ratio=0.15):
        self.alpha = alpha
        self.l1_ratio = l1_ratio

    def _parts(self):
        """The weights of ``sum|w|`` and of ``sum w ** 2``, each over ``2 m``."""
        return self.alpha * self.l1_ratio, self.alpha * (1.0 - self.l1_ratio)

    def decay(self, m):
        l2 = self._parts()[1]
        return l2 / m if l2 else 0.0

    @property
    def proximal(self):
        return bool(self._parts()[0])

    def nonsmooth(self, w, m):
        l1 = self._parts()[0]
        return l1 / (2.0 * m) * float(np.abs(w).sum()) if l1 else 0.0

    def proximal_step(self, w, steps, m):
        l1 = self._parts()[0]
        if l1:
            soft_threshold(w, steps * (l1 / (2.0 * m)))

    def l1_coefficient(self, m):
        return self._parts()[0] / (2.0 * m)


class L2(ElasticNet):
    """``alpha / (2 m) * sum(w ** 2)``: scikit-learn's ``alpha``.

    Parameters
    ----------
    alpha : float, default=0.0001
    """

    _constraints = {"alpha": Interval(Real, 0, None, "left")}

    def __init__(self, alpha=0.0001):
        self.alpha = alpha

    def _parts(self):
        return 0.0, self.alpha


class L1(ElasticNet):
    """``alpha / (2 m) * sum(|w|)``: exact zeros.

    Parameters
    ----------
    alpha : float, default=0.0001
    """

    _constraints = {"alpha": Interval(Real, 0, None, "left")}

    def __init__(self, alpha=0.0001):
        self.alpha = alpha

    def _parts(self):
        return self.alpha, 0.0


class GroupLasso(Regularizer):
    """``alpha / (2 m) * sum_f ||W[f, :]||``: the rows of a weight matrix as
    groups, each kept or removed as a whole (on the first layer's weights,
    the input features).

    Parameters
    ----------
    alpha : float, default=1.0

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[3.0, 4.0], [0.3, 0.4]])
    >>> GroupLasso(alpha=2.0).nonsmooth(W, m=1.0)
    5.5
    >>> GroupLasso(alpha=2.0).proximal_step(W, steps=1.0, m=1.0); W
    array([[2.4, 3.2],
           [0. , 0. ]])
    """

    elementwise = False
    _constraints = {"alpha": Interval(Real, 0, None, "left")}

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    @property
    def proximal(self):
        return bool(self.alpha)

    def nonsmooth(self, w, m):
        if not self.alpha:
            return 0.0
        return self.alpha / (2.0 * m) * float(np.linalg.norm(w, axis=1).sum())

    def proximal_step(self, w, steps, m):
        if self.alpha:
            steps = np.broadcast_to(steps, (w.size,)).reshape(w.shape)
            _shrink_rows(w, steps, self.alpha / (2.0 * m))

    def l1_coefficient(self, m):
        return 0.0 if not self.alpha else None


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


REGULARIZERS = Registry("penalty")
REGULARIZERS.register("l2", L2)
REGULARIZERS.register("l1", L1)
REGULARIZERS.register("elasticnet", ElasticNet)
