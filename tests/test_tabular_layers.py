"""The layers for tables: gradients against finite differences and PyTorch,
adaptation to the training input, and the ensemble's loss and prediction."""

import numpy as np
import pytest
import scipy.sparse as sp
from strategies import fd_gradient, relative_error

from sknn.nn import (
    CategoricalEmbedding,
    Dense,
    EnsembleHead,
    EnsembleInput,
    LayerNormalization,
    LogLoss,
    Network,
    OneHotEncoding,
    PeriodicEmbedding,
    PiecewiseLinearEncoding,
    RobustScaling,
    SquaredError,
)

torch = pytest.importorskip("torch")  # the test extra installs it


def _normal_init(i, o, rs, dtype):
    return rs.normal(0.0, 0.5, (i, o))


def _data(n=40, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * [1.0, 10.0, 0.1, 3.0][:d] + [0.0, 50.0, -1.0, 2.0][:d]
    X[:, -1] = np.round(X[:, -1])  # a column with few distinct values
    return X


def _table_network(loss, n_outputs, members=3, seed=0):
    # bin edges are quantiles, values of the rows the layers adapt to: adapted
    # to other rows than the ones differentiated, no value sits on an edge,
    # where the encoding has a kink that finite differences straddle
    X, X_adapt = np.random.default_rng(seed).normal(size=(2, 40, 4))
    layers = [Dense(4, "tanh"), RobustScaling(clip=2.0, columns=[0, 2]),
              PiecewiseLinearEncoding(n_bins=5, columns=[1, 2, 3]),
              PeriodicEmbedding(n_frequencies=3, sigma=0.5, columns=[0, 2]),
              EnsembleInput(members, init="normal"), Dense(6, "tanh"),
              LayerNormalization(), EnsembleHead(n_outputs)]
    net = Network(layers, X.shape[1], loss, np.float64)
    net.initialize(_normal_init, np.random.RandomState(seed), X_adapt)
    return net, X


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss, n_outputs", [(LogLoss(), 3), (SquaredError(), 2)])
def test_gradient_matches_finite_differences(loss, n_outputs, weighted):
    net, X = _table_network(loss, n_outputs)
    rng = np.random.default_rng(1)
    Y = (np.eye(n_outputs)[rng.integers(0, n_outputs, X.shape[0])] if n_outputs == 3
         else rng.normal(size=(X.shape[0], n_outputs)))
    sw = rng.uniform(0.2, 2.0, X.shape[0]) if weighted else None
    net.loss_grad(X, Y, sw)
    analytic = net.grad.copy()
    numeric = fd_gradient(net, lambda: net.loss_grad(X, Y, sw))
    assert relative_error(analytic, numeric) < 1e-6


def _coded_data(n=40, seed=0):
    """Two numbers, then codes of 3 and of 4 levels."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.normal(size=(n, 2)), rng.integers(0, 3, n),
                            rng.integers(0, 4, n)]).astype(float)


def _coded_network(loss, n_outputs, seed=0):
    layers = [RobustScaling(columns=[0, 1]), OneHotEncoding([3], columns=[2]),
              # after the one-hot layer the second codes are its third column
              CategoricalEmbedding([4], dim=3, columns=[2]), EnsembleInput(2, init="normal"),
              Dense(5, "tanh"), EnsembleHead(n_outputs)]
    net = Network(layers, 4, loss, np.float64)
    net.initialize(_normal_init, np.random.RandomState(seed), _coded_data(seed=seed + 1))
    return net


@pytest.mark.parametrize("weighted", [False, True])
def test_category_layers_gradient_matches_finite_differences(weighted):
    net = _coded_network(LogLoss(), 3)
    X = _coded_data()
    rng = np.random.default_rng(1)
    Y = np.eye(3)[rng.integers(0, 3, X.shape[0])]
    sw = rng.uniform(0.2, 2.0, X.shape[0]) if weighted else None
    net.loss_grad(X, Y, sw)
    analytic = net.grad.copy()
    numeric = fd_gradient(net, lambda: net.loss_grad(X, Y, sw))
    assert relative_error(analytic, numeric) < 1e-6
    embedding = net.layers[2]
    assert np.any(embedding.embedding_grad != 0)


def test_one_hot_encoding_equals_pytorch_and_the_encoders_one_hot():
    rng = np.random.default_rng(0)
    X = _coded_data(30)
    layer = OneHotEncoding([3, 4], columns=[2, 3])
    layer.build(4)
    delta = rng.normal(size=(X.shape[0], layer.units))
    out, dx, _ = _run(layer, X, delta)

    def forward(x):
        codes = x[:, [2, 3]].detach().long()
        return torch.cat([x[:, [0, 1]], torch.nn.functional.one_hot(codes[:, 0], 3),
                          torch.nn.functional.one_hot(codes[:, 1], 4)], dim=1)

    t_out, t_dx, _ = _torch_grads(forward, X, [], delta)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_array_equal(dx, t_dx)  # the codes have no gradient: 0
    assert not dx[:, 2:].any()


def test_categorical_embedding_equals_pytorch():
    rng = np.random.default_rng(0)
    X = _coded_data(30)
    layer = _bound(CategoricalEmbedding([3, 4], dim=5, columns=[2, 3]), 4, rng)
    delta = rng.normal(size=(X.shape[0], layer.units))
    out, dx, (grad,) = _run(layer, X, delta)

    def forward(x, table):  # one table per column: the rows of its levels
        codes = x[:, [2, 3]].detach().long()
        vectors = torch.cat([torch.nn.functional.embedding(codes[:, 0], table[:3]),
                             torch.nn.functional.embedding(codes[:, 1], table[3:])], dim=1)
        return torch.cat([x[:, [0, 1]], vectors], dim=1)

    t_out, t_dx, (t_grad,) = _torch_grads(forward, X, [layer.embedding], delta)
    np.testing.assert_allclose(out, t_out, rtol=1e-14)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-14)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-12, atol=1e-14)


def test_categorical_embedding_starts_small_and_random():
    layer = CategoricalEmbedding([30, 20], dim=16)
    layer.build(2)
    layer.bind("embedding", np.zeros((50, 16)))
    layer.initialize(None, np.random.RandomState(0), np.float64)
    assert np.abs(layer.embedding).max() <= 0.25
    assert np.unique(layer.embedding).size == layer.embedding.size


def test_every_parameter_of_the_ensemble_gets_a_gradient():
    net, X = _table_network(LogLoss(), 3)
    Y = np.eye(3)[np.arange(X.shape[0]) % 3]
    net.loss_grad(X, Y)
    for layer in net.layers:
        for p in layer.parameters:
            if p.trainable:
                assert np.any(getattr(layer, p.name + "_grad") != 0), (layer, p.name)


def _torch_grads(forward, X, params, delta):
    """Output, input gradient and parameter gradients of ``forward`` in PyTorch
    for the upstream gradient ``delta``."""
    x = torch.tensor(X, requires_grad=True)
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    out = forward(x, *ps)
    out.backward(torch.tensor(delta))
    return out.detach().numpy(), x.grad.numpy(), [p.grad.numpy() for p in ps]


def _run(layer, X, delta):
    """sknn's output, input gradient and parameter gradients of a built layer."""
    layer.allocate(X.shape[0], np.float64, input_grad=True)
    out = layer.forward(X.copy(), training=True).copy()
    dx = layer.backward(delta.copy())
    grads = [getattr(layer, p.name + "_grad") for p in layer.parameters if p.trainable]
    return out, dx, grads


def _bound(layer, n_inputs, rng):
    layer.build(n_inputs)
    for p in layer.parameters:
        layer.bind(p.name, rng.normal(size=p.shape),
                   np.zeros(p.shape) if p.trainable else None)
    return layer


def test_robust_scaling_equals_pytorch():
    rng = np.random.default_rng(0)
    X = _data(30) * 3
    layer = _bound(RobustScaling(clip=1.5, columns=[1, 3]), 4, rng)
    layer.adapt(X)
    delta = rng.normal(size=X.shape)
    out, dx, _ = _run(layer, X, delta)
    center, scale = layer.center, layer.scale

    def forward(x):
        z = (x[:, [1, 3]] - torch.tensor(center)) / torch.tensor(scale)
        clipped = z / torch.sqrt(1 + (z / 1.5) ** 2)
        return torch.stack([x[:, 0], clipped[:, 0], x[:, 2], clipped[:, 1]], dim=1)

    t_out, t_dx, _ = _torch_grads(forward, X, [], delta)
    np.testing.assert_allclose(out, t_out, rtol=1e-12)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-10)


def test_piecewise_linear_encoding_equals_pytorch():
    rng = np.random.default_rng(0)
    X = _data(60)
    layer = _bound(PiecewiseLinearEncoding(n_bins=6, columns=[0, 1, 3]), 4, rng)
    layer.adapt(X)
    # new rows, some beyond the training range, none on an edge
    X = _data(60, seed=1)
    X[:, 3] += rng.uniform(-0.4, 0.4, X.shape[0])
    delta = rng.normal(size=(X.shape[0], layer.units))
    out, dx, _ = _run(layer, X, delta)
    left, width, low, high = (torch.tensor(a) for a in
                              (layer.left, layer.width, layer.low, layer.high))

    def forward(x):
        t = (x[:, [0, 1, 3], None] - left) / width
        t = torch.minimum(torch.maximum(t, low), high)
        return torch.cat([x[:, [2]], t.reshape(x.shape[0], -1)], dim=1)

    t_out, t_dx, _ = _torch_grads(forward, X, [], delta)
    np.testing.assert_allclose(out, t_out, rtol=1e-12)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-10, atol=1e-12)


def test_periodic_embedding_equals_pytorch():
    rng = np.random.default_rng(0)
    X = _data(40)
    layer = _bound(PeriodicEmbedding(n_frequencies=4, columns=[0, 2, 3]), 4, rng)
    delta = rng.normal(size=(X.shape[0], layer.units))
    out, dx, (grad,) = _run(layer, X, delta)

    def forward(x, frequency):
        angle = 2 * torch.pi * x[:, [0, 2, 3], None] * frequency  # (n, 3, 4)
        waves = torch.cat([torch.sin(angle), torch.cos(angle)], dim=2)
        return torch.cat([x[:, [1]], waves.reshape(x.shape[0], -1)], dim=1)

    t_out, t_dx, (t_grad,) = _torch_grads(forward, X, [layer.frequency], delta)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-10, atol=1e-10)


def test_ensemble_input_and_head_equal_pytorch():
    rng = np.random.default_rng(0)
    n, d, k, units = 7, 3, 4, 2
    X = rng.normal(size=(n, d))
    fan_out = _bound(EnsembleInput(members=k), d, rng)
    delta = rng.normal(size=(n * k, d))
    out, dx, (dscale,) = _run(fan_out, X, delta)
    t_out, t_dx, (t_dscale,) = _torch_grads(
        lambda x, s: (x[:, None, :] * s).reshape(n * k, d), X, [fan_out.scale], delta)
    np.testing.assert_allclose(out, t_out, rtol=1e-12)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-12)
    np.testing.assert_allclose(dscale, t_dscale, rtol=1e-12)

    head = EnsembleHead(units)
    head.input_members = k
    _bound(head, d, rng)
    H = rng.normal(size=(n * k, d))
    delta = rng.normal(size=(n * k, units))
    out, dx, (dcoef, dintercept) = _run(head, H, delta)

    def forward(h, coef, intercept):
        z = torch.einsum("nkd,kdu->nku", h.reshape(n, k, d), coef) + intercept
        return z.reshape(n * k, units)

    t_out, t_dx, (t_dcoef, t_dintercept) = _torch_grads(
        forward, H, [head.coef, head.intercept], delta)
    np.testing.assert_allclose(out, t_out, rtol=1e-12)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-12)
    np.testing.assert_allclose(dcoef, t_dcoef, rtol=1e-12)
    np.testing.assert_allclose(dintercept, t_dintercept, rtol=1e-12)


def test_ensemble_trains_on_the_mean_of_its_members_losses_as_pytorch():
    rng = np.random.default_rng(0)
    n, d, k, hidden, classes = 9, 3, 4, 5, 3
    X = rng.normal(size=(n, d))
    y = rng.integers(0, classes, n)
    sw = rng.uniform(0.5, 2.0, n)
    net = Network([EnsembleInput(k, init="normal"), Dense(hidden, "relu"),
                   EnsembleHead(classes)], d, LogLoss(), np.float64)
    net.initialize(_normal_init, np.random.RandomState(0))
    loss = net.loss_grad(X, np.eye(classes)[y], sw)
    attrs = net.fitted_attributes()
    scale = torch.tensor(attrs["ensemble_scales_"][0], requires_grad=True)
    W = torch.tensor(attrs["coefs_"][0], requires_grad=True)
    b = torch.tensor(attrs["intercepts_"][0], requires_grad=True)
    heads = torch.tensor(attrs["head_coefs_"][0], requires_grad=True)
    head_b = torch.tensor(attrs["head_intercepts_"][0], requires_grad=True)
    h = torch.relu(torch.tensor(X)[:, None, :] * scale @ W + b)  # (n, k, hidden)
    logits = torch.einsum("nkh,khc->nkc", h, heads) + head_b
    per_member = torch.nn.functional.cross_entropy(
        logits.permute(0, 2, 1), torch.tensor(y)[:, None].expand(n, k), reduction="none")
    weights = torch.tensor(sw)
    t_loss = (per_member.mean(dim=1) * weights).sum() / weights.sum()
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(net.layers[0].scale_grad, scale.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(net.layers[1].coef_grad, W.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(net.layers[2].coef_grad, heads.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(net.layers[2].intercept_grad, head_b.grad.numpy(), rtol=1e-10)

    # prediction: the mean of the members' probabilities, not of their logits
    probabilities = torch.softmax(logits, dim=2).detach().numpy()
    np.testing.assert_allclose(net.predict(X, members=True), probabilities, rtol=1e-12)
    np.testing.assert_allclose(net.predict(X), probabilities.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(net.predict(X, chunk_rows=2), probabilities.mean(axis=1),
                               rtol=1e-12)
    P, losses = net.evaluate(X, np.eye(classes)[y])
    np.testing.assert_allclose(P, probabilities.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(losses, per_member.detach().numpy().mean(axis=1), rtol=1e-12)


def test_predict_equals_the_training_forward_pass_and_leaves_the_input_alone():
    net, X = _table_network(SquaredError(), 2)
    before = X.copy()
    P = net.predict(X)
    P_chunked = net.predict(X, chunk_rows=3)
    np.testing.assert_array_equal(X, before)
    net._reserve(X.shape[0])
    training = net.forward(X, training=True).reshape(X.shape[0], net.members, 2).mean(axis=1)
    np.testing.assert_allclose(P, training, rtol=1e-12)
    np.testing.assert_allclose(P_chunked, P, rtol=1e-12)
    np.testing.assert_array_equal(X, before)


def test_piecewise_linear_encoding_gradient_on_an_edge_is_the_right_derivative():
    layer = PiecewiseLinearEncoding(n_bins=2)
    layer.build(1)
    for p in layer.parameters:
        layer.bind(p.name, np.zeros(p.shape))
    layer.adapt(np.array([[0.0], [1.0], [3.0]]))  # edges 0, 1, 3
    layer.allocate(1, np.float64, input_grad=True)
    x, delta, h = np.array([[1.0]]), np.array([[1.0, 1.0]]), 1e-7
    layer.forward(x, training=True)
    right = (layer.forward(x + h) - layer.forward(x)).sum() / h
    assert layer.backward(delta.copy())[0, 0] == pytest.approx(right) == pytest.approx(0.5)


def test_robust_scaling_adapts_to_median_and_interquartile_range():
    X = np.column_stack([np.arange(101.0), np.full(101, 7.0), np.r_[np.zeros(90), 1.0 + np.arange(11)]])
    layer = RobustScaling(clip=None)
    layer.build(3)
    layer.bind("center", np.zeros(3))
    layer.bind("scale", np.ones(3))
    layer.adapt(X)
    # column 0: median 50, quartiles 25 and 75; column 1 constant: scale 1;
    # column 2: quartiles both 0, so half its range (11 / 2)
    np.testing.assert_allclose(layer.center, [50.0, 7.0, 0.0])
    np.testing.assert_allclose(layer.scale, [50.0, 1.0, 5.5])
    np.testing.assert_allclose(layer.forward(np.array([[100.0, 7.0, 11.0]])), [[1.0, 0.0, 2.0]])


def test_smooth_clip_is_near_the_identity_inside_and_bounded_outside():
    layer = RobustScaling(clip=3.0)
    layer.build(1)
    layer.bind("center", np.zeros(1))
    layer.bind("scale", np.ones(1))
    z = np.array([[0.01], [-0.01], [1e6], [-1e6]])
    out = layer.forward(z)
    np.testing.assert_allclose(out[:2], z[:2], rtol=1e-4)
    assert np.all(np.abs(out[2:]) < 3.0) and np.all(np.abs(out[2:]) > 2.999)


def test_piecewise_linear_encoding_recovers_the_value_from_its_bins():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.exponential(size=500), rng.integers(0, 3, 500), np.full(500, 2.0)])
    layer = PiecewiseLinearEncoding(n_bins=8)
    layer.build(3)
    for p in layer.parameters:
        layer.bind(p.name, np.zeros(p.shape))
    layer.adapt(X)
    T = layer.forward(X).reshape(500, 3, 8)
    # inside its range, a value is the first edge plus the covered share of each bin
    for f in range(2):
        recovered = layer.left[f, 0] + (T[:, f] * layer.width[f]).sum(axis=1)
        np.testing.assert_allclose(recovered, X[:, f], atol=1e-12)
        inner = T[:, f, 1:-1]
        assert np.all((inner >= 0) & (inner <= 1))
    # eight quantile bins of a continuous column, two of a column of three values
    # (the others always 0), none of a constant column
    assert np.ptp(T[:, 0], axis=0).min() > 0
    assert np.count_nonzero(np.ptp(T[:, 1], axis=0)) == 2
    assert not T[:, 2].any()
    # beyond the training range the first and last bins keep their slope
    far = layer.forward(np.array([[-1.0, -3.0, 2.0], [100.0, 5.0, 2.0]])).reshape(2, 3, 8)
    assert far[0, 0, 0] < 0 and far[1, 0, -1] > 1


def test_layers_refuse_what_they_cannot_take():
    with pytest.raises(ValueError, match="columns must be indices"):
        RobustScaling(columns=[0, 5]).build(3)
    with pytest.raises(ValueError, match="one boolean per column"):
        PiecewiseLinearEncoding(columns=[True, False]).build(3)
    with pytest.raises(ValueError, match="n_bins"):
        PiecewiseLinearEncoding(n_bins=0).build(3)
    with pytest.raises(ValueError, match="members"):
        EnsembleInput(members=0).build(3)
    with pytest.raises(ValueError, match="init"):
        EnsembleInput(init="zeros").build(3)
    with pytest.raises(ValueError, match="one positive integer per selected column"):
        OneHotEncoding([3, 0]).build(2)
    with pytest.raises(ValueError, match="one positive integer per selected column"):
        CategoricalEmbedding([3], columns=[0, 1]).build(2)
    with pytest.raises(ValueError, match="dim"):
        CategoricalEmbedding([3], dim=0).build(1)
    codes = OneHotEncoding([3])
    codes.build(1)
    for bad in (3.0, -1.0, 0.5, np.nan):
        with pytest.raises(ValueError, match=r"not a category code in \[0, 3\)"):
            codes.forward(np.array([[0.0], [bad]]))
    layer = PiecewiseLinearEncoding()
    layer.build(2)
    with pytest.raises(TypeError, match="dense array"):
        layer.forward(sp.csr_matrix(np.ones((2, 2))))
