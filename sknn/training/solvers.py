"""Solvers: how a :class:`~sknn.training.trainer.Trainer` moves the weights.

Both solvers have one interface, ``run(trainer, X, Y, sample_weight,
validation)``, and write into the trainer's record:

- :class:`Stochastic`: epochs of mini-batch steps of an optimizer, in parts
  (``fit_loop -> run_epoch -> train_step``, the end of an epoch in
  ``end_epoch``), with a learning-rate schedule, early stopping, gradient
  clipping, the regularizers' proximal steps and the layers' constraints;
- :class:`LBFGS`: scipy's L-BFGS-B on the whole data, an L1 part handled
  exactly through bounds.

A solver also says what the estimators need to know about it: whether it
takes mini-batch steps (``stochastic``; dropout, constraints, clipping,
early stopping and ``partial_fit`` need them) and what one round is called
(``round_name``).
"""

import contextlib
import threading
import warnings

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController

from ..nn.schedules import Constant

__all__ = ["LBFGS", "Batches", "Solver", "Stochastic"]


class Solver:
    """Base class of the solvers."""

    #: Whether the solver takes mini-batch steps (epochs).
    stochastic = True
    #: What one round of the solver is called ("epoch" or "iteration").
    round_name = "epoch"

    def run(self, trainer, X, Y, sample_weight, validation):
        """Train ``trainer.net`` on the data, recording into ``trainer.record``."""
        raise NotImplementedError


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


def _batch_size(batch_size, n):
    """scikit-learn's rule: 'auto' is min(200, n); larger sizes are clipped."""
    if batch_size == "auto":
        return min(200, n)
    if batch_size > n:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
        )
    return int(np.clip(batch_size, 1, n))


def _clip_norm(grad, max_norm):
    """Scale ``grad`` in place so that its Euclidean norm is at most ``max_norm``."""
    norm = float(np.sqrt(np.einsum("i,i->", grad, grad)))
    if norm > max_norm:
        grad *= max_norm / norm


class Stochastic(Solver):
    """Mini-batch training with an optimizer and a learning-rate schedule.

    Parameters
    ----------
    optimizer : Optimizer
        Built for the network at the start of the fit, unless ``resume``.
    schedule : Schedule, default=None
        The learning-rate schedule (constant by default).
    resume : bool, default=False
        Continue the optimizer's state (``partial_fit``): the optimizer was
        built by an earlier fit of the same network.
    """

    def __init__(self, optimizer, schedule=None, resume=False):
        self.optimizer = optimizer
        self.schedule = Constant() if schedule is None else schedule
        self.resume = resume

    def run(self, trainer, X, Y, sample_weight, validation):
        self.fit_loop(trainer, X, Y, sample_weight, validation)

    def fit_loop(self, trainer, X, Y, sample_weight, validation):
        net, config, record = trainer.net, trainer.config, trainer.record
        if not self.resume:
            self.optimizer.build(net.params.size, net.dtype)
        self.schedule.validate()
        train_idx = np.arange(X.shape[0])
        if validation is not None and hasattr(validation, "split"):
            train_idx, validation = validation.split(X, Y, sample_weight, trainer.rng)
        n = train_idx.shape[0]
        self.dropout_rng = None
        if net.stochastic:
            self.dropout_rng = np.random.default_rng(trainer.rng.randint(np.iinfo(np.int32).max))
        batches = Batches(X, Y, sample_weight, train_idx, _batch_size(config.batch_size, n),
                          config.shuffle)
        best_values = net.values.copy() if validation is not None else None
        # Fallbacks on divergence: the starts of the current and of the
        # previous epoch (swapped, not copied).
        epoch_start, previous = net.values.copy(), net.values.copy()
        with trainer.interruptible():
            for _ in range(config.max_iter):
                trainer.hooks.task_begin()
                self.schedule.epoch_begin(self.optimizer, len(record.loss_curve_), config.max_iter)
                record.learning_rate_curve_.append(self.optimizer.lr)
                previous, epoch_start = epoch_start, previous
                epoch_start[...] = net.values
                loss = self.run_epoch(trainer, batches, n)
                record.n_iter_ += 1
                if not (np.isfinite(loss) and np.isfinite(net.params.sum())):
                    self._diverged(trainer, epoch_start, previous)
                    break
                if self.end_epoch(trainer, loss, n, validation, best_values):
                    break
        if validation is not None:
            net.values[...] = best_values
        else:
            _check_final_weights(trainer, (epoch_start, previous))

    def _split_regularizers(self, net):
        """Which regularizers the optimizer's step folds in (the L2 part on
        the weights at the start of the flat vector), which add their
        gradient themselves, and which take a proximal step."""
        fused = next((r for r in net.regularized if r.start == 0
                      and r.regularizer.elementwise and r.regularizer.decay(1.0)), None)
        smooth = [r for r in net.regularized if r is not fused]
        proximal = [r for r in net.regularized if r.regularizer.proximal]
        self._regularizers = (net, fused, smooth, proximal)

    def run_epoch(self, trainer, batches, n):
        """One pass over the training rows; returns the mean batch loss."""
        accumulated = 0.0
        for Xb, Yb, swb in batches.epoch(trainer.rng):
            accumulated += self.train_step(trainer, Xb, Yb, swb) * Xb.shape[0]
        return accumulated / n

    def train_step(self, trainer, X, Y, sample_weight):
        """One optimizer step on a batch; returns its loss, penalties included.

        The gradient of the batch's mean loss is clipped, the regularizers'
        smooth parts join it (the L2 part on the weights within the
        optimizer's step), the optimizer steps, then the regularizers'
        proximal steps and the constraints apply.
        """
        net, optimizer = trainer.net, self.optimizer
        loss = net.loss_grad(X, Y, sample_weight, self.dropout_rng)
        if trainer.diagnostics is not None:
            trainer.diagnostics.step()
        if trainer.config.max_grad_norm is not None:
            _clip_norm(net.grad, trainer.config.max_grad_norm)
        m = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        if m > 0 and net.regularized:  # a batch of zero weight has no penalty
            if getattr(self, "_regularizers", (None,))[0] is not net:
                self._split_regularizers(net)
            _, fused, smooth, proximal = self._regularizers
            penalty = net.nonsmooth_penalty(m)
            for r in smooth:
                penalty += r.regularizer.smooth(r.values, r.grad, m)
            decay = fused.regularizer.decay(m) if fused is not None else 0.0
            squares = optimizer.step(net.params, net.grad, decay, fused.stop if decay else 0)
            loss += penalty + 0.5 * decay * squares
            for r in proximal:
                r.regularizer.proximal_step(r.values, optimizer.step_sizes(r.start, r.stop), m)
        else:
            optimizer.step(net.params, net.grad)
        if net.constrained:
            net.apply_constraints()
        return loss

    def end_epoch(self, trainer, loss, n, validation, best_values):
        """Record the epoch, validate, schedule; True when training stops."""
        config, record = trainer.config, trainer.record
        record.end_epoch(loss, n)
        record.nonzero_curve_.append(trainer.net.nonzero_weights())
        if trainer.diagnostics is not None:
            trainer.diagnostics.end_epoch()
        if config.verbose:
            print("Iteration %d, loss = %.8f" % (record.n_iter_, loss))
        if validation is not None:
            score, validation_loss = validation.evaluate(trainer.net)
            if config.verbose:
                print("Validation score: %f" % score)
            if record.track_validation(score, validation_loss, config.tol):
                best_values[...] = trainer.net.values
        else:
            record.track_training_loss(config.tol)
        self.schedule.epoch_end(self.optimizer, record.t_)
        if trainer.hooks.epoch_end(trainer):
            record.stop("callback")
            return True
        if record._no_improvement_count > config.n_iter_no_change:
            message = _stall_message(config, validation is not None)
            if self.schedule.plateau(self.optimizer, message, config.verbose):
                record.stop("no_improvement")
                return True
            record._no_improvement_count = 0
        if config.incremental:
            record.stop("one_epoch")
            return True
        if record.n_iter_ == config.max_iter:
            record.stop("max_iter")
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) reached and "
                "the optimization hasn't converged yet." % config.max_iter,
                ConvergenceWarning,
            )
        return False

    def _diverged(self, trainer, epoch_start, previous):
        trainer.guard.recover((epoch_start, previous))
        trainer.record.stop("diverged")
        warnings.warn(
            f"Training diverged at epoch {trainer.record.n_iter_} (non-finite loss "
            "or weights); stopped and kept the last finite weights. "
            "Lower learning_rate_init or scale the data.",
            ConvergenceWarning,
        )
        curve = trainer.record.loss_curve_
        trainer.record.loss_ = curve[-1] if curve else np.float64(np.nan)


def _stall_message(config, validating):
    what = "Validation score" if validating else "Training loss"
    return "%s did not improve more than tol=%f for %d consecutive epochs." % (
        what, config.tol, config.n_iter_no_change,
    )


def _check_final_weights(trainer, candidates):
    """The last step can leave finite weights that overflow on the data."""
    guard = trainer.guard
    if guard.recovered or guard.outputs_finite():
        return
    guard.recover(candidates)
    warnings.warn(
        "Training diverged in the last epoch: the final weights overflow "
        "on the training data; kept the last weights with finite outputs. "
        "Lower learning_rate_init or momentum, or scale the data.",
        ConvergenceWarning,
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
    """L-BFGS-B's variables when a regularizer has an L1 part: each weight
    under one as ``w = w+ - w-`` with ``w+, w- >= 0``, so that the L1 term
    ``c * sum|w|`` becomes the linear ``c * sum(w+ + w-)`` and the bounds put
    weights exactly at zero. Without an L1 part the variables are the
    parameters themselves.

    Parameters
    ----------
    n_params : int
    spans : list of (start, stop, c)
        The parameters ``[start:stop]`` with the L1 coefficient ``c > 0``.
    """

    def __init__(self, n_params, spans):
        self.n = n_params
        self.k = sum(stop - start for start, stop, _ in spans)
        if not self.k:
            return
        self.split = np.concatenate([np.arange(a, b) for a, b, _ in spans])
        self.rest = np.setdiff1d(np.arange(n_params), self.split)
        coefficients = {c for _, _, c in spans}
        self.c = coefficients.pop() if len(coefficients) == 1 else np.concatenate(
            [np.full(b - a, c) for a, b, c in spans])

    def _l1(self, x):
        """``c * sum(w+ + w-)``."""
        k = self.k
        if np.ndim(self.c):
            return float(self.c @ x[:k]) + float(self.c @ x[k : 2 * k])
        return self.c * float(x[: 2 * k].sum())

    def variables(self, params):
        if not self.k:
            return params
        w = params[self.split]
        return np.concatenate([np.maximum(w, 0.0), np.maximum(-w, 0.0), params[self.rest]])

    def params(self, x):
        if not self.k:
            return x
        k = self.k
        out = np.empty(self.n, x.dtype)
        out[self.split] = x[:k] - x[k : 2 * k]
        out[self.rest] = x[2 * k :]
        return out

    def bounds(self):
        if not self.k:
            return None
        return [(0.0, None)] * (2 * self.k) + [(None, None)] * (self.n - self.k)

    def documented(self, x, value):
        """The objective at the parameters of ``x``, from its value in the
        variables (which counts ``c * (w+ + w-)`` where ``|w+ - w-|`` is due)."""
        if not self.k:
            return value
        k = self.k
        excess = x[:k] + x[k : 2 * k] - np.abs(x[:k] - x[k : 2 * k])
        if np.ndim(self.c):
            return value - float(self.c @ excess)
        # (the same sum as the objective's, term by term)
        return value - self.c * (float(x[: 2 * k].sum()) - float(np.abs(x[:k] - x[k : 2 * k]).sum()))

    def objective(self, x, loss, grad):
        """The loss and gradient in the variables, from those in the parameters."""
        if not self.k:
            return loss, grad
        c = self.c
        g = grad[self.split]
        loss += self._l1(x)
        return loss, np.concatenate([g + c, c - g, grad[self.rest]])


class LBFGS(Solver):
    """scipy's L-BFGS-B on the whole training data, as scikit-learn's
    ``solver='lbfgs'``: at most ``max_iter`` iterations (the trainer's) and
    ``max_fun`` loss evaluations, stopping when the projected gradient is
    below ``tol``.

    Parameters
    ----------
    max_fun : int, default=15000
    """

    stochastic = False
    round_name = "iteration"

    def __init__(self, max_fun=15000):
        self.max_fun = max_fun

    def _l1_spans(self, net, m):
        spans = []
        for r in net.regularized:
            c = r.regularizer.l1_coefficient(m)
            if c is None:
                raise ValueError(
                    f"{type(r.regularizer).__name__} is not supported with solver='lbfgs': "
                    "its exact zeros come from proximal steps, which only the stochastic "
                    "solvers take. Use a stochastic solver."
                )
            if c:
                spans.append((r.start, r.stop, c))
        return spans

    def run(self, trainer, X, Y, sample_weight, validation):
        net, record, config = trainer.net, trainer.record, trainer.config
        blas = _SolverBlasThreads(net.params.size)
        m = float(X.shape[0] if sample_weight is None else sample_weight.sum())
        split = _L1Split(net.params.size, self._l1_spans(net, m))

        def objective(x):
            with blas.parallel():
                net.params[...] = split.params(x)
                loss = net.loss_grad(X, Y, sample_weight, penalize=True)
            return split.objective(x, loss, net.grad.astype(np.float64))

        accepted = {"x": split.variables(net.params.astype(np.float64)), "fun": None}

        def callback(intermediate_result):
            if trainer.diagnostics is not None:  # first: an interruption then records neither
                with blas.parallel():
                    trainer.diagnostics.iteration(X, Y, sample_weight,
                                                  split.params(intermediate_result.x))
            accepted["x"] = intermediate_result.x.copy()
            accepted["fun"] = intermediate_result.fun
            record.loss_ = np.float64(split.documented(accepted["x"], intermediate_result.fun))
            record.loss_curve_.append(record.loss_)
            record.n_iter_ += 1
            net.params[...] = split.params(intermediate_result.x)  # (evaluations set their own)
            record.nonzero_curve_.append(net.nonzero_weights())
            if config.verbose:
                print("Iteration %d, loss = %.8f" % (len(record.loss_curve_), record.loss_))
            if trainer.hooks.lbfgs_iteration(trainer, split.params(intermediate_result.x)):
                record.stop("callback")
                raise StopIteration  # a callback asked to stop

        trainer.hooks.task_begin()
        result = None
        with trainer.interruptible():
            blas.serial()
            try:
                result = scipy.optimize.minimize(
                    objective,
                    accepted["x"],
                    method="L-BFGS-B",
                    jac=True,
                    bounds=split.bounds(),
                    callback=callback,
                    options={"maxfun": self.max_fun, "maxiter": config.max_iter,
                             "gtol": config.tol},
                )
            finally:
                blas.restore()
        x, fun = accepted["x"], accepted["fun"]
        diverged = False
        if result is not None:
            record.n_iter_ = min(result.nit, config.max_iter)
            self._warn_status(trainer, result)
            diverged = not (np.isfinite(result.fun) and np.all(np.isfinite(result.x)))
            if not diverged:
                x, fun = result.x, float(result.fun)
        net.params[...] = split.params(x)
        if diverged:
            trainer.guard.recover(())
            record.stop("diverged")
            warnings.warn(
                "L-BFGS diverged (non-finite loss or weights); kept the last finite "
                "iterate. Scale the data or increase alpha.",
                ConvergenceWarning,
            )
        else:
            _check_final_weights(trainer, ())
        if fun is None or trainer.guard.recovered:  # the loss where the weights are now
            x = split.variables(net.params.astype(np.float64))
            fun = objective(x)[0]
        fun = split.documented(x, fun)
        # the statistics of the data at the final weights (the evaluations left
        # their own, line searches included)
        net.refresh_statistics(X, sample_weight)
        record.loss_ = np.float64(fun)
        record.best_loss_ = min(record.loss_curve_, default=record.loss_)

    def _warn_status(self, trainer, result):
        record, max_iter = trainer.record, trainer.config.max_iter
        if result.status == 0:
            record.stop("converged")
            return
        if trainer.hooks.stopped:
            return
        n_iter = record.n_iter_
        record.stop("max_iter" if n_iter == max_iter else "solver_failed", str(result.message))
        msg = (
            f"lbfgs failed to converge after {n_iter} iteration(s) "
            f"(status={result.status}):\n{result.message}\n"
        )
        if n_iter == max_iter:
            msg += (
                "\nIncrease the number of iterations to improve the "
                f"convergence (max_iter={max_iter})."
            )
        msg += (
            "\nYou might also want to scale the data as shown in:\n"
            "    https://scikit-learn.org/stable/modules/preprocessing.html"
        )
        # _warn_status < run < Trainer.fit < _fit < _overflow_checked's wrapper < fit
        warnings.warn(msg, ConvergenceWarning, stacklevel=6)
