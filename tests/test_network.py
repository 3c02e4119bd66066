"""The numpy core: gradients against finite differences, losses against formulas."""

import numpy as np
import pytest
from scipy.special import expit, softmax, xlogy
from strategies import fd_gradient, relative_error

from sknn.nn import (
    ACTIVATIONS,
    L1,
    L2,
    LOSSES,
    OUTPUT_ACTIVATIONS,
    Dense,
    Dropout,
    ElasticNet,
    Network,
    NonFinitePreactivation,
    dense_stack,
)

# Every test here runs with the compiled loops and with the numpy fallback.
pytestmark = pytest.mark.usefixtures("kernels")

RNG = np.random.RandomState(0)
N, N_FEATURES, HIDDEN = 7, 4, (5, 3)


def _targets(out_activation, n_outputs, rng):
    if out_activation == "softmax":
        return np.eye(n_outputs)[rng.randint(n_outputs, size=N)]
    if out_activation == "logistic":
        return rng.randint(2, size=(N, n_outputs)).astype(float)
    if out_activation == "exp":
        return rng.poisson(2.0, size=(N, n_outputs)).astype(float)
    return rng.normal(size=(N, n_outputs))


# scikit-learn's loss of each output activation
LOSS_OF = {"softmax": "log_loss", "logistic": "binary_log_loss", "identity": "squared_error",
           "exp": "poisson"}


def _network(activation, out_activation, n_outputs, seed=0, dropout=(), regularizer=None):
    """A network whose dense layers' weights carry ``regularizer`` (the
    estimators' ``penalty``)."""
    rng = np.random.RandomState(seed)
    layers = dense_stack(list(HIDDEN), n_outputs, activation, dropout, regularizer=regularizer)
    net = Network(layers, N_FEATURES, LOSSES[LOSS_OF[out_activation]](), np.float64)
    net.params[:] = rng.normal(scale=0.7, size=net.params.size)
    return net


def _penalized_objective(net, X, Y, sw=None):
    """The penalised objective, mean data loss + every regularizer's value,
    with its (sub)gradient in ``net.grad``: the smooth parts' gradients (added
    by ``loss_grad(penalize=True)``) plus the L1 parts' subgradient
    ``l1_coefficient(m) * sign(w)`` (0 at 0)."""
    loss = net.loss_grad(X, Y, sw, penalize=True)
    m = float(X.shape[0]) if sw is None else float(sw.sum())
    loss += net.nonsmooth_penalty(m)
    for r in net.regularized:
        grad = r.grad  # a view of net.grad
        grad += r.regularizer.l1_coefficient(m) * np.sign(r.values)
    return loss


def _check_gradient(net, X, Y, sw=None):
    loss = _penalized_objective(net, X, Y, sw)
    analytic = net.grad.copy()
    numeric = fd_gradient(net, lambda: _penalized_objective(net, X, Y, sw))
    assert np.isfinite(loss)
    assert relative_error(analytic, numeric) < 1e-6


OUTPUTS = [("softmax", 3), ("logistic", 1), ("logistic", 3), ("identity", 1),
           ("identity", 3), ("exp", 2)]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("out_activation, n_outputs", OUTPUTS)
def test_gradient_matches_finite_differences(activation, out_activation, n_outputs):
    net = _network(activation, out_activation, n_outputs, regularizer=L2(0.3))
    X = RNG.normal(size=(N, N_FEATURES))
    Y = _targets(out_activation, n_outputs, np.random.RandomState(1))
    _check_gradient(net, X, Y)


@pytest.mark.parametrize("out_activation, n_outputs", OUTPUTS)
def test_gradient_with_sample_weight(out_activation, n_outputs):
    net = _network("tanh", out_activation, n_outputs, regularizer=L2(0.1))
    X = RNG.normal(size=(N, N_FEATURES))
    Y = _targets(out_activation, n_outputs, np.random.RandomState(2))
    sw = np.random.RandomState(3).uniform(0.1, 3.0, size=N)
    _check_gradient(net, X, Y, sw)


@pytest.mark.parametrize("penalty", [L1(0.5), ElasticNet(0.5, l1_ratio=0.4), None])
def test_gradient_with_penalties(penalty):
    """The L1 parts through their subgradient (weights are away from 0 here)."""
    net = _network("logistic", "identity", 2, regularizer=penalty)
    X = RNG.normal(size=(N, N_FEATURES))
    Y = _targets("identity", 2, np.random.RandomState(4))
    _check_gradient(net, X, Y)


def test_gradient_with_dropout_masks():
    """With the masks held fixed, the gradient is exact through dropped units."""
    net = _network("relu", "softmax", 3, dropout=(0.5, 0.25))
    X = RNG.normal(size=(N, N_FEATURES))
    Y = _targets("softmax", 3, np.random.RandomState(5))

    def loss_at():
        # the same masks at every evaluation
        return net.loss_grad(X, Y, rng=np.random.default_rng(7))

    loss_at()
    analytic = net.grad.copy()
    assert relative_error(analytic, fd_gradient(net, loss_at)) < 1e-6


def test_sparse_input_gives_the_dense_gradient():
    import scipy.sparse as sp

    net = _network("tanh", "softmax", 3, regularizer=L2(0.1))
    X = RNG.normal(size=(N, N_FEATURES)) * (RNG.uniform(size=(N, N_FEATURES)) > 0.5)
    Y = _targets("softmax", 3, np.random.RandomState(6))
    dense_loss = net.loss_grad(X, Y, penalize=True)
    dense_grad = net.grad.copy()
    sparse_loss = net.loss_grad(sp.csr_matrix(X), Y, penalize=True)
    np.testing.assert_allclose(sparse_loss, dense_loss, rtol=1e-12)
    np.testing.assert_allclose(net.grad, dense_grad, rtol=1e-12, atol=1e-15)


def _naive_forward(net, X):
    """Each dense layer's activation of ``X @ coef + intercept``, written out."""
    A = X
    for layer in net.layers:
        A = _naive_activation(layer.act.name, A @ layer.coef + layer.intercept)
    return A


def _naive_activation(name, Z):
    """Textbook formulas, written independently of the core."""
    from scipy.special import erf

    return {
        "identity": lambda z: z,
        "logistic": lambda z: 1 / (1 + np.exp(-z)),
        "tanh": np.tanh,
        "relu": lambda z: np.where(z > 0, z, 0.0),
        "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
        "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1),
        "selu": lambda z: 1.0507009873554805
        * np.where(z > 0, z, 1.6732632423543772 * (np.exp(z) - 1)),
        "softplus": lambda z: np.log1p(np.exp(z)),
        "gelu": lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2))),
    }[name](Z)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_activations_match_textbook_formulas(activation):
    Z = np.linspace(-4, 4, 41).reshape(1, -1)
    out = Z.copy()
    ACTIVATIONS[activation].function(out)
    np.testing.assert_allclose(out, _naive_activation(activation, Z), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "out_activation, naive_loss",
    [
        ("softmax", lambda Z, Y: -np.sum(Y * np.log(softmax(Z, axis=1)), axis=1)),
        (
            "logistic",
            lambda Z, Y: -np.sum(
                Y * np.log(expit(Z)) + (1 - Y) * np.log(1 - expit(Z)), axis=1
            ),
        ),
        ("identity", lambda Z, Y: 0.5 * np.sum((Z - Y) ** 2, axis=1)),
        (
            "exp",
            lambda Z, Y: np.sum(xlogy(Y, Y / np.exp(Z)) - Y + np.exp(Z), axis=1),
        ),
    ],
)
def test_loss_value_matches_its_formula(out_activation, naive_loss):
    net = _network("tanh", out_activation, 3)
    X = RNG.normal(size=(N, N_FEATURES))
    Y = _targets(out_activation, 3, np.random.RandomState(8))
    loss = net.loss_grad(X, Y)  # no penalty: the mean data loss only
    Z = _naive_forward(net, X)
    np.testing.assert_allclose(loss, naive_loss(Z, Y).mean(), rtol=1e-12)


@pytest.mark.parametrize("out_activation", sorted(OUTPUT_ACTIVATIONS))
def test_predict_matches_naive_forward(out_activation):
    net = _network("relu", out_activation, 3)
    X = RNG.normal(size=(50, N_FEATURES))
    naive = _naive_forward(net, X)
    OUTPUT_ACTIVATIONS[out_activation].function(naive)
    for chunk_rows in (None, 1, 7):
        np.testing.assert_allclose(net.predict(X, chunk_rows=chunk_rows), naive, rtol=1e-12)
        raw = net.predict(X, chunk_rows=chunk_rows, raw=True)
        np.testing.assert_allclose(raw, _naive_forward(net, X), rtol=1e-12)


def test_extreme_logits_give_finite_losses_without_warnings():
    Y = np.eye(3)[[0, 1, 2, 0]]
    for out_activation in ("softmax", "logistic"):
        net = _network("identity", out_activation, 3)
        net.params *= 1e4
        X = RNG.normal(size=(4, N_FEATURES))
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            loss = net.loss_grad(X, Y)
            proba = net.predict(X)
        assert np.isfinite(loss) and np.all(np.isfinite(net.grad))
        assert np.all((proba >= 0) & (proba <= 1))


def test_float32_network_stays_float32():
    net = Network(dense_stack([5], 3, "relu", regularizer=L2(0.1)), N_FEATURES,
                  LOSSES["log_loss"](), np.float32)
    X = RNG.normal(size=(N, N_FEATURES)).astype(np.float32)
    Y = _targets("softmax", 3, np.random.RandomState(9)).astype(np.float32)
    net.loss_grad(X, Y, penalize=True)
    assert net.grad.dtype == np.float32
    assert net.predict(X).dtype == np.float32


@pytest.mark.parametrize(
    "units, expected", [((6, 1), 7), ((6, 4, 1), 33), ((6, 4, 4, 1), 53), ((6, 4, 4, 4, 1), 73)]
)
def test_parameter_counts_of_dense_networks(units, expected):
    """6 inputs, 1 output and hidden layers of 4: 7, 33, 53, 73 parameters."""
    layers = dense_stack(list(units[1:-1]), units[-1], "relu", (0.5,) * (len(units) - 2))
    net = Network(layers, units[0], LOSSES["squared_error"](), np.float64)
    assert net.params.size == expected


def test_layers_own_views_of_the_flat_vector_in_sklearns_packing():
    net = _network("relu", "identity", 2, dropout=(0.5, 0.0), regularizer=L2(0.1))
    first, _, second, third = net.layers
    net.params[:] = 0
    second.coef[0, 0] = 5.0
    first.intercept[1] = -3.0
    assert net.params.sum() == 2.0
    # scikit-learn's packing: all weight matrices first, then all intercepts,
    # and the penalty sees the weight matrices alone
    assert net.params[N_FEATURES * HIDDEN[0]] == 5.0
    n_weights = N_FEATURES * HIDDEN[0] + HIDDEN[0] * HIDDEN[1] + HIDDEN[1] * 2
    [penalised] = net.regularized  # every dense layer's weights, joined into one slice
    assert (penalised.start, penalised.stop) == (0, n_weights)
    assert np.shares_memory(penalised.values, net.params[:n_weights])
    assert penalised.values.size == n_weights
    assert net.params[n_weights + 1] == -3.0
    # gradients are views too
    net.grad[:] = 0
    third.intercept_grad[:] = 7.0
    np.testing.assert_array_equal(net.grad[-2:], 7.0)


def test_fitted_attributes_round_trip_through_load():
    net = _network("tanh", "softmax", 3, dropout=(0.2, 0.2))
    attributes = net.fitted_attributes(copy=True)
    assert [W.shape for W in attributes["coefs_"]] == [(4, 5), (5, 3), (3, 3)]
    assert attributes["n_layers_"] == 4 and attributes["n_outputs_"] == 3
    assert attributes["out_activation_"] == "softmax" and attributes["n_params_"] == 4 * 5 + 5 + 5 * 3 + 3 + 3 * 3 + 3
    before = net.params.copy()
    net.params[:] = 0
    net.load(attributes)
    np.testing.assert_array_equal(net.params, before)


def test_inference_network_uses_the_fitted_arrays_themselves():
    net = _network("relu", "softmax", 3)
    attributes = net.fitted_attributes(copy=True)
    layers = dense_stack(list(HIDDEN), 3, "relu")
    inference = Network.from_fitted(layers, N_FEATURES, "softmax", attributes, np.float64)
    X = RNG.normal(size=(20, N_FEATURES))
    np.testing.assert_array_equal(inference.predict(X), net.predict(X))
    assert inference.layers[0].coef is attributes["coefs_"][0]  # borrowed, not copied
    attributes["coefs_"][-1][...] = 0
    attributes["intercepts_"][-1][...] = 0
    np.testing.assert_allclose(inference.predict(X), 1 / 3)


def test_dropout_layer_zeroes_a_fraction_p_and_gates_the_gradient():
    layer = Dropout(0.3)
    assert layer.build(400) == 400
    layer.allocate(500, np.float64, input_grad=True)
    H = np.abs(np.random.RandomState(1).normal(size=(500, 400))) + 0.1
    dropped = layer.forward(H, training=True, rng=np.random.default_rng(0))
    kept = dropped > 0
    assert 1 - kept.mean() == pytest.approx(0.3, abs=0.01)
    np.testing.assert_allclose(dropped[kept], H[kept] / 0.7)
    assert dropped.mean() == pytest.approx(H.mean(), rel=0.01)
    delta = layer.backward(np.ones_like(H))
    np.testing.assert_array_equal(delta, np.where(kept, 1 / 0.7, 0.0))
    assert layer.forward(H) is H  # inference: unchanged


def test_dense_layer_forward_and_backward_by_hand():
    layer = Dense(2, "relu")
    assert layer.build(3) == 2
    layer.bind("coef", np.array([[1.0, -1.0], [0.5, 0.0], [0.0, 2.0]]), np.empty((3, 2)))
    layer.bind("intercept", np.array([0.0, 0.5]), np.empty(2))
    layer.allocate(4, np.float64, input_grad=True)
    X = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    A = layer.forward(X, training=True)
    np.testing.assert_array_equal(A, np.maximum(X @ layer.coef + layer.intercept, 0))
    delta = np.ones((4, 2))
    dx = layer.backward(delta.copy())
    gate = (A > 0).astype(float)
    np.testing.assert_array_equal(layer.intercept_grad, gate.sum(axis=0))
    np.testing.assert_array_equal(layer.coef_grad, X.T @ gate)
    np.testing.assert_array_equal(dx, gate @ layer.coef.T)


@pytest.mark.parametrize("activation", ["relu", "tanh", "identity"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_predict_check_layers_sees_nan_and_inf_in_the_first_layer(activation, bad):
    net = _network(activation, "softmax", 3)
    X = RNG.normal(size=(50, N_FEATURES))
    net.predict(X, chunk_rows=16, check_layers=1)  # finite: no error
    X[37, 2] = bad  # in the third chunk
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 in the products
        with pytest.raises(NonFinitePreactivation):
            net.predict(X, chunk_rows=16, check_layers=1)
        out = net.predict(X, chunk_rows=16)  # unchecked: never raises
    assert np.isfinite(out[:37]).all() and np.isfinite(out[38:]).all()
