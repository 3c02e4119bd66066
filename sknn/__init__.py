"""sknn: scikit-learn compatible neural networks on a from-scratch numpy core.

``MLPClassifier`` and ``MLPRegressor`` are drop-ins for scikit-learn's, with
weight initializers, L1 / L2 / elastic-net penalties (with exact zeros) and
feature selection, dropout, more activations, normalization layers, more
solvers and schedules, and class weights.
"""

from ._classes import MLPClassifier, MLPRegressor
from ._display import DiagnosticsDisplay, LossCurveDisplay, SparsityDisplay
from ._onnx import _register_if_installed, register_onnx_converters

__version__ = "0.1.0"

__all__ = [
    "DiagnosticsDisplay",
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "SparsityDisplay",
    "__version__",
    "register_onnx_converters",
]

# skl2onnx.to_onnx converts sknn's estimators without a further step when
# the 'onnx' extra is installed.
_register_if_installed()
