"""sknn's numpy core: the building blocks of the estimators, public for
extending them. Imports numpy and scipy only, never scikit-learn.

- :mod:`~sknn.nn.layers`: :class:`Layer` and the built-in layers, with
  :class:`Parameter` declarations; :mod:`~sknn.nn.tabular`, the layers for
  tables (robust scaling, piecewise-linear encoding, an ensemble of members
  sharing their hidden layers);
- :mod:`~sknn.nn.activations`, :mod:`~sknn.nn.losses`,
  :mod:`~sknn.nn.initializers`, :mod:`~sknn.nn.regularizers`,
  :mod:`~sknn.nn.constraints`, :mod:`~sknn.nn.optimizers`,
  :mod:`~sknn.nn.schedules`: the components, each a class whose constructor
  declares its parameters (scikit-learn's nested ``solver__learning_rate``
  convention);
- :mod:`~sknn.nn.network`: :class:`Network`, layers over one flat parameter
  vector;
- :mod:`~sknn.nn.registry`: the registries that make a name (``solver="lion"``)
  available to the estimators, their validation and the command line.

The compiled loops (numba, the ``fast`` extra) are an implementation detail;
:func:`compiled_loops` switches them off for a block of code.

Examples
--------
>>> import numpy as np
>>> from sknn import MLPClassifier
>>> from sknn.nn import Adagrad
>>> X = np.random.RandomState(0).rand(40, 3); y = (X[:, 0] > 0.5).astype(int)
>>> clf = MLPClassifier((8,), solver=Adagrad(learning_rate=0.1), max_iter=50,
...                     random_state=0).fit(X, y)
>>> clf.get_params()["solver__learning_rate"]
0.1
"""

from ._kernels import compiled_loops
from .activations import ACTIVATIONS, OUTPUT_ACTIVATIONS, Activation
from .component import Component, Interval, clone_component
from .constraints import Constraint, MaxNorm, ZeroRows
from .initializers import (
    INITIALIZERS,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Initializer,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    ScikitLearnUniform,
    TruncatedNormal,
    VarianceScaling,
)
from .layers import (
    NORMALIZATIONS,
    ActivationLayer,
    BatchNormalization,
    Dense,
    Dropout,
    Layer,
    LayerNormalization,
    NonFinitePreactivation,
    Parameter,
)
from .losses import (
    LOSSES,
    AbsoluteError,
    BinaryLogLoss,
    Huber,
    LogLoss,
    Loss,
    Poisson,
    Quantile,
    SquaredError,
)
from .network import Network, dense_stack, describe
from .optimizers import OPTIMIZERS, SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from .registry import Registry
from .regularizers import REGULARIZERS, L1, L2, ElasticNet, GroupLasso, Regularizer
from .schedules import SCHEDULES, Adaptive, Constant, Cosine, InvScaling, Schedule
from .tabular import (
    CategoricalEmbedding,
    EnsembleHead,
    EnsembleInput,
    OneHotEncoding,
    PeriodicEmbedding,
    PiecewiseLinearEncoding,
    RobustScaling,
)

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "NORMALIZATIONS",
    "OPTIMIZERS",
    "OUTPUT_ACTIVATIONS",
    "REGULARIZERS",
    "SCHEDULES",
    "L1",
    "L2",
    "SGD",
    "AbsoluteError",
    "Activation",
    "ActivationLayer",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adaptive",
    "BatchNormalization",
    "BinaryLogLoss",
    "CategoricalEmbedding",
    "Component",
    "Constant",
    "Constraint",
    "Cosine",
    "Dense",
    "Dropout",
    "ElasticNet",
    "EnsembleHead",
    "EnsembleInput",
    "GlorotNormal",
    "GlorotUniform",
    "GroupLasso",
    "HeNormal",
    "HeUniform",
    "Huber",
    "Initializer",
    "Interval",
    "InvScaling",
    "Layer",
    "LayerNormalization",
    "LecunNormal",
    "LecunUniform",
    "LogLoss",
    "Loss",
    "MaxNorm",
    "Network",
    "NonFinitePreactivation",
    "OneHotEncoding",
    "Optimizer",
    "Orthogonal",
    "Parameter",
    "PeriodicEmbedding",
    "PiecewiseLinearEncoding",
    "Poisson",
    "Quantile",
    "RMSprop",
    "RandomNormal",
    "RandomUniform",
    "Registry",
    "Regularizer",
    "RobustScaling",
    "Schedule",
    "ScikitLearnUniform",
    "SquaredError",
    "TruncatedNormal",
    "VarianceScaling",
    "ZeroRows",
    "clone_component",
    "compiled_loops",
    "dense_stack",
    "describe",
]
