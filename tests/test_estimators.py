"""The estimators: parity with scikit-learn itself, and behaviour per feature."""

import inspect
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import neural_network as sk
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError
from strategies import SOLVERS, validation_rows

from sknn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# scikit-learn's activations and solvers, for the parity tests against it
ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
SKLEARN_SOLVERS = ["adam", "sgd", "lbfgs"]
PAIRS = [(MLPClassifier, sk.MLPClassifier), (MLPRegressor, sk.MLPRegressor)]


def _task_data(task):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5))
    if task == "binary":
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
    elif task == "multiclass":
        y = np.digitize(X[:, 0], [-0.5, 0.5])
    elif task == "multilabel":
        y = (X[:, :3] > 0).astype(int)
    else:
        y = X @ rng.normal(size=5) + 0.1 * rng.normal(size=40)
    return X, y


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


# --------------------------------------------------------------- signatures
@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_signature_extends_sklearns_in_order_with_same_defaults(ours, theirs):
    mine = list(inspect.signature(ours).parameters.values())
    ref = list(inspect.signature(theirs).parameters.values())
    assert [(p.name, p.default, p.kind) for p in mine[: len(ref)]] == [
        (p.name, p.default, p.kind) for p in ref
    ]
    extra = [p.name for p in mine[len(ref) :]]
    assert extra[:4] == ["init", "penalty", "l1_ratio", "dropout"]


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_tags_match_sklearn(ours, theirs):
    mine, ref = get_tags(ours()), get_tags(theirs())
    assert mine.input_tags == ref.input_tags
    assert mine.classifier_tags == ref.classifier_tags
    assert mine.estimator_type == ref.estimator_type
    # sknn declares multi-output regression, which both support
    assert mine.target_tags.multi_output == (ours is MLPRegressor)


@pytest.mark.parametrize("ours, theirs", PAIRS)
@pytest.mark.parametrize(
    "params",
    [{"alpha": -1}, {"solver": "newton"}, {"activation": "swish"}, {"batch_size": 0},
     {"momentum": 1.5}, {"hidden_layer_sizes": "big"}, {"n_iter_no_change": 0}],
)
def test_invalid_parameters_raise_sklearns_error(ours, theirs, params):
    X, y = _task_data("binary")
    with pytest.raises(InvalidParameterError) as ref:
        theirs(**params).fit(X, y)
    with pytest.raises(InvalidParameterError) as mine:
        ours(**params).fit(X, y)
    assert str(mine.value) == str(ref.value).replace(theirs.__name__, ours.__name__) or (
        str(mine.value).split(" must be ")[0] == str(ref.value).split(" must be ")[0]
    )


# ------------------------------------------------------------------ parity
def _one_sgd_step(cls, X, y, activation, source):
    est = cls(
        hidden_layer_sizes=(6, 4), activation=activation, solver="sgd", momentum=0,
        shuffle=False, batch_size=X.shape[0], max_iter=1, learning_rate_init=0.1,
        alpha=0.01, random_state=0, warm_start=True,
    )
    est.fit(X, y)
    est.coefs_ = [c.copy() for c in source.coefs_]
    est.intercepts_ = [b.copy() for b in source.intercepts_]
    return est.fit(X, y)


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel", "regression"])
def test_one_full_batch_sgd_step_equals_sklearns(activation, task):
    X, y = _task_data(task)
    ours, theirs = (MLPRegressor, sk.MLPRegressor) if task == "regression" else (
        MLPClassifier, sk.MLPClassifier)
    start = theirs(hidden_layer_sizes=(6, 4), activation=activation, max_iter=1,
                   random_state=1).fit(X, y)
    a = _one_sgd_step(ours, X, y, activation, start)
    b = _one_sgd_step(theirs, X, y, activation, start)
    for mine, ref in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-9)
    assert abs(a.loss_ - b.loss_) < 1e-9


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("solver", SKLEARN_SOLVERS)
@pytest.mark.parametrize("binary", [False, True])
def test_same_random_state_gives_sklearns_model(digits, solver, binary):
    """Same initial weights, shuffling and updates: the same fitted network."""
    X, y = digits
    y = y % 2 if binary else y
    kw = dict(hidden_layer_sizes=(20,), solver=solver, max_iter=15, random_state=0)
    a, b = MLPClassifier(**kw).fit(X, y), sk.MLPClassifier(**kw).fit(X, y)
    for mine, ref in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(mine, ref, atol=1e-8)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-8)


@pytest.mark.usefixtures("kernels")
def test_early_stopping_validation_scores_track_sklearns_on_binary(digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(20,), early_stopping=True, max_iter=30, random_state=0)
    a = MLPClassifier(**kw).fit(X, y % 2)
    b = sk.MLPClassifier(**kw).fit(X, y % 2)
    np.testing.assert_allclose(a.validation_scores_, b.validation_scores_)
    assert a.best_validation_score_ == b.best_validation_score_


def test_multioutput_regression_descends_its_reported_loss():
    """sknn reports the sum over outputs (sklearn the mean) and descends it."""
    X, y = _task_data("regression")
    Y = np.c_[y, -2 * y, y + 1]
    kw = dict(hidden_layer_sizes=(8,), solver="sgd", momentum=0, shuffle=False,
              batch_size=40, max_iter=1, random_state=0, alpha=0)
    a, b = MLPRegressor(**kw).fit(X, Y), sk.MLPRegressor(**kw).fit(X, Y)
    # the same step (sklearn descends the sum too) ...
    for mine, ref in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(mine, ref, atol=1e-12)
    # ... of the loss sknn reports, n_outputs times sklearn's mean
    np.testing.assert_allclose(a.loss_, 3 * b.loss_, rtol=1e-12)


# ---------------------------------------------------------------- solvers
@pytest.mark.parametrize("solver", SOLVERS)
def test_each_solver_learns_digits(digits, solver):
    X, y = digits
    # Adagrad's steps shrink as it goes: it wants a larger initial rate
    rate = {"sgd": 0.01, "adagrad": 0.05}.get(solver, 0.001)
    clf = MLPClassifier(hidden_layer_sizes=(32,), solver=solver, max_iter=100,
                        learning_rate_init=rate, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.95
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.n_layers_ == 3 and clf.n_outputs_ == 10 and clf.out_activation_ == "softmax"


def test_lbfgs_honours_max_iter_and_max_fun(digits):
    X, y = digits
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        clf = MLPClassifier(solver="lbfgs", max_iter=5, random_state=0).fit(X, y)
    assert clf.n_iter_ == 5
    with pytest.warns(ConvergenceWarning):
        clf = MLPClassifier(solver="lbfgs", max_fun=3, random_state=0).fit(X, y)
    assert clf.n_iter_ <= 3


def test_max_iter_reached_warns_like_sklearn(digits):
    X, y = digits
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        MLPClassifier(max_iter=3, random_state=0).fit(X, y)


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive"])
def test_learning_rate_schedules(digits, schedule):
    X, y = digits
    clf = MLPClassifier(solver="sgd", learning_rate=schedule, learning_rate_init=0.2,
                        max_iter=60, n_iter_no_change=2, tol=1e-2, random_state=0)
    clf.fit(X, y)
    rate = clf._optimizer.lr  # the current rate (learning_rate is the initial one)
    if schedule == "constant":
        assert rate == 0.2
    elif schedule == "invscaling":
        assert rate == pytest.approx(0.2 / (clf.t_ + 1) ** 0.5)
    else:  # divided by 5 at each stall
        assert rate < 0.2 and np.isclose(np.log(0.2 / rate) / np.log(5), round(np.log(0.2 / rate) / np.log(5)))


def test_tol_and_n_iter_no_change_stop_training(digits):
    X, y = digits
    kw = dict(tol=10.0, n_iter_no_change=3, random_state=0)
    clf = MLPClassifier(**kw).fit(X, y)
    # the first epoch sets best_loss_; no later one improves it by 10, and the
    # count of such epochs must exceed n_iter_no_change: 1 + 4 epochs
    assert clf.n_iter_ == 5 == sk.MLPClassifier(**kw).fit(X, y).n_iter_


def test_early_stopping_restores_best_weights(digits):
    X, y = digits
    clf = MLPClassifier(early_stopping=True, n_iter_no_change=3, max_iter=200,
                        random_state=0).fit(X, y)
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_ < 200
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # training went on past the best epoch, yet the restored weights score the best
    assert int(np.argmax(clf.validation_scores_)) < clf.n_iter_ - 1
    val = validation_rows(clf, y)
    assert clf.score(X[val], y[val]) == clf.best_validation_score_


def test_early_stopping_split_is_stratified(digits):
    X, y = digits
    clf = MLPClassifier(early_stopping=True, validation_fraction=0.2, max_iter=1,
                        random_state=0).fit(X, y)
    val = validation_rows(clf, y)
    assert clf.validation_scores_[0] == clf.score(X[val], y[val])
    counts = np.bincount(y[val], minlength=10) / len(val)
    np.testing.assert_allclose(counts, np.bincount(y) / len(y), atol=0.01)


def test_validation_set_too_small_raises():
    X, y = _task_data("regression")
    with pytest.raises(ValueError, match="validation set is too small"):
        MLPRegressor(early_stopping=True, validation_fraction=0.01).fit(X, y)


@pytest.mark.parametrize(
    "y, fraction",
    [
        ([0, 0, 0, 1], 0.1),  # scikit-learn's own test: one sample of class 1
        ([0] * 29 + [1], 0.1),
        ([0, 1] * 20, 0.01),  # a validation set of one sample for two classes
    ],
)
def test_tiny_stratified_split_gives_sklearns_reason_first(y, fraction):
    y = np.array(y)
    X = np.random.RandomState(0).normal(size=(len(y), 2))
    kw = dict(early_stopping=True, validation_fraction=fraction, max_iter=5)
    with pytest.raises(ValueError) as theirs:
        sk.MLPClassifier(**kw).fit(X, y)
    with pytest.raises(ValueError) as ours:
        MLPClassifier(**kw).fit(X, y)
    reason, advice = str(ours.value).split(". Early stopping holds out")
    # scikit-learn stratifies on its binarized target (classes 'True' and
    # 'False'), sknn on the labels themselves
    assert reason == str(theirs.value).replace("['True']", "[1]")
    assert "increase 'validation_fraction'" in advice


def test_tiny_stratified_split_of_a_multiclass_target():
    """scikit-learn does not stratify multiclass targets (its check counts
    output units), sknn does: the reason is train_test_split's."""
    from sklearn.model_selection import train_test_split

    y = np.array([0] * 15 + [1] * 14 + [2])
    X = np.random.RandomState(0).normal(size=(len(y), 2))
    with pytest.raises(ValueError) as split:
        train_test_split(np.arange(len(y)), test_size=0.1, stratify=y)
    with pytest.raises(ValueError) as ours:
        MLPClassifier(early_stopping=True).fit(X, y)
    assert "Classes with too few members are: [2]" in str(split.value)
    assert str(ours.value).startswith(f"{split.value}. Early stopping holds out")


def test_warm_start_continues_from_the_fitted_weights(digits):
    X, y = digits
    clf = MLPClassifier(max_iter=5, random_state=0, warm_start=True).fit(X, y)
    first_curve = list(clf.loss_curve_)
    clf.fit(X, y)
    assert clf.loss_curve_[:5] == first_curve and len(clf.loss_curve_) == 10
    assert clf.t_ == 10 * len(y)
    cold = MLPClassifier(max_iter=5, random_state=0).fit(X, y)
    assert not np.allclose(cold.coefs_[0], clf.coefs_[0])


def test_warm_start_rejects_different_classes(digits):
    X, y = digits
    clf = MLPClassifier(max_iter=2, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used"):
        clf.fit(X[y < 5], y[y < 5])


@pytest.mark.usefixtures("kernels")
def test_partial_fit_matches_fit_epochs(digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(16,), shuffle=False, random_state=0, batch_size=100)
    a = MLPClassifier(max_iter=3, **kw).fit(X, y)
    b = MLPClassifier(**kw)
    for _ in range(3):
        b.partial_fit(X, y, classes=np.unique(y))
    for mine, ref in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(mine, ref, atol=1e-12)
    assert b.t_ == 3 * len(y)


def test_partial_fit_requires_classes_and_rejects_new_ones(digits):
    X, y = digits
    clf = MLPClassifier()
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 9], y[y < 9], classes=np.arange(9))
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, y)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_partial_fit_is_unavailable_for_lbfgs(cls):
    assert not hasattr(cls(solver="lbfgs"), "partial_fit")
    assert hasattr(cls(solver="adam"), "partial_fit")


def test_verbose_prints_iteration_lines(digits, capsys):
    X, y = digits
    MLPClassifier(max_iter=2, verbose=True, early_stopping=True, random_state=0).fit(X, y)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Iteration 1, loss = ")
    assert out[1].startswith("Validation score: ")


# ----------------------------------------------------------- sample weight
def test_integer_weights_equal_repeated_rows_under_lbfgs():
    X, y = _task_data("multiclass")
    w = np.random.RandomState(0).randint(0, 4, size=len(y))
    kw = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50, random_state=0, tol=0)
    a = MLPClassifier(**kw).fit(X, y, sample_weight=w)
    b = MLPClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    for mine, ref in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(mine, ref, rtol=1e-6, atol=1e-8)
    assert a.loss_ == pytest.approx(b.loss_, rel=1e-8)


@pytest.mark.usefixtures("kernels")
def test_sample_weight_matches_sklearn_step():
    X, y = _task_data("regression")
    w = np.random.RandomState(1).uniform(0.1, 2, size=len(y))
    kw = dict(hidden_layer_sizes=(5,), solver="sgd", momentum=0, shuffle=False,
              batch_size=40, max_iter=3, random_state=0)
    a = MLPRegressor(**kw).fit(X, y, sample_weight=w)
    b = sk.MLPRegressor(**kw).fit(X, y, sample_weight=w)
    for mine, ref in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(mine, ref, atol=1e-12)


def test_partial_fit_with_sample_weight_zero_rows_are_ignored():
    X, y = _task_data("binary")
    w = np.ones(len(y))
    w[::2] = 0
    kw = dict(hidden_layer_sizes=(5,), shuffle=False, batch_size=len(y), random_state=0)
    a = MLPClassifier(**kw).partial_fit(X, y, sample_weight=w, classes=[0, 1])
    kw["batch_size"] = len(y) // 2
    b = MLPClassifier(**kw).partial_fit(X[1::2], y[1::2], classes=[0, 1])
    for mine, ref in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(mine, ref, atol=1e-12)
    assert a.loss_ == pytest.approx(b.loss_, rel=1e-12)


# ------------------------------------------------------------ input kinds
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_sparse_input_equals_dense(fmt, cls):
    X, y = make_classification(n_samples=120, n_features=20, random_state=0)
    X[np.abs(X) < 0.8] = 0
    kw = dict(hidden_layer_sizes=(10,), max_iter=20, random_state=0)
    dense = cls(**kw).fit(X, y)
    sparse = cls(**kw).fit(sp.csr_matrix(X).asformat(fmt), y)
    for mine, ref in zip(sparse.coefs_, dense.coefs_):
        np.testing.assert_allclose(mine, ref, atol=1e-10)
    np.testing.assert_allclose(sparse.predict(sp.csr_matrix(X).asformat(fmt)),
                               dense.predict(X), atol=1e-10)


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("params", [
    dict(solver="adam"), dict(solver="sgd"), dict(solver="rmsprop"), dict(solver="lbfgs"),
    dict(solver="lbfgs", penalty="l1", alpha=0.1), dict(solver="adam", penalty="elasticnet"),
    dict(solver="adamw", feature_alpha=1.0, max_grad_norm=0.5),
], ids=str)
def test_sparse_features_missing_from_batches_train_as_dense(params):
    # most features are absent from most batches: the sparse products must
    # give their rows the zero gradient the dense products give them
    rng = np.random.default_rng(0)
    X = sp.random(300, 400, density=0.01, format="csr", random_state=1)
    y = (X @ rng.standard_normal(400) > 0).astype(int)
    kw = dict(hidden_layer_sizes=(6,), max_iter=15, batch_size=20, random_state=0, **params)
    sparse = MLPClassifier(**kw).fit(X, y)
    dense = MLPClassifier(**kw).fit(X.toarray(), y)
    for mine, ref in zip(sparse.coefs_ + sparse.intercepts_, dense.coefs_ + dense.intercepts_):
        np.testing.assert_allclose(mine, ref, atol=1e-10)


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_float32_in_float32_out(cls, solver):
    X, y = make_classification(n_samples=100, n_features=8, random_state=0)
    est = cls(hidden_layer_sizes=(6,), solver=solver, max_iter=20, random_state=0)
    est.fit(X.astype(np.float32), y)
    assert all(c.dtype == np.float32 for c in est.coefs_ + est.intercepts_)
    out = est.predict_proba(X.astype(np.float32)) if cls is MLPClassifier else est.predict(
        X.astype(np.float32))
    assert out.dtype == np.float32
    ref = cls(hidden_layer_sizes=(6,), solver=solver, max_iter=20, random_state=0).fit(X, y)
    np.testing.assert_allclose(est.coefs_[0], ref.coefs_[0], atol=1e-3)


def test_multilabel_and_binary_outputs():
    X, Y = _task_data("multilabel")
    clf = MLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs", random_state=0).fit(X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 3
    assert clf.predict(X).shape == Y.shape
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    X, y = _task_data("binary")
    labels = np.array(["no", "yes"])[y]
    clf = MLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs", random_state=0).fit(X, labels)
    assert clf.n_outputs_ == 1 and set(clf.predict(X)) <= {"no", "yes"}
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    log_proba = clf.predict_log_proba(X)
    assert np.all(np.isfinite(log_proba))
    # where 1 - p does not cancel, it is log(predict_proba)
    fine = proba > 1e-6
    np.testing.assert_allclose(log_proba[fine], np.log(proba[fine]), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("label", [1, 0.0, "spam"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_one_class_fits_as_sklearns(label, solver):
    X, _ = _task_data("binary")
    y = np.full(len(X), label)
    kw = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=20, random_state=0)
    ours, theirs = MLPClassifier(**kw).fit(X, y), sk.MLPClassifier(**kw).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.classes_.dtype == theirs.classes_.dtype
    assert ours.out_activation_ == theirs.out_activation_ == "logistic"
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict(X).dtype == theirs.predict(X).dtype
    assert ours.predict_proba(X).shape == theirs.predict_proba(X).shape == (len(X), 2)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)
    np.testing.assert_allclose(
        ours.predict_log_proba(X), theirs.predict_log_proba(X), rtol=1e-8, atol=1e-10
    )
    assert ours.score(X, y) == theirs.score(X, y) == 1.0


def test_one_class_data_frame_with_early_stopping_as_sklearns():
    """scikit-learn's own test: a DataFrame with y all ones, early stopping."""
    import warnings

    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(data=rng.randn(10, 2), columns=["colname_a", "colname_b"])
    y = pd.Series(data=np.full(10, 1), name="colname_y")
    kw = dict(early_stopping=True, validation_fraction=0.2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        ours = MLPClassifier(**kw).fit(X, y)
    theirs = sk.MLPClassifier(**kw).fit(X, y)
    assert ours.validation_scores_ == theirs.validation_scores_
    assert set(ours.validation_scores_) == {1.0} and ours.n_iter_ == theirs.n_iter_
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)


@pytest.mark.parametrize(
    "container", ["object", "series", "string", "categorical", "binary_categorical"]
)
def test_string_labels_come_back_as_a_unicode_array(container):
    pd = pytest.importorskip("pandas")
    X, y = _task_data("multiclass")
    names = np.array(["bee", "ant", "cat"])
    if container == "binary_categorical":
        names = np.array(["bee", "ant", "ant"])
    labels = names[y].astype(object)
    y = {
        "object": labels,
        "series": pd.Series(labels),
        "string": pd.Series(labels, dtype="string"),
        "categorical": pd.Series(labels, dtype="category"),
        "binary_categorical": pd.Categorical(labels),
    }[container]
    kw = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    ours, theirs = MLPClassifier(**kw).fit(X, y), sk.MLPClassifier(**kw).fit(X, y)
    assert ours.classes_.dtype == theirs.classes_.dtype and ours.classes_.dtype.kind == "U"
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.predict(X).dtype == theirs.predict(X).dtype
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    # partial_fit with object classes too
    inc = MLPClassifier(**kw).partial_fit(X, y, classes=np.unique(labels).astype(object))
    assert inc.classes_.dtype.kind == "U" and inc.predict(X).dtype.kind == "U"


def test_multilabel_predict_log_proba_ranks_as_predict_proba():
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(300, 10, n_classes=5, random_state=0)
    clf = MLPClassifier(solver="lbfgs", random_state=1).fit(X, Y)
    P, log_P = clf.predict_proba(X), clf.predict_log_proba(X)
    assert ((P == 1.0).sum(axis=1) >= 2).sum() >= 5  # rows with ties at 1
    np.testing.assert_array_equal(log_P.argmax(axis=1), P.argmax(axis=1))
    np.testing.assert_array_equal(np.argsort(log_P, axis=1, kind="stable"),
                                  np.argsort(P, axis=1, kind="stable"))
    # as scikit-learn's log(predict_proba) wherever that is finite
    np.testing.assert_allclose(log_P, np.log(P), rtol=1e-12, atol=0)
    # and finite where the probability underflows
    far = 1e4 * X[:3]
    assert np.all(np.isfinite(clf.predict_log_proba(far)))
    assert clf.predict_log_proba(far).min() < np.log(np.finfo(np.float64).tiny)


def test_multilabel_partial_fit_classes_errors_as_sklearns():
    X, Y = _task_data("multilabel")
    for est in (MLPClassifier(), sk.MLPClassifier()):
        with pytest.raises(ValueError, match="^classes must be passed on the first call"):
            est.partial_fit(X, Y)
    for wrong in ([0, 1], [5, 6, 7], ["a", "b", "c"]):
        with pytest.raises(ValueError) as theirs:
            sk.MLPClassifier().partial_fit(X, Y, classes=wrong)
        with pytest.raises(ValueError) as ours:
            MLPClassifier().partial_fit(X, Y, classes=wrong)
        assert str(ours.value) == str(theirs.value)
    # scikit-learn accepts more classes than columns and keeps four classes_
    # for three outputs; sknn refuses
    with pytest.raises(ValueError, match=r"more labels than the multilabel `y` has columns"):
        MLPClassifier().partial_fit(X, Y, classes=[0, 1, 2, 3])
    clf = MLPClassifier().partial_fit(X, Y, classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    with pytest.raises(ValueError, match="is not the same as on last call"):
        clf.partial_fit(X, Y, classes=[0, 1])


def test_poisson_regression_fits_counts():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    reg = MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), solver="lbfgs",
                       random_state=0).fit(X, y)
    assert reg.out_activation_ == "exp" and np.all(reg.predict(X) > 0)
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson").fit(X, -y - 1.0)


def test_pandas_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _task_data("binary")
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


# ---------------------------------------------------------- ecosystem basics
def test_grid_search_over_a_pipeline_in_parallel(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=100, random_state=0))
    grid = GridSearchCV(
        pipe,
        {"mlpclassifier__hidden_layer_sizes": [(16,), (32,)],
         "mlpclassifier__alpha": [1e-4, 1e-2]},
        cv=3,
        n_jobs=2,
    ).fit(X, y)
    assert grid.best_score_ > 0.93
    assert len(grid.cv_results_["params"]) == 4


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_clone_and_pickle_round_trips_predict_identically(digits, cls):
    X, y = digits
    est = cls(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    refit = clone(est).fit(X, y)
    np.testing.assert_array_equal(refit.predict(X), est.predict(X))


def test_fitted_attributes(digits):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=3, random_state=0).fit(X, y)
    for name in ("classes_", "loss_", "best_loss_", "loss_curve_", "validation_scores_",
                 "best_validation_score_", "t_", "coefs_", "intercepts_", "n_features_in_",
                 "n_iter_", "n_layers_", "n_outputs_", "out_activation_", "n_params_"):
        assert hasattr(clf, name), name
    assert [c.shape for c in clf.coefs_] == [(64, 7), (7, 5), (5, 10)]
    assert clf.n_params_ == 64 * 7 + 7 + 7 * 5 + 5 + 5 * 10 + 10
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None


def test_predictions_follow_every_change_of_the_fitted_model(digits):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    first = clf.predict_proba(X)
    # the fitted arrays through a numpy forward pass of the test's own (relu,
    # softmax): not the estimator's output compared with itself
    hidden = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)
    logits = hidden @ clf.coefs_[1] + clf.intercepts_[1]
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(first, expected / expected.sum(axis=1, keepdims=True))
    # a second call (through the kept inference network) gives the same bits
    np.testing.assert_array_equal(clf.predict_proba(X), first)
    # weights changed in place
    clf.coefs_[-1] *= 2.0
    doubled = clf.predict_proba(X)
    assert not np.allclose(doubled, first)
    # weights reassigned
    clf.coefs_ = [W.copy() for W in clf.coefs_]
    clf.coefs_[-1] /= 2.0
    np.testing.assert_allclose(clf.predict_proba(X), first, rtol=1e-12)
    clf.intercepts_[-1] = clf.intercepts_[-1] + np.arange(10.0)  # (a constant would not show)
    assert not np.allclose(clf.predict_proba(X), first)
    # a hyperparameter the forward pass reads, as scikit-learn reads it at predict
    clf.set_params(activation="tanh")
    hidden = np.tanh(X @ clf.coefs_[0] + clf.intercepts_[0])
    logits = hidden @ clf.coefs_[1] + clf.intercepts_[1]
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X), expected / expected.sum(axis=1, keepdims=True))
    # a refit, and a pickled copy (which carries no cached state)
    clf.set_params(activation="relu", random_state=1).fit(X, y)
    assert not np.allclose(clf.predict_proba(X), first)
    restored = pickle.loads(pickle.dumps(clf))
    assert set(vars(restored)) == set(vars(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


# ---------------------------------------------------------- HTML and docs
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_html_repr_links_to_no_unpublished_site(cls):
    """No documentation site is published: the HTML representation links
    neither to one of sknn's nor to scikit-learn's pages for its own MLP."""
    est = cls(dropout=0.2)
    assert est._get_doc_link() == ""
    html = est._repr_html_()
    assert cls.__name__ in html
    assert "href=" not in html and "readthedocs" not in html
    assert "scikit-learn.org/" not in html  # (its CSS comments name the site)


def test_tanh_with_extreme_class_weights_is_sklearns_mlp_with_those_weights():
    """check_class_weight_classifiers fails with activation='tanh': on its
    unscaled blobs (|X| up to 50) tanh saturates, training stalls and
    stops on `tol` with 86% of the test rows predicted as class 0 (the check
    asks for 87%). scikit-learn's MLP given the same weights as sample_weight
    lands on the same weights and predictions; without the early stop
    (tol=0) or with scaled inputs the check's criterion holds."""
    from sklearn.datasets import make_blobs
    from sklearn.model_selection import train_test_split

    X, y = make_blobs(centers=3, random_state=0, cluster_std=20)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.5, random_state=0)
    class_weight = {0: 1000, 1: 0.0001, 2: 0.0001}
    kw = dict(activation="tanh", max_iter=1000, n_iter_no_change=20, random_state=0)
    ours = MLPClassifier(class_weight=class_weight, **kw).fit(X_train, y_train)
    weights = np.array([class_weight[c] for c in y_train])
    theirs = sk.MLPClassifier(**kw).fit(X_train, y_train, sample_weight=weights)
    assert ours.n_iter_ == theirs.n_iter_ < 1000
    for mine, ref in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(mine, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X_test), theirs.predict(X_test))
    assert np.mean(ours.predict(X_test) == 0) < 0.87
    longer = MLPClassifier(class_weight=class_weight, **{**kw, "tol": 0}).fit(X_train, y_train)
    assert np.mean(longer.predict(X_test) == 0) > 0.87
    scaled = make_pipeline(StandardScaler(), MLPClassifier(class_weight=class_weight, **kw))
    assert np.mean(scaled.fit(X_train, y_train).predict(X_test) == 0) > 0.87


@pytest.mark.parametrize("solver", SKLEARN_SOLVERS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_fitted_attributes_have_sklearns_types(digits, solver, early_stopping):
    X, y = digits
    kw = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=5,
              early_stopping=early_stopping, random_state=0)
    ours, theirs = MLPClassifier(**kw).fit(X, y), sk.MLPClassifier(**kw).fit(X, y)
    names = ["loss_", "n_iter_", "t_", "best_loss_", "validation_scores_", "best_validation_score_"]
    for name in names:
        if hasattr(theirs, name):
            assert type(getattr(ours, name)) is type(getattr(theirs, name)), name
    for name in ("loss_curve_", "validation_scores_"):
        if getattr(theirs, name, None):
            assert type(getattr(ours, name)[0]) is type(getattr(theirs, name)[0]), name
    if solver == "lbfgs":
        # scikit-learn's L-BFGS fits have no curve and ignore early_stopping;
        # sknn records the loss per iteration (deliberately) and ignores it too
        assert not hasattr(theirs, "loss_curve_")
        assert len(ours.loss_curve_) == ours.n_iter_ and type(ours.loss_curve_[0]) is np.float64
        assert ours.best_loss_ == min(ours.loss_curve_)
        assert ours.validation_scores_ is None and ours.best_validation_score_ is None
        plain = MLPClassifier(**{**kw, "early_stopping": False}).fit(X, y)
        np.testing.assert_array_equal(plain.coefs_[0], ours.coefs_[0])
