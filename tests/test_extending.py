"""Extending sknn, as CONTRIBUTING.md describes: a new activation, optimizer,
initializer, schedule or layer type is one class or function plus a registry
entry, and the estimators, their validation and the command line take it up."""

import contextlib
import pickle

import numpy as np
import pytest
from scipy.special import expit
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from strategies import fd_gradient, relative_error

from sknn import MLPClassifier, MLPRegressor
from sknn._activations import ACTIVATIONS, Activation
from sknn._cli import _parser
from sknn._initializers import INITIALIZERS
from sknn._layers import Dense, Layer, Parameter
from sknn._losses import LOSSES
from sknn._network import Network
from sknn._optimizers import OPTIMIZERS, Optimizer
from sknn._penalties import L2
from sknn._schedules import SCHEDULES, Schedule

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@contextlib.contextmanager
def registered(registry, name, entry):
    registry.register(name, entry)
    try:
        yield entry
    finally:
        registry.unregister(name)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _cli_accepts(*args):
    return _parser().parse_args(["fit", "data.csv", "--target", "y", *args])






# --------------------------------------------------------------- activation
def _swish(Z):
    Z *= expit(Z)


def _swish_derivative(A, delta, Z):
    s = expit(Z)
    delta *= s + Z * s * (1 - s)


SWISH = Activation("swish", _swish, _swish_derivative, needs_preactivation=True)


def test_a_new_activation(iris):
    X, y = iris
    with pytest.raises(InvalidParameterError, match="activation"):
        MLPClassifier(activation="swish").fit(X, y)
    with registered(ACTIVATIONS, "swish", SWISH):
        clf = MLPClassifier((16,), activation="swish", solver="lbfgs", max_iter=300,
                            random_state=0).fit(X, y)
        assert clf.score(X, y) > 0.95
        assert "swish" in clf.summary()
        assert _cli_accepts("--activation", "swish").activation == "swish"
        # its gradient through a network, against finite differences
        net = Network([Dense(4, 3, "swish"), Dense(3, 3)], LOSSES["log_loss"](), np.float64)
        net.params[:] = np.random.RandomState(0).normal(size=net.params.size)
        Y = np.eye(3)[y[::15]]
        net.loss_grad(X[::15], Y)
        numeric = fd_gradient(net, lambda: net.loss_grad(X[::15], Y))
        assert relative_error(net.grad, numeric) < 1e-6
    with pytest.raises(InvalidParameterError, match="activation"):
        MLPClassifier(activation="swish").fit(X, y)


# ---------------------------------------------------------------- optimizer
class SignSGD(Optimizer):
    """signSGD with momentum (signum): a step of the learning rate along the
    sign of the averaged gradient, with the estimator's ``momentum``."""

    def __init__(self, learning_rate_init=0.001, momentum=0.9):
        super().__init__(learning_rate_init)
        self.momentum = momentum

    def initialize(self, n_params, dtype):
        self.average = np.zeros(n_params, dtype)

    def update(self, params, grad):
        self.average *= self.momentum
        self.average += (1 - self.momentum) * grad
        params -= self.learning_rate * np.sign(self.average)


def test_a_new_optimizer(iris):
    X, y = iris
    with registered(OPTIMIZERS, "signum", SignSGD):
        kw = dict(hidden_layer_sizes=(16,), solver="signum", learning_rate_init=0.01,
                  momentum=0.5, max_iter=100, random_state=0)
        clf = MLPClassifier(**kw).fit(X, y)
        assert clf.score(X, y) > 0.95
        assert isinstance(clf._optimizer, SignSGD) and clf._optimizer.momentum == 0.5
        # the L2 penalty reaches it (were it dropped, alpha would change nothing)
        shrunk = MLPClassifier(**{**kw, "alpha": 100.0}).fit(X, y)
        assert np.abs(shrunk.coefs_[0]).mean() < 0.5 * np.abs(clf.coefs_[0]).mean()
        # partial_fit, and its state survives a pickle
        inc = MLPClassifier(**kw).partial_fit(X, y, classes=[0, 1, 2])
        copy = pickle.loads(pickle.dumps(inc))
        for model in (inc, copy):
            model.partial_fit(X, y)
        np.testing.assert_array_equal(inc.coefs_[0], copy.coefs_[0])
        assert _cli_accepts("--solver", "signum").solver == "signum"


def test_penalty_reaches_a_new_optimizer_as_decay():
    """One step of the registered optimizer on the penalised objective."""
    net = Network([Dense(3, 2, "tanh"), Dense(2, 1)], LOSSES["squared_error"](), np.float64)
    net.params[:] = np.linspace(-1, 1, net.params.size)
    X, Y = np.ones((4, 3)), np.zeros((4, 1))
    opt = SignSGD(learning_rate_init=0.1, momentum=0.5)
    opt.initialize(net.params.size, np.float64)
    full = net.params.copy()
    net.loss_grad(X, Y, penalty=L2(2.0))
    expected = full - 0.1 * np.sign(net.grad)
    net.loss_grad(X, Y)
    L2(2.0).step(opt, net, m=4.0)
    np.testing.assert_allclose(net.params, expected, rtol=1e-12)


# -------------------------------------------------------------- initializer
def _scaled_identity(fan_in, fan_out, random_state, dtype):
    return 0.5 * np.eye(fan_in, fan_out, dtype=dtype)


def test_a_new_initializer(iris):
    X, y = iris
    with registered(INITIALIZERS, "scaled_identity", lambda activation="relu": _scaled_identity):
        clf = MLPRegressor(hidden_layer_sizes=(4,), init="scaled_identity", solver="sgd", learning_rate_init=1e-12,
                           max_iter=1, random_state=0).fit(X, y)
        np.testing.assert_allclose(clf.coefs_[0], 0.5 * np.eye(4), atol=1e-9)
        np.testing.assert_allclose(clf.intercepts_[0], 0.0, atol=1e-9)
        assert _cli_accepts("--init", "scaled_identity").init == "scaled_identity"


# ----------------------------------------------------------------- schedule
class Halving(Schedule):
    """Halve the learning rate after every epoch."""

    def epoch_end(self, optimizer, samples_seen):
        optimizer.learning_rate /= 2


def test_a_new_schedule(iris):
    X, y = iris
    with registered(SCHEDULES, "halving", Halving):
        clf = MLPClassifier((8,), solver="sgd", learning_rate="halving", learning_rate_init=0.1,
                            max_iter=6, random_state=0).fit(X, y)
        assert clf._optimizer.learning_rate == 0.1 / 2**6


# --------------------------------------------------------------- layer type
class Scale(Layer):
    """``X * gamma``, one learned factor per unit, not penalised."""

    def __init__(self, units):
        self.units = units
        self.parameters = (Parameter("gamma", (units,), False, "scales_"),)

    def initialize(self, init, random_state, dtype):
        self.gamma[...] = 1.0

    def allocate(self, rows, dtype, input_grad):
        self._out = np.empty((rows, self.units), dtype)

    def forward(self, X, training=False, out=None, check_finite=False):
        out = self._out[: X.shape[0]] if training else np.empty_like(X)
        np.multiply(X, self.gamma, out=out)
        if training:
            self._input = X
        return out

    def backward(self, delta):
        self.gamma_grad[...] = (delta * self._input).sum(axis=0)
        delta *= self.gamma
        return delta


def test_a_new_layer_type():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(9, 4))
    Y = np.eye(3)[rng.randint(3, size=9)]
    net = Network([Dense(4, 5, "tanh"), Scale(5), Dense(5, 3)], LOSSES["log_loss"](), np.float64)
    net.params[:] = rng.normal(size=net.params.size)
    # its gradient, against finite differences
    net.loss_grad(X, Y, penalty=L2(0.5))
    numeric = fd_gradient(net, lambda: net.loss_grad(X, Y, penalty=L2(0.5)))
    assert relative_error(net.grad, numeric) < 1e-6
    # exported under its own attribute; not penalised (placed after the weights)
    attributes = net.fitted_attributes()
    assert len(attributes["scales_"]) == 1 and attributes["scales_"][0].shape == (5,)
    assert net.n_penalised == 4 * 5 + 5 * 3
    # and it trains: the optimizer updates it like any parameter
    opt = OPTIMIZERS["adam"](learning_rate_init=0.1)
    opt.initialize(net.params.size, np.float64)
    losses = [net.loss_grad(X, Y) + L2(0.01).step(opt, net, 9.0) for _ in range(50)]
    assert losses[-1] < 0.5 * losses[0]
    assert not np.allclose(attributes["scales_"][0], 1.0)
