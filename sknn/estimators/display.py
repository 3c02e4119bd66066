"""Displays of a fitted network: its learning curves (training loss,
validation loss and score per epoch), its layer diagnostics and its non-zero
weights."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.utils.validation import check_is_fitted

from .._optional import import_optional
from ..training.diagnostics import QUANTITIES
from .components import is_stochastic

if TYPE_CHECKING:  # matplotlib is optional (the 'plot' extra)
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D


class LossCurveDisplay:
    """Learning curves of a fitted multi-layer perceptron.

    Draws the training loss (``loss_curve_``) and, when the model was fitted
    with ``early_stopping=True``, the validation loss
    (``validation_loss_curve_``) on the same axes and the validation score
    (``validation_scores_``) on a secondary y axis, against the epoch (the
    iteration for L-BFGS). A dotted vertical line marks the best validation
    epoch, whose weights early stopping restored.

    The training loss includes the penalty (``alpha``), the validation loss
    does not, so with a strong penalty the training curve lies above the
    validation curve without any overfitting.

    Use :meth:`from_estimator` to create one; requires matplotlib (the
    ``plot`` extra: ``pip install 'sknn[plot]'``).

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss per epoch.
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Validation loss per epoch.
    validation_scores : array-like of shape (n_epochs,), default=None
        Validation score per epoch.
    score_name : str, default="validation score"
        Label of the secondary axis.
    estimator_name : str, default=None
        Name shown in the title.
    x_label : str, default="epoch"
        Label of the x axis.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes of the losses.
    score_ax_ : matplotlib Axes or None
        Secondary (twin) axes of the validation score, or None without one.
    figure_ : matplotlib Figure
        Figure holding the axes.
    line_ : matplotlib Line2D
        The training loss curve.
    lines_ : dict of str to matplotlib Line2D or None
        ``"loss"``, ``"validation_loss"``, ``"validation_score"`` and
        ``"best_epoch"``; None for a curve the model does not have.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against training set size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sknn import LossCurveDisplay, MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier((32,), early_stopping=True, learning_rate_init=0.01,
    ...                     random_state=0).fit(X / 16, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> [line.get_label() for line in display.ax_.get_legend().get_lines()]
    ['training loss', 'validation loss', 'validation accuracy', 'best epoch']
    >>> len(display.line_.get_ydata()) == clf.n_iter_
    True
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_loss_curve=None,
        validation_scores=None,
        score_name="validation score",
        estimator_name=None,
        x_label="epoch",
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.score_name = score_name
        self.estimator_name = estimator_name
        self.x_label = x_label

    def plot(
        self,
        ax: Axes | None = None,
        *,
        loss_kw: dict[str, Any] | None = None,
        validation_loss_kw: dict[str, Any] | None = None,
        score_kw: dict[str, Any] | None = None,
    ) -> Self:
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        loss_kw, validation_loss_kw, score_kw : dict, default=None
            Keyword arguments of ``ax.plot`` for each curve.

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``ax_``, ``score_ax_``, ``figure_``, ``line_``
            and ``lines_`` set.
        """
        plt = import_optional("matplotlib.pyplot", f"{type(self).__name__}.plot")
        if ax is None:
            _, ax = plt.subplots()
        loss = np.asarray(self.loss_curve, dtype=float)
        epochs = np.arange(1, len(loss) + 1)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]

        lines = dict.fromkeys(["loss", "validation_loss", "validation_score", "best_epoch"])
        (lines["loss"],) = ax.plot(
            epochs, loss, **{"label": "training loss", "color": colors[0], **(loss_kw or {})}
        )
        if self.validation_loss_curve is not None:
            (lines["validation_loss"],) = ax.plot(
                epochs,
                np.asarray(self.validation_loss_curve, dtype=float),
                **{"label": "validation loss", "color": colors[1], **(validation_loss_kw or {})},
            )
        ax.set_xlabel(self.x_label)
        ax.set_ylabel("loss")

        score_ax = None
        if self.validation_scores is not None:
            scores = np.asarray(self.validation_scores, dtype=float)
            score_ax = ax.twinx()
            (lines["validation_score"],) = score_ax.plot(
                epochs,
                scores,
                **{"label": self.score_name, "color": colors[2], "linestyle": "--",
                   **(score_kw or {})},
            )
            score_ax.set_ylabel(self.score_name)
            if np.isfinite(scores).any():
                lines["best_epoch"] = ax.axvline(
                    epochs[np.nanargmax(scores)], color="0.5", linestyle=":",
                    label="best epoch",
                )
        handles = [line for line in lines.values() if line is not None]
        if score_ax is not None:
            # keep the legend above the twin axes' curve; losses fall and the
            # score rises, so the middle right is usually free
            ax.set_zorder(score_ax.get_zorder() + 1)
            ax.patch.set_visible(False)
        ax.legend(handles, [h.get_label() for h in handles],
                  loc="best" if score_ax is None else "center right")
        if self.estimator_name:
            ax.set_title(self.estimator_name)

        self.ax_, self.score_ax_, self.figure_ = ax, score_ax, ax.figure
        self.line_, self.lines_ = lines["loss"], lines
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator: BaseEstimator,
        *,
        ax: Axes | None = None,
        name: str | None = None,
        **plot_kw: Any,
    ) -> Self:
        """Draw the learning curves of a fitted estimator.

        Parameters
        ----------
        estimator : fitted estimator with a ``loss_curve_``
            An sknn (or scikit-learn) MLP, or a Pipeline ending with one.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        name : str, default=None
            Title; the estimator's class name when None.
        **plot_kw : dict
            Passed to :meth:`plot` (``loss_kw``, ``validation_loss_kw``,
            ``score_kw``).

        Returns
        -------
        display : LossCurveDisplay
            The drawn display.
        """
        import_optional("matplotlib", f"{cls.__name__}.from_estimator")
        if hasattr(estimator, "steps") and not hasattr(estimator, "loss_curve_"):
            estimator = estimator[-1]
        check_is_fitted(estimator)
        if getattr(estimator, "loss_curve_", None) is None:
            raise ValueError(
                f"{type(estimator).__name__} has no loss_curve_ to draw; "
                "LossCurveDisplay needs a fitted multi-layer perceptron."
            )
        display = cls(
            loss_curve=estimator.loss_curve_,
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            validation_scores=getattr(estimator, "validation_scores_", None),
            score_name=_score_name(estimator),
            estimator_name=type(estimator).__name__ if name is None else name,
            x_label=_round_name(estimator),
        )
        return display.plot(ax=ax, **plot_kw)


def _score_name(estimator):
    """What ``validation_scores_`` holds, by the estimator's ``scoring``."""
    scoring = getattr(estimator, "scoring", None)
    if scoring is None:
        return "validation " + ("accuracy" if is_classifier(estimator) else "R²")
    if scoring == "loss":
        return "negative validation loss"
    return f"validation {scoring}" if isinstance(scoring, str) else "validation score"


# Quantities drawn on a log scale (when all their values are positive): they
# span orders of magnitude across layers when signals vanish or explode.
_LOG_SCALE = ("activation_std", "gradient_norm", "update_ratio")


class DiagnosticsDisplay:
    """Layer diagnostics of a fitted multi-layer perceptron, as small multiples.

    One panel per quantity of ``diagnostics_`` (activation mean and standard
    deviation, fraction of dead units, gradient norm, weight norm,
    update-to-weight ratio), against the epoch (the iteration for L-BFGS);
    in each panel one line per dense layer, coloured from the first hidden
    layer (dark) to the last (light), the output layer dashed. The standard
    deviation, the gradient norm and the update ratio are drawn on a log
    scale when all their values are positive. The output layer has no dead
    units to count, so that panel has no line for it.

    Use :meth:`from_estimator` on a model fitted with ``diagnostics=True``;
    requires matplotlib (the ``plot`` extra: ``pip install 'sknn[plot]'``).

    Parameters
    ----------
    diagnostics : dict of str to array-like of shape (n_epochs, n_layers)
        The quantities (the keys of an estimator's ``diagnostics_``), one
        column per layer.
    layer_names : list of str, default=None
        Name of each layer, for the legend; ``"hidden 1"``, ...,
        ``"output"`` when None.
    estimator_name : str, default=None
        Title of the figure, when the display makes one.
    x_label : str, default="epoch"
        Label of the x axes.

    Attributes
    ----------
    axes_ : dict of str to matplotlib Axes
        The panel of each quantity drawn, in the order drawn.
    lines_ : dict of str to list of matplotlib Line2D or None
        Per quantity, the line of each layer (in the order of the columns),
        or None for a layer without values (the output layer's dead units).
    legend_ : matplotlib Legend
        The legend of the layers: beside the panels of a new figure, in the
        last panel of given axes.
    figure_ : matplotlib Figure
        Figure holding the panels.

    See Also
    --------
    LossCurveDisplay : The learning curves of the same fit.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sknn import DiagnosticsDisplay, MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier((32, 16), learning_rate_init=0.01, diagnostics=True,
    ...                     random_state=0).fit(X / 16, y)
    >>> display = DiagnosticsDisplay.from_estimator(clf)
    >>> [ax.get_title() for ax in display.axes_.values()]
    ['activation mean', 'activation std', 'dead units', 'gradient norm', 'weight norm', \
'update / weight']
    >>> [line.get_label() for line in display.lines_["weight_norm"]]
    ['hidden 1', 'hidden 2', 'output']
    >>> len(display.lines_["weight_norm"][0].get_ydata()) == clf.n_iter_
    True
    """

    def __init__(self, *, diagnostics, layer_names=None, estimator_name=None, x_label="epoch"):
        self.diagnostics = diagnostics
        self.layer_names = layer_names
        self.estimator_name = estimator_name
        self.x_label = x_label

    def plot(
        self,
        *,
        quantities: Sequence[str] | None = None,
        axes: Sequence[Axes] | np.ndarray | None = None,
        n_cols: int = 3,
        line_kw: dict[str, Any] | None = None,
    ) -> Self:
        """Draw the panels.

        Parameters
        ----------
        quantities : list of str, default=None
            The quantities to draw, one panel each, in this order; every
            quantity of ``diagnostics`` when None.
        axes : array-like of matplotlib Axes, default=None
            One Axes per quantity to draw on, the legend in the last; when
            None, a new figure with the legend beside the panels and
            ``estimator_name`` as its title.
        n_cols : int, default=3
            Panels per row of a new figure.
        line_kw : dict, default=None
            Keyword arguments of ``ax.plot`` for every line.

        Returns
        -------
        display : DiagnosticsDisplay
            The display, with ``axes_``, ``lines_``, ``legend_`` and
            ``figure_`` set.
        """
        plt = import_optional("matplotlib.pyplot", f"{type(self).__name__}.plot")
        if quantities is None:
            quantities = [name for name in QUANTITIES if name in self.diagnostics]
            quantities += [name for name in self.diagnostics if name not in QUANTITIES]
        unknown = [name for name in quantities if name not in self.diagnostics]
        if unknown:
            raise ValueError(
                f"No diagnostics {unknown}; the display has {sorted(self.diagnostics)}."
            )
        data = {name: np.asarray(self.diagnostics[name], dtype=float) for name in quantities}
        n_epochs, n_layers = next(iter(data.values())).shape
        names = self.layer_names
        if names is None:
            names = [f"hidden {j + 1}" for j in range(n_layers - 1)] + ["output"]
        new_figure = axes is None
        if new_figure:
            n_rows = -(-len(quantities) // n_cols)
            figure, grid = plt.subplots(
                n_rows, n_cols, figsize=(3.6 * n_cols, 2.8 * n_rows),
                layout="constrained", squeeze=False,
            )
            for ax in grid.flat[len(quantities):]:
                ax.set_visible(False)
            axes = grid.flat[: len(quantities)]
        else:
            axes = np.asarray(axes, dtype=object).ravel()
            if len(axes) != len(quantities):
                raise ValueError(
                    f"axes has {len(axes)} Axes for {len(quantities)} quantities; pass "
                    "one Axes per quantity."
                )
            figure = axes[0].figure

        colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, max(n_layers, 2)))
        epochs = np.arange(1, n_epochs + 1)
        style = {"marker": "o"} if n_epochs == 1 else {}
        self.axes_, self.lines_ = {}, {}
        for ax, name in zip(axes, quantities):
            values = data[name]
            lines: list[Line2D | None] = []
            for j in range(n_layers):
                if name == "dead_fraction" and j == n_layers - 1:  # (NaN: no activation)
                    lines.append(None)
                    continue
                kw = {"label": names[j], "color": colors[j],
                      "linestyle": "--" if j == n_layers - 1 else "-", **style}
                (line,) = ax.plot(epochs, values[:, j], **{**kw, **(line_kw or {})})
                lines.append(line)
            finite = values[np.isfinite(values)]
            if name in _LOG_SCALE and finite.size and (finite > 0).all():
                ax.set_yscale("log")
            ax.set_title(QUANTITIES[name][0] if name in QUANTITIES else name)
            ax.set_xlabel(self.x_label)
            self.axes_[name], self.lines_[name] = ax, lines

        drawn = max(self.lines_.values(), key=lambda lines: sum(x is not None for x in lines))
        handles = [line for line in drawn if line is not None]
        labels = [str(h.get_label()) for h in handles]
        if new_figure:
            self.legend_ = figure.legend(handles, labels, loc="outside right upper")
            if self.estimator_name:
                figure.suptitle(self.estimator_name)
        else:  # the figure may hold other panels: the legend goes in the last given
            self.legend_ = axes[-1].legend(handles, labels, fontsize="small")
        self.figure_ = figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator: BaseEstimator,
        *,
        quantities: Sequence[str] | None = None,
        axes: Sequence[Axes] | np.ndarray | None = None,
        name: str | None = None,
        **plot_kw: Any,
    ) -> Self:
        """Draw the layer diagnostics of a fitted estimator.

        Parameters
        ----------
        estimator : fitted estimator with ``diagnostics_``
            An sknn MLP fitted with ``diagnostics=True``, or a Pipeline
            ending with one.
        quantities : list of str, default=None
            The quantities to draw (keys of ``diagnostics_``); all when None.
        axes : array-like of matplotlib Axes, default=None
            One Axes per quantity; a new figure when None.
        name : str, default=None
            Title of a new figure; the estimator's class name when None.
        **plot_kw : dict
            Passed to :meth:`plot` (``n_cols``, ``line_kw``).

        Returns
        -------
        display : DiagnosticsDisplay
            The drawn display.
        """
        import_optional("matplotlib", f"{cls.__name__}.from_estimator")
        if hasattr(estimator, "steps"):
            estimator = estimator[-1]
        check_is_fitted(estimator)
        if getattr(estimator, "diagnostics_", None) is None:
            raise ValueError(
                f"{type(estimator).__name__} has no diagnostics_ to draw: fit it with "
                "diagnostics=True (the parameter of sknn's MLPClassifier and MLPRegressor)."
            )
        display = cls(
            diagnostics=estimator.diagnostics_,
            estimator_name=type(estimator).__name__ if name is None else name,
            x_label=_round_name(estimator),
        )
        return display.plot(quantities=quantities, axes=axes, **plot_kw)


class SparsityDisplay:
    """The non-zero weights of each layer over training.

    One line per dense layer: the number of its weights (``coefs_[i]``) that
    are not exactly zero after each epoch (each iteration for L-BFGS), from
    the fitted attribute ``nonzero_curve_``; with an L1 penalty
    (``penalty='l1'`` or ``'elasticnet'``) or ``feature_alpha``, the lines
    fall as training eliminates weights.

    Use :meth:`from_estimator` to create one; requires matplotlib (the
    ``plot`` extra: ``pip install 'sknn[plot]'``).

    Parameters
    ----------
    nonzero_curve : array-like of shape (n_epochs, n_layers)
        Non-zero weights per epoch and layer.
    sizes : array-like of shape (n_layers,), default=None
        The number of weights of each layer; with ``fraction=True`` in
        :meth:`plot` the lines show the non-zero share.
    estimator_name : str, default=None
        Name shown in the title.
    x_label : str, default="epoch"
        Label of the x axis.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    lines_ : list of matplotlib Line2D
        One per layer, labelled ``"layer 1"``, ...

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sknn import MLPClassifier, SparsityDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier((32,), penalty="l1", alpha=1.0, max_iter=20, tol=1.0,
    ...                     random_state=0).fit(X / 16, y)
    >>> display = SparsityDisplay.from_estimator(clf)
    >>> [line.get_label() for line in display.lines_]
    ['layer 1', 'layer 2']
    >>> int(display.lines_[0].get_ydata()[-1]) == int((clf.coefs_[0] != 0).sum())
    True
    """

    def __init__(self, *, nonzero_curve, sizes=None, estimator_name=None, x_label="epoch"):
        self.nonzero_curve = nonzero_curve
        self.sizes = sizes
        self.estimator_name = estimator_name
        self.x_label = x_label

    def plot(
        self, ax: Axes | None = None, *, fraction: bool = False,
        line_kw: dict[str, Any] | None = None,
    ) -> Self:
        """Draw one line per layer.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        fraction : bool, default=False
            Plot the non-zero share of each layer's weights (needs ``sizes``).
        line_kw : dict, default=None
            Keyword arguments of ``ax.plot`` for every line.

        Returns
        -------
        display : SparsityDisplay
            The display, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        plt = import_optional("matplotlib.pyplot", f"{type(self).__name__}.plot")
        if ax is None:
            _, ax = plt.subplots()
        counts = np.asarray(self.nonzero_curve, dtype=float).reshape(len(self.nonzero_curve), -1)
        if fraction:
            if self.sizes is None:
                raise ValueError("fraction=True needs the layers' sizes")
            counts = counts / np.asarray(self.sizes, dtype=float)
        epochs = np.arange(1, counts.shape[0] + 1)
        self.lines_ = [
            ax.plot(epochs, counts[:, i], **{"label": f"layer {i + 1}", **(line_kw or {})})[0]
            for i in range(counts.shape[1])
        ]
        ax.set_xlabel(self.x_label)
        ax.set_ylabel("non-zero share of weights" if fraction else "non-zero weights")
        ax.legend()
        if self.estimator_name:
            ax.set_title(self.estimator_name)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(
        cls, estimator: BaseEstimator, *, ax: Axes | None = None, name: str | None = None,
        **plot_kw: Any,
    ) -> Self:
        """Draw the non-zero weights per layer of a fitted sknn estimator.

        Parameters
        ----------
        estimator : fitted sknn estimator, or a Pipeline ending with one
        ax : matplotlib Axes, default=None
        name : str, default=None
            Title; the estimator's class name when None.
        **plot_kw : dict
            Passed to :meth:`plot` (``fraction``, ``line_kw``).

        Returns
        -------
        display : SparsityDisplay
        """
        import_optional("matplotlib", f"{cls.__name__}.from_estimator")
        if hasattr(estimator, "steps") and not hasattr(estimator, "nonzero_curve_"):
            estimator = estimator[-1]
        check_is_fitted(estimator)
        if getattr(estimator, "nonzero_curve_", None) is None:
            raise ValueError(
                f"{type(estimator).__name__} has no nonzero_curve_ to draw; "
                "SparsityDisplay needs a fitted sknn multi-layer perceptron."
            )
        display = cls(
            nonzero_curve=estimator.nonzero_curve_,
            sizes=[W.size for W in estimator.coefs_],
            estimator_name=type(estimator).__name__ if name is None else name,
            x_label=_round_name(estimator),
        )
        return display.plot(ax=ax, **plot_kw)


class SelectionPathDisplay:
    """A ``feature_alpha`` path: the number of input features and the
    validation loss against the strength, the chosen step marked, and each
    feature's name where it drops out.

    Two panels on a log strength axis: the features the network uses at
    each step (a step line), labelled with the names of the features each
    step removed, and the validation loss with one standard error around it.
    The path's first step (no group lasso) is drawn at the left edge, at a
    tenth of the weakest strength. A dashed line marks the chosen step.

    Use :meth:`from_estimator` (a model fitted with ``feature_alpha='auto'``)
    or :meth:`from_path` (a :func:`~sknn.feature_alpha_path`) to create one;
    requires matplotlib (the ``plot`` extra: ``pip install 'sknn[plot]'``).

    Parameters
    ----------
    path : FeatureAlphaPath
    chosen : int, default=None
        The step to mark.
    estimator_name : str, default=None
        Name shown in the title.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        The features panel and the validation-loss panel.
    figure_ : matplotlib Figure
    features_line_, loss_line_ : matplotlib Line2D
    chosen_lines_ : list of matplotlib Line2D
        The marks of the chosen step, one per panel.
    texts_ : list of matplotlib Text
        One per step that removed features, naming them.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_classification
    >>> from sknn import MLPClassifier, SelectionPathDisplay
    >>> X, y = make_classification(300, 8, n_informative=3, n_redundant=0,
    ...                            shuffle=False, random_state=0)
    >>> clf = MLPClassifier((16,), feature_alpha="auto", random_state=0).fit(X, y)
    >>> display = SelectionPathDisplay.from_estimator(clf)
    >>> int(display.features_line_.get_ydata()[-1])
    0
    >>> len(display.axes_)
    2
    """

    def __init__(self, *, path, chosen=None, estimator_name=None):
        self.path = path
        self.chosen = chosen
        self.estimator_name = estimator_name

    def _x(self):
        alphas = np.asarray(self.path.alphas, dtype=float)
        positive = alphas[alphas > 0]
        floor = positive.min() / 10 if positive.size else 1.0
        return np.where(alphas > 0, alphas, floor)

    def plot(self, axes: Sequence[Axes] | None = None, *, max_names: int = 6) -> Self:
        """Draw the two panels.

        Parameters
        ----------
        axes : two matplotlib Axes, default=None
            Where to draw; a new figure when None.
        max_names : int, default=6
            The most feature names written at one step (the rest counted).

        Returns
        -------
        display : SelectionPathDisplay
        """
        plt = import_optional("matplotlib.pyplot", f"{type(self).__name__}.plot")
        if axes is None:
            _, axes = plt.subplots(2, 1, sharex=True, figsize=(7, 6))
        axes = np.asarray(axes).ravel()
        path, x = self.path, self._x()
        ax_features, ax_loss = axes
        (self.features_line_,) = ax_features.step(x, path.n_features, where="post",
                                                  marker="o", label="features used")
        self.texts_ = []
        support = np.asarray(path.support)
        names = np.asarray(path.feature_names)
        for i in range(1, len(x)):
            gone = names[support[i - 1] & ~support[i]]
            if gone.size:
                label = ", ".join(map(str, gone[:max_names]))
                if gone.size > max_names:
                    label += f" +{gone.size - max_names}"
                self.texts_.append(ax_features.annotate(
                    label, (x[i], path.n_features[i]), xytext=(3, 3),
                    textcoords="offset points", fontsize="x-small", rotation=30))
        ax_features.set_ylabel("input features used")
        loss = np.asarray(path.validation_loss)
        se = np.asarray(path.validation_loss_se)
        (self.loss_line_,) = ax_loss.plot(x, loss, marker="o", label="validation loss")
        ax_loss.fill_between(x, loss - se, loss + se, alpha=0.2, label="one standard error")
        ax_loss.set_ylabel("validation loss")
        ax_loss.set_xlabel("feature_alpha (the first step: none)")
        ax_loss.set_xscale("log")
        self.chosen_lines_ = []
        if self.chosen is not None:
            for ax in axes:
                self.chosen_lines_.append(ax.axvline(x[self.chosen], color="k", linestyle="--",
                                                     label="chosen"))
        ax_loss.legend(fontsize="small")
        if self.estimator_name:
            ax_features.set_title(self.estimator_name)
        self.axes_, self.figure_ = axes, ax_features.figure
        return self

    @classmethod
    def from_path(cls, path, *, rule: str | None = "best", axes: Sequence[Axes] | None = None,
                  name: str | None = None, **plot_kw: Any) -> Self:
        """Draw a :func:`~sknn.feature_alpha_path`, marking the step ``rule``
        chooses (``'best'``, ``'one_se'``, or None for no mark)."""
        import_optional("matplotlib", f"{cls.__name__}.from_path")
        chosen = None if rule is None else path.index(rule)
        return cls(path=path, chosen=chosen, estimator_name=name).plot(axes=axes, **plot_kw)

    @classmethod
    def from_estimator(cls, estimator: BaseEstimator, *, axes: Sequence[Axes] | None = None,
                       name: str | None = None, **plot_kw: Any) -> Self:
        """Draw the path of a model fitted with ``feature_alpha='auto'`` (or a
        Pipeline ending with one), marking the step it kept."""
        import_optional("matplotlib", f"{cls.__name__}.from_estimator")
        if hasattr(estimator, "steps") and not hasattr(estimator, "feature_alpha_path_"):
            estimator = estimator[-1]
        check_is_fitted(estimator)
        path = getattr(estimator, "feature_alpha_path_", None)
        if path is None:
            raise ValueError(
                f"{type(estimator).__name__} has no feature_alpha_path_ to draw: fit it with "
                "feature_alpha='auto', or draw a feature_alpha_path with from_path."
            )
        display = cls(path=path, chosen=path.index(estimator.feature_alpha_rule),
                      estimator_name=type(estimator).__name__ if name is None else name)
        return display.plot(axes=axes, **plot_kw)


def _round_name(estimator):
    """What one point of the estimator's curves is: an epoch, or an L-BFGS
    iteration (also for scikit-learn's MLP)."""
    return "epoch" if is_stochastic(getattr(estimator, "solver", None)) else "iteration"
