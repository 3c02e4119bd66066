"""Constraints: projections applied to a parameter after every optimizer step
(Keras' ``kernel_constraint``).

A layer declares the constraint of a parameter; the network applies every
declared constraint after each step of a stochastic solver. L-BFGS's line
searches need the unchanged steps, so the estimators refuse constraints
with it.
"""

from numbers import Real

import numpy as np

from .component import Component, Interval

__all__ = ["Constraint", "MaxNorm", "ZeroRows"]


class Constraint(Component):
    """Base class: ``constraint(w)`` projects ``w`` onto the constraint in place."""

    def __call__(self, w):
        raise NotImplementedError


class MaxNorm(Constraint):
    """Rescale each column of a weight matrix (one unit's incoming weights)
    to a Euclidean norm of at most ``max_value`` (Srivastava et al., 2014, the
    companion of dropout).

    Parameters
    ----------
    max_value : float, default=3.0

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[3.0, 0.3], [4.0, 0.4]])
    >>> MaxNorm(1.0)(W)
    >>> W
    array([[0.6, 0.3],
           [0.8, 0.4]])
    """

    _constraints = {"max_value": Interval(Real, 0, None, "neither")}

    def __init__(self, max_value=3.0):
        self.max_value = max_value

    def __call__(self, w):
        norms = np.sqrt(np.einsum("ij,ij->j", w, w))
        too_long = norms > self.max_value
        if too_long.any():
            w[:, too_long] *= self.max_value / norms[too_long]


class ZeroRows(Constraint):
    """Keep the rows of a weight matrix where ``mask`` is True at exactly
    zero: on the first layer's weights, inputs that stay removed (a feature
    selection path never brings back a feature it dropped).

    Parameters
    ----------
    mask : array-like of bool, shape (fan_in,)

    Examples
    --------
    >>> import numpy as np
    >>> W = np.ones((3, 2))
    >>> ZeroRows([False, True, False])(W)
    >>> W
    array([[1., 1.],
           [0., 0.],
           [1., 1.]])
    """

    def __init__(self, mask=None):
        self.mask = mask

    def __call__(self, w):
        w[np.asarray(self.mask, dtype=bool)] = 0.0
