"""The numpy core: gradients against finite differences, losses against formulas."""

import numpy as np
import pytest
from scipy.special import expit, softmax, xlogy

from sknn._activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from sknn._network import Network, NonFinitePreactivation, n_parameters, predict_output

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


def _network(activation, out_activation, n_outputs, seed=0):
    rng = np.random.RandomState(seed)
    net = Network([N_FEATURES, *HIDDEN, n_outputs], activation, out_activation, np.float64)
    net.params[:] = rng.normal(scale=0.7, size=net.params.size)
    return net


def _fd_gradient(net, loss_at, eps=1e-6):
    """Central finite differences of ``loss_at()`` over ``net.params``."""
    grad = np.empty_like(net.params)
    for j in range(net.params.size):
        saved = net.params[j]
        net.params[j] = saved + eps
        up = loss_at()
        net.params[j] = saved - eps
        down = loss_at()
        net.params[j] = saved
        grad[j] = (up - down) / (2 * eps)
    return grad


def _relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def _check_gradient(net, X, Y, sw=None, **kwargs):
    loss = net.loss_grad(X, Y, sw, **kwargs)
    analytic = net.grad.copy()
    numeric = _fd_gradient(net, lambda: net.loss_grad(X, Y, sw, **kwargs))
    assert np.isfinite(loss)
    assert _relative_error(analytic, numeric) < 1e-6


OUTPUTS = [("softmax", 3), ("logistic", 1), ("logistic", 3), ("identity", 1),
           ("identity", 3), ("exp", 2)]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("out_activation, n_outputs", OUTPUTS)
def test_gradient_matches_finite_differences(activation, out_activation, n_outputs):
    net = _network(activation, out_activation, n_outputs)
    X = RNG.normal(size=(N, N_FEATURES))
    Y = _targets(out_activation, n_outputs, np.random.RandomState(1))
    _check_gradient(net, X, Y, alpha=0.3)


@pytest.mark.parametrize("out_activation, n_outputs", OUTPUTS)
def test_gradient_with_sample_weight(out_activation, n_outputs):
    net = _network("tanh", out_activation, n_outputs)
    X = RNG.normal(size=(N, N_FEATURES))
    Y = _targets(out_activation, n_outputs, np.random.RandomState(2))
    sw = np.random.RandomState(3).uniform(0.1, 3.0, size=N)
    _check_gradient(net, X, Y, sw, alpha=0.1)


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 0.15), ("elasticnet", 0.4), (None, 0.15)])
def test_gradient_with_penalties(penalty, l1_ratio):
    net = _network("logistic", "identity", 2)
    X = RNG.normal(size=(N, N_FEATURES))
    Y = _targets("identity", 2, np.random.RandomState(4))
    _check_gradient(net, X, Y, alpha=0.5, penalty=penalty, l1_ratio=l1_ratio)


def test_gradient_with_dropout_masks():
    """With the masks held fixed, the gradient is exact through dropped units."""
    net = _network("relu", "softmax", 3)
    X = RNG.normal(size=(N, N_FEATURES))
    Y = _targets("softmax", 3, np.random.RandomState(5))

    def loss_at():
        rng = np.random.default_rng(7)  # the same masks at every evaluation
        return net.loss_grad(X, Y, dropout=(0.5, 0.25), rng=rng)

    loss_at()
    analytic = net.grad.copy()
    assert _relative_error(analytic, _fd_gradient(net, loss_at)) < 1e-6


def test_sparse_input_gives_the_dense_gradient():
    import scipy.sparse as sp

    net = _network("tanh", "softmax", 3)
    X = RNG.normal(size=(N, N_FEATURES)) * (RNG.uniform(size=(N, N_FEATURES)) > 0.5)
    Y = _targets("softmax", 3, np.random.RandomState(6))
    dense_loss = net.loss_grad(X, Y, alpha=0.1)
    dense_grad = net.grad.copy()
    sparse_loss = net.loss_grad(sp.csr_matrix(X), Y, alpha=0.1)
    np.testing.assert_allclose(sparse_loss, dense_loss, rtol=1e-12)
    np.testing.assert_allclose(net.grad, dense_grad, rtol=1e-12, atol=1e-15)


def _naive_forward(net, X):
    A = X
    for i, (W, b) in enumerate(zip(net.coefs, net.intercepts)):
        A = A @ W + b
        if i < len(net.coefs) - 1:
            A = _naive_activation(net.activation.name, A)
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
    loss = net.loss_grad(X, Y)  # alpha=0: the mean data loss only
    Z = _naive_forward(net, X)
    np.testing.assert_allclose(loss, naive_loss(Z, Y).mean(), rtol=1e-12)


@pytest.mark.parametrize("out_activation", sorted(OUTPUT_ACTIVATIONS))
def test_predict_output_matches_naive_forward(out_activation):
    net = _network("relu", out_activation, 3)
    X = RNG.normal(size=(50, N_FEATURES))
    naive = _naive_forward(net, X)
    OUTPUT_ACTIVATIONS[out_activation](naive)
    for chunk_rows in (None, 1, 7):
        np.testing.assert_allclose(net.predict(X, chunk_rows=chunk_rows), naive, rtol=1e-12)


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
    net = Network([N_FEATURES, 5, 3], "relu", "softmax", np.float32)
    X = RNG.normal(size=(N, N_FEATURES)).astype(np.float32)
    Y = _targets("softmax", 3, np.random.RandomState(9)).astype(np.float32)
    net.loss_grad(X, Y, alpha=0.1)
    assert net.grad.dtype == np.float32
    assert net.predict(X).dtype == np.float32


@pytest.mark.parametrize(
    "units, expected", [((6, 1), 7), ((6, 4, 1), 33), ((6, 4, 4, 1), 53), ((6, 4, 4, 4, 1), 73)]
)
def test_parameter_count_matches_the_seed(units, expected):
    assert n_parameters(units) == expected
    assert Network(units, "relu", "identity", np.float64).params.size == expected


def test_coefs_are_views_of_the_flat_buffer():
    net = _network("relu", "identity", 2)
    net.params[:] = 0
    net.coefs[1][0, 0] = 5.0
    net.intercepts[0][1] = -3.0
    assert net.params.sum() == 2.0
    # scikit-learn's packing: all weight matrices first, then all intercepts
    assert net.params[N_FEATURES * HIDDEN[0]] == 5.0


def test_predict_output_uses_the_result_dtype():
    net = _network("relu", "identity", 2)
    X32 = RNG.normal(size=(5, N_FEATURES)).astype(np.float32)
    out = predict_output(X32, net.coefs, net.intercepts, "relu", "identity")
    assert out.dtype == np.float64


@pytest.mark.parametrize("activation", ["relu", "tanh", "identity"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_predict_output_check_layers_sees_nan_and_inf_in_the_first_layer(activation, bad):
    net = _network(activation, "softmax", 3)
    X = RNG.normal(size=(50, N_FEATURES))
    args = (net.coefs, net.intercepts, activation, "softmax")
    predict_output(X, *args, chunk_rows=16, check_layers=1)  # finite: no error
    X[37, 2] = bad  # in the third chunk
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 in the products
        with pytest.raises(NonFinitePreactivation):
            predict_output(X, *args, chunk_rows=16, check_layers=1)
        out = predict_output(X, *args, chunk_rows=16)  # unchecked: never raises
    assert np.isfinite(out[:37]).all() and np.isfinite(out[38:]).all()
