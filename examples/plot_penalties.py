r"""
L1, L2 and elastic net: what the penalty does to the weights
============================================================

A penalty adds the size of the weights to the loss the network minimises,

.. math::

   \Omega = \frac{\alpha}{2m} \sum_W \Big[ \rho \sum |w| + (1 - \rho) \sum w^2 \Big],

with :math:`\rho = 0` for ``penalty='l2'``, 1 for ``'l1'`` and ``l1_ratio``
for ``'elasticnet'``, and optionally a group lasso on the input features,
``feature_alpha``. This example fits the same network without a penalty, with
each of the three, and with the group lasso, on data where most features are
noise, and looks at the weights of the first layer.

The lesson: L2 shrinks every weight in proportion to its size, so weights
get smaller but none becomes zero; L1 pulls every weight towards zero by the
same amount and sets the weights of useless inputs exactly to zero, while the
useful ones survive. Elastic net sits in between. The group lasso removes
whole inputs: every weight of a noise feature at once.
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
# Five networks
# -------------
#
# One hidden layer of 32 units, so the first layer has :math:`30 \times 32 =
# 960` weights. The same strength ``alpha=3`` for the three penalties,
# ``l1_ratio=0.5`` for elastic net (half L1, half L2); the fifth network adds
# the group lasso ``feature_alpha=20`` to L2.
from sknn import MLPClassifier

penalties = {
    "no penalty": dict(penalty=None),
    "l2": dict(penalty="l2"),
    "l1": dict(penalty="l1"),
    "elasticnet": dict(penalty="elasticnet"),
    "l2 + group lasso": dict(penalty="l2", feature_alpha=20.0),
}
models = {
    name: MLPClassifier(
        hidden_layer_sizes=(32,),
        alpha=3.0,
        l1_ratio=0.5,
        learning_rate_init=0.01,
        max_iter=1000,
        random_state=0,
        **penalty,
    ).fit(X_train, y_train)
    for name, penalty in penalties.items()
}
first_layer = {name: model.coefs_[0] for name, model in models.items()}

# %%
# Weight histograms
# -----------------
#
# The magnitude of each non-zero first-layer weight, on a logarithmic axis: a
# weight of 0.001 is three decades left of a weight of 1. A logarithmic axis
# has no room for zero, so each title counts the weights that are exactly 0.
import matplotlib.pyplot as plt

bins = np.logspace(-6, 1, 50)
fig, axes = plt.subplots(5, 1, figsize=(7, 9.5), sharex=True)
for ax, (name, W) in zip(axes, first_layer.items()):
    magnitude = np.where(W == 0, np.nan, np.abs(W))
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
    ax.set_title(f"{name}: {int((W == 0).sum())} of {W.size} weights exactly zero", fontsize=10)
    ax.set_ylabel("weights")
axes[0].legend(fontsize=8, loc="upper left")
axes[-1].set(xscale="log", xlabel="|w| (first layer)")
fig.tight_layout()

# %%
# How many weights are exactly zero, how many inputs are left, and the
# accuracy on the held-out half:
for name, W in first_layer.items():
    inputs_used = np.any(W != 0, axis=1)
    print(
        f"{name:17} exactly 0: {(W == 0).sum():3d} of {W.size}   "
        f"inputs used: {inputs_used[informative].sum()} of 5 informative, "
        f"{inputs_used[~informative].sum():2d} of 25 noise   "
        f"test accuracy: {models[name].score(X_test, y_test):.3f}"
    )

# %%
# L1 and elastic net set most weights *exactly* to zero, L2 none. The
# stochastic solvers take a proximal step after each update: a weight whose
# L1 pull over the step is larger than the weight itself lands on zero
# instead of crossing it, and stays there until the data's gradient outweighs
# the pull. (L-BFGS reaches the same zeros through bounds; the user guide's
# penalty section has the details.) The zeros are real: ``n_nonzero_params_``
# and ``summary()`` count them, and ``SparsityDisplay`` plots how their
# number evolved over the epochs.
#
# L1 alone still leaves a few small weights scattered over the noise inputs,
# so most of them stay connected; the group lasso ``feature_alpha`` penalises the length of each input's row of weights,
# so an input is kept or dropped as a whole.

# %%
# Which inputs survive
# --------------------
#
# The length of each input's row of first-layer weights (the L2 norm over
# the 32 hidden units) says how much the network listens to that input; the
# estimators expose it as ``feature_importances_``.
fig, axes = plt.subplots(5, 1, figsize=(7, 8.5), sharex=True)
for ax, (name, W) in zip(axes, first_layer.items()):
    norms = models[name].feature_importances_  # the row norms
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
#   rows shrink more than informative ones, but no weight reaches zero: its
#   gradient, proportional to the weight, fades as the weight shrinks.
# - **L1** empties the noise rows: nearly all weights of the 25 noise inputs
#   are exactly zero while the informative inputs keep large weights. It
#   selects features, as the lasso does for linear models.
# - **Elastic net** (half and half) lands in between, close to L1.
# - **The group lasso** drops noise inputs whole and keeps the informative
#   ones with L2-sized weights.
#
# The strength matters as much as the kind: too small and nothing changes,
# too large and the informative weights go too (try ``alpha=30`` with L1).
# The grid-search example searches such settings.
#
# Because the dropped inputs have exactly zero importance,
# :class:`~sklearn.feature_selection.SelectFromModel` keeps just the inputs
# the network uses:
from sklearn.feature_selection import SelectFromModel

# threshold: any non-zero importance
selector = SelectFromModel(models["l2 + group lasso"], prefit=True, threshold=1e-12)
print("inputs kept:", np.flatnonzero(selector.get_support()))
