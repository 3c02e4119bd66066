"""Layers for tables: robust scaling, piecewise-linear encoding of numbers,
and a parameter-efficient ensemble.

- :class:`RobustScaling`: each numeric column centred on its median, divided
  by its interquartile range, then smoothly clipped, ``z / sqrt(1 + (z /
  c) ** 2)`` (RealMLP's preprocessing, as a layer);
- :class:`PiecewiseLinearEncoding`: each numeric column encoded by its
  position within quantile bins (Gorishniy et al., 2022);
- :class:`PeriodicEmbedding`: each numeric column as sines and cosines of
  learned frequencies (the same paper's periodic embeddings);
- :class:`EnsembleInput` and :class:`EnsembleHead`: ``members`` networks
  that share every hidden layer and differ by a per-member scaling of the
  input and by their output heads (TabM-mini, Gorishniy et al., 2025).
  Between the two, each sample is ``members`` rows; the network trains on
  the mean of the members' losses and predicts the mean of their output
  activations (see ``Network``).

The first two depend on the data: :meth:`Layer.adapt` sets their statistics
from the training input before the first step (Keras' preprocessing layers'
``adapt``); they are stored as non-trainable parameters. These layers take
dense input.

Examples
--------
>>> import numpy as np
>>> from sknn.nn import Network, SquaredError
>>> X = np.random.default_rng(0).normal(size=(50, 3))
>>> from sknn.nn import Dense
>>> layers = [RobustScaling(), PiecewiseLinearEncoding(n_bins=4), EnsembleInput(members=2),
...           Dense(8, "relu"), EnsembleHead(1)]
>>> net = Network(layers, 3, SquaredError(), np.float64)
>>> net.initialize(lambda i, o, rs, dt: rs.normal(0, 0.3, (i, o)), np.random.RandomState(0), X)
>>> net.predict(X).shape, net.predict(X, members=True).shape
((50, 1), (50, 2, 1))
"""

from numbers import Integral, Real

import numpy as np

from .component import Interval
from .initializers import initial_parameters
from .layers import Layer, NonFinitePreactivation, Parameter

__all__ = [
    "CategoricalEmbedding",
    "EnsembleHead",
    "EnsembleInput",
    "OneHotEncoding",
    "PeriodicEmbedding",
    "PiecewiseLinearEncoding",
    "RobustScaling",
]


def _columns(columns, n_inputs, layer):
    """The selected input columns as an index array (all when None)."""
    if columns is None:
        return np.arange(n_inputs)
    index = np.asarray(columns)
    if index.dtype == bool:
        if index.shape != (n_inputs,):
            raise ValueError(
                f"{type(layer).__name__}'s columns mask has {index.size} entries for an "
                f"input of {n_inputs} columns; give one boolean per column."
            )
        return np.flatnonzero(index)
    if index.ndim != 1 or index.dtype.kind not in "iu" or (
            index.size and (index.min() < 0 or index.max() >= n_inputs)):
        raise ValueError(
            f"{type(layer).__name__}'s columns must be indices in [0, {n_inputs}) or a "
            f"boolean mask, got {columns!r}."
        )
    return np.unique(index)


def _dense(X, layer):
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{type(layer).__name__} takes a dense array, got {type(X).__name__}.")
    return X


def _finite(values, sample_weight):
    """A column's finite values with positive weight, and their weights."""
    keep = np.isfinite(values)
    if sample_weight is None:
        return values[keep], None
    keep &= sample_weight > 0
    return values[keep], sample_weight[keep]


def _quantiles(values, q, weights):
    """Quantiles by the inverted empirical distribution function, under which
    a row of weight 2 counts as the row twice."""
    return np.quantile(values, q, weights=weights, method="inverted_cdf")


class RobustScaling(Layer):
    """Median and interquartile-range scaling with a smooth clip.

    ``z = (x - median) / iqr``, then ``z / sqrt(1 + (z / clip) ** 2)``, which
    is nearly ``z`` near 0 and tends to ``+-clip`` for outliers. Where the
    interquartile range is 0, half the range is used, and 1 where that is 0
    too. Unselected columns pass through unchanged.

    Parameters
    ----------
    clip : float or None, default=3.0
        The bound of the smooth clip; None scales without clipping.
    columns : array-like of int or bool, default=None
        The columns scaled (all by default).

    Examples
    --------
    >>> import numpy as np
    >>> layer = RobustScaling(clip=3.0)
    >>> layer.build(1)
    1
    >>> layer.bind("center", np.zeros(1)); layer.bind("scale", np.ones(1))
    >>> layer.adapt(np.array([[0.0], [1.0], [2.0], [3.0], [4.0]]))
    >>> layer.center, layer.scale
    (array([2.]), array([2.]))
    >>> layer.forward(np.array([[2.0], [4.0], [100.0]])).round(3)
    array([[0.   ],
           [0.949],
           [2.994]])
    """

    adaptive = True
    writes_output = True
    _constraints = {"clip": Interval(Real, 0, None, "neither", none_ok=True)}

    def __init__(self, clip=3.0, columns=None):
        self.clip = clip
        self.columns = columns

    def build(self, n_inputs):
        units = super().build(n_inputs)
        self._index = _columns(self.columns, units, self)
        k = self._index.size
        self.parameters = (
            Parameter("center", (k,), "scaling_centers_", trainable=False),
            Parameter("scale", (k,), "scaling_scales_", trainable=False),
        )
        return units

    def initialize(self, init, random_state, dtype):
        self.center[...], self.scale[...] = 0.0, 1.0

    def adapt(self, X, sample_weight=None):
        X = _dense(X, self)
        self.initialize(None, None, None)
        for f, column in enumerate(self._index):
            values, weights = _finite(X[:, column], sample_weight)
            if values.size == 0:
                continue
            q25, median, q75 = _quantiles(values, [0.25, 0.5, 0.75], weights)
            scale = q75 - q25 if q75 > q25 else (values.max() - values.min()) / 2
            self.center[f] = median
            self.scale[f] = scale if scale > 0 else 1.0

    def allocate(self, rows, dtype, input_grad):
        self._factor = np.empty((rows, self._index.size), dtype)

    def _transform(self, X, training):
        Z = (X[:, self._index] - self.center) / self.scale
        if self.clip is None:
            if training:
                self._factor[: X.shape[0]] = 1.0
            return Z
        ratio = Z / self.clip
        ratio *= ratio
        ratio += 1.0  # 1 + (z / c)^2
        root = np.sqrt(ratio)
        if training:  # d/dz z / sqrt(1 + (z/c)^2) = (1 + (z/c)^2) ** -1.5
            np.multiply(ratio, root, out=self._factor[: X.shape[0]])
        return np.divide(Z, root, out=Z)

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        X = _dense(X, self)
        Z = self._transform(X, training)
        if out is None:
            out = np.empty(X.shape, self.center.dtype)
        out[...] = X
        out[:, self._index] = Z
        if training:
            self.output = out
        return out

    def backward(self, delta):
        n = delta.shape[0]
        delta[:, self._index] /= self._factor[:n] * self.scale
        return delta

    def output_bound(self, bound):
        if self.clip is not None and self._index.size == self.units:
            return float(self.clip)
        return max(bound, (bound + float(np.abs(self.center).max(initial=0.0)))
                   / float(self.scale.min(initial=1.0)))

    def summary(self):
        return {"normalization": "RobustScaling"}

    def to_onnx(self, graph, x):
        # every column scaled, the unselected ones by (x - 0) / 1 with an
        # infinite clip, which leaves them as they are
        center, scale, clip = np.zeros(self.units), np.ones(self.units), np.full(self.units, np.inf)
        center[self._index], scale[self._index] = self.center, self.scale
        z = graph.node("Div", [graph.node("Sub", [x, graph.const(center[None])]),
                               graph.const(scale[None])])
        if self.clip is None:
            return z
        clip[self._index] = float(self.clip)
        ratio = graph.node("Div", [z, graph.const(clip[None])])
        ratio = graph.node("Add", [graph.node("Mul", [ratio, ratio]), graph.const([[1.0]])])
        return graph.node("Div", [z, graph.node("Sqrt", [ratio])])


class _ColumnEmbedding(Layer):
    """A layer that turns each selected column into ``per_column`` values (or
    ``_width()`` values in all), after the unselected columns, which pass
    through first. A subclass gives ``per_column`` and its
    ``_parameters(n_selected)``, and writes its values into the view
    :meth:`_output` returns."""

    writes_output = True

    def build(self, n_inputs):
        self.validate()
        self.n_inputs = int(n_inputs)
        self._index = _columns(self.columns, self.n_inputs, self)
        self._rest = np.setdiff1d(np.arange(self.n_inputs), self._index)
        self.parameters = self._parameters(self._index.size)
        self.units = self._rest.size + self._width()
        return self.units

    def _width(self):
        """Output columns of the selected columns' values."""
        return self._index.size * self.per_column

    def _allocate_input_grad(self, rows, dtype, input_grad):
        self._dx = np.empty((rows, self.n_inputs), dtype) if input_grad else None

    def _output(self, X, out, dtype):
        """The output array, its unselected columns written, and the view of
        its columns for the selected columns' values, ``(n, width)``."""
        n = X.shape[0]
        if out is None or not out.flags.c_contiguous:
            out = np.empty((n, self.units), dtype)
        rest = self._rest.size
        out[:, :rest] = X[:, self._rest]
        return out, out[:, rest:]

    def _input_grad(self, delta, selected):
        """The input's gradient: ``delta`` of the unselected columns, and
        ``selected`` (``(n, selected)``) of the others; None when not asked."""
        if self._dx is None:
            return None
        dx = self._dx[: delta.shape[0]]
        dx[:, self._rest] = delta[:, : self._rest.size]
        dx[:, self._index] = selected
        return dx

    def _selected_onnx(self, graph, x):
        """ONNX: the selected columns of ``x``, shape ``(n, selected, 1)``."""
        selected = graph.node("Gather", [x, graph.const(self._index, graph.INT64, "columns")],
                              axis=1)
        return graph.node("Reshape", [selected,
                                      graph.const([0, self._index.size, 1], graph.INT64)])

    def _output_onnx(self, graph, x, values):
        """ONNX: the unselected columns of ``x``, then ``values`` (``(n, selected,
        per_column)``) flattened."""
        encoded = graph.node("Reshape", [values, graph.const([0, self._width()], graph.INT64)])
        if self._rest.size == 0:
            return encoded
        rest = graph.node("Gather", [x, graph.const(self._rest, graph.INT64, "columns")], axis=1)
        return graph.node("Concat", [rest, encoded], axis=1)


class PiecewiseLinearEncoding(_ColumnEmbedding):
    """Each selected column's position within its quantile bins.

    With bin edges ``e_0 < ... < e_m`` (the training quantiles, repeated
    values merged), bin ``j`` of a value ``x`` is ``(x - e_j) / (e_{j+1} -
    e_j)`` clipped to [0, 1]; the first bin is only capped at 1 and the last
    only floored at 0, so values beyond the training range keep a slope. A
    column with fewer distinct values than bins uses fewer bins (the others
    are always 0). The output is the unselected columns, unchanged, then each
    selected column's ``n_bins`` values.

    Parameters
    ----------
    n_bins : int, default=16
    columns : array-like of int or bool, default=None
        The columns encoded (all by default).

    Examples
    --------
    >>> import numpy as np
    >>> layer = PiecewiseLinearEncoding(n_bins=2)
    >>> layer.build(1)
    2
    >>> for name, shape in [("left", (1, 2)), ("width", (1, 2)), ("low", (1, 2)),
    ...                     ("high", (1, 2))]:
    ...     layer.bind(name, np.zeros(shape))
    >>> layer.adapt(np.array([[0.0], [1.0], [2.0]]))
    >>> layer.forward(np.array([[-1.0], [0.5], [1.5], [3.0]]))
    array([[-1. ,  0. ],
           [ 0.5,  0. ],
           [ 1. ,  0.5],
           [ 1. ,  2. ]])
    """

    adaptive = True
    _constraints = {"n_bins": Interval(Integral, 1, None, "left")}

    def __init__(self, n_bins=16, columns=None):
        self.n_bins = n_bins
        self.columns = columns

    @property
    def per_column(self):
        return int(self.n_bins)

    def _parameters(self, n_selected):
        return tuple(Parameter(name, (n_selected, self.per_column), f"encoding_{name}s_",
                               trainable=False) for name in ("left", "width", "low", "high"))

    def initialize(self, init, random_state, dtype):
        # until adapted: one bin per column, the identity
        self.left[...], self.width[...], self.low[...], self.high[...] = 0.0, 1.0, 0.0, 0.0
        self.low[:, 0], self.high[:, 0] = -np.inf, np.inf

    def adapt(self, X, sample_weight=None):
        X = _dense(X, self)
        n_bins = int(self.n_bins)
        self.initialize(None, None, None)
        self.high[:, 0] = 0.0
        for f, column in enumerate(self._index):
            values, weights = _finite(X[:, column], sample_weight)
            if values.size == 0:
                continue
            edges = np.unique(_quantiles(values, np.linspace(0, 1, n_bins + 1), weights))
            m = edges.size - 1
            if m == 0:
                continue  # a constant column: every bin 0
            self.left[f, :m] = edges[:-1]
            self.width[f, :m] = np.diff(edges)
            self.low[f, :m], self.high[f, :m] = 0.0, 1.0
            self.low[f, 0] = -np.inf
            self.high[f, m - 1] = np.inf

    def allocate(self, rows, dtype, input_grad):
        self._t = np.empty((rows,) + self.left.shape, dtype)
        self._allocate_input_grad(rows, dtype, input_grad)

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        X = _dense(X, self)
        n = X.shape[0]
        T = self._t[:n] if training else np.empty((n,) + self.left.shape, self.left.dtype)
        np.subtract(X[:, self._index, None], self.left, out=T)
        T /= self.width
        out, encoded = self._output(X, out, self.left.dtype)
        np.clip(T, self.low, self.high, out=encoded.reshape(T.shape))
        if training:
            self.output = out
        return out

    def backward(self, delta):
        if self._dx is None:
            return None
        T = self._t[: delta.shape[0]]
        # the derivative from the right at an edge (a value on an edge is common)
        inside = (T >= self.low) & (T < self.high)
        encoded = delta[:, self._rest.size:].reshape(T.shape)
        return self._input_grad(
            delta, np.einsum("nfb,nfb,fb->nf", encoded, inside, 1.0 / self.width))

    def to_onnx(self, graph, x):
        T = graph.node("Div", [graph.node("Sub", [self._selected_onnx(graph, x),
                                                  graph.const(self.left)]),
                               graph.const(self.width)])
        T = graph.node("Min", [graph.node("Max", [T, graph.const(self.low)]),
                               graph.const(self.high)])
        return self._output_onnx(graph, x, T)

    def summary(self):
        return {"normalization": f"PiecewiseLinearEncoding({int(self.n_bins)})"}



class PeriodicEmbedding(_ColumnEmbedding):
    """Each selected column as sines and cosines of learned frequencies.

    ``[sin(2 pi c_1 x), ..., sin(2 pi c_k x), cos(2 pi c_1 x), ...,
    cos(2 pi c_k x)]`` for each selected column ``x``, with ``k =
    n_frequencies`` trainable frequencies per column drawn from ``N(0,
    sigma^2)`` (the periodic embeddings of Gorishniy et al., 2022; the dense
    layer after it mixes them). Unselected columns pass through first, as
    they are.

    Parameters
    ----------
    n_frequencies : int, default=8
    sigma : float, default=0.1
        Standard deviation of the initial frequencies, for input of unit
        scale (after :class:`RobustScaling`).
    columns : array-like of int or bool, default=None
        The columns embedded (all by default).

    Examples
    --------
    >>> import numpy as np
    >>> layer = PeriodicEmbedding(n_frequencies=1)
    >>> layer.build(1)
    2
    >>> layer.bind("frequency", np.array([[0.25]]))
    >>> layer.forward(np.array([[0.0], [1.0]])).round(6)
    array([[0., 1.],
           [1., 0.]])
    """

    _constraints = {
        "n_frequencies": Interval(Integral, 1, None, "left"),
        "sigma": Interval(Real, 0, None, "neither"),
    }

    def __init__(self, n_frequencies=8, sigma=0.1, columns=None):
        self.n_frequencies = n_frequencies
        self.sigma = sigma
        self.columns = columns

    @property
    def per_column(self):
        return 2 * int(self.n_frequencies)

    def _parameters(self, n_selected):
        return (Parameter("frequency", (n_selected, int(self.n_frequencies)),
                          "embedding_frequencies_"),)

    def initialize(self, init, random_state, dtype):
        self.frequency[...] = random_state.normal(0.0, float(self.sigma), self.frequency.shape)

    def allocate(self, rows, dtype, input_grad):
        self._angle = np.empty((rows,) + self.frequency.shape, dtype)
        self._allocate_input_grad(rows, dtype, input_grad)

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        X = _dense(X, self)
        n, (f, k) = X.shape[0], self.frequency.shape
        angle = (self._angle[:n] if training
                 else np.empty((n, f, k), self.frequency.dtype))
        np.multiply(X[:, self._index, None], self.frequency, out=angle)
        angle *= 2 * np.pi
        out, waves = self._output(X, out, self.frequency.dtype)
        waves = waves.reshape(n, f, 2, k)
        np.sin(angle, out=waves[:, :, 0])
        np.cos(angle, out=waves[:, :, 1])
        if training:
            self.input = X
            self.output = out
        return out

    def backward(self, delta):
        n, (f, k) = delta.shape[0], self.frequency.shape
        angle = self._angle[:n]
        rest = self._rest.size
        waves = delta[:, rest:].reshape(n, f, 2, k)
        # d angle: d sin = cos, d cos = -sin
        d_angle = waves[:, :, 0] * np.cos(angle) - waves[:, :, 1] * np.sin(angle)
        d_angle *= 2 * np.pi
        x = self.input[:, self._index]
        np.einsum("nfk,nf->fk", d_angle, x, out=self.frequency_grad)
        if self._dx is None:
            return None
        return self._input_grad(delta, np.einsum("nfk,fk->nf", d_angle, self.frequency))

    def output_bound(self, bound):
        return max(bound, 1.0)

    def summary(self):
        return {"normalization": f"PeriodicEmbedding({int(self.n_frequencies)})"}

    def to_onnx(self, graph, x):
        angle = graph.node("Mul", [self._selected_onnx(graph, x),
                                   graph.const(2 * np.pi * self.frequency)])
        waves = graph.node("Concat", [graph.node("Sin", [angle]), graph.node("Cos", [angle])],
                           axis=2)  # (n, f, 2k): each column's sines, then its cosines
        return self._output_onnx(graph, x, waves)


class _CategoryCodes(_ColumnEmbedding):
    """Columns of category codes: column ``j`` holds ``0, 1, ...,
    cardinalities[j] - 1`` (as floats, as :class:`~sknn.TableEncoder` with
    ``encode="ordinal"`` writes them). A subclass maps each code to its values;
    the codes themselves have no gradient."""

    _constraints = {"cardinalities": lambda value: value is not None}

    def _parameters(self, n_selected):
        cards = np.asarray(self.cardinalities)
        if (cards.shape != (n_selected,) or cards.dtype.kind not in "iu"
                or (cards.size and cards.min() < 1)):
            raise ValueError(
                f"{type(self).__name__}'s cardinalities must be one positive integer per "
                f"selected column ({n_selected}), got {self.cardinalities!r}."
            )
        self._cardinalities = cards.astype(np.intp)
        self._offsets = np.concatenate([[0], np.cumsum(self._cardinalities)[:-1]]).astype(np.intp)
        self.n_levels = int(self._cardinalities.sum())
        return self._code_parameters()

    def _codes(self, X):
        """Each row's level of each selected column, as a row of the stacked
        levels of all columns: ``(n, selected)`` integers."""
        codes = X[:, self._index]
        valid = (codes >= 0) & (codes < self._cardinalities) & (codes == np.floor(codes))
        if not valid.all():
            row, column = np.argwhere(~valid)[0]
            raise ValueError(
                f"{type(self).__name__}: input column {self._index[column]} holds "
                f"{codes[row, column]!r} in row {row}, which is not a category code in "
                f"[0, {self._cardinalities[column]}); give the codes TableEncoder(encode="
                "'ordinal') writes."
            )
        return codes.astype(np.intp) + self._offsets

    def allocate(self, rows, dtype, input_grad):
        self._allocate_input_grad(rows, dtype, input_grad)

    def _codes_onnx(self, graph, x):
        """ONNX: the selected columns' rows of the stacked levels, ``(n, selected)``."""
        codes = graph.node("Gather", [x, graph.const(self._index, graph.INT64, "columns")],
                           axis=1)
        return graph.node("Add", [graph.node("Cast", [codes], to=graph.INT64),
                                  graph.const(self._offsets[None], graph.INT64, "offsets")])


class OneHotEncoding(_CategoryCodes):
    """Each selected column of category codes one-hot: ``cardinalities[j]``
    columns, a 1 in the code's column.

    With the codes in the table and the one-hot columns made batch by batch,
    a table of many levels is held at one column per categorical feature.
    The output is the unselected columns, unchanged, then each selected
    column's one-hot block.

    Parameters
    ----------
    cardinalities : array-like of int
        The number of levels of each selected column.
    columns : array-like of int or bool, default=None
        The columns of codes (all by default).

    Examples
    --------
    >>> import numpy as np
    >>> layer = OneHotEncoding(cardinalities=[3], columns=[1])
    >>> layer.build(2)
    4
    >>> layer.forward(np.array([[0.5, 2.0], [1.5, 0.0]]))
    array([[0.5, 0. , 0. , 1. ],
           [1.5, 1. , 0. , 0. ]])
    """

    def __init__(self, cardinalities, columns=None):
        self.cardinalities = cardinalities
        self.columns = columns

    def _code_parameters(self):
        return ()

    def _width(self):
        return self.n_levels

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        X = _dense(X, self)
        codes = self._codes(X)
        out, encoded = self._output(X, out, X.dtype)
        encoded[...] = 0.0
        encoded[np.arange(X.shape[0])[:, None], codes] = 1.0
        if training:
            self.output = out
        return out

    def backward(self, delta):
        return self._input_grad(delta, 0.0)

    def output_bound(self, bound):
        return max(bound, 1.0)

    def summary(self):
        return {"normalization": "OneHotEncoding"}

    def to_onnx(self, graph, x):
        rows = graph.node("Gather", [graph.const(np.eye(self.n_levels), name="levels"),
                                     self._codes_onnx(graph, x)], axis=0)  # (n, f, levels)
        # the columns' one-hot rows added up: a 1 in each column's block
        ones = graph.const(np.ones((1, self._index.size)))
        return self._output_onnx(graph, x, graph.node("MatMul", [ones, rows]))


class CategoricalEmbedding(_CategoryCodes):
    """Each selected column of category codes as a learned vector of its
    level: ``dim`` trainable values per level and column (an embedding
    table, as PyTorch's ``nn.Embedding`` for each column).

    The vectors start uniform in ``[-1/sqrt(dim), 1/sqrt(dim)]``. The output
    is the unselected columns, unchanged, then each selected column's
    ``dim`` values.

    Parameters
    ----------
    cardinalities : array-like of int
        The number of levels of each selected column.
    dim : int, default=8
        Values per level.
    columns : array-like of int or bool, default=None
        The columns of codes (all by default).

    Examples
    --------
    >>> import numpy as np
    >>> layer = CategoricalEmbedding(cardinalities=[2], dim=2)
    >>> layer.build(1)
    2
    >>> layer.bind("embedding", np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> layer.forward(np.array([[1.0], [0.0]]))
    array([[3., 4.],
           [1., 2.]])
    """

    _constraints = {**_CategoryCodes._constraints, "dim": Interval(Integral, 1, None, "left")}

    def __init__(self, cardinalities, dim=8, columns=None):
        self.cardinalities = cardinalities
        self.dim = dim
        self.columns = columns

    @property
    def per_column(self):
        return int(self.dim)

    def _code_parameters(self):
        return (Parameter("embedding", (self.n_levels, self.per_column),
                          "category_embeddings_"),)

    def initialize(self, init, random_state, dtype):
        bound = 1.0 / np.sqrt(self.per_column)
        self.embedding[...] = random_state.uniform(-bound, bound, self.embedding.shape)

    def allocate(self, rows, dtype, input_grad):
        super().allocate(rows, dtype, input_grad)
        self._rows = np.empty((rows, self._index.size), np.intp)

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        X = _dense(X, self)
        n = X.shape[0]
        codes = self._codes(X)
        out, encoded = self._output(X, out, self.embedding.dtype)
        encoded.reshape(n, self._index.size, self.per_column)[...] = self.embedding[codes]
        if training:
            self._rows[:n] = codes
            self.output = out
        return out

    def backward(self, delta):
        n, d = delta.shape[0], self.per_column
        self.embedding_grad[...] = 0.0
        np.add.at(self.embedding_grad, self._rows[:n].ravel(),
                  delta[:, self._rest.size:].reshape(-1, d))
        return self._input_grad(delta, 0.0)

    def output_bound(self, bound):
        return max(bound, float(np.abs(self.embedding).max(initial=0.0)))

    def summary(self):
        return {"normalization": f"CategoricalEmbedding({self.per_column})"}

    def to_onnx(self, graph, x):
        vectors = graph.node("Gather", [graph.const(self.embedding, name="embedding"),
                                        self._codes_onnx(graph, x)], axis=0)  # (n, f, dim)
        return self._output_onnx(graph, x, vectors)


class EnsembleInput(Layer):
    """``members`` copies of each row, member ``i``'s multiplied by its own
    learned scale per input column: the only per-member parameters before
    the heads.

    The output has ``members`` rows per input row (sample-major: row ``s *
    members + i`` is member ``i`` of sample ``s``), so the layers after it
    are shared by the members and treat each member's row as a sample. The
    scales start random, +-1 (``init="signs"``) or standard normal
    (``init="normal"``): that is what makes the members differ.

    Parameters
    ----------
    members : int, default=8
    init : {"signs", "normal"}, default="signs"

    Examples
    --------
    >>> import numpy as np
    >>> layer = EnsembleInput(members=2)
    >>> layer.build(3)
    3
    >>> layer.bind("scale", np.array([[1.0, 1.0, 1.0], [-1.0, 2.0, 0.0]]))
    >>> layer.forward(np.array([[1.0, 2.0, 3.0]]))
    array([[ 1.,  2.,  3.],
           [-1.,  4.,  0.]])
    """

    writes_output = True
    _constraints = {
        "members": Interval(Integral, 1, None, "left"),
        "init": lambda value: value in ("signs", "normal"),
    }

    def __init__(self, members=8, init="signs"):
        self.members = members
        self.init = init

    @property
    def row_multiplier(self):
        return int(self.members)

    def build(self, n_inputs):
        units = super().build(n_inputs)
        self.parameters = (Parameter("scale", (int(self.members), units), "ensemble_scales_"),)
        return units

    def initialize(self, init, random_state, dtype):
        shape = self.scale.shape
        if self.init == "signs":
            self.scale[...] = np.where(random_state.random_sample(shape) < 0.5, -1.0, 1.0)
        else:
            self.scale[...] = random_state.standard_normal(shape)

    def allocate(self, rows, dtype, input_grad):
        self._out = np.empty((rows * int(self.members), self.units), dtype)
        self._dx = np.empty((rows, self.units), dtype) if input_grad else None

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        X = _dense(X, self)
        n, (k, d) = X.shape[0], self.scale.shape
        if training:
            out = self._out[: n * k]
            self.input = X
        elif out is None or not out.flags.c_contiguous:
            out = np.empty((n * k, d), self.scale.dtype)
        np.multiply(X[:, None, :], self.scale, out=out.reshape(n, k, d))
        return out

    def backward(self, delta):
        k, d = self.scale.shape
        delta3 = delta.reshape(-1, k, d)
        self.scale_grad[...] = np.einsum("nkd,nd->kd", delta3, self.input)
        if self._dx is None:
            return None
        dx = self._dx[: delta3.shape[0]]
        np.einsum("nkd,kd->nd", delta3, self.scale, out=dx)
        return dx

    def output_bound(self, bound):
        return bound * float(np.abs(self.scale).max())

    def summary(self):
        return {"normalization": f"EnsembleInput({int(self.members)})"}

    def to_onnx(self, graph, x):
        k, d = self.scale.shape
        rows = graph.node("Reshape", [x, graph.const([0, 1, d], graph.INT64)])
        scaled = graph.node("Mul", [rows, graph.const(self.scale)])  # (n, k, d)
        return graph.node("Reshape", [scaled, graph.const([-1, d], graph.INT64)])


class EnsembleHead(Layer):
    """The members' own output layers: member ``i``'s rows map through its
    own weights ``coef[i]`` and intercepts ``intercept[i]``.

    The number of members is that of the :class:`EnsembleInput` before it
    (``input_members``, set by ``Network``). Each member keeps its own rows:
    the network trains on the mean of the members' losses and predicts the
    mean of their output activations.

    Parameters
    ----------
    units : int
        Outputs of each member.

    Examples
    --------
    >>> import numpy as np
    >>> head = EnsembleHead(1)
    >>> head.input_members = 2
    >>> head.build(2)
    1
    >>> head.bind("coef", np.array([[[1.0], [0.0]], [[0.0], [1.0]]]))
    >>> head.bind("intercept", np.array([[0.0], [10.0]]))
    >>> head.forward(np.array([[1.0, 2.0], [3.0, 4.0]]))  # one sample, two members
    array([[ 1.],
           [14.]])
    """

    writes_output = True
    starts_row = True
    _constraints = {"units": Interval(Integral, 1, None, "left")}

    def __init__(self, units):
        self.units = units

    def build(self, n_inputs):
        self.validate()
        k = int(self.input_members)
        self.fan_in, units = int(n_inputs), int(self.units)
        self.parameters = (
            Parameter("coef", (k, self.fan_in, units), "head_coefs_", weight=True),
            Parameter("intercept", (k, units), "head_intercepts_"),
        )
        return units

    def initialize(self, init, random_state, dtype):
        if hasattr(init, "for_activation"):
            init = init.for_activation("identity")
        for i in range(self.coef.shape[0]):
            self.coef[i], self.intercept[i] = initial_parameters(
                init, self.fan_in, self.coef.shape[2], random_state, dtype)

    def allocate(self, rows, dtype, input_grad):
        k, d, units = self.coef.shape
        self._z = np.empty((k, rows // k, units), dtype)
        self._dx = np.empty((rows, d), dtype) if input_grad else None

    def _by_member(self, A):
        """``(members, n_samples, width)`` view of sample-major member rows."""
        k = self.coef.shape[0]
        return A.reshape(-1, k, A.shape[1]).transpose(1, 0, 2)

    def forward(self, X, *, training=False, sample_weight=None, rng=None, out=None,
                check_finite=False):
        k, _, units = self.coef.shape
        Xm = self._by_member(np.ascontiguousarray(X))
        n = Xm.shape[1]
        Z = np.matmul(Xm, self.coef, out=self._z[:, :n] if training else None)
        Z += self.intercept[:, None, :]
        if out is None or not out.flags.c_contiguous:
            out = np.empty((n * k, units), self.coef.dtype)
        self._by_member(out)[...] = Z
        if check_finite and not np.isfinite(Z).all():
            raise NonFinitePreactivation("a pre-activation is not finite")
        if training:
            self.input = Xm
        return out

    def backward(self, delta):
        dm = self._by_member(delta)
        np.matmul(self.input.transpose(0, 2, 1), dm, out=self.coef_grad)
        self.intercept_grad[...] = dm.sum(axis=1)
        if self._dx is None:
            return None
        dx = self._dx[: delta.shape[0]]
        np.matmul(dm, self.coef.transpose(0, 2, 1), out=self._by_member(dx))
        return dx

    def output_bound(self, bound):
        column = float(np.abs(self.coef).sum(axis=1).max())
        return bound * column + float(np.abs(self.intercept).max())

    def summary(self):
        return {"units": int(self.units), "activation": "identity"}

    def to_onnx(self, graph, x):
        k, d, units = self.coef.shape
        by_member = graph.node("Transpose", [graph.node(
            "Reshape", [x, graph.const([-1, k, d], graph.INT64)])], perm=[1, 0, 2])
        Z = graph.node("Add", [graph.node("MatMul", [by_member, graph.const(self.coef)]),
                               graph.const(self.intercept[:, None, :])])  # (k, n, units)
        Z = graph.node("Transpose", [Z], perm=[1, 0, 2])
        return graph.node("Reshape", [Z, graph.const([-1, units], graph.INT64)])
