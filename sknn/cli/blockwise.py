"""Fitting ``sknn fit``'s preprocessing a few columns at a time.

:func:`~sknn.cli.tables.make_preprocessor`'s ColumnTransformer, fitted on a
whole table, copies its numbers several times over: its column selection,
the imputer's validation, the sorted copy behind the median, the imputer's
output, the scaler's temporaries and output, then the stacking of the
branches, and the network copies that (Fortran-ordered) output again to
C order. :class:`BlockwisePreprocessor` runs the same scikit-learn steps on
blocks of a few columns and writes each block's output straight into one
C-ordered float64 array, which the network then trains on as it is: the
only copy of the table it makes is its output. After fitting,
:meth:`~BlockwisePreprocessor.column_transformer` gives the ColumnTransformer
that fitting on the whole table would have given, which is what ``sknn fit``
reports and saves.

The results are the same to the bit: the median, mean and variance of a
column do not depend on the other columns, and each block reaches the steps
in the layout the whole table does (columns contiguous, as pandas hands
them over), so the sums behind the means add in the same order.
"""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from .tables import column_transformer, preprocessing_steps

# Values per block of numeric columns (4 MiB of float64): the imputer's and
# the scaler's temporaries, a few copies of a block, stay that small.
BLOCK_VALUES = 2**19


class BlockwisePreprocessor(TransformerMixin, BaseEstimator):
    """:func:`~sknn.cli.tables.make_preprocessor`'s ColumnTransformer, fitted
    and applied a block of numeric columns at a time.

    Parameters
    ----------
    numeric, categorical : list of str
        The numeric columns (imputed with their median, standardized) and
        the categorical ones (imputed with the most frequent text, one-hot
        encoded), as in :class:`~sknn.cli.tables.Columns`.
    impute, scale : bool, default=True
        Whether to impute missing cells and standardize numbers.

    Attributes
    ----------
    blocks_ : list of (list of str, Pipeline or "passthrough")
        The numeric columns in blocks, each with its fitted steps.
    categorical_ : Pipeline or None
        The fitted steps of the categorical columns.
    n_outputs_ : int
        The number of output columns.
    """

    def __init__(self, numeric=(), categorical=(), impute=True, scale=True):
        self.numeric = numeric
        self.categorical = categorical
        self.impute = impute
        self.scale = scale

    def fit(self, X, y=None):
        """Fit the steps on the DataFrame ``X``, a block of columns at a time."""
        from sklearn.pipeline import Pipeline

        validate_data(self, X, skip_check_array=True)  # the feature names
        numeric_steps, categorical_steps = preprocessing_steps(self.impute, self.scale)
        width = max(1, BLOCK_VALUES // max(len(X), 1))
        self.blocks_ = []
        for start in range(0, len(self.numeric), width):
            names = list(self.numeric[start:start + width])
            steps = "passthrough"
            if numeric_steps:
                steps = clone(Pipeline(numeric_steps)).fit(_columns(X, names))
            self.blocks_.append((names, steps))
        self.categorical_ = None
        if self.categorical:
            self.categorical_ = Pipeline(categorical_steps).fit(X[list(self.categorical)])
        self.n_outputs_ = sum(map(_n_outputs, self.blocks_)) + (
            0 if self.categorical_ is None else len(self.categorical_.get_feature_names_out())
        )
        return self

    def transform(self, X):
        """The preprocessed rows of ``X``: a C-ordered float64 array with the
        numeric columns' outputs, then the categorical ones'."""
        check_is_fitted(self)
        validate_data(self, X, skip_check_array=True, reset=False)
        out = np.empty((len(X), self.n_outputs_))
        start = 0
        for names, steps in self.blocks_:
            block = _columns(X, names)
            stop = start + _n_outputs((names, steps))
            out[:, start:stop] = block if _passthrough(steps) else steps.transform(block)
            start = stop
        if self.categorical_ is not None:
            out[:, start:] = self.categorical_.transform(X[list(self.categorical)])
        return out

    def column_transformer(self, head):
        """The fitted ColumnTransformer of ``make_preprocessor``, with this
        one's statistics: the one fitting it on the whole table gives.

        Parameters
        ----------
        head : DataFrame
            A few rows of the table (one is enough): the ColumnTransformer
            learns its columns from them, and the number of outputs of each
            branch from their transformation.
        """
        from sklearn.frozen import FrozenEstimator

        check_is_fitted(self)
        transformer = self.unfitted()
        fitted = {}
        if self.blocks_ and not _passthrough(self.blocks_[0][1]):
            fitted["numeric"] = self._joined_numeric_steps()
        if self.categorical_ is not None:
            fitted["categorical"] = self.categorical_
        # Frozen, the fitted branches keep their statistics through the fit
        # on the head; then the ColumnTransformer holds them unwrapped, and
        # its parameters are the unfitted steps again, as after any fit.
        unfitted = {name: steps for name, steps, _ in transformer.transformers}
        transformer.set_params(**{name: FrozenEstimator(s) for name, s in fitted.items()})
        transformer.fit(head)
        transformer.set_params(**unfitted)
        transformer.transformers_ = [
            (name, fitted.get(name, steps), columns)
            for name, steps, columns in transformer.transformers_
        ]
        return transformer

    def unfitted(self):
        """The unfitted ColumnTransformer of ``make_preprocessor``."""
        return column_transformer(self.numeric, self.categorical,
                                  *preprocessing_steps(self.impute, self.scale))

    def _joined_numeric_steps(self):
        """The blocks' numeric steps as one Pipeline over every numeric column."""
        import pandas as pd

        blocks = [steps for _, steps in self.blocks_]
        steps = clone(blocks[0])
        medians = None
        if self.impute:
            medians = np.concatenate([b["impute"].statistics_ for b in blocks])
        # Fitted on one row (the medians: a column without any value stays
        # one) for the names and shapes, then given the blocks' statistics.
        row = medians if medians is not None else np.zeros(len(self.numeric))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            steps.fit(pd.DataFrame([row], columns=list(self.numeric)))
        if self.impute:
            steps["impute"].statistics_ = medians
        if self.scale:
            scaler = steps["scale"]
            for name in ("mean_", "var_", "scale_"):
                setattr(scaler, name, np.concatenate([getattr(b["scale"], name) for b in blocks]))
            seen = np.concatenate([
                np.broadcast_to(b["scale"].n_samples_seen_, b["scale"].mean_.shape) for b in blocks
            ])
            # as StandardScaler keeps it: one count when every column has it
            scaler.n_samples_seen_ = seen[0] if np.ptp(seen) == 0 else seen
        return steps


def _columns(X, names):
    """The columns ``names`` of the DataFrame ``X`` as floats over one
    Fortran-ordered array: each column contiguous, as scikit-learn's steps
    get the columns of a table pandas has read, so that the sums behind a
    mean add in the same order however ``X`` holds them."""
    import pandas as pd

    values = np.asfortranarray(X[names].to_numpy(dtype=np.float64))
    return pd.DataFrame(values, columns=names, index=X.index, copy=False)


def _passthrough(steps):
    return isinstance(steps, str)


def _n_outputs(block):
    names, steps = block
    return len(names) if _passthrough(steps) else len(steps.get_feature_names_out())
