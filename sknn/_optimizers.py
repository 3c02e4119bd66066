"""Stochastic optimizers updating one flat parameter vector in place.

The state of an optimizer is plain numbers and arrays, so a fitted estimator
that keeps one (for ``partial_fit``) pickles and persists with skops safely.
"""

import math

import numpy as np

from ._kernels import adam_update, sgd_update

__all__ = ["OPTIMIZERS", "SGD", "Adam"]


class _Scratch:
    """Reused work buffers for the in-place update, never pickled."""

    def _buffers(self, like, count):
        buffers = self.__dict__.get("_scratch")
        if buffers is None or buffers[0].shape != like.shape or buffers[0].dtype != like.dtype:
            # zeros, not empty: the compiled loops never touch them, and an
            # estimator's state should not hold uninitialised memory
            buffers = self._scratch = [np.zeros_like(like) for _ in range(count)]
        return buffers

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_scratch", None)
        return state


class SGD(_Scratch):
    """Stochastic gradient descent with momentum and learning-rate schedules.

    Parameters
    ----------
    n_params : int
    dtype : numpy dtype
    learning_rate_init : float
    learning_rate : {'constant', 'invscaling', 'adaptive'}
        ``'invscaling'`` sets the rate to ``learning_rate_init / (t + 1) **
        power_t`` at the end of each epoch (``t`` = samples seen);
        ``'adaptive'`` divides it by 5 each time training stalls and stops
        once it falls below 1e-6.
    momentum : float
    nesterovs_momentum : bool
    power_t : float
    """

    def __init__(
        self,
        n_params,
        dtype,
        *,
        learning_rate_init=0.1,
        learning_rate="constant",
        momentum=0.9,
        nesterovs_momentum=True,
        power_t=0.5,
        **ignored,
    ):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = learning_rate
        self.momentum = float(momentum)
        self.nesterov = bool(nesterovs_momentum)
        self.power_t = float(power_t)
        self.velocity = np.zeros(n_params, dtype=dtype)

    def update(self, params, grad, decay=0.0, n_decay=0):
        """One step: ``params += update(grad)``, all in place.

        As scikit-learn: ``velocity = momentum * velocity - lr * grad``, and
        the update is ``velocity`` or, with Nesterov, ``momentum * velocity
        - lr * grad``. ``decay * params`` joins the gradient of the first
        ``n_decay`` parameters (an L2 penalty); returns their sum of squares
        before the step (see ``_kernels.sgd_update``).
        """
        step, tmp = self._buffers(self.velocity, 2)
        return sgd_update(
            params, grad, self.velocity, step, tmp, self.learning_rate, self.momentum,
            self.nesterov, decay, n_decay,
        )

    def iteration_ends(self, time_step):
        if self.lr_schedule == "invscaling":
            try:
                self.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t
            except OverflowError:  # a huge power_t: the rate underflows to 0
                self.learning_rate = 0.0

    def trigger_stopping(self, msg, verbose):
        """Whether to stop after ``n_iter_no_change`` epochs without progress."""
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


class Adam(_Scratch):
    """Adam (Kingma and Ba, 2014) with bias correction folded into the step.

    ``lr_t = lr * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)`` and the update is
    ``-lr_t * m / (sqrt(v) + epsilon)``, as in scikit-learn.
    """

    def __init__(
        self,
        n_params,
        dtype,
        *,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        **ignored,
    ):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)

    def update(self, params, grad, decay=0.0, n_decay=0):
        """One step: ``params += update(grad)``, all in place.

        ``decay * params`` joins the gradient of the first ``n_decay``
        parameters (an L2 penalty); returns their sum of squares before the
        step (see ``_kernels.adam_update``).
        """
        self.t += 1
        self.learning_rate = (
            self.learning_rate_init
            * math.sqrt(1.0 - self.beta_2**self.t)
            / (1.0 - self.beta_1**self.t)
        )
        return adam_update(
            params, grad, self.m, self.v, self._buffers(self.m, 2), self.beta_1, self.beta_2,
            self.epsilon, self.learning_rate, decay, n_decay,
        )

    def iteration_ends(self, time_step):
        pass

    def trigger_stopping(self, msg, verbose):
        if verbose:
            print(msg + " Stopping.")
        return True


#: Solver name -> optimizer class.
OPTIMIZERS = {"sgd": SGD, "adam": Adam}
