"""sknn: scikit-learn compatible neural networks on a from-scratch numpy core.

``MLPClassifier`` and ``MLPRegressor`` are drop-ins for scikit-learn's, with
weight initializers, L1 / L2 / elastic-net penalties (with exact zeros) and
feature selection, dropout, more activations, normalization layers, more
solvers and schedules, and class weights. Their building blocks are public
in :mod:`sknn.nn`.

The package's parts:

- ``sknn.nn``: the numpy core (layers, activations, losses, initializers,
  regularizers, constraints, optimizers, schedules, the network, the
  registries); never imports scikit-learn;
- ``sknn.training``: the trainer, the solvers, the training record, early
  stopping and the layer diagnostics;
- ``sknn.estimators``: the scikit-learn estimators and their displays;
- ``sknn.export``: ONNX export;
- ``sknn.cli``: the ``sknn`` command line (CSV reading, table preprocessing,
  chunked training).
"""

from . import _legacy, nn
from .estimators import (
    DiagnosticsDisplay,
    FeatureAlphaPath,
    LossCurveDisplay,
    MLPClassifier,
    MLPRegressor,
    SelectionPathDisplay,
    SparsityDisplay,
    TableEncoder,
    TabularMLPClassifier,
    TabularMLPRegressor,
    feature_alpha_path,
)
from .export import convert_when_imported, register_onnx_converters

__version__ = "0.1.0"

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
    "__version__",
    "feature_alpha_path",
    "nn",
    "register_onnx_converters",
]

_legacy.install()
convert_when_imported()
