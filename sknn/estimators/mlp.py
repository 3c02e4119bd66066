"""The public estimators: targets, predictions and tags."""

from numbers import Real
from typing import Self

import numpy as np
from scipy.special import expit, log_expit, logsumexp
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, column_or_1d

from .._typing import ArrayLike, MatrixLike, keeps_signature
from ..nn.activations import ACTIVATIONS
from ..nn.initializers import INITIALIZERS
from ..nn.layers import NORMALIZATIONS
from ..nn.losses import LOSSES, BinaryLogLoss, Loss, LogLoss, Poisson
from ..nn.optimizers import OPTIMIZERS
from ..nn.regularizers import REGULARIZERS
from ..nn.schedules import SCHEDULES
from . import components
from .base import BaseMLP, _Targets

_REGRESSION_LOSSES = LOSSES.names(where=lambda loss: loss.regression)


def _label_array(labels):
    """Labels in numpy's own dtype: strings held in an object array (as from a
    pandas Series or Categorical) become a unicode array, as scikit-learn's
    ``unique_labels`` returns them."""
    labels = np.asarray(labels)
    return np.asarray(labels.tolist()) if labels.dtype == object else labels


def _check_labels(labels, name):
    """Reject labels that cannot be classes: NaN, object labels numpy cannot
    sort (a mix of strings and numbers) or scikit-learn cannot type (no
    strings at all)."""
    labels = np.asarray(labels)
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise ValueError(f"Input {name} contains NaN; NaN cannot be a class label.")
    if labels.dtype == object and labels.size:
        kinds = sorted({type(v).__name__ for v in labels.ravel()})
        try:
            np.unique(labels)
        except TypeError as e:
            raise ValueError(
                f"{name} mixes labels of types {kinds}, which cannot be compared "
                f"({e}); use labels of one type, for example all strings."
            ) from None
        if kinds != ["str"] and name == "y":
            # type_of_target calls such labels 'unknown' and suggests a
            # regression target.
            raise ValueError(
                f"Unknown label type: y has dtype object with labels of types "
                f"{kinds}; scikit-learn only types object labels that are "
                "strings. Convert y to a numeric array (e.g. np.asarray(y, "
                "dtype=int)) or to strings."
            )


def _check_multilabel_classes(classes, present):
    """``classes`` of a multilabel ``y`` must be its column indices."""
    if not set(present.tolist()) <= set(classes.tolist()):
        raise ValueError(
            "`y` has classes not in `self.classes_`. "
            f"`self.classes_` has {classes}. 'y' has {present}."
        )
    if len(classes) != len(present):
        raise ValueError(
            f"`classes` {classes} has more labels than the multilabel `y` has "
            f"columns ({len(present)}); its classes are the column indices {present}."
        )


_COMMON_PARAMS_DOC = f"""
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : {{{ACTIVATIONS.choices()}}} or sequence of them, default='relu'
        Activation of the hidden layers, or one per hidden layer.
        'identity', 'logistic', 'tanh' and 'relu' are scikit-learn's;
        'leaky_relu' has slope 0.01, 'elu' alpha 1, 'gelu' is the exact
        (erf) form. 'selu' is meant to pair with ``init='lecun_normal'``.

    solver : {{{", ".join(map(repr, sorted({"lbfgs", *OPTIMIZERS})))}}} or Optimizer, \
default='adam'
        The weight optimizer: quasi-Newton L-BFGS (full batch, good for small
        data), or a stochastic one: stochastic gradient descent ('sgd'),
        Adam, AdamW (Adam with decoupled ``weight_decay``), RMSprop (``rho``)
        or Adagrad, the last three as PyTorch defines them. A name takes its
        settings from the flat parameters below (``learning_rate_init``,
        ``momentum``, ``beta_1``, ...), as scikit-learn's MLP does; an
        optimizer instance such as ``sknn.nn.Adagrad(learning_rate=0.01)``
        has its own parameters and defaults (``solver__learning_rate`` in a
        grid search), and the flat ones do not apply to it.

    alpha : float, default=0.0001
        Strength of the penalty (see ``penalty``).

    batch_size : int or 'auto', default='auto'
        Minibatch size of the stochastic solvers; 'auto' is
        ``min(200, n_samples)``.

    learning_rate : {{{SCHEDULES.choices()}}} or Schedule, default='constant'
        Learning-rate schedule of every stochastic solver (scikit-learn's MLP
        applies it to 'sgd' only): constant; 'invscaling',
        ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the samples
        seen; 'adaptive', divided by 5 whenever ``n_iter_no_change`` epochs
        pass without progress of ``tol``; 'cosine', cosine annealing from
        ``learning_rate_init`` over ``max_iter`` epochs after ``warmup_iter``
        epochs of linear warm-up. ``learning_rate_curve_`` records the rate
        of every epoch.

    learning_rate_init : float, default=0.001
        Initial step size of the stochastic solvers named by a string. A fit
        that diverges (loss or weights no longer finite, e.g. with a huge step
        or unscaled data) stops with a ``ConvergenceWarning`` and keeps the
        last weights whose outputs on the training data are finite; L-BFGS
        keeps its last accepted iterate. Ctrl-C (``KeyboardInterrupt``) also
        stops a fit with a warning and a usable model (the best one with
        early stopping).

    power_t : float, default=0.5
        Exponent of 'invscaling'.

    max_iter : int, default=200
        Maximum epochs (stochastic solvers) or iterations (L-BFGS).

    shuffle : bool, default=True
        Whether to shuffle samples each epoch (stochastic solvers).

    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the early-stopping split, shuffling and dropout.

    tol : float, default=1e-4
        Improvement below which an epoch counts as no progress.

    verbose : bool, default=False
        Print progress messages.

    warm_start : bool, default=False
        Reuse the previous solution as initialization of the next ``fit``.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        single-label classification), stop when its score stalls for
        ``n_iter_no_change`` epochs, and restore the best weights.

    validation_fraction : float, default=0.1
        Share of training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay rate of the first moment estimates of 'adam' and 'adamw', in
        [0, 1).

    beta_2 : float, default=0.999
        Decay rate of the second moment estimates of 'adam' and 'adamw', in
        [0, 1).

    epsilon : float, default=1e-8
        Numerical stability term of 'adam', 'adamw', 'rmsprop' and 'adagrad'.

    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before stopping (stochastic solvers).

    max_fun : int, default=15000
        Maximum loss evaluations of L-BFGS.

    init : {{{INITIALIZERS.choices()}}} or callable, default='auto'
        Weight initializer: 'auto' is scikit-learn's scheme (drawing the same
        numbers for the same ``random_state``); the others follow Keras'
        definitions. A callable ``init(fan_in, fan_out, random_state, dtype)``
        returns an array of shape ``(fan_in, fan_out)``, as the initializer
        instances of ``sknn.nn`` do (``VarianceScaling(scale=2.0)``). Biases
        start at zero except with 'auto'.

    penalty : {{{REGULARIZERS.choices()}}}, Regularizer or None, default='l2'
        Penalty on the weights (never the intercepts), added to the mean loss
        of each batch: ``alpha / (2 m) * sum(rho * |W| + (1 - rho) * W ** 2)``
        with ``rho`` 0, 1 or ``l1_ratio``; 'l2' is scikit-learn's ``alpha``.
        A regularizer instance (``sknn.nn.ElasticNet(alpha=0.01,
        l1_ratio=0.5)``) has its own parameters. The stochastic solvers
        reach exact zeros with proximal steps; L-BFGS splits the L1 part
        into bounded positive and negative parts.

    l1_ratio : float, default=0.15
        L1 share ``rho`` of 'elasticnet', in [0, 1].

    dropout : float or array-like of shape (n_layers - 2,), default=0.0
        Inverted-dropout rate of every hidden layer, or one per hidden layer,
        each in [0, 1). Used during training by the stochastic solvers only;
        predictions need no rescaling. Not available with 'lbfgs'.
"""

_DESIGN_PARAMS_DOC = f"""
    normalization : {{{NORMALIZATIONS.choices()}}}, Layer or None, default=None
        Normalization between each hidden dense layer and its activation.
        'batch' normalizes each unit by the batch's mean and variance
        (weighted by the sample weights) in training and by running averages
        of them in prediction; 'layer' normalizes each sample's units by
        their own. Both then learn a scale and a shift per unit, not
        penalised, counted in ``n_params_``. A layer instance (configured,
        not built) goes there instead, a copy per hidden layer.

    batch_norm_momentum : float, default=0.1
        How far batch normalization's running mean and variance move towards
        each batch's, in (0, 1] (PyTorch's ``momentum``; Keras' is one minus
        it).

    rho : float, default=0.9
        Decay of the running average of squared gradients of 'rmsprop' (Keras'
        ``rho``, PyTorch's ``alpha``), in [0, 1).

    weight_decay : float, default=0.01
        Decoupled weight decay of 'adamw': each step shrinks every trainable
        parameter by ``learning_rate * weight_decay`` of itself, apart from
        the penalty (``alpha``) in the loss.

    warmup_iter : int, default=0
        Epochs of linear warm-up before the annealing of
        ``learning_rate='cosine'``.

    max_grad_norm : float or None, default=None
        Clip the gradient of each batch's mean loss to this Euclidean norm,
        before the penalty's gradient joins it (stochastic solvers).

    max_norm : float or None, default=None
        Max-norm constraint (Srivastava et al., 2014, the companion of
        dropout): after every step, each hidden unit's incoming weights are
        rescaled to a Euclidean norm of at most ``max_norm`` (stochastic
        solvers).

    scoring : str, callable or None, default=None
        What early stopping monitors on the validation data: None, the
        estimator's ``score`` (accuracy or R²); 'loss', the validation loss
        (``validation_scores_`` then holds its negative, as in
        ``HistGradientBoostingClassifier``); or a scikit-learn scorer name or
        callable ``scorer(estimator, X, y)``.

    feature_alpha : float or 'auto', default=0.0
        Strength of a group lasso on the input features, ``feature_alpha /
        (2 m) * sum_f ||coefs_[0][f, :]||``: features the network does not
        need lose all their weights, exactly (``feature_importances_`` is 0
        for them; ``SelectFromModel`` selects the others). Stochastic
        solvers, which take its proximal step after each update. 'auto'
        chooses the strength: the network is fitted along a path of
        strengths from none to one that removes every feature, each fit
        warm-started from the one before, scored on validation data
        (``X_val``, or ``validation_fraction`` of the training rows, but at
        least a fifth, held out, which the model then does not train on),
        and the step ``feature_alpha_rule`` picks is kept
        (``feature_alpha_``, ``feature_alpha_path_``).

    feature_alpha_rule : {'one_se_paired', 'best', 'one_se'}, default='one_se_paired'
        The step ``feature_alpha='auto'`` keeps: 'one_se_paired', the
        sparsest step whose validation loss exceeds the lowest by at most
        the standard error of their difference, sample by sample on the
        same validation data; 'best', the lowest validation loss; 'one_se',
        the sparsest step within one standard error of the lowest loss.
"""

_DIAGNOSTICS_PARAM_DOC = """
    diagnostics : bool, default=False
        Record per-layer statistics of every epoch (every iteration for
        L-BFGS) in ``diagnostics_``: the mean and standard deviation of each
        layer's activations, its fraction of dead units, the norms of its
        weights and of their gradient, and the epoch's update relative to
        the weights. Off, it costs nothing; on, each training step also
        reduces the layers' activations and gradients (L-BFGS evaluates each
        iterate once more). Draw them with :class:`~sknn.DiagnosticsDisplay`.
"""

_COMMON_ATTRIBUTES_DOC = """
    loss_ : float
        Training loss (penalty included) of the last epoch or iteration.

    best_loss_ : float or None
        Lowest training loss; None when ``early_stopping=True``.

    loss_curve_ : list of float
        Training loss per epoch (per iteration for L-BFGS).

    validation_scores_ : list of float or None
        Validation score per epoch with ``early_stopping=True``, else None.

    validation_loss_curve_ : list of float or None
        Mean validation loss (without penalty) per epoch with
        ``early_stopping=True``, else None.

    best_validation_score_ : float or None
        Best validation score with ``early_stopping=True``, else None.

    diagnostics_ : dict of str to ndarray of shape (n_epochs, n_layers - 1), or None
        With ``diagnostics=True``, per epoch (row ``k`` is the epoch of
        ``loss_curve_[k]``; per iteration for L-BFGS) and per dense layer
        (column ``j`` is the layer of ``coefs_[j]``, the output layer last):
        ``'activation_mean'`` and ``'activation_std'``, over the epoch's
        training rows and the layer's units, as training computes them
        (before dropout; the output layer's raw output, before the output
        activation); ``'dead_fraction'``, the share of units that output
        exactly 0 for every training row of the epoch (NaN for the output
        layer); ``'gradient_norm'``, the mean over the epoch's steps of the
        norm of the weights' gradient of the batch loss (without the
        penalty, before clipping); ``'weight_norm'``, the norm of
        ``coefs_[j]`` at the end of the epoch; ``'update_ratio'``, the norm
        of the epoch's change of ``coefs_[j]`` over its norm at the start of
        the epoch. Continued fits (``warm_start``, ``partial_fit``) append
        rows, with NaN rows for earlier epochs trained without diagnostics,
        or, without diagnostics, keep the rows as they are. None after a fit
        from scratch without diagnostics.

    t_ : int
        Training samples seen by the stochastic solver.

    coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
        Weight matrix of each layer.

    intercepts_ : list of ndarray of shape (n_fan_out,)
        Bias vector of each layer.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit, when ``X`` had string column names.

    n_iter_ : int
        Iterations the solver ran in the last fit.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    n_params_ : int
        Trainable parameters: ``sum(fan_in * fan_out + fan_out)`` over the
        dense layers, plus the learned parameters of other layers (a
        normalization's scale and shift).

    n_nonzero_params_ : int
        Trainable parameters that are not exactly zero.

    stop_reason_ : str
        Why the last fit stopped: 'max_iter', 'no_improvement' (the
        monitored loss or score stalled for ``n_iter_no_change`` epochs),
        'converged' (L-BFGS met ``tol``), 'solver_failed' (L-BFGS stopped
        for another reason), 'diverged', 'interrupted' (Ctrl-C), 'callback'
        (a callback asked to stop) or 'one_epoch' (``partial_fit``).

    stop_detail_ : str
        L-BFGS's own message when it did not converge, else ''.

    feature_alpha_ : float
        With ``feature_alpha='auto'``, the strength chosen.

    feature_alpha_path_ : FeatureAlphaPath
        With ``feature_alpha='auto'``, the path it was chosen from: each
        step's strength, features, validation loss and score (see
        ``sknn.feature_alpha_path``; draw it with
        :class:`~sknn.SelectionPathDisplay`).

    out_activation_ : str
        Output activation.
"""


def _fill_doc(cls):
    cls.__doc__ = cls.__doc__.format(
        params=_COMMON_PARAMS_DOC.strip("\n"),
        design_params=_DESIGN_PARAMS_DOC.strip("\n"),
        diagnostics_param=_DIAGNOSTICS_PARAM_DOC.strip("\n"),
        attributes=_COMMON_ATTRIBUTES_DOC.strip("\n"),
        regression_losses=", ".join(map(repr, sorted(_REGRESSION_LOSSES))),
    )
    return cls


@_fill_doc
class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier, a drop-in for scikit-learn's.

    Optimizes the log-loss (softmax cross-entropy for multiclass, logistic
    for binary and multilabel targets) with L-BFGS or a stochastic optimizer
    (SGD, Adam, AdamW, RMSprop, Adagrad, or any ``sknn.nn.Optimizer``), on a
    numpy backpropagation core. Takes every parameter of
    ``sklearn.neural_network.MLPClassifier`` with the same defaults, plus the
    network-design parameters below (initializer, penalty, dropout,
    normalization, class weights, ...).

    Parameters
    ----------
{params}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``; 'balanced'
        uses ``n_samples / (n_classes * np.bincount(y))``, with the counts
        weighted by ``sample_weight`` when it is given (as in
        ``LogisticRegression``). Single-label targets only; 'balanced' is not
        available in ``partial_fit``.

{design_params}

{diagnostics_param}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

{attributes}

    See Also
    --------
    MLPRegressor : Multi-layer perceptron regressor.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs",
    ...                     max_iter=500, random_state=1).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> round(clf.score(X, y), 2) >= 0.95
    True
    """

    loss = "log_loss"
    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        init="auto",
        penalty="l2",
        l1_ratio=0.15,
        dropout=0.0,
        class_weight=None,
        normalization=None,
        batch_norm_momentum=0.1,
        rho=0.9,
        weight_decay=0.01,
        warmup_iter=0,
        max_grad_norm=None,
        max_norm=None,
        scoring=None,
        feature_alpha=0.0,
        feature_alpha_rule="one_se_paired",
        diagnostics=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.init = init
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.dropout = dropout
        self.class_weight = class_weight
        self.normalization = normalization
        self.batch_norm_momentum = batch_norm_momentum
        self.rho = rho
        self.weight_decay = weight_decay
        self.warmup_iter = warmup_iter
        self.max_grad_norm = max_grad_norm
        self.max_norm = max_norm
        self.scoring = scoring
        self.feature_alpha = feature_alpha
        self.feature_alpha_rule = feature_alpha_rule
        self.diagnostics = diagnostics

    # --------------------------------------------------------------- targets
    def _validate_input(self, X, y, incremental, reset, classes=None):
        X, y = self._check_X_y(X, y, reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        _check_labels(y, "y")
        y = _label_array(y)
        check_classification_targets(y)
        # check_classification_targets left 1-D labels binary or multiclass,
        # which is all the network needs to know (type_of_target is not cheap)
        kind = "multiclass" if y.ndim == 1 else type_of_target(y)
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(
                f"MLPClassifier does not support {kind} targets; y must be a 1-D "
                "array of labels or a 2-D binary indicator matrix (multilabel)."
            )
        multilabel = kind == "multilabel-indicator"
        if hasattr(y, "toarray"):
            y = y.toarray()
        present = np.arange(y.shape[1]) if multilabel else np.unique(y)
        fresh = not hasattr(self, "classes_") or (not self.warm_start and not incremental)
        if classes is not None:
            fresh_classes = np.unique(_label_array(classes))
            if multilabel:
                _check_multilabel_classes(fresh_classes, present)
            unknown = np.setdiff1d(present, fresh_classes)
            if len(unknown):
                raise ValueError(
                    f"`y` has labels {unknown} that are not in `classes` "
                    f"{fresh_classes}; pass every label of every batch in `classes`."
                )
        elif fresh:
            fresh_classes = present
        else:
            fresh_classes = self.classes_
            if self.warm_start and not incremental:
                if set(present) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {present}"
                    )
            elif len(np.setdiff1d(present, self.classes_)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {present}."
                )
        if multilabel:
            Y = y.astype(X.dtype)
        elif len(fresh_classes) == 2:
            Y = (y == fresh_classes[1]).astype(X.dtype).reshape(-1, 1)
        elif len(fresh_classes) == 1:
            # one class fits as scikit-learn's does: the negative label of a
            # single logistic output
            Y = np.zeros((y.shape[0], 1), X.dtype)
        else:
            Y = (y[:, None] == fresh_classes[None, :]).astype(X.dtype)
        return X, Y, _Targets(y, fresh_classes, multilabel)

    def _apply_class_weight(self, sample_weight, targets, X, incremental):
        if self.class_weight is None:
            return sample_weight
        if targets.multilabel:
            raise ValueError("class_weight is not supported for multilabel targets.")
        if isinstance(self.class_weight, str) and incremental:
            raise ValueError(
                "class_weight='balanced' is not supported for partial_fit: the "
                "class frequencies of all batches are unknown. Pass a dict of "
                "class weights instead."
            )
        with np.errstate(divide="ignore"):  # a class without weight, reported below
            weights = compute_class_weight(
                self.class_weight,
                classes=targets.classes,
                y=targets.y,
                sample_weight=sample_weight,
            )
        if self.class_weight == "balanced" and not np.all(np.isfinite(weights)):
            raise ValueError(
                "class_weight='balanced' cannot weight the classes "
                f"{targets.classes[~np.isfinite(weights)].tolist()}: all their samples "
                "have zero sample_weight. Drop those samples or give them weight."
            )
        if not np.all(np.isfinite(weights) & (weights >= 0)):
            raise InvalidParameterError(
                "The 'class_weight' parameter of MLPClassifier must map classes to "
                f"finite non-negative weights, got {self.class_weight!r}."
            )
        per_sample = weights[np.searchsorted(targets.classes, targets.y)].astype(X.dtype)
        if sample_weight is not None:
            per_sample *= sample_weight
        if not per_sample.sum() > 0:
            raise ValueError(
                "Every sample has zero weight after applying class_weight "
                f"{self.class_weight!r}; give a positive weight to some class present in y."
            )
        return per_sample

    def _loss(self, targets):
        # as scikit-learn: the log-loss of a logistic output (binary, multilabel,
        # or a single class) is the binary one
        if targets.multilabel or len(targets.classes) <= 2:
            return BinaryLogLoss()
        return LogLoss()

    def _score_from_output(self, P, targets, sample_weight):
        y_pred = self._decode(P, targets.classes, targets.multilabel)
        return accuracy_score(targets.y, y_pred, sample_weight=sample_weight)

    @staticmethod
    def _decode(P, classes, multilabel):
        """Labels from output probabilities."""
        if multilabel:
            return (P > 0.5).astype(int)
        if len(classes) == 1:
            return np.repeat(classes, P.shape[0])
        if P.shape[1] == 1:
            return classes[(P[:, 0] > 0.5).astype(int)]
        return classes[P.argmax(axis=1)]

    # --------------------------------------------------------------- fitting
    @keeps_signature(available_if(lambda est: est._check_solver()))
    @keeps_signature(_fit_context(prefer_skip_nested_validation=True))
    def partial_fit(
        self,
        X: MatrixLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        classes: ArrayLike | None = None,
    ) -> Self:
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            All classes of all calls; required on the first call. For a
            multilabel indicator matrix ``y`` with ``k`` columns, the
            classes are ``0, ..., k - 1``.

        Returns
        -------
        self : object
            The updated model.
        """
        first = not hasattr(self, "classes_")
        if classes is not None:
            _check_labels(classes, "classes")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if not first and classes is not None:
            if not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on last call "
                    f"to partial_fit, was: {self.classes_!r}"
                )
            classes = None
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    # ------------------------------------------------------------ prediction
    def predict(self, X: MatrixLike) -> np.ndarray:
        """Predict class labels (or the indicator matrix for multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        return self._predict(X)

    def _predict(self, X, check_input=True):
        P = self._forward(X, check_input)
        return self._decode(P, self.classes_, self._is_multilabel())

    def _is_multilabel(self):
        return self.out_activation_ == "logistic" and self.n_outputs_ > 1

    def predict_proba(self, X: MatrixLike) -> np.ndarray:
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``; never
            below the smallest normal float (so its log is finite). A model
            fitted on a single class has two columns, as scikit-learn's: the
            probabilities of its class being the negative and the positive
            label of one logistic output.
        """
        P = self._forward(X)
        if P.shape[1] == 1:
            P = np.hstack([1 - P, P])
        # Floor underflowed probabilities at the smallest normal float so that
        # log(predict_proba) stays finite and close to predict_log_proba.
        return np.maximum(P, np.finfo(P.dtype).tiny, out=P)

    def predict_log_proba(self, X: MatrixLike) -> np.ndarray:
        """Log of probability estimates, computed stably from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))`` without underflow to ``-inf``: equal
            to it where ``predict_proba`` is above its floor (the smallest
            normal float), finite and ordered by the logits below.
        """
        Z = self._forward(X, raw=True)
        if self.out_activation_ == "softmax":
            return Z - logsumexp(Z, axis=1, keepdims=True)
        if Z.shape[1] == 1:
            return np.hstack([log_expit(-Z), log_expit(Z)])
        # Multilabel: the log of predict_proba's value wherever that is a
        # normal float, so both rank the labels alike (probabilities that
        # round to 1 tie, with log 0); log_expit below it, where
        # predict_proba's floor would tie them too and log would lose them.
        P = expit(Z)
        tiny = np.finfo(P.dtype).tiny
        return np.where(P >= tiny, np.log(np.maximum(P, tiny)), log_expit(Z))

    def score(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Mean accuracy on the given test data and labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Accuracy of ``self.predict(X)`` with respect to ``y``.
        """
        # scikit-learn casts NaN labels to int (a RuntimeWarning) before it
        # rejects them with a ValueError.
        with np.errstate(invalid="ignore"):
            return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


@_fill_doc
class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor, a drop-in for scikit-learn's.

    Optimizes ``loss`` (half the squared error by default) with L-BFGS or a
    stochastic optimizer (SGD, Adam, AdamW, RMSprop, Adagrad, or any
    ``sknn.nn.Optimizer``), on a numpy backpropagation core. Takes every
    parameter of ``sklearn.neural_network.MLPRegressor`` with the same
    defaults, plus the network-design parameters below.

    With several outputs the per-sample loss is the *sum* over outputs
    (``0.5 * ||p - y||**2``), and the gradient descended is exactly its
    gradient. scikit-learn reports the mean over outputs instead while
    descending the sum (its bug #8349), so its ``loss_`` is ``n_outputs``
    times smaller than sknn's on multi-output problems; the models agree.

    Parameters
    ----------
    loss : {{{regression_losses}}} or Loss, default='squared_error'
        Half squared error; half Poisson deviance with a log link (requires
        ``y >= 0``); absolute error (the conditional median); Huber's loss,
        squared within ``huber_delta`` of the target and absolute beyond; or
        the pinball loss of ``quantile`` (the conditional quantile: two such
        models give a prediction interval). A loss instance
        (``sknn.nn.Huber(delta=0.5)``) has its own parameters.

{params}

{design_params}

    huber_delta : float, default=1.0
        Where ``loss='huber'`` turns from squared to absolute (PyTorch's and
        Keras' ``delta``), > 0.

    quantile : float, default=0.5
        The quantile ``loss='quantile'`` estimates, in (0, 1) (as in
        ``HistGradientBoostingRegressor``).

{diagnostics_param}

    Attributes
    ----------
{attributes}

    See Also
    --------
    MLPClassifier : Multi-layer perceptron classifier.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sknn import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", tol=0.1,
    ...                    random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> reg.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions(_REGRESSION_LOSSES), Loss],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
        "quantile": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        init="auto",
        penalty="l2",
        l1_ratio=0.15,
        dropout=0.0,
        normalization=None,
        batch_norm_momentum=0.1,
        rho=0.9,
        weight_decay=0.01,
        warmup_iter=0,
        max_grad_norm=None,
        max_norm=None,
        scoring=None,
        feature_alpha=0.0,
        feature_alpha_rule="one_se_paired",
        huber_delta=1.0,
        quantile=0.5,
        diagnostics=False,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.init = init
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.dropout = dropout
        self.normalization = normalization
        self.batch_norm_momentum = batch_norm_momentum
        self.rho = rho
        self.weight_decay = weight_decay
        self.warmup_iter = warmup_iter
        self.max_grad_norm = max_grad_norm
        self.max_norm = max_norm
        self.scoring = scoring
        self.feature_alpha = feature_alpha
        self.feature_alpha_rule = feature_alpha_rule
        self.huber_delta = huber_delta
        self.quantile = quantile
        self.diagnostics = diagnostics

    # --------------------------------------------------------------- targets
    def _validate_input(self, X, y, incremental, reset, classes=None):
        X, y = self._check_X_y(X, y, reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if isinstance(components.loss(self.loss, self.get_params(deep=False)), Poisson) and (
                np.any(y < 0)):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for "
                "loss='poisson'."
            )
        Y = y.reshape(y.shape[0], -1).astype(X.dtype)
        return X, Y, _Targets(y)

    def _loss(self, targets):
        return components.loss(self.loss, self.get_params(deep=False))

    def _score_from_output(self, P, targets, sample_weight):
        y_pred = P.ravel() if P.shape[1] == 1 else P
        return r2_score(targets.y, y_pred, sample_weight=sample_weight)

    # --------------------------------------------------------------- fitting
    @keeps_signature(available_if(lambda est: est._check_solver()))
    @keeps_signature(_fit_context(prefer_skip_nested_validation=True))
    def partial_fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated model.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    # ------------------------------------------------------------ prediction
    def predict(self, X: MatrixLike) -> np.ndarray:
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        return self._predict(X)

    def _predict(self, X, check_input=True):
        P = self._forward(X, check_input)
        return P.ravel() if P.shape[1] == 1 else P

    def score(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Coefficient of determination R^2 of the prediction.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            R^2 of ``self.predict(X)`` with respect to ``y``.
        """
        y_pred = self.predict(X)
        y = check_array(y, ensure_2d=False, dtype="numeric", input_name="y")
        # R^2 is scale-invariant: dividing huge values by a power of two keeps
        # their squared errors finite and leaves ordinary scores untouched.
        big = max(float(np.abs(y).max(initial=0)), float(np.abs(y_pred).max(initial=0)))
        if big > 1e150:
            scale = 2.0 ** np.floor(np.log2(big))
            y, y_pred = y / scale, y_pred / scale
        with np.errstate(over="ignore", divide="ignore"):
            r2 = r2_score(y, y_pred, sample_weight=sample_weight, multioutput="raw_values")
        # An output whose y varies so little (variance ~1e-315) that its R^2
        # overflows to -inf is constant as far as floats can tell: score it
        # 0.0 as sklearn's force_finite does for a constant y. (NaN, for one
        # sample, stays.)
        r2 = np.where(np.isneginf(r2), 0.0, r2)
        return float(np.mean(r2))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

