"""How the estimators' parameters become components: the one place.

Each component parameter of ``MLPClassifier`` / ``MLPRegressor`` takes a
registered name or an instance. An instance is used as it is (a copy of it,
so the estimator's parameter is never changed): it has exactly its own
parameters. A name of a built-in component keeps scikit-learn's meaning: the
flat scikit-learn parameters configure it, as this table says, and nothing
else does. Another registered name is built with its own defaults.

==================  ==============================================================
parameter value     component
==================  ==============================================================
solver='sgd'        ``SGD(learning_rate_init, momentum, nesterovs_momentum)``
solver='adam'       ``Adam(learning_rate_init, beta_1, beta_2, epsilon)``
solver='adamw'      ``AdamW(learning_rate_init, beta_1, beta_2, epsilon, weight_decay)``
solver='rmsprop'    ``RMSprop(learning_rate_init, rho, epsilon)``
solver='adagrad'    ``Adagrad(learning_rate_init, epsilon)``
solver='lbfgs'      the L-BFGS solver (``max_fun``, ``max_iter``, ``tol``)
learning_rate=...   'constant' ``Constant()``, 'invscaling' ``InvScaling(power_t)``,
                    'adaptive' ``Adaptive()``, 'cosine' ``Cosine(warmup_iter)``
penalty=...         'l2' ``L2(alpha)``, 'l1' ``L1(alpha)``,
                    'elasticnet' ``ElasticNet(alpha, l1_ratio)``; None: no penalty
feature_alpha > 0   ``GroupLasso(feature_alpha)`` on the first layer's weights
init='auto'         ``ScikitLearnUniform(activation)``, per layer; other names
                    their class with its defaults
normalization=...   'batch' ``BatchNormalization(batch_norm_momentum)``,
                    'layer' ``LayerNormalization()``
max_norm            ``MaxNorm(max_norm)`` on the hidden layers' weights
loss='huber'        ``Huber(huber_delta)`` (``MLPRegressor``)
loss='quantile'     ``Quantile(quantile)`` (``MLPRegressor``)
==================  ==============================================================

Values are converted with ``float`` where scikit-learn's MLP would, so that
a grid of numpy numbers trains exactly as the same Python numbers.
"""

from ..nn.component import clone_component
from ..nn.constraints import MaxNorm
from ..nn.initializers import INITIALIZERS, ScikitLearnUniform
from ..nn.layers import NORMALIZATIONS, BatchNormalization, LayerNormalization
from ..nn.losses import LOSSES, Huber, Quantile
from ..nn.optimizers import OPTIMIZERS, SGD, Adagrad, Adam, AdamW, RMSprop
from ..nn.regularizers import REGULARIZERS, L1, L2, ElasticNet, GroupLasso
from ..nn.schedules import SCHEDULES, Adaptive, Constant, Cosine, InvScaling
from ..training.solvers import LBFGS, Stochastic

__all__ = [
    "constraint",
    "feature_regularizer",
    "initializer",
    "is_stochastic",
    "loss",
    "normalization",
    "optimizer",
    "regularizer",
    "schedule",
    "solver",
]

_OPTIMIZERS = {
    "sgd": lambda p: SGD(float(p["learning_rate_init"]), float(p["momentum"]),
                         bool(p["nesterovs_momentum"])),
    "adam": lambda p: Adam(float(p["learning_rate_init"]), float(p["beta_1"]),
                           float(p["beta_2"]), float(p["epsilon"])),
    "adamw": lambda p: AdamW(float(p["learning_rate_init"]), float(p["beta_1"]),
                             float(p["beta_2"]), float(p["epsilon"]),
                             float(p["weight_decay"])),
    "rmsprop": lambda p: RMSprop(float(p["learning_rate_init"]), float(p["rho"]),
                                 float(p["epsilon"])),
    "adagrad": lambda p: Adagrad(float(p["learning_rate_init"]), float(p["epsilon"])),
}

_SCHEDULES = {
    "constant": lambda p: Constant(),
    "invscaling": lambda p: InvScaling(float(p["power_t"])),
    "adaptive": lambda p: Adaptive(),
    "cosine": lambda p: Cosine(int(p["warmup_iter"])),
}

_PENALTIES = {
    "l2": lambda p: L2(float(p["alpha"])),
    "l1": lambda p: L1(float(p["alpha"])),
    "elasticnet": lambda p: ElasticNet(float(p["alpha"]), float(p["l1_ratio"])),
}

_NORMALIZATIONS = {
    "batch": lambda p: BatchNormalization(float(p["batch_norm_momentum"])),
    "layer": lambda p: LayerNormalization(),
}

_LOSSES = {
    "huber": lambda p: Huber(float(p["huber_delta"])),
    "quantile": lambda p: Quantile(float(p["quantile"])),
}


def _resolve(value, table, registry, params):
    """An instance's copy; a built-in name from the flat parameters; another
    registered name with its own defaults."""
    if not isinstance(value, str):
        return clone_component(value)
    if value in table:
        return table[value](params)
    return registry[value]()


def is_stochastic(solver_param):
    """Whether ``solver`` takes mini-batch steps (all but L-BFGS)."""
    return solver_param != "lbfgs"


def optimizer(params):
    """The optimizer of a stochastic ``solver``."""
    return _resolve(params["solver"], _OPTIMIZERS, OPTIMIZERS, params).validate()


def schedule(params):
    return _resolve(params["learning_rate"], _SCHEDULES, SCHEDULES, params).validate()


def solver(params, previous_optimizer=None):
    """The fit's solver; a stochastic one continues ``previous_optimizer``
    (a copy the caller made) when given."""
    if not is_stochastic(params["solver"]):
        return LBFGS(int(params["max_fun"]))
    if previous_optimizer is not None:
        return Stochastic(previous_optimizer, schedule(params), resume=True)
    return Stochastic(optimizer(params), schedule(params))


def regularizer(params):
    """The penalty on every dense layer's weights, or None."""
    if params["penalty"] is None:
        return None
    return _resolve(params["penalty"], _PENALTIES, REGULARIZERS, params).validate()


def feature_regularizer(params):
    """The group lasso of ``feature_alpha`` on the first layer, or None."""
    alpha = params["feature_alpha"]
    return GroupLasso(float(alpha)) if alpha and not isinstance(alpha, str) else None


def initializer(params):
    """The initializer of ``init`` (``'auto'`` follows each layer's activation)."""
    init = params["init"]
    if init == "auto":
        activation = params["activation"]
        return ScikitLearnUniform(activation if isinstance(activation, str) else "relu")
    if isinstance(init, str):
        return INITIALIZERS[init]()
    return init


def normalization(params):
    """The layer between each hidden dense layer and its activation, or None."""
    if params["normalization"] is None:
        return None
    return _resolve(params["normalization"], _NORMALIZATIONS, NORMALIZATIONS, params)


def constraint(params):
    return None if params["max_norm"] is None else MaxNorm(float(params["max_norm"]))


def loss(name_or_loss, params):
    """The loss component of a regression ``loss`` (or a classifier's name)."""
    return _resolve(name_or_loss, _LOSSES, LOSSES, params).validate()
