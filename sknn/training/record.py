"""The training record: curves, counters, best scores and why training stopped.

A fit starts a :class:`TrainingRecord` (or resumes the one of a fitted model,
for ``warm_start`` and ``partial_fit``), the solvers write into it, and the
estimator takes its :meth:`~TrainingRecord.attributes` as fitted attributes
when the fit succeeds. Callbacks see a :meth:`~TrainingRecord.snapshot` after
every epoch.
"""

import numpy as np

__all__ = ["STOP_REASONS", "TrainingRecord"]

#: Why training stopped: the values of ``stop_reason_``.
STOP_REASONS = {
    "max_iter": "reached max_iter before converging",
    "no_improvement": "the monitored loss or score stopped improving (n_iter_no_change)",
    "converged": "L-BFGS met its tolerance",
    "solver_failed": "L-BFGS stopped before converging (stop_detail_ says why)",
    "diverged": "the loss or the weights became non-finite",
    "interrupted": "interrupted (Ctrl-C)",
    "callback": "a callback asked to stop",
    "one_epoch": "partial_fit ran its one epoch",
}


class TrainingRecord:
    """The fitted training record.

    :data:`ATTRIBUTES` are the estimator attributes it holds; a fit resumes
    them from a warm-started estimator's and hands them back to it.

    Parameters
    ----------
    early_stopping : bool
        Whether a validation score is tracked.
    stochastic : bool
        Whether the solver runs epochs (with a learning-rate curve).
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
        "stop_reason_",
        "stop_detail_",
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
        # per-layer statistics per epoch (see diagnostics), with diagnostics=True
        self.diagnostics_ = None
        self.stop_reason_, self.stop_detail_ = None, ""
        self._no_improvement_count = 0

    @classmethod
    def resume(cls, attributes, early_stopping, stochastic=True):
        """Continue the record held in a fitted model's ``attributes`` (a
        mapping of its fitted attributes)."""
        record = cls(early_stopping, stochastic)
        record.t_ = attributes.get("t_", 0)
        record.loss_curve_ = list(attributes.get("loss_curve_", []))
        names = ["validation_scores_", "validation_loss_curve_", "nonzero_curve_"]
        for name in names + ["learning_rate_curve_"] * stochastic:
            value = attributes.get(name)
            if value is not None:
                setattr(record, name, list(value))
        for name in ("best_validation_score_", "best_loss_", "diagnostics_"):
            value = attributes.get(name)
            if value is not None:
                setattr(record, name, value)
        record._no_improvement_count = attributes.get("_no_improvement_count", 0)
        return record

    def attributes(self):
        """The attributes to set on the fitted estimator (diagnostics as
        arrays of their own)."""
        attributes = {name: getattr(self, name) for name in self.ATTRIBUTES}
        if self.diagnostics_ is not None:
            attributes["diagnostics_"] = {
                name: rows.copy() for name, rows in self.diagnostics_.items()}
        return attributes

    def snapshot(self):
        """The attributes as they are now, lists copied."""
        return {
            name: list(value) if isinstance(value, list) else value
            for name, value in ((name, getattr(self, name)) for name in self.ATTRIBUTES)
        }

    def stop(self, reason, detail=""):
        """Record why training stopped (one of :data:`STOP_REASONS`); the first
        reason given stands."""
        if self.stop_reason_ is None:
            self.stop_reason_, self.stop_detail_ = reason, detail

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
