"""Learning curves: training loss, validation loss and validation score per epoch."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from ._optional import import_optional


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

    def plot(self, ax=None, *, loss_kw=None, validation_loss_kw=None, score_kw=None):
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
        legend_loc = "best"
        if score_ax is not None:
            # keep the legend above the twin axes' curve; losses fall and the
            # score rises, so the middle right is usually free
            ax.set_zorder(score_ax.get_zorder() + 1)
            ax.patch.set_visible(False)
            legend_loc = "center right"
        ax.legend(handles, [h.get_label() for h in handles], loc=legend_loc)
        if self.estimator_name:
            ax.set_title(self.estimator_name)

        self.ax_, self.score_ax_, self.figure_ = ax, score_ax, ax.figure
        self.line_, self.lines_ = lines["loss"], lines
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **plot_kw):
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
        kind = "accuracy" if is_classifier(estimator) else "R²"
        display = cls(
            loss_curve=estimator.loss_curve_,
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            validation_scores=getattr(estimator, "validation_scores_", None),
            score_name=f"validation {kind}",
            estimator_name=type(estimator).__name__ if name is None else name,
            x_label="iteration" if getattr(estimator, "solver", None) == "lbfgs" else "epoch",
        )
        return display.plot(ax=ax, **plot_kw)


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

    def plot(self, ax=None, *, fraction=False, line_kw=None):
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
    def from_estimator(cls, estimator, *, ax=None, name=None, **plot_kw):
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
            x_label="iteration" if getattr(estimator, "solver", None) == "lbfgs" else "epoch",
        )
        return display.plot(ax=ax, **plot_kw)
