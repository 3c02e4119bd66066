"""Optimizers: how a stochastic solver moves the flat parameter vector.

An optimizer is a component: its constructor declares its parameters with
its own defaults (``Adagrad(learning_rate=0.01)``), and :meth:`Optimizer.build`
sets up its state for a fit. ``learning_rate`` is the initial rate; ``lr`` is
the rate of the current step, which a learning-rate schedule changes between
epochs. An optimizer writes one numpy method, ``update(params, grad)``, that
reads like its formula. The base class's :meth:`Optimizer.step` handles the
rest, as Keras' optimizer base class does: it counts the step, and adds the
regularizers' L2 part ``decay * params[:n_decay]`` to the gradient (see
``regularizers``) before the update. Where an optimizer has a compiled loop
doing the same arithmetic in one pass, the L2 part included
(``compiled_update``), ``_kernels.accelerated`` is the one place that
chooses it, giving the same bits. ``step_sizes`` tells the regularizers'
proximal steps how far a unit gradient moved each parameter.

The state is plain numbers and arrays, so a fitted estimator that keeps its
optimizer (for ``partial_fit``) pickles and persists with skops safely.

To add an optimizer, subclass :class:`Optimizer` and register it in
:data:`OPTIMIZERS`; its name becomes a valid ``solver``, and an instance is a
valid ``solver`` too.
"""

import math
from numbers import Real

import numpy as np

from . import _kernels
from .component import Component, Interval
from .registry import Registry
from .regularizers import add_l2_gradient

__all__ = ["OPTIMIZERS", "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop"]

_RATE = Interval(Real, 0, None, "neither")
_DECAY = Interval(Real, 0, 1, "left")
_EPSILON = Interval(Real, 0, None, "neither")


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def _reference_step(optimizer, params, grad, decay, n_decay):
    """The L2 part joins (a copy of) the gradient, then the numpy update."""
    squares = 0.0
    if n_decay:
        grad = grad.copy()
        squares = add_l2_gradient(params[:n_decay], grad[:n_decay], params.dtype.type(decay))
    optimizer.update(params, grad)
    return squares


def _compiled_step(optimizer, params, grad, decay, n_decay):
    if optimizer.compiled_update is None:
        return _reference_step(optimizer, params, grad, decay, n_decay)
    return optimizer.compiled_update(params, grad, params.dtype.type(decay), n_decay)


_step = _kernels.accelerated(_compiled_step)(_reference_step)


class Optimizer(Component):
    """Base class of the stochastic optimizers.

    Parameters
    ----------
    learning_rate : float, default=0.001
        The initial step size.

    Attributes
    ----------
    lr : float
        The step size of the current step (set by :meth:`build`, changed by
        a learning-rate schedule).
    iterations : int
        Steps taken since :meth:`build` (Adam's ``t``).
    compiled_update : callable or None
        ``compiled_update(params, grad, decay, n_decay) -> squares``: a
        compiled loop doing what :meth:`step` does after counting (the L2
        part, then :meth:`update`) in one pass, leaving ``grad`` as it is.
    """

    _constraints = {"learning_rate": _RATE}
    compiled_update = None

    def __init__(self, learning_rate=0.001):
        self.learning_rate = learning_rate

    def build(self, n_params, dtype):
        """Fresh state for ``n_params`` parameters of ``dtype``."""
        self.validate()
        self.lr = float(self.learning_rate)
        self.iterations = 0
        self.initialize(n_params, dtype)
        return self

    def initialize(self, n_params, dtype):
        """Allocate the optimizer's own state (nothing by default)."""

    def update(self, params, grad):
        """One step: ``params`` updated in place from ``grad``, which must not
        be modified."""
        raise NotImplementedError

    def step(self, params, grad, decay=0.0, n_decay=0):
        """One step: count it, add ``decay * params[:n_decay]`` (the
        regularizers' L2 part; the weights come first in the flat vector) to
        the gradient, then :meth:`update` in place. ``grad`` is left as it
        is, by the compiled loops and the numpy code alike.

        Returns
        -------
        squares : float
            ``sum(params[:n_decay] ** 2)`` before the step (0 without decay),
            the L2 part's value up to its factor.
        """
        self.iterations += 1
        return _step(self, params, grad, decay, n_decay if decay else 0)

    def step_sizes(self, start, stop):
        """The step size of the last update for each of ``params[start:stop]``
        (a scalar where it is the same for all): what a gradient of 1 would
        have moved them, without momentum. A regularizer's proximal step
        scales its threshold by it."""
        return self.lr

    def __setstate__(self, state):
        if "learning_rate_init" in state:  # an optimizer saved by sknn 0.2
            state = dict(state)
            state["lr"] = state.pop("learning_rate")
            state["learning_rate"] = state.pop("learning_rate_init")
            state["iterations"] = state.pop("t", 0)
            if "_step_size" in state:
                state["_lr_t"] = state.pop("_step_size")
        self.__dict__.update(state)


OPTIMIZERS = Registry("solver")


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent with momentum, in scikit-learn's order of
    operations: ``velocity = momentum * velocity - lr * grad``; the update is
    ``velocity``, or with Nesterov's momentum ``momentum * velocity - lr *
    grad``.

    Parameters
    ----------
    learning_rate : float, default=0.01
    momentum : float, default=0.9
        In [0, 1].
    nesterov : bool, default=True

    Examples
    --------
    >>> import numpy as np
    >>> sgd = SGD(learning_rate=0.5, momentum=0.9, nesterov=False).build(2, np.float64)
    >>> p = np.zeros(2)
    >>> sgd.step(p, np.array([1.0, 2.0]))
    0.0
    >>> p
    array([-0.5, -1. ])
    """

    _constraints = {"learning_rate": _RATE, "momentum": Interval(Real, 0, 1, "both"),
                    "nesterov": _is_bool}

    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=True):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov

    def initialize(self, n_params, dtype):
        self.velocity = np.zeros(n_params, dtype=dtype)

    def compiled_update(self, params, grad, decay, n_decay):
        f = params.dtype.type
        return _kernels.sgd_step(params, grad, self.velocity, f(self.lr), f(self.momentum),
                                 bool(self.nesterov), decay, n_decay)

    def update(self, params, grad):
        step = grad * self.lr
        self.velocity *= self.momentum
        self.velocity -= step
        if self.nesterov:
            update = self.velocity * self.momentum
            update -= step
            params += update
        else:
            params += self.velocity

    def step_sizes(self, start, stop):
        # the steady-state step: momentum carries a constant gradient g to
        # velocity -lr g / (1 - momentum), also with Nesterov's variant
        return self.lr / max(1.0 - self.momentum, 1e-3)


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014) with the bias correction folded into the
    step size, as scikit-learn does: ``lr_t = lr * sqrt(1 - beta_2 ** t) / (1
    - beta_1 ** t)`` and the update is ``-lr_t * m / (sqrt(v) + epsilon)``.

    Parameters
    ----------
    learning_rate : float, default=0.001
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the moment estimates, in [0, 1).
    epsilon : float, default=1e-8

    Examples
    --------
    >>> import numpy as np
    >>> adam = Adam(learning_rate=0.1).build(2, np.float64)
    >>> p = np.zeros(2)
    >>> adam.step(p, np.array([1.0, -1.0]))
    0.0
    >>> p.round(6)  # the first step moves each parameter by the learning rate
    array([-0.1,  0.1])
    """

    _constraints = {"learning_rate": _RATE, "beta_1": _DECAY, "beta_2": _DECAY,
                    "epsilon": _EPSILON}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def initialize(self, n_params, dtype):
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)

    def _bias_corrected_rate(self):
        t = self.iterations
        # math.sqrt keeps the step size a Python float, which numpy applies
        # to float32 arrays in float32 (a numpy float64 would not).
        self._lr_t = self.lr * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        return self._lr_t

    def compiled_update(self, params, grad, decay, n_decay):
        f = params.dtype.type
        b1, b2 = self.beta_1, self.beta_2
        return _kernels.adam_step(params, grad, self.m, self.v, f(b1), f(b2), f(1.0 - b1),
                                  f(1.0 - b2), f(self.epsilon), f(self._bias_corrected_rate()),
                                  decay, n_decay)

    def update(self, params, grad):
        lr_t = self._bias_corrected_rate()
        self.m *= self.beta_1
        tmp = grad * (1.0 - self.beta_1)
        self.m += tmp
        self.v *= self.beta_2
        np.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - self.beta_2
        self.v += tmp
        np.sqrt(self.v, out=tmp)
        tmp += self.epsilon
        np.divide(self.m, tmp, out=tmp)
        tmp *= lr_t
        params -= tmp

    def step_sizes(self, start, stop):
        return self._lr_t / (np.sqrt(self.v[start:stop]) + self.epsilon)


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """RMSprop (Tieleman and Hinton, 2012): ``v = rho v + (1 - rho) g ** 2``,
    ``params -= learning_rate * g / (sqrt(v) + epsilon)``, PyTorch's update
    (its ``alpha`` is ``rho`` here, Keras' name).

    Parameters
    ----------
    learning_rate : float, default=0.001
    rho : float, default=0.9
        In [0, 1).
    epsilon : float, default=1e-8

    Examples
    --------
    >>> import numpy as np
    >>> opt = RMSprop(learning_rate=0.1, rho=0.9).build(2, np.float64)
    >>> p = np.zeros(2)
    >>> opt.step(p, np.array([1.0, -1.0]))
    0.0
    >>> p.round(4)  # 0.1 / sqrt(0.1)
    array([-0.3162,  0.3162])
    """

    _constraints = {"learning_rate": _RATE, "rho": _DECAY, "epsilon": _EPSILON}

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.rho = rho
        self.epsilon = epsilon

    def initialize(self, n_params, dtype):
        self.square_avg = np.zeros(n_params, dtype=dtype)

    def update(self, params, grad):
        self.square_avg *= self.rho
        self.square_avg += (1.0 - self.rho) * (grad * grad)
        denominator = np.sqrt(self.square_avg)
        denominator += self.epsilon
        params -= self.lr * grad / denominator

    def step_sizes(self, start, stop):
        return self.lr / (np.sqrt(self.square_avg[start:stop]) + self.epsilon)


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): ``s += g ** 2``, ``params -= lr * g /
    (sqrt(s) + epsilon)``, PyTorch's update and defaults.

    Parameters
    ----------
    learning_rate : float, default=0.01
    epsilon : float, default=1e-10

    Examples
    --------
    >>> import numpy as np
    >>> opt = Adagrad(learning_rate=0.1).build(2, np.float64)
    >>> p = np.zeros(2)
    >>> for _ in range(4):
    ...     _ = opt.step(p, np.array([2.0, -2.0]))
    >>> p.round(4)  # 0.1 * (1 + 1/sqrt(2) + 1/sqrt(3) + 1/2)
    array([-0.2784,  0.2784])
    """

    _constraints = {"learning_rate": _RATE, "epsilon": _EPSILON}

    def __init__(self, learning_rate=0.01, epsilon=1e-10):
        self.learning_rate = learning_rate
        self.epsilon = epsilon

    def initialize(self, n_params, dtype):
        self.sum_squares = np.zeros(n_params, dtype=dtype)

    def update(self, params, grad):
        self.sum_squares += grad * grad
        denominator = np.sqrt(self.sum_squares)
        denominator += self.epsilon
        params -= self.lr * grad / denominator

    def step_sizes(self, start, stop):
        return self.lr / (np.sqrt(self.sum_squares[start:stop]) + self.epsilon)


@OPTIMIZERS.register("adamw")
class AdamW(Optimizer):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019),
    PyTorch's update and defaults: ``params *= 1 - lr * weight_decay``, then
    ``params -= lr / (1 - beta_1 ** t) * m / (sqrt(v / (1 - beta_2 ** t)) +
    epsilon)``.

    The decay shrinks every trainable parameter by the same factor,
    independently of the gradient; regularizers keep their meaning as
    penalties in the loss.

    Parameters
    ----------
    learning_rate : float, default=0.001
    beta_1, beta_2 : float, default=0.9, 0.999
    epsilon : float, default=1e-8
    weight_decay : float, default=0.01

    Examples
    --------
    >>> import numpy as np
    >>> opt = AdamW(learning_rate=0.1, weight_decay=0.5).build(2, np.float64)
    >>> p = np.ones(2)
    >>> opt.step(p, np.array([1.0, -1.0]))
    0.0
    >>> p.round(6)  # 1 * (1 - 0.05), then a step of the learning rate
    array([0.85, 1.05])
    """

    _constraints = {"learning_rate": _RATE, "beta_1": _DECAY, "beta_2": _DECAY,
                    "epsilon": _EPSILON, "weight_decay": Interval(Real, 0, None, "left")}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 weight_decay=0.01):
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.weight_decay = weight_decay

    def initialize(self, n_params, dtype):
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)

    def update(self, params, grad):
        t, lr = self.iterations, self.lr
        params *= 1.0 - lr * self.weight_decay
        self.m *= self.beta_1
        self.m += (1.0 - self.beta_1) * grad
        self.v *= self.beta_2
        self.v += (1.0 - self.beta_2) * (grad * grad)
        denominator = np.sqrt(self.v)
        denominator /= math.sqrt(1.0 - self.beta_2**t)
        denominator += self.epsilon
        params -= lr / (1.0 - self.beta_1**t) * self.m / denominator

    def step_sizes(self, start, stop):
        t = self.iterations
        denominator = np.sqrt(self.v[start:stop]) / math.sqrt(1.0 - self.beta_2**t)
        denominator += self.epsilon
        return self.lr / (1.0 - self.beta_1**t) / denominator
