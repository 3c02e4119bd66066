"""The ``sknn`` command line: the demo, ``sknn fit`` and ``sknn predict``.

Plain CSV files in, text and CSV out; data problems are one-line errors on
stderr with a non-zero exit status, never a traceback. Models are saved with
skops (the ``persist`` extra) and loaded only if every type in the file that
skops does not trust by default is one of sknn's own classes.
"""

import argparse
import contextlib
import csv as csv_module
import math
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..estimators.components import is_stochastic
from ..nn import _kernels
from .csv_files import DataError


def demo(out=sys.stdout):
    """Fit sknn's and scikit-learn's MLPClassifier on load_digits, side by side."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SklearnMLP
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import MLPClassifier

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
        + ("compiled by numba" if _kernels.enabled() else "numpy (pip install 'sknn[fast]' for numba)")
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
  sknn fit credit.csv --target Status --drop id --save credit.skops
  sknn fit big.csv --target y --chunksize 100000 --max-iter 5 --save big.skops

Data problems (missing file, unknown column, a cell that cannot be read) are
reported as one line on stderr with exit status 1; bad arguments (an unknown
option, a value out of range such as --dropout 1.5) with the usage and exit
status 2. Reading CSV files needs pandas (the 'csv' extra).
"""

_FIT_EPILOG = """\
The CSV file has a header row; every column except the target (and the --drop
columns) is a feature. Columns of numbers are standardized (unless --no-scale);
columns of text are categories, one-hot encoded (--categorical makes a column
of numbers, such as a code, categorical too); missing cells (empty, NA, NaN,
null, ...) are imputed with the column's median, or its most frequent text
(--no-impute refuses them instead). The report says which columns were treated
how. All of it is a scikit-learn ColumnTransformer at the start of the saved
pipeline, so 'sknn predict' and Python users loading the file preprocess new
data the same way.

Scores are accuracy (classification) or R^2 (regression) on shuffled
(stratified) K folds; the model printed and saved is then fitted on all rows.
Progress bars (one per fit, with its epochs) appear on stderr when it is a
terminal and rich is installed (the 'progress' extra), or with --progress;
--verbose prints the loss of every epoch. After the layer table, a line says
why the final fit stopped: it converged (the training loss stalled), early
stopping ended it, or it reached --max-iter.

--chunksize N reads the file N rows at a time, for files larger than memory: a
first pass collects the columns' categories, gaps and statistics (missing
numbers then get the column's mean), then every epoch is one partial_fit per
chunk, with a line per epoch on stdout and, with --progress or on a terminal,
one per chunk on stderr. Memory is bounded by the chunk, not the file; there is
no cross-validation and no early stopping, and --max-iter counts epochs.

--model tabular fits sknn.TabularMLPClassifier / TabularMLPRegressor on the
columns as read (numbers, text, missing cells): the estimator encodes, scales
and imputes them itself and brings its own network and training recipe, so the
network options other than --max-iter, --random-state and --verbose, and
--no-impute, --no-scale and --chunksize, do not apply to it. --baseline also
cross-validates scikit-learn's HistGradientBoosting (text columns as its native
categories) on the same folds and prints its score next to the model's.

A file whose name ends in .parquet or .pq is read as Parquet (the 'parquet'
extra): numbers stay numbers; text, categorical and boolean columns are text,
as in a CSV file; a date or time column is refused.

--save needs skops (the 'persist' extra); the file holds a dict {"model": ...,
"features": [...], "target": ..., "task": ...} whose model is a scikit-learn
Pipeline (wrapped in a TransformedTargetRegressor for scaled regression) of the
ColumnTransformer and the sknn network; "features" are the CSV columns it
takes, by name.
"""

_PREDICT_EPILOG = """\
DATA.csv needs the model's feature columns, matched by name (in any order; other
columns such as the target are ignored). The names come from the file written
by 'sknn fit --save', or from the model's feature_names_in_ (a model fitted on
a DataFrame); a model without feature names is refused, since nothing tells
which column is which. The model preprocesses the columns as in training: a
category it has not seen is encoded as none (with a warning naming the column
and the text), missing cells are imputed (with a warning counting them) unless
it was fitted with --no-impute. The output has one row per input row: the
--keep columns, the predicted value in a column named after the target, and
with --proba one probability column per class. --chunksize N predicts N rows
at a time, for files larger than memory.

MODEL is loaded with skops only if every type it needs is one skops trusts by
default (scikit-learn's estimators, numpy, ...), numpy.dtype (which
scikit-learn's SimpleImputer keeps) or one of sknn's own; any other type is
refused before anything is loaded (see README, Persistence).
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


def _feature_alpha(text):
    return "auto" if text == "auto" else _checked(
        _finite, lambda v: v >= 0, "a number >= 0 or auto")(text)
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


def _encoding(text):
    import codecs

    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(
            f"unknown encoding {text!r}; e.g. utf-8, latin-1, cp1252"
        ) from None
    return text


def _column_names(text):
    """A comma-separated list of column names (the option may repeat)."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected column names like id,name, got {text!r}")
    return names


def _parser():
    from ..nn import (
        ACTIVATIONS,
        INITIALIZERS,
        LOSSES,
        NORMALIZATIONS,
        OPTIMIZERS,
        REGULARIZERS,
        SCHEDULES,
    )

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
    fit.add_argument("data", metavar="DATA.csv",
                     help="CSV file with a header row, or a Parquet file (.parquet, .pq)")
    fit.add_argument("--target", required=True, metavar="COLUMN", help="the column to predict")
    fit.add_argument(
        "--task", choices=["classification", "regression"],
        help="default: classification for text or integer targets with at most 20 "
        "distinct values, else regression",
    )
    fit.add_argument(
        "--model", choices=["mlp", "tabular"], default="mlp",
        help="mlp: MLPClassifier / MLPRegressor behind a ColumnTransformer (default); "
        "tabular: TabularMLPClassifier / TabularMLPRegressor on the columns as read",
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
        "--penalty", choices=[*sorted(REGULARIZERS), "none"], default="l2", metavar="NAME",
        help=f"weight penalty: {', '.join(sorted(REGULARIZERS))} or none (default: l2)",
    )
    net.add_argument(
        "--alpha", type=_NON_NEGATIVE, default=1e-4, help="penalty strength, >= 0 (default: 1e-4)"
    )
    net.add_argument(
        "--l1-ratio", type=_FRACTION, default=0.15,
        help="L1 share of elasticnet, in [0, 1] (default: 0.15)",
    )
    net.add_argument(
        "--feature-alpha", type=_feature_alpha, default=0.0, metavar="ALPHA",
        help="group lasso on each input's weights, >= 0: drops inputs the network does "
        "not need (stochastic solvers; default: 0); 'auto' chooses it along a path of "
        "strengths scored on held-out rows",
    )
    net.add_argument(
        "--feature-alpha-rule", choices=["one_se_paired", "best", "one_se"],
        default="one_se_paired",
        help="the step --feature-alpha auto keeps: the sparsest whose validation loss "
        "exceeds the lowest by at most the standard error of their difference, row by "
        "row (default: one_se_paired); the lowest validation loss (best); or the "
        "sparsest within one standard error of it (one_se)",
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
    columns = fit.add_argument_group("columns")
    columns.add_argument(
        "--categorical", type=_column_names, action="extend", default=[], metavar="COLUMNS",
        help="take these columns as categories (one-hot encoded) even if they hold "
        "numbers, such as codes; comma separated, may repeat",
    )
    columns.add_argument(
        "--drop", type=_column_names, action="extend", default=[], metavar="COLUMNS",
        help="leave these columns out, such as IDs; comma separated, may repeat",
    )
    columns.add_argument(
        "--no-impute", action="store_true",
        help="refuse missing cells (naming their columns and lines) instead of "
        "imputing them with the median / most frequent text",
    )
    columns.add_argument(
        "--no-scale", action="store_true", help="do not standardize the numeric columns"
    )
    run = fit.add_argument_group("run")
    run.add_argument(
        "--cv", type=_FOLDS, metavar="K",
        help="number of cross-validation folds, 0 to skip (default: 5; none with "
        "--chunksize); at most the number of rows (and, for classification, of the "
        "largest class)",
    )
    run.add_argument(
        "--baseline", action="store_true",
        help="also cross-validate HistGradientBoosting on the same folds, for comparison",
    )
    run.add_argument("--save", metavar="MODEL.skops", help="save the fitted model with skops")
    _add_common(run)
    progress = run.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress", action="store_true",
        help="always show progress: bars (needs rich, the 'progress' extra), or a "
        "line per chunk with --chunksize",
    )
    progress.add_argument("--quiet", action="store_true", help="never show progress")
    # what --model tabular refuses: network options away from their defaults
    fit.set_defaults(usage_error=fit.error, network_defaults={
        action.dest: action.default for action in net._group_actions
        if action.dest not in ("max_iter", "random_state", "verbose")
    })

    predict = sub.add_parser(
        "predict",
        help="predict with a saved model, CSV on stdout",
        description="Write the predictions of a model saved by 'sknn fit --save' (or by\n"
        "skops.io.dump) as CSV on stdout.",
        epilog=_PREDICT_EPILOG,
        formatter_class=raw,
    )
    predict.add_argument("model", metavar="MODEL.skops", help="a model saved by sknn fit --save")
    predict.add_argument("data", metavar="DATA.csv",
                         help="CSV (or Parquet) file with the feature columns")
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
        "--delimiter", type=_delimiter, metavar="CHAR",
        help="CSV field delimiter, e.g. ';' or \\t (default: detected from the header "
        "among , ; tab |)",
    )
    group.add_argument(
        "--decimal", choices=[".", ","], default=".", metavar="MARK",
        help="decimal mark of the numbers: . or , (default: .)",
    )
    group.add_argument(
        "--encoding", type=_encoding, default="utf-8", metavar="NAME",
        help="text encoding of the file, e.g. latin-1 (default: utf-8; a byte-order "
        "mark is skipped)",
    )
    group.add_argument(
        "--chunksize", type=_POSITIVE_INT, metavar="N",
        help="read the file N rows at a time, for files larger than memory",
    )


def _version():
    from .. import __version__

    return f"sknn {__version__}"


# --------------------------------------------------------------------- fit
def _estimator(args, task):
    """The network the options describe, validated (ValueError if not)."""
    from .. import MLPClassifier, MLPRegressor

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
        feature_alpha=args.feature_alpha,
        feature_alpha_rule=args.feature_alpha_rule,
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
    return mlp


def _tabular_estimator(args, task):
    """``--model tabular``: the tabular estimator with the options that apply."""
    from .. import TabularMLPClassifier, TabularMLPRegressor

    cls = TabularMLPClassifier if task == "classification" else TabularMLPRegressor
    return cls(max_iter=args.max_iter, random_state=args.random_state, verbose=args.verbose)


def _check_tabular_options(args):
    """The options --model tabular does not take (ValueError)."""
    given = [name for name, default in args.network_defaults.items()
             if getattr(args, name) != default]
    given += [name for name in ("no_impute", "no_scale", "chunksize") if getattr(args, name)]
    if given:
        options = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ValueError(
            f"{options}: --model tabular brings its own network, encoding and training "
            "(it takes --max-iter, --random-state and --verbose); leave these out or use "
            "--model mlp"
        )


def _print_scores(out, label, scores, seconds):
    """A line with the folds' mean and deviation, then the folds."""
    print(f"{label}: {scores.mean():.4f} +/- {scores.std():.4f}  ({seconds:.1f}s)", file=out)
    print("  folds: " + "  ".join(f"{s:.4f}" for s in scores), file=out)


def _baseline(X, y, task, text, folds):
    """Cross-validated scores of HistGradientBoosting on the same folds, with
    the text columns as its native categories (as integer codes where a
    column has more levels than it bins)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.model_selection import cross_val_score

    X = X.copy()
    for name in text:
        X[name] = X[name].astype("category")
        if len(X[name].cat.categories) > 255:
            X[name] = X[name].cat.codes.where(X[name].notna()).astype(float)
    cls = (HistGradientBoostingClassifier if task == "classification"
           else HistGradientBoostingRegressor)
    return cross_val_score(cls(categorical_features="from_dtype", random_state=0), X, y,
                           cv=folds)


def _check_options(args):
    """Combinations of the column and reading options that cannot work
    (ValueError), before any data is read."""
    if args.delimiter is not None and args.delimiter == args.decimal:
        raise ValueError(
            f"--delimiter {args.delimiter!r} and --decimal {args.decimal!r}: the same "
            "character cannot separate fields and decimals"
        )
    if args.command != "fit":
        return
    if args.model == "tabular":
        _check_tabular_options(args)
    for option in ("drop", "categorical"):
        if args.target in getattr(args, option):
            raise ValueError(f"--{option} {args.target}: that is the target (--target)")
    both = sorted(set(args.drop) & set(args.categorical))
    if both:
        raise ValueError(f"--drop and --categorical both name {', '.join(both)}")
    if args.chunksize is None:
        return
    if args.cv:
        raise ValueError(
            "--cv: cross-validation needs the whole file in memory; with --chunksize "
            "leave out --cv (the report shows each epoch's training loss)"
        )
    if args.early_stopping:
        raise ValueError(
            "--early-stopping: --chunksize trains with partial_fit, which does not stop "
            "early; leave out one of them"
        )
    if not is_stochastic(args.solver):
        raise ValueError(
            f"--solver {args.solver}: --chunksize trains with partial_fit, which L-BFGS does not "
            "have; use a stochastic solver such as adam or sgd"
        )


def _read_table(csv, features, target, text, tabular):
    """The features (a DataFrame) and the target (a Series) of the whole file:
    for the default model, a CSV file's numeric features are read in chunks
    into one float64 array, which the preprocessing takes without copying the
    whole table; otherwise, or when the chunks disagree on a column's kind,
    the file is read whole."""
    from .csv_files import CsvFile

    if not tabular and isinstance(csv, CsvFile):
        read = csv.read_features(features, target, text)
        if read is not None:
            return read
    frame = csv.read([*features, target], text=text)
    return frame.drop(columns=target), frame[target]


def _blockwise_pipeline(args, columns, mlp):
    """The preprocessing and the network, as a Pipeline whose first step, named
    for the ColumnTransformer of ``make_preprocessor``, is the
    BlockwisePreprocessor that fits and applies the same steps without
    copying the table (see :func:`_with_column_transformer`)."""
    from sklearn.pipeline import Pipeline

    from .blockwise import BlockwisePreprocessor

    preprocessor = BlockwisePreprocessor(
        columns.numeric, columns.categorical, impute=not args.no_impute, scale=not args.no_scale
    )
    return Pipeline([("columntransformer", preprocessor), (type(mlp).__name__.lower(), mlp)])


def _with_column_transformer(model, head):
    """The fitted model of :func:`_blockwise_pipeline` (wrapped or not for a
    scaled target), its BlockwisePreprocessor replaced by the ColumnTransformer
    of ``make_preprocessor`` it equals: the model as fitting that would give
    it, which the report reads and ``--save`` writes. ``head`` is a row of the
    table."""
    fitted = getattr(model, "regressor_", model)
    blockwise = fitted.named_steps["columntransformer"]
    fitted.set_params(columntransformer=blockwise.column_transformer(head))
    if fitted is not model:  # the wrapper's unfitted regressor too
        model.set_params(regressor__columntransformer=blockwise.unfitted())
    return model


def _with_scaled_target(model, args, task):
    """Regression targets are standardized too (unless --no-scale)."""
    if task == "classification" or args.no_scale:
        return model
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    return TransformedTargetRegressor(regressor=model, transformer=StandardScaler())


def _final_mlp(model, step=-1):
    """The fitted network inside what ``_fit`` built (``step=0``: its
    preprocessing)."""
    from .tables import _unfrozen

    model = _unfrozen(getattr(model, "regressor_", model))
    return model[step] if hasattr(model, "steps") else model


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
    from .._optional import import_optional

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


def _stop_reason(mlp):
    """Why the final fit stopped, from its record (``stop_reason_``)."""
    from .streaming import stop_message

    reason = mlp.stop_reason_
    if message := stop_message(mlp):
        return message
    if reason == "max_iter":
        return f"reached --max-iter {mlp.max_iter} before converging"
    if reason == "solver_failed":
        return "L-BFGS stopped before converging: " + mlp.stop_detail_
    if reason == "converged":
        return "converged (L-BFGS met its tolerance)"
    if mlp.early_stopping:
        what, best = "validation score", mlp.best_validation_score_
        if getattr(mlp, "scoring", None) == "loss":
            what, best = "validation loss", -best
        return (
            f"early stopping: the {what} did not improve by tol={mlp.tol:g} "
            f"for {mlp.n_iter_no_change} epochs; kept the best epoch's weights "
            f"({what} {best:.4f})"
        )
    return (
        f"converged: the training loss did not improve by more than tol={mlp.tol:g} "
        f"for {mlp.n_iter_no_change} consecutive epochs"
    )


def _csv_file(args):
    """The data file: CSV, or Parquet for a name ending in .parquet or .pq."""
    from .csv_files import CsvFile, CsvFormat
    from .parquet_files import ParquetFile, is_parquet

    if is_parquet(args.data):
        given = [option for option, value, default in [
            ("--delimiter", args.delimiter, None), ("--decimal", args.decimal, "."),
            ("--encoding", args.encoding, "utf-8")] if value != default]
        if given:
            raise ValueError(f"{', '.join(given)}: CSV options, but {args.data} is a "
                             "Parquet file; leave them out")
        return ParquetFile(args.data)
    return CsvFile(args.data, CsvFormat(args.delimiter, args.decimal, args.encoding))


def _report_data(out, args, csv, columns, task, distinct, n_features):
    """The report's first lines: the table, the target (``distinct`` values,
    None for more than counted), how each column is treated."""
    from .csv_files import shown
    from .tables import describe, names_list

    from .tables import MAX_CLASSES

    kind = "classes" if task == "classification" else "values"
    distinct = f"more than {MAX_CLASSES}" if distinct is None else distinct
    print(
        f"{args.data}: {columns.rows} rows, {n_features} features, target {args.target!r} "
        f"({task}, {distinct} distinct {kind})",
        file=out,
    )
    if csv.detected and csv.delimiter != ",":
        print(f"fields separated by {shown(csv.delimiter)!r} (detected)", file=out)
    if args.drop:
        print(f"dropped ({len(args.drop)}): {names_list(args.drop)}", file=out)
    for line in describe(columns, not args.no_impute, not args.no_scale,
                         streamed=args.chunksize is not None, tabular=args.model == "tabular"):
        print(line, file=out)


def _fit(args, out):
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    from .csv_files import target_values
    from .tables import Scan, infer_task, target_kind

    csv = _csv_file(args)
    csv.require([args.target, *args.drop, *args.categorical])
    features = [c for c in csv.columns if c != args.target and c not in args.drop]
    if not features:
        raise DataError(f"{args.data}: no feature columns besides the target {args.target!r}")
    if args.save:
        from .._optional import import_optional

        import_optional("skops.io", "sknn fit --save")
    if args.chunksize:
        return _fit_streamed(args, out, csv, features)
    tabular = args.model == "tabular"
    X, y = _read_table(csv, features, args.target, args.categorical, tabular)
    y = target_values(args.data, y, args.target)
    kind, distinct = target_kind(y), len(np.unique(y))
    task = args.task or infer_task(kind, distinct)
    if task == "regression" and kind == "text":
        raise DataError(
            f"{args.data}: the target {args.target!r} is not numeric; "
            "use --task classification"
        )
    scan = Scan(args.data, features, args.categorical)
    scan.update(X)
    columns = scan.result(impute=not args.no_impute)
    if args.cv is None:
        args.cv = 5
    _check_folds(args, y, task)
    if args.baseline and not args.cv:
        raise ValueError("--baseline compares cross-validated scores; leave out --cv 0")
    if tabular:  # the estimator encodes, scales and imputes the columns itself
        mlp = model = _tabular_estimator(args, task)
    else:
        mlp = _estimator(args, task)
        model = _blockwise_pipeline(args, columns, mlp)
    bar = _progress_bar(args)
    if bar is not None:
        model.set_callbacks(bar)
    if not tabular:
        model = _with_scaled_target(model, args, task)

    _report_data(out, args, csv, columns, task, distinct, len(features))
    described = ' '.join(repr(mlp).split())
    print(f"model: {described}" if tabular else f"model: ColumnTransformer + {described}",
          file=out)
    metric = "accuracy" if task == "classification" else "R^2"
    # progress bars (and any verbose output) go to stderr, warnings become one line
    with contextlib.redirect_stdout(sys.stderr), _one_line_warnings(sys.stderr):
        if args.cv:
            split = StratifiedKFold if task == "classification" else KFold
            folds = split(args.cv, shuffle=True, random_state=args.random_state)
            start = time.perf_counter()
            scores = cross_val_score(clone(model), X, y, cv=folds)
            cv_seconds = time.perf_counter() - start
            if args.baseline:
                start = time.perf_counter()
                text = [c for c in X.columns if X[c].dtype.kind not in "iufb"]
                baseline = _baseline(X, y, task, text, folds)
                baseline_seconds = time.perf_counter() - start
        start = time.perf_counter()
        model.fit(X, y)
        fit_seconds = time.perf_counter() - start
    if not tabular:
        model = _with_column_transformer(model, X.iloc[:1])
    mlp = _final_mlp(model)
    if args.cv:
        _print_scores(out, f"\n{args.cv}-fold cross-validated {metric}", scores, cv_seconds)
        if args.baseline:
            _print_scores(out, "HistGradientBoosting on the same folds", baseline,
                          baseline_seconds)
    rounds = f"{mlp.n_iter_} {'epochs' if is_stochastic(mlp.solver) else 'iterations'}"
    _report_fit(out, len(y), fit_seconds, rounds, mlp.loss_, _stop_reason(mlp),
                mlp, None if tabular else _final_mlp(model, step=0))
    _save(args, out, model, features, task)
    return 0


def _fit_streamed(args, out, csv, features):
    """``sknn fit --chunksize``: a first pass, then epochs of partial_fit per chunk."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .csv_files import target_values
    from .streaming import ChunkProgress, first_pass, train
    from .tables import infer_task, streamed_preprocessor

    progress = ChunkProgress(not args.quiet and (args.progress or sys.stderr.isatty()))
    start = time.perf_counter()
    scan, target_scan, text = first_pass(
        csv, features, args.target, args.categorical, args.chunksize, progress
    )
    columns = scan.result(impute=not args.no_impute)
    task = args.task or infer_task(target_scan.kind, target_scan.distinct)
    if task == "regression" and target_scan.kind == "text":
        raise DataError(
            f"{args.data}: the target {args.target!r} is not numeric; "
            "use --task classification"
        )
    classes = target_scan.classes() if task == "classification" else None
    chunks = csv.read([*features, args.target], text, args.chunksize)
    first = next(chunks)
    chunks.close()
    preprocessor = streamed_preprocessor(
        columns, first[features], impute=not args.no_impute, scale=not args.no_scale
    )
    scan_seconds = time.perf_counter() - start
    mlp = _estimator(args, task)
    _report_data(out, args, csv, columns, task, target_scan.distinct, len(features))
    n_chunks = -(-columns.rows // args.chunksize)
    print(
        f"read in {n_chunks} chunks of up to {args.chunksize} rows; first pass "
        f"{scan_seconds:.1f}s",
        file=out,
    )
    print(f"model: ColumnTransformer + {' '.join(repr(mlp).split())}", file=out)
    print("cross-validation: none with --chunksize\n", file=out)
    y_scaler = None
    if task == "regression" and not args.no_scale:
        y_scaler = target_scan.scaler
    with contextlib.redirect_stdout(sys.stderr), _one_line_warnings(sys.stderr):
        start = time.perf_counter()
        epochs, loss, reason = train(
            mlp, preprocessor, csv, features, args.target, text, args.chunksize,
            classes=classes, y_scaler=y_scaler, rows=columns.rows, out=out,
            progress=progress,
        )
        fit_seconds = time.perf_counter() - start
    model = make_pipeline(preprocessor, mlp)
    if y_scaler is not None:
        # The target's scaler is the first pass's, over every row; fitting
        # the wrapper on the first chunk would take that chunk's.
        model = TransformedTargetRegressor(
            regressor=FrozenEstimator(model), transformer=StandardScaler(), check_inverse=False
        ).fit(first[features], target_values(args.data, first[args.target], args.target))
        model.transformer_ = y_scaler
    _report_fit(out, columns.rows, fit_seconds, f"{epochs} epochs of {n_chunks} chunks", loss,
                reason, mlp, preprocessor)
    _save(args, out, model, features, task)
    return 0


def _report_fit(out, rows, seconds, rounds, loss, reason, mlp, preprocessor):
    """The report on the final fit: its time and loss, why it stopped, the
    layers, and the inputs the network no longer uses (all of their weights
    zero, as an L1 penalty or --feature-alpha leaves them)."""
    from .tables import names_list

    print(
        f"\nfitted on all {rows} rows in {seconds:.1f}s, {rounds}, final loss {loss:.4f}",
        file=out,
    )
    print(f"training stopped: {reason}", file=out)
    print(mlp.summary(), file=out)
    if preprocessor is None:  # the tabular estimator: no per-column first layer
        return
    unused = mlp.feature_importances_ == 0
    if unused.any():
        # the columns' own names, without the preprocessing's "numeric__" prefixes
        names = [n.split("__", 1)[-1] for n in preprocessor.get_feature_names_out()]
        print(f"inputs used: {np.count_nonzero(~unused)} of {unused.size}; unused: "
              f"{names_list([n for n, u in zip(names, unused) if u])}", file=out)


def _save(args, out, model, features, task):
    if not args.save:
        return
    import skops.io as sio

    # a callback is runtime state, not part of the model
    for part in (model, getattr(model, "regressor", None), getattr(model, "regressor_", None)):
        if hasattr(part, "_skl_callbacks"):
            part.set_callbacks()
    bundle = {"model": model, "features": features, "target": args.target, "task": task}
    sio.dump(bundle, args.save)
    print(f"\nsaved to {args.save}; predict with: sknn predict {args.save} DATA.csv", file=out)


# ----------------------------------------------------------------- predict
# Types skops leaves untrusted that are safe to load: a numpy dtype is rebuilt
# from an empty array read without pickle (scikit-learn's SimpleImputer keeps two).
_SAFE_TYPES = ("numpy.dtype",)


def _load_model(path):
    """A model file written by ``sknn fit --save`` (or ``skops.io.dump``)."""
    from .._optional import import_optional

    sio = import_optional("skops.io", "sknn predict")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except Exception as exc:  # zip or schema errors of a file that is not a model
        raise DataError(f"{path}: not a model saved with skops ({exc})") from None
    foreign = [t for t in untrusted if not t.startswith("sknn.") and t not in _SAFE_TYPES]
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


class _Inputs:
    """Checks each chunk of new data against the model's columns, and counts
    what the model will impute or not recognise."""

    def __init__(self, path, features, roles):
        self.path, self.features, self.roles = path, features, roles
        self.imputed = dict.fromkeys(features, 0)
        self.unseen = {}  # column -> {text: rows}

    def check(self, frame):
        from .csv_files import check_finite, lines, not_a_number

        numeric = [f for f in self.features if not self.roles[f].text]
        for name in numeric:
            if frame[name].dtype.kind not in "iuf":
                raise not_a_number(
                    self.path, name, frame[name], "the model takes numbers there"
                )
        check_finite(self.path, frame, numeric)
        refused = []
        for name in self.features:
            absent = frame[name].isna().to_numpy()
            if not absent.any():
                continue
            if self.roles[name].imputed:
                self.imputed[name] += int(absent.sum())
            else:
                rows = frame.index[absent]
                refused.append(f"{name!r} ({lines(rows)})")
        if refused:
            raise DataError(
                f"{self.path}: missing values the model does not impute: "
                f"{'; '.join(refused)}; fill them in or drop those rows"
            )
        for name in self.features:
            known = self.roles[name].categories
            if known is None:
                continue
            counts = frame[name].dropna().value_counts()
            for text, n in counts.items():
                if text not in known:
                    unseen = self.unseen.setdefault(name, {})
                    unseen[text] = unseen.get(text, 0) + int(n)

    def warn(self, err):
        """One warning line per column with unseen categories, one for the imputed cells."""
        for name, texts in self.unseen.items():
            each = [f"{t!r} ({n} row{'s' if n > 1 else ''})" for t, n in texts.items()]
            more = f" and {len(each) - 5} more" if len(each) > 5 else ""
            print(
                f"sknn: warning: column {name!r} has texts not seen in training, encoded "
                f"as no category: {', '.join(each[:5])}{more}",
                file=err,
            )
        imputed = {name: n for name, n in self.imputed.items() if n}
        if imputed:
            each = ", ".join(f"{name} {n}" for name, n in imputed.items())
            print(
                f"sknn: warning: {sum(imputed.values())} missing values imputed as in "
                f"training: {each}",
                file=err,
            )


def _predict(args, out):
    from .tables import feature_roles

    bundle = _load_model(args.model)
    model, features = bundle["model"], bundle["features"]
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
    roles = feature_roles(model, features)
    csv = _csv_file(args)
    csv.require([*features, *args.keep])
    kept = [name for name in args.keep if name not in features]
    text = [name for name in features if roles[name].text] + kept
    inputs = _Inputs(args.data, features, roles)
    chunks = csv.read(list(dict.fromkeys([*features, *kept])), text, args.chunksize)
    if args.chunksize is None:
        chunks = [chunks]
    writer = csv_module.writer(out, lineterminator="\n")
    for i, frame in enumerate(chunks):
        inputs.check(frame)
        X = frame[features]
        if not hasattr(model, "feature_names_in_"):
            X = X.to_numpy()  # a model fitted on an array, with names from the bundle
        columns = [frame[name].fillna("").tolist() for name in args.keep]
        with warnings.catch_warnings():
            # the columns were picked by the model's feature names already
            warnings.filterwarnings("ignore", "X does not have valid feature names")
            columns.append(model.predict(X))
            if args.proba:
                columns += list(model.predict_proba(X).T)
        if i == 0:
            writer.writerow(header)
        for row in zip(*columns):
            writer.writerow([_cell(v) for v in row])
    inputs.warn(sys.stderr)
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
    try:  # combinations argparse cannot see, e.g. dropout with lbfgs
        if args.command == "fit":
            regression = args.loss is not None or args.quantile is not None
            _estimator(args, args.task or ("regression" if regression else "classification"))
        if args.command in ("fit", "predict"):
            _check_options(args)
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
