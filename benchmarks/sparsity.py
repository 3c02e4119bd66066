"""What L1 and the feature group lasso eliminate, and what it costs in accuracy.

Three parts:

* **Known informative features**: ``make_classification(2000, 50,
  n_informative=5, n_redundant=0, random_state=0)``, a network of 32 hidden
  units, a stratified 70/30 split. For each solver, the unpenalised network
  against ``penalty='l1', alpha=1``; then the group lasso ``feature_alpha``
  at several strengths. Reported: test accuracy, the share of exactly zero
  first-layer weights, the noise features whose weights are all exactly zero
  and the informative features still in use. scikit-learn's
  ``SGDClassifier(penalty='l1')`` on the same data is the linear reference.
* **scikit-learn's bundled data sets**, each with as many pure-noise columns
  appended as it has features, so that the features a model should drop are
  known: 5-fold CV accuracy (StandardScaler pipeline) of the default network,
  L1 and the group lasso, the share of exact zeros among all weights, and the
  real and noise features the fitted models keep (mean over the folds).
* **``feature_alpha='auto'``**, no hand-set strength: on the known-features
  data over 5 stratified 70/30 splits, for every stochastic solver and each
  rule, the noise features removed, the informative ones kept, the test
  accuracy against the same network without the group lasso, and the fit
  time of the whole path over that network's; then the bundled data sets
  with noise columns.

Run: ``python benchmarks/sparsity.py`` (``--quick`` skips the bundled data
sets; ``--only auto`` runs only the third part).
"""

import argparse
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedKFold, cross_validate, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

SOLVERS = ["adam", "sgd", "lbfgs", "rmsprop", "adagrad", "adamw"]
# the learning rate each solver is usually run with on standardised data
LEARNING_RATES = {"sgd": 0.01, "adagrad": 0.01}
FEATURE_ALPHAS = {"adam": [10.0, 20.0, 50.0, 70.0, 100.0]}  # the others: 20 and 50
N_INFORMATIVE = 5


def informative_columns(n_samples, n_features, random_state):
    """Which columns of the shuffled ``make_classification`` data are the
    informative ones: a column's sorted values survive the row shuffle, and
    without shuffling the informative columns come first."""
    kw = dict(n_informative=N_INFORMATIVE, n_redundant=0, random_state=random_state)
    X, y = datasets.make_classification(n_samples, n_features, **kw)
    X0, _ = datasets.make_classification(n_samples, n_features, shuffle=False, **kw)
    reference = np.sort(X0[:, :N_INFORMATIVE], axis=0)
    columns = np.sort(X, axis=0)
    mask = np.array([any(np.array_equal(c, r) for r in reference.T) for c in columns.T])
    assert mask.sum() == N_INFORMATIVE
    return X, y, mask


def _row(label, model, X_test, y_test, informative):
    W = model.coefs_[0]
    used = np.any(W != 0, axis=1)
    print(f"{label:<37}{model.score(X_test, y_test):>9.3f}{np.mean(W == 0):>10.1%}"
          f"{np.sum(~used[~informative]):>8d} / {np.sum(~informative)}"
          f"{np.sum(used[informative]):>8d} / {N_INFORMATIVE}", flush=True)


def known_features():
    X, y, informative = informative_columns(2000, 50, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0)
    print("make_classification(2000, 50, n_informative=5, n_redundant=0, random_state=0), "
          "hidden_layer_sizes=(32,), max_iter=1000, 70/30 split\n")
    header = (f"{'model':<37}{'test acc':>9}{'zeros W1':>10}"
              f"{'noise gone':>14}{'inform. kept':>14}")
    print(header)
    print("-" * len(header))
    for solver in SOLVERS:
        kw = dict(hidden_layer_sizes=(32,), solver=solver, max_iter=1000, random_state=0)
        if solver in LEARNING_RATES:
            kw["learning_rate_init"] = LEARNING_RATES[solver]
        plain = MLPClassifier(penalty=None, **kw).fit(X_train, y_train)
        l1 = MLPClassifier(penalty="l1", alpha=1.0, **kw).fit(X_train, y_train)
        _row(f"{solver}, no penalty", plain, X_test, y_test, informative)
        _row(f"{solver}, l1 alpha=1", l1, X_test, y_test, informative)
        if solver == "lbfgs":
            continue  # the group lasso needs a stochastic solver
        for feature_alpha in FEATURE_ALPHAS.get(solver, [20.0, 50.0]):
            group = MLPClassifier(feature_alpha=feature_alpha, **kw).fit(X_train, y_train)
            _row(f"{solver}, feature_alpha={feature_alpha:g}", group, X_test, y_test,
                 informative)
        if solver == "adam":
            both = MLPClassifier(penalty="l1", alpha=1.0, feature_alpha=30.0, **kw)
            _row("adam, l1 alpha=1 + feature_alpha=30", both.fit(X_train, y_train), X_test,
                 y_test, informative)
    linear = SGDClassifier(penalty="l1", random_state=0).fit(X_train, y_train)
    print(f"\nSGDClassifier(penalty='l1'): test accuracy {linear.score(X_test, y_test):.3f}, "
          f"{np.mean(linear.coef_ == 0):.1%} exact zeros, "
          f"{np.sum(linear.coef_[0, ~informative] == 0)} / 45 noise features at zero")
    splits(X, y, informative)


def splits(X, y, informative, feature_alpha=70.0, n_splits=5):
    """The group lasso against the unpenalised network (adam) over other splits."""
    print(f"\nadam over {n_splits} stratified 70/30 splits (random_state 0..{n_splits - 1}): "
          f"no penalty against feature_alpha={feature_alpha:g}")
    rows = []
    for seed in range(n_splits):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed)
        kw = dict(hidden_layer_sizes=(32,), max_iter=1000, random_state=0)
        plain = MLPClassifier(penalty=None, **kw).fit(X_train, y_train)
        group = MLPClassifier(feature_alpha=feature_alpha, **kw).fit(X_train, y_train)
        used = np.any(group.coefs_[0] != 0, axis=1)
        rows.append((plain.score(X_test, y_test), group.score(X_test, y_test),
                     np.sum(~used[~informative]), np.sum(used[informative])))
        print(f"  split {seed}: accuracy {rows[-1][0]:.3f} -> {rows[-1][1]:.3f}, noise gone "
              f"{rows[-1][2]} / 45, informative kept {rows[-1][3]} / 5", flush=True)
    rows = np.array(rows)
    print(f"  mean:    accuracy {rows[:, 0].mean():.3f} -> {rows[:, 1].mean():.3f}, noise gone "
          f"{rows[:, 2].mean():.1f} / 45, informative kept {rows[:, 3].mean():.1f} / 5")


BUNDLED = {
    "breast_cancer": datasets.load_breast_cancer,
    "wine": datasets.load_wine,
    "iris": datasets.load_iris,
    "digits": datasets.load_digits,
}
MODELS = {
    "default (l2 1e-4)": dict(),
    "l1 alpha=1": dict(penalty="l1", alpha=1.0),
    "feature_alpha=5": dict(feature_alpha=5.0),
    "feature_alpha=20": dict(feature_alpha=20.0),
}


def bundled():
    print("\n5-fold stratified CV, StandardScaler pipeline, hidden_layer_sizes=(32,), "
          "max_iter=1000;\neach data set with as many N(0, 1) noise columns appended as it "
          "has features\n")
    header = (f"{'data set':<22}{'model':<20}{'accuracy':>9}{'zeros':>8}"
              f"{'real kept':>13}{'noise kept':>13}")
    print(header)
    print("-" * len(header))
    for name, loader in BUNDLED.items():
        X, y = loader(return_X_y=True)
        n = X.shape[1]
        noise = np.random.RandomState(0).standard_normal(X.shape)
        X = np.hstack([X, noise])
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        for label, params in MODELS.items():
            start = time.perf_counter()
            pipe = make_pipeline(StandardScaler(), MLPClassifier(
                (32,), max_iter=1000, random_state=0, **params))
            result = cross_validate(pipe, X, y, cv=cv, return_estimator=True)
            nets = [p[-1] for p in result["estimator"]]
            zeros = np.mean([
                1 - sum(map(np.count_nonzero, net.coefs_)) / sum(W.size for W in net.coefs_)
                for net in nets])
            kept = np.array([np.any(net.coefs_[0] != 0, axis=1) for net in nets])
            print(f"{name + f' ({n}+{n})':<22}{label:<20}"
                  f"{result['test_score'].mean():>9.3f}{zeros:>8.1%}"
                  f"{kept[:, :n].sum(axis=1).mean():>9.1f} / {n:<2d}"
                  f"{kept[:, n:].sum(axis=1).mean():>8.1f} / {n:<2d}"
                  f"  ({time.perf_counter() - start:.0f}s)", flush=True)


STOCHASTIC = [s for s in SOLVERS if s != "lbfgs"]
RULES = ["one_se_paired", "best", "one_se"]


def auto_selection(n_splits=5, solvers=STOCHASTIC, rules=RULES):
    """feature_alpha='auto' against the same network without the group lasso."""
    X, y, informative = informative_columns(2000, 50, random_state=0)
    print(f"\nfeature_alpha='auto' over {n_splits} stratified 70/30 splits of the "
          "known-features data, hidden_layer_sizes=(32,), max_iter=1000; "
          "the dense network is the same without the group lasso; means over the splits\n")
    header = (f"{'solver':<9}{'rule':<15}{'dense acc':>10}{'auto acc':>10}{'noise gone':>12}"
              f"{'inform. kept':>14}{'path / dense: epochs':>22}{'time':>7}")
    print(header)
    print("-" * len(header))
    for solver in solvers:
        kw = dict(hidden_layer_sizes=(32,), solver=solver, max_iter=1000, random_state=0)
        if solver in LEARNING_RATES:
            kw["learning_rate_init"] = LEARNING_RATES[solver]
        rows = {rule: [] for rule in rules}
        for seed in range(n_splits):
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=0.3, stratify=y, random_state=seed)
            start = time.perf_counter()
            dense = MLPClassifier(**kw).fit(X_train, y_train)
            dense_time = time.perf_counter() - start
            for rule in rules:
                start = time.perf_counter()
                auto = MLPClassifier(feature_alpha="auto", feature_alpha_rule=rule, **kw)
                auto.fit(X_train, y_train)
                auto_time = time.perf_counter() - start
                used = np.any(auto.coefs_[0] != 0, axis=1)
                path = auto.feature_alpha_path_
                # every epoch the path trained (its steps and the relaxed refits
                # of new feature sets) over the dense fit's
                epochs = path.n_iter.sum() + path.step_iter * (len(set(
                    map(bytes, np.packbits(path.support, axis=1)))) - 1)
                rows[rule].append((dense.score(X_test, y_test), auto.score(X_test, y_test),
                                   np.sum(~used[~informative]), np.sum(used[informative]),
                                   epochs / dense.n_iter_, auto_time / dense_time))
        for rule in rules:
            m = np.mean(rows[rule], axis=0)
            print(f"{solver:<9}{rule:<15}{m[0]:>10.3f}{m[1]:>10.3f}{m[2]:>8.1f} / 45"
                  f"{m[3]:>10.1f} / 5{m[4]:>17.1f}x{m[5]:>6.1f}x", flush=True)


def auto_bundled(rules=RULES):
    """feature_alpha='auto' on the bundled data sets with appended noise columns."""
    print("\nfeature_alpha='auto' (adam), 5-fold stratified CV, StandardScaler pipeline, "
          "hidden_layer_sizes=(32,), max_iter=1000; noise columns appended as above\n")
    header = (f"{'data set':<22}{'model':<23}{'accuracy':>9}{'real kept':>13}"
              f"{'noise kept':>13}")
    print(header)
    print("-" * len(header))
    models = {"dense": dict(), **{f"auto, {rule}": dict(feature_alpha="auto",
                                                        feature_alpha_rule=rule)
                                  for rule in rules}}
    for name, loader in BUNDLED.items():
        X, y = loader(return_X_y=True)
        n = X.shape[1]
        X = np.hstack([X, np.random.RandomState(0).standard_normal(X.shape)])
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        for label, params in models.items():
            start = time.perf_counter()
            pipe = make_pipeline(StandardScaler(), MLPClassifier(
                (32,), max_iter=1000, random_state=0, **params))
            result = cross_validate(pipe, X, y, cv=cv, return_estimator=True)
            kept = np.array([np.any(p[-1].coefs_[0] != 0, axis=1)
                             for p in result["estimator"]])
            print(f"{name + f' ({n}+{n})':<22}{label:<23}{result['test_score'].mean():>9.3f}"
                  f"{kept[:, :n].sum(axis=1).mean():>9.1f} / {n:<2d}"
                  f"{kept[:, n:].sum(axis=1).mean():>8.1f} / {n:<2d}"
                  f"  ({time.perf_counter() - start:.0f}s)", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the bundled data sets")
    parser.add_argument("--only", choices=["auto"], help="run only this part")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.only != "auto":
        known_features()
        if not args.quick:
            bundled()
    auto_selection()
    if not args.quick:
        auto_bundled()


if __name__ == "__main__":
    main()
