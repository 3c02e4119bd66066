"""scikit-learn glue shared by both estimators: validation and fit loops.

A fit works on its own copies (a fresh :class:`~sknn._network.Network`, a copy
of the optimizer state and of the learning curves) and commits them to the
estimator only at the end, so an exception part-way leaves a previously fitted
model exactly as it was.
"""

import contextlib
import copy
import functools
import threading
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from threadpoolctl import ThreadpoolController

from ._activations import ACTIVATIONS
from ._callbacks import NO_HOOKS, CallbackSupportMixin, fit_hooks
from ._initializers import INITIALIZERS, initialize_layer
from ._network import Network, NonFinitePreactivation, predict_output
from ._optimizers import OPTIMIZERS
from ._penalties import PENALTIES

_STOCHASTIC_SOLVERS = set(OPTIMIZERS)
_FLOATS = (np.float64, np.float32)


def _check_has_features(X, est):
    """Reject 2-D input without columns with sklearn's message.

    sklearn's own check fails obscurely on a DataFrame without columns
    ("at least one array or dtype is required").
    """
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2 and shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={tuple(shape)}) while a "
            f"minimum of 1 is required by {type(est).__name__}."
        )


def _overflow_checked(fit):
    """Run a fit with numpy's overflow / invalid-value warnings silenced.

    Extreme data or a diverging step can overflow; the solvers check the loss
    and weights after every epoch or iteration and handle non-finite values
    (last finite weights and a ConvergenceWarning), so numpy's warnings would
    only repeat that, as RuntimeWarnings users cannot act on.
    """

    @functools.wraps(fit)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return fit(*args, **kwargs)

    return wrapper


class BaseMLP(CallbackSupportMixin, BaseEstimator):
    """Base class of :class:`~sknn.MLPClassifier` and :class:`~sknn.MLPRegressor`.

    Subclasses define how targets become the output matrix ``Y``
    (``_encode_targets``), which output activation they use, how outputs
    become predictions and how the early-stopping score is computed.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs"} | _STOCHASTIC_SOLVERS)],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(set(INITIALIZERS)), callable],
        "penalty": [StrOptions(set(PENALTIES)), None],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    }

    # ------------------------------------------------------------ validation
    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        for s in sizes:
            if not isinstance(s, Integral) or isinstance(s, bool) or s <= 0:
                raise InvalidParameterError(
                    f"hidden_layer_sizes must be positive integers, got {sizes}."
                )
        return [int(s) for s in sizes]

    def _dropout_rates(self, n_hidden):
        """One drop rate per hidden layer, validated."""
        rates = self.dropout
        if np.ndim(rates) == 0:
            rates = [rates] * n_hidden
        rates = list(rates)
        if len(rates) != n_hidden:
            raise InvalidParameterError(
                f"dropout has {len(rates)} rates but the network has {n_hidden} "
                "hidden layers; pass one rate per hidden layer or a single float."
            )
        for p in rates:
            if isinstance(p, bool) or not isinstance(p, Real) or not 0 <= p < 1:
                raise InvalidParameterError(
                    f"dropout rates must be floats in [0, 1), got {self.dropout!r}."
                )
        rates = tuple(float(p) for p in rates)
        if self.solver == "lbfgs" and any(rates):
            raise ValueError(
                "dropout is not supported with solver='lbfgs': L-BFGS needs a "
                "deterministic objective. Use solver='adam' or 'sgd', or dropout=0."
            )
        return rates

    def _validate_sample_weight(self, sample_weight, X):
        if sample_weight is None:
            return None
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        if np.any(sample_weight < 0):
            raise ValueError("sample_weight must be non-negative.")
        if sample_weight.sum() <= 0:
            raise ValueError("sample_weight must not sum to zero.")
        return sample_weight

    # ------------------------------------------------------------------ fit
    @_overflow_checked
    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        raw_data = (X, y, sample_weight)  # as passed, for scoring callbacks
        hidden = self._hidden_layer_sizes()
        dropout = self._dropout_rates(len(hidden))
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        _check_has_features(X, self)
        X, Y, targets = self._validate_input(
            X, y, incremental, reset=first_pass, classes=classes
        )
        if sp.issparse(X):
            X = X.tocsr()
        else:
            X = np.ascontiguousarray(X)
        sample_weight = self._validate_sample_weight(sample_weight, X)
        sample_weight = self._apply_class_weight(sample_weight, targets, X, incremental)

        layer_units = [X.shape[1], *hidden, Y.shape[1]]
        rng = check_random_state(self.random_state)
        state = _FitState(self, first_pass, incremental, layer_units, X.dtype, rng, targets)
        state.hooks = fit_hooks(self, *raw_data, incremental, targets.classes)

        if self.solver == "lbfgs":
            state.fit_lbfgs(X, Y, sample_weight)
        else:
            state.fit_stochastic(X, Y, sample_weight, targets, dropout)
        state.commit(targets)
        state.hooks.finish()
        return self

    # --------------------------------------------------------------- predict
    def _validate_X_predict(self, X):
        """Validate ``X`` for prediction: ``(X, finiteness_unchecked)``.

        Plain float arrays of the right shape skip scikit-learn's validation
        and leave the NaN / infinity check to the forward pass, which sees
        them in the first layer for free (``predict_output(check_layers=1)``)
        and then calls :meth:`_validate_X_full` for scikit-learn's error.
        """
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in _FLOATS
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
        ):
            return X, True
        return self._validate_X_full(X), False

    def _validate_X_full(self, X):
        _check_has_features(X, self)
        return validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=_FLOATS, reset=False
        )

    def _forward(self, X, check_input=True, raw=False):
        """Output activations (the last layer's raw output if ``raw``)."""
        unchecked = False
        with np.errstate(over="ignore", invalid="ignore"):
            if check_input:
                if not hasattr(self, "coefs_"):
                    check_is_fitted(self)
                X, unchecked = self._validate_X_predict(X)
            out_activation = None if raw else self.out_activation_
            args = (self.coefs_, self.intercepts_, self.activation, out_activation)
            try:
                out = predict_output(X, *args, check_layers=int(unchecked))
            except NonFinitePreactivation:
                X = self._validate_X_full(X)  # raises scikit-learn's error for NaN / inf
                out = predict_output(X, *args)  # finite X whose product overflowed
        if not np.isfinite(out).all():
            bad = int((~np.isfinite(out)).any(axis=1).sum())
            raise ValueError(
                f"The network's output is not finite for {bad} of {out.shape[0]} "
                "sample(s): X has values too large in magnitude for the fitted "
                "weights. Scale X as the training data was scaled."
            )
        return out

    # ----------------------------------------------------------------- tools
    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    def summary(self):
        """A Keras-style table of the layers and their parameter counts.

        Returns
        -------
        table : str
            One row per dense layer (units, activation, dropout rate and
            trainable parameters ``fan_in * fan_out + fan_out``) and the total.
        """
        check_is_fitted(self)
        units = [self.n_features_in_] + [c.shape[1] for c in self.coefs_]
        n_hidden = len(units) - 2
        rates = self._dropout_rates(n_hidden) if self.solver != "lbfgs" else (0.0,) * n_hidden
        rows = [("Layer", "Units", "Activation", "Dropout", "Params")]
        rows.append(("input", str(units[0]), "", "", "0"))
        for i in range(1, len(units)):
            hidden_layer = i < len(units) - 1
            rows.append(
                (
                    f"hidden {i}" if hidden_layer else "output",
                    str(units[i]),
                    self.activation if hidden_layer else self.out_activation_,
                    f"{rates[i - 1]:g}" if hidden_layer else "",
                    f"{units[i - 1] * units[i] + units[i]:,}",
                )
            )
        widths = [max(len(r[j]) for r in rows) for j in range(5)]
        line = "-" * (sum(widths) + 8)
        fmt = lambda r: "  ".join(  # noqa: E731
            c.ljust(w) if j < 3 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))
        )
        out = [fmt(rows[0]), line, *map(fmt, rows[1:]), line]
        out.append(f"Total params: {self.n_params_:,}")
        return "\n".join(out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class _SolverBlasThreads:
    """Serial BLAS for scipy's L-BFGS-B, all threads for the objective.

    L-BFGS-B updates its vectors of ``n_params`` values with BLAS level-1
    calls, which OpenBLAS threads above 10k values; waking the worker for each
    costs more than the call (50 iterations on 25k parameters: 0.36 s
    threaded, 0.04 s serial). So BLAS runs serially around the solver and gets
    its threads back for the objective's matrix products (~30 us per switch).
    Only for large parameter vectors, and only on the main thread: the BLAS
    thread count is process-wide, and fits running concurrently in threads
    would otherwise restore each other's limits.
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


class _FitState:
    """Everything one call to ``fit``/``partial_fit`` changes, until commit."""

    hooks = NO_HOOKS  # sklearn callbacks, see _callbacks.fit_hooks

    def __init__(self, est, first_pass, incremental, layer_units, dtype, rng, targets):
        self.est = est
        self.incremental = incremental
        self.rng = rng
        out_activation = est._out_activation(targets)
        net = Network(layer_units, est.activation, out_activation, dtype)
        if first_pass:
            for W, b in zip(net.coefs, net.intercepts):
                W[...], b[...] = initialize_layer(
                    est.init, W.shape[0], W.shape[1], rng, dtype, est.activation
                )
            self.t_, self.loss_curve_ = 0, []
            self.validation_scores_ = [] if est.early_stopping else None
            self.validation_loss_curve_ = [] if est.early_stopping else None
            self.best_validation_score_ = -np.inf if est.early_stopping else None
            self.best_loss_ = None if est.early_stopping else np.inf
            self._no_improvement_count = 0
            self.optimizer = None
        else:
            shapes = [W.shape for W in est.coefs_]
            if shapes[-1][1] != net.layer_units[-1]:
                raise ValueError(
                    f"y has {net.layer_units[-1]} output(s) (columns) but the model "
                    f"was fitted with {shapes[-1][1]}; pass y of the same shape, or "
                    "fit from scratch (warm_start=False) to change the outputs."
                )
            if shapes != [W.shape for W in net.coefs]:
                raise ValueError(
                    "The network's shape changed since the last fit (weights "
                    f"{shapes}, now {[W.shape for W in net.coefs]}); set "
                    "warm_start=False or keep hidden_layer_sizes."
                )
            net.set_parameters(est.coefs_, est.intercepts_)
            self.t_ = est.t_
            self.loss_curve_ = list(getattr(est, "loss_curve_", []))
            for name in (
                "validation_scores_",
                "validation_loss_curve_",
            ):
                value = getattr(est, name, None)
                setattr(self, name, None if value is None else list(value))
            if est.early_stopping and self.validation_scores_ is None:
                self.validation_scores_, self.validation_loss_curve_ = [], []
            self.best_validation_score_ = getattr(est, "best_validation_score_", None)
            self.best_loss_ = getattr(est, "best_loss_", np.inf)
            if est.early_stopping and self.best_validation_score_ is None:
                self.best_validation_score_ = -np.inf
            if not est.early_stopping and self.best_loss_ is None:
                self.best_loss_ = np.inf
            self._no_improvement_count = getattr(est, "_no_improvement_count", 0)
            optimizer = getattr(est, "_optimizer", None)
            self.optimizer = copy.deepcopy(optimizer) if incremental else None
        self.net = net
        self.n_iter_ = 0
        self.loss_ = None

    # ----------------------------------------------------------- stochastic
    def _make_optimizer(self):
        est = self.est
        return OPTIMIZERS[est.solver](
            self.net.params.size,
            self.net.dtype,
            learning_rate_init=est.learning_rate_init,
            learning_rate=est.learning_rate,
            momentum=est.momentum,
            nesterovs_momentum=est.nesterovs_momentum,
            power_t=est.power_t,
            beta_1=est.beta_1,
            beta_2=est.beta_2,
            epsilon=est.epsilon,
        )

    def _split(self, n, targets):
        """Indices of the training and validation rows."""
        est = self.est
        idx = np.arange(n)
        if not est.early_stopping:
            return idx, None
        too_small = (
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
        stratify = est._stratify_labels(targets)
        try:
            train, val = train_test_split(
                idx, random_state=self.rng, test_size=est.validation_fraction, stratify=stratify
            )
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

    def fit_stochastic(self, X, Y, sample_weight, targets, dropout):
        est, net = self.est, self.net
        if self.optimizer is None:
            self.optimizer = self._make_optimizer()
        train_idx, val_idx = self._split(X.shape[0], targets)
        validation = None
        if val_idx is not None:
            validation = _ValidationSet(X, Y, targets, sample_weight, val_idx, est)
        n = train_idx.shape[0]
        if est.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if est.batch_size > n:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped"
                )
            batch_size = int(np.clip(est.batch_size, 1, n))
        dropout_rng = None
        if any(dropout):
            dropout_rng = np.random.default_rng(self.rng.randint(np.iinfo(np.int32).max))
        batches = _Batches(X, Y, sample_weight, train_idx, batch_size, est.shuffle)
        loss_kwargs = dict(
            alpha=est.alpha,
            penalty=est.penalty,
            l1_ratio=est.l1_ratio,
            dropout=dropout,
            rng=dropout_rng,
        )
        best_params = net.params.copy() if validation is not None else None
        # Fallbacks on divergence: the weights this fit started from, and the
        # starts of the current and of the previous epoch (swapped, not copied).
        start = net.params.copy()
        epoch_start, previous = net.params.copy(), net.params.copy()
        try:
            for _ in range(est.max_iter):
                self.hooks.task_begin()
                previous, epoch_start = epoch_start, previous
                epoch_start[...] = net.params
                accumulated = 0.0
                for Xb, Yb, swb in batches.epoch(self.rng):
                    loss = net.train_step(self.optimizer, Xb, Yb, swb, **loss_kwargs)
                    accumulated += loss * Xb.shape[0]
                self.n_iter_ += 1
                self.loss_ = accumulated / n
                if not (np.isfinite(self.loss_) and np.isfinite(net.params.sum())):
                    self._restore_usable(X, (epoch_start, previous, start))
                    warnings.warn(
                        f"Training diverged at epoch {self.n_iter_} (non-finite loss "
                        "or weights); stopped and kept the last finite weights. "
                        "Lower learning_rate_init or scale the data.",
                        ConvergenceWarning,
                    )
                    self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else np.nan
                    break
                self.t_ += n
                self.loss_curve_.append(self.loss_)
                if est.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
                if validation is not None:
                    if self._track_validation(validation):
                        best_params[...] = net.params
                else:
                    self._track_training_loss()
                self.optimizer.iteration_ends(self.t_)
                if self.hooks.epoch_end(self):
                    break
                if self._no_improvement_count > est.n_iter_no_change:
                    if self.optimizer.trigger_stopping(self._stall_message(), est.verbose):
                        break
                    self._no_improvement_count = 0
                if self.incremental:
                    break
                if self.n_iter_ == est.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) reached and "
                        "the optimization hasn't converged yet." % est.max_iter,
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
        if validation is not None:
            net.params[...] = best_params
        elif not self._restored and not self._outputs_finite(X):
            # The last epoch's loss was finite but its updates blew up.
            self._restore_usable(X, (epoch_start, previous, start))
            warnings.warn(
                "Training diverged in the last epoch: the final weights overflow "
                "on the training data; kept the last weights with finite outputs. "
                "Lower learning_rate_init or momentum, or scale the data.",
                ConvergenceWarning,
            )

    _restored = False

    def _outputs_finite(self, X):
        """Whether the network computes finite values on ``X``, output and
        hidden layers alike.

        Decided without a forward pass when a bound holds: every hidden
        activation has ``|f(z)| <= 1.06 |z| + 2``, so each layer's outputs are
        at most ``1.06 * (bound * max column sum of |W| + max |b|) + 2``.
        """
        net = self.net
        bound = float(max(X.max(), -X.min()))
        for W, b in zip(net.coefs, net.intercepts):
            bound = 1.06 * (bound * float(np.abs(W).sum(axis=0).max()) + float(np.abs(b).max())) + 2
        if bound < np.finfo(net.dtype).max / 16:
            return True
        return self._no_overflow_on(X)

    def _no_overflow_on(self, X):
        """Whether no layer's pre-activation on ``X`` is NaN or infinite
        (a ReLU of -inf or a tanh would hide the overflow from the output)."""
        net = self.net
        try:
            predict_output(X, net.coefs, net.intercepts, self.est.activation, None,
                           check_layers=len(net.coefs))
        except NonFinitePreactivation:
            return False
        return True

    def _restore_usable(self, X, candidates):
        """Put back the first candidate weights that compute finite values on ``X``.

        Finite weights are not enough: after a blow-up they can be so large
        that the network overflows on the training data itself. The last
        candidate (the weights the fit started from) is the final fallback.
        """
        self._restored = True
        for params in candidates:
            self.net.params[...] = params
            if self._no_overflow_on(X):
                return

    def _stall_message(self):
        what = "Validation score" if self.est.early_stopping else "Training loss"
        return "%s did not improve more than tol=%f for %d consecutive epochs." % (
            what,
            self.est.tol,
            self.est.n_iter_no_change,
        )

    def _track_validation(self, validation):
        """Score the validation set; True when it is the best so far."""
        score, loss = validation.evaluate(self.net)
        self.validation_scores_.append(score)
        self.validation_loss_curve_.append(loss)
        if self.est.verbose:
            print("Validation score: %f" % score)
        if score < self.best_validation_score_ + self.est.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            return True
        return False

    def _track_training_loss(self):
        loss = self.loss_curve_[-1]
        if loss > self.best_loss_ - self.est.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if loss < self.best_loss_:
            self.best_loss_ = loss

    # ---------------------------------------------------------------- lbfgs
    def fit_lbfgs(self, X, Y, sample_weight):
        est, net = self.est, self.net
        kwargs = dict(alpha=est.alpha, penalty=est.penalty, l1_ratio=est.l1_ratio)

        blas = _SolverBlasThreads(net.params.size)

        def objective(flat):
            with blas.parallel():
                net.params[...] = flat
                loss = net.loss_grad(X, Y, sample_weight, **kwargs)
            return loss, net.grad.astype(np.float64)

        accepted = {"x": net.params.astype(np.float64), "fun": None}

        def callback(intermediate_result):
            accepted["x"] = intermediate_result.x.copy()
            accepted["fun"] = float(intermediate_result.fun)
            self.loss_curve_.append(accepted["fun"])
            if est.verbose:
                print("Iteration %d, loss = %.8f" % (len(self.loss_curve_), accepted["fun"]))
            if self.hooks.lbfgs_iteration(self, intermediate_result.x):
                raise StopIteration  # a callback asked to stop

        self.hooks.task_begin()
        blas.serial()
        try:
            result = scipy.optimize.minimize(
                objective,
                accepted["x"],
                method="L-BFGS-B",
                jac=True,
                callback=callback,
                options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol},
            )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
            net.params[...] = accepted["x"]
            self.n_iter_ = len(self.loss_curve_)
            self.loss_ = accepted["fun"]
            if self.loss_ is None:
                self.loss_ = objective(accepted["x"])[0]
            return
        finally:
            blas.restore()
        self.n_iter_ = min(result.nit, est.max_iter)
        if result.status != 0 and not self.hooks.stopped:
            msg = (
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                f"(status={result.status}):\n{result.message}\n"
            )
            if self.n_iter_ == est.max_iter:
                msg += (
                    "\nIncrease the number of iterations to improve the "
                    f"convergence (max_iter={est.max_iter})."
                )
            msg += (
                "\nYou might also want to scale the data as shown in:\n"
                "    https://scikit-learn.org/stable/modules/preprocessing.html"
            )
            # fit_lbfgs < _fit < _overflow_checked's wrapper < fit
            warnings.warn(msg, ConvergenceWarning, stacklevel=4)
        x, fun = result.x, float(result.fun)
        if not (np.isfinite(fun) and np.all(np.isfinite(x))):
            x, fun = accepted["x"], accepted["fun"]
            warnings.warn(
                "L-BFGS diverged (non-finite loss or weights); kept the last finite "
                "iterate. Scale the data or increase alpha.",
                ConvergenceWarning,
            )
        net.params[...] = x
        self.loss_ = fun if fun is not None else objective(x)[0]
        self.best_loss_ = min(self.loss_curve_, default=self.loss_)

    # --------------------------------------------------------------- commit
    def commit(self, targets):
        """Write the new state onto the estimator."""
        est, net = self.est, self.net
        est._set_targets(targets)
        est.coefs_ = net.coefs
        est.intercepts_ = net.intercepts
        est.n_layers_ = net.n_layers
        est.n_outputs_ = net.layer_units[-1]
        est.out_activation_ = net.out_activation
        est.n_params_ = int(net.params.size)
        est.n_iter_ = self.n_iter_
        est.t_ = self.t_
        est.loss_ = self.loss_
        est.loss_curve_ = self.loss_curve_
        est.best_loss_ = self.best_loss_
        est.validation_scores_ = self.validation_scores_
        est.validation_loss_curve_ = self.validation_loss_curve_
        est.best_validation_score_ = self.best_validation_score_
        est._no_improvement_count = self._no_improvement_count
        est._optimizer = self.optimizer


class _Batches:
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
        # mode="raise" copies through a temporary buffer when given `out`
        # (a W1 batch: 48 us instead of 25).
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


class _ValidationSet:
    """The held-out rows of early stopping, scored without dropout."""

    def __init__(self, X, Y, targets, sample_weight, rows, est):
        self.X = X[rows]
        self.Y = Y[rows]
        self.sw = None if sample_weight is None else sample_weight[rows]
        if self.sw is not None and not self.sw.sum() > 0:
            raise ValueError(
                "Every sample held out for early stopping has zero sample_weight, "
                "so the validation score is undefined. Drop the zero-weight "
                "samples, or change validation_fraction or random_state."
            )
        self.targets = est._targets_subset(targets, rows)
        self.est = est

    def evaluate(self, net):
        """Validation score (accuracy or R2) and mean validation loss."""
        raw = predict_output(
            self.X, net.coefs, net.intercepts, self.est.activation, None
        )
        losses = net.loss.loss_and_delta(raw, self.Y)
        raw += self.Y  # loss_and_delta left P - Y
        loss = float(np.average(losses, weights=self.sw))
        if not np.all(np.isfinite(raw)):
            return np.nan, loss
        score = self.est._score_from_output(raw, self.targets, self.sw)
        return float(score), loss
