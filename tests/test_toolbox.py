"""The network-design toolbox: per-layer activations, normalization layers,
schedules, stabilisers, validation data and regression losses, as estimator
parameters. (The optimizers' and layers' arithmetic is checked against PyTorch
in test_pytorch_parity.py.)"""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.metrics import balanced_accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from strategies import Recorder, fd_gradient, relative_error

from sknn import MLPClassifier, MLPRegressor
from sknn.nn import L2, LOSSES, BatchNormalization, LayerNormalization, Network, dense_stack

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


# ----------------------------------------------------- per-layer activations
def test_one_activation_per_hidden_layer(digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(16, 8), max_iter=5, random_state=0)
    mixed = MLPClassifier(activation=["tanh", "relu"], **kw).fit(X, y)
    rows = mixed.summary().splitlines()
    assert rows[3].split()[3] == "tanh" and rows[4].split()[3] == "relu"
    # the forward pass applies each layer's own activation
    hidden = np.maximum(np.tanh(X @ mixed.coefs_[0] + mixed.intercepts_[0]) @ mixed.coefs_[1]
                        + mixed.intercepts_[1], 0)
    logits = hidden @ mixed.coefs_[2] + mixed.intercepts_[2]
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(mixed.predict_proba(X), P / P.sum(axis=1, keepdims=True))
    # the same name for every layer is the single name
    same = MLPClassifier(activation=["relu", "relu"], **kw).fit(X, y)
    plain = MLPClassifier(activation="relu", **kw).fit(X, y)
    for a, b in zip(same.coefs_, plain.coefs_):
        np.testing.assert_array_equal(a, b)


def test_auto_initialization_follows_each_layers_activation(digits):
    """scikit-learn's scheme: U(-b, b), b = sqrt(f / (fan_in + fan_out)) with
    f = 2 for logistic; the output layer follows the last hidden activation."""
    X, y = digits
    clf = MLPClassifier((16, 8), activation=["relu", "logistic"], solver="sgd",
                        learning_rate_init=1e-12, momentum=0, max_iter=1, random_state=0)
    clf.fit(X, y)
    factors = [6, 2, 2]
    for W, f in zip(clf.coefs_, factors):
        bound = np.sqrt(f / sum(W.shape))
        assert np.abs(W).max() <= bound + 1e-9 and np.abs(W).max() > 0.9 * bound


@pytest.mark.parametrize("activation, match", [
    (["relu"], "1 names but the network has 2 hidden layers"),
    (["relu", "swish"], "per hidden layer"),
    (["relu", 3], "per hidden layer"),
])
def test_per_layer_activations_are_validated(activation, match):
    X, y = make_classification(n_samples=30, n_features=4, random_state=0)
    with pytest.raises(InvalidParameterError, match=match):
        MLPClassifier((4, 3), activation=activation).fit(X, y)


# ------------------------------------------------------------- normalization
@pytest.mark.parametrize("normalization", [BatchNormalization, LayerNormalization])
@pytest.mark.parametrize("weighted", [False, True])
def test_normalized_network_gradient_matches_finite_differences(normalization, weighted):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(9, 4))
    Y = np.eye(3)[rng.randint(3, size=9)]
    sw = rng.uniform(0.2, 3.0, size=9) if weighted else None
    layers = dense_stack([5, 3], 3, ["tanh", "gelu"], (0.0, 0.0), normalization(),
                         regularizer=L2(0.3))
    net = Network(layers, 4, LOSSES["log_loss"](), np.float64)
    net.params[:] = rng.normal(scale=0.7, size=net.params.size)
    loss = net.loss_grad(X, Y, sw, penalize=True)
    analytic = net.grad.copy()
    numeric = fd_gradient(net, lambda: net.loss_grad(X, Y, sw, penalize=True))
    assert np.isfinite(loss) and relative_error(analytic, numeric) < 1e-6


def test_batch_statistics_are_weighted_by_sample_weight():
    """Integer weights and repeated rows give the same full-batch statistics,
    hence the same L-BFGS fit and running statistics."""
    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    w = np.random.RandomState(1).randint(0, 4, size=60)
    kw = dict(hidden_layer_sizes=(6,), normalization="batch", solver="lbfgs", max_iter=30,
              random_state=0, tol=0)
    a = MLPClassifier(**kw).fit(X, y, sample_weight=w)
    b = MLPClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(a.running_means_[0], b.running_means_[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(a.running_vars_[0], b.running_vars_[0], rtol=1e-6, atol=1e-8)
    # L-BFGS leaves the statistics of the whole data at the final weights
    Z = X @ a.coefs_[0] + a.intercepts_[0]
    mean = np.average(Z, axis=0, weights=w)
    np.testing.assert_allclose(a.running_means_[0], mean, rtol=1e-10)


@pytest.mark.parametrize("normalization", ["batch", "layer"])
def test_normalization_counts_and_trains_with_the_other_knobs(digits, normalization):
    X, y = digits
    kw = dict(hidden_layer_sizes=(32, 16), normalization=normalization, dropout=0.2,
              random_state=0, max_iter=30, learning_rate_init=0.01)
    clf = MLPClassifier(**kw).fit(X, y)
    assert clf.score(X, y) > 0.95
    dense = 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    assert clf.n_params_ == dense + 2 * (32 + 16)  # a scale and a shift per unit
    assert [s.shape for s in clf.normalization_scales_] == [(32,), (16,)]
    table = clf.summary()
    assert table.splitlines()[-2 if normalization == "batch" else -1] == (
        f"Total params: {clf.n_params_:,}")
    if normalization == "batch":
        assert table.splitlines()[-1] == "Non-trainable: 96 (running statistics)"
        assert [v.shape for v in clf.running_vars_] == [(32,), (16,)]
    else:
        assert not hasattr(clf, "running_means_")
    # scale and shift are not penalised: alpha leaves them alone at zero gradient
    huge = MLPClassifier(**{**kw, "alpha": 1e3, "max_iter": 2}).fit(X, y)
    assert np.abs(huge.coefs_[0]).max() < 0.1 * np.abs(clf.coefs_[0]).max()
    assert np.abs(huge.normalization_scales_[0] - 1).max() < 0.5


def test_batch_normalization_with_partial_fit_warm_start_float32_and_sparse(digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(16,), normalization="batch", random_state=0)
    inc = MLPClassifier(**kw)
    inc.partial_fit(X, y, classes=np.arange(10))
    first = inc.running_means_[0].copy()
    inc.partial_fit(X, y)
    assert not np.allclose(inc.running_means_[0], first)  # the statistics carry on
    warm = MLPClassifier(**kw, max_iter=3, warm_start=True).fit(X, y)
    means = warm.running_means_[0].copy()
    warm.fit(X, y)
    assert len(warm.loss_curve_) == 6 and not np.allclose(warm.running_means_[0], means)
    f32 = MLPClassifier(**kw, max_iter=3).fit(X.astype(np.float32), y)
    assert f32.running_vars_[0].dtype == f32.normalization_scales_[0].dtype == np.float32
    dense = MLPClassifier(**kw, max_iter=3).fit(X, y)
    sparse = MLPClassifier(**kw, max_iter=3).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.running_means_[0], dense.running_means_[0], rtol=1e-9)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X),
                               atol=1e-9)


def test_early_stopping_restores_the_running_statistics_of_the_best_epoch(digits):
    X, y = digits
    recorder = Recorder()
    clf = MLPClassifier((16,), normalization="batch", early_stopping=True, n_iter_no_change=3,
                        learning_rate_init=0.02, random_state=0).set_callbacks(recorder)
    clf.fit(X, y)
    epochs = recorder.tasks("epoch")
    best = int(np.argmax(clf.validation_scores_))
    assert best < clf.n_iter_ - 1  # training went on past the best epoch
    np.testing.assert_array_equal(clf.running_means_[0], epochs[best].running_means_[0])
    np.testing.assert_array_equal(clf.predict_proba(X), epochs[best].predict_proba(X))


# ------------------------------------------------------------------ solvers
def test_adamw_decays_weights_apart_from_the_penalty(digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(16,), solver="adamw", alpha=0.0, max_iter=20, random_state=0)
    none = MLPClassifier(weight_decay=0.0, **kw).fit(X, y)
    decayed = MLPClassifier(weight_decay=5.0, **kw).fit(X, y)
    assert np.linalg.norm(decayed.coefs_[0]) < 0.75 * np.linalg.norm(none.coefs_[0])
    assert decayed._optimizer.weight_decay == 5.0


# ---------------------------------------------------------------- schedules
def test_cosine_schedule_with_warmup_is_recorded_per_epoch(digits):
    X, y = digits
    clf = MLPClassifier((8,), solver="adam", learning_rate="cosine", warmup_iter=2,
                        learning_rate_init=0.01, max_iter=10, tol=0, random_state=0).fit(X, y)
    k = np.arange(8)
    expected = [0.01 / 3, 0.02 / 3, *(0.01 * (1 + np.cos(np.pi * k / 8)) / 2)]
    np.testing.assert_allclose(clf.learning_rate_curve_, expected, rtol=1e-12)
    assert len(clf.learning_rate_curve_) == len(clf.loss_curve_) == 10
    # partial_fit counts its epochs on: the schedule goes on annealing
    inc = MLPClassifier((8,), learning_rate="cosine", max_iter=4, learning_rate_init=0.01,
                        random_state=0)
    for _ in range(5):
        inc.partial_fit(X, y, classes=np.arange(10))
    np.testing.assert_allclose(inc.learning_rate_curve_, [
        0.01, *(0.01 * (1 + np.cos(np.pi * np.array([1, 2, 3, 3]) / 4)) / 2)])


@pytest.mark.parametrize("solver", ["adam", "rmsprop", "sgd"])
def test_adaptive_schedule_reduces_the_rate_of_every_solver(digits, solver):
    X, y = digits
    clf = MLPClassifier((8,), solver=solver, learning_rate="adaptive", learning_rate_init=0.01,
                        tol=1.0, n_iter_no_change=2, max_iter=12, random_state=0).fit(X, y)
    rates = np.array(clf.learning_rate_curve_)
    assert clf.n_iter_ == 12  # a plateau divides the rate by 5 instead of stopping
    np.testing.assert_allclose(np.unique(rates)[::-1], 0.01 / 5.0 ** np.arange(len(set(rates))))
    assert len(set(rates)) >= 3


def test_lbfgs_has_no_learning_rate_curve(digits):
    X, y = digits
    clf = MLPClassifier((8,), solver="lbfgs", max_iter=5, random_state=0).fit(X, y)
    assert clf.learning_rate_curve_ is None


# --------------------------------------------------------------- stabilisers
def test_max_grad_norm_clips_the_step(digits):
    """One full-batch SGD step without momentum: the clipped gradient."""
    X, y = digits
    kw = dict(hidden_layer_sizes=(8,), solver="sgd", momentum=0, batch_size=len(y),
              alpha=0.0, max_iter=1, shuffle=False, learning_rate_init=0.5, random_state=0)
    start = MLPClassifier(**{**kw, "learning_rate_init": 1e-300}).fit(X, y)
    net = Network(dense_stack([8], 10, "relu"), 64, LOSSES["log_loss"](), np.float64)
    net.load(vars(start))
    net.loss_grad(X, np.eye(10)[y])
    grad = net.grad.copy()
    clipped = MLPClassifier(max_grad_norm=0.01, **kw).fit(X, y)
    expected = net.params - 0.5 * grad * 0.01 / np.linalg.norm(grad)
    net.params[...] = expected
    for a, b in zip(clipped.coefs_, net.fitted_attributes()["coefs_"]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_max_norm_bounds_each_hidden_units_incoming_weights(digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(32, 16), learning_rate_init=0.05, max_iter=20, random_state=0)
    free = MLPClassifier(**kw).fit(X, y)
    assert max(np.linalg.norm(W, axis=0).max() for W in free.coefs_[:-1]) > 2.0
    clf = MLPClassifier(max_norm=2.0, **kw).fit(X, y)
    for W in clf.coefs_[:-1]:
        assert np.linalg.norm(W, axis=0).max() <= 2.0 * (1 + 1e-12)
    assert np.linalg.norm(clf.coefs_[-1], axis=0).max() > 2.0  # the output layer is free
    assert clf.score(X, y) > 0.95


@pytest.mark.parametrize("param", [{"max_norm": 1.0}, {"max_grad_norm": 1.0}])
def test_stabilisers_refuse_lbfgs(param):
    X, y = make_classification(n_samples=30, n_features=4, random_state=0)
    with pytest.raises(ValueError, match="not supported with solver='lbfgs'"):
        MLPClassifier(solver="lbfgs", **param).fit(X, y)


# ----------------------------------------------------------- validation data
def test_user_validation_data_drives_early_stopping(digits):
    X, y = digits
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)
    clf = MLPClassifier((16,), early_stopping=True, n_iter_no_change=3, random_state=0)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert clf.t_ == clf.n_iter_ * len(y_train)  # every training row trains
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.score(X_val, y_val) == clf.best_validation_score_  # the best weights are back
    w = np.random.RandomState(0).uniform(0.5, 2, len(y_val))
    weighted = MLPClassifier((16,), early_stopping=True, max_iter=3, random_state=0).fit(
        X_train, y_train, X_val=X_val, y_val=y_val, sample_weight_val=w)
    assert weighted.validation_scores_[-1] == weighted.score(X_val, y_val, sample_weight=w)


@pytest.mark.parametrize("scoring", ["loss", "neg_log_loss", balanced_accuracy_score])
def test_early_stopping_scoring(digits, scoring):
    X, y = digits
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)
    if callable(scoring):
        scoring = sklearn.metrics.make_scorer(scoring)
    clf = MLPClassifier((16,), early_stopping=True, max_iter=4, scoring=scoring,
                        random_state=0).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    final = clf.validation_scores_[np.argmax(clf.validation_scores_)]
    if scoring == "loss":
        np.testing.assert_allclose(clf.validation_scores_, -np.array(clf.validation_loss_curve_))
        expected = -log_loss(y_val, clf.predict_proba(X_val))
    elif scoring == "neg_log_loss":
        expected = -log_loss(y_val, clf.predict_proba(X_val))
    else:
        expected = balanced_accuracy_score(y_val, clf.predict(X_val))
    assert final == pytest.approx(expected, rel=1e-9)


def test_validation_data_through_a_pipeline_with_metadata_routing(digits):
    X, y = digits
    X_train, X_val, y_train, y_val = train_test_split(X * 16, y, test_size=0.3, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        mlp = MLPClassifier((16,), early_stopping=True, max_iter=5, random_state=0)
        mlp.set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)], transform_input=["X_val"])
        pipe.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    fitted = pipe[-1]
    # the validation data was scaled as the training data was
    X_val_scaled = pipe[0].transform(X_val)
    assert fitted.score(X_val_scaled, y_val) == fitted.best_validation_score_


@pytest.mark.parametrize("kwargs, match", [
    (dict(X_val=np.zeros((3, 64))), "y_val was not provided"),
    (dict(y_val=[0, 1]), "X_val was not provided"),
    (dict(X_val=np.zeros((3, 5)), y_val=[0, 1, 2]), "features"),
    (dict(X_val=np.zeros((2, 64)), y_val=[0, 99]), "not in `classes`"),
])
def test_validation_data_errors(digits, kwargs, match):
    X, y = digits
    with pytest.raises(ValueError, match=match):
        MLPClassifier((4,), early_stopping=True, max_iter=1).fit(X, y, **kwargs)
    if "X_val" in kwargs and "y_val" in kwargs:
        return
    with pytest.raises(ValueError, match="only early stopping uses them"):
        MLPClassifier((4,), max_iter=1).fit(X, y, X_val=X[:5], y_val=y[:5])


# ------------------------------------------------------------ regression losses
LOSS_FORMULAS = {
    "absolute_error": (lambda r, p: np.abs(r).sum(axis=1), {}),
    "huber": (lambda r, p: np.where(np.abs(r) <= p["delta"], 0.5 * r**2,
                                    p["delta"] * (np.abs(r) - p["delta"] / 2)
                                    ).sum(axis=1), {"delta": 0.7}),
    "quantile": (lambda r, p: np.where(-r >= 0, p["quantile"] * -r,
                                       (p["quantile"] - 1) * -r).sum(axis=1), {"quantile": 0.8}),
}


@pytest.mark.parametrize("name", sorted(LOSS_FORMULAS))
def test_robust_losses_values_and_gradients(name):
    formula, params = LOSS_FORMULAS[name]
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2)) * 3
    net = Network(dense_stack([4], 2, "tanh"), 3, LOSSES[name](**params), np.float64)
    net.params[:] = rng.normal(scale=0.7, size=net.params.size)
    loss = net.loss_grad(X, Y)
    Z = net.predict(X, raw=True)
    np.testing.assert_allclose(loss, formula(Z - Y, params).mean(), rtol=1e-12)
    analytic = net.grad.copy()
    # kinks only where a residual is exactly 0 or +-delta: not at these points
    assert relative_error(analytic, fd_gradient(net, lambda: net.loss_grad(X, Y))) < 1e-6


def test_quantile_regressors_give_prediction_intervals():
    rng = np.random.RandomState(0)
    X = rng.uniform(-3, 3, size=(3000, 1))
    y = np.sin(X[:, 0]) + rng.normal(scale=0.2 + 0.2 * np.abs(X[:, 0]))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
    kw = dict(hidden_layer_sizes=(32,), loss="quantile", learning_rate_init=0.01,
              max_iter=200, random_state=0)
    low = MLPRegressor(quantile=0.1, **kw).fit(X_train, y_train)
    high = MLPRegressor(quantile=0.9, **kw).fit(X_train, y_train)
    inside = (low.predict(X_test) <= y_test) & (y_test <= high.predict(X_test))
    assert 0.75 < inside.mean() < 0.85  # nominal 80%
    median = MLPRegressor(**{**kw, "loss": "absolute_error"}).fit(X_train, y_train)
    assert 0.45 < np.mean(y_test < median.predict(X_test)) < 0.55


def test_huber_resists_outliers():
    X, y = make_regression(n_samples=400, n_features=3, noise=1.0, random_state=0)
    y = y / y.std()
    y_dirty = y.copy()
    y_dirty[::20] += 50.0  # 5% gross outliers
    kw = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=300, random_state=0)
    squared = MLPRegressor(**kw).fit(X, y_dirty)
    huber = MLPRegressor(loss="huber", huber_delta=0.5, **kw).fit(X, y_dirty)
    clean = np.arange(400) % 20 != 0
    error = lambda est: np.mean((est.predict(X[clean]) - y[clean]) ** 2)  # noqa: E731
    assert error(huber) < 0.25 * error(squared)


# --------------------------------------------------- search and persistence
def test_new_parameters_are_searchable_and_persist(digits):
    X, y = digits
    grid = GridSearchCV(
        MLPClassifier((16,), max_iter=30, learning_rate_init=0.01, random_state=0),
        {"normalization": [None, "batch", "layer"], "solver": ["adam", "adamw", "rmsprop"],
         "learning_rate": ["constant", "cosine"], "max_norm": [None, 3.0]},
        cv=2,
    ).fit(X[:600], y[:600])
    assert len(grid.cv_results_["params"]) == 36 and grid.best_score_ > 0.8
    best = grid.best_estimator_
    restored = pickle.loads(pickle.dumps(best))
    np.testing.assert_array_equal(restored.predict_proba(X), best.predict_proba(X))
