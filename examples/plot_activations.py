"""
Activations and decision boundaries
===================================

The activation of the hidden layers decides which shapes a network can
draw. This example trains the same two-layer network with each of sknn's
nine activations on scikit-learn's two interleaved half moons, and draws the
decision boundary each one learns.

The lesson: without a non-linear activation a network is a linear model, however
deep; with one, the boundary takes the character of the function: piecewise
straight for the ReLU family, smooth for the others. On a problem this small
the non-linear ones reach about the same accuracy.
"""

# sphinx_gallery_thumbnail_number = 2

# %%
# The activations
# ---------------
#
# The functions themselves, from their textbook formulas (sknn's test suite
# checks its implementation against the same formulas). ``'identity'``,
# ``'logistic'``, ``'tanh'`` and ``'relu'`` are scikit-learn's; the others
# are sknn's additions.
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit, ndtr

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
formulas = {
    "identity": lambda z: z,
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.maximum(z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(z)),
    "selu": lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(z)),
    "softplus": lambda z: np.logaddexp(0, z),
    "gelu": lambda z: z * ndtr(z),
}
activations = list(formulas)

z = np.linspace(-3, 3, 301)
fig, axes = plt.subplots(3, 3, figsize=(7, 6), sharex=True, sharey=True)
for ax, name in zip(axes.flat, activations):
    ax.axhline(0, color="0.8", linewidth=0.8)
    ax.axvline(0, color="0.8", linewidth=0.8)
    ax.plot(z, formulas[name](z))
    ax.set_title(name)
    ax.set_ylim(-2, 3)
fig.suptitle("f(z) on [-3, 3]")
fig.tight_layout()

# %%
# The data and the networks
# -------------------------
#
# 400 points of two half moons with noise, half for training and half for
# testing. Every network has two hidden layers of 16 units and trains with
# Adam in minibatches of 50 until its training loss has not improved at all
# (``tol=0``) for 10 epochs, so that each activation gets the time it needs.
from sklearn.datasets import make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split

from sknn import MLPClassifier

X, y = make_moons(n_samples=400, noise=0.25, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

models = {}
for name in activations:
    models[name] = MLPClassifier(
        hidden_layer_sizes=(16, 16),
        activation=name,
        learning_rate_init=0.01,
        batch_size=50,
        tol=0,
        max_iter=1000,
        random_state=0,
    ).fit(X_train, y_train)

# %%
# Decision boundaries
# -------------------
#
# Each panel shades the predicted probability of the second class and draws
# the 0.5 contour, the decision boundary; the points are the test set.
fig, axes = plt.subplots(3, 3, figsize=(9, 9), sharex=True, sharey=True)
for ax, (name, clf) in zip(axes.flat, models.items()):
    DecisionBoundaryDisplay.from_estimator(
        clf,
        X,
        response_method="predict_proba",
        grid_resolution=150,
        cmap="RdBu",
        alpha=0.6,
        vmin=0,
        vmax=1,
        ax=ax,
    )
    DecisionBoundaryDisplay.from_estimator(
        clf,
        X,
        response_method="predict_proba",
        plot_method="contour",
        levels=[0.5],
        colors="k",
        linewidths=1,
        grid_resolution=150,
        ax=ax,
    )
    ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="RdBu", edgecolor="k", s=12)
    ax.set_title(f"{name}: test accuracy {clf.score(X_test, y_test):.2f}")
    ax.set(xlabel="", ylabel="")
fig.tight_layout()

for name, clf in models.items():
    print(f"{name:11} {clf.n_iter_:4d} epochs, test accuracy {clf.score(X_test, y_test):.3f}")

# %%
# What the figure shows:
#
# - **identity**: a straight line. Every layer is a matrix product, and a
#   product of matrices is one matrix, so the two hidden layers add nothing a
#   logistic regression could not do; it misclassifies the tips of both moons.
# - **relu, leaky_relu**: boundaries made of straight pieces joined at kinks
#   (look at the tips of the moons). A ReLU network is piecewise linear: each
#   unit switches on or off along a line, and the boundary bends only where
#   a unit switches; with 32 units the pieces are short.
# - **logistic, tanh, softplus, elu, selu, gelu**: smooth curves. ``elu``,
#   ``selu`` and ``gelu`` behave like ReLU for large inputs but are smooth
#   near zero.
#
# All the non-linear activations separate the moons about equally well here:
# the choice matters more in deep networks, where it interacts with the
# initializer (how the signal's spread changes from layer to layer) and with
# units that stop learning (a ReLU whose input is negative for every sample
# has zero gradient; ``leaky_relu``, ``elu`` and ``selu`` keep a gradient
# there).
