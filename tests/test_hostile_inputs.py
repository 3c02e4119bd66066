"""Hostile data: every fit, partial_fit, prediction and score either works
with finite, well-formed output or refuses with an error naming the problem."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import r2_score
from strategies import (
    ESTIMATORS,
    SOLVERS,
    TINY,
    TOO_LARGE,
    attempt,
    check_outputs,
    class_labels,
    hostile_X,
    regression_targets,
    strict_warnings,
)

from sknn import MLPClassifier, MLPRegressor
from sknn.nn import ACTIVATIONS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@given(data=st.data(), activation=st.sampled_from(sorted(ACTIVATIONS)), solver=st.sampled_from(SOLVERS))
def test_classifier_fit_and_partial_fit_answer_hostile_inputs(data, activation, solver):
    params = {**TINY, "activation": activation, "solver": solver}
    case = data.draw(hostile_X())
    y, y_problems, classes = data.draw(class_labels(case.n))
    problems = {**case.problems, **y_problems}
    clf = MLPClassifier(**params)
    too_large = TOO_LARGE if case.huge else {}
    ok, _ = attempt(lambda: clf.fit(case.X, y), problems, too_large)
    if ok:
        check_outputs(clf, case.X, case.n, case.huge)
        overflow = {"overflow": r"not finite"} if case.huge else {}
        score = attempt(lambda: clf.score(case.X, y), {}, overflow)[1]
        assert score is None or 0 <= score <= 1
    inc = MLPClassifier(**{**params, "solver": "sgd" if solver == "lbfgs" else solver})
    ok, _ = attempt(lambda: inc.partial_fit(case.X, y, classes=classes), problems, too_large)
    if ok:
        check_outputs(inc, case.X, case.n, case.huge)


@given(
    data=st.data(),
    activation=st.sampled_from(sorted(ACTIVATIONS)),
    solver=st.sampled_from(SOLVERS),
    loss=st.sampled_from(["squared_error", "poisson"]),
)
def test_regressor_fit_and_partial_fit_answer_hostile_inputs(data, activation, solver, loss):
    params = {**TINY, "activation": activation, "solver": solver, "loss": loss}
    case = data.draw(hostile_X())
    y, y_problems = data.draw(regression_targets(case.n))
    problems = {**case.problems, **y_problems}
    if loss == "poisson" and y.dtype.kind in "iuf" and (y < 0).any():
        problems["negative"] = r"negative"
    for method in ("fit", "partial_fit"):
        if method == "partial_fit" and solver == "lbfgs":
            params["solver"] = "adam"
        reg = MLPRegressor(**params)
        huge_y = y.dtype.kind == "f" and bool((np.abs(y[np.isfinite(y)]) > 1e150).any())
        too_large = TOO_LARGE if case.huge or huge_y else {}
        ok, _ = attempt(lambda: getattr(reg, method)(case.X, y), problems, too_large)
        if ok:
            check_outputs(reg, case.X, case.n, case.huge)
            overflow = {"overflow": r"not finite"} if case.huge else {}
            score = attempt(lambda: reg.score(case.X, y), {}, overflow)[1]
            # R^2 is undefined (nan, with sklearn's UndefinedMetricWarning) for one sample
            assert score is None or np.isfinite(score) or (case.n < 2 and np.isnan(score))


@pytest.fixture(scope="module")
def fitted():
    """Models fitted on clean data with 2 features: binary, multiclass,
    multilabel classifiers and single/multi-output regressors."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    ys = {
        "binary": (X[:, 0] > 0).astype(int),
        "multiclass": np.digitize(X[:, 0], [-0.5, 0.5]),
        "multilabel": (X > 0).astype(int),
    }
    with strict_warnings():
        models = [MLPClassifier(**TINY).fit(X, y) for y in ys.values()]
        models += [MLPRegressor(**TINY).fit(X, X[:, 0]), MLPRegressor(**TINY).fit(X, X)]
    return models


@given(data=st.data())
def test_prediction_methods_answer_hostile_inputs(fitted, data):
    case = data.draw(hostile_X())
    problems = dict(case.problems)
    if case.d != 2:
        problems["n_features"] = r"features"
    for model in fitted:
        before = pickle.dumps(model)
        overflow = {"overflow": r"not finite"} if case.huge else {}
        ok, _ = attempt(lambda: model.predict(case.X), problems, overflow)
        if ok:
            check_outputs(model, case.X, case.n, case.huge)
        else:
            for method in ("predict_proba", "predict_log_proba", "score"):
                if hasattr(model, method):
                    y = model.predict(np.zeros((max(case.n, 1), 2)))[: case.n]
                    args = (y,) if method == "score" else ()
                    attempt(lambda: getattr(model, method)(case.X, *args), problems, overflow)
        assert pickle.dumps(model) == before  # predicting never changes the model


@given(data=st.data())
def test_score_answers_hostile_targets(fitted, data):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(6, 2))
    for model in fitted:
        if isinstance(model, MLPClassifier):
            if model._is_multilabel():
                continue
            y, problems, _ = data.draw(class_labels(6))
            if y.ndim == 2:
                continue
            problems = {k: v for k, v in problems.items() if k in ("nan", "length")}
            labels = y.astype(str)
            if set(labels) <= {"0", "1", "2"} and y.dtype.kind in "iu":
                ok, score = attempt(lambda: model.score(X, y), problems)
                assert not ok or 0 <= score <= 1
            elif "nan" in problems:
                attempt(lambda: model.score(X, y), problems)
        elif model.n_outputs_ == 1:
            y, problems = data.draw(regression_targets(6))
            if y.ndim == 2:
                problems["shape"] = r"[Ss]hape|output|dimension"
            ok, score = attempt(lambda: model.score(X, y), problems)
            assert not ok or np.isfinite(score)


def test_regressor_score_at_extreme_target_scales(fitted):
    reg = fitted[3]
    X = np.random.RandomState(2).normal(size=(4, 2))
    with strict_warnings():
        ordinary = reg.score(X, X[:, 0])
        # R^2 is scale-invariant: huge targets get the score of scaled ones
        y = np.array([0, 1e300, -1e300, 2e300])
        expected = r2_score(y / 1e300, reg.predict(X) / 1e300)
        assert np.isfinite(expected)
        assert reg.score(X, y) == pytest.approx(expected, rel=1e-12)
        # a y whose variance underflows scores like a constant y (force_finite)
        assert reg.score(X, [0, 8e-158, 0, 0]) == 0.0
    assert np.isfinite(ordinary)


@given(
    kind=st.sampled_from(
        ["ones", "some_zero", "all_zero", "negative", "nan", "inf", "huge", "short", "str"]
    ),
    Est=st.sampled_from(ESTIMATORS),
    batch_size=st.sampled_from([1, 3, "auto"]),
)
def test_sample_weight_answers_hostile_values(kind, Est, batch_size):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 2))
    y = np.arange(12) % 2 if Est is MLPClassifier else X[:, 0]
    sw = np.ones(12)
    problems = {
        "some_zero": {},
        "all_zero": {"zero": r"sum to zero|zero weight|non-zero"},
        "negative": {"negative": r"non-negative"},
        "nan": {"nan": r"NaN"},
        "inf": {"inf": r"infinity"},
        "short": {"length": r"shape|samples"},
        "str": {"string": r"could not convert string"},
    }.get(kind, {})
    if kind == "some_zero":
        sw[: 12 // 2] = 0  # many batches (batch_size=1) weigh nothing
    elif kind == "all_zero":
        sw[:] = 0
    elif kind == "negative":
        sw[3] = -1
    elif kind == "nan":
        sw[3] = np.nan
    elif kind == "inf":
        sw[3] = np.inf
    elif kind == "huge":
        sw[3] = 1e300
    elif kind == "short":
        sw = sw[1:]
    elif kind == "str":
        sw = np.array(["abc"] * 12, dtype=object)
    for method in ("fit", "partial_fit"):
        est = Est(**{**TINY, "batch_size": batch_size})
        kw = {"classes": [0, 1]} if method == "partial_fit" and Est is MLPClassifier else {}
        ok, _ = attempt(lambda: getattr(est, method)(X, y, sample_weight=sw, **kw), problems)
        if ok:
            check_outputs(est, X, 12, False)


@pytest.mark.parametrize(
    "y, message",
    [
        (np.array(["a", 1, "b", 2], dtype=object), r"mixes labels of types \['int', 'str'\]"),
        (np.array([None, "a", None, "b"], dtype=object), r"mixes labels"),
        (np.array([1, 0, 1, 0], dtype=object), r"dtype object with labels of types \['int'\]"),
    ],
)
def test_label_errors_say_what_is_wrong(y, message):
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**TINY).fit(X, y)


with warnings.catch_warnings():  # numpy's PendingDeprecationWarning for np.matrix
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    A_MATRIX = np.matrix(np.eye(4))

ODD_INPUTS = [
    ([[1.0, 2.0], [3.0], [4.0, 5.0], [6.0, 7.0]], ValueError, r"inhomogeneous shape"),
    (np.zeros((4, 2, 2)), ValueError, r"dim 3"),
    (np.arange(4.0), ValueError, r"Expected 2D array, got 1D"),
    (3.0, ValueError, r"Expected 2D array, got scalar"),
    (None, ValueError, r"Expected 2D array"),
    ("abcd", ValueError, r"could not convert string"),
    (A_MATRIX, TypeError, r"np.matrix is not supported"),
    (np.zeros(4, dtype=[("a", float), ("b", float)]), TypeError, r"Cannot cast"),
    ((row for row in np.eye(4)), TypeError, r"not 'generator'"),
    (
        pd.DataFrame({"a": pd.date_range("2020", periods=4), "b": range(4)}),
        TypeError,
        r"DateTime64",
    ),
    (pd.DataFrame(np.eye(4)[:, :2], columns=["a", "a"]), ValueError, r"unique column names"),
    (pd.DataFrame(np.eye(4)[:, :2], columns=[0, "a"]), TypeError, r"string names"),
    (
        pd.DataFrame({"a": pd.array([1, None, 3, 4], dtype="Int64"), "b": range(4)}),
        ValueError,
        r"NaN",
    ),
    (pd.DataFrame(columns=["a", "b"], dtype=float), ValueError, r"0 sample"),
    (pd.DataFrame(index=range(4)), ValueError, r"0 feature"),
]
ODD_ACCEPTED = [
    np.array([["1.5", "2"], ["3", "4"], ["5", "6"], ["7", "8"]]),  # numeric strings
    np.eye(4, dtype=np.longdouble),
    np.full((4, 2), np.iinfo(np.uint64).max, dtype=np.uint64),
    sp.bsr_matrix(np.eye(4)),
    sp.dia_matrix(np.eye(4)),
    sp.lil_matrix(np.eye(4) * 1e100),
    pd.DataFrame(
        {"a": pd.Categorical([1.0, 2.0, 1.0, 2.0]), "b": pd.array([1, 2, 3, 4], dtype="Int64")}
    ),
]


@pytest.mark.parametrize("X, error, message", ODD_INPUTS)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_odd_containers_get_a_clear_error(Est, X, error, message):
    if hasattr(X, "__next__"):
        X = (row for row in np.eye(4))  # a fresh generator per test
    with strict_warnings(), pytest.raises(error, match=message):
        Est(**TINY).fit(X, [0, 1, 0, 1])
    fitted = Est(**TINY).fit(np.eye(4)[:, :2], [0, 1, 0, 1])
    if isinstance(X, pd.DataFrame) or getattr(X, "ndim", 2) != 2 or error is not ValueError:
        return  # checked above; below only inputs of fit's width
    with strict_warnings(), pytest.raises(error, match=message):
        fitted.predict(X)


@pytest.mark.parametrize("X", ODD_ACCEPTED)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_odd_but_numeric_containers_work(Est, X):
    with strict_warnings():
        est = Est(**TINY).fit(X, [0, 1, 0, 1])
    check_outputs(est, X, 4, may_overflow=sp.issparse(X))


def test_partial_fit_rejects_bad_classes():
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match=r"Input classes contains NaN"):
        MLPClassifier(**TINY).partial_fit(X, [0] * 6, classes=[0, np.nan])
    with pytest.raises(ValueError, match=r"labels \[2\] that are not in `classes`"):
        MLPClassifier(**TINY).partial_fit(X, [0, 1, 2, 0, 1, 2], classes=[0, 1])
    with pytest.raises(ValueError, match=r"classes mixes labels"):
        MLPClassifier(**TINY).partial_fit(X, [0, 1] * 3, classes=np.array([0, "a"], dtype=object))
