r"""
L1, L2 and elastic net: what the penalty does to the weights
============================================================

A penalty adds the size of the weights to the loss the network minimises,

.. math::

   \Omega = \frac{\alpha}{2m} \sum_W \Big[ \rho \sum |w| + (1 - \rho) \sum w^2 \Big],

with :math:`\rho = 0` for ``penalty='l2'``, 1 for ``'l1'`` and ``l1_ratio``
for ``'elasticnet'``. This example fits the same network without a penalty
and with each of the three on data where most features are noise, and looks
at the weights of the first layer.

The lesson: L2 shrinks every weight in proportion to its size, so weights
get smaller but few come close to zero; L1 pulls every weight towards zero by the
same amount, so the weights of useless inputs collapse to near zero and the
useful ones survive. Elastic net sits in between.
"""

# %%
# Data with useless features
# --------------------------
#
# 600 samples of a two-class problem with 30 features, of which only the
# first 5 carry information; the other 25 are noise. Half the samples train,
# half test.
import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

X, y = make_classification(
    n_samples=600,
    n_features=30,
    n_informative=5,
    n_redundant=0,
    shuffle=False,
    random_state=0,
)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
informative = np.arange(30) < 5

# %%
# Four networks
# -------------
#
# One hidden layer of 32 units, so the first layer has :math:`30 \times 32 =
# 960` weights. The same strength ``alpha=3`` for the three penalties,
# ``l1_ratio=0.5`` for elastic net (half L1, half L2).
from sknn import MLPClassifier

penalties = {"no penalty": None, "l2": "l2", "l1": "l1", "elasticnet": "elasticnet"}
models = {
    name: MLPClassifier(
        hidden_layer_sizes=(32,),
        penalty=penalty,
        alpha=3.0,
        l1_ratio=0.5,
        learning_rate_init=0.01,
        max_iter=1000,
        random_state=0,
    ).fit(X_train, y_train)
    for name, penalty in penalties.items()
}
first_layer = {name: model.coefs_[0] for name, model in models.items()}

# %%
# Weight histograms
# -----------------
#
# The magnitude of each first-layer weight, on a logarithmic axis: a weight
# of 0.001 is three decades left of a weight of 1. The dashed line is the
# threshold below which this example calls a weight *near zero*, 0.01.
import matplotlib.pyplot as plt

NEAR_ZERO = 1e-2
bins = np.logspace(-6, 1, 50)
fig, axes = plt.subplots(4, 1, figsize=(7, 8), sharex=True)
for ax, (name, W) in zip(axes, first_layer.items()):
    magnitude = np.abs(W)
    ax.hist(
        magnitude[informative].ravel(),
        bins=bins,
        color="C1",
        label="weights of the 5 informative inputs",
    )
    ax.hist(
        magnitude[~informative].ravel(),
        bins=bins,
        color="C0",
        alpha=0.7,
        label="weights of the 25 noise inputs",
    )
    ax.axvline(NEAR_ZERO, color="k", linestyle="--", linewidth=1)
    near = int((magnitude < NEAR_ZERO).sum())
    ax.set_title(
        f"{name}: {near} of {W.size} weights below {NEAR_ZERO}, {int((W == 0).sum())} exactly zero",
        fontsize=10,
    )
    ax.set_ylabel("weights")
axes[0].legend(fontsize=8, loc="upper left")
axes[-1].set(xscale="log", xlabel="|w| (first layer)")
fig.tight_layout()

# %%
# How many weights are near zero, and are any exactly zero?
for name, W in first_layer.items():
    magnitude = np.abs(W)
    print(
        f"{name:11} below 0.01: {(magnitude < 1e-2).sum():3d}   below 0.001: "
        f"{(magnitude < 1e-3).sum():3d}   exactly 0: {(W == 0).sum()}   "
        f"test accuracy: {models[name].score(X_test, y_test):.3f}"
    )

# %%
# No weight is exactly zero, even with L1. sknn applies the L1 part as its
# subgradient :math:`\frac{\alpha\rho}{2m}\operatorname{sign}(w)`: each step
# moves a weight a fixed distance towards zero, which carries a small weight
# *past* zero rather than onto it, so useless weights end up oscillating in a
# narrow band around zero whose width is set by the step size. For most
# purposes a weight of 0.001 is as good as zero (it contributes nothing the
# next layer can see), but it is stored, multiplied and counted: a model
# with L1 is no smaller or faster than one without. Truly sparse weights need
# a proximal step (soft thresholding), which sets a weight to exactly zero
# when a step would cross it; sknn's L1 does not do that.

# %%
# Which inputs survive
# --------------------
#
# The length of each input's row of first-layer weights (the L2 norm over
# the 32 hidden units) says how much the network listens to that input.
fig, axes = plt.subplots(4, 1, figsize=(7, 7), sharex=True)
for ax, (name, W) in zip(axes, first_layer.items()):
    norms = np.linalg.norm(W, axis=1)
    ax.bar(np.arange(30), norms, color=np.where(informative, "C1", "C0"))
    ax.set_title(
        f"{name}: mean row norm {norms[informative].mean():.2f} (informative), "
        f"{norms[~informative].mean():.2f} (noise)",
        fontsize=10,
    )
    ax.set_ylabel("row norm")
axes[-1].set_xlabel("input feature (the first 5 are informative)")
fig.tight_layout()

# %%
# What the figures show:
#
# - **No penalty**: the network listens to noise almost as much as to the
#   informative inputs, and fits the noise of the training set; its test
#   accuracy is the lowest.
# - **L2** shrinks all weights: the histogram moves left as a whole, noise
#   rows shrink more than informative ones, but far fewer weights come near
#   zero than with L1: its gradient, proportional to the weight, fades as the
#   weight shrinks.
# - **L1** empties the noise rows: nearly all weights of the 25 noise inputs
#   fall below 0.01 while the informative inputs keep large weights. It
#   selects features, as the lasso does for linear models.
# - **Elastic net** (half and half) lands in between, closer to L1: the
#   noise rows nearly as empty, slightly more weights above the threshold.
#
# The strength ``alpha`` matters as much as the kind: too small and nothing
# changes, too large and the informative weights shrink too (try 10 or 30).
# The grid-search example searches both.
