"""Hyperparameter fuzzing: any valid combination fits, any invalid value is
named in an InvalidParameterError."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from strategies import (
    ESTIMATORS,
    TINY,
    check_outputs,
    strict_warnings,
    tiny_targets,
    valid_params,
)

from sknn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@given(data=st.data(), Est=st.sampled_from(ESTIMATORS), multi=st.booleans())
def test_valid_hyperparameters_fit_tiny_data(data, Est, multi):
    params = data.draw(valid_params(Est))
    X = np.random.RandomState(0).normal(size=(24, 3))
    y = tiny_targets(X, Est is MLPClassifier, multi, params.get("class_weight"))
    est = Est(**params)
    with strict_warnings():
        est.fit(X, y)
        est.fit(X, y)  # again: warm start if asked
        check_outputs(est, X, 24, may_overflow=False)
        if params["solver"] != "lbfgs" and not params["early_stopping"]:
            kw = {}
            if Est is MLPClassifier:  # multilabel: the column indices
                kw["classes"] = [0, 1, 2] if y.ndim == 1 else [0, 1]
            if params["feature_alpha"] == "auto":
                assert not hasattr(est, "partial_fit")
            elif params.get("class_weight") == "balanced":
                with pytest.raises(ValueError, match="balanced"):
                    clone(est).partial_fit(X, y, **kw)
            else:
                clone(est).partial_fit(X, y, **kw).partial_fit(X, y)
    for W in est.coefs_ + est.intercepts_:
        assert np.all(np.isfinite(W))
    if params["diagnostics"]:  # a row per epoch (iteration), a column per layer
        for rows in est.diagnostics_.values():
            assert rows.shape == (len(est.loss_curve_), len(est.coefs_))
    else:
        assert est.diagnostics_ is None


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
    "normalization": ["group", 1, True],
    "batch_norm_momentum": [0.0, -0.1, 1.5, np.nan],
    "rho": [1.0, -0.1],
    "weight_decay": [-1.0, np.nan],
    "warmup_iter": [-1, 1.5],
    "max_grad_norm": [0.0, -1.0, "x"],
    "max_norm": [0.0, -1.0, "x"],
    "scoring": ["bogus_metric", 3],
    "feature_alpha": [-1.0, np.nan, "x", "Auto"],
    "feature_alpha_rule": ["worst", None, 1],
    "diagnostics": ["yes", 2, None],
}
INVALID_CLASSIFIER = {"class_weight": ["auto", [1, 2], {0: -1.0}, {0: np.nan}]}
INVALID_REGRESSOR = {
    "loss": ["log_loss", "mae"],
    "huber_delta": [0.0, -1.0],
    "quantile": [0.0, 1.0, 1.5],
}


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
        if not isinstance(params["activation"], str):  # likewise one activation
            params["activation"] = params["activation"][0] if params["activation"] else "relu"
    params[name] = value
    X = np.arange(16.0).reshape(8, 2)
    y = np.arange(8) % 2
    with pytest.raises(InvalidParameterError, match=re.escape(name)):
        Est(**params).fit(X, y)


def test_dropout_with_lbfgs_is_a_clear_value_error():
    with pytest.raises(ValueError, match=r"dropout is not supported with solver='lbfgs'"):
        MLPClassifier(solver="lbfgs", dropout=0.5, **TINY).fit(np.eye(4), [0, 1, 0, 1])
