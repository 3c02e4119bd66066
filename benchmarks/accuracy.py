"""What the network-design knobs buy: 5-fold CV accuracy / R2 on scikit-learn's data sets.

Compares, in a ``StandardScaler`` pipeline and the same 5 folds:

* scikit-learn's ``MLPClassifier`` / ``MLPRegressor`` with defaults,
* sknn's with defaults (the same model: same ``random_state`` gives the same fit),
* sknn tuned by an inner 3-fold grid search over depth x initializer x
  penalty x dropout (nested cross-validation, so the score is honest),
* and each single knob setting of the grid, to show which one helps where.

Run: ``python benchmarks/accuracy.py`` (``--quick`` for a smaller grid).
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
    args = parser.parse_args(argv)
    grid = QUICK_GRID if args.quick else GRID
    knobs = {} if args.quick else SINGLE_KNOBS
    warnings.simplefilter("ignore", ConvergenceWarning)

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
