r"""
An MLP for tables against gradient boosting
===========================================

:class:`~sknn.TabularMLPClassifier` takes a table as it is and trains an
ensemble of networks that share their hidden layers, with a recipe made for
tables (robust scaling, piecewise-linear encoding of the numbers, AdamW,
early stopping with the best epoch restored). Here it meets scikit-learn's
:class:`~sklearn.ensemble.HistGradientBoostingClassifier`, the usual first
choice for a table, on an open table that scikit-learn ships: the Wisconsin
breast cancer measurements (569 tumours, 30 numeric columns).

The lesson: with their defaults and no search, both learners land within a
few points of each other on a small table; the MLP's training curve shows
where early stopping ended it, and its members, trained together, disagree
most on the few samples that end up misclassified.
"""

# %%
# The table and the two learners
# ------------------------------
#
# A quarter of the rows is held out for testing, stratified by class.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split

from sknn import TabularMLPClassifier

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

models = {
    "TabularMLPClassifier": TabularMLPClassifier(random_state=0),
    "HistGradientBoosting": HistGradientBoostingClassifier(random_state=0),
}
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    proba = model.predict_proba(X_test)
    print(f"{name:<22} accuracy {accuracy_score(y_test, proba.argmax(axis=1)):.3f}  "
          f"log loss {log_loss(y_test, proba):.3f}  fit {seconds:.1f} s")

# %%
# The MLP's training curve
# ------------------------
#
# Early stopping holds out a fifth of the training rows, computes the
# members' mean log loss on them after every epoch (``validation_scores_``
# holds its negative) and stops after ``n_iter_no_change`` epochs without
# improvement, restoring the best epoch's weights (marked).
mlp = models["TabularMLPClassifier"]
epochs = np.arange(1, mlp.n_iter_ + 1)
best = int(np.argmax(mlp.validation_scores_)) + 1
fig, (ax_loss, ax_score) = plt.subplots(1, 2, figsize=(9, 3.5))
ax_loss.plot(epochs, mlp.loss_curve_)
ax_loss.set(xlabel="epoch", ylabel="training loss (mean of the members')")
ax_score.plot(epochs, -np.asarray(mlp.validation_scores_))
ax_score.axvline(best, color="k", linestyle=":", label=f"restored: epoch {best}")
ax_score.set(xlabel="epoch", ylabel="held-out log loss")
ax_score.legend()
fig.tight_layout()

# %%
# The spread between the members
# ------------------------------
#
# :meth:`~sknn.TabularMLPClassifier.predict_members` gives each member's
# probabilities; ``predict_proba`` is their mean. The members share their
# hidden layers but have their own input scales and output layers, so they
# agree on the clear cases and spread on the hard ones.
members = mlp.predict_members(X_test)[:, :, 1]  # each member's P(benign)
mean = members.mean(axis=1)
spread = members.std(axis=1)
wrong = (mean > 0.5) != y_test.to_numpy().astype(bool)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.scatter(mean[~wrong], spread[~wrong], s=12, label="correct")
ax.scatter(mean[wrong], spread[wrong], s=40, marker="x", color="C3", label="misclassified")
ax.set(xlabel="mean P(benign) over the members", ylabel="spread (std) between members")
ax.legend()
fig.tight_layout()
print(f"median spread: correct {np.median(spread[~wrong]):.3f}, "
      f"misclassified {np.median(spread[wrong]) if wrong.any() else float('nan'):.3f}")
