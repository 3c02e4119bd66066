"""Extending sknn from outside the package, through its public API only
(``sknn.nn``), as CONTRIBUTING.md describes: a SiLU activation, a Lion
optimizer and a learned per-unit scaling layer are each one class (or
object) plus a registry entry, and the estimators, their validation, the
command line, ``summary()``, diagnostics, pickle and skops, and the ONNX
export take them up with no other change."""

import contextlib
import io
import pickle

import numpy as np
import onnxruntime as ort
import pytest
import skops.io
from scipy.special import expit
from skl2onnx import to_onnx
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from strategies import fd_gradient, relative_error

from sknn import MLPClassifier, MLPRegressor
from sknn.cli import main as sknn_main
from sknn.nn import (
    ACTIVATIONS,
    INITIALIZERS,
    NORMALIZATIONS,
    OPTIMIZERS,
    SCHEDULES,
    Activation,
    Dense,
    L2,
    Layer,
    LogLoss,
    Network,
    Optimizer,
    Parameter,
    Schedule,
    dense_stack,
)

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
    """``sknn fit`` takes the options: it gets past them to the (missing) file."""
    with contextlib.redirect_stderr(io.StringIO()) as err:
        status = sknn_main(["fit", "no_such_file.csv", "--target", "y", *args])
    return status == 1 and "no_such_file.csv" in err.getvalue()


def _onnx_proba(model, X, dtype):
    Xt = X.astype(dtype)
    onx = to_onnx(model, Xt[:1], options={"zipmap": False})
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: Xt})[1]


def _check_onnx(model, X):
    for dtype, atol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        np.testing.assert_allclose(_onnx_proba(model, X, dtype), model.predict_proba(X),
                                   rtol=0, atol=atol)


def _check_saved(model, X, continue_training=False):
    """Pickle and skops round trips predict the same bits (and train on)."""
    path = "model.skops"
    skops.io.dump(model, path)
    copies = [pickle.loads(pickle.dumps(model)),
              skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))]
    for copy in copies:
        np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))
        if continue_training:
            copy.partial_fit(X, model.predict(X))
    return copies


def _network_gradient_check(layers, X, Y):
    net = Network(layers, X.shape[1], LogLoss(), np.float64)
    net.params[:] = np.random.RandomState(0).normal(scale=0.5, size=net.params.size)
    net.loss_grad(X, Y, penalize=True)
    numeric = fd_gradient(net, lambda: net.loss_grad(X, Y, penalize=True))
    assert relative_error(net.grad, numeric) < 1e-6
    return net


# -------------------------------------------------------------- activation
def _silu(Z):
    Z *= expit(Z)


def _silu_derivative(A, delta, Z):
    s = expit(Z)
    delta *= s + Z * s * (1 - s)


def _silu_onnx(graph, z):
    return graph.node("Mul", [z, graph.node("Sigmoid", [z])])


# |z sigmoid(z)| <= |z|
SILU = Activation("silu", _silu, _silu_derivative, needs_preactivation=True,
                  onnx=_silu_onnx, bound=(1.0, 0.0))


def test_a_new_activation_silu(iris, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = iris
    with pytest.raises(InvalidParameterError, match="activation"):
        MLPClassifier(activation="silu").fit(X, y)
    with registered(ACTIVATIONS, "silu", SILU):
        clf = MLPClassifier((16,), activation="silu", solver="lbfgs", max_iter=300,
                            random_state=0, diagnostics=True).fit(X, y)
        assert clf.score(X, y) > 0.95
        assert "silu" in clf.summary()
        assert clf.diagnostics_["activation_std"].shape == (clf.n_iter_, 2)
        assert _cli_accepts("--activation", "silu")
        _network_gradient_check(dense_stack([5], 3, "silu", regularizer=L2(0.5)), X[::15],
                                np.eye(3)[y[::15]])
        _check_onnx(clf, X)
        _check_saved(clf, X)
    with pytest.raises(InvalidParameterError, match="activation"):
        MLPClassifier(activation="silu").fit(X, y)


# ---------------------------------------------------------------- optimizer
class Lion(Optimizer):
    """Lion (Chen et al., 2023): the sign of an interpolation of the momentum
    and the gradient, with decoupled weight decay."""

    def __init__(self, learning_rate=1e-4, beta_1=0.9, beta_2=0.99, weight_decay=0.0):
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.weight_decay = weight_decay

    def initialize(self, n_params, dtype):
        self.momentum = np.zeros(n_params, dtype)

    def update(self, params, grad):
        direction = np.sign(self.beta_1 * self.momentum + (1 - self.beta_1) * grad)
        params *= 1 - self.lr * self.weight_decay
        params -= self.lr * direction
        self.momentum *= self.beta_2
        self.momentum += (1 - self.beta_2) * grad


def _lion_reference(p, grads, lr, beta_1, beta_2, weight_decay):
    """Lion's update as the paper's algorithm states it, one value at a time."""
    p, m = [float(v) for v in p], [0.0] * len(p)
    for g in grads:
        for i in range(len(p)):
            c = beta_1 * m[i] + (1 - beta_1) * float(g[i])
            sign = 1.0 if c > 0 else -1.0 if c < 0 else 0.0
            p[i] = p[i] - lr * (sign + weight_decay * p[i])
            m[i] = beta_2 * m[i] + (1 - beta_2) * float(g[i])
    return np.array(p)


def test_lion_steps_as_the_reference():
    rng = np.random.RandomState(0)
    grads = rng.normal(size=(7, 5))
    p0 = rng.normal(size=5)
    opt = Lion(learning_rate=0.01, weight_decay=0.1).build(5, np.float64)
    p = p0.copy()
    for g in grads:
        opt.step(p, g.copy())
    np.testing.assert_allclose(p, _lion_reference(p0, grads, 0.01, 0.9, 0.99, 0.1), rtol=1e-12)


def test_a_new_optimizer_lion(iris, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = iris
    with registered(OPTIMIZERS, "lion", Lion):
        # a name builds it with its own defaults (learning_rate 1e-4, not the
        # flat learning_rate_init): Lion's first step moves every weight by
        # exactly its rate
        one_step = dict(hidden_layer_sizes=(16,), penalty=None, batch_size=len(y),
                        shuffle=False, max_iter=1, random_state=0)
        start = MLPClassifier(solver="sgd", learning_rate_init=1e-300, **one_step).fit(X, y)
        lion = MLPClassifier(solver="lion", **one_step).fit(X, y)
        moved = np.abs(lion.coefs_[0] - start.coefs_[0])
        np.testing.assert_allclose(moved[moved > 0], 1e-4, rtol=1e-9)
        assert (moved > 0).mean() > 0.5
        assert _cli_accepts("--solver", "lion")
        # an instance has its own parameters, in scikit-learn's nested convention
        est = MLPClassifier((16,), solver=Lion(learning_rate=3e-3), max_iter=200, random_state=0)
        assert est.get_params()["solver__beta_2"] == 0.99
        assert clone(est).solver is not est.solver
        assert clone(est).get_params()["solver__learning_rate"] == 3e-3
        search = GridSearchCV(est, {"solver__learning_rate": [1e-5, 1e-2]}, cv=3).fit(X, y)
        assert search.best_params_ == {"solver__learning_rate": 1e-2}
        assert est.solver.learning_rate == 3e-3  # fitting left the parameter alone
        clf = search.best_estimator_
        assert clf.score(X, y) > 0.9
        _check_onnx(clf, X)
        _check_saved(clf, X, continue_training=True)
        # invalid parameters of a component: a clear error naming them
        with pytest.raises(ValueError, match="Lion's learning_rate must be"):
            MLPClassifier(solver=Lion(learning_rate=-1.0)).fit(X, y)


def test_the_penalty_reaches_a_new_optimizer_before_its_step(iris):
    """Training with L2 steps on the gradient of the penalised objective."""
    X, y = iris
    rows = [0, 1, 50, 51, 100, 101, 2, 52]
    Xb, Y = X[rows], np.eye(3)[y[rows]]
    kw = dict(hidden_layer_sizes=(4,), solver=Lion(learning_rate=0.1), batch_size=8,
              shuffle=False, max_iter=1, random_state=0, alpha=3.0)
    clf = MLPClassifier(**kw).fit(Xb, y[rows])
    # the same step by hand: the network at the same initial weights
    net = Network(dense_stack([4], 3, "relu", regularizer=L2(3.0)), 4, LogLoss(), np.float64)
    net.initialize(INITIALIZERS["auto"]("relu"), np.random.RandomState(0))
    before = net.params.copy()
    net.loss_grad(Xb, Y, penalize=True)
    expected = before - 0.1 * np.sign(0.1 * net.grad)
    n_weights = 4 * 4 + 4 * 3
    np.testing.assert_allclose(np.concatenate([c.ravel() for c in clf.coefs_]),
                               expected[:n_weights], rtol=1e-12)
    # without the penalty the step differs (it did reach the optimizer)
    net.params[:] = before
    net.loss_grad(Xb, Y)
    assert not np.array_equal(np.sign(net.grad[:n_weights]),
                              np.sign((expected[:n_weights] - before[:n_weights]) / -0.1))


# --------------------------------------------------------------- layer type
class UnitScaling(Layer):
    """``X * scale``, one learned factor per unit (features, after a dense
    layer), not penalised."""

    def build(self, n_inputs):
        units = super().build(n_inputs)
        self.parameters = (Parameter("scale", (units,), "unit_scales_"),)
        return units

    def initialize(self, init, random_state, dtype):
        self.scale[...] = 1.0

    def allocate(self, rows, dtype, input_grad):
        self._out = np.empty((rows, self.units), dtype)

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        out = self._out[: X.shape[0]] if training else X
        np.multiply(X, self.scale, out=out)
        if training:
            self._input = X
        return out

    def backward(self, delta):
        self.scale_grad[...] = (delta * self._input).sum(axis=0)
        delta *= self.scale
        return delta

    def output_bound(self, bound):
        return bound * float(np.abs(self.scale).max())

    def summary(self):
        return {"normalization": "UnitScaling"}

    def to_onnx(self, graph, x):
        return graph.node("Mul", [x, graph.const(self.scale, name="scale")])


def test_a_new_layer_type(iris, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = iris
    with registered(NORMALIZATIONS, "scaling", UnitScaling):
        net = _network_gradient_check(
            dense_stack([5, 4], 3, "tanh", normalization=UnitScaling(), regularizer=L2(0.5)),
            X[::15], np.eye(3)[y[::15]])
        # its parameter comes after the weights: never penalised
        assert all(r.stop <= 4 * 5 + 5 * 4 + 4 * 3 for r in net.regularized)
        clf = MLPClassifier((8, 8), normalization="scaling", max_iter=300, random_state=0,
                            diagnostics=True).fit(X, y)
        assert clf.score(X, y) > 0.9
        assert [s.shape for s in clf.unit_scales_] == [(8,), (8,)]
        assert not np.allclose(clf.unit_scales_[0], 1.0)  # it trained
        assert clf.n_params_ == 4 * 8 + 8 + 8 + 8 * 8 + 8 + 8 + 8 * 3 + 3
        assert "UnitScaling" in clf.summary()
        assert clf.diagnostics_["weight_norm"].shape == (clf.n_iter_, 3)
        assert _cli_accepts("--normalization", "scaling")
        _check_onnx(clf, X)
        _check_saved(clf, X)
        # predictions follow a new array assigned to its fitted attribute
        before = clf.predict_proba(X)
        clf.unit_scales_[1] = 2.0 * clf.unit_scales_[1]
        assert not np.allclose(clf.predict_proba(X), before)
        # an instance works in place of the name
        by_instance = MLPClassifier((8, 8), normalization=UnitScaling(), max_iter=300,
                                    random_state=0).fit(X, y)
        np.testing.assert_array_equal(by_instance.coefs_[0], clf.coefs_[0])


# -------------------------------------------------------------- initializer
def _scaled_identity(fan_in, fan_out, random_state, dtype):
    return 0.5 * np.eye(fan_in, fan_out, dtype=dtype)


def test_a_new_initializer(iris):
    X, y = iris
    with registered(INITIALIZERS, "scaled_identity", lambda: _scaled_identity):
        clf = MLPRegressor(hidden_layer_sizes=(4,), init="scaled_identity", solver="sgd",
                           learning_rate_init=1e-12, max_iter=1, random_state=0).fit(X, y)
        np.testing.assert_allclose(clf.coefs_[0], 0.5 * np.eye(4), atol=1e-9)
        np.testing.assert_allclose(clf.intercepts_[0], 0.0, atol=1e-9)
        assert _cli_accepts("--init", "scaled_identity")


# ----------------------------------------------------------------- schedule
class Halving(Schedule):
    """Halve the learning rate after every epoch."""

    def epoch_end(self, optimizer, samples_seen):
        optimizer.lr /= 2


def test_a_new_schedule(iris):
    X, y = iris
    with registered(SCHEDULES, "halving", Halving):
        clf = MLPClassifier((8,), solver="sgd", learning_rate="halving", learning_rate_init=0.1,
                            max_iter=6, random_state=0).fit(X, y)
        assert clf.learning_rate_curve_ == [0.1 / 2**k for k in range(6)]
        assert _cli_accepts("--learning-rate", "halving")


def test_a_dense_layer_alone():
    layer = Dense(2, "relu")
    assert layer.build(3) == 2
    assert [p.shape for p in layer.parameters] == [(3, 2), (2,)]
