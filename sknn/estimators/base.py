"""scikit-learn glue shared by both estimators: parameters, validation, the
network's assembly, training through the trainer, and prediction.

Subclasses provide the hooks declared abstract on :class:`BaseMLP`: how
targets become the output matrix (``_validate_input``), which loss they train
(``_loss``) and how outputs are scored for early stopping
(``_score_from_output``). The parameters become components in
``components``; the trainer (``sknn.training``) gets a network, data and a
plain configuration, and the fit commits what it returns.
"""

import copy
import functools
import inspect
import weakref
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from typing import NamedTuple, Self

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from .._typing import ArrayLike, MatrixLike, keeps_signature
from ..nn.activations import ACTIVATIONS
from ..nn.constraints import ZeroRows
from ..nn.initializers import INITIALIZERS
from ..nn.layers import NORMALIZATIONS, Layer
from ..nn.network import Network, NonFinitePreactivation, dense_stack, describe
from ..nn.optimizers import OPTIMIZERS, Optimizer
from ..nn.regularizers import REGULARIZERS, Regularizer
from ..nn.schedules import SCHEDULES, Schedule
from ..training import HoldOut, Trainer, TrainingConfig, TrainingRecord, ValidationSet
from ..training.callbacks import CallbackSupportMixin, fit_hooks
from . import components

_FLOATS = (np.float64, np.float32)

# Each fitted estimator's inference network, with the key and arrays it was
# built from; weak, so an estimator's attributes and its pickles stay as they are.
_INFERENCE_NETWORKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _same(arrays, i, array):
    """Whether ``arrays[i]`` is ``array`` (the same object)."""
    return arrays is not None and i < len(arrays) and arrays[i] is array


def _check_has_features(X, est):
    """Reject 2-D input without columns with sklearn's message.

    sklearn's own check fails obscurely on a DataFrame without columns
    ("at least one array or dtype is required").
    """
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2 and shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={tuple(shape)}) while a "
            f"minimum of 1 is required by {type(est).__name__}."
        )


def _one_per_hidden_layer(value, single, n_hidden, name, noun, alternative):
    """``value`` repeated for every hidden layer when ``single``, else as a
    list that must have one entry per hidden layer."""
    values = [value] * n_hidden if single else list(value)
    if len(values) != n_hidden:
        raise InvalidParameterError(
            f"{name} has {len(values)} {noun}s but the network has {n_hidden} hidden "
            f"layers; pass one {noun} per hidden layer or {alternative}."
        )
    return values


def _overflow_checked(fit):
    """Run a fit with numpy's overflow / invalid-value warnings silenced.

    Extreme data or a diverging step can overflow; the solvers check the loss
    and weights after every epoch or iteration and handle non-finite values
    (last finite weights and a ConvergenceWarning), so numpy's warnings would
    only repeat that, as RuntimeWarnings users cannot act on.
    """

    @functools.wraps(fit)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return fit(*args, **kwargs)

    return wrapper


def _columns_kept(fit):
    """Run a fit so that, if it raises, the estimator keeps the columns of its
    fitted model (``n_features_in_``, ``feature_names_in_``), which validating
    the new data records before the fit can fail."""

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        seen = {name: vars(self)[name] for name in ("n_features_in_", "feature_names_in_")
                if name in vars(self)}
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            for name in ("n_features_in_", "feature_names_in_"):
                vars(self).pop(name, None)
            vars(self).update(seen)
            raise

    return wrapper


class _Targets(NamedTuple):
    """What a fit learned about its targets: the labels or values (to
    stratify and score the validation split), the classes (None for
    regression), and whether the task is multilabel."""

    y: np.ndarray
    classes: np.ndarray | None = None
    multilabel: bool = False

    @property
    def stratify(self):
        """Labels to stratify the early-stopping split by, or None."""
        return None if self.classes is None or self.multilabel else self.y

    def subset(self, rows):
        return self._replace(y=self.y[rows])


class BaseMLP(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of :class:`~sknn.MLPClassifier` and :class:`~sknn.MLPRegressor`."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(ACTIVATIONS.names()), "array-like"],
        "solver": [StrOptions(OPTIMIZERS.names("lbfgs")), Optimizer],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(SCHEDULES.names()), Schedule],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(INITIALIZERS.names()), callable],
        "penalty": [StrOptions(REGULARIZERS.names()), Regularizer, None],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "normalization": [StrOptions(NORMALIZATIONS.names()), Layer, None],
        "batch_norm_momentum": [Interval(Real, 0, 1, closed="right")],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "warmup_iter": [Interval(Integral, 0, None, closed="left")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "max_norm": [Interval(Real, 0, None, closed="neither"), None],
        "scoring": [StrOptions({"loss"} | set(get_scorer_names())), callable, None],
        "feature_alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "feature_alpha_rule": [StrOptions({"one_se_paired", "best", "one_se"})],
        "diagnostics": ["boolean"],
    }

    def __setstate__(self, state):
        super().__setstate__(state)
        # a model saved before a parameter existed has that parameter's default
        # (the behaviour it was fitted with)
        defaults = inspect.signature(type(self).__init__).parameters
        for name in self._get_param_names():
            if name not in vars(self):
                setattr(self, name, defaults[name].default)

    @classmethod
    def _get_param_names(cls):
        # scikit-learn reads the constructor's signature on every get_params
        # (each clone, set_params and fit); it never changes, so read it once
        # per class
        if "_param_names" not in cls.__dict__:
            cls._param_names = tuple(super()._get_param_names())
        return list(cls._param_names)

    # ----------------------------------------------------------------- hooks
    @abstractmethod
    def _validate_input(self, X, y, incremental, reset, classes=None):
        """Validated ``(X, Y, targets)``: ``Y`` the output matrix in X's
        dtype, ``targets`` a :class:`_Targets`."""

    @abstractmethod
    def _loss(self, targets):
        """The loss component to train with."""

    @abstractmethod
    def _score_from_output(self, P, targets, sample_weight):
        """Early stopping's score of output activations ``P``."""

    def _apply_class_weight(self, sample_weight, targets, X, incremental):
        """Sample weights with class weights multiplied in (none by default)."""
        return sample_weight

    def _check_X_y(self, X, y, reset):
        """``X`` and ``y`` validated as scikit-learn validates them (``X`` as
        floats; ``y`` as numbers for a regressor), recording or checking the
        number and names of the features."""
        return validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=not is_classifier(self), dtype=_FLOATS, reset=reset)

    def _batch_size(self, n_samples):
        """The ``batch_size`` the solver is given (it resolves 'auto')."""
        return self.batch_size

    # ------------------------------------------------------------ validation
    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        for s in sizes:
            if not isinstance(s, Integral) or isinstance(s, bool) or s <= 0:
                raise InvalidParameterError(
                    f"hidden_layer_sizes must be positive integers, got {sizes}."
                )
        return [int(s) for s in sizes]

    def _validate_knobs(self):
        """The hidden layer sizes, activations and dropout rates, checked with
        what depends on more than one parameter (what ``_parameter_constraints``
        cannot see)."""
        hidden = self._hidden_layer_sizes()
        activations = self._hidden_activations(len(hidden))
        dropout = self._dropout_rates(len(hidden))
        stochastic = components.is_stochastic(self.solver)
        if not stochastic and self.feature_alpha:
            raise ValueError(
                "feature_alpha is not supported with solver='lbfgs': the feature group "
                "lasso reaches exact zeros through proximal steps, which only the "
                "stochastic solvers take. Use e.g. solver='adam', or feature_alpha=0."
            )
        for name in ("max_grad_norm", "max_norm"):
            if not stochastic and getattr(self, name) is not None:
                raise ValueError(
                    f"{name} is not supported with solver='lbfgs', whose line searches "
                    f"need the unchanged gradient and steps. Use a stochastic solver, or "
                    f"{name}=None."
                )
        return hidden, activations, dropout

    def _hidden_activations(self, n_hidden):
        """One activation name per hidden layer, validated."""
        activation = self.activation
        names = _one_per_hidden_layer(activation, isinstance(activation, str), n_hidden,
                                      "activation", "name", "a single name")
        for name in names:
            if not isinstance(name, str) or name not in ACTIVATIONS:
                raise InvalidParameterError(
                    f"activation must name one of {ACTIVATIONS.choices()} per hidden layer, "
                    f"got {activation!r}."
                )
        return names

    def _layers(self, params, hidden, n_outputs, activations, dropout=(), frozen_features=None):
        """The network's layers (configured, not built); ``frozen_features``
        are inputs kept at zero weight (a feature-selection path's)."""
        frozen = None
        if frozen_features is not None and np.any(frozen_features):
            frozen = ZeroRows(frozen_features)
        return dense_stack(
            hidden, n_outputs, activations, dropout,
            normalization=components.normalization(params),
            regularizer=components.regularizer(params),
            input_regularizer=components.feature_regularizer(params),
            constraint=components.constraint(params),
            input_constraint=frozen,
        )

    def _dropout_rates(self, n_hidden):
        """One drop rate per hidden layer, validated."""
        rates = _one_per_hidden_layer(self.dropout, np.ndim(self.dropout) == 0, n_hidden,
                                      "dropout", "rate", "a single float")
        for p in rates:
            if isinstance(p, bool) or not isinstance(p, Real) or not 0 <= p < 1:
                raise InvalidParameterError(
                    f"dropout rates must be floats in [0, 1), got {self.dropout!r}."
                )
        rates = tuple(float(p) for p in rates)
        if not components.is_stochastic(self.solver) and any(rates):
            raise ValueError(
                "dropout is not supported with solver='lbfgs': L-BFGS needs a "
                "deterministic objective. Use solver='adam' or 'sgd', or dropout=0."
            )
        return rates

    def _validate_sample_weight(self, sample_weight, X):
        if sample_weight is None:
            return None
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        if np.any(sample_weight < 0):
            raise ValueError("sample_weight must be non-negative.")
        if sample_weight.sum() <= 0:
            raise ValueError("sample_weight must not sum to zero.")
        return sample_weight

    # ------------------------------------------------------------------ fit
    @keeps_signature(_fit_context(prefer_skip_nested_validation=True))
    def fit(
        self,
        X: MatrixLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        X_val: MatrixLike | None = None,
        y_val: ArrayLike | None = None,
        sample_weight_val: ArrayLike | None = None,
    ) -> Self:
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers
            in regression; a binary indicator matrix for multilabel).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        X_val : {array-like, sparse matrix} of shape (n_val_samples, n_features), \
default=None
            Validation data for early stopping (``early_stopping=True``), used
            instead of holding out ``validation_fraction`` of ``X``. In a
            ``Pipeline(..., transform_input=["X_val"])`` (with metadata routing
            enabled and ``set_fit_request(X_val=True, y_val=True)``) it is
            transformed as ``X`` is.
        y_val : array-like of shape (n_val_samples,) or (n_val_samples, n_outputs), \
default=None
            Targets of ``X_val``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : object
            The fitted model.
        """
        validation_data = None
        if X_val is not None or y_val is not None:
            validation_data = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight=sample_weight, incremental=False,
                         validation_data=validation_data)

    def _validation_data(self, validation_data, targets, dtype):
        """The user's validation data, validated and encoded as the training data."""
        X_val, y_val, sample_weight_val = validation_data
        if y_val is None:
            raise ValueError("X_val is provided, but y_val was not provided.")
        if X_val is None:
            raise ValueError("y_val is provided, but X_val was not provided.")
        if not self.early_stopping or not components.is_stochastic(self.solver):
            raise ValueError(
                "X_val and y_val are passed to fit, but only early stopping uses "
                "them: set early_stopping=True with a stochastic solver."
            )
        _check_has_features(X_val, self)
        classes = targets.classes if targets.classes is not None else None
        X_val, Y_val, targets_val = self._validate_input(
            X_val, y_val, incremental=True, reset=False, classes=classes
        )
        if sp.issparse(X_val):
            X_val = X_val.tocsr()
        sample_weight_val = self._validate_sample_weight(sample_weight_val, X_val)
        Y_val = self._scale_targets(Y_val, targets_val, sample_weight_val, reset=False)
        return X_val, Y_val.astype(dtype, copy=False), targets_val, sample_weight_val

    def _scale_targets(self, Y, targets, sample_weight, reset):
        """The targets the network trains on (the encoded ones here; an
        estimator may standardize them, learning the scale when ``reset``)."""
        return Y

    @_columns_kept
    @_overflow_checked
    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None,
             validation_data=None, frozen_features=None):
        raw_data = (X, y, sample_weight)  # as passed, for scoring callbacks
        hidden, activations, dropout = self._validate_knobs()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if isinstance(self.feature_alpha, str):  # (partial_fit is not available then)
            return self._fit_feature_alpha_path(X, y, sample_weight, validation_data)
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        _check_has_features(X, self)
        X, Y, targets = self._validate_input(X, y, incremental, reset=first_pass, classes=classes)
        X = X.tocsr() if sp.issparse(X) else np.ascontiguousarray(X)
        sample_weight = self._validate_sample_weight(sample_weight, X)
        Y = self._scale_targets(Y, targets, sample_weight, reset=first_pass)
        sample_weight = self._apply_class_weight(sample_weight, targets, X, incremental)
        if validation_data is not None:
            validation_data = self._validation_data(validation_data, targets, X.dtype)

        rng = check_random_state(self.random_state)
        params = self.get_params(deep=False)
        layers = self._layers(params, hidden, Y.shape[1], activations, dropout, frozen_features)
        net = Network(layers, X.shape[1], self._loss(targets), X.dtype)
        stochastic = components.is_stochastic(self.solver)
        validation = None
        if validation_data is not None:
            X_val, Y_val, targets_val, sw_val = validation_data
            validation = ValidationSet(X_val, Y_val, targets_val, sw_val,
                                       self._validation_score())
        elif self.early_stopping and stochastic:  # as scikit-learn's
            validation = self._hold_out(targets, X.shape[0])
        early_stopping = self.early_stopping and stochastic and validation is not None
        if first_pass:
            net.initialize(components.initializer(params), rng, X, sample_weight)
            record = TrainingRecord(early_stopping, stochastic)
        else:
            self._check_warm_start_shapes(net)
            net.load(vars(self))
            record = TrainingRecord.resume(vars(self), early_stopping, stochastic)
        previous = getattr(self, "_optimizer", None) if incremental else None
        solver = components.solver(params, None if previous is None else copy.deepcopy(previous))
        config = TrainingConfig(
            max_iter=self.max_iter, tol=self.tol, n_iter_no_change=self.n_iter_no_change,
            batch_size=self._batch_size(X.shape[0]), shuffle=self.shuffle,
            max_grad_norm=self.max_grad_norm, verbose=self.verbose,
            incremental=incremental, diagnostics=self.diagnostics,
        )
        hooks = fit_hooks(self, *raw_data, solver, self.max_iter, incremental, targets.classes)
        record = Trainer(net, solver, config, record, rng, hooks).fit(X, Y, sample_weight,
                                                                      validation)
        self._commit(net, record, solver, targets)
        return self

    def _hold_out(self, targets, n_samples):
        """The early-stopping split of ``n_samples`` training rows (None:
        train without early stopping)."""
        return HoldOut(self.validation_fraction, targets.stratify, targets,
                       self._validation_score())

    def _fit_feature_alpha_path(self, X, y, sample_weight, validation_data):
        """``feature_alpha='auto'``: the step of a feature_alpha path that
        ``feature_alpha_rule`` chooses (see ``selection``)."""
        from .selection import feature_alpha_path

        X_val, y_val, sample_weight_val = validation_data or (None, None, None)
        path = feature_alpha_path(self, X, y, sample_weight=sample_weight, X_val=X_val,
                                  y_val=y_val, sample_weight_val=sample_weight_val)
        i = path.index(self.feature_alpha_rule)
        state = path.states[i]
        for name in [name for name in vars(self) if name.endswith("_")]:
            delattr(self, name)  # an earlier fit's, such as feature_names_in_
        vars(self).update(state)
        self.feature_alpha_ = float(path.alphas[i])
        self.feature_alpha_path_ = path.summary()
        return self

    def _commit(self, net, record, solver, targets):
        """Write a successful fit's network and record onto the estimator."""
        fitted = net.fitted_attributes()
        # an earlier 'auto' fit's, and the parameters of an earlier fit's layers
        # that this network does not have
        for name in ("feature_alpha_", "feature_alpha_path_",
                     *vars(self).get("_layer_attributes", ())):
            if name not in fitted:
                vars(self).pop(name, None)
        self._layer_attributes = tuple(fitted)
        if targets.classes is not None:
            self.classes_ = targets.classes
        for name, value in {**fitted, **record.attributes()}.items():
            setattr(self, name, value)
        self._optimizer = getattr(solver, "optimizer", None)

    def _validation_score(self):
        """``score(net, P, loss, validation)`` for the estimator's ``scoring``."""
        scoring = self.scoring
        if scoring is None:
            return lambda net, P, loss, val: self._score_from_output(P, val.targets, val.sw)
        if scoring == "loss":
            return lambda net, P, loss, val: -loss
        scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring

        def score(net, P, loss, val):
            kwargs = {} if val.sw is None else {"sample_weight": val.sw}
            return scorer(self._snapshot(net, val.targets), val.X, val.targets.y, **kwargs)

        return score

    def _snapshot(self, net, targets):
        """A copy of the estimator predicting with the network as it is now."""
        model = copy.copy(self)
        model.__dict__.update(net.fitted_attributes())
        model._validated_input = True  # a scorer passes the validated validation rows
        if targets.classes is not None:
            model.classes_ = targets.classes
        return model

    def _onnx_input(self, graph, x):
        """ONNX export: the network's input from the estimator's input ``x``
        (see ``sknn.export.onnx``)."""
        return x

    def _onnx_output(self, graph, out):
        """ONNX export: the estimator's output from the network's ``out``."""
        return out

    def _check_warm_start_shapes(self, net):
        shapes = [W.shape for W in self.coefs_]
        new = [W.shape for W in net.fitted_attributes()["coefs_"]]
        if shapes[-1][1] != new[-1][1]:
            raise ValueError(
                f"y has {new[-1][1]} output(s) (columns) but the model was fitted "
                f"with {shapes[-1][1]}; pass y of the same shape, or fit from "
                "scratch (warm_start=False) to change the outputs."
            )
        if shapes != new:
            raise ValueError(
                f"The network's shape changed since the last fit (weights {shapes}, "
                f"now {new}); set warm_start=False or keep hidden_layer_sizes."
            )

    # --------------------------------------------------------------- predict
    def _validate_X_predict(self, X):
        """Validate ``X`` for prediction: ``(X, finiteness_unchecked)``.

        Plain float arrays of the right shape skip scikit-learn's validation
        and leave the NaN / infinity check to the forward pass, which sees
        them in the first layer for free (``Network.predict(check_layers=1)``)
        and then calls :meth:`_validate_X_full` for scikit-learn's error.
        """
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in _FLOATS
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
        ):
            return X, True
        return self._validate_X_full(X), False

    def _validate_X_full(self, X):
        _check_has_features(X, self)
        return validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=_FLOATS, reset=False
        )

    def _fitted_network(self, dtype, dropout=()):
        """The network of the fitted arrays (used as they are where they have
        ``dtype``), configured by the estimator's parameters."""
        coefs = self.coefs_
        hidden = [W.shape[1] for W in coefs[:-1]]
        layers = self._layers(self.get_params(deep=False), hidden, coefs[-1].shape[1],
                              self._hidden_activations(len(hidden)), dropout)
        return Network.from_fitted(layers, coefs[0].shape[0], self.out_activation_, vars(self),
                                   dtype)

    def _weights_dtype(self):
        """The fitted weights' dtype."""
        return self.coefs_[0].dtype

    def _inference_network(self, dtype):
        """The fitted network, predicting in ``dtype`` (or wider) with the
        fitted arrays themselves, so changes made to them in place are seen.

        Kept between calls while the estimator's architecture parameters and
        every fitted array its layers declare stay the same objects (building
        it would be a noticeable part of predicting one row); not when the
        arrays need a cast.
        """
        activation = self.activation
        if not isinstance(activation, str):
            activation = tuple(activation)
        key = (dtype, activation, self.normalization, self.out_activation_)
        cached = _INFERENCE_NETWORKS.get(self)
        if cached is not None and cached[0] == key and all(
            _same(getattr(self, attribute, None), i, array) for attribute, i, array in cached[1]
        ):
            return cached[2]
        dtype = np.result_type(dtype, self._weights_dtype())
        net = self._fitted_network(dtype)
        if all(array.dtype == dtype for _, _, array in net.sources):
            _INFERENCE_NETWORKS[self] = (key, net.sources, net)
        return net

    def _forward(self, X, check_input=True, raw=False):
        """Output activations (the last layer's raw output if ``raw``)."""
        unchecked = False
        with np.errstate(over="ignore", invalid="ignore"):
            if check_input and not vars(self).get("_validated_input"):
                if not hasattr(self, "coefs_"):
                    check_is_fitted(self)
                X, unchecked = self._validate_X_predict(X)
            net = self._inference_network(X.dtype)
            try:
                out = net.predict(X, check_layers=int(unchecked), raw=raw)
            except NonFinitePreactivation:
                X = self._validate_X_full(X)  # raises scikit-learn's error for NaN / inf
                out = net.predict(X, raw=raw)  # finite X whose product overflowed
        if not np.isfinite(out).all():
            bad = int((~np.isfinite(out)).any(axis=1).sum())
            raise ValueError(
                f"The network's output is not finite for {bad} of {out.shape[0]} "
                "sample(s): X has values too large in magnitude for the fitted "
                "weights. Scale X as the training data was scaled."
            )
        return out

    # ----------------------------------------------------------------- tools
    def _check_solver(self):
        if not components.is_stochastic(self.solver):
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        if isinstance(self.feature_alpha, str):
            raise AttributeError(
                "partial_fit is not available with feature_alpha='auto', which chooses "
                "the strength along a path of whole fits; set feature_alpha to a number, "
                "such as the feature_alpha_ of a model fitted with 'auto'."
            )
        return True

    def summary(self) -> str:
        """A Keras-style table of the layers and their parameter counts.

        The table is returned as a string, not printed (unlike Keras'
        ``summary()``), so that it can be logged or written to a file; print
        it to read it, as ``sknn fit`` does.

        Returns
        -------
        table : str
            One row per dense layer (units, activation, normalization when
            there is one, dropout rate and trainable parameters: ``fan_in *
            fan_out + fan_out``, plus a normalization's scale and shift), the
            total of trainable parameters (``n_params_``) and, where
            batch normalization keeps running statistics, the count of
            those non-trainable values. Print it to read it.

        Examples
        --------
        >>> import numpy as np
        >>> from sknn import MLPRegressor
        >>> X = np.random.RandomState(0).rand(100, 6)
        >>> reg = MLPRegressor(hidden_layer_sizes=(4, 4), dropout=(0.5, 0.25),
        ...                    learning_rate_init=0.01, random_state=0)
        >>> print(reg.fit(X, X.sum(axis=1)).summary())
        Layer     Units  Activation  Dropout  Params
        --------------------------------------------
        input     6                                0
        hidden 1  4      relu            0.5      28
        hidden 2  4      relu           0.25      20
        output    1      identity                  5
        --------------------------------------------
        Total params: 53
        """
        check_is_fitted(self)
        stochastic = components.is_stochastic(self.solver)
        rates = self._dropout_rates(self._n_hidden()) if stochastic else ()
        layers = self._fitted_network(self._weights_dtype(), rates).layers
        blocks = describe(layers)
        normalized = any(block["normalization"] for block in blocks)
        sparse = any(block["nonzero"] < block["params"] for block in blocks)
        header = ["Layer", "Units", "Activation"] + ["Normalization"] * normalized
        rows = [(*header, "Dropout", "Params", *["Non-zero"] * sparse),
                ("input", str(self.n_features_in_), "", *[""] * normalized, "", "0",
                 *[""] * sparse)]
        encoding = not layers[0].starts_row  # layers before the first dense one
        for i, block in enumerate(blocks, start=1 - encoding):
            hidden = i < len(blocks) - encoding
            rows.append((
                "encoding" if i == 0 else f"hidden {i}" if hidden else "output",
                str(block["units"]),
                block["activation"] if hidden else self.out_activation_,
                *[block["normalization"]] * normalized,
                f"{block['dropout']:g}" if hidden else "",
                f"{block['params']:,}",
                *[f"{block['nonzero']:,}"] * sparse,
            ))
        n_columns = len(rows[0])
        widths = [max(len(r[j]) for r in rows) for j in range(n_columns)]
        line = "-" * (sum(widths) + 2 * (n_columns - 1))
        n_text = n_columns - 2 - sparse  # the text columns, left-aligned
        fmt = lambda r: "  ".join(  # noqa: E731
            c.ljust(w) if j < n_text else c.rjust(w)
            for j, (c, w) in enumerate(zip(r, widths))
        ).rstrip()
        out = [fmt(rows[0]), line, *map(fmt, rows[1:]), line]
        out.append(f"Total params: {self.n_params_:,}")
        if sparse:
            nonzero = sum(block["nonzero"] for block in blocks)
            out.append(f"Non-zero params: {nonzero:,} ({nonzero / self.n_params_:.1%})")
        non_trainable = sum(block["non_trainable"] for block in blocks)
        if non_trainable:
            out.append(f"Non-trainable: {non_trainable:,} (running statistics)")
        return "\n".join(out)

    def _n_hidden(self):
        """The number of hidden layers of the fitted network."""
        return len(self.coefs_) - 1

    @property
    def feature_importances_(self):
        """The Euclidean norm of each input feature's outgoing weights (a row
        of ``coefs_[0]``), shape ``(n_features_in_,)``: exactly 0 for the
        features the network does not use (see ``feature_alpha``).
        ``sklearn.feature_selection.SelectFromModel`` reads it to select
        features."""
        check_is_fitted(self)
        return np.linalg.norm(self.coefs_[0], axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
