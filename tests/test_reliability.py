"""Reliability (issue 6): hostile inputs, hyperparameter fuzzing, numerical
extremes, nothing lost on interruption or errors, threads and determinism.

Every fuzzed call must either work and return finite, well-formed output, or
raise a ValueError / TypeError whose message names one of the problems the
input actually has. RuntimeWarnings are errors in these tests (as in the
whole suite), so overflow or invalid-value warnings fail them.
"""

import copy
import pickle
import re
import threading
import warnings
from contextlib import contextmanager
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import log_expit, logsumexp
from sklearn import neural_network as sk
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import InvalidParameterError

import sknn._base
import sknn._network
from sknn import MLPClassifier, MLPRegressor
from sknn._activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from sknn._initializers import INITIALIZERS
from sknn._losses import LOSSES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TINY = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0)
ESTIMATORS = [MLPClassifier, MLPRegressor]


@contextmanager
def strict_warnings():
    """RuntimeWarnings are errors; expected warnings are let through."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # batch_size clipping, feature-name mismatch, column-vector y, R^2 of
        # one sample: UserWarnings sklearn gives for the same inputs.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", RuntimeWarning)
        yield


def attempt(fn, problems, tolerated=None):
    """Call ``fn``: it must work when ``problems`` is empty, else refuse.

    ``problems`` maps a problem of the input to a regex; a refusal must be a
    ValueError or TypeError whose message matches one of them. ``tolerated``
    problems (same form) may, but need not, cause a refusal. Returns
    ``(True, result)`` or ``(False, None)``.
    """
    named = {**problems, **(tolerated or {})}
    with strict_warnings():
        try:
            result = fn()
        except (ValueError, TypeError) as exc:
            if not named:
                raise AssertionError(f"refused a valid input: {exc!r}") from exc
            message = str(exc)
            assert any(
                re.search(p, message) for p in named.values()
            ), f"{type(exc).__name__}({message!r}) names none of {sorted(named)}"
            return False, None
    assert not problems, f"accepted an input with problems {sorted(problems)}"
    return True, result


# ------------------------------------------------------------ hostile inputs
X_DTYPES = ["bool", "int8", "int64", "float16", "float32", "float64", "object", "complex128"]
SPIKES = ["none", "nan", "inf", "-inf", "huge", "all_huge", "big32", "tiny", "all_tiny", "string"]
SPARSE_DTYPES = {"bool", "int8", "int64", "float32", "float64", "complex128"}


@st.composite
def hostile_X(draw, n=None, d=None):
    """A feature matrix of random shape, dtype, container and bad values.

    Returns a namespace with ``X`` (the container), ``n``, ``d``, the
    ``problems`` it has (name -> regex of an acceptable error message) and
    ``huge`` (finite values so large that outputs may overflow).
    """
    n = draw(st.integers(0, 8)) if n is None else n
    d = draw(st.integers(0, 3)) if d is None else d
    if draw(st.booleans()):
        values = np.full((n, d), draw(st.floats(-5, 5)))  # constant features
    else:
        values = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-5, 5)))
    spike = draw(st.sampled_from(SPIKES))
    dtype = draw(st.sampled_from(X_DTYPES))
    if n * d:
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, d - 1))
        special = {
            "nan": np.nan,
            "inf": np.inf,
            "-inf": -np.inf,
            "huge": -1e300,
            "big32": 3e38,  # near float32's max
            "tiny": 1e-300,
        }
        if spike in special:
            values[i, j] = special[spike]
        elif spike == "all_huge":
            values = values * 1e300
        elif spike == "all_tiny":
            values = values * 1e-300
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype == "bool":
            A = values > 0
        elif dtype.startswith("int"):
            A = np.round(np.nan_to_num(values, posinf=0, neginf=0, nan=0) % 100).astype(dtype)
        else:
            A = values.astype(dtype)  # float16/32: huge becomes inf
    if spike == "string" and n * d:
        A = A.astype(object)
        A[i, j] = "abc"
    problems = {}
    if n == 0:
        problems["no samples"] = r"0 sample|2D array"
    if d == 0:
        problems["no features"] = r"0 feature"
    if A.dtype.kind == "c" or (
        A.dtype == object and any(isinstance(v, complex) for v in A.ravel())
    ):
        problems["complex"] = r"[Cc]omplex"
    if A.dtype == object and any(isinstance(v, str) for v in A.ravel()):
        problems["string"] = r"could not convert string"
    numeric = A.astype(np.complex128) if A.dtype == object and "string" not in problems else A
    huge = False
    if numeric.dtype.kind in "fc" and "string" not in problems:
        if np.isnan(numeric).any():
            problems["nan"] = r"NaN"
        if np.isinf(numeric).any():
            problems["inf"] = r"infinity"
        magnitudes = np.abs(numeric[np.isfinite(numeric)]).astype(np.float64)
        # beyond this, outputs may overflow (float32 data is fitted in float32)
        limit = 1e30 if A.dtype == np.float32 else 1e200
        huge = bool((magnitudes > limit).any())
    container = draw(st.sampled_from(["array", "list", "sparse", "dataframe"]))
    if container == "sparse" and dtype in SPARSE_DTYPES and A.dtype != object:
        X = draw(st.sampled_from([sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array]))(A)
    elif container == "list":
        X = A.tolist()
        if n == 0:
            problems["no samples"] = r"2D array|0 sample"
    elif container == "dataframe":
        X = pd.DataFrame(A, columns=[f"f{k}" for k in range(d)])
    else:
        X = A
    return SimpleNamespace(
        X=X, n=n, d=d, problems=problems, huge=huge, desc=(dtype, spike, container)
    )


@st.composite
def class_labels(draw, n):
    """Labels of a classifier and the problems they have, plus ``classes``."""
    kind = draw(
        st.sampled_from(
            ["int", "str", "bool", "mixed", "nan", "continuous", "multilabel", "short"]
        )
    )
    pick = lambda options: draw(
        st.lists(st.sampled_from(options), min_size=n, max_size=n)
    )  # noqa: E731
    problems, classes = {}, None
    if kind == "int":
        y = np.array(pick([0, 1, 2]), dtype=int)
        classes = np.array([0, 1, 2, 3])
    elif kind == "str":
        y = np.array(pick(["a", "b", "c"]), dtype=str)
        classes = np.array(["a", "b", "c", "d"])
    elif kind == "bool":
        y = np.array(pick([True, False]), dtype=bool)
        classes = np.array([False, True])
    elif kind == "mixed":
        y = np.array(pick(["a", 1]), dtype=object)
        classes = np.array(["a", 1], dtype=object)
        if len({type(v) for v in y}) > 1:
            problems["mixed"] = r"mixes labels"
        else:  # one type only: so are the classes
            if n and not isinstance(y[0], str):  # sklearn types only str objects
                problems["object"] = r"dtype object with labels of types \['int'\]"
            first = y[0] if n else "a"
            classes = np.array([first, "z" if isinstance(first, str) else 7], dtype=object)
    elif kind == "nan":
        y = np.array(pick([0.0, 1.0, np.nan]))
        classes = np.array([0.0, 1.0])
        if np.isnan(y).any():
            problems["nan"] = r"NaN"
    elif kind == "continuous":
        y = np.array(pick([0.5, 1.25, 2.0]))
        if (y % 1).any():
            problems["continuous"] = r"continuous"
        classes = np.unique(np.r_[y, 9.0])
    elif kind == "multilabel":
        y = np.array(
            draw(
                st.lists(st.sampled_from([[0, 1], [1, 0], [1, 1], [0, 0]]), min_size=n, max_size=n)
            ),
            dtype=int,
        ).reshape(n, 2)
        classes = np.array([0, 1])
    else:  # short: one label too few
        y = np.zeros(max(n - 1, 0), dtype=int)
        y[::2] = 1
        classes = np.array([0, 1])
        problems["length"] = r"inconsistent numbers of samples|0 sample"
    return y, problems, classes


@st.composite
def regression_targets(draw, n):
    """Targets of a regressor and the problems they have."""
    kind = draw(
        st.sampled_from(["float", "int", "huge", "nan", "inf", "str", "complex", "2d", "short"])
    )
    y = draw(hnp.arrays(np.float64, n, elements=st.floats(-5, 5)))
    problems = {}
    if kind == "int":
        y = np.round(y).astype(int)
    elif kind == "huge":
        y = y * 1e300
    elif kind == "nan" and n:
        y[0] = np.nan
        problems["nan"] = r"NaN"
    elif kind == "inf" and n:
        y[-1] = -np.inf
        problems["inf"] = r"infinity"
    elif kind == "str" and n:
        y = np.array(["abc"] * n, dtype=object)
        problems["string"] = r"could not convert string"
    elif kind == "complex":
        y = y + 0j
        problems["complex"] = r"[Cc]omplex"
    elif kind == "2d":
        y = np.c_[y, -y]
    elif kind == "short":
        y = y[1:] if n else np.zeros(1)
        problems["length"] = r"inconsistent numbers of samples|0 sample"
    return y, problems


def check_outputs(est, X, n, may_overflow):
    """Every prediction method gives finite, well-formed output for ``X``.

    With ``may_overflow`` (finite inputs beyond 1e200) a method may instead
    refuse with a ValueError saying the output is not finite.
    """
    overflow = {"overflow": r"not finite"} if may_overflow else {}

    def call(method, *args):
        ok, out = attempt(lambda: getattr(est, method)(X, *args), {}, overflow)
        return out if ok else None

    pred = call("predict")
    if isinstance(est, MLPClassifier):
        multilabel = est._is_multilabel()
        if pred is not None:
            if multilabel:
                assert pred.shape == (n, est.n_outputs_) and set(np.unique(pred)) <= {0, 1}
            else:
                assert pred.shape == (n,) and set(pred) <= set(est.classes_)
        proba = call("predict_proba")
        if proba is not None:
            # a single class has two columns, as scikit-learn's
            n_columns = est.n_outputs_ if multilabel else max(len(est.classes_), 2)
            assert proba.shape == (n, n_columns)
            assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
            if not multilabel:
                np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
        log_proba = call("predict_log_proba")
        if log_proba is not None:
            assert np.all(np.isfinite(log_proba)) and np.all(log_proba <= 0)
            if not multilabel:
                np.testing.assert_allclose(np.exp(log_proba).sum(axis=1), 1, rtol=1e-5)
    elif pred is not None:
        assert pred.shape[0] == n and np.all(np.isfinite(pred))


SOLVERS = st.sampled_from(["adam", "sgd", "lbfgs"])


@given(data=st.data(), activation=st.sampled_from(sorted(ACTIVATIONS)), solver=SOLVERS)
def test_classifier_fit_and_partial_fit_answer_hostile_inputs(data, activation, solver):
    params = {**TINY, "activation": activation, "solver": solver}
    case = data.draw(hostile_X())
    y, y_problems, classes = data.draw(class_labels(case.n))
    problems = {**case.problems, **y_problems}
    clf = MLPClassifier(**params)
    ok, _ = attempt(lambda: clf.fit(case.X, y), problems)
    if ok:
        check_outputs(clf, case.X, case.n, case.huge)
        overflow = {"overflow": r"not finite"} if case.huge else {}
        score = attempt(lambda: clf.score(case.X, y), {}, overflow)[1]
        assert score is None or 0 <= score <= 1
    inc = MLPClassifier(**{**params, "solver": "sgd" if solver == "lbfgs" else solver})
    ok, _ = attempt(lambda: inc.partial_fit(case.X, y, classes=classes), problems)
    if ok:
        check_outputs(inc, case.X, case.n, case.huge)


@given(
    data=st.data(),
    activation=st.sampled_from(sorted(ACTIVATIONS)),
    solver=SOLVERS,
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
        ok, _ = attempt(lambda: getattr(reg, method)(case.X, y), problems)
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
    sp.lil_matrix(np.eye(4) * 1e300),
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


# ------------------------------------------------------- hyperparameter fuzzing
def _init_callable(fan_in, fan_out, random_state, dtype):
    return random_state.normal(0, 0.1, (fan_in, fan_out)).astype(dtype)


@st.composite
def valid_params(draw, Est):
    hidden = draw(st.lists(st.integers(1, 4), max_size=3).map(tuple) | st.integers(1, 4))
    n_hidden = 1 if isinstance(hidden, int) else len(hidden)
    solver = draw(st.sampled_from(["lbfgs", "sgd", "adam"]))
    rate = st.floats(0, 0.9)
    dropout = 0.0
    if solver != "lbfgs":
        dropout = draw(rate | st.lists(rate, min_size=n_hidden, max_size=n_hidden))
    params = dict(
        hidden_layer_sizes=hidden,
        activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
        solver=solver,
        alpha=draw(st.sampled_from([0.0, 1e-4, 1.0, 1e3])),
        batch_size=draw(st.sampled_from(["auto", 1, 5, 1000])),
        learning_rate=draw(st.sampled_from(["constant", "invscaling", "adaptive"])),
        learning_rate_init=draw(st.floats(1e-5, 1.0)),
        power_t=draw(st.floats(0, 3) | st.just(1e300)),
        max_iter=draw(st.integers(1, 4)),
        shuffle=draw(st.booleans()),
        random_state=draw(st.none() | st.integers(0, 2**31 - 1)),
        tol=draw(st.sampled_from([0.0, 1e-4, 10.0])),
        warm_start=draw(st.booleans()),
        momentum=draw(st.floats(0, 1)),
        nesterovs_momentum=draw(st.booleans()),
        early_stopping=draw(st.booleans()),
        validation_fraction=draw(st.floats(0.2, 0.5)),
        beta_1=draw(st.floats(0, 0.999)),
        beta_2=draw(st.floats(0, 0.999)),
        epsilon=draw(st.sampled_from([1e-12, 1e-8, 1.0])),
        n_iter_no_change=draw(st.sampled_from([1, 2, np.inf])),
        max_fun=draw(st.integers(1, 30)),
        init=draw(st.sampled_from([*sorted(INITIALIZERS), _init_callable])),
        penalty=draw(st.sampled_from(["l2", "l1", "elasticnet", None])),
        l1_ratio=draw(st.floats(0, 1)),
        dropout=dropout,
    )
    if Est is MLPClassifier:
        params["class_weight"] = draw(
            st.sampled_from([None, "balanced", {0: 2.0, 2: 0.5}, {0: 0.0}])
        )
    else:
        params["loss"] = draw(st.sampled_from(["squared_error", "poisson"]))
    return params


@given(data=st.data(), Est=st.sampled_from(ESTIMATORS), multi=st.booleans())
def test_valid_hyperparameters_fit_tiny_data(data, Est, multi):
    params = data.draw(valid_params(Est))
    rng = np.random.RandomState(0)
    X = rng.normal(size=(24, 3))
    if Est is MLPClassifier:
        y = np.arange(24) % 3
        if multi and params["class_weight"] is None:
            y = (X[:, :2] > 0).astype(int)  # multilabel
    else:
        y = np.c_[np.abs(X[:, 0]), X[:, 1] ** 2] if multi else np.abs(X[:, 0])
    est = Est(**params)
    with strict_warnings():
        est.fit(X, y)
        est.fit(X, y)  # again: warm start if asked
        check_outputs(est, X, 24, may_overflow=False)
        if params["solver"] != "lbfgs" and not params["early_stopping"]:
            kw = {}
            if Est is MLPClassifier:  # multilabel: the column indices
                kw["classes"] = [0, 1, 2] if y.ndim == 1 else [0, 1]
            if params.get("class_weight") == "balanced":
                with pytest.raises(ValueError, match="balanced"):
                    clone(est).partial_fit(X, y, **kw)
            else:
                clone(est).partial_fit(X, y, **kw).partial_fit(X, y)
    for W in est.coefs_ + est.intercepts_:
        assert np.all(np.isfinite(W))


INVALID = {
    "hidden_layer_sizes": [0, -1, (0,), (3, -2), (2.5,), (True,), "abc"],
    "activation": ["bogus", 1, None],
    "solver": ["newton", None],
    "alpha": [-1.0, np.nan, np.inf, "a"],
    "batch_size": [0, -5, 1.5, "big"],
    "learning_rate": ["fast", None],
    "learning_rate_init": [0.0, -1.0, np.nan, np.inf],
    "power_t": [-1.0, np.nan],
    "max_iter": [0, -1, 2.5],
    "shuffle": ["yes", 2],
    "random_state": ["seed", -1, 1.5],
    "tol": [-1.0, np.nan],
    "verbose": ["loud"],
    "warm_start": ["no"],
    "momentum": [-0.1, 1.5],
    "nesterovs_momentum": ["x"],
    "early_stopping": ["x"],
    "validation_fraction": [1.0, -0.1],
    "beta_1": [1.0, -0.1],
    "beta_2": [1.0, -0.1],
    "epsilon": [0.0, -1.0],
    "n_iter_no_change": [0, 1.5],
    "max_fun": [0],
    "init": ["bogus", 3],
    "penalty": ["l3", 0],
    "l1_ratio": [-0.1, 1.1],
    "dropout": [-0.1, 1.0, "x", (0.5, 2.0), (0.1, 0.1, 0.1)],
}
INVALID_CLASSIFIER = {"class_weight": ["auto", [1, 2], {0: -1.0}, {0: np.nan}]}
INVALID_REGRESSOR = {"loss": ["absolute_error"]}


INVALID_CASES = [
    (Est, name, value)
    for Est, extra in [(MLPClassifier, INVALID_CLASSIFIER), (MLPRegressor, INVALID_REGRESSOR)]
    for name, values in {**INVALID, **extra}.items()
    for value in values
]


@pytest.mark.parametrize("Est, name, value", INVALID_CASES)
def test_invalid_hyperparameters_raise_invalid_parameter_error(Est, name, value):
    X = np.arange(16.0).reshape(8, 2)
    y = np.arange(8) % 2
    params = {**TINY, "hidden_layer_sizes": (3, 2), name: value}
    with pytest.raises(InvalidParameterError, match=re.escape(name)):
        Est(**params).fit(X, y)


@given(data=st.data(), case=st.sampled_from(INVALID_CASES))
def test_one_invalid_value_among_random_valid_ones_is_named(data, case):
    Est, name, value = case
    params = data.draw(valid_params(Est))
    if name != "hidden_layer_sizes":  # so that the dropout tuples are invalid
        params["hidden_layer_sizes"] = (3, 2)
        if np.ndim(params["dropout"]):  # a single rate: no length mismatch
            params["dropout"] = params["dropout"][0] if len(params["dropout"]) else 0.0
    params[name] = value
    X = np.arange(16.0).reshape(8, 2)
    y = np.arange(8) % 2
    with pytest.raises(InvalidParameterError, match=re.escape(name)):
        Est(**params).fit(X, y)


def test_dropout_with_lbfgs_is_a_clear_value_error():
    with pytest.raises(ValueError, match=r"dropout is not supported with solver='lbfgs'"):
        MLPClassifier(solver="lbfgs", dropout=0.5, **TINY).fit(np.eye(4), [0, 1, 0, 1])


# ----------------------------------------------------------- numerical extremes
EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, 1e4], [-1e4, 0.0, 1e4]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_losses_are_stable_at_logits_of_1e4(dtype):
    Z = EXTREME.astype(dtype)
    Y = np.eye(3, dtype=dtype)[[0, 1, 2, 0]]
    log_p = EXTREME - logsumexp(EXTREME, axis=1, keepdims=True)  # in float64
    P, expected = np.exp(log_p), -(Y * log_p).sum(axis=1)
    delta = Z.copy()
    loss = LOSSES["softmax"].loss_and_delta(delta, Y)
    np.testing.assert_allclose(loss, expected, rtol=1e-6)
    np.testing.assert_allclose(delta, P - Y, atol=1e-6)
    # binary cross-entropy log(1 + exp(z)) - y z: log 2 must survive next to 1e4
    Yb = (Y > 0).astype(dtype)
    delta = Z.copy()
    loss = LOSSES["logistic"].loss_and_delta(delta, Yb)
    expected = -(Yb * log_expit(EXTREME) + (1 - Yb) * log_expit(-EXTREME)).sum(axis=1)
    np.testing.assert_allclose(loss, expected, rtol=1e-6)
    assert np.all(np.abs(delta) <= 1)
    for name in ("identity", "exp"):
        delta = Z.copy()
        assert np.all(np.isfinite(LOSSES[name].loss_and_delta(delta, np.abs(Y))))
        assert np.all(np.isfinite(delta))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_are_finite_at_1e4(dtype):
    for name, fn in OUTPUT_ACTIVATIONS.items():
        A = EXTREME.astype(dtype)
        fn(A)
        assert np.all(np.isfinite(A)), name
    A = EXTREME.astype(dtype)
    OUTPUT_ACTIVATIONS["softmax"](A)
    np.testing.assert_array_equal(A[:2], [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(A[2], [1 / 3] * 3, rtol=1e-6)
    for name, act in ACTIVATIONS.items():
        Z = EXTREME.astype(dtype)
        A = Z.copy()
        act.function(A)
        delta = np.ones_like(A)
        act.derivative(A, delta, Z)
        assert np.all(np.isfinite(A)) and np.all(np.isfinite(delta)), name


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba", "score"])
def test_nan_or_inf_in_any_chunk_is_sklearns_error(bad, activation, method):
    """Plain arrays are checked for NaN / inf in the first layer, not by a
    pass of their own: the error must still be scikit-learn's, wherever the
    value sits (here in the last of two prediction chunks, where a ReLU
    or tanh would turn -inf into a finite output)."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 64)), np.arange(60) % 3
    kw = dict(hidden_layer_sizes=(8,), activation=activation, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = MLPClassifier(**kw).fit(X, y), sk.MLPClassifier(**kw).fit(X, y)
    X_big = rng.normal(size=(20000, 64))  # 2**20 // 64 = 16384 rows per chunk
    X_big[-1, 5] = bad
    args = (X_big, np.zeros(20000, int)) if method == "score" else (X_big,)
    with pytest.raises(ValueError) as mine:
        getattr(ours, method)(*args)
    with pytest.raises(ValueError) as ref:
        getattr(theirs, method)(*args)
    assert str(mine.value) == str(ref.value)
    X_big[-1, 5] = 0.0
    getattr(ours, method)(*args)  # and the same array without it is fine


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_predict_proba_and_log_proba_are_stable_at_logits_of_1e4(task):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 3))
    y = {
        "binary": np.arange(20) % 2,
        "multiclass": np.arange(20) % 3,
        "multilabel": (X[:, :2] > 0).astype(int),
    }[task]
    clf = MLPClassifier(**{**TINY, "hidden_layer_sizes": (4,), "activation": "identity"})
    clf.fit(X, y)

    def logits():  # identity hidden layer: two affine maps
        H = X @ clf.coefs_[0] + clf.intercepts_[0]
        return H @ clf.coefs_[1] + clf.intercepts_[1]

    # Rescale the output layer so the logits reach about 1e4 in magnitude.
    factor = 1e4 / np.abs(logits()).max()
    clf.coefs_[-1] *= factor
    clf.intercepts_[-1] *= factor
    Z = logits()
    assert 5e3 < np.abs(Z).max() < 2e4
    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)
    assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
    assert np.all(np.isfinite(log_proba))
    if task == "multiclass":
        np.testing.assert_allclose(log_proba, Z - logsumexp(Z, axis=1, keepdims=True))
        np.testing.assert_allclose(proba.sum(axis=1), 1)
    elif task == "binary":
        np.testing.assert_allclose(log_proba, np.c_[log_expit(-Z), log_expit(Z)])
        np.testing.assert_allclose(proba.sum(axis=1), 1)
    else:
        np.testing.assert_allclose(log_proba, log_expit(Z))
    # and the training loss at those weights
    net = sknn._network.Network([3, 4, Z.shape[1]], "identity", clf.out_activation_, np.float64)
    net.set_parameters(clf.coefs_, clf.intercepts_)
    Y = {"binary": y[:, None], "multiclass": np.eye(3)[y], "multilabel": y}[task].astype(float)
    assert np.isfinite(net.loss_grad(X, Y)) and np.all(np.isfinite(net.grad))


def _all_finite(est):
    return all(np.all(np.isfinite(W)) for W in est.coefs_ + est.intercepts_)


@pytest.mark.parametrize(
    "solver, params, scale",
    [
        ("sgd", dict(learning_rate_init=1e10), 1.0),
        ("sgd", dict(learning_rate_init=1e6, batch_size=1), 1.0),
        # the loss of the only epoch is finite, its updates are not
        ("sgd", dict(learning_rate_init=1e200, max_iter=1), 1.0),
        ("adam", dict(learning_rate_init=1e200), 1.0),
        ("lbfgs", {}, 1e154),  # the loss overflows at any step
        ("lbfgs", dict(alpha=1e300), 1.0),
    ],
)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_diverging_fit_keeps_finite_usable_weights_and_warns(solver, params, scale, Est):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)) * scale
    y = np.arange(40) % 2 if Est is MLPClassifier else X @ [1.0, 2.0, 3.0]
    est = Est(
        **{
            "hidden_layer_sizes": (5, 4),
            "solver": solver,
            "max_iter": 30,
            "random_state": 0,
            **params,
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(X, y)
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert any("diverged" in m for m in messages), messages
    assert _all_finite(est)
    if scale == 1.0:  # weights still predict on their own training data
        check_outputs(est, X, 40, may_overflow=False)


# ---------------------------------------------------------------- nothing lost
def _interrupt_after(monkeypatch, k, exc=KeyboardInterrupt):
    """Make Network.loss_grad raise ``exc`` on its (k+1)-th call."""
    original = sknn._network.Network.loss_grad
    calls = {"n": 0}

    def loss_grad(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > k:
            raise exc("injected")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sknn._network.Network, "loss_grad", loss_grad)
    return calls


def _data(Est, n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    y = (
        (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
        if Est is MLPClassifier
        else X @ [1.0, -1, 2, 0]
    )
    return X, y


@pytest.mark.parametrize(
    "solver, early_stopping",
    [("sgd", False), ("sgd", True), ("adam", False), ("adam", True), ("lbfgs", False)],
)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_keyboard_interrupt_stops_keeps_a_usable_model_and_warns(
    monkeypatch, Est, solver, early_stopping
):
    X, y = _data(Est)
    params = dict(
        hidden_layer_sizes=(8,),
        solver=solver,
        batch_size=10,
        max_iter=50,
        early_stopping=early_stopping,
        learning_rate_init=0.05,
        random_state=0,
    )
    evaluated = []
    if early_stopping:  # record the weights behind every validation score
        original = sknn._base._ValidationSet.evaluate

        def evaluate(self, net):
            result = original(self, net)
            evaluated.append((result[0], net.params.copy()))
            return result

        monkeypatch.setattr(sknn._base._ValidationSet, "evaluate", evaluate)
    calls = _interrupt_after(monkeypatch, 20)
    est = Est(**params)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        assert est.fit(X, y) is est
    assert calls["n"] == 21  # stopped at the interrupt, no further work
    assert _all_finite(est)
    check_outputs(est, X, len(X), may_overflow=False)
    if solver == "lbfgs":
        # the last accepted iterate: the same as stopping there by max_iter
        assert est.n_iter_ == len(est.loss_curve_) > 0
        monkeypatch.undo()
        reference = Est(**{**params, "max_iter": est.n_iter_})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reference.fit(X, y)
        for a, b in zip(est.coefs_ + est.intercepts_, reference.coefs_ + reference.intercepts_):
            np.testing.assert_array_equal(a, b)
        assert est.loss_ == reference.loss_
    else:
        epochs_done = 20 // -(-int(len(X) * (0.9 if early_stopping else 1)) // 10)
        assert est.n_iter_ == len(est.loss_curve_) == epochs_done < params["max_iter"]
    if early_stopping:
        scores = [s for s, _ in evaluated]
        best = int(np.argmax(scores))
        assert est.best_validation_score_ == scores[best] == max(est.validation_scores_)
        params_now = np.concatenate([W.ravel() for W in est.coefs_] + [b for b in est.intercepts_])
        np.testing.assert_array_equal(params_now, evaluated[best][1])


def _state(est):
    """A deep snapshot of everything the estimator holds."""
    return copy.deepcopy(vars(est))


def assert_same_state(a, b, path="est"):
    """Deep equality of nested attributes, arrays compared exactly."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), path
        assert a.dtype == b.dtype and a.shape == b.shape, path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (path, set(a) ^ set(b))
        for k in a:
            assert_same_state(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same_state(u, v, f"{path}[{i}]")
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        assert type(a) is type(b), path
        assert_same_state(vars(a), vars(b), path)
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), path
    else:
        assert a == b, (path, a, b)


def _predictions(est, X):
    out = [est.predict(X)]
    if isinstance(est, MLPClassifier):
        out += [est.predict_proba(X), est.predict_log_proba(X)]
    return out


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_failed_warm_start_fit_leaves_the_model_exactly_as_it_was(monkeypatch, Est, solver):
    X, y = _data(Est)
    est = Est(hidden_layer_sizes=(6,), solver=solver, max_iter=5, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    before, predictions = _state(est), _predictions(est, X)
    failures = [
        lambda: est.fit(np.where(X > 1, np.nan, X), y),  # NaN in X
        lambda: est.fit(X[:, :3], y),  # fewer features
        lambda: est.set_params(hidden_layer_sizes=(7,)).fit(X, y),  # another shape
    ]
    if Est is MLPClassifier:
        failures.append(lambda: est.fit(X, y + 5))  # new classes
    else:
        failures.append(lambda: est.fit(X, np.c_[y, y]))  # another output width
    for fail in failures:
        with pytest.raises(ValueError):
            fail()
        est.set_params(hidden_layer_sizes=(6,))
        assert_same_state(_state(est), before)
    # an error in the middle of training (after some updates were made)
    calls = _interrupt_after(monkeypatch, 2, exc=RuntimeError)
    with pytest.raises(RuntimeError, match="injected"):
        est.fit(X, y)
    assert calls["n"] == 3
    assert_same_state(_state(est), before)
    for a, b in zip(_predictions(est, X), predictions):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_failed_partial_fit_leaves_the_model_exactly_as_it_was(monkeypatch, Est, solver):
    X, y = _data(Est)
    est = Est(hidden_layer_sizes=(6,), solver=solver, batch_size=10, random_state=0, dropout=0.2)
    kw = {"classes": [0, 1, 2]} if Est is MLPClassifier else {}
    est.partial_fit(X, y, **kw).partial_fit(X, y)
    before, predictions = _state(est), _predictions(est, X)
    failures = [
        lambda: est.partial_fit(np.where(X > 1, np.nan, X), y),  # a batch with NaN
        lambda: est.partial_fit(X, np.where(X[:, 0] > 1, np.inf, y)),  # inf targets
        lambda: est.partial_fit(X[:, :3], y),  # fewer features
        lambda: est.partial_fit(X, y, sample_weight=-np.ones(len(y))),
    ]
    if Est is MLPClassifier:
        failures += [
            lambda: est.partial_fit(X, y + 1),  # a new class
            lambda: est.partial_fit(X, y, classes=[0, 1, 2, 3]),  # other classes
        ]
    for fail in failures:
        with pytest.raises(ValueError):
            fail()
        assert_same_state(_state(est), before)
    _interrupt_after(monkeypatch, 3, exc=RuntimeError)  # mid-epoch: 6 batches
    with pytest.raises(RuntimeError, match="injected"):
        est.partial_fit(X, y)
    assert_same_state(_state(est), before)
    for a, b in zip(_predictions(est, X), predictions):
        np.testing.assert_array_equal(a, b)


@given(data=st.data(), Est=st.sampled_from(ESTIMATORS), solver=st.sampled_from(["sgd", "adam"]))
def test_hostile_partial_fit_batch_updates_or_changes_nothing(data, Est, solver):
    rng = np.random.RandomState(0)
    X0 = rng.normal(size=(10, 2))
    y0 = np.arange(10) % 3 if Est is MLPClassifier else X0[:, 0]
    est = Est(**{**TINY, "solver": solver})
    with strict_warnings():
        est.partial_fit(X0, y0, **({"classes": [0, 1, 2]} if Est is MLPClassifier else {}))
    before = _state(est)
    case = data.draw(hostile_X())
    problems = dict(case.problems)
    if case.d != 2:
        problems["n_features"] = r"features"
    if Est is MLPClassifier:
        y = np.array(
            data.draw(
                st.lists(st.sampled_from([0, 1, 2, 5, np.nan]), min_size=case.n, max_size=case.n)
            )
        )
        if np.isnan(y).any():
            problems["nan"] = r"NaN"
        elif (y == 5).any():
            problems["new class"] = r"not in `self.classes_`"
    else:
        y, y_problems = data.draw(regression_targets(case.n))
        problems.update(y_problems)
        if y.ndim == 2:
            problems["n_outputs"] = (
                r"y has 2 output\(s\) \(columns\) but the model was fitted with 1"
            )
    ok, _ = attempt(lambda: est.partial_fit(case.X, y), problems)
    if ok:  # updated, and still predicts on clean data
        check_outputs(est, X0, 10, may_overflow=False)
    else:
        assert_same_state(_state(est), before)


def test_partial_fit_whose_overflow_a_relu_hides_keeps_the_previous_model():
    """Found by the fuzzer above: a batch with a -1e300 feature sends one weight
    to 1e297. On that batch ReLU turns the -inf pre-activation into 0, so the
    output stays finite, yet clean data overflows. The overflow in the hidden
    layer counts as divergence: the previous weights stay, with a warning."""
    rng = np.random.RandomState(0)
    X0 = rng.normal(size=(10, 2))
    est = MLPClassifier(**{**TINY, "solver": "sgd"})
    est.partial_fit(X0, np.arange(10) % 3, classes=[0, 1, 2])
    before = [W.copy() for W in est.coefs_]
    with pytest.warns(ConvergenceWarning, match="diverged"), np.errstate(over="ignore"):
        est.partial_fit(np.array([[0.0, -1e300]]), [0])
    for W, W0 in zip(est.coefs_, before):
        np.testing.assert_array_equal(W, W0)
    assert np.isfinite(est.predict_proba(X0)).all()


@pytest.mark.parametrize("random_state", [0, "instance"])
@pytest.mark.parametrize("solver, dropout", [("sgd", 0.0), ("sgd", 0.3), ("adam", 0.3)])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_pickle_round_trip_after_partial_fit_continues_bitwise(Est, solver, dropout, random_state):
    X, y = _data(Est)
    rs = np.random.RandomState(3) if random_state == "instance" else random_state
    est = Est(
        hidden_layer_sizes=(6,), solver=solver, batch_size=7, dropout=dropout, random_state=rs
    )
    kw = {"classes": [0, 1, 2]} if Est is MLPClassifier else {}
    est.partial_fit(X, y, **kw).partial_fit(X[:30], y[:30])
    loaded = pickle.loads(pickle.dumps(est))
    for model in (est, loaded):
        for start in (0, 20, 40):
            model.partial_fit(X[start : start + 25], y[start : start + 25])
    assert_same_state(
        {k: v for k, v in vars(loaded).items() if k != "random_state"},
        {k: v for k, v in vars(est).items() if k != "random_state"},
    )
    for a, b in zip(_predictions(loaded, X), _predictions(est, X)):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------- concurrency
def test_threads_predicting_on_one_model_match_sequential_calls():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 10))
    y = np.arange(300) % 4
    clf = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=5, random_state=0).fit(X, y)
    reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=5, random_state=0).fit(X, X[:, :2])
    inputs = [X[i::8] for i in range(8)] + [X.astype(np.float32)]
    calls = [
        (m, method)
        for m, methods in [
            (clf, ("predict", "predict_proba", "predict_log_proba")),
            (reg, ("predict",)),
        ]
        for method in methods
    ]
    expected = {
        (id(m), method, i): getattr(m, method)(Xi)
        for m, method in calls
        for i, Xi in enumerate(inputs)
    }
    barrier = threading.Barrier(8)
    results, errors = {}, []

    def work(worker):
        try:
            barrier.wait()
            for _ in range(5):
                for m, method in calls:
                    for i, Xi in enumerate(inputs[worker:] + inputs[:worker]):
                        i = (i + worker) % len(inputs)
                        results.setdefault((id(m), method, i, worker), []).append(
                            getattr(m, method)(Xi)
                        )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors
    assert len(results) == 8 * len(calls) * len(inputs)
    for (mid, method, i, _), outs in results.items():
        for out in outs:
            np.testing.assert_array_equal(out, expected[(mid, method, i)])


def test_clones_fitted_in_parallel_threads_match_sequential_fits():
    X, y = _data(MLPClassifier, n=80)
    configs = [
        MLPClassifier(
            hidden_layer_sizes=(8,),
            solver="sgd",
            dropout=0.3,
            batch_size=10,
            max_iter=8,
            random_state=1,
        ),
        MLPClassifier(
            hidden_layer_sizes=(8,), solver="adam", early_stopping=True, max_iter=8, random_state=2
        ),
        MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=8, random_state=3),
        MLPRegressor(
            hidden_layer_sizes=(8,),
            solver="adam",
            dropout=0.2,
            batch_size=16,
            max_iter=8,
            random_state=4,
        ),
    ] * 2
    targets = [y if isinstance(c, MLPClassifier) else X[:, 0] for c in configs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        global_state = np.random.get_state()
        sequential = [clone(c).fit(X, t) for c, t in zip(configs, targets)]
        parallel = [clone(c) for c in configs]
        barrier = threading.Barrier(len(parallel))
        errors = []

        def work(est, t):
            try:
                barrier.wait()
                est.fit(X, t)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(e, t)) for e, t in zip(parallel, targets)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors
    # no draw from numpy's global generator
    np.testing.assert_array_equal(np.random.get_state()[1], global_state[1])
    for a, b in zip(parallel, sequential):
        for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
            np.testing.assert_array_equal(u, v)


# ----------------------------------------------------------------- determinism
DETERMINISM_CONFIGS = [
    dict(solver="sgd", shuffle=True, dropout=0.3, early_stopping=True, batch_size=8),
    dict(solver="adam", shuffle=True, dropout=(0.5,), early_stopping=True),
    dict(solver="adam", init="he_normal", penalty="elasticnet"),
    dict(solver="lbfgs", init="orthogonal"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("params", DETERMINISM_CONFIGS)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_same_int_seed_gives_bitwise_identical_fits(Est, params, dtype):
    X, y = _data(Est)
    X = X.astype(dtype)
    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(2):
            est = Est(hidden_layer_sizes=(6,), max_iter=6, random_state=42, **params)
            fits.append(est.fit(X, y))
        again = fits[0].fit(X, y)  # the same estimator refitted: same again
    for other in (fits[1], again):
        for u, v in zip(fits[0].coefs_ + fits[0].intercepts_, other.coefs_ + other.intercepts_):
            assert u.dtype == dtype
            np.testing.assert_array_equal(u, v)
    if params.get("early_stopping"):
        assert fits[0].validation_scores_ == fits[1].validation_scores_
    assert fits[0].loss_curve_ == fits[1].loss_curve_
    # a different seed changes the result
    other = Est(hidden_layer_sizes=(6,), max_iter=6, random_state=43, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        other.fit(X, y)
    assert not np.array_equal(other.coefs_[0], fits[1].coefs_[0])


def _refit_pattern(Est, random_state_factory, X, y):
    """Whether two fits of one estimator agree, and two fresh estimators do."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Est(hidden_layer_sizes=(5,), max_iter=3, random_state=random_state_factory())
        first = est.fit(X, y).coefs_[0].copy()
        second = est.fit(X, y).coefs_[0].copy()
        fresh = Est(hidden_layer_sizes=(5,), max_iter=3, random_state=random_state_factory())
        third = fresh.fit(X, y).coefs_[0].copy()
    return np.array_equal(first, second), np.array_equal(first, third), first


@pytest.mark.parametrize(
    "kind, factory",
    [
        ("int", lambda: 7),
        ("RandomState", lambda: np.random.RandomState(7)),
        ("None", lambda: None),
    ],
)
@pytest.mark.parametrize(
    "ours, theirs", [(MLPClassifier, sk.MLPClassifier), (MLPRegressor, sk.MLPRegressor)]
)
def test_random_state_kinds_behave_as_in_scikit_learn(ours, theirs, kind, factory):
    X, y = _data(ours)
    pattern = _refit_pattern(ours, factory, X, y)[:2]
    expected = {"int": (True, True), "RandomState": (False, True), "None": (False, False)}[kind]
    assert pattern == expected
    assert _refit_pattern(theirs, factory, X, y)[:2] == expected
    if kind == "None":  # None draws from numpy's global generator, as in sklearn
        np.random.seed(5)
        a = _refit_pattern(ours, factory, X, y)[2]
        np.random.seed(5)
        b = _refit_pattern(ours, factory, X, y)[2]
        np.testing.assert_array_equal(a, b)
    else:
        # init='auto' draws sklearn's initial weights from the same seed
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            kw = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=1e-12,
                      momentum=0, max_iter=1, shuffle=False)
            mine = ours(**kw, random_state=factory()).fit(X, y)
            ref = theirs(**kw, random_state=factory()).fit(X, y)
        np.testing.assert_allclose(mine.coefs_[0], ref.coefs_[0], rtol=0, atol=1e-9)
