"""Feature selection without guessing the strength: a regularisation path of
``feature_alpha``, the group lasso on the first layer's rows.

:func:`feature_alpha_path` fits the network once without the group lasso,
then along a geometric grid of ``feature_alpha`` values from weak to strong,
each fit warm-started from the one before (as ``lasso_path`` and LassoNet,
Lemhadri et al., JMLR 2021, do), until no input feature is left. A feature
the path removed stays removed (a ``ZeroRows`` constraint on the first
layer), so the number of features never grows along the path. Each new set
of features is refitted without the group lasso (relaxed) and scored on
validation data; ``feature_alpha='auto'`` keeps the sparsest step whose
validation loss exceeds the lowest by at most the paired standard error of
the difference (``feature_alpha_rule='one_se_paired'``), the step with the
lowest validation loss (``'best'``) or, by the one-standard-error rule, the
sparsest step within one standard error of it (``'one_se'``).
"""

import copy
import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import _check_sample_weight

from ..nn.network import Network
from . import components
from .base import _check_has_features

__all__ = ["FeatureAlphaPath", "feature_alpha_path"]

# The share of the training rows the path holds out when it is given no
# validation data, at the least: its steps' models differ by a feature or
# two, so their validation losses differ by much less than the early
# stopping's epochs do, and a tenth of the rows (scikit-learn's default
# validation_fraction) leaves that difference inside the noise.
MIN_VALIDATION_FRACTION = 0.2


@dataclass
class FeatureAlphaPath:
    """The steps of a ``feature_alpha`` path, the first one the fit without it.

    Attributes
    ----------
    alphas : ndarray of shape (n_steps,)
        The strength of each step (0 for the first).
    support : ndarray of bool, shape (n_steps, n_features)
        The input features each step's network uses (a row of
        ``coefs_[0]`` not all zero).
    n_features : ndarray of int, shape (n_steps,)
        Their number; it never grows along the path.
    validation_loss : ndarray of shape (n_steps,)
        The mean loss of the validation data (log-loss or the regression
        loss, without the penalty) under the step's model: the path's
        network at that step refitted without the group lasso on the
        features it kept.
    validation_loss_se : ndarray of shape (n_steps,)
        Its standard error over the validation samples.
    validation_loss_diff_se : ndarray of shape (n_steps,)
        The standard error of the step's validation loss minus the lowest
        (at ``best_index``), paired: over the validation samples' own
        differences between the two models' losses (0 at ``best_index``).
    validation_score : ndarray of shape (n_steps,)
        The estimator's ``score`` on the validation data (accuracy or R²).
    n_iter : ndarray of int, shape (n_steps,)
        The epochs each step of the path trained (its relaxed refit aside).
    step_iter : int
        The epochs a step, and a refit, may train: a tenth of the first
        fit's (at least 10).
    feature_names : ndarray of str, shape (n_features,)
        The names of the input features (``x0``, ... without column names).
    best_index : int
        The step of the lowest validation loss.
    one_se_index : int
        The sparsest step (fewest features; then the strongest) whose
        validation loss is within one standard error of the lowest.
    one_se_paired_index : int
        The sparsest step (fewest features; then the strongest) whose
        validation loss exceeds the lowest by at most its paired standard
        error (``validation_loss_diff_se``).
    states : list of dict or None
        Each step's model's fitted attributes (weights, curves, classes,
        ...), from which :meth:`estimator` rebuilds it.
    """

    alphas: np.ndarray
    support: np.ndarray
    n_features: np.ndarray
    validation_loss: np.ndarray
    validation_loss_se: np.ndarray
    validation_loss_diff_se: np.ndarray
    validation_score: np.ndarray
    n_iter: np.ndarray
    step_iter: int
    feature_names: np.ndarray
    best_index: int
    one_se_index: int
    one_se_paired_index: int
    states: list | None = field(default=None, repr=False)
    template: object = field(default=None, repr=False)

    def index(self, rule="one_se_paired"):
        """The chosen step: ``'one_se_paired'``, ``'best'`` or ``'one_se'``."""
        indices = {"one_se_paired": self.one_se_paired_index, "best": self.best_index,
                   "one_se": self.one_se_index}
        if rule not in indices:
            raise ValueError(f"rule must be one of {sorted(indices)}, got {rule!r}.")
        return indices[rule]

    def estimator(self, index):
        """The fitted model of step ``index``."""
        if self.states is None:
            raise ValueError(
                "This path keeps no weights; compute it with keep_states=True to rebuild "
                "its models."
            )
        model = clone(self.template)
        model.set_params(feature_alpha=0.0, warm_start=False)
        vars(model).update(copy.deepcopy(self.states[index]))
        return model

    def summary(self):
        """The path without the weights (what a fitted model keeps)."""
        return replace(self, states=None, template=None)


def _validated(est, X, y, sample_weight):
    """The training data checked as a fit checks it (scikit-learn's errors
    for a missing, mislabelled or mis-shaped input), on a copy of the
    estimator. A data frame stays one (its column names are the features'
    names); other input becomes the validated array, a CSR matrix if sparse;
    ``y`` becomes its validated labels or values (a column flattened)."""
    probe = clone(est)
    _check_has_features(X, probe)
    Xv, _, targets = probe._validate_input(X, y, incremental=False, reset=True)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, Xv)
    if not hasattr(X, "iloc"):
        X = Xv.tocsr() if sp.issparse(Xv) else Xv
    return X, targets.y, sample_weight


def _split(est, X, y, sample_weight):
    """The training and validation parts, as early stopping splits them but
    at least ``MIN_VALIDATION_FRACTION`` of the rows held out."""
    if not 0 < est.validation_fraction < 1:
        raise ValueError(
            "feature_alpha='auto' scores its path on validation data: pass X_val and y_val, "
            f"or set validation_fraction in (0, 1) (got {est.validation_fraction})."
        )
    n = len(y)
    stratify = None
    if is_classifier(est) and np.ndim(y) == 1:
        stratify = y
    share = max(est.validation_fraction, MIN_VALIDATION_FRACTION)
    train, val = train_test_split(np.arange(n), test_size=share,
                                  random_state=check_random_state(est.random_state),
                                  stratify=stratify)
    parts = [(_safe_indexing(X, rows), _safe_indexing(y, rows),
              None if sample_weight is None else _safe_indexing(sample_weight, rows))
             for rows in (train, val)]
    return parts[0], parts[1]


def _mean_and_se(values, sample_weight):
    """The (weighted) mean of per-sample values and its standard error."""
    w = np.ones(len(values)) if sample_weight is None else np.asarray(sample_weight, float)
    mean = float(np.average(values, weights=w))
    variance = float(np.average((values - mean) ** 2, weights=w))
    n_effective = w.sum() ** 2 / (w * w).sum()
    return mean, math.sqrt(variance / max(n_effective - 1.0, 1.0))


def _validation(model, X, y, sample_weight):
    """Each validation sample's loss, and the score."""
    Xv, Y, targets = model._validate_input(X, y, incremental=True, reset=False,
                                           classes=getattr(model, "classes_", None))
    raw = model._forward(Xv, check_input=False, raw=True)
    losses = model._loss(targets).loss_and_delta(raw, Y.astype(raw.dtype, copy=False))
    score = float(model.score(X, y, sample_weight=sample_weight))
    return np.asarray(losses, dtype=float), score


def _new_problem(model):
    """A warm start on another objective: the stopping rule starts afresh
    (scikit-learn's warm start carries it over, and the stronger penalty's
    higher loss would stop the step after ``n_iter_no_change`` epochs)."""
    model._no_improvement_count = 0
    if model.best_loss_ is not None:
        model.best_loss_ = np.inf
    if model.best_validation_score_ is not None:
        model.best_validation_score_ = -np.inf


def _alpha_max(model, X, y, sample_weight):
    """The strength at which the group lasso's proximal step removes every
    feature from the fitted network with the first layer's weights at zero:
    ``2 m max_f ||g_f||`` for the gradient ``g_f`` of the mean batch loss
    with respect to row ``f`` (``m`` the batch's samples or weight)."""
    Xt, Y, targets = model._validate_input(X, y, incremental=True, reset=False,
                                           classes=getattr(model, "classes_", None))
    hidden, activations, _ = model._validate_knobs()
    params = {**model.get_params(deep=False), "feature_alpha": 0.0}
    net = Network(model._layers(params, hidden, Y.shape[1], activations), Xt.shape[1],
                  model._loss(targets), Xt.dtype)
    net.load(vars(model))
    net.layers[0].coef[...] = 0.0
    weight = None if sample_weight is None else np.asarray(sample_weight, Xt.dtype)
    net.loss_grad(Xt, Y.astype(Xt.dtype, copy=False), weight)
    norms = np.linalg.norm(net.layers[0].coef_grad, axis=1)
    batch = min(200, Xt.shape[0]) if model.batch_size == "auto" else min(model.batch_size,
                                                                        Xt.shape[0])
    m = batch * (1.0 if weight is None else float(weight.mean()))
    return 2.0 * m * float(norms.max())


def feature_alpha_path(estimator, X, y, *, sample_weight=None, X_val=None, y_val=None,
                       sample_weight_val=None, n_alphas=20, eps=1e-2, stop_se=3.0,
                       keep_states=True):
    """Fit ``estimator`` along a path of ``feature_alpha``, dense to empty.

    The first step fits a copy of ``estimator`` without the group lasso (its
    other parameters as they are). The next ``n_alphas`` steps take
    ``feature_alpha`` from ``eps * alpha_max`` to ``alpha_max`` on a
    geometric grid (``alpha_max``, from the first fit's gradient, is where
    the group lasso starts to remove every feature), each warm-started from
    the step before with a fresh optimizer for at most a tenth of the epochs
    the first fit took (at least 10); the grid goes on past ``alpha_max``
    until no feature is left, or, there, until a step's validation loss
    exceeds the lowest by more than ``stop_se`` of its standard errors. A step that
    removed features is refitted without the group lasso on the features it
    kept for as many epochs (a relaxed fit, as the relaxed lasso of
    Meinshausen, 2007: the group lasso selects, the refit takes its
    shrinkage off the features kept), warm-started from the relaxed model of
    the features before with the removed ones' weights at zero (the path's
    own network is shrunk the more, the stronger the step, and a short refit
    from it would leave the sparser steps the worse trained); that relaxed
    model is the step's model and is what the validation data scores. The
    path costs at most ``1 + (n_steps + n_supports) / 10`` times the first
    fit's epochs (plus 10 epochs a step where that fit was short).

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        With a stochastic solver (the group lasso's exact zeros come from
        proximal steps). Not changed.
    X, y : array-like
        The training data.
    sample_weight : array-like of shape (n_samples,), default=None
    X_val, y_val, sample_weight_val : array-like, default=None
        The validation data that scores each step; by default the
        estimator's ``validation_fraction`` of ``X``, but at least a fifth,
        is held out (stratified for classification, drawn with its
        ``random_state``).
    n_alphas : int, default=20
    eps : float, default=1e-2
        The weakest strength, as a share of ``alpha_max``.
    stop_se : float or None, default=3.0
        Past ``alpha_max``, stop once a step's validation loss exceeds the
        lowest so far by more than this many of that lowest loss's standard
        errors: no rule chooses such a step, nor, in practice, the sparser
        ones after it. None goes on until no feature is left.
    keep_states : bool, default=True
        Keep every step's fitted weights (``states``, for
        :meth:`FeatureAlphaPath.estimator`).

    Returns
    -------
    path : FeatureAlphaPath

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sknn import MLPClassifier
    >>> from sknn import feature_alpha_path
    >>> X, y = make_classification(400, 10, n_informative=3, n_redundant=0,
    ...                            shuffle=False, random_state=0)
    >>> path = feature_alpha_path(MLPClassifier((16,), random_state=0), X, y, n_alphas=8,
    ...                           stop_se=None)
    >>> bool(all(path.n_features[1:] <= path.n_features[:-1]))  # never grows
    True
    >>> int(path.n_features[0]), int(path.n_features[-1])  # every feature to none
    (10, 0)
    >>> [int(i) for i in path.support[path.index("one_se_paired")].nonzero()[0]]
    [0, 1, 2]
    """
    est = clone(estimator).set_params(feature_alpha=0.0, warm_start=False)
    est._validate_params()
    if not components.is_stochastic(est.solver):
        raise ValueError(
            "A feature_alpha path needs a stochastic solver: the group lasso reaches "
            "exact zeros through proximal steps, which L-BFGS does not take. Use e.g. "
            "solver='adam'."
        )
    if not (isinstance(n_alphas, int) and n_alphas >= 1):
        raise ValueError(f"n_alphas must be a positive integer, got {n_alphas!r}.")
    if not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1), got {eps!r}.")
    if stop_se is not None and not stop_se > 0:
        raise ValueError(f"stop_se must be positive or None, got {stop_se!r}.")
    if (X_val is None) != (y_val is None):
        raise ValueError("Pass both X_val and y_val, or neither.")
    X, y, sample_weight = _validated(est, X, y, sample_weight)
    if X_val is None:
        (X, y, sample_weight), (X_val, y_val, sample_weight_val) = _split(
            est, X, y, sample_weight)
    early = {}
    if est.early_stopping:
        early = dict(X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val)
    validation = (X_val, y_val, sample_weight_val) if early else None
    model = est.fit(X, y, sample_weight=sample_weight, **early)
    step_iter = max(10, model.n_iter_ // 10)
    alpha_max = _alpha_max(model, X, y, sample_weight)
    ratio = (1.0 / eps) ** (1.0 / max(n_alphas - 1, 1))
    alphas = list(alpha_max * np.geomspace(eps, 1.0, n_alphas))
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        names = np.array([f"x{i}" for i in range(model.n_features_in_)], dtype=object)
    steps = []

    def train(model, alpha, support):
        """A warm-started fit of at most ``step_iter`` epochs at ``alpha``,
        the features outside ``support`` held at zero."""
        model.set_params(feature_alpha=float(alpha), warm_start=True, max_iter=step_iter)
        _new_problem(model)
        with warnings.catch_warnings():
            # each step is a short warm-started run that may stop at its epoch budget
            warnings.simplefilter("ignore", ConvergenceWarning)
            model._fit(X, y, sample_weight=sample_weight, validation_data=validation,
                       frozen_features=~support)

    def evaluate(relaxed):
        """A step model's validation losses (each sample's, their mean and its
        standard error) and score, and its fitted attributes."""
        losses, score = _validation(relaxed, X_val, y_val, sample_weight_val)
        loss, se = _mean_and_se(losses, sample_weight_val)
        state = None
        if keep_states:
            state = copy.deepcopy({k: v for k, v in vars(relaxed).items()
                                   if k.endswith("_") or k.startswith("_")})
        return dict(losses=losses, loss=loss, se=se, score=score, state=state)

    support = np.ones(model.n_features_in_, dtype=bool)
    relaxed = copy.deepcopy(model)  # the model of every feature: the first fit
    scored = evaluate(relaxed)
    steps.append(dict(alpha=0.0, support=support, n_iter=model.n_iter_, **scored))
    # past alpha_max, up to as many further steps again
    while support.any() and len(steps) <= 2 * n_alphas:
        i = len(steps) - 1
        alpha = alphas[i] if i < n_alphas else alphas[-1] * ratio ** (i - n_alphas + 1)
        train(model, alpha, support)
        new_support = np.any(model.coefs_[0] != 0, axis=1)
        if not np.array_equal(new_support, support):
            # a new support: refit it without the group lasso, starting from the
            # model of the support before (unshrunk, unlike the path's network)
            # without the features just removed
            relaxed = copy.deepcopy(relaxed)
            relaxed.coefs_[0][~new_support] = 0.0
            train(relaxed, 0.0, new_support)
            scored = evaluate(relaxed)
        support = new_support
        # (a step that kept its support keeps its model, scores and state)
        steps.append(dict(alpha=float(alpha), support=support, n_iter=model.n_iter_, **scored))
        # past alpha_max the grid only finishes off the last features; it stops
        # once their loss is far above the lowest (earlier, the loss may rise
        # and fall again as the noise leaves)
        lowest = min(steps, key=lambda step: step["loss"])
        if (stop_se is not None and i + 1 >= n_alphas
                and scored["loss"] > lowest["loss"] + stop_se * lowest["se"]):
            break

    def column(key):
        return np.array([step[key] for step in steps])

    losses, loss, se = column("losses"), column("loss"), column("se")
    support_rows = column("support")
    n_features = support_rows.sum(axis=1)
    best = int(np.argmin(loss))
    # the standard error of each step's loss minus the best's, sample by sample
    # on the same validation data
    diff_se = np.array([_mean_and_se(row - losses[best], sample_weight_val)[1]
                        for row in losses])

    def sparsest(within):
        """The step of fewest features among ``within``; among equals, the strongest."""
        within = np.flatnonzero(within)
        return int(within[np.lexsort((-within, n_features[within]))[0]])

    return FeatureAlphaPath(
        alphas=column("alpha"), support=support_rows, n_features=n_features,
        validation_loss=loss, validation_loss_se=se, validation_loss_diff_se=diff_se,
        validation_score=column("score"), n_iter=column("n_iter"), step_iter=step_iter,
        feature_names=np.asarray(names), best_index=best,
        one_se_index=sparsest(loss <= loss[best] + se[best]),
        one_se_paired_index=sparsest(loss - loss[best] <= diff_se),
        states=[step["state"] for step in steps] if keep_states else None,
        template=clone(model) if keep_states else None,
    )
