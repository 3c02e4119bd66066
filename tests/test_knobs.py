"""The network-design knobs: initializers, penalties, dropout, activations,
class weights and parameter counts."""

import numpy as np
import pytest
from scipy.stats import truncnorm
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data
from strategies import SOLVERS, validation_rows

from sknn import MLPClassifier, MLPRegressor
from sknn.nn import (
    INITIALIZERS,
    L1,
    L2,
    LOSSES,
    REGULARIZERS,
    ElasticNet,
    GroupLasso,
    Network,
    dense_stack,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAN_IN, FAN_OUT = 400, 300
# standard deviation of a unit normal truncated to [-2, 2]
TRUNC = truncnorm(-2, 2).std()

# name -> (distribution, nominal std); uniform bounds are sqrt(3) * std
EXPECTED = {
    "normal": ("normal", 0.05),
    "uniform": ("uniform", 0.05 / np.sqrt(3)),
    "truncated_normal": ("truncated", 0.05 * TRUNC),
    "glorot_uniform": ("uniform", np.sqrt(2 / (FAN_IN + FAN_OUT))),
    "glorot_normal": ("truncated", np.sqrt(2 / (FAN_IN + FAN_OUT))),
    "he_uniform": ("uniform", np.sqrt(2 / FAN_IN)),
    "he_normal": ("truncated", np.sqrt(2 / FAN_IN)),
    "lecun_uniform": ("uniform", np.sqrt(1 / FAN_IN)),
    "lecun_normal": ("truncated", np.sqrt(1 / FAN_IN)),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_initializer_statistics(name):
    kind, std = EXPECTED[name]
    init = INITIALIZERS[name]()
    W = init(FAN_IN, FAN_OUT, np.random.RandomState(0), np.float64)
    n = W.size
    assert W.shape == (FAN_IN, FAN_OUT) and W.dtype == np.float64
    np.testing.assert_array_equal(init.bias(FAN_IN, FAN_OUT, None, np.float64), 0)
    assert abs(W.mean()) < 4 * std / np.sqrt(n)
    assert W.std() == pytest.approx(std, rel=0.02)
    if kind == "uniform":
        bound = np.sqrt(3) * std
        assert np.abs(W).max() <= bound and np.abs(W).max() > 0.99 * bound
    elif kind == "truncated":
        # draws beyond two nominal (pre-correction) standard deviations are redrawn
        limit = 2 * (std / TRUNC if name != "truncated_normal" else 0.05)
        assert np.abs(W).max() <= limit and np.abs(W).max() > 0.95 * limit
    else:
        assert np.abs(W).max() > 3 * std  # an untruncated normal has tails


def test_auto_initializer_is_sklearns_scheme():
    rng = np.random.RandomState(0)
    init = INITIALIZERS["auto"](activation="logistic")
    W = init(30, 20, rng, np.float64)
    b = init.bias(30, 20, rng, np.float64)
    bound = np.sqrt(2 / 50)
    ref = np.random.RandomState(0)
    np.testing.assert_array_equal(W, ref.uniform(-bound, bound, (30, 20)))
    np.testing.assert_array_equal(b, ref.uniform(-bound, bound, 20))


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (30, 30)])
def test_orthogonal_initializer(shape):
    W = INITIALIZERS["orthogonal"]()(*shape, np.random.RandomState(0), np.float64)
    small = min(shape)
    gram = W.T @ W if shape[0] >= shape[1] else W @ W.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_initializers_draw_only_from_the_estimators_random_state():
    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    for init in sorted(INITIALIZERS):
        np.random.seed(0)
        a = MLPClassifier(init=init, max_iter=1, random_state=3).fit(X, y).coefs_[0]
        np.random.seed(1)
        b = MLPClassifier(init=init, max_iter=1, random_state=3).fit(X, y).coefs_[0]
        np.testing.assert_array_equal(a, b)


def test_callable_init_and_its_shape_check():
    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    calls = []

    def ones(fan_in, fan_out, random_state, dtype):
        calls.append((fan_in, fan_out, dtype))
        assert isinstance(random_state, np.random.RandomState)
        return np.full((fan_in, fan_out), 0.1)

    clf = MLPClassifier(hidden_layer_sizes=(4,), init=ones, max_iter=1).fit(X, y)
    assert [c[:2] for c in calls] == [(5, 4), (4, 1)]
    clf = MLPClassifier(hidden_layer_sizes=(4,), init=ones, max_iter=1, solver="sgd",
                        learning_rate_init=1e-12).fit(X, y)
    np.testing.assert_allclose(clf.coefs_[0], 0.1, atol=1e-9)
    np.testing.assert_allclose(clf.intercepts_[0], 0, atol=1e-9)
    with pytest.raises(ValueError, match=r"must return shape \(5, 4\)"):
        MLPClassifier(hidden_layer_sizes=(4,), init=lambda i, o, r, d: np.ones((o, i))).fit(X, y)


# ----------------------------------------------------------------- penalty
@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("penalty, rho", [("l2", 0.0), ("l1", 1.0), ("elasticnet", 0.3)])
@pytest.mark.parametrize("feature_alpha", [0.0, 0.4])
def test_penalty_value_and_gradient_follow_the_formula(penalty, rho, feature_alpha):
    """The value of the smooth and non-smooth parts, the smooth part's
    gradient, and the non-smooth parts' strengths through their proximal
    steps (soft-thresholding by ``alpha rho / (2 m)``, each row shrunk by
    ``feature_alpha / (2 m)``)."""
    alpha, m = 0.7, 13.0
    regularizer = {"l2": L2(alpha), "l1": L1(alpha), "elasticnet": ElasticNet(alpha, 0.3)}[penalty]
    group = GroupLasso(feature_alpha) if feature_alpha else None
    net = Network(dense_stack([], 5, "relu", regularizer=regularizer, input_regularizer=group),
                  10, LOSSES["squared_error"](), np.float64)
    net.params[:] = np.random.RandomState(0).normal(size=net.params.size)
    net.layers[0].coef[3] = 0.0  # a feature without weights
    net.grad[:] = 0.0
    W = net.layers[0].coef.copy()
    value = net.smooth_penalty(m) + net.nonsmooth_penalty(m)
    norms = np.linalg.norm(W, axis=1)
    expected = alpha / (2 * m) * np.sum(rho * np.abs(W) + (1 - rho) * W**2)
    expected += feature_alpha / (2 * m) * norms.sum()
    assert value == pytest.approx(expected, rel=1e-12)
    # the smooth (L2) part's gradient
    gradient = alpha / (2 * m) * 2 * (1 - rho) * W
    np.testing.assert_allclose(net.layers[0].coef_grad, gradient, rtol=1e-12)
    np.testing.assert_array_equal(net.layers[0].intercept_grad, 0)  # never penalised
    assert all(r.stop <= W.size for r in net.regularized)  # the weights alone
    # the non-smooth parts: the L1 part's coefficient and proximal steps
    assert regularizer.l1_coefficient(m) == pytest.approx(alpha * rho / (2 * m), rel=1e-12)
    attached = [r.regularizer for r in net.regularized]
    assert attached[0] is regularizer and attached[1:] == ([group] if group else [])
    step = 0.5
    for r in net.regularized:
        w = r.values.copy()
        r.regularizer.proximal_step(w, step, m)
        if r.regularizer is regularizer:
            threshold = step * alpha * rho / (2 * m)
            shrunk = np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0)
        else:
            strength = step * feature_alpha / (2 * m)
            scale = np.maximum(0.0, 1 - np.divide(strength, norms, out=np.full_like(norms, np.inf),
                                                   where=norms > 0))
            shrunk = W * scale[:, None]
        np.testing.assert_allclose(w.reshape(W.shape), shrunk, rtol=1e-12, atol=1e-15)
    if group is not None:
        assert group.l1_coefficient(m) is None  # not an L1 form: L-BFGS refuses it


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("penalty", [*REGULARIZERS, None])
def test_loss_includes_the_penalty_on_weights_only(solver, penalty):
    """loss_ = mean data loss + the penalty of the weights it was computed at."""
    X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    kw = dict(hidden_layer_sizes=(3,), solver=solver, alpha=5.0, penalty=penalty,
              l1_ratio=0.4, max_iter=1, batch_size=50, shuffle=False, random_state=0)
    fitted = MLPClassifier(**kw).fit(X, y)
    if solver == "lbfgs":
        # loss_ is the objective at the final iterate
        coefs, intercepts, reported = fitted.coefs_, fitted.intercepts_, fitted.loss_
    else:
        # the one full-batch epoch reports the loss at the initial weights
        start = MLPClassifier(**{**kw, "solver": "sgd", "learning_rate_init": 1e-300}).fit(X, y)
        coefs, intercepts, reported = start.coefs_, start.intercepts_, fitted.loss_curve_[0]
    net = Network(dense_stack([3], 1, "relu"), 4, LOSSES["binary_log_loss"](), np.float64)
    net.load({"coefs_": coefs, "intercepts_": intercepts})
    data_loss = net.loss_grad(X, (y == 1).astype(float)[:, None])  # no penalty
    w = np.concatenate([c.ravel() for c in coefs])
    rho = {"l2": 0.0, "l1": 1.0, "elasticnet": 0.4, None: None}[penalty]
    omega = 0.0 if rho is None else 5.0 / (2 * 50) * np.sum(rho * np.abs(w) + (1 - rho) * w**2)
    assert reported == pytest.approx(data_loss + omega, rel=1e-10)


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("penalty", list(REGULARIZERS))
def test_intercepts_are_never_penalised(penalty):
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    kw = dict(hidden_layer_sizes=(5,), solver="sgd", momentum=0.0, batch_size=40,
              max_iter=1, penalty=penalty, random_state=0, shuffle=False)
    plain = MLPClassifier(alpha=0.0, **kw).fit(X, y)
    penalised = MLPClassifier(alpha=10.0, **kw).fit(X, y)
    # one full-batch step from the same start: only the weights feel alpha
    for a, b in zip(plain.intercepts_, penalised.intercepts_):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(plain.coefs_, penalised.coefs_):
        assert np.all(a != b)


def test_penalty_none_ignores_alpha():
    X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    kw = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    a = MLPClassifier(penalty=None, alpha=100.0, **kw).fit(X, y)
    b = MLPClassifier(penalty="l2", alpha=0.0, **kw).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])


def test_l1_penalty_makes_weights_sparse():
    X, y = make_classification(n_samples=300, n_features=20, n_informative=3, random_state=0)
    kw = dict(hidden_layer_sizes=(10,), solver="sgd", max_iter=200, random_state=0,
              learning_rate_init=0.05)
    l1 = MLPClassifier(penalty="l1", alpha=3.0, **kw).fit(X, y)
    l2 = MLPClassifier(penalty="l2", alpha=3.0, **kw).fit(X, y)
    small = lambda est: np.mean(np.abs(est.coefs_[0]) < 1e-2)  # noqa: E731
    assert small(l1) > 2 * small(l2)


# ----------------------------------------------------------------- dropout
def test_dropout_masks_are_reproducible_and_off_at_predict():
    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    kw = dict(hidden_layer_sizes=(20, 10), dropout=(0.5, 0.25), max_iter=5, random_state=0)
    a, b = MLPClassifier(**kw).fit(X, y), MLPClassifier(**kw).fit(X, y)
    for wa, wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(wa, wb)
    no_dropout = MLPClassifier(**{**kw, "dropout": 0.0}).fit(X, y)
    assert not np.allclose(a.coefs_[0], no_dropout.coefs_[0])
    # predictions use no mask and no rescaling: the plain forward pass
    hidden = np.maximum(X @ a.coefs_[0] + a.intercepts_[0], 0)
    hidden = np.maximum(hidden @ a.coefs_[1] + a.intercepts_[1], 0)
    logit = hidden @ a.coefs_[2] + a.intercepts_[2]
    np.testing.assert_allclose(a.predict_proba(X)[:, 1], 1 / (1 + np.exp(-logit[:, 0])))


@pytest.mark.parametrize(
    "dropout, solver, match",
    [(1.0, "adam", r"\[0\.0, 1\.0\)"), (-0.1, "adam", r"\[0\.0, 1\.0\)"), ([1.0], "adam", r"\[0, 1\)"),
     ((0.1, 0.2), "adam", "2 rates"),
     ([0.5], "lbfgs", "lbfgs")],
)
def test_invalid_dropout_is_a_clear_error(dropout, solver, match):
    X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises((ValueError, InvalidParameterError), match=match):
        MLPClassifier(hidden_layer_sizes=(5,), dropout=dropout, solver=solver).fit(X, y)


def test_dropout_with_early_stopping_partial_fit_and_warm_start():
    X, y = make_classification(n_samples=300, n_features=8, random_state=0)
    kw = dict(hidden_layer_sizes=(20,), dropout=0.3, random_state=0)
    es = MLPClassifier(early_stopping=True, max_iter=30, **kw).fit(X, y)
    # validation is scored without dropout: the restored model scores the best
    # validation score on the held-out rows
    val = validation_rows(es, y)
    assert es.score(X[val], y[val]) == es.best_validation_score_
    pf = MLPClassifier(**kw)
    for _ in range(3):
        pf.partial_fit(X, y, classes=[0, 1])
    assert pf.t_ == 900
    ws = MLPClassifier(max_iter=3, warm_start=True, learning_rate_init=0.01, **kw).fit(X, y)
    ws.fit(X, y)
    assert len(ws.loss_curve_) == 6 and ws.score(X, y) > 0.8


# ------------------------------------------------------------- activations
@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "selu", "gelu", "softplus"])
def test_new_activations_learn(activation):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    init = "lecun_normal" if activation == "selu" else "auto"
    clf = MLPClassifier(hidden_layer_sizes=(16,), activation=activation, init=init,
                        solver="lbfgs", max_iter=300, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.95


# ------------------------------------------------------------ class weight
def test_balanced_class_weight_equals_equivalent_sample_weight():
    X, y = make_classification(n_samples=200, n_features=6, weights=[0.8, 0.2], random_state=0)
    kw = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    a = MLPClassifier(class_weight="balanced", **kw).fit(X, y)
    counts = np.bincount(y)
    sw = (len(y) / (2 * counts))[y]
    b = MLPClassifier(**kw).fit(X, y, sample_weight=sw)
    for wa, wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(wa, wb, rtol=1e-12)


@pytest.mark.parametrize(
    "estimator",
    [
        LogisticRegression(class_weight="balanced"),
        MLPClassifier(class_weight="balanced"),
        MLPClassifier(class_weight="balanced", solver="lbfgs"),
    ],
    ids=["LogisticRegression", "MLPClassifier-adam", "MLPClassifier-lbfgs"],
)
def test_balanced_class_weight_passes_sample_weight_equivalence(estimator):
    """Weights count as repeated rows in the class frequencies, as in
    LogisticRegression (scikit-learn's check: integer weights, zeros included,
    against repeated and removed rows)."""
    check_sample_weight_equivalence_on_dense_data(type(estimator).__name__, estimator)


def test_balanced_class_weight_counts_sample_weight_like_compute_class_weight():
    X, y = make_classification(n_samples=120, n_features=5, weights=[0.8, 0.2], random_state=0)
    # the rare class weighs more: its balanced weight drops
    sw = np.random.RandomState(0).uniform(0.5, 1.5, size=len(y)) * np.where(y == 1, 3.0, 1.0)
    kw = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=50, random_state=0)
    a = MLPClassifier(class_weight="balanced", **kw).fit(X, y, sample_weight=sw)
    per_class = compute_class_weight("balanced", classes=np.array([0, 1]), y=y, sample_weight=sw)
    unweighted = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    assert not np.allclose(per_class, unweighted, rtol=0.05)  # the weights matter here
    b = MLPClassifier(**kw).fit(X, y, sample_weight=sw * per_class[y])
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-10)


def test_balanced_class_weight_refuses_a_class_without_weight():
    X, y = make_classification(n_samples=60, n_features=5, n_classes=3, n_informative=3,
                               random_state=0)
    sw = np.where(y == 2, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"cannot weight the classes \[2\]: all their samples"):
        MLPClassifier(class_weight="balanced").fit(X, y, sample_weight=sw)


def test_class_weight_dict_multiplies_sample_weight_and_shifts_predictions():
    X, y = make_classification(n_samples=300, n_features=6, weights=[0.7, 0.3],
                               class_sep=0.3, random_state=0)
    kw = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=200, random_state=0)
    sw = np.random.RandomState(0).uniform(0.5, 1.5, size=len(y))
    a = MLPClassifier(class_weight={0: 1.0, 1: 3.0}, **kw).fit(X, y, sample_weight=sw)
    b = MLPClassifier(**kw).fit(X, y, sample_weight=sw * np.where(y == 1, 3.0, 1.0))
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-10)
    plain = MLPClassifier(**kw).fit(X, y)
    assert (a.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()


def test_class_weight_errors():
    X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    with pytest.raises(ValueError, match="partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="multilabel"):
        MLPClassifier(class_weight="balanced").fit(X, np.c_[y, 1 - y])


# -------------------------------------------------------- parameter counts
@pytest.mark.parametrize(
    "hidden, expected", [((), 7), ((4,), 33), ((4, 4), 53), ((4, 4, 4), 73)]
)
def test_parameter_counts_with_6_inputs_and_layers_of_4(hidden, expected):
    X = np.random.RandomState(0).normal(size=(30, 6))
    reg = MLPRegressor(hidden_layer_sizes=hidden, max_iter=1).fit(X, X.sum(axis=1))
    assert reg.n_params_ == expected
    table = reg.summary()
    assert table.splitlines()[-1] == f"Total params: {expected}"
    assert len([r for r in table.splitlines() if r.startswith(("hidden", "output"))]) == len(hidden) + 1


def test_summary_table_lists_layers():
    X, y = make_classification(n_samples=50, n_features=6, n_classes=3, n_informative=3,
                               random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(4, 4), dropout=(0.5, 0.25), max_iter=1).fit(X, y)
    rows = clf.summary().splitlines()
    assert rows[0].split() == ["Layer", "Units", "Activation", "Dropout", "Params"]
    assert rows[3].split() == ["hidden", "1", "4", "relu", "0.5", "28"]
    assert rows[4].split() == ["hidden", "2", "4", "relu", "0.25", "20"]
    assert rows[5].split() == ["output", "3", "softmax", "15"]
    assert rows[-1] == "Total params: 63"


# ------------------------------------------------------------ grid search
def test_grid_search_over_depth_init_penalty_dropout():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier(max_iter=200, learning_rate_init=0.01, random_state=0)
    )
    grid = GridSearchCV(
        pipe,
        {
            "mlpclassifier__hidden_layer_sizes": [(8,), (8, 8)],
            "mlpclassifier__init": ["auto", "he_normal"],
            "mlpclassifier__penalty": ["l2", "elasticnet"],
            "mlpclassifier__dropout": [0.0, 0.2],
        },
        cv=3,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 16
    assert grid.best_score_ > 0.9
