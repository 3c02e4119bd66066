"""Layer diagnostics: what happens inside each dense layer, epoch by epoch.

With ``diagnostics=True`` the fit keeps a :class:`Diagnostics` recorder. The
fit loop calls :meth:`Diagnostics.step` after each step's forward and
backward pass (before the optimizer moves the weights) and
:meth:`Diagnostics.end_epoch` at the end of each epoch; L-BFGS calls
:meth:`Diagnostics.iteration` with each iterate it accepts. The recorder
writes its rows into the training record's ``diagnostics_``: a dict of
float arrays of shape ``(n_epochs, n_layers)``, one column per dense layer
(``coefs_[j]``), row ``k`` for the epoch of ``loss_curve_[k]``. Without
diagnostics the fit creates no recorder and its loop pays one attribute
check per step.

Never imports scikit-learn.
"""

import numpy as np


__all__ = ["QUANTITIES", "Diagnostics"]

#: The recorded quantities, in the order the display draws them: name ->
#: (panel title, what it is).
QUANTITIES = {
    "activation_mean": ("activation mean", "mean of the layer's activations"),
    "activation_std": ("activation std", "standard deviation of the layer's activations"),
    "dead_fraction": ("dead units", "fraction of units that output 0 for every sample"),
    "gradient_norm": ("gradient norm", "norm of the gradient of the layer's weights"),
    "weight_norm": ("weight norm", "norm of the layer's weights"),
    "update_ratio": ("update / weight", "norm of the weights' change over their norm"),
}


class _Moments:
    """Count, mean and sum of squared deviations of the values seen, merged
    batch by batch (Chan, Golub and LeVeque's pairwise update), in float64.

    A batch's own sum of squared deviations is ``sum(a**2) - sum(a)**2 / n``:
    two passes that allocate nothing (a sum and a BLAS dot product), where
    ``var`` would take four and a temporary; its rounding is negligible
    unless the batch's mean is orders of magnitude above its spread.
    """

    def __init__(self):
        self.count, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, A):
        n = A.size
        a = A.ravel()
        total_a = float(a.sum(dtype=np.float64))
        mean = total_a / n
        m2 = max(float(np.dot(a, a)) - total_a * mean, 0.0)
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total

    def std(self):
        return float(np.sqrt(self.m2 / self.count))


class _History:
    """The rows of every epoch, in arrays that double their capacity when
    full (so a fit of many epochs appends in constant time); rows once
    written never change, so views of the filled part can be handed out."""

    def __init__(self, n_layers, previous, n_epochs):
        capacity = max(16, 2 * n_epochs)
        # NaN rows for earlier epochs that ran without diagnostics
        self.arrays = {name: np.full((capacity, n_layers), np.nan) for name in QUANTITIES}
        if previous is not None:
            for name, array in self.arrays.items():
                rows = np.asarray(previous[name])[:n_epochs]
                array[: len(rows)] = rows
        self.n = n_epochs

    def append(self, row):
        if self.n == len(self.arrays["weight_norm"]):
            for name, array in self.arrays.items():
                grown = np.full((2 * len(array), array.shape[1]), np.nan)
                grown[: self.n] = array[: self.n]
                self.arrays[name] = grown
        for name, array in self.arrays.items():
            array[self.n] = row[name]
        self.n += 1

    def view(self):
        return {name: array[: self.n] for name, array in self.arrays.items()}


def _activation_sources(layers):
    """Per hidden layer with a tracked weight, the layer whose training output
    is its activations: the layer itself (a dense layer's activation is
    fused), or the activation layer after its normalization. Dropout comes
    later and is not seen."""
    sources = []
    for layer in layers:
        if layer.tracked_weight is not None:
            sources.append(layer)
        elif layer.activates and sources:
            sources[-1] = layer
    return sources[:-1]  # the output layer's raw output is recomputed


class Diagnostics:
    """Records :data:`QUANTITIES` for each dense layer of ``net`` during a fit.

    Per epoch (per accepted iterate for L-BFGS) and per dense layer ``j``:

    - ``activation_mean``, ``activation_std``: over every unit and every
      training row of the epoch, as the training forward pass computes them
      (before dropout; batch statistics for batch normalization); for the
      output layer, its raw output (before the loss's output activation);
    - ``dead_fraction``: the fraction of units whose activation is exactly 0
      for every training row of the epoch; NaN for the output layer;
    - ``gradient_norm``: the mean over the epoch's steps of the Euclidean
      norm of the gradient of the batch's mean loss with respect to
      ``coefs_[j]``, before the penalty's gradient joins it and before
      clipping;
    - ``weight_norm``: the Euclidean (Frobenius) norm of ``coefs_[j]`` at
      the end of the epoch;
    - ``update_ratio``: ``||W_end - W_start|| / ||W_start||``, the epoch's
      change of ``coefs_[j]`` relative to its norm at the start of the epoch.

    Parameters
    ----------
    net : Network
        The trained network: its layers with a ``tracked_weight`` (the dense
        layers), the last of them the output layer.
    record : TrainingRecord
        Its ``diagnostics_`` (the previous fits' rows, or None) is continued
        from epoch ``len(record.loss_curve_) + 1``; each epoch's row is
        written back into it.
    """

    def __init__(self, net, record):
        self.net, self.record = net, record
        self.dense = [layer for layer in net.layers if layer.tracked_weight is not None]
        self.sources = _activation_sources(net.layers)
        self.history = _History(len(self.dense), record.diagnostics_, len(record.loss_curve_))
        record.diagnostics_ = self.history.view()
        self._begin_epoch()

    def _begin_epoch(self):
        self._moments = [_Moments() for _ in self.dense]
        # per hidden layer, the units not yet seen active this epoch
        self._silent = [np.arange(layer.units) for layer in self.sources]
        self._gradient_norms = np.zeros(len(self.dense))
        self._steps = 0
        self._start = [self._weight(layer).copy() for layer in self.dense]

    def step(self):
        """Accumulate the batch of the training pass that just ran."""
        for j, source in enumerate(self.sources):
            A = source.output
            self._moments[j].add(A)
            silent = self._silent[j]
            if silent.size:  # only those: once all units were active, nothing to do
                active = A[:, silent].any(axis=0)  # NaN counts as active
                self._silent[j] = silent[~active]
        output = self.dense[-1]
        self._moments[-1].add(output.input @ output.coef + output.intercept)
        for j, layer in enumerate(self.dense):
            g = getattr(layer, layer.tracked_weight + "_grad").ravel()
            self._gradient_norms[j] += np.sqrt(np.dot(g, g))
        self._steps += 1

    def end_epoch(self):
        """Append the epoch's row to the record and start the next epoch."""
        weights = [self._weight(layer) for layer in self.dense]
        norms = np.array([np.linalg.norm(W) for W in weights])
        start = np.array([np.linalg.norm(W) for W in self._start])
        change = np.array([np.linalg.norm(W - W0) for W, W0 in zip(weights, self._start)])
        with np.errstate(divide="ignore", invalid="ignore"):  # weights that start at 0
            ratio = change / start
        dead = [silent.size / source.units for silent, source in zip(self._silent, self.sources)]
        self.history.append({
            "activation_mean": [m.mean for m in self._moments],
            "activation_std": [m.std() for m in self._moments],
            "dead_fraction": [*dead, np.nan],
            "gradient_norm": self._gradient_norms / self._steps,
            "weight_norm": norms,
            "update_ratio": ratio,
        })
        self.record.diagnostics_ = self.history.view()
        self._begin_epoch()

    @staticmethod
    def _weight(layer):
        return getattr(layer, layer.tracked_weight)

    def iteration(self, X, Y, sample_weight, params):
        """The row of an L-BFGS iterate: one training pass over the data at
        ``params`` (its loss without the penalty, as the stochastic steps')."""
        self.net.params[...] = params
        self.net.loss_grad(X, Y, sample_weight)
        self.step()
        self.end_epoch()
