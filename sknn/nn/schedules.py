"""Learning-rate schedules: how an optimizer's rate ``lr`` changes between
epochs, and what happens when training stalls.

Every stochastic solver follows the schedule (scikit-learn's MLP applies
``learning_rate`` to 'sgd' only). The fit loop calls
:meth:`Schedule.epoch_begin` before every epoch, :meth:`Schedule.epoch_end`
after it, and :meth:`Schedule.plateau` when ``n_iter_no_change`` epochs in a
row brought no improvement of ``tol``. A schedule is a component: its
constructor declares its parameters. To add one, subclass :class:`Schedule`
and register it in :data:`SCHEDULES`; its name becomes a valid
``learning_rate``, and an instance is a valid ``learning_rate`` too.
"""

import math
from numbers import Integral, Real

from .component import Component, Interval
from .registry import Registry

__all__ = ["SCHEDULES", "Adaptive", "Constant", "Cosine", "InvScaling", "Schedule"]

SCHEDULES = Registry("learning-rate schedule")


class Schedule(Component):
    """Base class: the learning rate stays, and a plateau stops training.

    The optimizer's ``learning_rate`` is the initial rate; a schedule sets
    its current rate ``lr``.
    """

    def epoch_begin(self, optimizer, epoch, max_iter):
        """Set ``optimizer.lr`` for epoch ``epoch`` (counted from 0 over all
        fits of a warm-started or incrementally trained model) of a fit of at
        most ``max_iter`` epochs."""

    def epoch_end(self, optimizer, samples_seen):
        """Update ``optimizer.lr`` after an epoch."""

    def plateau(self, optimizer, message, verbose):
        """Training stalled: return True to stop, or adjust and go on."""
        if verbose:
            print(message + " Stopping.")
        return True


@SCHEDULES.register("constant")
class Constant(Schedule):
    """The initial rate throughout."""


@SCHEDULES.register("invscaling")
class InvScaling(Schedule):
    """``learning_rate / (t + 1) ** power_t`` after each epoch, ``t`` the
    number of training samples seen so far.

    Parameters
    ----------
    power_t : float, default=0.5

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> opt = SimpleNamespace(learning_rate=0.1, lr=0.1)
    >>> InvScaling(power_t=0.5).epoch_end(opt, samples_seen=99)
    >>> opt.lr
    0.01
    """

    _constraints = {"power_t": Interval(Real, 0, None, "left")}

    def __init__(self, power_t=0.5):
        self.power_t = power_t

    def epoch_end(self, optimizer, samples_seen):
        try:
            optimizer.lr = optimizer.learning_rate / (samples_seen + 1) ** float(self.power_t)
        except OverflowError:  # a huge power_t: the rate underflows to 0
            optimizer.lr = 0.0


@SCHEDULES.register("adaptive")
class Adaptive(Schedule):
    """Divide the learning rate by 5 on each plateau; stop once it is at
    most 1e-6."""

    def plateau(self, optimizer, message, verbose):
        if optimizer.lr <= 1e-6:
            if verbose:
                print(message + " Learning rate too small. Stopping.")
            return True
        optimizer.lr /= 5.0
        if verbose:
            print(message + " Setting learning rate to %f" % optimizer.lr)
        return False


@SCHEDULES.register("cosine")
class Cosine(Schedule):
    """Cosine annealing (Loshchilov and Hutter, 2017) over the fit's
    ``max_iter`` epochs, after ``warmup_iter`` epochs of linear warm-up.

    Epoch ``e`` (from 0) trains with ``learning_rate * (e + 1) / (warmup_iter
    + 1)`` during the warm-up, then with ``learning_rate * (1 + cos(pi * k /
    K)) / 2``, ``k = e - warmup_iter`` of ``K = max_iter - warmup_iter``
    epochs (PyTorch's ``CosineAnnealingLR`` with ``eta_min=0``); epochs beyond
    ``max_iter`` (``partial_fit``) keep the last rate.

    Parameters
    ----------
    warmup_iter : int, default=0

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> opt = SimpleNamespace(learning_rate=1.0, lr=1.0)
    >>> schedule = Cosine(warmup_iter=2)
    >>> rates = []
    >>> for epoch in range(6):
    ...     schedule.epoch_begin(opt, epoch, max_iter=6)
    ...     rates.append(round(opt.lr, 3))
    >>> rates
    [0.333, 0.667, 1.0, 0.854, 0.5, 0.146]
    """

    _constraints = {"warmup_iter": Interval(Integral, 0, None, "left")}

    def __init__(self, warmup_iter=0):
        self.warmup_iter = warmup_iter

    def epoch_begin(self, optimizer, epoch, max_iter):
        base, warmup = optimizer.learning_rate, int(self.warmup_iter)
        if epoch < warmup:
            optimizer.lr = base * (epoch + 1) / (warmup + 1)
            return
        total = max(1, max_iter - warmup)
        k = min(epoch - warmup, total - 1)
        optimizer.lr = base * (1.0 + math.cos(math.pi * k / total)) / 2.0
