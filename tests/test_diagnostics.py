"""Layer diagnostics (``diagnostics=True``): the recorded numbers against
values computed here, independently, with a forward pass written out in
numpy, finite differences of its loss, and the fitted weights."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from strategies import Recorder

from sknn import MLPClassifier, MLPRegressor

QUANTITIES = ["activation_mean", "activation_std", "dead_fraction", "gradient_norm",
              "weight_norm", "update_ratio"]

_ACTIVATIONS = {
    "relu": lambda Z: np.maximum(Z, 0.0),
    "tanh": np.tanh,
}


def _forward(X, Ws, bs, activations, normalization=None):
    """The hidden layers' activations and the raw output, in numpy."""
    hidden, A = [], X
    for j, (W, b) in enumerate(zip(Ws, bs)):
        Z = A @ W + b
        if j == len(Ws) - 1:
            return hidden, Z
        if normalization == "batch":  # full batch: the statistics of all rows
            Z = (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + 1e-5)
        elif normalization == "layer":
            Z = (Z - Z.mean(axis=1, keepdims=True)) / np.sqrt(Z.var(axis=1, keepdims=True) + 1e-5)
        A = _ACTIVATIONS[activations[j]](Z)
        hidden.append(A)


def _log_loss(Z, Y):
    """Mean softmax cross-entropy of raw outputs Z for one-hot Y."""
    Z = Z - Z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(Z).sum(axis=1)) - (Z * Y).sum(axis=1)))


def _squared_error(Z, Y):
    return float(np.mean(0.5 * ((Z - Y) ** 2).sum(axis=1)))


def _network_loss(X, Y, bs, activations, loss=_log_loss, normalization=None):
    """The numpy network's mean loss as a function of its weight matrices."""
    return lambda Ws: loss(_forward(X, Ws, bs, activations, normalization)[1], Y)


def _gradient_norms(loss, Ws, eps=1e-6):
    """Per weight matrix, the norm of ``loss(Ws)``'s gradient by central
    differences."""
    norms = []
    for W in Ws:
        grad = np.empty_like(W)
        for idx in np.ndindex(W.shape):
            saved = W[idx]
            W[idx] = saved + eps
            up = loss(Ws)
            W[idx] = saved - eps
            down = loss(Ws)
            W[idx] = saved
            grad[idx] = (up - down) / (2 * eps)
        norms.append(np.linalg.norm(grad))
    return np.array(norms)


def _fixed_init(weights):
    """A callable ``init`` giving these weight matrices (biases are then zero)."""
    by_shape = {W.shape: W for W in weights}
    return lambda fan_in, fan_out, random_state, dtype: by_shape[(fan_in, fan_out)].copy()


def _constructed_case():
    """30 rows of 3 positive features, 3 classes, and weights for hidden
    layers of 5 (ReLU) and 4 (tanh) units where ReLU unit 0 outputs 0 for
    every row and unit 1 is active for the last row only."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0.1, 1.0, size=(30, 3))
    X[:-1, 0] = -X[:-1, 0]
    y = np.arange(30) % 3
    Ws = [rng.normal(0, 0.7, (3, 5)), rng.normal(0, 0.7, (5, 4)), rng.normal(0, 0.7, (4, 3))]
    Ws[0][:, 0] = [0.0, -1.0, -1.0]  # z = -(x1 + x2) < 0: dead
    Ws[0][:, 1] = [1.0, 0.0, 0.0]  # z = x0 > 0 for the last row only
    return X, y, Ws


def _fit_one_epoch(X, y, Ws, batch_size, learning_rate_init, **params):
    clf = MLPClassifier(
        hidden_layer_sizes=(5, 4), activation=["relu", "tanh"], init=_fixed_init(Ws),
        solver="sgd", momentum=0.0, learning_rate_init=learning_rate_init,
        batch_size=batch_size, shuffle=False, max_iter=1, alpha=0.1, diagnostics=True,
        **params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch, on purpose
        return clf.fit(X, y)


@pytest.mark.parametrize("normalization", [None, "batch", "layer"])
def test_one_full_batch_epoch_matches_numpy(normalization):
    """One step on the whole data: activations and gradient at the initial
    weights, weight norm and update ratio from those and the fitted weights."""
    X, y, Ws = _constructed_case()
    Y = np.eye(3)[y]
    clf = _fit_one_epoch(X, y, Ws, batch_size=30, learning_rate_init=0.1,
                         normalization=normalization)
    d = clf.diagnostics_
    assert set(d) == set(QUANTITIES)
    for name in QUANTITIES:
        assert d[name].shape == (1, 3) and d[name].dtype == np.float64, name

    bs = [np.zeros(W.shape[1]) for W in Ws]
    hidden, raw = _forward(X, Ws, bs, ["relu", "tanh"], normalization)
    layers = [*hidden, raw]
    np.testing.assert_allclose(d["activation_mean"][0], [A.mean() for A in layers], rtol=1e-10)
    np.testing.assert_allclose(d["activation_std"][0], [A.std() for A in layers], rtol=1e-10)
    dead = [np.mean(np.all(A == 0, axis=0)) for A in hidden]
    np.testing.assert_array_equal(d["dead_fraction"][0], [*dead, np.nan])
    if normalization is None:
        assert dead == [0.2, 0.0]  # the construction: ReLU unit 0 only

    # the gradient of the mean loss, without the penalty (alpha=0.1)
    loss = _network_loss(X, Y, bs, ["relu", "tanh"], normalization=normalization)
    np.testing.assert_allclose(d["gradient_norm"][0], _gradient_norms(loss, Ws), rtol=1e-6)

    np.testing.assert_allclose(d["weight_norm"][0], [np.linalg.norm(W) for W in clf.coefs_],
                               rtol=1e-12)
    ratio = [np.linalg.norm(W - W0) / np.linalg.norm(W0) for W, W0 in zip(clf.coefs_, Ws)]
    np.testing.assert_allclose(d["update_ratio"][0], ratio, rtol=1e-9)
    assert np.all(d["update_ratio"][0] > 1e-3)  # the step did move the weights


def test_an_epoch_of_batches_merges_their_statistics():
    """Five batches (the last of 2 rows) with a learning rate too small to
    change the weights: every statistic is over all 30 rows at the
    initial weights, the gradient norm the mean of the five batches'."""
    X, y, Ws = _constructed_case()
    Y = np.eye(3)[y]
    clf = _fit_one_epoch(X, y, Ws, batch_size=7, learning_rate_init=1e-20)
    for W, W0 in zip(clf.coefs_, Ws):  # (a weight at 0 moves by less than 1e-20)
        np.testing.assert_allclose(W, W0, rtol=1e-15, atol=1e-20)
    d = clf.diagnostics_
    bs = [np.zeros(W.shape[1]) for W in Ws]
    hidden, raw = _forward(X, Ws, bs, ["relu", "tanh"])
    layers = [*hidden, raw]
    np.testing.assert_allclose(d["activation_mean"][0], [A.mean() for A in layers], rtol=1e-10)
    np.testing.assert_allclose(d["activation_std"][0], [A.std() for A in layers], rtol=1e-10)
    # ReLU unit 1 is 0 in the first four batches and active in the last: not dead
    assert np.count_nonzero(hidden[0][:, 1]) == 1
    np.testing.assert_array_equal(d["dead_fraction"][0], [0.2, 0.0, np.nan])

    norms = []
    for start in range(0, 30, 7):
        rows = slice(start, start + 7)
        norms.append(_gradient_norms(_network_loss(X[rows], Y[rows], bs, ["relu", "tanh"]), Ws))
    np.testing.assert_allclose(d["gradient_norm"][0], np.mean(norms, axis=0), rtol=1e-6)
    assert np.all(d["update_ratio"][0] < 1e-15)


def test_lbfgs_records_each_iterate():
    """L-BFGS: one row per iteration, from the iterate it accepted (which a
    scikit-learn callback receives): its full-data activations, gradient
    (without the penalty) and norms, and its change from the previous one."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(40, 3))
    y = np.c_[X[:, 0] * X[:, 1], np.sin(X[:, 2])]
    W0 = [rng.normal(0, 0.5, (3, 6)), rng.normal(0, 0.5, (6, 2))]
    recorder = Recorder()
    reg = MLPRegressor(hidden_layer_sizes=(6,), activation="tanh", solver="lbfgs",
                       init=_fixed_init(W0), max_iter=12, alpha=0.5, diagnostics=True)
    reg.set_callbacks(recorder)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    d = reg.diagnostics_
    assert reg.n_iter_ == len(reg.loss_curve_) == 12
    assert all(d[name].shape == (12, 2) for name in QUANTITIES)
    iterates = recorder.tasks("iteration")[:12]
    previous = W0
    for k, model in enumerate(iterates):
        Ws, bs = [W.copy() for W in model.coefs_], model.intercepts_
        hidden, raw = _forward(X, Ws, bs, ["tanh"])
        np.testing.assert_allclose(d["activation_mean"][k], [hidden[0].mean(), raw.mean()],
                                   rtol=1e-9)
        np.testing.assert_allclose(d["activation_std"][k], [hidden[0].std(), raw.std()],
                                   rtol=1e-9)
        np.testing.assert_allclose(
            d["gradient_norm"][k],
            _gradient_norms(_network_loss(X, y, bs, ["tanh"], _squared_error), Ws),
            rtol=1e-6,
        )
        np.testing.assert_allclose(d["weight_norm"][k], [np.linalg.norm(W) for W in Ws],
                                   rtol=1e-12)
        ratio = [np.linalg.norm(W - P) / np.linalg.norm(P) for W, P in zip(Ws, previous)]
        np.testing.assert_allclose(d["update_ratio"][k], ratio, rtol=1e-9)
        previous = Ws
    for W, last in zip(reg.coefs_, previous):  # the last iterate is the fitted model
        np.testing.assert_array_equal(W, last)
    assert np.all(np.isnan(d["dead_fraction"][:, 1])) and np.all(d["dead_fraction"][:, 0] == 0)


def test_partial_fit_appends_a_row_per_call_from_the_weights():
    """Each call's row: the norm of the weights after it and their change
    relative to the weights before it; earlier rows stay as they were."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = MLPClassifier((8, 6), batch_size=16, dropout=0.2, diagnostics=True, random_state=0,
                        learning_rate_init=0.01)
    rows = []
    for call in range(4):
        before = [W.astype(np.float64) for W in clf.coefs_] if call else None
        clf.partial_fit(X, y, classes=[0, 1])
        d = clf.diagnostics_
        assert all(d[name].shape == (call + 1, 3) for name in QUANTITIES)
        for earlier, row in enumerate(rows):  # appended, not recomputed
            for name in QUANTITIES:
                np.testing.assert_array_equal(d[name][earlier], row[name])
        rows.append({name: d[name][-1].copy() for name in QUANTITIES})
        after = [W.astype(np.float64) for W in clf.coefs_]
        np.testing.assert_allclose(d["weight_norm"][-1], [np.linalg.norm(W) for W in after],
                                   rtol=1e-5)
        if before is not None:
            ratio = [np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(after, before)]
            np.testing.assert_allclose(d["update_ratio"][-1], ratio, rtol=1e-4)
    assert np.all(np.isfinite(np.delete(clf.diagnostics_["dead_fraction"], -1, axis=1)))


def test_units_constructed_dead_stay_dead_in_every_epoch():
    """ReLU units whose pre-activation is negative for every row get no
    gradient: they count as dead in every epoch, the others as alive."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0.0, 1.0, size=(80, 4))
    y = (X[:, 0] > X[:, 1]).astype(int)
    clf = MLPClassifier((6,), solver="sgd", learning_rate_init=1e-3, max_iter=3,
                        warm_start=True, diagnostics=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        W, b = clf.coefs_[0], clf.intercepts_[0]
        W[:, :2], b[:2] = -1.0, 0.0  # z = -sum(x) < 0 on every row
        W[:, 2:], b[2:] = 1.0, 0.5  # z >= 0.5 on every row
        clf.fit(X, y)
    dead = clf.diagnostics_["dead_fraction"]
    assert dead.shape == (6, 2)
    np.testing.assert_array_equal(dead[3:, 0], [2 / 6] * 3)
    # and they are: no row activates them with the final weights
    hidden = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)
    assert np.all(hidden[:, :2] == 0) and np.all(hidden[:, 2:] > 0)


def _digits_subset():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


@pytest.mark.parametrize("params", [
    {"solver": "adam", "dropout": 0.3},
    {"solver": "sgd", "normalization": "batch", "max_norm": 1.0, "max_grad_norm": 0.5},
    {"solver": "adamw", "normalization": "layer", "early_stopping": True},
    {"solver": "lbfgs", "normalization": "batch"},
])
def test_recording_leaves_training_unchanged(params):
    X, y = _digits_subset()
    off = MLPClassifier((16, 8), max_iter=8, random_state=0, **params)
    on = clone(off).set_params(diagnostics=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        off.fit(X, y)
        on.fit(X, y)
    assert off.diagnostics_ is None
    assert on.loss_curve_ == off.loss_curve_
    arrays = ["coefs_", "intercepts_", "normalization_scales_", "running_means_",
              "running_vars_"]
    for name in arrays:
        for a, b in zip(getattr(on, name, []), getattr(off, name, [])):
            np.testing.assert_array_equal(a, b)
    assert all(rows.shape == (len(on.loss_curve_), 3) for rows in on.diagnostics_.values())
    assert len(on.loss_curve_) == on.n_iter_


def test_warm_start_pads_epochs_without_diagnostics_and_a_fresh_fit_forgets():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 3))
    y = X @ [1.0, -2.0, 0.5]
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
        assert reg.diagnostics_ is None
        reg.set_params(diagnostics=True).fit(X, y)
        d = reg.diagnostics_
        # row k is the epoch of loss_curve_[k]; the first three ran without
        assert len(reg.loss_curve_) == 6 and d["weight_norm"].shape == (6, 2)
        assert np.all(np.isnan(d["weight_norm"][:3]))
        assert np.all(np.isfinite(d["weight_norm"][3:]))
        np.testing.assert_allclose(d["weight_norm"][-1],
                                   [np.linalg.norm(W) for W in reg.coefs_], rtol=1e-12)
        # switched off, a continued fit keeps the rows it has
        reg.set_params(diagnostics=False).fit(X, y)
        assert len(reg.loss_curve_) == 9
        for name, rows in reg.diagnostics_.items():
            np.testing.assert_array_equal(rows, d[name])
        # a fresh fit starts a new history
        reg.set_params(warm_start=False).fit(X, y)
        assert reg.diagnostics_ is None
        reg.set_params(diagnostics=True).fit(X, y)
        assert reg.diagnostics_["weight_norm"].shape == (3, 2)
        assert np.all(np.isfinite(reg.diagnostics_["weight_norm"]))


def test_diagnostics_are_plain_arrays_that_pickle():
    X, y = _digits_subset()
    clf = MLPClassifier((8,), max_iter=4, diagnostics=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    d = clf.diagnostics_
    assert type(d) is dict
    assert all(type(rows) is np.ndarray and rows.base is None for rows in d.values())
    restored = pickle.loads(pickle.dumps(clf))
    for name in QUANTITIES:
        np.testing.assert_array_equal(restored.diagnostics_[name], d[name])
