"""The fit loops: one call to ``fit`` or ``partial_fit``, in parts.

A :class:`Trainer` works on its own network, a :class:`TrainingRecord` (the
curves and counters) and a copy of the optimizer state, and commits them to
the estimator only at the end, so an exception part-way leaves a previously
fitted model exactly as it was. The stochastic loop is
``fit_loop -> run_epoch -> train_step``, with the end of an epoch (record,
validation, schedule, callbacks, stopping) in ``end_epoch``; L-BFGS is
``fit_lbfgs``. Both share one :class:`DivergenceGuard` and one interruption
path (Ctrl-C stops training with a warning and a usable model).
"""

import contextlib
import copy
import threading
import warnings

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split
from threadpoolctl import ThreadpoolController

from ._activations import OUTPUT_ACTIVATIONS
from ._callbacks import NO_HOOKS
from ._diagnostics import Diagnostics
from ._layers import NonFinitePreactivation
from ._optimizers import OPTIMIZERS
from ._penalties import PENALTIES, Penalty
from ._schedules import SCHEDULES

__all__ = ["Trainer", "TrainingRecord"]


class TrainingRecord:
    """The fitted training record: curves, counters and the best scores.

    :data:`ATTRIBUTES` are the estimator attributes it holds; a fit resumes
    them from a warm-started estimator and commits them back, and callbacks
    see a snapshot of them after every epoch.
    """

    ATTRIBUTES = (
        "n_iter_",
        "t_",
        "loss_",
        "best_loss_",
        "loss_curve_",
        "learning_rate_curve_",
        "nonzero_curve_",
        "validation_scores_",
        "validation_loss_curve_",
        "best_validation_score_",
        "diagnostics_",
        "_no_improvement_count",
    )

    def __init__(self, early_stopping, stochastic=True):
        self.early_stopping = early_stopping
        self.n_iter_, self.t_, self.loss_ = 0, 0, None
        self.loss_curve_ = []
        # the learning rate of each epoch (stochastic solvers only)
        self.learning_rate_curve_ = [] if stochastic else None
        # the non-zero weights of each dense layer after each epoch (iteration)
        self.nonzero_curve_ = []
        self.validation_scores_ = [] if early_stopping else None
        self.validation_loss_curve_ = [] if early_stopping else None
        self.best_validation_score_ = -np.inf if early_stopping else None
        self.best_loss_ = None if early_stopping else np.inf
        # per-layer statistics per epoch (see _diagnostics), with diagnostics=True
        self.diagnostics_ = None
        self._no_improvement_count = 0

    @classmethod
    def resume(cls, est, early_stopping, stochastic=True):
        """Continue the record of a fitted estimator (warm start, partial_fit)."""
        record = cls(early_stopping, stochastic)
        record.t_ = est.t_
        record.loss_curve_ = list(getattr(est, "loss_curve_", []))
        names = ["validation_scores_", "validation_loss_curve_", "nonzero_curve_"]
        for name in names + ["learning_rate_curve_"] * stochastic:
            value = getattr(est, name, None)
            if value is not None:
                setattr(record, name, list(value))
        for name in ("best_validation_score_", "best_loss_", "diagnostics_"):
            value = getattr(est, name, None)
            if value is not None:
                setattr(record, name, value)
        record._no_improvement_count = getattr(est, "_no_improvement_count", 0)
        return record

    def commit(self, est):
        """Set the attributes on the estimator (diagnostics as arrays of their own)."""
        for name in self.ATTRIBUTES:
            setattr(est, name, getattr(self, name))
        if self.diagnostics_ is not None:
            est.diagnostics_ = {name: rows.copy() for name, rows in self.diagnostics_.items()}

    def snapshot(self):
        """The attributes as they are now, lists copied."""
        return {
            name: list(value) if isinstance(value, list) else value
            for name, value in ((name, getattr(self, name)) for name in self.ATTRIBUTES)
        }

    def end_epoch(self, loss, n_samples):
        self.loss_ = np.float64(loss)  # numpy floats, as scikit-learn's
        self.t_ += n_samples
        self.loss_curve_.append(self.loss_)

    def track_validation(self, score, loss, tol):
        """Record a validation score and loss; True when the score is the best."""
        self.validation_scores_.append(score)
        self.validation_loss_curve_.append(loss)
        if score < self.best_validation_score_ + tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            return True
        return False

    def track_training_loss(self, tol):
        loss = self.loss_curve_[-1]
        if loss > self.best_loss_ - tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if loss < self.best_loss_:
            self.best_loss_ = loss


class Batches:
    """Mini-batches of the training rows, gathered into reused buffers."""

    def __init__(self, X, Y, sample_weight, rows, batch_size, shuffle):
        self.X, self.Y, self.sw = X, Y, sample_weight
        self.rows = rows.copy()
        self.batch_size, self.shuffle = batch_size, shuffle
        # Without shuffling and without a split, batches are contiguous views.
        self.contiguous = not shuffle and rows.shape[0] == X.shape[0]
        if not self.contiguous and not sp.issparse(X):
            self.Xbuf = np.empty((batch_size, X.shape[1]), X.dtype)
        self.Ybuf = np.empty((batch_size, Y.shape[1]), Y.dtype)
        if sample_weight is not None:
            self.swbuf = np.empty(batch_size, sample_weight.dtype)

    def epoch(self, rng):
        # np.take(mode="clip"): the rows are valid indices, and the default
        # mode="raise" copies through a temporary buffer when given `out`.
        n, bs = self.rows.shape[0], self.batch_size
        if self.shuffle:
            rng.shuffle(self.rows)
        for start in range(0, n, bs):
            stop = min(start + bs, n)
            if self.contiguous:
                sw = None if self.sw is None else self.sw[start:stop]
                yield self.X[start:stop], self.Y[start:stop], sw
                continue
            idx = self.rows[start:stop]
            b = stop - start
            if sp.issparse(self.X):
                Xb = self.X[idx]
            else:
                Xb = np.take(self.X, idx, axis=0, out=self.Xbuf[:b], mode="clip")
            Yb = np.take(self.Y, idx, axis=0, out=self.Ybuf[:b], mode="clip")
            sw = None if self.sw is None else np.take(self.sw, idx, out=self.swbuf[:b], mode="clip")
            yield Xb, Yb, sw


class ValidationSet:
    """The validation data of early stopping (held-out rows, or the user's),
    scored without dropout.

    ``score(net, P, loss, validation)`` gives the score of the network's
    output activations ``P`` (higher is better), ``loss`` its mean loss.
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

    @classmethod
    def held_out(cls, X, Y, targets, sample_weight, rows, score):
        sw = None if sample_weight is None else sample_weight[rows]
        return cls(X[rows], Y[rows], targets.subset(rows), sw, score)

    def evaluate(self, net):
        """Validation score and mean validation loss."""
        raw = net.predict(self.X, raw=True)
        P = raw.copy()
        OUTPUT_ACTIVATIONS[net.out_activation](P)
        loss = float(np.average(net.loss.loss_and_delta(raw, self.Y), weights=self.sw))
        if not np.all(np.isfinite(P)):
            return np.nan, loss
        return float(self.score(net, P, loss, self)), loss


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
            raw = self.net.predict(self.X, check_layers=len(self.net.layers), raw=True)
        except NonFinitePreactivation:
            return False
        losses = self.net.loss.loss_and_delta(raw, self.Y)
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


class _SolverBlasThreads:
    """Serial BLAS for scipy's L-BFGS-B, all threads for the objective.

    L-BFGS-B updates its vectors of ``n_params`` values with BLAS level-1
    calls, which OpenBLAS threads above 10k values; waking the worker for each
    costs more than the call (benchmarks/README.md). So BLAS runs serially
    around the solver and gets its threads back for the objective's matrix
    products. Only for large parameter vectors, and only on the main thread:
    the BLAS thread count is process-wide, and fits running concurrently in
    threads would otherwise restore each other's limits.
    """

    def __init__(self, n_params):
        self._blas, self._limit = None, None
        if n_params >= 10_000 and threading.current_thread() is threading.main_thread():
            self._blas = ThreadpoolController().select(user_api="blas")
            self._threads = max([lib.num_threads for lib in self._blas.lib_controllers], default=1)

    def serial(self):
        if self._blas is not None:
            self._limit = self._blas.limit(limits=1)

    def restore(self):
        if self._limit is not None:
            self._limit.restore_original_limits()
            self._limit = None

    def parallel(self):
        if self._blas is None:
            return contextlib.nullcontext()
        return self._blas.limit(limits=self._threads)


class _L1Split:
    """L-BFGS-B's variables when the penalty has an L1 part: each penalised
    weight as ``w = w+ - w-`` with ``w+, w- >= 0``, so that the L1 term
    ``c * sum|w|`` becomes the linear ``c * sum(w+ + w-)`` and the bounds put
    weights exactly at zero. Without an L1 part (``c == 0``) the variables are
    the parameters themselves.
    """

    def __init__(self, n_penalised, c):
        self.k, self.c = n_penalised, c

    def variables(self, params):
        if not self.c:
            return params
        w = params[: self.k]
        return np.concatenate([np.maximum(w, 0.0), np.maximum(-w, 0.0), params[self.k :]])

    def params(self, x):
        if not self.c:
            return x
        k = self.k
        return np.concatenate([x[:k] - x[k : 2 * k], x[2 * k :]])

    def bounds(self, n_params):
        if not self.c:
            return None
        return [(0.0, None)] * (2 * self.k) + [(None, None)] * (n_params - self.k)

    def documented(self, x, value):
        """The objective at the parameters of ``x``, from its value in the
        variables (which counts ``c * (w+ + w-)`` where ``|w+ - w-|`` is due)."""
        if not self.c:
            return value
        k = self.k
        excess = float(x[: 2 * k].sum()) - float(np.abs(x[:k] - x[k : 2 * k]).sum())
        return value - self.c * excess

    def objective(self, x, loss, grad):
        """The loss and gradient in the variables, from those in the parameters."""
        if not self.c:
            return loss, grad
        k, c = self.k, self.c
        g = grad[:k]
        loss += c * float(x[: 2 * k].sum())
        return loss, np.concatenate([g + c, c - g, grad[k:]])


def _clip_norm(grad, max_norm):
    """Scale ``grad`` in place so that its Euclidean norm is at most ``max_norm``."""
    norm = float(np.sqrt(np.einsum("i,i->", grad, grad)))
    if norm > max_norm:
        grad *= max_norm / norm


def _batch_size(batch_size, n):
    """scikit-learn's rule: 'auto' is min(200, n); larger sizes are clipped."""
    if batch_size == "auto":
        return min(200, n)
    if batch_size > n:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
        )
    return int(np.clip(batch_size, 1, n))


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


class Trainer:
    """One call to ``fit`` / ``partial_fit``: trains ``net`` and commits.

    Parameters
    ----------
    est : BaseMLP
        The estimator, for its hyperparameters and hooks.
    net : Network
        Initialized (or loaded from the warm-started estimator).
    record : TrainingRecord
    rng : numpy.random.RandomState
        The fit's random state (split, dropout, shuffling).
    incremental : bool
        ``partial_fit``: one epoch, the optimizer state carried on.
    params : dict
        ``est.get_params(deep=False)``, from which the penalty, optimizer and
        schedule take their hyperparameters.
    """

    hooks = NO_HOOKS  # sklearn callbacks, see _callbacks.fit_hooks
    diagnostics = None  # a _diagnostics.Diagnostics with diagnostics=True

    def __init__(self, est, net, record, rng, incremental, params):
        self.est, self.net, self.record, self.rng = est, net, record, rng
        self.incremental = incremental
        penalty = est.penalty
        if penalty is None:
            self.penalty = Penalty(0.0, 0.0, params.get("feature_alpha", 0.0))
        else:
            self.penalty = PENALTIES.create(penalty, params)
        self.optimizer = None
        previous = getattr(est, "_optimizer", None)
        if incremental and previous is not None:
            self.optimizer = copy.deepcopy(previous)
        self.hyperparameters = params
        if params.get("diagnostics"):
            self.diagnostics = Diagnostics(net, record)

    def fit(self, X, Y, sample_weight, targets, validation_data=None):
        """Train; ``validation_data`` is ``(X, Y, targets, sample_weight)`` of
        the user's validation set, if any."""
        self.guard = DivergenceGuard(self.net, X, Y, sample_weight)
        if self.est.solver == "lbfgs":
            self.fit_lbfgs(X, Y, sample_weight)
        else:
            self.fit_loop(X, Y, sample_weight, targets, validation_data)

    @contextlib.contextmanager
    def _interruptible(self):
        """Ctrl-C stops training with a warning; the loops then keep the
        best model they have."""
        try:
            yield
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")

    # ----------------------------------------------------------- stochastic
    def fit_loop(self, X, Y, sample_weight, targets, validation_data=None):
        est, net = self.est, self.net
        self.max_grad_norm = getattr(est, "max_grad_norm", None)
        self.constrained = net.constrained
        if self.optimizer is None:
            self.optimizer = OPTIMIZERS.create(est.solver, self.hyperparameters)
            self.optimizer.initialize(net.params.size, net.dtype)
        self.schedule = SCHEDULES.create(est.learning_rate, self.hyperparameters)
        train_idx, validation = np.arange(X.shape[0]), None
        if validation_data is not None:
            validation = ValidationSet(*validation_data, self._validation_score(targets))
        elif est.early_stopping:
            train_idx, val_idx = _stratified_split(X.shape[0], est.validation_fraction,
                                                   self.rng, targets.stratify)
            validation = ValidationSet.held_out(X, Y, targets, sample_weight, val_idx,
                                                self._validation_score(targets))
        n = train_idx.shape[0]
        if net.stochastic:
            net.set_random_state(np.random.default_rng(self.rng.randint(np.iinfo(np.int32).max)))
        batches = Batches(X, Y, sample_weight, train_idx, _batch_size(est.batch_size, n),
                          est.shuffle)
        best_values = net.values.copy() if validation is not None else None
        # Fallbacks on divergence: the starts of the current and of the
        # previous epoch (swapped, not copied).
        epoch_start, previous = net.values.copy(), net.values.copy()
        with self._interruptible():
            for _ in range(est.max_iter):
                self.hooks.task_begin()
                self.schedule.epoch_begin(self.optimizer, len(self.record.loss_curve_))
                self.record.learning_rate_curve_.append(self.optimizer.learning_rate)
                previous, epoch_start = epoch_start, previous
                epoch_start[...] = net.values
                loss = self.run_epoch(batches, n)
                self.record.n_iter_ += 1
                if not (np.isfinite(loss) and np.isfinite(net.params.sum())):
                    self._diverged(epoch_start, previous)
                    break
                if self.end_epoch(loss, n, validation, best_values):
                    break
        if validation is not None:
            net.values[...] = best_values
        else:
            self._check_final_weights((epoch_start, previous))

    def run_epoch(self, batches, n):
        """One pass over the training rows; returns the mean batch loss."""
        accumulated = 0.0
        for Xb, Yb, swb in batches.epoch(self.rng):
            accumulated += self.train_step(Xb, Yb, swb) * Xb.shape[0]
        return accumulated / n

    def train_step(self, X, Y, sample_weight):
        """One optimizer step on a batch; returns its loss, penalty included."""
        net = self.net
        loss = net.loss_grad(X, Y, sample_weight)
        if self.diagnostics is not None:
            self.diagnostics.step()
        if self.max_grad_norm is not None:
            _clip_norm(net.grad, self.max_grad_norm)
        m = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        loss += self.penalty.step(self.optimizer, net, m)
        if self.constrained:
            net.apply_constraints()
        return loss

    def end_epoch(self, loss, n, validation, best_values):
        """Record the epoch, validate, schedule; True when training stops."""
        est, record = self.est, self.record
        record.end_epoch(loss, n)
        record.nonzero_curve_.append(self.net.nonzero_weights())
        if self.diagnostics is not None:
            self.diagnostics.end_epoch()
        if est.verbose:
            print("Iteration %d, loss = %.8f" % (record.n_iter_, loss))
        if validation is not None:
            score, validation_loss = validation.evaluate(self.net)
            if est.verbose:
                print("Validation score: %f" % score)
            if record.track_validation(score, validation_loss, est.tol):
                best_values[...] = self.net.values
        else:
            record.track_training_loss(est.tol)
        self.schedule.epoch_end(self.optimizer, record.t_)
        if self.hooks.epoch_end(self):
            return True
        if record._no_improvement_count > est.n_iter_no_change:
            if self.schedule.plateau(self.optimizer, self._stall_message(), est.verbose):
                return True
            record._no_improvement_count = 0
        if self.incremental:
            return True
        if record.n_iter_ == est.max_iter:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) reached and "
                "the optimization hasn't converged yet." % est.max_iter,
                ConvergenceWarning,
            )
        return False

    def _validation_score(self, targets):
        """``score(net, P, loss, validation)`` for the estimator's ``scoring``."""
        est, scoring = self.est, getattr(self.est, "scoring", None)
        if scoring is None:
            return lambda net, P, loss, val: est._score_from_output(P, val.targets, val.sw)
        if scoring == "loss":
            return lambda net, P, loss, val: -loss
        scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring

        def score(net, P, loss, val):
            kwargs = {} if val.sw is None else {"sample_weight": val.sw}
            return scorer(self._snapshot(targets), val.X, val.targets.y, **kwargs)

        return score

    def _snapshot(self, targets):
        """A copy of the estimator predicting with the network as it is now."""
        model = copy.copy(self.est)
        model.__dict__.update(self.net.fitted_attributes())
        model.__dict__.pop("feature_names_in_", None)  # the data is already validated
        if targets.classes is not None:
            model.classes_ = targets.classes
        return model

    def _stall_message(self):
        what = "Validation score" if self.est.early_stopping else "Training loss"
        return "%s did not improve more than tol=%f for %d consecutive epochs." % (
            what, self.est.tol, self.est.n_iter_no_change,
        )

    def _diverged(self, epoch_start, previous):
        self.guard.recover((epoch_start, previous))
        warnings.warn(
            f"Training diverged at epoch {self.record.n_iter_} (non-finite loss "
            "or weights); stopped and kept the last finite weights. "
            "Lower learning_rate_init or scale the data.",
            ConvergenceWarning,
        )
        curve = self.record.loss_curve_
        self.record.loss_ = curve[-1] if curve else np.float64(np.nan)

    def _check_final_weights(self, candidates):
        """The last step can leave finite weights that overflow on the data."""
        if self.guard.recovered or self.guard.outputs_finite():
            return
        self.guard.recover(candidates)
        warnings.warn(
            "Training diverged in the last epoch: the final weights overflow "
            "on the training data; kept the last weights with finite outputs. "
            "Lower learning_rate_init or momentum, or scale the data.",
            ConvergenceWarning,
        )

    # ---------------------------------------------------------------- lbfgs
    def fit_lbfgs(self, X, Y, sample_weight):
        est, net, record = self.est, self.net, self.record
        blas = _SolverBlasThreads(net.params.size)
        m = float(X.shape[0] if sample_weight is None else sample_weight.sum())
        split = _L1Split(net.n_penalised, self.penalty.l1 / (2.0 * m))

        def objective(x):
            with blas.parallel():
                net.params[...] = split.params(x)
                loss = net.loss_grad(X, Y, sample_weight, self.penalty.smooth())
            return split.objective(x, loss, net.grad.astype(np.float64))

        accepted = {"x": split.variables(net.params.astype(np.float64)), "fun": None}

        def callback(intermediate_result):
            if self.diagnostics is not None:  # first: an interruption then records neither
                with blas.parallel():
                    self.diagnostics.iteration(X, Y, sample_weight,
                                               split.params(intermediate_result.x))
            accepted["x"] = intermediate_result.x.copy()
            accepted["fun"] = intermediate_result.fun
            record.loss_ = np.float64(split.documented(accepted["x"], intermediate_result.fun))
            record.loss_curve_.append(record.loss_)
            record.n_iter_ += 1
            net.params[...] = split.params(intermediate_result.x)  # (evaluations set their own)
            record.nonzero_curve_.append(net.nonzero_weights())
            if est.verbose:
                print("Iteration %d, loss = %.8f" % (len(record.loss_curve_), record.loss_))
            if self.hooks.lbfgs_iteration(self, split.params(intermediate_result.x)):
                raise StopIteration  # a callback asked to stop

        self.hooks.task_begin()
        result = None
        with self._interruptible():
            blas.serial()
            try:
                result = scipy.optimize.minimize(
                    objective,
                    accepted["x"],
                    method="L-BFGS-B",
                    jac=True,
                    bounds=split.bounds(net.params.size),
                    callback=callback,
                    options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol},
                )
            finally:
                blas.restore()
        x, fun = accepted["x"], accepted["fun"]
        diverged = False
        if result is not None:
            record.n_iter_ = min(result.nit, est.max_iter)
            self._warn_lbfgs_status(result)
            diverged = not (np.isfinite(result.fun) and np.all(np.isfinite(result.x)))
            if not diverged:
                x, fun = result.x, float(result.fun)
        net.params[...] = split.params(x)
        if diverged:
            self.guard.recover(())
            warnings.warn(
                "L-BFGS diverged (non-finite loss or weights); kept the last finite "
                "iterate. Scale the data or increase alpha.",
                ConvergenceWarning,
            )
        else:
            self._check_final_weights(())
        if fun is None or self.guard.recovered:  # the loss where the weights are now
            x = split.variables(net.params.astype(np.float64))
            fun = objective(x)[0]
        fun = split.documented(x, fun)
        # the statistics of the data at the final weights (the evaluations left
        # their own, line searches included)
        net.refresh_statistics(X, sample_weight)
        record.loss_ = np.float64(fun)
        record.best_loss_ = min(record.loss_curve_, default=record.loss_)

    def _warn_lbfgs_status(self, result):
        est = self.est
        if result.status == 0 or self.hooks.stopped:
            return
        n_iter = self.record.n_iter_
        msg = (
            f"lbfgs failed to converge after {n_iter} iteration(s) "
            f"(status={result.status}):\n{result.message}\n"
        )
        if n_iter == est.max_iter:
            msg += (
                "\nIncrease the number of iterations to improve the "
                f"convergence (max_iter={est.max_iter})."
            )
        msg += (
            "\nYou might also want to scale the data as shown in:\n"
            "    https://scikit-learn.org/stable/modules/preprocessing.html"
        )
        # _warn_lbfgs_status < fit_lbfgs < fit < _fit < _overflow_checked's wrapper < fit
        warnings.warn(msg, ConvergenceWarning, stacklevel=6)

    # --------------------------------------------------------------- commit
    def commit(self, targets):
        """Write the new state onto the estimator."""
        est = self.est
        if targets.classes is not None:
            est.classes_ = targets.classes
        for name, value in self.net.fitted_attributes().items():
            setattr(est, name, value)
        self.record.commit(est)
        est._optimizer = self.optimizer
