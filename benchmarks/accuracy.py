"""What the network-design knobs buy: 5-fold CV accuracy / R2 on scikit-learn's data sets.

Compares, in a ``StandardScaler`` pipeline and the same 5 folds:

* scikit-learn's ``MLPClassifier`` / ``MLPRegressor`` with defaults,
* sknn's with defaults (the same model: same ``random_state`` gives the same fit),
* sknn tuned by an inner 3-fold grid search over depth x initializer x
  penalty x dropout (nested cross-validation, so the score is honest),
* and each single knob setting of the grid, to show which one helps where.

``--toolbox`` instead moves each training tool (normalization, solvers,
schedules, stabilisers, early stopping on the loss, robust regression losses)
alone from the defaults, and reports its 5-fold score, the difference from
scikit-learn's default, and its fit time over scikit-learn's (the two
cross-validations run back to back in this process, so that a slow spell of
a shared machine hits both).

Run: ``python benchmarks/accuracy.py`` (``--quick`` for a smaller grid,
``--toolbox`` for the training tools).
"""

import argparse
import time
import warnings

from sklearn import datasets
from sklearn import neural_network as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn

DATASETS = {
    "digits": (datasets.load_digits, "classification"),
    "breast_cancer": (datasets.load_breast_cancer, "classification"),
    "wine": (datasets.load_wine, "classification"),
    "iris": (datasets.load_iris, "classification"),
    "diabetes": (datasets.load_diabetes, "regression"),
}

# depth x dropout x (initializer and penalty, paired to keep the grid small)
GRID = [
    {
        "hidden_layer_sizes": [(100,), (100, 100)],
        "dropout": [0.0, 0.2],
        "init": ["auto"],
        "penalty": ["l2"],
    },
    {
        "hidden_layer_sizes": [(100,), (100, 100)],
        "dropout": [0.0, 0.2],
        "init": ["he_normal"],
        "penalty": ["elasticnet"],
        "alpha": [1e-3],
    },
]
QUICK_GRID = [{"init": ["auto", "he_normal"], "dropout": [0.0, 0.2]}]

# One knob moved at a time from the defaults (alpha is raised with the
# elastic net so the L1 part has an effect).
SINGLE_KNOBS = {
    "depth (100,100)": dict(hidden_layer_sizes=(100, 100)),
    "he_normal": dict(init="he_normal"),
    "elasticnet": dict(penalty="elasticnet", alpha=1e-2),
    "dropout 0.2": dict(dropout=0.2),
}


# Each training tool moved alone from scikit-learn's defaults.
TOOLBOX = {
    "relu,tanh x (100,100)": dict(hidden_layer_sizes=(100, 100), activation=["relu", "tanh"]),
    "batch norm": dict(normalization="batch"),
    "layer norm": dict(normalization="layer"),
    "adamw": dict(solver="adamw"),
    "rmsprop": dict(solver="rmsprop"),
    "adagrad (lr 0.01)": dict(solver="adagrad", learning_rate_init=0.01),
    "cosine, warm-up 10": dict(learning_rate="cosine", warmup_iter=10),
    "adaptive": dict(learning_rate="adaptive"),
    "max_grad_norm 1": dict(max_grad_norm=1.0),
    "max_norm 3, dropout 0.2": dict(max_norm=3.0, dropout=0.2),
    "early stop on loss": dict(early_stopping=True, scoring="loss"),
}
REGRESSION_TOOLBOX = {
    "huber": dict(loss="huber"),
    "absolute_error": dict(loss="absolute_error"),
}


def _timed_score(estimator, X, y, task):
    start = time.perf_counter()
    score = _score(estimator, X, y, task)
    return score, time.perf_counter() - start


def toolbox():
    """Each training tool's score and fit time against scikit-learn's defaults."""
    print("5-fold CV (accuracy; R2 for diabetes), StandardScaler pipeline, random_state=0;")
    print("time: the tool's cross-validation over scikit-learn's default one, run back "
          "to back\n")
    header = f"{'data set':<14}{'tool':<26}{'score':>8}{'vs sklearn':>12}{'time':>8}"
    print(header)
    print("-" * len(header))
    for name, (loader, task) in DATASETS.items():
        X, y = loader(return_X_y=True)
        reference, _ = _timed_score(_model(sk, task), X, y, task)
        print(f"{name:<14}{'scikit-learn default':<26}{reference:>8.4f}", flush=True)
        tools = {**TOOLBOX, **(REGRESSION_TOOLBOX if task == "regression" else {})}
        for tool, params in tools.items():
            _, sk_time = _timed_score(_model(sk, task), X, y, task)
            score, tool_time = _timed_score(_model(sknn, task, **params), X, y, task)
            print(f"{'':<14}{tool:<26}{score:>8.4f}{score - reference:>+12.4f}"
                  f"{tool_time / sk_time:>7.2f}x", flush=True)


def _model(module, task, **params):
    cls = module.MLPClassifier if task == "classification" else module.MLPRegressor
    extra = {"max_iter": 1000} if task == "regression" else {}
    return cls(random_state=0, **extra, **params)


def _cv(task):
    if task == "classification":
        return StratifiedKFold(5, shuffle=True, random_state=0)
    return KFold(5, shuffle=True, random_state=0)


def _score(estimator, X, y, task):
    pipe = make_pipeline(StandardScaler(), estimator)
    return cross_val_score(pipe, X, y, cv=_cv(task)).mean()


def _tuned(X, y, task, grid):
    step = "mlpclassifier" if task == "classification" else "mlpregressor"
    inner = GridSearchCV(
        make_pipeline(StandardScaler(), _model(sknn, task)),
        [{f"{step}__{k}": v for k, v in g.items()} for g in grid],
        cv=3,
    )
    return cross_val_score(inner, X, y, cv=_cv(task)).mean()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller grid, no single knobs")
    parser.add_argument("--toolbox", action="store_true", help="the training tools' table")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.toolbox:
        return toolbox()
    grid = QUICK_GRID if args.quick else GRID
    knobs = {} if args.quick else SINGLE_KNOBS

    columns = ["sklearn default", "sknn default", "sknn tuned", *knobs]
    print("5-fold CV (accuracy; R2 for diabetes), StandardScaler pipeline, random_state=0")
    print(f"tuned = nested CV, inner 3-fold grid over {grid}\n")
    header = f"{'data set':<14}" + "".join(f"{c:>17}" for c in columns)
    print(header)
    print("-" * len(header))
    for name, (loader, task) in DATASETS.items():
        start = time.perf_counter()
        X, y = loader(return_X_y=True)
        row = [
            _score(_model(sk, task), X, y, task),
            _score(_model(sknn, task), X, y, task),
            _tuned(X, y, task, grid),
            *(_score(_model(sknn, task, **p), X, y, task) for p in knobs.values()),
        ]
        cells = "".join(f"{v:>17.4f}" for v in row)
        print(f"{name:<14}{cells}  ({time.perf_counter() - start:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
