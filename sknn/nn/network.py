"""The numpy core: a network as a sequence of layers. Never imports scikit-learn.

A trainable :class:`Network` keeps every parameter in one flat vector (and
its gradient in another), laid out as scikit-learn's L-BFGS packing: first
the weight matrices, then the other trainable parameters (intercepts,
normalization scales and shifts), each layer's part a view bound to the
layer. Optimizers and L-BFGS update the whole vector in a few passes. State
the layers update themselves (running statistics) follows in the same
buffer, outside ``params``: ``values`` is all of it, for snapshots.

The regularizers and constraints the layers declare on their parameters are
collected as :attr:`Network.regularized` and applied by the solvers;
parameters next to each other that carry the same element-wise regularizer
are joined into one flat slice (every dense layer's weights, with the
estimators' ``penalty``), which the regularizer treats in one pass.

One forward walk (:meth:`Network.forward`) serves training, the validation
score and prediction, which walks large inputs in chunks with per-call
buffers (:meth:`Network.predict`).
"""

import math
from collections import defaultdict
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from .activations import OUTPUT_ACTIVATIONS
from .component import clone_component
from .layers import ActivationLayer, Dense, Dropout, NonFinitePreactivation

__all__ = ["Network", "NonFinitePreactivation", "Regularized", "dense_stack", "describe"]

# Rows per prediction chunk are chosen so that one layer's buffer holds about
# this many values (8 MB in float64): big enough for efficient matrix
# products, small enough to bound memory on any input size (chunk sizes
# measured in benchmarks/README.md).
_CHUNK_VALUES = 1 << 20


def dense_stack(hidden, n_outputs, activation, dropout=(), normalization=None,
                regularizer=None, input_regularizer=None, constraint=None,
                input_constraint=None):
    """The layers of a multi-layer perceptron.

    Each hidden layer is a dense layer with its activation fused, or, with a
    normalization, a dense layer, the normalization and the activation; then
    dropout where its rate is positive. The output layer is dense (its
    activation is the loss's).

    Parameters
    ----------
    hidden : sequence of int
        Units of each hidden layer.
    n_outputs : int
    activation : str or sequence of str
        Activation of the hidden layers, or one per hidden layer.
    dropout : sequence of float
        Drop rate after each hidden layer (none where 0, or when empty).
    normalization : Layer, optional
        A layer (configured, not built) that a copy of goes between each
        hidden dense layer and its activation.
    regularizer : Regularizer, optional
        Penalty on every dense layer's weights.
    input_regularizer : Regularizer, optional
        A further penalty on the first layer's weights (the feature group
        lasso).
    constraint : Constraint, optional
        Constraint of the hidden units' incoming weights.
    input_constraint : Constraint, optional
        A further constraint of the first layer's weights (e.g. ``ZeroRows``).

    Examples
    --------
    >>> [type(layer).__name__ for layer in dense_stack([4, 4], 1, "relu", (0.5, 0.0))]
    ['Dense', 'Dropout', 'Dense', 'Dense']
    >>> from sknn.nn import LayerNormalization
    >>> [type(layer).__name__ for layer in dense_stack([4], 1, ["tanh"],
    ...                                               normalization=LayerNormalization())]
    ['Dense', 'LayerNormalization', 'ActivationLayer', 'Dense']
    """
    n_hidden = len(hidden)
    activations = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    # scikit-learn's 'auto' initialization of the output layer follows the
    # (last) hidden activation
    last = activations[-1] if activations else activation if isinstance(activation, str) else "relu"
    layers = []
    for i, units in enumerate(hidden):
        regularizers = [r for r in (regularizer, input_regularizer if i == 0 else None) if r]
        constraints = [c for c in (constraint, input_constraint if i == 0 else None) if c]
        if normalization is None:
            layers.append(Dense(units, activations[i], kernel_regularizer=regularizers,
                                kernel_constraint=constraints))
        else:
            layers.append(Dense(units, "identity", init_activation=activations[i],
                                kernel_regularizer=regularizers, kernel_constraint=constraints))
            layers += [clone_component(normalization), ActivationLayer(activations[i])]
        if len(dropout) and dropout[i] > 0:
            layers.append(Dropout(dropout[i]))
    regularizers = [r for r in (regularizer, input_regularizer if not hidden else None) if r]
    layers.append(Dense(n_outputs, "identity", init_activation=last,
                        kernel_regularizer=regularizers,
                        kernel_constraint=[input_constraint] if input_constraint and not hidden
                        else None))
    return layers


def describe(layers):
    """One row per dense layer and what follows it: the fields each layer's
    ``summary()`` gives (units, activation, normalization, dropout rate),
    trainable and non-trainable parameters, and, for layers bound to values,
    the non-zero trainable parameters. A layer before the first dense layer
    has a row of its own.

    The output layer's activation is left to the caller (it is the loss's).

    Examples
    --------
    >>> from sknn.nn import Network, SquaredError
    >>> net = Network(dense_stack([4], 1, "tanh", (0.5,)), 6, SquaredError(), np.float64)
    >>> describe(net.layers)[0]
    {'units': 4, 'activation': 'tanh', 'normalization': '', 'dropout': 0.5, 'params': 28, \
'non_trainable': 0, 'nonzero': 0}
    """
    rows = []
    for layer in layers:
        if layer.starts_row or not rows:
            rows.append(dict(units=layer.units, activation="", normalization="", dropout=0.0,
                             params=0, non_trainable=0, nonzero=0))
        row = rows[-1]
        fields = layer.summary()
        if row["normalization"] and fields.get("normalization"):  # several: listed in order
            fields["normalization"] = f"{row['normalization']}, {fields['normalization']}"
        row.update(fields)
        for p in layer.parameters:
            row["params" if p.trainable else "non_trainable"] += int(np.prod(p.shape))
            if p.trainable and hasattr(layer, p.name):
                row["nonzero"] += int(
                    np.count_nonzero(getattr(layer, p.name)))
    return rows


class Regularized(NamedTuple):
    """A regularizer and the parameter values it is attached to.

    ``values`` and ``grad`` are views of the flat vectors, ``[start:stop]``
    (a parameter's own shape where the regularizer is not element-wise).
    """

    regularizer: Any
    values: np.ndarray
    grad: np.ndarray
    start: int
    stop: int


class Network:
    """A trainable feed-forward network over one flat parameter vector.

    Parameters
    ----------
    layers : list of Layer
        Configured layers; the network builds them in order.
    n_inputs : int
        Width of the input.
    loss : Loss
        The training loss, which also gives the output activation.
    dtype : numpy dtype
        float32 or float64; every parameter and buffer has it.

    Attributes
    ----------
    params, grad : ndarray of shape (n_params,)
        The flat trainable parameters and their gradient.
    values : ndarray
        ``params`` followed by the layers' own state (running statistics).
    regularized : list of Regularized
        The regularizers and the parameters they are attached to.

    Examples
    --------
    >>> from sknn.nn import LogLoss
    >>> net = Network(dense_stack([5], 2, "tanh"), 3, LogLoss(), np.float64)
    >>> net.params[:] = np.linspace(-1, 1, net.params.size)
    >>> X = np.ones((4, 3)); Y = np.eye(2)[[0, 1, 1, 0]]
    >>> round(net.loss_grad(X, Y), 4)  # mean log-loss; its gradient is in net.grad
    0.6961
    >>> net.predict(X).sum(axis=1)
    array([1., 1., 1., 1.])
    """

    def __init__(self, layers, n_inputs, loss, dtype):
        self._setup(layers, n_inputs, loss.out_activation, dtype)
        self.loss = loss
        bound = [(layer, p) for layer in self.layers for p in layer.parameters]
        # weights first, then the other trainable parameters, then state;
        # each group in layer order
        bound.sort(key=lambda item: (not item[1].trainable, not item[1].weight))
        sizes = [math.prod(p.shape) for _, p in bound]
        n_trainable = sum(size for (_, p), size in zip(bound, sizes) if p.trainable)
        self.values = np.zeros(sum(sizes), dtype=self.dtype)
        self.params = self.values[:n_trainable]
        self.grad = np.zeros_like(self.params)
        self.regularized, self._constrained = [], []
        start = 0
        for (layer, p), size in zip(bound, sizes):
            stop = start + size
            value = self.values[start:stop].reshape(p.shape)
            grad = self.grad[start:stop].reshape(p.shape) if p.trainable else None
            layer.bind(p.name, value, grad)
            for regularizer in p.regularizers:
                self._attach(regularizer, value, grad, start, stop)
            constraints = p.constraint if isinstance(p.constraint, tuple) else (p.constraint,)
            self._constrained += [(c, value) for c in constraints if c is not None]
            start = stop
        self._capacity = 0

    def _attach(self, regularizer, value, grad, start, stop):
        regularizer.validate()
        if regularizer.elementwise:
            for i, r in enumerate(self.regularized):
                if r.regularizer is regularizer and r.stop == start:  # join the slices
                    self.regularized[i] = Regularized(
                        regularizer, self.params[r.start:stop], self.grad[r.start:stop],
                        r.start, stop)
                    return
            value, grad = value.reshape(-1), grad.reshape(-1)
        self.regularized.append(Regularized(regularizer, value, grad, start, stop))

    @classmethod
    def from_fitted(cls, layers, n_inputs, out_activation, attributes, dtype):
        """A network that predicts with an estimator's fitted arrays.

        ``attributes`` maps each parameter's ``attribute`` (``"coefs_"``, ...)
        to its list of arrays, one per layer that has the parameter, in layer
        order. The arrays are used as they are (cast only if their dtype is
        not ``dtype``); the network cannot train. ``sources`` lists them as
        ``(attribute, index, array)``.
        """
        net = cls.__new__(cls)
        net._setup(layers, n_inputs, out_activation, dtype)
        position = defaultdict(int)
        net.sources = []  # (attribute, index, the array as given)
        for layer in net.layers:
            for p in layer.parameters:
                i = position[p.attribute]
                value = attributes[p.attribute][i]
                position[p.attribute] += 1
                net.sources.append((p.attribute, i, value))
                layer.bind(p.name, value.astype(net.dtype, copy=False))
        return net

    def _setup(self, layers, n_inputs, out_activation, dtype):
        self.layers = list(layers)
        self.n_inputs = int(n_inputs)
        units, members = self.n_inputs, 1
        self._members_in = []  # ensemble members per sample among each layer's input rows
        for layer in self.layers:
            self._members_in.append(members)
            layer.input_members = members
            units = layer.build(units)
            members *= int(layer.row_multiplier)
        self.members = members
        self.out_activation = out_activation
        self.output_function = OUTPUT_ACTIVATIONS[out_activation].function
        self.dtype = np.dtype(dtype)
        writers = [i for i, layer in enumerate(self.layers) if layer.writes_output]
        self._output_layer = writers[-1]
        self.n_outputs = units

    # ------------------------------------------------------------ parameters
    def initialize(self, init, random_state, X=None, sample_weight=None):
        """Draw initial parameters, layer by layer (see ``initializers``),
        then, given the training input ``X`` (or a sample of it) and the rows'
        weights, adapt the adaptive layers to what reaches them (see
        ``Layer.adapt``)."""
        for layer in self.layers:
            layer.initialize(init, random_state, self.dtype)
        adaptive = [i for i, layer in enumerate(self.layers) if layer.adaptive]
        if X is None or not adaptive:
            return
        A = np.asarray(X, dtype=self.dtype)  # only read: the layers see copies of its rows
        for layer in self.layers[: adaptive[-1] + 1]:
            if layer.adaptive:
                layer.adapt(A, sample_weight)
            if layer is self.layers[adaptive[-1]]:
                break  # (its output is not needed)
            A = _forward_blocks(layer, A)
            if sample_weight is not None and layer.row_multiplier > 1:
                sample_weight = np.repeat(sample_weight, layer.row_multiplier)

    @property
    def stochastic(self):
        """Whether training draws random numbers (dropout masks)."""
        return any(layer.stochastic for layer in self.layers)

    @property
    def constrained(self):
        """Whether a parameter has a constraint to apply after every step."""
        return bool(self._constrained)

    def apply_constraints(self):
        """Project the parameters onto their constraints."""
        for constraint, value in self._constrained:
            constraint(value)

    def smooth_penalty(self, m):
        """Add the regularizers' smooth gradients to :attr:`grad` for a batch
        of ``m`` samples (or weight); returns their value."""
        return sum(r.regularizer.smooth(r.values, r.grad, m) for r in self.regularized)

    def nonsmooth_penalty(self, m):
        """The value of the regularizers' non-smooth parts."""
        return sum(r.regularizer.nonsmooth(r.values, m) for r in self.regularized)

    def fitted_attributes(self, copy=False):
        """The network as scikit-learn's fitted attributes.

        Each parameter goes to the list named by its ``attribute``
        (``coefs_``, ``intercepts_``, ...), plus ``n_layers_``,
        ``n_outputs_``, ``out_activation_``, ``n_params_`` and
        ``n_nonzero_params_``. The arrays are views of the flat vector unless
        ``copy``.
        """
        attributes = defaultdict(list)
        for layer in self.layers:
            for p in layer.parameters:
                value = getattr(layer, p.name)
                attributes[p.attribute].append(value.copy() if copy else value)
        attributes.update(
            n_layers_=sum(layer.starts_row for layer in self.layers) + 1,
            n_outputs_=self.n_outputs,
            out_activation_=self.out_activation,
            n_params_=int(self.params.size),
            n_nonzero_params_=int(np.count_nonzero(self.params)),
        )
        return dict(attributes)

    def nonzero_weights(self):
        """The number of non-zero weights of each dense layer."""
        return [int(np.count_nonzero(getattr(layer, layer.tracked_weight)))
                for layer in self.layers if layer.tracked_weight is not None]

    def load(self, attributes):
        """Copy fitted attributes (as :meth:`fitted_attributes` names them)
        into the parameters."""
        position = defaultdict(int)
        for layer in self.layers:
            for p in layer.parameters:
                getattr(layer, p.name)[...] = attributes[p.attribute][position[p.attribute]]
                position[p.attribute] += 1

    # ---------------------------------------------------------------- passes
    def forward(self, X, training=False, sample_weight=None, rng=None, outs=None,
                check_layers=0):
        """The output of the last layer (before the output activation).

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
        training : bool
            Keep what :meth:`backward` needs (see ``Layer.forward``).
        sample_weight : ndarray of shape (n_samples,), optional
            The batch's weights, for layers that use them in training.
        rng : numpy.random.Generator, optional
            Randomness of training (dropout).
        outs : list, optional
            Per layer, the buffer inference writes its output into (or None).
        check_layers : int
            Raise :class:`NonFinitePreactivation` when a pre-activation of one
            of the first ``check_layers`` layers is not finite.
        """
        A = X
        for i, layer in enumerate(self.layers):
            A = layer.forward(A, training=training, sample_weight=sample_weight, rng=rng,
                              out=None if outs is None else outs[i],
                              check_finite=i < check_layers)
            if sample_weight is not None and layer.row_multiplier != 1:
                sample_weight = np.repeat(sample_weight, layer.row_multiplier)
        return A

    def backward(self, delta):
        """Gradients of every parameter from the output delta."""
        for layer in reversed(self.layers):
            delta = layer.backward(delta)

    def _reserve(self, rows):
        if rows > self._capacity:
            for i, layer in enumerate(self.layers):
                layer.allocate(rows * self._members_in[i], self.dtype, input_grad=i > 0)
            self._capacity = rows

    def loss_grad(self, X, Y, sample_weight=None, rng=None, penalize=False):
        """Loss of a batch, its gradient written into :attr:`grad`.

        The loss is ``sum_i s_i loss_i / m`` with ``m = sum_i s_i`` (the
        number of rows without weights); an ensemble's ``loss_i`` is the mean
        of its members' losses. A batch whose weights sum to zero
        carries no signal: loss and gradient are zero.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
            Targets (indicator matrix for classification), in the network's
            dtype.
        sample_weight : ndarray of shape (n_samples,), optional
        rng : numpy.random.Generator, optional
            Randomness of training (dropout).
        penalize : bool
            Add the regularizers' smooth parts (value and gradient), as
            L-BFGS wants them.

        Returns
        -------
        loss : float
        """
        n = X.shape[0]
        self._reserve(n)
        delta = self.forward(X, training=True, sample_weight=sample_weight, rng=rng)
        if self.members > 1:  # each member's rows against the targets: the members' mean loss
            n *= self.members
            Y = np.repeat(Y, self.members, axis=0)
            if sample_weight is not None:
                sample_weight = np.repeat(sample_weight, self.members)
        losses = self.loss.loss_and_delta(delta, Y)
        if sample_weight is None:
            m = float(n)
            loss = float(losses.sum())
        else:
            m = float(sample_weight.sum())
            if not m > 0.0:
                self.grad[...] = 0.0
                return 0.0
            loss = float(np.dot(losses, sample_weight))
            delta *= sample_weight[:, None]
        delta *= 1.0 / m
        loss /= m
        self.backward(delta)
        if penalize:
            loss += self.smooth_penalty(m)
        return loss

    def predict(self, X, chunk_rows=None, check_layers=0, raw=False, members=False):
        """Output activations for ``X``, in chunks of rows.

        Allocates only per-call buffers of at most ``chunk_rows`` rows, so
        memory stays bounded on any input size and concurrent calls do not
        interfere.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
        chunk_rows : int, optional
            Rows per chunk; by default about 2**20 values per layer buffer.
        check_layers : int
            See :meth:`forward`. With 1 this checks ``X`` for NaN and infinity
            without a pass of its own (a NaN or an infinity in ``X`` makes
            every first-layer pre-activation it enters non-finite); it also
            fires when the product overflows. With every layer, the fit's
            divergence checks see an overflow that a saturating activation
            (ReLU of -inf, tanh) would hide from the output.
        raw : bool
            Return the last layer's output without the output activation.
        members : bool
            Return each ensemble member's output, ``(n_samples, members,
            n_outputs)``, rather than their mean.

        Returns
        -------
        out : ndarray of shape (n_samples, n_outputs)
            The output activations (of an ensemble, the mean of its members'),
            or with ``members`` of shape ``(n_samples, members, n_outputs)``.
        """
        n, k = X.shape[0], self.members
        rows_out = [m * layer.row_multiplier for m, layer in zip(self._members_in, self.layers)]
        if chunk_rows is None:
            # a chunk of a dense input is copied when its dtype changes; a
            # chunk of a sparse input costs its non-zeros, not its width
            width = 0 if sp.issparse(X) else X.shape[1]
            widest = max(width, *(m * layer.units for m, layer in zip(rows_out, self.layers)))
            chunk_rows = _CHUNK_VALUES // widest
        chunk_rows = max(1, min(chunk_rows, n))
        out = np.empty((n, k, self.n_outputs) if members else (n, self.n_outputs), self.dtype)
        last = self._output_layer
        buffers = [
            np.empty(chunk_rows * m * layer.units, self.dtype)
            if layer.writes_output and (i != last or k > 1) else None
            for i, (m, layer) in enumerate(zip(rows_out, self.layers))
        ]
        for start in range(0, n, chunk_rows):
            stop = min(start + chunk_rows, n)
            A = _rows(X, start, stop)
            if A.dtype != self.dtype:
                A = A.astype(self.dtype)
            outs = [_column_major(buffer, (stop - start) * m, layer.units)
                    if buffer is not None else None
                    for buffer, m, layer in zip(buffers, rows_out, self.layers)]
            if k == 1:
                outs[last] = out[start:stop, 0] if members else out[start:stop]
            else:
                outs[last] = buffers[last][: (stop - start) * k * self.n_outputs].reshape(
                    -1, self.n_outputs)
            A = self.forward(A, outs=outs, check_layers=check_layers)
            if not raw:
                self.output_function(A)
            if k > 1:
                A = A.reshape(stop - start, k, self.n_outputs)
                if members:
                    out[start:stop] = A
                else:
                    np.mean(A, axis=1, out=out[start:stop])
        return out

    def evaluate(self, X, Y, check_layers=0, activations=True):
        """Output activations and per-sample losses of ``X`` against ``Y``.

        The losses are an ensemble's mean over its members, as in training.
        Raises :class:`NonFinitePreactivation` as :meth:`predict`.

        Returns
        -------
        P : ndarray of shape (n_samples, n_outputs) or None
            The output activations (None unless ``activations``).
        losses : ndarray of shape (n_samples,)
        """
        k = self.members
        raw = self.predict(X, check_layers=check_layers, raw=True, members=k > 1)
        P = None
        if activations:
            P = raw.copy()
            self.output_function(P.reshape(-1, self.n_outputs))
            if k > 1:
                P = P.mean(axis=1)
        if k == 1:
            return P, self.loss.loss_and_delta(raw, Y)
        losses = self.loss.loss_and_delta(raw.reshape(-1, self.n_outputs),
                                          np.repeat(Y, k, axis=0))
        return P, losses.reshape(-1, k).mean(axis=1)

    def refresh_statistics(self, X, sample_weight=None):
        """Set the layers' running statistics to those of ``X`` at the current
        parameters (one training pass)."""
        if all(p.trainable for layer in self.layers for p in layer.parameters):
            return
        self._reserve(X.shape[0])
        A = X
        for layer in self.layers:
            out = layer.forward(A, training=True, sample_weight=sample_weight)
            layer.refresh_statistics(A, sample_weight)
            A = out

    def output_bound(self, bound):
        """An upper bound of every layer's ``|output|`` for inputs bounded by ``bound``."""
        for layer in self.layers:
            bound = layer.output_bound(bound)
        return bound


def _forward_blocks(layer, A, values=2**18):
    """The inference output of ``layer`` for all of ``A``, computed a block of
    about ``values`` values at a time, so that the layer's temporaries stay
    small; each block is a copy, since inference may work in place."""
    multiplier = int(layer.row_multiplier)
    out = np.empty((A.shape[0] * multiplier, layer.units), A.dtype)
    step = max(1, values // max(A.shape[1], layer.units * multiplier))
    for start in range(0, A.shape[0], step):
        stop = min(start + step, A.shape[0])
        out[start * multiplier:stop * multiplier] = layer.forward(A[start:stop].copy())
    return out


def _rows(X, start, stop):
    """``X[start:stop]``; for a CSR matrix a view of its arrays, not the copy
    scipy's slicing makes."""
    if not (sp.issparse(X) and X.format == "csr"):
        return X[start:stop]
    a, b = X.indptr[start], X.indptr[stop]
    return sp.csr_matrix((X.data[a:b], X.indices[a:b], X.indptr[start:stop + 1] - a),
                         shape=(stop - start, X.shape[1]), copy=False)


def _column_major(buffer, rows, units):
    """A ``(rows, units)`` column-major view of the start of ``buffer``.

    Hidden outputs of prediction are column-major: OpenBLAS writes ``A @ W``
    into them faster (benchmarks/README.md).
    """
    return buffer[: rows * units].reshape((rows, units), order="F")
