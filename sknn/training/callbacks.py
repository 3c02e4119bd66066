"""scikit-learn's experimental callback API (``sklearn.callback``) in the solvers.

A fit is one root task; each epoch of the stochastic solvers (each iteration
of L-BFGS) is one sub-task. Callbacks set with ``set_callbacks``, or
propagated by a meta-estimator (``Pipeline``, ``GridSearchCV``, ...), see
``on_fit_task_begin`` / ``on_fit_task_end`` for every task, with a
ready-to-predict copy of the model as ``fitted_estimator``. An
``on_fit_task_end`` returning True stops the fit after that epoch.

The solvers call the hooks unconditionally; when no callback is involved they
get :data:`NO_HOOKS`, whose hooks do nothing. The trainer ends the root task
however the fit ends (``finish``).
"""

import sklearn

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn without the experimental callback API

    class CallbackSupportMixin:  # type: ignore[no-redef]
        """Stand-in whose ``set_callbacks`` explains what is missing."""

        def set_callbacks(self, *callbacks):
            """Unavailable: this scikit-learn has no ``sklearn.callback``."""
            raise ImportError(
                "set_callbacks needs scikit-learn's experimental callback API "
                "(the sklearn.callback module, scikit-learn >= 1.9); the installed "
                f"scikit-learn {sklearn.__version__} does not have it. Upgrade "
                "with: pip install 'scikit-learn>=1.9'"
            )


__all__ = ["CallbackSupportMixin", "NO_HOOKS", "fit_hooks"]


class _NoHooks:
    """Hooks of a fit without callbacks: all no-ops."""

    stopped = False

    def task_begin(self):
        pass

    def epoch_end(self, trainer):
        return False

    def lbfgs_iteration(self, trainer, x):
        return False

    def finish(self, trainer=None):
        pass


NO_HOOKS = _NoHooks()


def fit_hooks(est, X, y, sample_weight, solver, max_iter, incremental, classes):
    """The hooks of one ``fit`` / ``partial_fit``; begins the root task.

    ``X``, ``y`` and ``sample_weight`` are the arguments as the user passed
    them, so a scoring callback predicts on the same data (a data frame keeps
    its feature names). ``solver`` is the fit's solver (its rounds are the
    sub-tasks), ``classes`` the classifier's classes, else None.
    """
    if not hasattr(est, "_init_callback_context") or not (
        hasattr(est, "_skl_callbacks") or hasattr(est, "_parent_callback_ctx")
    ):
        return NO_HOOKS
    if not solver.stochastic:
        n_tasks = max_iter + 1  # + the task still open when scipy returns
    else:
        n_tasks = 1 if incremental else max_iter
    return _FitHooks(est, X, y, sample_weight, n_tasks, classes, solver.round_name)


class _FitHooks:
    def __init__(self, est, X, y, sample_weight, n_tasks, classes, name):
        self.est = est
        self.classes = classes
        metadata = {} if sample_weight is None else {"sample_weight": sample_weight}
        self.data = dict(X=X, y=y, metadata=metadata)
        self.root = est._init_callback_context(task_name="fit", max_subtasks=n_tasks)
        self.root.call_on_fit_task_begin(estimator=est, **self.data)
        self.task = None
        self.stopped = False
        self.name = name

    def task_begin(self):
        """Begin the next epoch (or L-BFGS iteration)."""
        self.task = self.root.subcontext(task_name=self.name)
        self.task.call_on_fit_task_begin(estimator=self.est, **self.data)

    def epoch_end(self, trainer):
        """End the current epoch; True when a callback asks to stop."""
        task, self.task = self.task, None
        self.stopped = bool(
            task.call_on_fit_task_end(
                estimator=self.est,
                **self.data,
                reconstruction_attributes=lambda: self._snapshot(trainer),
            )
        )
        return self.stopped

    def lbfgs_iteration(self, trainer, x):
        """End the L-BFGS iteration that produced ``x`` and begin the next.

        scipy reports iterations only at their end, so, as scikit-learn's
        LogisticRegression does, the next iteration's task begins here and the
        one left open when the solver returns is closed empty by ``finish``.
        """
        # Safe: the objective writes its own point before every evaluation.
        trainer.net.params[...] = x
        if self.epoch_end(trainer):
            return True
        self.task_begin()
        return False

    def finish(self, trainer=None):
        """End an epoch left open (divergence, interruption) and the root task:
        with the model ``trainer`` trained when the fit succeeded, with the
        estimator as it is when the fit failed."""
        if self.task is not None:
            self.task.call_on_fit_task_end(estimator=self.est)
            self.task = None
        self.root.call_on_fit_task_end(
            estimator=self.est, **self.data,
            reconstruction_attributes=self._snapshot(trainer) if trainer is not None else {},
        )

    def _snapshot(self, trainer):
        """Fitted attributes of the model as it is now, for ``fitted_estimator``:
        the same network and record attributes a fit commits."""
        attrs = {**trainer.net.fitted_attributes(copy=True), **trainer.record.snapshot()}
        if self.classes is not None:
            attrs["classes_"] = self.classes
        return attrs
