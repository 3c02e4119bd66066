"""The ``sknn`` command line: the demo, ``sknn fit`` and ``sknn predict``.

Plain CSV files in, text and CSV out; data problems are one-line errors on
stderr with a non-zero exit status, never a traceback. Models are saved with
skops (the ``persist`` extra) and loaded only if every type in the file that
skops does not trust by default is one of sknn's own classes.
"""

import argparse
import contextlib
import csv
import math
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _kernels
from ._csvdata import DataError, Table


def demo(out=sys.stdout):
    """Fit sknn's and scikit-learn's MLPClassifier on load_digits, side by side."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SklearnMLP
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from . import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print(
        f"load_digits: {X_train.shape[0]} training and {X_test.shape[0]} test rows, "
        f"{X.shape[1]} features, 10 classes",
        file=out,
    )
    print("StandardScaler + MLPClassifier(hidden_layer_sizes=(100,), random_state=0)", file=out)
    print(
        "sknn's elementwise loops: "
        + ("compiled by numba" if _kernels.ENABLED else "numpy (pip install 'sknn[fast]' for numba)")
        + "\n",
        file=out,
    )
    print(f"{'model':<28}{'accuracy':>10}{'fit time':>12}", file=out)
    for name, model in (("scikit-learn MLPClassifier", SklearnMLP), ("sknn MLPClassifier", MLPClassifier)):
        # Warm-up, not timed: the first fit on a machine compiles sknn's numba
        # loops (about a second, then cached on disk).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model(max_iter=1).fit(X_train[:50], y_train[:50])
        pipe = make_pipeline(StandardScaler(), model(random_state=0, max_iter=300))
        start = time.perf_counter()
        pipe.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        print(f"{name:<28}{pipe.score(X_test, y_test):>10.4f}{seconds:>11.2f}s", file=out)
    return 0


# ----------------------------------------------------------------- parsing
_EPILOG = """\
commands:
  (none)            the demo: sknn's and scikit-learn's MLPClassifier on load_digits
  fit DATA.csv      cross-validate a network on a CSV file, print the scores and
                    the layer table, optionally save the model (sknn fit --help)
  predict MODEL DATA.csv
                    predictions of a saved model as CSV on stdout (sknn predict --help)

examples:
  sknn fit iris.csv --target species --hidden 64,32 --dropout 0.2 --save iris.skops
  sknn predict iris.skops new_flowers.csv > predictions.csv

Data problems (missing file, unknown column, non-numeric feature) are reported
as one line on stderr with exit status 1; bad arguments (an unknown option, a
value out of range such as --dropout 1.5) with the usage and exit status 2.
"""

_FIT_EPILOG = """\
The CSV file has a header row; every column except the target is a feature and
must be numeric. Features (and regression targets) are standardized before the
network unless --no-scale is given. Scores are accuracy (classification) or R^2
(regression) on shuffled (stratified) K folds; the model printed and saved is
then fitted on all rows. Progress bars (one per fit, with its epochs) appear on
stderr when it is a terminal and rich is installed (the 'progress' extra), or
with --progress; --verbose prints the loss of every epoch. --save needs skops
(the 'persist' extra); the file holds a dict {"model": ..., "features": [...],
"target": ..., "task": ...} whose model is a scikit-learn Pipeline (wrapped in a
TransformedTargetRegressor for scaled regression) ending with the sknn network.
After the layer table, a line says why the final fit stopped: it converged (the
training loss stalled), early stopping ended it, or it reached --max-iter.
"""

_PREDICT_EPILOG = """\
DATA.csv needs the model's feature columns, matched by name (in any order; other
columns such as the target are ignored). The names come from the file written
by 'sknn fit --save', or from the model's feature_names_in_ (a model fitted on
a DataFrame); a model without feature names is refused, since nothing tells
which column is which. The output has one row per input row: the --keep
columns, the predicted value in a column named after the target, and with
--proba one probability column per class.

MODEL is loaded with skops only if every type it needs is one skops trusts by
default (scikit-learn's estimators, numpy, ...) or one of sknn's own; any
other type is refused before anything is loaded (see README, Persistence).
"""


def _int_list(text):
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers like 64,32, got {text!r}")
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def _rates(text):
    try:
        rates = [float(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected rates like 0.5,0.25, got {text!r}")
    if not all(0 <= r < 1 for r in rates):
        raise argparse.ArgumentTypeError(f"dropout rates must be in [0, 1), got {text!r}")
    return rates[0] if len(rates) == 1 else tuple(rates)


def _checked(convert, ok, expected):
    """An argparse type: ``convert(text)``, refused unless ``ok(value)``."""

    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not ok(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


def _finite(text):
    value = float(text)
    return value if math.isfinite(value) else None


_NON_NEGATIVE = _checked(_finite, lambda v: v >= 0, "a number >= 0")
_POSITIVE = _checked(_finite, lambda v: v > 0, "a number > 0")
_FRACTION = _checked(_finite, lambda v: 0 <= v <= 1, "a number in [0, 1]")
_POSITIVE_INT = _checked(int, lambda v: v >= 1, "an integer >= 1")
_NON_NEGATIVE_INT = _checked(int, lambda v: v >= 0, "an integer >= 0")
_FOLDS = _checked(int, lambda v: v == 0 or v >= 2, "0 (no cross-validation) or an integer >= 2")
_SEED = _checked(int, lambda v: 0 <= v < 2**32, "an integer in [0, 2**32 - 1]")


def _names(registry, what):
    """An argparse type: one registered name, or several comma separated."""

    def parse(text):
        names = [name.strip() for name in text.split(",")]
        unknown = [name for name in names if name not in registry]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(map(repr, unknown))}; choose among "
                f"{', '.join(registry)}"
            )
        return names[0] if len(names) == 1 else tuple(names)

    return parse


def _delimiter(text):
    text = "\t" if text in ("\\t", "tab") else text
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"expected one character (or \\t), got {text!r}")
    return text


def _parser():
    from ._activations import ACTIVATIONS
    from ._initializers import INITIALIZERS
    from ._layers import NORMALIZATIONS
    from ._losses import LOSSES
    from ._optimizers import OPTIMIZERS
    from ._penalties import PENALTIES
    from ._schedules import SCHEDULES

    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="sknn",
        description="scikit-learn compatible neural networks on a numpy core.",
        epilog=_EPILOG,
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="{fit,predict,demo}")

    sub.add_parser("demo", help="the demo (the same as no command)")

    fit = sub.add_parser(
        "fit",
        help="cross-validate and fit a network on a CSV file",
        description="Cross-validate an MLP on a CSV file, print the scores and the\n"
        "fitted network's layer table, and optionally save it.",
        epilog=_FIT_EPILOG,
        formatter_class=raw,
    )
    fit.add_argument("data", metavar="DATA.csv", help="CSV file with a header row")
    fit.add_argument("--target", required=True, metavar="COLUMN", help="the column to predict")
    fit.add_argument(
        "--task", choices=["classification", "regression"],
        help="default: classification for text or integer targets with at most 20 "
        "distinct values, else regression",
    )
    net = fit.add_argument_group("network (MLPClassifier / MLPRegressor parameters)")
    net.add_argument(
        "--hidden", type=_int_list, default=(100,), metavar="SIZES",
        help="hidden layer sizes, comma separated (default: 100)",
    )
    net.add_argument(
        "--activation", type=_names(ACTIVATIONS, "activation"), default="relu",
        metavar="NAMES",
        help=f"hidden activation, or one per layer comma separated: "
        f"{', '.join(sorted(ACTIVATIONS))} (default: relu)",
    )
    net.add_argument(
        "--normalization", choices=[*sorted(NORMALIZATIONS), "none"], default="none",
        help="normalization between each hidden layer and its activation (default: none)",
    )
    net.add_argument(
        "--init", choices=sorted(INITIALIZERS), default="auto", metavar="NAME",
        help=f"weight initializer: {', '.join(sorted(INITIALIZERS))} (default: auto, "
        "scikit-learn's scheme)",
    )
    net.add_argument(
        "--penalty", choices=[*sorted(PENALTIES), "none"], default="l2", metavar="NAME",
        help=f"weight penalty: {', '.join(sorted(PENALTIES))} or none (default: l2)",
    )
    net.add_argument(
        "--alpha", type=_NON_NEGATIVE, default=1e-4, help="penalty strength, >= 0 (default: 1e-4)"
    )
    net.add_argument(
        "--l1-ratio", type=_FRACTION, default=0.15,
        help="L1 share of elasticnet, in [0, 1] (default: 0.15)",
    )
    net.add_argument(
        "--dropout", type=_rates, default=0.0, metavar="RATES",
        help="dropout rate of every hidden layer, or one per layer comma separated, "
        "each in [0, 1) (default: 0)",
    )
    net.add_argument(
        "--solver", choices=sorted({"lbfgs", *OPTIMIZERS}), default="adam",
        help=f"optimizer: {', '.join(sorted({'lbfgs', *OPTIMIZERS}))} (default: adam)",
    )
    net.add_argument(
        "--max-iter", type=_POSITIVE_INT, default=200,
        help="maximum epochs / iterations (default: 200)",
    )
    net.add_argument(
        "--learning-rate", choices=sorted(SCHEDULES), default="constant",
        help=f"learning-rate schedule: {', '.join(sorted(SCHEDULES))} (default: constant)",
    )
    net.add_argument(
        "--warmup-iter", type=_NON_NEGATIVE_INT, default=0, metavar="N",
        help="epochs of linear warm-up of --learning-rate cosine (default: 0)",
    )
    net.add_argument(
        "--rho", type=_checked(_finite, lambda v: 0 <= v < 1, "a number in [0, 1)"),
        default=0.9, help="squared-gradient decay of rmsprop (default: 0.9)",
    )
    net.add_argument(
        "--weight-decay", type=_NON_NEGATIVE, default=0.01,
        help="decoupled weight decay of adamw, >= 0 (default: 0.01)",
    )
    net.add_argument(
        "--max-grad-norm", type=_POSITIVE, metavar="NORM",
        help="clip each batch's gradient to this norm (stochastic solvers)",
    )
    net.add_argument(
        "--max-norm", type=_POSITIVE, metavar="NORM",
        help="max-norm constraint of each hidden unit's incoming weights (stochastic solvers)",
    )
    net.add_argument(
        "--loss", choices=sorted(LOSSES.names(where=lambda loss: loss.regression)),
        help="regression loss (default: squared_error)",
    )
    net.add_argument(
        "--huber-delta", type=_POSITIVE, metavar="DELTA",
        help="where --loss huber turns from squared to absolute (default: 1)",
    )
    net.add_argument(
        "--quantile", type=_checked(_finite, lambda v: 0 < v < 1, "a number in (0, 1)"),
        help="the quantile --loss quantile estimates (default: 0.5)",
    )
    net.add_argument(
        "--learning-rate-init", type=_POSITIVE, default=1e-3,
        help="step size, > 0 (default: 0.001)",
    )
    net.add_argument(
        "--early-stopping", action="store_true",
        help="hold out 10%% of the training rows and stop when their score stalls",
    )
    net.add_argument("--random-state", type=_SEED, default=0, help="seed (default: 0)")
    net.add_argument(
        "--verbose", action="store_true", help="print the loss of every epoch (on stderr)"
    )
    run = fit.add_argument_group("run")
    run.add_argument(
        "--cv", type=_FOLDS, default=5, metavar="K",
        help="number of cross-validation folds, 0 to skip (default: 5); at most "
        "the number of rows (and, for classification, of the largest class)",
    )
    run.add_argument("--no-scale", action="store_true", help="do not standardize the features")
    run.add_argument("--save", metavar="MODEL.skops", help="save the fitted model with skops")
    _add_common(run)
    progress = run.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress", action="store_true",
        help="always show progress bars (needs rich, the 'progress' extra)",
    )
    progress.add_argument("--quiet", action="store_true", help="never show progress bars")
    fit.set_defaults(usage_error=fit.error)

    predict = sub.add_parser(
        "predict",
        help="predict with a saved model, CSV on stdout",
        description="Write the predictions of a model saved by 'sknn fit --save' (or by\n"
        "skops.io.dump) as CSV on stdout.",
        epilog=_PREDICT_EPILOG,
        formatter_class=raw,
    )
    predict.add_argument("model", metavar="MODEL.skops", help="a model saved by sknn fit --save")
    predict.add_argument("data", metavar="DATA.csv", help="CSV file with the feature columns")
    predict.add_argument(
        "--proba", action="store_true", help="add class probabilities (classifiers)"
    )
    predict.add_argument(
        "--keep", action="append", default=[], metavar="COLUMN",
        help="copy this column of DATA.csv (e.g. an ID) into the output, before the "
        "predictions; repeat for several",
    )
    _add_common(predict)
    predict.set_defaults(usage_error=predict.error)
    return parser


def _add_common(group):
    group.add_argument(
        "--delimiter", type=_delimiter, default=",", metavar="CHAR",
        help="CSV field delimiter, e.g. ';' or \\t (default: ,)",
    )


def _version():
    from . import __version__

    return f"sknn {__version__}"


# --------------------------------------------------------------------- fit
def _infer_task(y):
    if y.dtype.kind in "US":
        return "classification"
    if y.dtype.kind == "i" and len(np.unique(y)) <= 20:
        return "classification"
    return "regression"


def _estimator(args, task):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from . import MLPClassifier, MLPRegressor

    regression = dict(loss=args.loss, huber_delta=args.huber_delta, quantile=args.quantile)
    given = {k: v for k, v in regression.items() if v is not None}
    if task == "classification":
        if given:
            options = ", ".join("--" + k.replace("_", "-") for k in given)
            raise ValueError(
                f"{options}: regression options, but the task is classification "
                "(pass --task regression for a numeric target)"
            )
        cls = MLPClassifier
    else:
        cls = MLPRegressor
    mlp = cls(
        hidden_layer_sizes=args.hidden,
        activation=args.activation,
        solver=args.solver,
        alpha=args.alpha,
        learning_rate=args.learning_rate,
        learning_rate_init=args.learning_rate_init,
        max_iter=args.max_iter,
        random_state=args.random_state,
        early_stopping=args.early_stopping,
        init=args.init,
        penalty=None if args.penalty == "none" else args.penalty,
        l1_ratio=args.l1_ratio,
        dropout=args.dropout,
        normalization=None if args.normalization == "none" else args.normalization,
        rho=args.rho,
        weight_decay=args.weight_decay,
        warmup_iter=args.warmup_iter,
        max_grad_norm=args.max_grad_norm,
        max_norm=args.max_norm,
        verbose=args.verbose,
        **given,
    )
    mlp._validate_params()
    mlp._validate_knobs()
    return mlp if args.no_scale else make_pipeline(StandardScaler(), mlp)


def _with_scaled_target(model, args, task):
    """Regression targets are standardized too (unless --no-scale)."""
    if task == "classification" or args.no_scale:
        return model
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    return TransformedTargetRegressor(regressor=model, transformer=StandardScaler())


def _final_mlp(model):
    """The fitted network inside what ``_fit`` built."""
    model = getattr(model, "regressor_", model)
    return model[-1] if hasattr(model, "steps") else model


@contextlib.contextmanager
def _one_line_warnings(err):
    """Report each distinct warning once, as one line on ``err``; yields the
    list that collects them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    counts = {}
    for w in caught:
        text = str(w.message).split("\n\n")[0]  # drop the advice paragraphs
        text = " ".join(text.split())
        if issubclass(w.category, ConvergenceWarning):
            text += " (try a larger --max-iter)"
        counts[text] = counts.get(text, 0) + 1
    for text, n in counts.items():
        print(f"sknn: warning: {text}" + (f" [x{n}]" if n > 1 else ""), file=err)


def _progress_bar(args):
    """sklearn's ProgressBar when asked for (or on a terminal with rich), else None."""
    if args.quiet:
        return None
    if not args.progress:
        if not sys.stderr.isatty():
            return None
        try:
            import rich  # noqa: F401
        except ImportError:
            return None
    from ._optional import import_optional

    import_optional("rich", "--progress")
    from sklearn.callback import ProgressBar

    return ProgressBar()


def _check_folds(args, y, task):
    """Refuse a --cv that the data cannot split into, in terms of --cv."""
    if not args.cv:
        return
    if args.cv > len(y):
        raise DataError(
            f"--cv {args.cv} asks for more folds than {args.data} has rows ({len(y)}); "
            f"use --cv {len(y)} or fewer, or --cv 0 to skip cross-validation"
        )
    if task == "classification":
        labels, counts = np.unique(y, return_counts=True)
        largest = int(counts.max())
        if args.cv > largest:
            fewer = f"--cv {largest} or fewer, or " if largest >= 2 else ""
            raise DataError(
                f"--cv {args.cv}: stratified folds need {args.cv} rows of some class, "
                f"but the largest class, {_cell(labels[counts.argmax()])!r}, has "
                f"{largest}; use {fewer}--cv 0 to skip cross-validation"
            )


def _stop_reason(mlp, caught):
    """Why the final fit stopped, from its warnings and fitted attributes."""
    texts = [str(w.message) for w in caught]
    if any("interrupted" in t for t in texts):
        return "interrupted (Ctrl-C); the model is the one reached so far"
    if any("diverged" in t for t in texts):
        return (
            "the loss diverged; kept the last weights with finite outputs "
            "(try a smaller --learning-rate-init)"
        )
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        if mlp.n_iter_ >= mlp.max_iter:
            return f"reached --max-iter {mlp.max_iter} before converging"
        return "L-BFGS stopped before converging: " + next(
            t.splitlines()[1] for t in texts if t.startswith("lbfgs failed")
        )
    if mlp.solver == "lbfgs":
        return "converged (L-BFGS met its tolerance)"
    if mlp.early_stopping:
        return (
            f"early stopping: the validation score did not improve by tol={mlp.tol:g} "
            f"for {mlp.n_iter_no_change} epochs; kept the best epoch's weights "
            f"(validation score {mlp.best_validation_score_:.4f})"
        )
    return (
        f"converged: the training loss did not improve by more than tol={mlp.tol:g} "
        f"for {mlp.n_iter_no_change} consecutive epochs"
    )


def _fit(args, out):
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    table = Table.read(args.data, args.delimiter)
    table.index(args.target)
    features = [c for c in table.columns if c != args.target]
    if not features:
        raise DataError(f"{args.data}: no feature columns besides the target {args.target!r}")
    X = table.numeric(features)
    y = table.labels(args.target)
    task = args.task or _infer_task(y)
    if task == "regression" and y.dtype.kind in "US":
        raise DataError(
            f"{args.data}: the target {args.target!r} is not numeric; "
            "use --task classification"
        )
    _check_folds(args, y, task)
    if args.save:
        from ._optional import import_optional

        import_optional("skops.io", "sknn fit --save")
    model = _estimator(args, task)
    bar = _progress_bar(args)
    if bar is not None:
        model.set_callbacks(bar)
    model = _with_scaled_target(model, args, task)

    kind = "classes" if task == "classification" else "values"
    n_target = len(np.unique(y))
    print(
        f"{args.data}: {X.shape[0]} rows, {X.shape[1]} features, target {args.target!r} "
        f"({task}, {n_target} distinct {kind})",
        file=out,
    )
    mlp = _final_mlp(getattr(model, "regressor", model))
    scaled = "" if args.no_scale else "StandardScaler + "
    print(f"model: {scaled}{' '.join(repr(mlp).split())}", file=out)
    metric = "accuracy" if task == "classification" else "R^2"
    # progress bars (and any verbose output) go to stderr, warnings become one line
    with contextlib.redirect_stdout(sys.stderr), _one_line_warnings(sys.stderr) as caught:
        if args.cv:
            split = StratifiedKFold if task == "classification" else KFold
            folds = split(args.cv, shuffle=True, random_state=args.random_state)
            start = time.perf_counter()
            scores = cross_val_score(clone(model), X, y, cv=folds)
            cv_seconds = time.perf_counter() - start
        start = time.perf_counter()
        before_final_fit = len(caught)
        model.fit(X, y)
        fit_seconds = time.perf_counter() - start
        final_fit_warnings = caught[before_final_fit:]
    mlp = _final_mlp(model)
    if args.cv:
        print(
            f"\n{args.cv}-fold cross-validated {metric}: {scores.mean():.4f} "
            f"+/- {scores.std():.4f}  ({cv_seconds:.1f}s)",
            file=out,
        )
        print("  folds: " + "  ".join(f"{s:.4f}" for s in scores), file=out)
    print(
        f"\nfitted on all {X.shape[0]} rows in {fit_seconds:.1f}s, {mlp.n_iter_} "
        f"{'iterations' if mlp.solver == 'lbfgs' else 'epochs'}, final loss {mlp.loss_:.4f}",
        file=out,
    )
    print(f"training stopped: {_stop_reason(mlp, final_fit_warnings)}", file=out)
    print(mlp.summary(), file=out)
    if args.save:
        import skops.io as sio

        # a callback is runtime state, not part of the model
        for part in (model, getattr(model, "regressor", None), getattr(model, "regressor_", None)):
            if hasattr(part, "_skl_callbacks"):
                part.set_callbacks()
        bundle = {"model": model, "features": features, "target": args.target, "task": task}
        sio.dump(bundle, args.save)
        print(f"\nsaved to {args.save}; predict with: sknn predict {args.save} DATA.csv", file=out)
    return 0


# ----------------------------------------------------------------- predict
def _load_model(path):
    """A model file written by ``sknn fit --save`` (or ``skops.io.dump``)."""
    from ._optional import import_optional

    sio = import_optional("skops.io", "sknn predict")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except Exception as exc:  # zip or schema errors of a file that is not a model
        raise DataError(f"{path}: not a model saved with skops ({exc})") from None
    foreign = [t for t in untrusted if not t.startswith("sknn.")]
    if foreign:
        raise DataError(
            f"{path}: refusing to load types that are not sknn's: {', '.join(foreign)}"
        )
    bundle = sio.load(path, trusted=untrusted)
    if not isinstance(bundle, dict):  # a bare estimator saved with skops.io.dump
        bundle = {"model": bundle}
    model = bundle.get("model")
    if not hasattr(model, "predict"):
        raise DataError(f"{path}: holds no model")
    if bundle.get("features") is None:
        names = getattr(model, "feature_names_in_", None)
        if names is None:
            raise DataError(
                f"{path}: the model has no feature names (it was fitted on an array "
                "without column names), so nothing tells which column of the data is "
                "which feature. Fit it on a pandas DataFrame, or save "
                '{"model": model, "features": [column names in training order]} '
                "with skops, or use sknn fit --save"
            )
        bundle["features"] = [str(name) for name in names]
    return bundle


def _predict(args, out):
    bundle = _load_model(args.model)
    model = bundle["model"]
    table = Table.read(args.data, args.delimiter)
    X = table.numeric(bundle["features"])
    target = bundle.get("target") or "prediction"
    header = [*args.keep, target]
    if args.proba and not hasattr(model, "predict_proba"):
        raise DataError(f"{args.model}: --proba needs a classifier")
    if args.proba:
        header += [f"proba_{c}" for c in model.classes_]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(
            f"--keep {', '.join(repeated)}: the output would have two columns named "
            f"{', '.join(map(repr, repeated))} (one is the predictions); keep other columns"
        )
    columns = [table.text(name) for name in args.keep]
    with warnings.catch_warnings():
        # the columns were picked by the model's feature names already
        warnings.filterwarnings("ignore", "X does not have valid feature names")
        columns.append(model.predict(X))
        if args.proba:
            columns += list(model.predict_proba(X).T)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in zip(*columns):
        writer.writerow([_cell(v) for v in row])
    return 0


def _cell(value):
    if isinstance(value, (float, np.floating)):
        return format(float(value), ".10g")
    return value.item() if isinstance(value, np.generic) else value


# -------------------------------------------------------------------- main
def main(argv=None):
    """Entry point of ``sknn`` and ``python -m sknn``.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``sys.argv[1:]`` when None. No arguments run the demo.

    Returns
    -------
    status : int
        0 on success, 1 for a data or model problem (a usage error, such as
        an option value out of range, exits with status 2).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    out = sys.stdout
    if args.command == "fit":
        try:  # combinations argparse cannot see, e.g. dropout with lbfgs
            regression = args.loss is not None or args.quantile is not None
            _estimator(args, args.task or ("regression" if regression else "classification"))
        except ValueError as exc:
            args.usage_error(" ".join(str(exc).split()))
    try:
        if args.command == "fit":
            return _fit(args, out)
        if args.command == "predict":
            return _predict(args, out)
        return demo(out)
    except (DataError, ImportError, ValueError) as exc:
        message = " ".join(str(exc).split())  # one line
        print(f"sknn: error: {message}", file=sys.stderr)
        return 1
