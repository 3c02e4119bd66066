"""
Searching the knobs together: a grid search in a pipeline
=========================================================

The knobs interact: dropout is itself a regulariser, so it changes how
much penalty a network needs, and L1 and L2 of the same strength do not
shrink the weights alike. sknn's knobs are ordinary estimator parameters, so
scikit-learn's :class:`~sklearn.model_selection.GridSearchCV` searches them,
also inside a :class:`~sklearn.pipeline.Pipeline` that scales the features
first.

This example searches the penalty (L2, L1, elastic net), its strength
``alpha`` and the dropout rate on scikit-learn's breast-cancer data, and
plots the cross-validated accuracy of every combination.

The lesson: over a wide range of settings the accuracy is the same within
the noise of the folds, and the best combination wins by less than that
noise; what the search reliably shows is where a knob goes too far.
"""

# %%
# The pipeline and the grid
# -------------------------
#
# 569 tumours, 30 measurements each, malignant or benign. A
# ``StandardScaler`` puts the measurements on one scale (networks train
# badly on features of very different sizes); one hidden layer of 32 units.
# Pipeline parameters are named ``step__parameter``.
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

X, y = load_breast_cancer(return_X_y=True)

pipeline = Pipeline(
    [
        ("scale", StandardScaler()),
        (
            "mlp",
            MLPClassifier(
                hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=500, random_state=0
            ),
        ),
    ]
)
penalties = ["l2", "l1", "elasticnet"]
alphas = [1e-3, 1e-1, 1, 10, 30]
dropouts = [0.0, 0.5]
grid = {"mlp__penalty": penalties, "mlp__alpha": alphas, "mlp__dropout": dropouts}

search = GridSearchCV(pipeline, grid, cv=StratifiedKFold(5, shuffle=True, random_state=0))
search.fit(X, y)
print(f"{len(search.cv_results_['params'])} combinations x 5 folds")
print("best:", search.best_params_, f"accuracy {search.best_score_:.3f}")

# %%
# The best pipeline, refitted on all the data:
search.best_estimator_

# %%
# Accuracy against the penalty's strength
# ---------------------------------------
#
# One panel per dropout rate, one line per penalty; the bands are one
# standard deviation over the 5 folds. The dotted line is the share of the
# larger class (benign), the accuracy of a model that has learned nothing.
import matplotlib.pyplot as plt
import numpy as np

results = search.cv_results_
mean, std = results["mean_test_score"], results["std_test_score"]


def select(penalty, dropout):
    """The rows of cv_results_ with this penalty and dropout, by increasing alpha."""
    rows = [
        i
        for i, params in enumerate(results["params"])
        if params["mlp__penalty"] == penalty and params["mlp__dropout"] == dropout
    ]
    return sorted(rows, key=lambda i: results["params"][i]["mlp__alpha"])


chance = np.bincount(y).max() / len(y)
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, dropout in zip(axes, dropouts):
    for penalty in penalties:
        rows = select(penalty, dropout)
        ax.plot(alphas, mean[rows], marker="o", label=penalty)
        ax.fill_between(alphas, mean[rows] - std[rows], mean[rows] + std[rows], alpha=0.15)
    ax.axhline(chance, color="0.5", linestyle=":", label="majority class")
    ax.set(xscale="log", xlabel="alpha", title=f"dropout={dropout}")
axes[0].set_ylabel("5-fold cross-validated accuracy")
axes[1].legend(loc="lower left")
fig.tight_layout()

# %%
# Every combination at a glance
# -----------------------------
#
# The same means as a table of colours, rows for penalty and dropout,
# columns for ``alpha``; the best cell is framed.
table = np.array([mean[select(p, d)] for d in dropouts for p in penalties])
labels = [f"{p}, dropout {d}" for d in dropouts for p in penalties]

fig, ax = plt.subplots(figsize=(7, 4))
image = ax.imshow(table, cmap="viridis", vmin=chance, vmax=1)
for (row, column), value in np.ndenumerate(table):
    ax.text(
        column,
        row,
        f"{value:.3f}",
        ha="center",
        va="center",
        color="black" if value > 0.85 else "white",
        fontsize=9,
    )
best_row, best_column = np.unravel_index(np.argmax(table), table.shape)
ax.add_patch(
    plt.Rectangle(
        (best_column - 0.5, best_row - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2
    )
)
ax.set_xticks(range(len(alphas)), [f"{a:g}" for a in alphas])
ax.set_yticks(range(len(labels)), labels)
ax.set_xlabel("alpha")
fig.colorbar(image, ax=ax, label="mean accuracy")
fig.tight_layout()

# %%
# What the figures show:
#
# - **A plateau.** From ``alpha=0.001`` to 1, every penalty with or without
#   dropout scores about 0.97 to 0.98, with fold-to-fold standard deviations
#   of about 0.01: the differences between these cells are noise. The
#   "best" combination is one of many equally good ones; refitting with
#   another ``random_state`` or other folds may pick a different one.
# - **Where it breaks.** At ``alpha=10`` and 30 the penalty dominates the
#   loss. L1 fails first: at 30 it pushes every weight towards zero and the
#   network predicts the majority class for every tumour. L2, whose pull
#   weakens as weights shrink, degrades gently; elastic net lies between.
# - **Dropout and penalty add up.** With dropout 0.5, L1 and elastic net
#   lose more accuracy at large ``alpha`` than without dropout (L2 hardly
#   changes): two regularisers together regularise more, so a network with
#   dropout tolerates less penalty.
#
# A search over a coarse logarithmic grid, followed by a look at the whole
# table rather than only at ``best_params_``, tells which knobs matter for a
# problem. Here: keep ``alpha`` at or below 1; the choice of penalty and
# dropout hardly matters for a network this small on data this clean.
