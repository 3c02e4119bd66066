"""The scikit-learn estimators: ``MLPClassifier``, ``MLPRegressor`` and their
Display objects, on the numpy core (``sknn.nn``) and the trainer
(``sknn.training``). ``components`` says how their parameters become the
core's components."""

from .display import (
    DiagnosticsDisplay,
    LossCurveDisplay,
    SelectionPathDisplay,
    SparsityDisplay,
)
from .mlp import MLPClassifier, MLPRegressor
from .selection import FeatureAlphaPath, feature_alpha_path
from .tabular import TableEncoder, TabularMLPClassifier, TabularMLPRegressor

__all__ = [
    "DiagnosticsDisplay",
    "FeatureAlphaPath",
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "SelectionPathDisplay",
    "SparsityDisplay",
    "TableEncoder",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "feature_alpha_path",
]
