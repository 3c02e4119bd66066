"""Learning-rate schedules: how an optimizer's ``learning_rate`` changes
between epochs, and what happens when training stalls.

Every stochastic solver follows the schedule (scikit-learn's MLP applies
``learning_rate`` to 'sgd' only). The fit loop calls
:meth:`Schedule.epoch_begin` before every epoch, :meth:`Schedule.epoch_end`
after it, and :meth:`Schedule.plateau` when ``n_iter_no_change`` epochs in a
row brought no improvement of ``tol``. A schedule declares its
hyperparameters in its constructor, with the estimator's parameter names. To
add one, subclass :class:`Schedule` and register it in :data:`SCHEDULES`; its
name becomes a valid ``learning_rate``.
"""

import math

from ._registry import Registry

__all__ = ["SCHEDULES", "Schedule"]

SCHEDULES = Registry("learning-rate schedule")


class Schedule:
    """Base class: the learning rate stays, and a plateau stops training."""

    def epoch_begin(self, optimizer, epoch):
        """Set ``optimizer.learning_rate`` for epoch ``epoch`` (counted from 0
        over all fits of a warm-started or incrementally trained model)."""

    def epoch_end(self, optimizer, samples_seen):
        """Update ``optimizer.learning_rate`` after an epoch."""

    def plateau(self, optimizer, message, verbose):
        """Training stalled: return True to stop, or adjust and go on."""
        if verbose:
            print(message + " Stopping.")
        return True


@SCHEDULES.register("constant")
class Constant(Schedule):
    """``learning_rate_init`` throughout."""


@SCHEDULES.register("invscaling")
class InvScaling(Schedule):
    """``learning_rate_init / (t + 1) ** power_t`` after each epoch, ``t``
    the number of training samples seen so far.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> opt = SimpleNamespace(learning_rate_init=0.1, learning_rate=0.1)
    >>> InvScaling(power_t=0.5).epoch_end(opt, samples_seen=99)
    >>> opt.learning_rate
    0.01
    """

    def __init__(self, power_t=0.5):
        self.power_t = float(power_t)

    def epoch_end(self, optimizer, samples_seen):
        try:
            optimizer.learning_rate = optimizer.learning_rate_init / (samples_seen + 1) ** self.power_t
        except OverflowError:  # a huge power_t: the rate underflows to 0
            optimizer.learning_rate = 0.0


@SCHEDULES.register("adaptive")
class Adaptive(Schedule):
    """Divide the learning rate by 5 on each plateau; stop once it is at
    most 1e-6."""

    def plateau(self, optimizer, message, verbose):
        if optimizer.learning_rate <= 1e-6:
            if verbose:
                print(message + " Learning rate too small. Stopping.")
            return True
        optimizer.learning_rate /= 5.0
        if verbose:
            print(message + " Setting learning rate to %f" % optimizer.learning_rate)
        return False


@SCHEDULES.register("cosine")
class Cosine(Schedule):
    """Cosine annealing (Loshchilov and Hutter, 2017) over ``max_iter`` epochs,
    after ``warmup_iter`` epochs of linear warm-up.

    Epoch ``e`` (from 0) trains with ``learning_rate_init * (e + 1) /
    (warmup_iter + 1)`` during the warm-up, then with ``learning_rate_init *
    (1 + cos(pi * k / K)) / 2``, ``k = e - warmup_iter`` of ``K = max_iter -
    warmup_iter`` epochs (PyTorch's ``CosineAnnealingLR`` with ``eta_min=0``);
    epochs beyond ``max_iter`` (``partial_fit``) keep the last rate.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> opt = SimpleNamespace(learning_rate_init=1.0, learning_rate=1.0)
    >>> schedule = Cosine(max_iter=6, warmup_iter=2)
    >>> rates = []
    >>> for epoch in range(6):
    ...     schedule.epoch_begin(opt, epoch)
    ...     rates.append(round(opt.learning_rate, 3))
    >>> rates
    [0.333, 0.667, 1.0, 0.854, 0.5, 0.146]
    """

    def __init__(self, max_iter=200, warmup_iter=0):
        self.max_iter, self.warmup_iter = int(max_iter), int(warmup_iter)

    def epoch_begin(self, optimizer, epoch):
        base = optimizer.learning_rate_init
        if epoch < self.warmup_iter:
            optimizer.learning_rate = base * (epoch + 1) / (self.warmup_iter + 1)
            return
        total = max(1, self.max_iter - self.warmup_iter)
        k = min(epoch - self.warmup_iter, total - 1)
        optimizer.learning_rate = base * (1.0 + math.cos(math.pi * k / total)) / 2.0
