"""Weight penalties: value and gradient, by name.

The seed's formula, added to the mean loss of each (mini)batch::

    Omega = alpha / (2 m) * sum over weights of [rho * |w| + (1 - rho) * w ** 2]

with ``rho = 0`` for ``'l2'`` (scikit-learn's ``alpha``), ``rho = 1`` for
``'l1'`` and ``rho = l1_ratio`` for ``'elasticnet'``; ``m`` is the number of
samples of the batch (the sum of their weights when weighted). Only weights
are penalised, never intercepts. At ``w = 0`` the L1 part uses the
subgradient 0 (``sign(0)``).

A penalty is ``penalize(w, grad, scale, l1_ratio) -> value`` that adds
``scale * dOmega/dw`` to ``grad`` in place and returns ``scale * Omega`` where
``scale = alpha / (2 m)`` and ``Omega`` is the bracket above, summed.
"""

import numpy as np

from ._kernels import l2_penalty

__all__ = ["PENALTIES", "l2_share", "penalize"]

#: Penalty name -> its L1 share ``rho`` as a function of ``l1_ratio``.
PENALTIES = {
    "l2": lambda l1_ratio: 0.0,
    "l1": lambda l1_ratio: 1.0,
    "elasticnet": lambda l1_ratio: float(l1_ratio),
}


def l2_share(penalty, l1_ratio=0.15):
    """The weight ``1 - rho`` of the squared part of a penalty (0 for None).

    Examples
    --------
    >>> l2_share("elasticnet", 0.25), l2_share("l1"), l2_share(None)
    (0.75, 0.0, 0.0)
    """
    return 0.0 if penalty is None else 1.0 - PENALTIES[penalty](l1_ratio)


def penalize(penalty, w, grad, scale, l1_ratio=0.15, tmp=None, l2=True):
    """Add the penalty gradient to ``grad`` in place and return its value.

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elasticnet'} or None
    w : ndarray of shape (n_weights,)
        All weight matrices, flattened (intercepts excluded).
    grad : ndarray of shape (n_weights,)
        Their gradient, updated in place.
    scale : float
        ``alpha / (2 m)``.
    l1_ratio : float
        ``rho`` of ``'elasticnet'``.
    tmp : ndarray like ``w``, optional
        Scratch space, to avoid allocating a temporary.
    l2 : bool
        False leaves out the squared part (value and gradient): the
        stochastic solvers fold it into the optimizer's step.

    Returns
    -------
    value : float
        ``scale * sum(rho * |w| + (1 - rho) * w ** 2)``.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0]); g = np.zeros(2)
    >>> penalize("elasticnet", w, g, scale=0.5, l1_ratio=0.5)
    2.0
    >>> g
    array([ 0.75, -1.25])
    """
    if penalty is None or scale == 0.0:
        return 0.0
    rho = PENALTIES[penalty](l1_ratio)
    value = 0.0
    if rho < 1.0 and l2:
        value += l2_penalty(w, grad, np.empty_like(w) if tmp is None else tmp, (1.0 - rho) * scale)
    if rho > 0.0:
        l1_scale = rho * scale
        grad += l1_scale * np.sign(w)
        value += l1_scale * float(np.abs(w).sum())
    return value
