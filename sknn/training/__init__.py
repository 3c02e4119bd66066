"""Training: the trainer, the solvers, the record, early stopping and the
layer diagnostics.

A :class:`Trainer` takes a :class:`~sknn.nn.Network`, data, a
:class:`Stochastic` or :class:`LBFGS` solver and a plain
:class:`TrainingConfig`, and returns a :class:`TrainingRecord` (curves, best
scores, counters, why it stopped). It never reads or writes an estimator;
the estimators in ``sknn.estimators`` build its inputs from their parameters
and commit its results.
"""

from .diagnostics import QUANTITIES, Diagnostics
from .record import STOP_REASONS, TrainingRecord
from .solvers import LBFGS, Solver, Stochastic
from .trainer import DivergenceGuard, HoldOut, Trainer, TrainingConfig, ValidationSet

__all__ = [
    "LBFGS",
    "QUANTITIES",
    "STOP_REASONS",
    "Diagnostics",
    "DivergenceGuard",
    "HoldOut",
    "Solver",
    "Stochastic",
    "Trainer",
    "TrainingConfig",
    "TrainingRecord",
    "ValidationSet",
]
