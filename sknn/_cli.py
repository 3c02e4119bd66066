"""The ``sknn`` command line: the demo, ``sknn fit`` and ``sknn predict``.

Plain CSV files in, text and CSV out; data problems are one-line errors on
stderr with a non-zero exit status, never a traceback. Models are saved with
skops (the ``persist`` extra) and loaded only if every type in the file that
skops does not trust by default is one of sknn's own classes.
"""

import argparse
import contextlib
import csv
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
as one line on stderr with exit status 1.
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
"""

_PREDICT_EPILOG = """\
DATA.csv needs the model's feature columns (by name, in any order; other
columns such as the target are ignored). The output has one row per input row:
the predicted value in a column named after the target, and with --proba one
probability column per class. MODEL is loaded with skops only if the types it
needs beyond skops' defaults are all sknn's own (see README, Persistence).
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
    return rates[0] if len(rates) == 1 else tuple(rates)


def _parser():
    from ._activations import ACTIVATIONS
    from ._initializers import INITIALIZERS
    from ._optimizers import OPTIMIZERS
    from ._penalties import PENALTIES

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
        "--activation", choices=sorted(ACTIVATIONS), default="relu", metavar="NAME",
        help=f"hidden activation: {', '.join(sorted(ACTIVATIONS))} (default: relu)",
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
    net.add_argument("--alpha", type=float, default=1e-4, help="penalty strength (default: 1e-4)")
    net.add_argument(
        "--l1-ratio", type=float, default=0.15, help="L1 share of elasticnet (default: 0.15)"
    )
    net.add_argument(
        "--dropout", type=_rates, default=0.0, metavar="RATES",
        help="dropout rate of every hidden layer, or one per layer comma separated "
        "(default: 0)",
    )
    net.add_argument(
        "--solver", choices=sorted({"lbfgs", *OPTIMIZERS}), default="adam",
        help=f"optimizer: {', '.join(sorted({'lbfgs', *OPTIMIZERS}))} (default: adam)",
    )
    net.add_argument(
        "--max-iter", type=int, default=200, help="maximum epochs / iterations (default: 200)"
    )
    net.add_argument(
        "--learning-rate-init", type=float, default=1e-3, help="step size (default: 0.001)"
    )
    net.add_argument(
        "--early-stopping", action="store_true",
        help="hold out 10%% of the training rows and stop when their score stalls",
    )
    net.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    net.add_argument(
        "--verbose", action="store_true", help="print the loss of every epoch (on stderr)"
    )
    run = fit.add_argument_group("run")
    run.add_argument(
        "--cv", type=int, default=5, metavar="K",
        help="number of cross-validation folds, 0 to skip (default: 5)",
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
    _add_common(predict)
    return parser


def _add_common(group):
    group.add_argument(
        "--delimiter", default=",", metavar="CHAR", help="CSV field delimiter (default: ,)"
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

    cls = MLPClassifier if task == "classification" else MLPRegressor
    mlp = cls(
        hidden_layer_sizes=args.hidden,
        activation=args.activation,
        solver=args.solver,
        alpha=args.alpha,
        learning_rate_init=args.learning_rate_init,
        max_iter=args.max_iter,
        random_state=args.random_state,
        early_stopping=args.early_stopping,
        init=args.init,
        penalty=None if args.penalty == "none" else args.penalty,
        l1_ratio=args.l1_ratio,
        dropout=args.dropout,
        verbose=args.verbose,
    )
    mlp._validate_params()
    mlp._dropout_rates(len(mlp._hidden_layer_sizes()))
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
    """Report each distinct warning once, as one line on ``err``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
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
    if args.cv == 1 or args.cv < 0:
        raise DataError("--cv must be 0 (no cross-validation) or at least 2")
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
    with contextlib.redirect_stdout(sys.stderr), _one_line_warnings(sys.stderr):
        if args.cv:
            split = StratifiedKFold if task == "classification" else KFold
            folds = split(args.cv, shuffle=True, random_state=args.random_state)
            start = time.perf_counter()
            scores = cross_val_score(clone(model), X, y, cv=folds)
            cv_seconds = time.perf_counter() - start
        start = time.perf_counter()
        model.fit(X, y)
        fit_seconds = time.perf_counter() - start
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
        names = getattr(bundle, "feature_names_in_", None)
        bundle = {"model": bundle, "features": None if names is None else list(names)}
    if not hasattr(bundle.get("model"), "predict"):
        raise DataError(f"{path}: holds no model")
    return bundle


def _predict(args, out):
    bundle = _load_model(args.model)
    model = bundle["model"]
    table = Table.read(args.data, args.delimiter)
    features = bundle.get("features")
    if features is None:
        features = table.columns
        n_expected = getattr(model, "n_features_in_", len(features))
        if len(features) != n_expected:
            raise DataError(
                f"{args.data}: {len(features)} columns, but the model takes {n_expected} features"
            )
    X = table.numeric(features)
    target = bundle.get("target") or "prediction"
    header = [target]
    if args.proba and not hasattr(model, "predict_proba"):
        raise DataError(f"{args.model}: --proba needs a classifier")
    with warnings.catch_warnings():
        # the columns were picked by the model's feature names already
        warnings.filterwarnings("ignore", "X does not have valid feature names")
        columns = [model.predict(X)]
        if args.proba:
            header += [f"proba_{c}" for c in model.classes_]
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
        0 on success, 1 for a data or model problem (argparse exits with 2
        for a usage error).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    out = sys.stdout
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
