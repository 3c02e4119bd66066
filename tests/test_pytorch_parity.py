"""Optimizers and layers that scikit-learn lacks, against PyTorch's."""

import numpy as np
import pytest

from sknn.nn import OPTIMIZERS, BatchNormalization, LayerNormalization

torch = pytest.importorskip("torch")  # the test extra installs it

# sknn's solver and hyperparameters -> PyTorch's optimizer with the same ones.
# ('adam' is scikit-learn's, checked against it: it folds the bias correction
# into the step size, so its epsilon is PyTorch's eps * sqrt(1 - beta_2 ** t).)
OPTIMIZER_PAIRS = {
    "rmsprop": (dict(learning_rate=0.01, rho=0.8, epsilon=1e-6),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, eps=1e-6)),
    "adagrad": (dict(learning_rate=0.05, epsilon=1e-7),
                lambda p: torch.optim.Adagrad(p, lr=0.05, eps=1e-7)),
    "adamw": (dict(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-6,
                   weight_decay=0.3),
              lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.8, 0.95), eps=1e-6,
                                          weight_decay=0.3)),
    "sgd": (dict(learning_rate=0.05, momentum=0.7, nesterov=False),
            lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.7, dampening=0.0)),
}


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("n_steps", [1, 7])
@pytest.mark.parametrize("name", list(OPTIMIZER_PAIRS))
def test_optimizer_steps_equal_pytorchs(name, n_steps):
    hyper, make_torch = OPTIMIZER_PAIRS[name]
    rng = np.random.default_rng(0)
    start = rng.normal(size=50)
    gradients = [rng.normal(size=50) * 10.0 ** rng.uniform(-3, 1) for _ in range(n_steps)]
    ours = OPTIMIZERS[name](**hyper).build(start.size, np.float64)
    params = start.copy()
    reference = torch.nn.Parameter(torch.tensor(start))
    theirs = make_torch([reference])
    for g in gradients:
        ours.step(params, g.copy())
        reference.grad = torch.tensor(g)
        theirs.step()
    np.testing.assert_allclose(params, reference.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert not np.allclose(params, start)


def _normalization_pair(kind, units, momentum=0.2):
    if kind == "batch":
        ours = BatchNormalization(momentum=momentum)
        theirs = torch.nn.BatchNorm1d(units, momentum=momentum, dtype=torch.float64)
    else:
        ours = LayerNormalization()
        theirs = torch.nn.LayerNorm(units, dtype=torch.float64)
    assert ours.build(units) == units
    values = {p.name: np.empty(p.shape) for p in ours.parameters}
    for p in ours.parameters:
        ours.bind(p.name, values[p.name], np.empty(p.shape) if p.trainable else None)
    ours.initialize(None, None, np.float64)
    rng = np.random.default_rng(1)
    scale, shift = rng.uniform(0.5, 2, units), rng.normal(size=units)
    ours.scale[...], ours.shift[...] = scale, shift
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(scale))
        theirs.bias.copy_(torch.tensor(shift))
    return ours, theirs


@pytest.mark.parametrize("kind", ["batch", "layer"])
def test_normalization_layers_equal_pytorchs(kind):
    """Training outputs, gradients (input, scale, shift) and, for batch
    normalization, the running statistics after three steps and inference."""
    units, rows = 5, 9
    ours, theirs = _normalization_pair(kind, units)
    ours.allocate(rows, np.float64, input_grad=True)
    theirs.train()
    rng = np.random.default_rng(0)
    for step in range(3):
        X = rng.normal(loc=step, scale=1 + step, size=(rows, units))
        delta = rng.normal(size=(rows, units))
        out = ours.forward(X.copy(), training=True).copy()
        dx = ours.backward(delta.copy())
        Xt = torch.tensor(X, requires_grad=True)
        out_t = theirs(Xt)
        theirs.zero_grad()
        out_t.backward(torch.tensor(delta))
        np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dx, Xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.scale_grad, theirs.weight.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours.shift_grad, theirs.bias.grad.numpy(), rtol=1e-12)
    if kind == "batch":
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    theirs.eval()
    X = rng.normal(size=(rows, units))
    expected = theirs(torch.tensor(X)).detach().numpy()
    np.testing.assert_allclose(ours.forward(X.copy()), expected, rtol=1e-12, atol=1e-12)
