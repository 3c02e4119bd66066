"""The preprocessing of ``sknn fit``: which columns are numbers and which are
categories, what is missing, and the scikit-learn ColumnTransformer that
imputes, standardizes and one-hot encodes them inside the saved model.

A :class:`Scan` looks at a table once, whole or chunk by chunk; its
:class:`Columns` name the roles, count the gaps and the categories, and
refuse columns that one-hot encoding would misread (numbers with decimal
commas, numbers mixed with words, IDs). :func:`make_preprocessor` builds the
ColumnTransformer fitted the ordinary way on a table in memory;
:func:`streamed_preprocessor` assembles the same one, already fitted, from a
scan of the chunks. :func:`feature_roles` reads any fitted model's
preprocessing back, for ``sknn predict``.
"""

from dataclasses import dataclass, field

import numpy as np

from .csv_files import DataError, check_finite, decimal_comma, is_number, is_text, lines

# A text column with more distinct values than this, among more than this
# share of its rows, holds IDs or free text rather than categories.
ID_LIKE_VALUES, ID_LIKE_SHARE = 20, 0.5
# Beyond this many distinct texts a scan stops counting (a memory bound for
# files larger than memory) and refuses the column as ID-like.
MAX_DISTINCT = 100_000
# A classification target with more classes than this is refused.
MAX_CLASSES = 10_000


def _quoted(values, limit=3):
    shown_ = ", ".join(repr(v) for v in values[:limit])
    return shown_ + (f" and {len(values) - limit} more" if len(values) > limit else "")


def names_list(names, limit=12):
    """``'a, b, c'``, shortened to the first ``limit`` names and a count."""
    text = ", ".join(names[:limit])
    return text + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


@dataclass
class Columns:
    """The roles of a table's feature columns, as a :class:`Scan` found them.

    Attributes
    ----------
    numeric, categorical : list of str
        Feature columns in file order: numbers (standardized) and text
        (one-hot encoded).
    rows : int
        Rows scanned.
    missing : dict
        Feature column -> number of missing cells, for columns with any.
    counts : dict
        Categorical column -> {text: rows}.
    scaler : StandardScaler or None
        The numeric columns' statistics, missing cells ignored (streaming
        scans only).
    """

    numeric: list
    categorical: list
    rows: int
    missing: dict
    counts: dict
    scaler: object = None

    def categories(self, name):
        """A categorical column's texts in sorted order (OneHotEncoder's order)."""
        return sorted(self.counts[name])

    def most_frequent(self, name):
        """The text SimpleImputer(strategy='most_frequent') fills in: the
        commonest, the smallest of equals."""
        counts = self.counts[name]
        top = max(counts.values())
        return min(text for text, n in counts.items() if n == top)


class Scan:
    """One pass over a table's feature columns, whole or chunk by chunk.

    Parameters
    ----------
    path : str
        The file, for messages.
    features : list of str
        The feature columns.
    categorical : collection of str, default=()
        Columns the user declared categorical (read as text); they skip the
        checks that catch numbers read as text and ID-like columns.
    statistics : bool, default=False
        Also fit a StandardScaler to the numeric columns, chunk by chunk
        (missing cells ignored), for a model assembled from the scan.
    """

    def __init__(self, path, features, categorical=(), statistics=False):
        self.path, self.features, self.forced = path, list(features), set(categorical)
        self.statistics = statistics
        self.rows = 0
        self.kinds = {}  # column -> "number" or "text", from the first chunk with values
        self.flipped = set()  # columns that were numbers in one chunk and text in another
        self.missing = dict.fromkeys(self.features, 0)
        self.missing_rows = {name: [] for name in self.features}  # the first few
        self.counts = {}
        self.scaler = None
        self._scaled = None  # the numeric columns the scaler takes

    def update(self, frame):
        """Take in the next chunk (a DataFrame with the feature columns)."""
        self.rows += len(frame)
        for name in self.features:
            column = frame[name]
            absent = column.isna().to_numpy()
            n_absent = int(absent.sum())
            if n_absent:
                self.missing[name] += n_absent
                if len(self.missing_rows[name]) < 3:
                    self.missing_rows[name] += list(frame.index[absent][:3])
            if n_absent == len(column):
                continue  # an empty chunk of a column says nothing of its kind
            kind = "number" if column.dtype.kind in "iuf" else "text"
            if self.kinds.setdefault(name, kind) != kind:
                self.flipped.add(name)
                self.kinds[name] = "text"
            if kind == "text" and is_text(column):
                counts = self.counts.setdefault(name, {})
                for text, n in column.value_counts().items():
                    counts[text] = counts.get(text, 0) + int(n)
                if len(counts) > MAX_DISTINCT and name not in self.forced:
                    raise DataError(self._id_like(name, len(counts), self.rows, "over "))
            elif kind == "text":  # True/False or a mix that pandas left as objects
                self.flipped.add(name)
        numeric = [n for n in self.features if self.kinds.get(n, "number") == "number"]
        check_finite(self.path, frame, numeric)
        if self.statistics and numeric and not self.flipped:
            from sklearn.preprocessing import StandardScaler

            if self.scaler is None:
                self._scaled = numeric
                self.scaler = StandardScaler()
            if numeric == self._scaled:  # else the kinds changed: a second scan follows
                self.scaler.partial_fit(frame[numeric].astype(np.float64))

    def text_columns(self):
        """Columns to read as text in the next pass over the file."""
        return [n for n in self.features if self.kinds.get(n) == "text" or n in self.forced]

    def _id_like(self, name, distinct, rows, over=""):
        return (
            f"{self.path}: column {name!r} has {over}{distinct} distinct texts in {rows} "
            "rows, like an ID or free text, which one-hot encoding cannot learn from; "
            f"drop it with --drop {name}, or pass --categorical {name} to encode it anyway"
        )

    def result(self, impute=True):
        """The columns' roles, after checking what one-hot encoding would misread.

        Parameters
        ----------
        impute : bool, default=True
            False refuses missing values, naming their columns and lines.

        Returns
        -------
        columns : Columns
        """
        path = self.path
        for name in self.features:
            if self.missing[name] == self.rows:
                raise DataError(
                    f"{path}: column {name!r} is empty in all {self.rows} rows; drop it "
                    f"with --drop {name}"
                )
        categorical = [n for n in self.features if self.kinds.get(n) == "text"]
        for name in categorical:
            if name in self.forced:
                continue
            texts = sorted(self.counts[name])
            commas = [t for t in texts if decimal_comma(t) is not None]
            if commas and all(t in commas or is_number(t) for t in texts):
                raise DataError(
                    f"{path}: column {name!r} holds numbers with a decimal comma "
                    f"({_quoted(commas)}); pass --decimal ',' to read them as numbers, or "
                    f"--categorical {name} to take them as categories"
                )
            words = [t for t in texts if not is_number(t)]
            if len(words) < len(texts) / 2:
                raise DataError(
                    f"{path}: column {name!r} holds numbers and the text {_quoted(words)}; "
                    "leave missing values empty (or NA), or pass "
                    f"--categorical {name} to take every value as a category"
                )
            present = self.rows - self.missing[name]
            if len(texts) > ID_LIKE_VALUES and len(texts) > ID_LIKE_SHARE * present:
                raise DataError(self._id_like(name, len(texts), present))
        missing = {n: c for n, c in self.missing.items() if c}
        if missing and not impute:
            where = "; ".join(
                f"{name!r} {c} ({lines(self.missing_rows[name], c)})"
                for name, c in missing.items()
            )
            raise DataError(
                f"{path}: {sum(missing.values())} missing values (--no-impute): "
                f"{where}; fill them in or drop those rows, or leave out --no-impute "
                "to impute them"
            )
        numeric = [n for n in self.features if n not in categorical]
        counts = {n: self.counts[n] for n in categorical}
        return Columns(numeric, categorical, self.rows, missing, counts, self.scaler)


# ------------------------------------------------------------ the pipeline
def column_transformer(numeric, categorical, numeric_steps, categorical_steps):
    """The ColumnTransformer: a Pipeline of (name, step) pairs per kind of
    column (the numeric columns pass through when there are no steps)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    branches = []
    if numeric:
        steps = Pipeline(numeric_steps) if numeric_steps else "passthrough"
        branches.append(("numeric", steps, numeric))
    if categorical:
        branches.append(("categorical", Pipeline(categorical_steps), categorical))
    # dense output: the network's input, whatever the share of zeros
    return ColumnTransformer(branches, remainder="drop", sparse_threshold=0)


def make_preprocessor(columns, impute=True, scale=True):
    """The ColumnTransformer of a table in memory, to be fitted on it
    (``sknn fit`` fits it a block of columns at a time, with the same result:
    :class:`~sknn.cli.blockwise.BlockwisePreprocessor`).

    Numeric columns: SimpleImputer(strategy='median') and StandardScaler;
    categorical columns: SimpleImputer(strategy='most_frequent') and
    OneHotEncoder(handle_unknown='ignore'), so a category unseen in training
    encodes as none of the known ones.

    Parameters
    ----------
    columns : Columns
    impute, scale : bool, default=True
        Whether to impute missing cells and standardize numbers.
    """
    return column_transformer(columns.numeric, columns.categorical,
                              *preprocessing_steps(impute, scale))


def preprocessing_steps(impute=True, scale=True):
    """The unfitted (name, step) pairs of :func:`make_preprocessor`'s numeric
    and categorical branches (the numeric list is empty when neither applies)."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = ([("impute", SimpleImputer(strategy="median"))] if impute else []) + (
        [("scale", StandardScaler())] if scale else []
    )
    categorical = ([("impute", SimpleImputer(strategy="most_frequent"))] if impute else []) + [
        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))
    ]
    return numeric, categorical


def streamed_preprocessor(columns, first_chunk, impute=True, scale=True):
    """The ColumnTransformer of a table scanned in chunks, already fitted.

    The steps of :func:`make_preprocessor`, fitted by the scan instead: the
    StandardScaler is the scan's (every chunk's numbers, missing cells
    ignored), the OneHotEncoder's categories are every chunk's texts, and
    the imputers fill in each numeric column's mean (a median would need the
    whole column in memory) and each categorical column's most frequent text
    over all chunks. Standardized numbers are imputed after scaling, with 0:
    the mean. Steps that hold statistics are frozen (FrozenEstimator), so
    the ColumnTransformer, fitted on ``first_chunk``, only learns its
    columns.
    """
    import pandas as pd
    from sklearn.frozen import FrozenEstimator
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    numeric, categorical = [], []
    if scale and columns.numeric:
        numeric.append(("scale", FrozenEstimator(columns.scaler)))
    if impute and columns.numeric:
        if scale:
            numeric.append(("impute", SimpleImputer(strategy="constant", fill_value=0.0)))
        else:
            # fitted on one row of the means: the mean of one row is that row
            means = pd.DataFrame([columns.scaler.mean_], columns=columns.numeric)
            imputer = SimpleImputer(strategy="mean").fit(means)
            numeric.append(("impute", FrozenEstimator(imputer)))
    if impute and columns.categorical:
        # the most frequent text of one row is that row's
        modes = pd.DataFrame(
            [[columns.most_frequent(n) for n in columns.categorical]],
            columns=columns.categorical, dtype="str",
        )
        imputer = SimpleImputer(strategy="most_frequent").fit(modes)
        categorical.append(("impute", FrozenEstimator(imputer)))
    categorical.append(("onehot", OneHotEncoder(
        categories=[columns.categories(n) for n in columns.categorical],
        handle_unknown="ignore", sparse_output=False,
    )))
    return column_transformer(columns.numeric, columns.categorical, numeric, categorical).fit(
        first_chunk
    )


def describe(columns, impute=True, scale=True, streamed=False, tabular=False):
    """Lines saying how each column is treated, for ``sknn fit``'s report
    (``tabular``: by a tabular estimator's own encoding)."""
    out = []
    if columns.numeric:
        how = ("numeric, robust-scaled and binned by the model" if tabular
               else "numeric, standardized" if scale else "numeric, as they are (--no-scale)")
        out.append(f"{how} ({len(columns.numeric)}): {names_list(columns.numeric)}")
    if columns.categorical:
        each = [f"{name} ({len(columns.counts[name])}" + (" categories)" if i == 0 else ")")
                for i, name in enumerate(columns.categorical)]
        how = "categorical, embedded by the model" if tabular else "categorical, one-hot"
        out.append(f"{how} ({len(columns.categorical)}): {names_list(each)}")
    if columns.missing:
        number = "mean" if streamed else "median"
        how = ("median and a missing indicator for numbers, a level of their own for text"
               if tabular else f"{number} for numbers, most frequent for text")
        total = sum(columns.missing.values())
        each = [f"{name} {n}" for name, n in columns.missing.items()]
        out.append(
            f"missing values imputed ({how}): {total} in {len(each)} columns: "
            f"{names_list(each)}"
        )
    return out


# ------------------------------------------------------ reading a model back
@dataclass(frozen=True)
class Role:
    """How a fitted model treats one input column.

    Attributes
    ----------
    text : bool
        The column is encoded from text (one-hot or ordinal).
    imputed : bool
        Missing cells are filled in by the model.
    categories : frozenset or None
        The texts a OneHotEncoder knows for the column.
    """

    text: bool = False
    imputed: bool = False
    categories: frozenset = field(default=None)


def _unfrozen(estimator):
    from sklearn.frozen import FrozenEstimator

    return estimator.estimator if isinstance(estimator, FrozenEstimator) else estimator


def _column_transformer(model):
    """The ColumnTransformer a fitted model starts with, or None."""
    from sklearn.compose import ColumnTransformer

    model = _unfrozen(getattr(model, "regressor_", model))
    first = model.steps[0][1] if hasattr(model, "steps") else model
    return first if isinstance(first, ColumnTransformer) else None


def feature_roles(model, features):
    """How ``model`` treats each of ``features``: a dict name -> :class:`Role`.

    Reads the ColumnTransformer a model fitted by ``sknn fit`` (or any model
    starting with one) begins with, or the encoder of a tabular estimator;
    features it does not route, and every feature of a model without one, are
    numbers without imputation.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    roles = dict.fromkeys(features, Role())
    final = _unfrozen(getattr(model, "regressor_", model))
    encoder = getattr(final[-1] if hasattr(final, "steps") else final, "encoder_", None)
    if encoder is not None:  # a tabular estimator imputes every column itself
        names = [str(name) for name in encoder.feature_names_]
        for j in encoder.numeric_features_:
            roles[names[j]] = Role(False, True)
        for j in encoder.categorical_features_:  # any text: unseen levels share a column
            roles[names[j]] = Role(True, True, None)
        return roles
    transformer = _column_transformer(model)
    if transformer is None:
        return roles
    for _, branch, names in transformer.transformers_:
        if isinstance(branch, str) or not isinstance(names, list):
            continue  # "drop", "passthrough", or columns chosen by position or callable
        steps = [_unfrozen(s) for _, s in branch.steps] if hasattr(branch, "steps") else [
            _unfrozen(branch)
        ]
        text = any(isinstance(s, (OneHotEncoder, OrdinalEncoder)) for s in steps)
        imputed = any(isinstance(s, SimpleImputer) for s in steps)
        encoder = next((s for s in steps if isinstance(s, OneHotEncoder)), None)
        for i, name in enumerate(names):
            categories = (
                frozenset(map(str, encoder.categories_[i])) if encoder is not None else None
            )
            roles[name] = Role(text, imputed, categories)
    return roles


# ------------------------------------------------------------------ target
def target_kind(y):
    """``'text'``, ``'integer'`` or ``'float'``: what a target array holds."""
    return "text" if y.dtype.kind in "USO" else "integer" if y.dtype.kind in "iu" else "float"


def infer_task(kind, distinct):
    """Classification for text, and for integers of at most 20 distinct values.

    Parameters
    ----------
    kind : str
        :func:`target_kind` of the target.
    distinct : int or None
        Its number of distinct values; None for more than counted.
    """
    if kind == "text" or (kind == "integer" and distinct is not None and distinct <= 20):
        return "classification"
    return "regression"


class TargetScan:
    """One pass over a target column, chunk by chunk: its kind, its distinct
    values (up to :data:`MAX_CLASSES`) and, for numbers, a StandardScaler."""

    def __init__(self, path, name):
        self.path, self.name = path, name
        self.kind, self.flipped, self.counts, self.scaler = None, False, {}, None

    def update(self, series):
        """Take in the next chunk of the column (a Series)."""
        from sklearn.preprocessing import StandardScaler

        from .csv_files import target_values

        y = target_values(self.path, series, self.name)
        kind = target_kind(y)
        if self.kind is None:
            self.kind = kind
        elif kind != self.kind:
            if "text" in (kind, self.kind):  # read it again as text
                self.flipped, self.kind = True, "text"
            else:  # integers in one chunk, fractions in another
                self.kind = "float"
        if self.counts is not None:
            values, n = np.unique(y, return_counts=True)
            for value, count in zip(values.tolist(), n.tolist()):
                self.counts[value] = self.counts.get(value, 0) + count
            if len(self.counts) > MAX_CLASSES:
                self.counts = None  # a regression target: stop counting
        if kind != "text" and not self.flipped:
            self.scaler = self.scaler or StandardScaler()
            self.scaler.partial_fit(y.reshape(-1, 1).astype(np.float64))

    @property
    def distinct(self):
        """The number of distinct values, None beyond :data:`MAX_CLASSES`."""
        return None if self.counts is None else len(self.counts)

    def classes(self):
        """The sorted distinct values, as the classifier's ``classes_``."""
        if self.counts is None:
            raise DataError(
                f"{self.path}: the target {self.name!r} has more than {MAX_CLASSES} "
                "distinct values, too many classes; pass --task regression"
            )
        values = sorted(self.counts)
        return np.array(values, dtype=str) if self.kind == "text" else np.array(values)
