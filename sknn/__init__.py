"""sknn: scikit-learn compatible neural networks on a from-scratch numpy core.

``MLPClassifier`` and ``MLPRegressor`` are drop-ins for scikit-learn's, with
weight initializers, L1 / L2 / elastic-net penalties, dropout, more
activations and class weights.
"""

from ._classes import MLPClassifier, MLPRegressor
from ._display import LossCurveDisplay

__version__ = "0.1.0"

__all__ = ["LossCurveDisplay", "MLPClassifier", "MLPRegressor", "__version__"]
