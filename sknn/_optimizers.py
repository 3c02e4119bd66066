"""Stochastic optimizers updating one flat parameter vector in place.

An optimizer declares its hyperparameters in its constructor (with the
estimator's parameter names, so the fit builds it from the estimator's
parameters), keeps its state in ``initialize`` and implements one step in
numpy in ``update``. :meth:`Optimizer.step`, the only method the fit loop
calls, adds the L2 penalty's gradient first, so no optimizer can leave the
penalty out. An optimizer may also provide ``fused_update``, a compiled loop
doing the same arithmetic with the penalty folded into its single pass; it
is used when the compiled loops are enabled (``_kernels.accelerated``) and
must give the same bits as the numpy path (tested for every optimizer that
has one).

The state of an optimizer is plain numbers and arrays, so a fitted estimator
that keeps one (for ``partial_fit``) pickles and persists with skops safely.

To add an optimizer, subclass :class:`Optimizer` and register it in
:data:`OPTIMIZERS`; its name becomes a valid ``solver``.
"""

import math

import numpy as np

from . import _kernels
from ._penalties import add_l2_gradient
from ._registry import Registry

__all__ = ["OPTIMIZERS", "SGD", "Adam", "Optimizer"]


def _reference_step(optimizer, params, grad, decay, n_decay):
    """The L2 decay joins (a copy of) the gradient, then the optimizer's numpy
    update."""
    squares = 0.0
    if n_decay:
        grad = grad.copy()
        squares = add_l2_gradient(params[:n_decay], grad[:n_decay], params.dtype.type(decay))
    optimizer.update(params, grad)
    return squares


def _compiled_step(optimizer, params, grad, decay, n_decay):
    if optimizer.fused_update is None:
        return _reference_step(optimizer, params, grad, decay, n_decay)
    return optimizer.fused_update(params, grad, params.dtype.type(decay), n_decay)


_step = _kernels.accelerated(_compiled_step)(_reference_step)


class Optimizer:
    """Base class of the stochastic optimizers.

    Parameters
    ----------
    learning_rate_init : float
        The initial step size; ``learning_rate`` is the current one, which a
        learning-rate schedule may change between epochs.

    Attributes
    ----------
    fused_update : callable or None
        ``fused_update(params, grad, decay, n_decay) -> float``: the compiled
        equivalent of :func:`_reference_step` (decay, then ``update``), also
        leaving ``grad`` as it is.
    """

    fused_update = None

    def __init__(self, learning_rate_init=0.001):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)

    def initialize(self, n_params, dtype):
        """Allocate the state for ``n_params`` parameters of ``dtype``."""

    def update(self, params, grad):
        """One step in numpy: ``params`` updated in place from ``grad``, which
        must not be modified."""
        raise NotImplementedError

    def step_sizes(self, n):
        """The step size of the last update for each of the first ``n``
        parameters (a scalar where it is the same for all): what a gradient
        of 1 would have moved them, without momentum. A penalty's proximal
        step scales its threshold by it (see ``Penalty.step``)."""
        return self.learning_rate

    def step(self, params, grad, decay=0.0, n_decay=0):
        """One step, with the L2 penalty's gradient added to the gradient.

        ``decay * params[:n_decay]`` joins ``grad[:n_decay]`` (the penalised
        parameters come first in the flat vector), then the parameters are
        updated in place. ``grad`` is left as it is, by the compiled loops and
        the numpy reference alike.

        Returns
        -------
        squares : float
            ``sum(params[:n_decay] ** 2)`` before the step (0 without decay),
            the penalty's value up to its factor.
        """
        return _step(self, params, grad, decay, n_decay if decay else 0)


OPTIMIZERS = Registry("solver")


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent with momentum, in scikit-learn's order of
    operations: ``velocity = momentum * velocity - learning_rate * grad``; the
    update is ``velocity``, or with Nesterov's momentum ``momentum * velocity
    - learning_rate * grad``.

    Examples
    --------
    >>> import numpy as np
    >>> sgd = SGD(learning_rate_init=0.5, momentum=0.9, nesterovs_momentum=False)
    >>> sgd.initialize(2, np.float64)
    >>> p = np.zeros(2)
    >>> sgd.step(p, np.array([1.0, 2.0]))
    0.0
    >>> p
    array([-0.5, -1. ])
    """

    def __init__(self, learning_rate_init=0.001, momentum=0.9, nesterovs_momentum=True):
        super().__init__(learning_rate_init)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterovs_momentum)

    def initialize(self, n_params, dtype):
        self.velocity = np.zeros(n_params, dtype=dtype)

    def update(self, params, grad):
        step = grad * self.learning_rate
        self.velocity *= self.momentum
        self.velocity -= step
        if self.nesterov:
            update = self.velocity * self.momentum
            update -= step
            params += update
        else:
            params += self.velocity

    def step_sizes(self, n):
        # the steady-state step: momentum carries a constant gradient g to
        # velocity -lr g / (1 - momentum), also with Nesterov's variant
        return self.learning_rate / max(1.0 - self.momentum, 1e-3)

    def fused_update(self, params, grad, decay, n_decay):
        f = params.dtype.type
        return _kernels.sgd_step(params, grad, self.velocity, f(self.learning_rate),
                                 f(self.momentum), self.nesterov, decay, n_decay)


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014) with the bias correction folded into the
    step size, as scikit-learn does: ``lr_t = learning_rate * sqrt(1 - beta_2
    ** t) / (1 - beta_1 ** t)`` and the update is ``-lr_t * m / (sqrt(v) +
    epsilon)``.

    Examples
    --------
    >>> import numpy as np
    >>> adam = Adam(learning_rate_init=0.1)
    >>> adam.initialize(2, np.float64)
    >>> p = np.zeros(2)
    >>> adam.step(p, np.array([1.0, -1.0]))
    0.0
    >>> p.round(6)  # the first step moves each parameter by the learning rate
    array([-0.1,  0.1])
    """

    def __init__(self, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate_init)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0

    def initialize(self, n_params, dtype):
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)

    def step(self, params, grad, decay=0.0, n_decay=0):
        self.t += 1
        # math.sqrt keeps the step size a Python float, which numpy applies
        # to float32 arrays in float32 (a numpy float64 would not).
        self._step_size = (
            self.learning_rate
            * math.sqrt(1.0 - self.beta_2**self.t)
            / (1.0 - self.beta_1**self.t)
        )
        return super().step(params, grad, decay, n_decay)

    def update(self, params, grad):
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
        tmp *= self._step_size
        params -= tmp

    def step_sizes(self, n):
        return self._step_size / (np.sqrt(self.v[:n]) + self.epsilon)

    def fused_update(self, params, grad, decay, n_decay):
        f = params.dtype.type
        b1, b2 = self.beta_1, self.beta_2
        return _kernels.adam_step(params, grad, self.m, self.v, f(b1), f(b2), f(1.0 - b1),
                                  f(1.0 - b2), f(self.epsilon), f(self._step_size), decay,
                                  n_decay)


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """RMSprop (Tieleman and Hinton, 2012): ``v = rho v + (1 - rho) g ** 2``,
    ``params -= learning_rate * g / (sqrt(v) + epsilon)``, PyTorch's update
    (its ``alpha`` is ``rho`` here, Keras' name).

    Examples
    --------
    >>> import numpy as np
    >>> opt = RMSprop(learning_rate_init=0.1, rho=0.9)
    >>> opt.initialize(2, np.float64)
    >>> p = np.zeros(2)
    >>> opt.step(p, np.array([1.0, -1.0]))
    0.0
    >>> p.round(4)  # 0.1 / sqrt(0.1)
    array([-0.3162,  0.3162])
    """

    def __init__(self, learning_rate_init=0.001, rho=0.9, epsilon=1e-8):
        super().__init__(learning_rate_init)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def initialize(self, n_params, dtype):
        self.square_avg = np.zeros(n_params, dtype=dtype)

    def update(self, params, grad):
        self.square_avg *= self.rho
        self.square_avg += (1.0 - self.rho) * (grad * grad)
        denominator = np.sqrt(self.square_avg)
        denominator += self.epsilon
        params -= self.learning_rate * grad / denominator

    def step_sizes(self, n):
        return self.learning_rate / (np.sqrt(self.square_avg[:n]) + self.epsilon)


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): ``s += g ** 2``, ``params -=
    learning_rate * g / (sqrt(s) + epsilon)``, PyTorch's update.

    Examples
    --------
    >>> import numpy as np
    >>> opt = Adagrad(learning_rate_init=0.1)
    >>> opt.initialize(2, np.float64)
    >>> p = np.zeros(2)
    >>> for _ in range(4):
    ...     _ = opt.step(p, np.array([2.0, -2.0]))
    >>> p.round(4)  # 0.1 * (1 + 1/sqrt(2) + 1/sqrt(3) + 1/2)
    array([-0.2784,  0.2784])
    """

    def __init__(self, learning_rate_init=0.001, epsilon=1e-8):
        super().__init__(learning_rate_init)
        self.epsilon = float(epsilon)

    def initialize(self, n_params, dtype):
        self.sum_squares = np.zeros(n_params, dtype=dtype)

    def update(self, params, grad):
        self.sum_squares += grad * grad
        denominator = np.sqrt(self.sum_squares)
        denominator += self.epsilon
        params -= self.learning_rate * grad / denominator

    def step_sizes(self, n):
        return self.learning_rate / (np.sqrt(self.sum_squares[:n]) + self.epsilon)


@OPTIMIZERS.register("adamw")
class AdamW(Optimizer):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019),
    PyTorch's update: ``params *= 1 - learning_rate * weight_decay``, then
    ``params -= learning_rate / (1 - beta_1 ** t) * m / (sqrt(v / (1 - beta_2
    ** t)) + epsilon)``.

    The decay shrinks every trainable parameter by the same factor,
    independently of the gradient; ``alpha`` keeps its meaning as a penalty
    in the loss.

    Examples
    --------
    >>> import numpy as np
    >>> opt = AdamW(learning_rate_init=0.1, weight_decay=0.5)
    >>> opt.initialize(2, np.float64)
    >>> p = np.ones(2)
    >>> opt.step(p, np.array([1.0, -1.0]))
    0.0
    >>> p.round(6)  # 1 * (1 - 0.05), then a step of the learning rate
    array([0.85, 1.05])
    """

    def __init__(self, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 weight_decay=0.01):
        super().__init__(learning_rate_init)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon, self.weight_decay = float(epsilon), float(weight_decay)
        self.t = 0

    def initialize(self, n_params, dtype):
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)

    def update(self, params, grad):
        self.t += 1
        lr = self.learning_rate
        params *= 1.0 - lr * self.weight_decay
        self.m *= self.beta_1
        self.m += (1.0 - self.beta_1) * grad
        self.v *= self.beta_2
        self.v += (1.0 - self.beta_2) * (grad * grad)
        denominator = np.sqrt(self.v)
        denominator /= math.sqrt(1.0 - self.beta_2**self.t)
        denominator += self.epsilon
        params -= lr / (1.0 - self.beta_1**self.t) * self.m / denominator

    def step_sizes(self, n):
        denominator = np.sqrt(self.v[:n]) / math.sqrt(1.0 - self.beta_2**self.t) + self.epsilon
        return self.learning_rate / (1.0 - self.beta_1**self.t) / denominator
