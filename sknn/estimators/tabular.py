"""MLPs for tables: :class:`TabularMLPClassifier` and :class:`TabularMLPRegressor`.

They take a table as it is (numbers, booleans, categories and text, with
missing values) through :class:`TableEncoder`, and train an ensemble of
members that share their hidden layers (``sknn.nn.tabular``) with a recipe
for tables: robust scaling with a smooth clip, piecewise-linear encoding of
the numbers, AdamW, early stopping on a held-out fifth with the best epoch
restored, gradient clipping and a batch size that follows the data size.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import log_expit, logsumexp
from sklearn.base import BaseEstimator, TransformerMixin, is_classifier
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_y,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ..nn.network import Network, dense_stack
from ..nn.tabular import (
    CategoricalEmbedding,
    EnsembleHead,
    EnsembleInput,
    OneHotEncoding,
    PeriodicEmbedding,
    PiecewiseLinearEncoding,
    RobustScaling,
)
from ..training import HoldOut
from . import components
from .mlp import MLPClassifier, MLPRegressor

__all__ = ["TableEncoder", "TabularMLPClassifier", "TabularMLPRegressor"]

#: The level of a category column that stands for a missing value.
_MISSING = "<missing>"


def _is_frame(X):
    return hasattr(X, "columns") and (hasattr(X, "iloc") or hasattr(X, "to_pandas"))


def _table_columns(X):
    """``(names, columns)`` of a table: a pandas or polars data frame, or a
    2-D array-like (names None)."""
    if _is_frame(X) and not hasattr(X, "iloc"):  # polars
        X = X.to_pandas()
    if hasattr(X, "iloc"):
        names = [str(c) for c in X.columns]
        return names, [X.iloc[:, j] for j in range(X.shape[1])]
    if hasattr(X, "toarray"):
        raise TypeError(
            "Tabular estimators take a dense table (a data frame or an array), got a "
            "sparse matrix; use MLPClassifier / MLPRegressor for sparse input."
        )
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(
            f"Expected a 2-D table (rows and columns), got an array of shape {array.shape}; "
            "reshape a single feature with X.reshape(-1, 1), a single sample with "
            "X.reshape(1, -1)."
        )
    return None, [array[:, j] for j in range(array.shape[1])]


def _check_table(X):
    """scikit-learn's error for input that is not 2-D, before reading columns."""
    if X is None or not (_is_frame(X) or hasattr(X, "toarray")):
        # (an array's own ndim: an object copy of a large array is costly)
        array = X if isinstance(X, np.ndarray) else np.asarray(X, dtype=object)
        if array.ndim != 2:
            raise ValueError(
                f"Expected a 2D array (a table), got {array.ndim}D array instead:\n"
                f"array={array!r}.\nReshape your data either using array.reshape(-1, 1) "
                "if your data has a single feature or array.reshape(1, -1) if it "
                "contains a single sample."
            )


def _kind(column):
    """'numeric' for numbers and booleans (as 0/1), 'category' otherwise."""
    dtype = getattr(column, "dtype", None)
    kind = getattr(dtype, "kind", "O")
    if kind in "iufb":
        return "numeric"
    if kind == "O":  # numbers held as objects (an object array): numeric
        values = np.asarray(column, dtype=object)[~_missing_mask(column)]
        if values.size and all(isinstance(v, Real) for v in values):
            return "numeric"
    if kind in "mM":
        raise TypeError(
            "A date or time column cannot be encoded; convert it to numbers (e.g. days "
            "since a date, or its parts) before fitting."
        )
    return "category"


def _as_float(column, name):
    """A numeric column as float64, missing values as NaN."""
    if hasattr(column, "to_numpy"):
        values = column.to_numpy(dtype=float, na_value=np.nan, copy=True)
    else:
        values = np.array(column, dtype=float)
    if np.isinf(values).any():
        raise ValueError(
            f"Column {name} contains infinity; replace it with a finite value or with "
            "NaN (a missing value, which the encoder imputes)."
        )
    return values


def _missing_mask(column):
    if hasattr(column, "isna"):
        return np.asarray(column.isna(), dtype=bool)
    values = np.asarray(column, dtype=object)
    return np.array([v is None or (isinstance(v, float) and v != v) for v in values], bool)


def _as_levels(column):
    """A categorical column as strings, missing values as their own level."""
    values = np.asarray(column, dtype=object)
    levels = np.array([str(v) for v in values], dtype=object)
    levels[_missing_mask(column)] = _MISSING
    return levels


class TableEncoder(TransformerMixin, BaseEstimator):
    """A table as a float matrix: numbers, their missing-value indicators,
    then the categories, one-hot or as codes.

    - numeric and boolean columns: as floats, missing values replaced by the
      column's training median (0 for a column with none), with an indicator
      column for each column that had missing values in training;
    - categorical columns (``categorical_features``, and every column that is
      neither numeric nor boolean, such as text): one column per level seen
      at least ``min_frequency`` times, up to ``max_categories``, the most
      frequent first; rarer levels and levels first seen at transform time
      share one further column ("infrequent"). A missing value is a level of
      its own. With ``encode="ordinal"``, each categorical column is one
      column of codes instead: ``0, 1, ...`` for the kept levels, most
      frequent first, and the last code for the infrequent ones (what
      :class:`~sknn.nn.OneHotEncoding` and :class:`~sknn.nn.CategoricalEmbedding`
      take).

    Parameters
    ----------
    categorical_features : "from_dtype", array-like of int, str or bool, or None, \
default="from_dtype"
        As ``HistGradientBoostingClassifier``'s: "from_dtype" makes the pandas
        ``category`` columns categorical; indices, names or a boolean mask
        name them. Columns that are not numbers are categorical in any case.
    max_categories : int, default=32
        Columns of a categorical feature, the infrequent one included.
    min_frequency : int, default=2
        Training rows a level needs to have a column of its own.
    encode : {"onehot", "ordinal"}, default="onehot"
        The categories one-hot, or as one column of codes each.

    Attributes
    ----------
    numeric_features_ : ndarray of int
        The input columns encoded as numbers.
    categorical_features_ : ndarray of int
        The input columns encoded as categories.
    cardinalities_ : ndarray of int
        The codes of each categorical column: its kept levels and the
        infrequent one.
    n_numeric_ : int
        Output columns holding the numbers (the first ones).
    n_features_out_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, "a"], [np.nan, "b"], [3.0, "a"]], dtype=object)
    >>> enc = TableEncoder().fit(X)
    >>> enc.transform(X)
    array([[1., 0., 1., 0.],
           [2., 1., 0., 1.],
           [3., 0., 1., 0.]])
    >>> enc.get_feature_names_out().tolist()  # "b", seen once, is infrequent
    ['x0', 'x0_missing', 'x1_a', 'x1_infrequent']
    >>> TableEncoder(encode="ordinal").fit_transform(X)
    array([[1., 0., 0.],
           [2., 1., 1.],
           [3., 0., 0.]])
    """

    _parameter_constraints: dict = {
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "max_categories": [Interval(Integral, 2, None, closed="left")],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
        "encode": [StrOptions({"onehot", "ordinal"})],
    }

    def __init__(self, categorical_features="from_dtype", max_categories=32, min_frequency=2,
                 encode="onehot"):
        self.categorical_features = categorical_features
        self.max_categories = max_categories
        self.min_frequency = min_frequency
        self.encode = encode

    def _categorical_mask(self, names, columns):
        n = len(columns)
        mask = np.array([_kind(c) == "category" for c in columns], dtype=bool)
        if names is not None:  # pandas' category dtype
            mask |= np.array([str(getattr(c, "dtype", "")) == "category" for c in columns])
        given = self.categorical_features
        if given is None or isinstance(given, str):
            return mask
        given = np.asarray(given)
        if given.dtype == bool:
            if given.shape != (n,):
                raise ValueError(
                    f"categorical_features is a mask of {given.size} entries for a table of "
                    f"{n} columns; give one boolean per column."
                )
            return mask | given
        if given.dtype.kind in "OU":
            if names is None:
                raise ValueError(
                    "categorical_features names columns, but the table has no column "
                    "names; pass a data frame, or column indices."
                )
            unknown = sorted(set(given.tolist()) - set(names))
            if unknown:
                raise ValueError(
                    f"categorical_features names columns that the table does not have: "
                    f"{unknown}."
                )
            return mask | np.isin(names, given)
        if given.dtype.kind not in "iu" or (given.size and (given.min() < 0 or given.max() >= n)):
            raise ValueError(
                f"categorical_features must be 'from_dtype', column indices in [0, {n}), "
                f"names or a boolean mask, got {self.categorical_features!r}."
            )
        mask[given] = True
        return mask

    def fit(self, X, y=None):
        """Learn the columns' kinds, medians and levels from table ``X``."""
        self._validate_params()
        names, columns = _table_columns(X)
        n_rows = len(columns[0]) if columns else 0
        if not columns or n_rows == 0:
            raise ValueError(
                f"Found a table of {n_rows} row(s) and {len(columns)} column(s); fitting "
                "needs at least one row and one column."
            )
        self.feature_names_ = np.array(names or [f"x{j}" for j in range(len(columns))],
                                       dtype=object)
        categorical = self._categorical_mask(names, columns)
        self.numeric_features_ = np.flatnonzero(~categorical)
        self.categorical_features_ = np.flatnonzero(categorical)
        self.medians_, self.missing_indicators_ = [], []
        for j in self.numeric_features_:
            values = _as_float(columns[j], self.feature_names_[j])
            missing = np.isnan(values)
            self.medians_.append(float(np.median(values[~missing])) if not missing.all()
                                 else 0.0)
            self.missing_indicators_.append(bool(missing.any()))
        self.levels_ = []
        for j in self.categorical_features_:
            levels, counts = np.unique(_as_levels(columns[j]), return_counts=True)
            order = np.argsort(-counts, kind="stable")
            kept = levels[order][counts[order] >= self.min_frequency]
            self.levels_.append(np.array(kept[: self.max_categories - 1], dtype=object))
            if n_rows >= 20 and levels.size > 0.9 * n_rows:
                warnings.warn(
                    f"Column {self.feature_names_[j]} has a distinct value in almost every "
                    "row, like an identifier; its values are encoded as one 'infrequent' "
                    "column, which carries no information. Drop it if it is an identifier.",
                    UserWarning, stacklevel=2,
                )
        self.n_numeric_ = len(self.numeric_features_)
        self.cardinalities_ = np.array([len(lv) + 1 for lv in self.levels_], dtype=np.intp)
        self.n_features_out_ = (self.n_numeric_ + sum(self.missing_indicators_)
                                + int(self._category_widths().sum()))
        return self

    def _category_widths(self):
        """Output columns of each categorical column."""
        if self.encode == "ordinal":
            return np.ones_like(self.cardinalities_)
        return self.cardinalities_

    def transform(self, X):
        """The float matrix of table ``X``, shape ``(n_samples, n_features_out_)``."""
        check_is_fitted(self)
        names, columns = _table_columns(X)
        if len(columns) != len(self.feature_names_):
            raise ValueError(
                f"X has {len(columns)} columns, but the encoder was fitted on "
                f"{len(self.feature_names_)}."
            )
        n = len(columns[0])
        if n == 0:
            raise ValueError("Found a table of 0 rows; a minimum of 1 is required.")
        out = np.zeros((n, self.n_features_out_))
        indicator = self.n_numeric_
        for i, j in enumerate(self.numeric_features_):
            if _kind(columns[j]) != "numeric":
                raise ValueError(
                    f"Column {self.feature_names_[j]} held numbers in training but holds "
                    f"{getattr(columns[j], 'dtype', 'other values')} now; pass the same "
                    "kind of column."
                )
            values = _as_float(columns[j], self.feature_names_[j])
            missing = np.isnan(values)
            values[missing] = self.medians_[i]
            out[:, i] = values
            if self.missing_indicators_[i]:
                out[:, indicator] = missing
                indicator += 1
        start = indicator
        ordinal = self.encode == "ordinal"
        for j, levels, width in zip(self.categorical_features_, self.levels_,
                                    self._category_widths()):
            values = _as_levels(columns[j])
            unique, inverse = np.unique(values, return_inverse=True)
            position = {level: k for k, level in enumerate(levels)}
            codes = np.array([position.get(u, len(levels)) for u in unique], dtype=np.intp)
            codes = codes[inverse.ravel()]
            if ordinal:
                out[:, start] = codes
            else:
                out[np.arange(n), start + codes] = 1.0
            start += width
        return out

    def _level_values(self, i, dtype):
        """The kept levels of categorical column ``i`` as numbers (NaN for the
        missing level), or None when a level is not a number or two levels
        are one number in ``dtype``."""
        try:
            values = np.array([np.nan if level == _MISSING else float(level)
                               for level in self.levels_[i]])
        except ValueError:
            return None
        numbers = values[~np.isnan(values)]
        if np.unique(numbers.astype(dtype)).size < numbers.size:
            return None
        return values

    def to_onnx(self, graph, x):
        """The encoding in an ONNX graph (``sknn.export.onnx.Graph``) of a table
        ``x`` of numbers: the medians in place of NaN, the missing
        indicators, then each categorical column's levels, compared as
        numbers (a graph's one input tensor holds no text)."""
        levels = [self._level_values(i, graph.dtype) for i in range(len(self.levels_))]
        text = [str(self.feature_names_[j])
                for j, values in zip(self.categorical_features_, levels) if values is None]
        if text:
            raise NotImplementedError(
                f"ONNX export takes a table of numbers, but the categorical columns {text} "
                "hold levels that are not numbers; encode them as numbers (codes) before "
                "fitting, or one-hot encode them before the estimator (e.g. OneHotEncoder "
                "in a Pipeline, which skl2onnx converts) to export it."
            )
        numbers = x
        if not np.array_equal(self.numeric_features_, np.arange(len(self.feature_names_))):
            numbers = graph.node("Gather", [x, graph.const(self.numeric_features_, graph.INT64)],
                                 axis=1)
        missing = graph.node("IsNaN", [numbers])
        parts = [graph.node("Where", [missing, graph.const(np.array(self.medians_)[None]),
                                      numbers])]
        indicators = np.flatnonzero(self.missing_indicators_)
        if indicators.size:
            flags = graph.node("Gather", [missing, graph.const(indicators, graph.INT64)], axis=1)
            parts.append(graph.node("Cast", [flags], to=graph.proto))
        for j, values in zip(self.categorical_features_, levels):
            column = graph.node("Gather", [x, graph.const([j], graph.INT64)], axis=1)
            parts.append(self._levels_onnx(graph, column, values))
        if len(parts) == 1:
            return parts[0]
        return graph.node("Concat", parts, axis=1)

    def _levels_onnx(self, graph, column, values):
        """ONNX: a categorical column ``(n, 1)`` one-hot (the kept levels, then
        the infrequent one) or as its code."""
        absent = graph.node("Cast", [graph.node("IsNaN", [column])], to=graph.proto)
        kept = values.size
        if kept == 0:  # every level infrequent: the one column, or code 0
            zero = graph.node("Mul", [absent, graph.const([[0.0]])])
            return zero if self.encode == "ordinal" else graph.node(
                "Add", [zero, graph.const([[1.0]])])
        match = graph.node("Cast", [graph.node("Equal", [column, graph.const(values[None])])],
                           to=graph.proto)  # (n, kept); NaN equals no level
        if np.isnan(values).any():  # the level of a missing value
            match = graph.node("Add", [match, graph.node(
                "Mul", [absent, graph.const(np.isnan(values)[None].astype(float))])])
        other = graph.node("Sub", [graph.const([[1.0]]),
                                   graph.node("MatMul", [match, graph.const(np.ones((kept, 1)))])])
        block = graph.node("Concat", [match, other], axis=1)
        if self.encode == "ordinal":
            return graph.node("MatMul", [block, graph.const(np.arange(kept + 1.0)[:, None])])
        return block

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns."""
        check_is_fitted(self)
        names = [str(self.feature_names_[j]) for j in self.numeric_features_]
        names += [str(self.feature_names_[j]) + "_missing"
                  for j, has in zip(self.numeric_features_, self.missing_indicators_) if has]
        for j, levels in zip(self.categorical_features_, self.levels_):
            base = str(self.feature_names_[j])
            if self.encode == "ordinal":
                names.append(base)
            else:
                names += [f"{base}_{level}" for level in levels] + [f"{base}_infrequent"]
        return np.array(names, dtype=object)


#: The parameters the tabular estimators add to the MLPs'.
_TABULAR_PARAMETERS = ("members", "numeric_embedding", "n_bins", "n_frequencies",
                       "smooth_clip", "categorical_features", "max_categories",
                       "categorical_embedding", "embedding_dim")

_TABULAR_CONSTRAINTS = {
    "members": [Interval(Integral, 1, None, closed="left")],
    "numeric_embedding": [StrOptions({"piecewise_linear", "periodic"}), None],
    "n_bins": [Interval(Integral, 1, None, closed="left")],
    "n_frequencies": [Interval(Integral, 1, None, closed="left")],
    "smooth_clip": [Interval(Real, 0, None, closed="neither"), None],
    "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
    "max_categories": [Interval(Integral, 2, None, closed="left")],
    "categorical_embedding": [StrOptions({"onehot", "learned"})],
    "embedding_dim": [Interval(Integral, 1, None, closed="left")],
}


class _TabularMixin:
    """What the tabular estimators add to the MLPs: the table encoder in
    front, the tabular layers around the hidden ones, and the batch size."""

    def _init_tabular(self, arguments, *own):
        """``__init__``: the MLP's parameters to the MLP's, the tabular ones
        (and ``own``) stored as given."""
        params = {k: v for k, v in arguments.items() if k not in ("self", "__class__")}
        tabular = {name: params.pop(name) for name in (*_TABULAR_PARAMETERS, *own)}
        super().__init__(**params)
        for name, value in tabular.items():
            setattr(self, name, value)

    def _encoder(self):
        """The encoder of the fit in progress, or of the fitted model."""
        return getattr(self, "_fit_encoder", None) or self.encoder_

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None,
             validation_data=None, frozen_features=None):
        try:
            return super()._fit(X, y, sample_weight, incremental, classes, validation_data,
                                frozen_features)
        finally:  # a failed fit keeps the fitted encoder (and model) as they were
            for name in ("_fit_encoder", "_fit_target_scale", "_fit_layer_params"):
                vars(self).pop(name, None)

    def _commit(self, net, record, solver, targets):
        super()._commit(net, record, solver, targets)
        if "coefs_" not in net.fitted_attributes():
            self.coefs_, self.intercepts_ = [], []  # no hidden layer: the heads alone
        if "_fit_encoder" in vars(self):
            self.encoder_ = self._fit_encoder
        if "_fit_target_scale" in vars(self):
            self.target_mean_, self.target_scale_ = self._fit_target_scale
        if "_fit_layer_params" in vars(self):
            self._layer_params = self._fit_layer_params

    def _check_X_y(self, X, y, reset):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        _check_table(X)
        validate_data(self, X, skip_check_array=True, reset=reset)
        if reset:
            self._fit_encoder = TableEncoder(self.categorical_features, self.max_categories,
                                             encode="ordinal").fit(X)
        Xt = self._encoder().transform(X)
        y = _check_y(y, multi_output=True, y_numeric=not is_classifier(self))
        check_consistent_length(Xt, y)
        return Xt, y

    def _validate_knobs(self):
        if self.diagnostics:
            raise ValueError(
                f"{type(self).__name__} has no layer diagnostics (diagnostics must be "
                "False): they follow one dense layer per output, and the ensemble has "
                "one per member."
            )
        if self.feature_alpha != 0:
            raise ValueError(
                f"{type(self).__name__} does not select features (feature_alpha must be 0): "
                "its first hidden layer sees the numbers' bin encodings, not the columns."
            )
        if not components.is_stochastic(self.solver):
            raise ValueError(
                f"{type(self).__name__} trains with a stochastic solver; solver='lbfgs' "
                "is not available."
            )
        return super()._validate_knobs()

    def _check_solver(self):
        if self.early_stopping:
            raise AttributeError(
                "partial_fit is not available with early_stopping=True (the default of "
                f"{type(self).__name__}); set early_stopping=False to train epoch by epoch."
            )
        return super()._check_solver()

    def _hold_out(self, targets, n_samples):
        """Early stopping's split, for any table: stratified by class where
        every class has two rows and the held-out share a row of each;
        a table too small to hold out two rows trains for ``max_iter``
        epochs on all of them."""
        n_val = int(np.ceil(self.validation_fraction * n_samples))
        if n_val < 2 or n_samples - n_val < 1:
            return None
        stratify = targets.stratify
        if stratify is not None:
            counts = np.unique(stratify, return_counts=True)[1]
            if counts.min() < 2 or n_val < counts.size:
                stratify = None
        return HoldOut(self.validation_fraction, stratify, targets, self._validation_score())

    def _batch_size(self, n_samples):
        """'auto': 256 rows, fewer for tables under about 1,500 rows (an
        eighth of the rows in a power of two, at least 32), so that an epoch
        has a few steps."""
        if self.batch_size != "auto":
            return self.batch_size
        return int(min(256, max(32, 2 ** round(np.log2(max(n_samples, 1) / 8)))))

    def _tabular_layers(self, hidden, n_outputs, activations, dropout, params):
        encoder = self._encoder()
        numeric = np.arange(encoder.n_numeric_)
        # the encoded table: numbers, missing indicators, then category codes
        codes = np.arange(encoder.n_features_out_ - encoder.cardinalities_.size,
                          encoder.n_features_out_)
        layers = []
        if numeric.size:
            layers.append(RobustScaling(clip=params["smooth_clip"], columns=numeric))
            if params["numeric_embedding"] is not None:  # (the numbers' values go last)
                codes -= numeric.size
            if params["numeric_embedding"] == "piecewise_linear":
                layers.append(PiecewiseLinearEncoding(params["n_bins"], columns=numeric))
            elif params["numeric_embedding"] == "periodic":
                layers.append(PeriodicEmbedding(params["n_frequencies"], columns=numeric))
        # after the numbers' layers: their adaptation never sees the wide encoding
        if codes.size and params["categorical_embedding"] == "onehot":
            layers.append(OneHotEncoding(encoder.cardinalities_, columns=codes))
        elif codes.size:
            layers.append(CategoricalEmbedding(encoder.cardinalities_, params["embedding_dim"],
                                               columns=codes))
        members = int(params["members"])
        if members > 1:
            layers.append(EnsembleInput(members))
        stack = dense_stack(hidden, n_outputs, activations, dropout,
                            normalization=components.normalization(params),
                            regularizer=components.regularizer(params),
                            constraint=components.constraint(params))
        if members > 1:
            stack[-1] = EnsembleHead(n_outputs)
        return layers + stack

    def _layers(self, params, hidden, n_outputs, activations, dropout=(), frozen_features=None):
        # the recipe of this fit, which predicting rebuilds the network from
        # (parameters set after the fit do not change the fitted model)
        self._fit_layer_params = {name: params[name] for name in _TABULAR_PARAMETERS}
        return self._tabular_layers(hidden, n_outputs, activations, dropout, params)

    def _fitted_network(self, dtype, dropout=()):
        coefs = getattr(self, "coefs_", [])  # (none yet in a fit with no hidden layer)
        ensemble = hasattr(self, "head_coefs_")
        hidden = [W.shape[1] for W in (coefs if ensemble else coefs[:-1])]
        n_outputs = self.head_coefs_[0].shape[2] if ensemble else coefs[-1].shape[1]
        params = getattr(self, "_fit_layer_params", None) or self._layer_params
        layers = self._tabular_layers(hidden, n_outputs, self._hidden_activations(len(hidden)),
                                      dropout, {**self.get_params(deep=False), **params})
        return Network.from_fitted(layers, self._encoder().n_features_out_,
                                   self.out_activation_, vars(self), dtype)

    def _weights_dtype(self):
        return (self.head_coefs_[0] if hasattr(self, "head_coefs_") else self.coefs_[0]).dtype

    def _n_hidden(self):
        return len(self.coefs_) - (not hasattr(self, "head_coefs_"))

    def _check_warm_start_shapes(self, net):
        new = net.fitted_attributes()
        for name in ("coefs_", "head_coefs_", "ensemble_scales_", "category_embeddings_"):
            old = [a.shape for a in getattr(self, name, [])]
            if old != [a.shape for a in new.get(name, [])]:
                raise ValueError(
                    f"The network's shape changed since the last fit ({name}); set "
                    "warm_start=False, or keep the table's columns, hidden_layer_sizes, "
                    "members, numeric_embedding, n_bins, n_frequencies, "
                    "categorical_embedding and embedding_dim."
                )

    def _validate_X_predict(self, X):
        if not hasattr(self, "encoder_"):
            check_is_fitted(self)
        _check_table(X)
        validate_data(self, X, skip_check_array=True, reset=False)
        return self._encoder().transform(X), False

    def _validate_X_full(self, X):
        return X  # encoded by _validate_X_predict, finite

    def _onnx_input(self, graph, x):
        return self.encoder_.to_onnx(graph, x)

    def predict_members(self, X):
        """Each ensemble member's prediction, of which ``predict_proba`` (the
        classifier) and ``predict`` (the regressor) are the mean.

        Parameters
        ----------
        X : table of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, members, n_outputs)
            The classifier's: each member's class probabilities (``n_outputs``
            as ``predict_proba``'s columns); the regressor's: each member's
            predicted values, in the targets' units.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sknn import TabularMLPRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> reg = TabularMLPRegressor(members=4, max_iter=5, random_state=0).fit(X, y)
        >>> reg.predict_members(X[:3]).shape
        (3, 4, 1)
        """
        return self._member_outputs(self._members_forward(X))

    def _members_forward(self, X, raw=False):
        """Each member's output activations (last layers' outputs if ``raw``),
        ``(n_samples, members, n_outputs)``."""
        check_is_fitted(self)
        Xt, _ = self._validate_X_predict(X)
        with np.errstate(over="ignore", invalid="ignore"):
            return self._inference_network(Xt.dtype).predict(Xt, raw=raw, members=True)

    def _member_outputs(self, P):
        return P

    @property
    def feature_importances_(self):
        raise AttributeError(
            f"{type(self).__name__} has no feature_importances_: its first layer sees the "
            "numbers' bin encodings; use sklearn.inspection.permutation_importance."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = False
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


_TABULAR_PARAMS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(128, 128)
        Units of the hidden layers, shared by the members.
    members : int, default=4
        Members of the ensemble (1 trains a single network).
    numeric_embedding : {"piecewise_linear", "periodic"} or None, \
default="piecewise_linear"
        How the scaled numbers enter the network: each as its position in
        ``n_bins`` quantile bins (:class:`~sknn.nn.PiecewiseLinearEncoding`),
        as sines and cosines of ``n_frequencies`` learned frequencies
        (:class:`~sknn.nn.PeriodicEmbedding`), or as they are (None).
    n_bins : int, default=16
        Bins of the piecewise-linear encoding.
    n_frequencies : int, default=8
        Frequencies of the periodic embedding.
    smooth_clip : float or None, default=3.0
        Bound of the smooth clip after the robust scaling (None: no clip).
    categorical_features : "from_dtype", array-like or None, default="from_dtype"
        See :class:`TableEncoder`.
    max_categories : int, default=32
        See :class:`TableEncoder`.
    categorical_embedding : {"learned", "onehot"}, default="learned"
        How the categories enter the network: as ``embedding_dim`` learned
        values per level (:class:`~sknn.nn.CategoricalEmbedding`), or one-hot
        (:class:`~sknn.nn.OneHotEncoding`). The table holds one column of
        codes per categorical feature either way; the one-hot columns are
        made batch by batch.
    embedding_dim : int, default=8
        Values per level of the learned embedding.
    activation, solver, alpha, batch_size, learning_rate, learning_rate_init, \
max_iter, random_state, tol, verbose, warm_start, early_stopping, \
validation_fraction, n_iter_no_change, init, penalty, dropout, \
normalization, weight_decay, warmup_iter, max_grad_norm, ... :
        As :class:`~sknn.MLPClassifier`'s, with the defaults of the signature:
        AdamW (``solver="adamw"``, ``learning_rate_init=2e-3``,
        ``weight_decay=3e-4``), no L2 ``alpha``, ``dropout=0.1``,
        ``max_grad_norm=1.0``, early stopping on a fifth of the rows with
        patience 16 and the best epoch restored, and ``batch_size="auto"``
        following the data size (256 rows, fewer for tables under about
        1,500 rows).
"""


class TabularMLPClassifier(_TabularMixin, MLPClassifier):
    __doc__ = f"""An MLP classifier for tables, in place of gradient boosting.

    It takes a pandas or polars data frame (numbers, booleans, categories,
    text, missing values) or an array, and trains ``members`` networks that
    share their hidden layers, predicting the mean of their probabilities.
{_TABULAR_PARAMS_DOC}
    label_smoothing : float in [0, 1), default=0.0
        Trains on ``(1 - label_smoothing) y + label_smoothing / K`` for K
        classes (2 for each label of a multilabel target), as PyTorch's
        ``CrossEntropyLoss(label_smoothing)``; the probabilities then stay
        below ``1 - label_smoothing + label_smoothing / K``.
    scoring : str, callable or None, default="loss"
        What early stopping monitors, as in :class:`~sknn.MLPClassifier`;
        here by default the validation loss (``validation_scores_`` holds its
        negative, as in ``HistGradientBoostingClassifier``). The loss moves
        with every change of the probabilities, while the accuracy of a few
        hundred held-out rows ties across many epochs, so the best epoch is
        picked by the probabilities rather than by the first of a tie.

    Attributes
    ----------
    encoder_ : TableEncoder
        The fitted encoding of the table.
    classes_, coefs_, intercepts_, loss_, best_loss_, validation_scores_, \
best_validation_score_, n_iter_, ... :
        As :class:`~sknn.MLPClassifier`'s; ``coefs_`` are the shared hidden
        layers', ``head_coefs_`` and ``head_intercepts_`` the members' output
        layers, ``ensemble_scales_`` the members' input scales.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sknn import TabularMLPClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> clf = TabularMLPClassifier(members=4, random_state=0).fit(X[:400], y[:400])
    >>> round(clf.score(X[400:], y[400:]), 2) >= 0.9
    True
    """

    _parameter_constraints: dict = {
        **MLPClassifier._parameter_constraints,
        **_TABULAR_CONSTRAINTS,
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def _scale_targets(self, Y, targets, sample_weight, reset):
        """Smoothed labels: ``(1 - eps) y + eps / K`` for K classes (2 for each
        logistic output), as PyTorch's ``CrossEntropyLoss(label_smoothing)``."""
        eps = float(self.label_smoothing)
        if eps == 0:
            return Y
        classes = Y.shape[1] if Y.shape[1] > 1 and not targets.multilabel else 2
        return (1.0 - eps) * Y + eps / classes

    def _member_outputs(self, P):
        if P.shape[2] == 1 and not self._is_multilabel():  # as predict_proba's columns
            P = np.concatenate([1 - P, P], axis=2)
        return P

    def predict_log_proba(self, X):
        """Log of ``predict_proba``: of the mean of the members' probabilities,
        computed stably from each member's logits.

        Parameters
        ----------
        X : table of shape (n_samples, n_features)

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
        """
        if not hasattr(self, "head_coefs_"):  # a single network
            return super().predict_log_proba(X)
        Z = self._members_forward(X, raw=True)
        if self.out_activation_ == "softmax":
            L = Z - logsumexp(Z, axis=2, keepdims=True)
        elif Z.shape[2] == 1 and not self._is_multilabel():
            L = np.concatenate([log_expit(-Z), log_expit(Z)], axis=2)
        else:  # each label on its own
            L = log_expit(Z)
        return logsumexp(L, axis=1) - np.log(Z.shape[1])

    def __init__(
        self,
        hidden_layer_sizes=(128, 128),
        activation="relu",
        *,
        members=4,
        numeric_embedding="piecewise_linear",
        n_bins=16,
        n_frequencies=8,
        smooth_clip=3.0,
        categorical_features="from_dtype",
        max_categories=32,
        categorical_embedding="learned",
        embedding_dim=8,
        label_smoothing=0.0,
        solver="adamw",
        alpha=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=2e-3,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=True,
        validation_fraction=0.2,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=16,
        max_fun=15000,
        init="auto",
        penalty="l2",
        l1_ratio=0.15,
        dropout=0.1,
        class_weight=None,
        normalization=None,
        batch_norm_momentum=0.1,
        rho=0.9,
        weight_decay=3e-4,
        warmup_iter=0,
        max_grad_norm=1.0,
        max_norm=None,
        scoring="loss",
        feature_alpha=0.0,
        feature_alpha_rule="one_se_paired",
        diagnostics=False,
    ):
        self._init_tabular(locals(), "label_smoothing")


class TabularMLPRegressor(_TabularMixin, MLPRegressor):
    __doc__ = f"""An MLP regressor for tables, in place of gradient boosting.

    It takes a pandas or polars data frame (numbers, booleans, categories,
    text, missing values) or an array, standardizes the targets, and trains
    ``members`` networks that share their hidden layers, predicting the mean
    of their outputs.
{_TABULAR_PARAMS_DOC}
    loss : str or Loss, default="squared_error"
        As :class:`~sknn.MLPRegressor`'s.

    Attributes
    ----------
    encoder_ : TableEncoder
        The fitted encoding of the table.
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        The targets' standardization (``loss_`` is in its units); with
        ``loss="poisson"`` 0 and the targets' mean, so that counts stay counts.
    coefs_, intercepts_, loss_, best_loss_, validation_scores_, n_iter_, ... :
        As :class:`~sknn.MLPRegressor`'s; ``coefs_`` are the shared hidden
        layers', ``head_coefs_`` and ``head_intercepts_`` the members' output
        layers, ``ensemble_scales_`` the members' input scales.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sknn import TabularMLPRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> reg = TabularMLPRegressor(members=4, random_state=0).fit(X[:300], y[:300])
    >>> round(reg.score(X[300:], y[300:]), 1) >= 0.3
    True
    """

    _parameter_constraints: dict = {**MLPRegressor._parameter_constraints,
                                    **_TABULAR_CONSTRAINTS}

    def __init__(
        self,
        hidden_layer_sizes=(128, 128),
        activation="relu",
        *,
        members=4,
        numeric_embedding="piecewise_linear",
        n_bins=16,
        n_frequencies=8,
        smooth_clip=3.0,
        categorical_features="from_dtype",
        max_categories=32,
        categorical_embedding="learned",
        embedding_dim=8,
        solver="adamw",
        alpha=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=2e-3,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=True,
        validation_fraction=0.2,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=16,
        max_fun=15000,
        init="auto",
        penalty="l2",
        l1_ratio=0.15,
        dropout=0.1,
        normalization=None,
        batch_norm_momentum=0.1,
        rho=0.9,
        weight_decay=3e-4,
        warmup_iter=0,
        max_grad_norm=1.0,
        max_norm=None,
        scoring=None,
        feature_alpha=0.0,
        feature_alpha_rule="one_se_paired",
        loss="squared_error",
        huber_delta=1.0,
        quantile=0.5,
        diagnostics=False,
    ):
        self._init_tabular(locals())

    def _target_scale(self):
        return getattr(self, "_fit_target_scale", None) or (self.target_mean_,
                                                            self.target_scale_)

    def _scale_targets(self, Y, targets, sample_weight, reset):
        if reset:  # the rows weighted as the loss weighs them
            mean = np.average(Y, axis=0, weights=sample_weight)
            scale = np.sqrt(np.average((Y - mean) ** 2, axis=0, weights=sample_weight))
            if self._loss(targets).out_activation != "identity":
                # a log link (poisson): counts stay counts, divided by their mean
                mean, scale = np.zeros_like(mean), mean
            self._fit_target_scale = (mean, np.where(scale > 0, scale, 1.0))
        mean, scale = self._target_scale()
        return (Y - mean) / scale

    def _score_from_output(self, P, targets, sample_weight):
        mean, scale = self._target_scale()
        return super()._score_from_output(P * scale + mean, targets, sample_weight)

    def _member_outputs(self, P):
        return P * self.target_scale_ + self.target_mean_

    def _onnx_output(self, graph, out):
        mean, scale = self.target_mean_, self.target_scale_
        return graph.node("Add", [graph.node("Mul", [out, graph.const(scale[None])]),
                                  graph.const(mean[None])])

    def _forward(self, X, check_input=True, raw=False):
        out = super()._forward(X, check_input, raw)
        if raw:
            return out
        mean, scale = self._target_scale()
        return out * scale + mean
