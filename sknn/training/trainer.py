"""The trainer: one call to ``fit`` or ``partial_fit``, as a network, data and
a plain configuration in, a :class:`~sknn.training.record.TrainingRecord` out.

The :class:`Trainer` never sees the estimator. It works on the network it is
given (the estimator's are left alone until it commits the result), runs the
solver (``sknn.training.solvers``: the stochastic loop or L-BFGS, one
interface), guards against divergence, turns Ctrl-C into a stop with a
usable model, and always ends the callbacks' task, also when the fit raises.
"""

import contextlib
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from sklearn.model_selection import train_test_split

from ..nn.layers import NonFinitePreactivation
from .callbacks import NO_HOOKS
from .diagnostics import Diagnostics

__all__ = ["DivergenceGuard", "HoldOut", "Trainer", "TrainingConfig", "ValidationSet"]


@dataclass
class TrainingConfig:
    """What a fit does, apart from the solver: scikit-learn's MLP parameters
    of the same names.

    ``incremental`` is ``partial_fit``: one epoch, the solver's state carried
    on. ``diagnostics`` records per-layer statistics (see ``diagnostics``).
    """

    max_iter: int = 200
    tol: float = 1e-4
    n_iter_no_change: Any = 10
    batch_size: Any = "auto"
    shuffle: bool = True
    max_grad_norm: Any = None
    verbose: bool = False
    incremental: bool = False
    diagnostics: bool = False


class ValidationSet:
    """The validation data of early stopping (held-out rows, or the user's),
    scored without dropout.

    ``score(net, P, loss, validation)`` gives the score of the network's
    output activations ``P`` (higher is better), ``loss`` its mean loss;
    ``targets`` are what the score compares with (opaque here).
    """

    def __init__(self, X, Y, targets, sample_weight, score):
        self.X, self.Y, self.targets, self.sw = X, Y, targets, sample_weight
        if self.sw is not None and not self.sw.sum() > 0:
            raise ValueError(
                "Every validation sample has zero sample_weight, so the validation "
                "score is undefined. Drop the zero-weight samples, or change "
                "validation_fraction or random_state (or the validation data)."
            )
        self.score = score

    def evaluate(self, net):
        """Validation score and mean validation loss."""
        P, losses = net.evaluate(self.X, self.Y)
        loss = float(np.average(losses, weights=self.sw))
        if not np.all(np.isfinite(P)):
            return np.nan, loss
        return float(self.score(net, P, loss, self)), loss


class HoldOut(NamedTuple):
    """Early stopping on a share of the training rows, held out at random
    (stratified by ``stratify`` when given). ``targets`` must have
    ``subset(rows)``; ``score`` is as :class:`ValidationSet`'s."""

    fraction: float
    stratify: Any
    targets: Any
    score: Any

    def split(self, X, Y, sample_weight, rng):
        """The training rows and the :class:`ValidationSet` of the held-out ones."""
        train, val = _stratified_split(X.shape[0], self.fraction, rng, self.stratify)
        sw = None if sample_weight is None else sample_weight[val]
        return train, ValidationSet(X[val], Y[val], self.targets.subset(val), sw, self.score)


def _stratified_split(n, fraction, rng, stratify):
    """Indices of the training and validation rows of early stopping."""
    too_small = (
        "The validation set is too small. Increase 'validation_fraction' "
        "or the size of your dataset."
    )
    try:
        train, val = train_test_split(np.arange(n), random_state=rng, test_size=fraction,
                                      stratify=stratify)
    except ValueError as exc:  # scikit-learn's reason first, e.g. a class too rare
        if stratify is None:
            raise ValueError(too_small) from exc
        raise ValueError(
            f"{exc}. Early stopping holds out a validation set stratified by "
            "class: add samples of the rare classes, increase "
            "'validation_fraction', or set early_stopping=False."
        ) from exc
    if val.shape[0] < 2:
        raise ValueError(too_small)
    return train, val


class DivergenceGuard:
    """Falls back to weights that compute finite values on the training data.

    Finite weights are not enough: after a blow-up they can be so large that
    the network overflows on the training data itself. The weights a fit
    started from are the last fallback; when even they give no finite loss
    (data too large for any weights), the fit fails with scikit-learn's error.
    """

    def __init__(self, net, X, Y, sample_weight):
        self.net, self.X, self.Y, self.sw = net, X, Y, sample_weight
        self.start = net.values.copy()
        self.recovered = False

    def usable(self):
        """Whether no layer's pre-activation on the training data is NaN or
        infinite (a ReLU of -inf or a tanh would hide an overflow from the
        output), and the loss of every sample that counts is finite."""
        try:
            _, losses = self.net.evaluate(self.X, self.Y, check_layers=len(self.net.layers),
                                          activations=False)
        except NonFinitePreactivation:
            return False
        if self.sw is not None:
            losses = losses[self.sw > 0]
        return bool(np.isfinite(losses).all())

    def outputs_finite(self):
        """:meth:`usable`, decided without a forward pass where the layers'
        output bound already proves it."""
        bound = float(max(self.X.max(), -self.X.min()))
        if self.net.output_bound(bound) < np.finfo(self.net.dtype).max / 16:
            return True
        return self.usable()

    def recover(self, candidates):
        """Put back the first of ``candidates`` (then the start) that is usable;
        scikit-learn's error when none is: no weights ever gave finite values."""
        self.recovered = True
        for values in (*candidates, self.start):
            self.net.values[...] = values
            if self.usable():
                return
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may "
            "contain large values and need to be preprocessed."
        )


class Trainer:
    """Trains a network; returns the record.

    Parameters
    ----------
    net : Network
        Initialized (or loaded from a fitted model); trained in place.
    solver : Solver
        ``sknn.training.solvers.Stochastic`` or ``LBFGS``.
    config : TrainingConfig
    record : TrainingRecord
        New, or resumed from a fitted model.
    rng : numpy.random.RandomState
        The fit's random state (split, dropout, shuffling).
    hooks : optional
        The callbacks' hooks (``sknn.training.callbacks``); none by default.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.nn import Adam, LogLoss, Network, dense_stack
    >>> from sknn.training import Stochastic, TrainingConfig, TrainingRecord
    >>> X = np.random.RandomState(0).rand(60, 2); Y = np.eye(2)[(X[:, 0] > 0.5).astype(int)]
    >>> net = Network(dense_stack([8], 2, "relu"), 2, LogLoss(), np.float64)
    >>> rng = np.random.RandomState(0)
    >>> net.initialize(lambda i, o, rs, dt: rs.normal(0, 0.5, (i, o)), rng)
    >>> record = Trainer(net, Stochastic(Adam(0.05)), TrainingConfig(max_iter=5),
    ...                  TrainingRecord(early_stopping=False), rng).fit(X, Y)
    >>> record.n_iter_, record.stop_reason_
    (5, 'max_iter')
    """

    def __init__(self, net, solver, config, record, rng, hooks=NO_HOOKS):
        self.net, self.solver, self.config = net, solver, config
        self.record, self.rng, self.hooks = record, rng, hooks
        self.diagnostics = Diagnostics(net, record) if config.diagnostics else None

    def fit(self, X, Y, sample_weight=None, validation=None):
        """Train on ``X`` and ``Y`` (the output matrix); ``validation`` is None,
        a :class:`ValidationSet` or a :class:`HoldOut` for early stopping.
        Returns the :class:`~sknn.training.record.TrainingRecord`; the
        callbacks' task ends however the fit ends."""
        try:
            self.guard = DivergenceGuard(self.net, X, Y, sample_weight)
            self.solver.run(self, X, Y, sample_weight, validation)
        except BaseException:
            self.hooks.finish()
            raise
        self.hooks.finish(self)
        return self.record

    @contextlib.contextmanager
    def interruptible(self):
        """Ctrl-C stops training with a warning; the solvers then keep the
        best model they have."""
        try:
            yield
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
            self.record.stop("interrupted")
