"""Hypothesis strategies for hostile inputs and hyperparameters, and the
checks and helpers the tests share.

Every fuzzed call must either work and return finite, well-formed output, or
raise a ValueError / TypeError whose message names one of the problems the
input actually has. RuntimeWarnings are errors in these tests (as in the
whole suite), so overflow or invalid-value warnings fail them.
"""

import copy
import re
import warnings
from contextlib import contextmanager
from types import SimpleNamespace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknn import MLPClassifier, MLPRegressor
from sknn.nn import (
    ACTIVATIONS,
    INITIALIZERS,
    L1,
    L2,
    LOSSES,
    NORMALIZATIONS,
    OPTIMIZERS,
    REGULARIZERS,
    SCHEDULES,
    SGD,
    Adagrad,
    Adam,
    AdamW,
    Adaptive,
    BatchNormalization,
    Constant,
    Cosine,
    ElasticNet,
    InvScaling,
    LayerNormalization,
    RMSprop,
)

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


#: A fit on data so large that no weights give a finite loss fails with
#: scikit-learn's error (see test_numerics).
TOO_LARGE = {"too large": r"non-finite parameter weights"}


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


#: Every solver: L-BFGS and the registered stochastic optimizers.
SOLVERS = ["lbfgs", *OPTIMIZERS]
STOCHASTIC_SOLVERS = list(OPTIMIZERS)


# ------------------------------------------------------- hyperparameter fuzzing
def init_callable(fan_in, fan_out, random_state, dtype):
    return random_state.normal(0, 0.1, (fan_in, fan_out)).astype(dtype)


#: Valid values of the flat parameters (and of the components' same parameters).
_RATES = st.floats(1e-5, 1.0)
_DECAYS = st.floats(0, 0.999)
_EPSILONS = st.sampled_from([1e-12, 1e-8, 1.0])
_ALPHAS = st.sampled_from([0.0, 1e-4, 1.0, 1e3])
_POWERS = st.floats(0, 3) | st.just(1e300)
_WARMUPS = st.integers(0, 5)
_WEIGHT_DECAYS = st.sampled_from([0.0, 0.01, 10.0])
_BN_MOMENTA = st.floats(0.01, 1.0)

#: Component instances with valid parameters, by the name of the component:
#: values of ``solver``, ``learning_rate``, ``penalty`` and ``normalization``
#: besides the names.
INSTANCES = {
    "solver": {
        "sgd": st.builds(SGD, learning_rate=_RATES, momentum=st.floats(0, 1),
                         nesterov=st.booleans()),
        "adam": st.builds(Adam, learning_rate=_RATES, beta_1=_DECAYS, beta_2=_DECAYS,
                          epsilon=_EPSILONS),
        "adamw": st.builds(AdamW, learning_rate=_RATES, beta_1=_DECAYS, beta_2=_DECAYS,
                           epsilon=_EPSILONS, weight_decay=_WEIGHT_DECAYS),
        "rmsprop": st.builds(RMSprop, learning_rate=_RATES, rho=_DECAYS, epsilon=_EPSILONS),
        "adagrad": st.builds(Adagrad, learning_rate=_RATES, epsilon=_EPSILONS),
    },
    "learning_rate": {
        "constant": st.builds(Constant),
        "invscaling": st.builds(InvScaling, power_t=_POWERS),
        "adaptive": st.builds(Adaptive),
        "cosine": st.builds(Cosine, warmup_iter=_WARMUPS),
    },
    "penalty": {
        "l2": st.builds(L2, alpha=_ALPHAS),
        "l1": st.builds(L1, alpha=_ALPHAS),
        "elasticnet": st.builds(ElasticNet, alpha=_ALPHAS, l1_ratio=st.floats(0, 1)),
    },
    "normalization": {
        "batch": st.builds(BatchNormalization, momentum=_BN_MOMENTA),
        "layer": st.builds(LayerNormalization),
    },
}


def _name_or_instance(draw, parameter, names):
    """One of ``names``, drawn as without instances; in about a third of the
    draws replaced by an instance of the component it names (where there is
    one: not for 'lbfgs', None or names registered by other tests)."""
    name = draw(st.sampled_from(names))
    instances = INSTANCES[parameter]
    if name in instances and draw(st.integers(0, 2)) == 0:
        return draw(instances[name])
    return name


def tiny_targets(X, classifier, multi, class_weight):
    """Targets for the 24-row fuzzing data ``X``: three classes, or two labels
    (``multi``, unless a class weight is set); one value or two outputs."""
    if classifier:
        if multi and class_weight is None:
            return (X[:, :2] > 0).astype(int)  # multilabel
        return np.arange(len(X)) % 3
    return np.c_[np.abs(X[:, 0]), X[:, 1] ** 2] if multi else np.abs(X[:, 0])


@st.composite
def valid_params(draw, Est):
    hidden = draw(st.lists(st.integers(1, 4), max_size=3).map(tuple) | st.integers(1, 4))
    n_hidden = 1 if isinstance(hidden, int) else len(hidden)
    solver = _name_or_instance(draw, "solver", SOLVERS)
    stochastic = not (isinstance(solver, str) and solver == "lbfgs")
    rate = st.floats(0, 0.9)
    dropout = 0.0
    if stochastic:
        dropout = draw(rate | st.lists(rate, min_size=n_hidden, max_size=n_hidden))
    names = st.sampled_from(sorted(ACTIVATIONS))
    params = dict(
        hidden_layer_sizes=hidden,
        activation=draw(names | st.lists(names, min_size=n_hidden, max_size=n_hidden)),
        solver=solver,
        alpha=draw(_ALPHAS),
        batch_size=draw(st.sampled_from(["auto", 1, 5, 1000])),
        learning_rate=_name_or_instance(draw, "learning_rate", list(SCHEDULES)),
        learning_rate_init=draw(_RATES),
        power_t=draw(_POWERS),
        max_iter=draw(st.integers(1, 4)),
        shuffle=draw(st.booleans()),
        random_state=draw(st.none() | st.integers(0, 2**31 - 1)),
        tol=draw(st.sampled_from([0.0, 1e-4, 10.0])),
        warm_start=draw(st.booleans()),
        momentum=draw(st.floats(0, 1)),
        nesterovs_momentum=draw(st.booleans()),
        early_stopping=draw(st.booleans()),
        validation_fraction=draw(st.floats(0.2, 0.5)),
        beta_1=draw(_DECAYS),
        beta_2=draw(_DECAYS),
        epsilon=draw(_EPSILONS),
        n_iter_no_change=draw(st.sampled_from([1, 2, np.inf])),
        max_fun=draw(st.integers(1, 30)),
        init=draw(st.sampled_from([*sorted(INITIALIZERS), init_callable])),
        penalty=_name_or_instance(draw, "penalty", [*REGULARIZERS, None]),
        l1_ratio=draw(st.floats(0, 1)),
        dropout=dropout,
        normalization=_name_or_instance(draw, "normalization", [None, *NORMALIZATIONS]),
        batch_norm_momentum=draw(_BN_MOMENTA),
        rho=draw(_DECAYS),
        weight_decay=draw(_WEIGHT_DECAYS),
        warmup_iter=draw(_WARMUPS),
        max_grad_norm=draw(st.sampled_from([None, 1e-3, 1.0])) if stochastic else None,
        max_norm=draw(st.sampled_from([None, 0.1, 3.0])) if stochastic else None,
        scoring=draw(st.sampled_from([None, "loss", "r2" if Est is MLPRegressor else "f1_macro"])),
        feature_alpha=draw(st.sampled_from([0.0, 0.1, 100.0, "auto"])) if stochastic else 0.0,
        feature_alpha_rule=draw(st.sampled_from(["one_se_paired", "best", "one_se"])),
        diagnostics=draw(st.booleans()),
    )
    if Est is MLPClassifier:
        params["class_weight"] = draw(
            st.sampled_from([None, "balanced", {0: 2.0, 2: 0.5}, {0: 0.0}])
        )
    else:
        params["loss"] = draw(st.sampled_from(sorted(LOSSES.names(where=lambda loss: loss.regression))))
        params["huber_delta"] = draw(st.floats(0.01, 10.0))
        params["quantile"] = draw(st.floats(0.01, 0.99))
    return params


def all_finite(est):
    return all(np.all(np.isfinite(W)) for W in est.coefs_ + est.intercepts_)


def make_data(Est, n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    y = (
        (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
        if Est is MLPClassifier
        else X @ [1.0, -1, 2, 0]
    )
    return X, y


def snapshot(est):
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


def predictions(est, X):
    out = [est.predict(X)]
    if isinstance(est, MLPClassifier):
        out += [est.predict_proba(X), est.predict_log_proba(X)]
    return out


def validation_rows(est, y):
    """Replay the estimator's random draws up to its early-stopping split."""
    rng = np.random.RandomState(est.random_state)
    for W in est.coefs_:  # init='auto' draws weights, then biases, per layer
        rng.uniform(size=W.shape), rng.uniform(size=W.shape[1])
    _, val = train_test_split(np.arange(len(y)), test_size=est.validation_fraction,
                              random_state=rng, stratify=y)
    return val


def relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def fd_gradient(net, loss_at, eps=1e-6):
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


class Recorder:
    """A scikit-learn callback recording every task end: (estimator name,
    task name, fitted_estimator); asks to stop after ``stop_after`` epochs."""

    def __init__(self, stop_after=None):
        self.ends = []
        self.stop_after = stop_after

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.ends.append((type(estimator).__name__, context.task_name, fitted_estimator))
        epochs = sum(name in ("epoch", "iteration") for _, name, _ in self.ends)
        return self.stop_after is not None and epochs >= self.stop_after

    def tasks(self, name):
        """The fitted estimators of the tasks called ``name`` (None where a
        task ended without one, as an interrupted epoch does)."""
        return [fitted for _, task, fitted in self.ends if task == name]
