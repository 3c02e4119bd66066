"""The numpy core: a dense network over one flat parameter buffer.

Never imports scikit-learn. ``coefs[i]`` (shape ``(fan_in, fan_out)``) and
``intercepts[i]`` are views into one flat vector laid out as scikit-learn's
L-BFGS packing (all weight matrices, then all intercepts), so optimizers
update every parameter in a few in-place passes and the penalty sees all the
weights as one contiguous slice. The gradient has the same layout.

Training buffers (pre-activations, dropout masks, deltas) are allocated once
per batch size and reused; prediction allocates its own small buffers per
call and walks large inputs in chunks, so one network can predict from many
threads.
"""

import numpy as np
import scipy.sparse as sp

from ._activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from ._losses import LOSSES
from ._penalties import l2_share, penalize

__all__ = ["Network", "NonFinitePreactivation", "n_parameters", "predict_output"]

# Rows per prediction chunk are chosen so that one layer's buffer holds about
# this many values (8 MB in float64): big enough for efficient matrix
# products, small enough to bound memory on any input size. predict_proba on
# 20k x 256 rows, hidden (256, 128), paired against 4096-row chunks: 512 rows
# 1.11-1.14 of the time, 2048 rows 1.03, 8192 rows 1.02.
_CHUNK_VALUES = 1 << 20


def n_parameters(layer_units):
    """Trainable parameters of dense layers ``fi * fo + fo``, summed.

    Examples
    --------
    >>> n_parameters([6, 4, 4, 1])
    53
    """
    return sum(fi * fo + fo for fi, fo in zip(layer_units[:-1], layer_units[1:]))


def _views(flat, layer_units):
    """Split a flat vector into weight-matrix and intercept views."""
    coefs, intercepts, start = [], [], 0
    for fi, fo in zip(layer_units[:-1], layer_units[1:]):
        coefs.append(flat[start : start + fi * fo].reshape(fi, fo))
        start += fi * fo
    for fo in layer_units[1:]:
        intercepts.append(flat[start : start + fo])
        start += fo
    return coefs, intercepts


class Network:
    """A feed-forward network with backpropagation.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input and output included.
    activation : str
        Hidden activation, a key of ``ACTIVATIONS``.
    out_activation : str
        Output activation, a key of ``LOSSES`` (which pairs it with its loss).
    dtype : numpy dtype
        float32 or float64; every buffer has it.

    Attributes
    ----------
    params, grad : ndarray of shape (n_params,)
        Flat parameters and their gradient.
    coefs, intercepts, coef_grads, intercept_grads : list of ndarray
        Views into ``params`` and ``grad``.
    n_coef : int
        Length of the weight part of ``params`` (the part that is penalised).

    Examples
    --------
    >>> import numpy as np
    >>> net = Network([3, 5, 2], "tanh", "softmax", np.float64)
    >>> net.params[:] = np.linspace(-1, 1, net.params.size)
    >>> X = np.ones((4, 3)); Y = np.eye(2)[[0, 1, 1, 0]]
    >>> loss = net.loss_grad(X, Y)
    >>> net.predict(X).sum(axis=1)
    array([1., 1., 1., 1.])
    """

    def __init__(self, layer_units, activation, out_activation, dtype):
        self.layer_units = tuple(int(u) for u in layer_units)
        self.activation = ACTIVATIONS[activation]
        self.out_activation = out_activation
        self.loss = LOSSES[out_activation]
        self.dtype = np.dtype(dtype)
        self.n_coef = sum(
            fi * fo for fi, fo in zip(self.layer_units[:-1], self.layer_units[1:])
        )
        self.params = np.zeros(n_parameters(self.layer_units), dtype=self.dtype)
        self.grad = np.zeros_like(self.params)
        self.coefs, self.intercepts = _views(self.params, self.layer_units)
        self.coef_grads, self.intercept_grads = _views(self.grad, self.layer_units)
        self._capacity, self._dropout = 0, None

    @property
    def n_layers(self):
        return len(self.layer_units)

    def set_parameters(self, coefs, intercepts):
        """Copy lists of weight matrices and intercepts into the buffer."""
        for dst, src in zip(self.coefs + self.intercepts, list(coefs) + list(intercepts)):
            dst[...] = src

    def predict(self, X, chunk_rows=None):
        """Output activations for ``X``; see :func:`predict_output`."""
        return predict_output(
            X, self.coefs, self.intercepts, self.activation.name, self.out_activation, chunk_rows
        )

    # ----------------------------------------------------------------- training
    def _ensure_capacity(self, rows, dropout):
        """(Re)allocate training buffers for batches of up to ``rows`` rows."""
        if rows <= self._capacity and dropout == self._dropout:
            return
        hidden_units = self.layer_units[1:-1]
        alloc = lambda u: np.empty((rows, u), self.dtype)  # noqa: E731
        self._z = [alloc(u) for u in self.layer_units[1:]]
        self._delta = [alloc(u) for u in hidden_units]
        needs_z = self.activation.needs_preactivation
        self._h = [alloc(u) if needs_z else None for u in hidden_units]
        self._mask = [alloc(u) if p > 0 else None for u, p in zip(hidden_units, dropout)]
        self._dropped = [alloc(u) if p > 0 else None for u, p in zip(hidden_units, dropout)]
        # Intercept gradients are ones @ delta: a BLAS matrix-vector product,
        # 3-4x faster than np.sum(delta, axis=0) on (200, 256) batches.
        self._ones = np.ones(rows, self.dtype)
        self._penalty_tmp = np.empty(self.n_coef, self.dtype)
        self._capacity, self._dropout = rows, tuple(dropout)

    def loss_grad(
        self,
        X,
        Y,
        sample_weight=None,
        *,
        alpha=0.0,
        penalty="l2",
        l1_ratio=0.15,
        dropout=None,
        rng=None,
        l2=True,
    ):
        """Loss of a batch and its gradient, written into ``self.grad``.

        The loss is ``sum_i s_i loss_i / m + Omega`` with ``m = sum_i s_i``
        (the number of rows without weights) and ``Omega`` the penalty
        (see ``_penalties``).

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
            Targets (indicator matrix for classification), in ``self.dtype``.
        sample_weight : ndarray of shape (n_samples,), optional
        alpha, penalty, l1_ratio
            The penalty (see ``_penalties.penalize``).
        dropout : sequence of float, optional
            Drop rate per hidden layer (inverted dropout).
        rng : numpy.random.Generator, optional
            Draws the dropout masks; required when any rate is positive.
        l2 : bool
            False leaves the squared part of the penalty out of the loss and
            the gradient (see :meth:`train_step`).

        Returns
        -------
        loss : float
        """
        n = X.shape[0]
        n_hidden = self.n_layers - 2
        dropout = tuple(dropout) if dropout is not None else (0.0,) * n_hidden
        self._ensure_capacity(n, dropout)
        inputs, outputs = self._forward_train(X, n, dropout, rng)

        delta = self._z[-1][:n]
        losses = self.loss.loss_and_delta(delta, Y)
        if sample_weight is None:
            m = float(n)
            loss = float(losses.sum())
        else:
            m = float(sample_weight.sum())
            if not m > 0.0:
                # Every row of this batch has zero weight (zero class or
                # sample weights): it carries no signal, so no gradient.
                self.grad[...] = 0.0
                return 0.0
            loss = float(np.dot(losses, sample_weight))
            delta *= sample_weight[:, None]
        delta *= 1.0 / m
        loss /= m

        ones = self._ones[:n]
        for i in range(self.n_layers - 2, -1, -1):
            np.matmul(ones, delta, out=self.intercept_grads[i])
            if i == 0:
                _dot_t(X, delta, self.coef_grads[0])  # only the input can be sparse
                break
            np.matmul(inputs[i].T, delta, out=self.coef_grads[i])
            upstream = self._delta[i - 1][:n]
            np.matmul(delta, self.coefs[i].T, out=upstream)
            if dropout[i - 1] > 0:
                upstream *= self._mask[i - 1][:n]
            z = self._z[i - 1][:n] if self.activation.needs_preactivation else None
            self.activation.derivative(outputs[i - 1], upstream, z)
            delta = upstream

        coef_slice = slice(0, self.n_coef)
        loss += penalize(
            penalty,
            self.params[coef_slice],
            self.grad[coef_slice],
            alpha / (2.0 * m),
            l1_ratio,
            self._penalty_tmp,
            l2,
        )
        return loss

    def train_step(self, optimizer, X, Y, sample_weight=None, *, alpha=0.0, penalty="l2",
                   l1_ratio=0.15, dropout=None, rng=None):
        """One optimizer step on a batch; returns the batch's loss.

        The same loss and step as :meth:`loss_grad` followed by
        ``optimizer.update``, with one pass over memory less: the squared
        part of the penalty has the gradient ``2 s w``, linear in the
        weights, so the optimizer adds it in its own pass over the
        parameters instead of it going through ``self.grad``, and returns
        ``sum(w ** 2)`` for the loss (W1 step: about 5% faster).

        Parameters
        ----------
        optimizer : object with ``update(params, grad, decay, n_decay)``
        X, Y, sample_weight, alpha, penalty, l1_ratio, dropout, rng
            As for :meth:`loss_grad`.

        Returns
        -------
        loss : float
        """
        loss = self.loss_grad(X, Y, sample_weight, alpha=alpha, penalty=penalty,
                              l1_ratio=l1_ratio, dropout=dropout, rng=rng, l2=False)
        m = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        scale = l2_share(penalty, l1_ratio) * alpha / (2.0 * m) if m > 0 else 0.0
        sq = optimizer.update(self.params, self.grad, 2.0 * scale, self.n_coef)
        return loss + scale * sq

    def _forward_train(self, X, n, dropout, rng):
        """Forward pass keeping what backpropagation needs.

        Returns the input of every layer and the (pre-dropout) output of every
        hidden layer.
        """
        inputs, outputs = [X], []
        hidden = self.activation
        last = self.n_layers - 2
        for i, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            Z = self._z[i][:n]
            if i == 0:
                _dot(X, W, Z)  # only the input can be sparse
            else:
                np.matmul(inputs[-1], W, out=Z)
            if i == last:
                Z += b
                break
            if hidden.needs_preactivation:
                Z += b
                H = self._h[i][:n]
                H[...] = Z
                hidden.function(H)
            else:
                H = Z
                hidden.apply_with_bias(H, b)
            outputs.append(H)
            if dropout[i] > 0:
                H = self._apply_dropout(H, i, n, dropout[i], rng)
            inputs.append(H)
        return inputs, outputs

    def _apply_dropout(self, H, i, n, rate, rng):
        mask = self._mask[i][:n]
        rng.random(out=mask, dtype=self.dtype)
        keep = mask >= rate
        mask[...] = keep
        mask *= 1.0 / (1.0 - rate)
        dropped = self._dropped[i][:n]
        np.multiply(H, mask, out=dropped)
        return dropped


class NonFinitePreactivation(ValueError):
    """A checked pre-activation was NaN or infinite (see ``predict_output``)."""


def predict_output(
    X, coefs, intercepts, activation, out_activation, chunk_rows=None, check_layers=0
):
    """Forward pass for prediction, in chunks of rows.

    Allocates only per-call buffers of at most ``chunk_rows`` rows, so memory
    stays bounded on any input size and concurrent calls do not interfere.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
    activation : str
        Hidden activation name.
    out_activation : str or None
        Output activation name; None returns the raw output of the last layer.
    chunk_rows : int, optional
        Rows per chunk; by default about 2**20 values per layer buffer.
    check_layers : int
        Raise :class:`NonFinitePreactivation` when a pre-activation ``A @ W +
        b`` of one of the first ``check_layers`` layers is not finite (free
        inside the fused bias + ReLU loop, one ``isfinite`` pass otherwise).
        With 1 this checks ``X`` without a pass of its own: a NaN or an
        infinity in ``X`` makes every first-layer sum it enters non-finite
        (prediction on W1's 20k rows: 4 ms less); it also fires when the
        product overflows. With every layer, the fit's divergence checks see
        an overflow that a saturating activation (ReLU of -inf, tanh) would
        hide from the output.

    Returns
    -------
    out : ndarray of shape (n_samples, n_outputs)
        In the result dtype of ``X`` and the weights.
    """
    dtype = np.result_type(X.dtype, coefs[0].dtype)
    if coefs[0].dtype != dtype:
        coefs = [W.astype(dtype) for W in coefs]
        intercepts = [b.astype(dtype) for b in intercepts]
    units = [W.shape[1] for W in coefs]
    n = X.shape[0]
    if chunk_rows is None:
        chunk_rows = max(1, _CHUNK_VALUES // max(units + [X.shape[1]]))
    chunk_rows = max(1, min(chunk_rows, n))
    out = np.empty((n, units[-1]), dtype=dtype)
    buffers = [np.empty(chunk_rows * u, dtype) for u in units[:-1]]
    hidden = ACTIVATIONS[activation]
    last = len(coefs) - 1
    for start in range(0, n, chunk_rows):
        stop = min(start + chunk_rows, n)
        A = X[start:stop]
        if A.dtype != dtype:
            A = A.astype(dtype)
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            Z = out[start:stop] if i == last else _column_major(buffers[i], stop - start, W)
            _dot(A, W, Z)
            check = i < check_layers
            if i < last:
                finite = hidden.apply_with_bias(Z, b, check_finite=check)
            else:
                Z += b
                finite = not check or bool(np.isfinite(Z).all())
            if check and not finite:
                raise NonFinitePreactivation(f"a pre-activation of layer {i + 1} is not finite")
            A = Z
        if out_activation is not None:
            OUTPUT_ACTIVATIONS[out_activation](A)
    return out


def _column_major(buffer, rows, W):
    """A ``(rows, W.shape[1])`` column-major view of the start of ``buffer``.

    Hidden outputs of prediction are column-major: OpenBLAS writes ``A @ W``
    into them faster (predict_proba on W1's 20k rows takes 0.90 of the time
    it takes with row-major buffers; training's 200-row batches gain nothing).
    """
    units = W.shape[1]
    return buffer[: rows * units].reshape((rows, units), order="F")


def _dot(A, W, out):
    """``out = A @ W`` for dense or sparse ``A``."""
    if sp.issparse(A):
        out[...] = A @ W
    else:
        np.matmul(A, W, out=out)


def _dot_t(A, delta, out):
    """``out = A.T @ delta`` for dense or sparse ``A``."""
    if sp.issparse(A):
        out[...] = A.T @ delta
    else:
        np.matmul(A.T, delta, out=out)
