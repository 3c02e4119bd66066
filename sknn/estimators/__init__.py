"""The scikit-learn estimators: ``MLPClassifier``, ``MLPRegressor`` and their
Display objects, on the numpy core (``sknn.nn``) and the trainer
(``sknn.training``). ``components`` says how their parameters become the
core's components."""

from .display import DiagnosticsDisplay, LossCurveDisplay, SparsityDisplay
from .mlp import MLPClassifier, MLPRegressor

__all__ = [
    "DiagnosticsDisplay",
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "SparsityDisplay",
]
