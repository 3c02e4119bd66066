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

__all__ = ["PENALTIES", "penalize"]

#: Penalty name -> its L1 share ``rho`` as a function of ``l1_ratio``.
PENALTIES = {
    "l2": lambda l1_ratio: 0.0,
    "l1": lambda l1_ratio: 1.0,
    "elasticnet": lambda l1_ratio: float(l1_ratio),
}


def penalize(penalty, w, grad, scale, l1_ratio=0.15):
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
    if rho < 1.0:
        l2_scale = (1.0 - rho) * scale
        grad += (2.0 * l2_scale) * w
        # einsum, not np.dot: OpenBLAS threads a dot product this long, and
        # waking its idle worker for every mini-batch cost ~1 ms on a busy
        # machine (where the matrix products of small batches stay serial).
        value += l2_scale * float(np.einsum("i,i->", w, w))
    if rho > 0.0:
        l1_scale = rho * scale
        grad += l1_scale * np.sign(w)
        value += l1_scale * float(np.abs(w).sum())
    return value
