"""
Dropout against overfitting: training and validation curves
===========================================================

A network with many more parameters than training samples can learn the
training set by heart: its training loss falls towards zero while its loss
on data it has not seen stops falling and turns up. Dropout switches off a
random share ``p`` of the hidden units at every training step, so no unit
can rely on particular others, which makes memorising harder.

This example trains one over-sized network on 400 handwritten digits with
dropout rates of 0, 0.25, 0.5 and 0.75, and draws its training and
validation curves with :class:`sknn.LossCurveDisplay`.

The lesson: without dropout the gap between the validation loss and the
training loss opens early and keeps growing; dropout closes it, and a
moderate rate also predicts unseen digits better. Too much dropout slows
learning down.
"""

# %%
# Data and networks
# -----------------
#
# 400 digits for training (8x8 pixels scaled to [0, 1]); the other 1,397
# are a test set. ``early_stopping=True`` holds out half the training digits
# as a validation set and records, per epoch, the loss on it
# (``validation_loss_curve_``) and its accuracy (``validation_scores_``)
# beside the training loss (``loss_curve_``).
#
# Two choices keep the comparison fair. ``penalty=None``: the training loss
# then contains no penalty term, only the fit to the data. And every network
# trains for the same 200 epochs: ``n_iter_no_change=200`` keeps early
# stopping from ending a fit sooner, so each one ends at ``max_iter`` and
# its ``ConvergenceWarning`` is expected and silenced. The restored weights
# are still those of the best validation epoch.
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknn import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, train_size=400, stratify=y, random_state=0
)

rates = [0.0, 0.25, 0.5, 0.75]
models = {}
for rate in rates:
    clf = MLPClassifier(
        hidden_layer_sizes=(256, 256),  # 85,002 parameters
        dropout=rate,
        penalty=None,
        early_stopping=True,
        validation_fraction=0.5,
        n_iter_no_change=200,
        max_iter=200,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # see above
        models[rate] = clf.fit(X_train, y_train)

# %%
# Learning curves
# ---------------
#
# One panel per rate: the training loss, the validation loss (same axis) and
# the validation accuracy (right axis); the dotted line marks the epoch with
# the best validation accuracy, whose weights the model keeps.
import matplotlib.pyplot as plt

from sknn import LossCurveDisplay

fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), sharex=True, sharey=True)
for ax, (rate, clf) in zip(axes.flat, models.items()):
    display = LossCurveDisplay.from_estimator(clf, ax=ax, name=f"dropout={rate}")
    ax.set_yscale("log")
    display.score_ax_.set_ylim(0.8, 1.0)
    ax.get_legend().remove()  # one legend for the four panels, below them
handles = [line for line in display.lines_.values() if line is not None]
fig.legend(handles, [line.get_label() for line in handles], loc="lower center", ncol=4)
fig.tight_layout(rect=(0, 0.05, 1, 1))

# %%
# Note that the training loss of a network with dropout is measured on the
# thinned networks it trains, with units switched off, so it is higher than
# the loss of the whole network on the same data. That is part of why its
# training curve stays up: with dropout, a low training loss is harder to
# reach, and that is the point.
#
# The gap, the test accuracy
# --------------------------
#
# The gap is the validation loss minus the training loss at the last epoch;
# the test accuracy is that of the kept (best-epoch) weights on the 1,397
# test digits, which no fit has seen.
gaps = [clf.validation_loss_curve_[-1] - clf.loss_curve_[-1] for clf in models.values()]
rising = [
    clf.validation_loss_curve_[-1] - min(clf.validation_loss_curve_) for clf in models.values()
]
test_accuracy = [clf.score(X_test, y_test) for clf in models.values()]

fig, (ax_gap, ax_test) = plt.subplots(1, 2, figsize=(9, 3.5))
ax_gap.plot(rates, gaps, marker="o", label="validation - training loss, last epoch")
ax_gap.plot(rates, rising, marker="s", label="validation loss rise since its minimum")
ax_gap.axhline(0, color="0.6", linewidth=0.8)
ax_gap.set(xlabel="dropout rate", ylabel="loss", title="The overfitting gap")
ax_gap.legend(fontsize=8)
ax_test.plot(rates, test_accuracy, marker="o", color="C2")
ax_test.set(xlabel="dropout rate", ylabel="accuracy", title="Test accuracy (1,397 digits)")
fig.tight_layout()

for rate, gap, up, accuracy in zip(rates, gaps, rising, test_accuracy):
    print(
        f"dropout {rate:4}: gap {gap:6.3f}, validation loss up {up:.3f} since its minimum, "
        f"test accuracy {accuracy:.3f}"
    )

# %%
# What the figures show:
#
# - **No dropout**: the training loss falls below 0.05 within about 60
#   epochs and keeps falling; the validation loss reaches its minimum soon after and then
#   creeps up, because the network grows ever more confident, also on the
#   digits it gets wrong. The gap is the widest.
# - **0.25 and 0.5**: the training loss falls more slowly and stays higher,
#   the validation loss reaches a lower minimum later, and the gap narrows.
#   The test accuracy improves on the network without dropout.
# - **0.75**: three units in four are off at every step; the network learns
#   slowly, its validation loss is still falling at the last epoch, and its
#   training loss stays above the validation loss (measured on the whole
#   network). It would need more epochs; within 200 its test accuracy stays
#   below that of 0.5.
#
# How much dropout helps depends on how over-sized the network is for its
# data: with 200 training digits and 85,002 parameters, a lot. Search the
# rate together with the other knobs (the grid-search example) rather than
# taking a textbook value.
