"""
Initializers: keeping the signal alive through ten layers
=========================================================

Each layer of a network multiplies its input by a weight matrix. If the
weights are too small, the spread of the activations shrinks by the same
factor at every layer, and after ten layers almost nothing of the input is
left (a *vanishing* signal); if they are too large, it grows geometrically
(an *exploding* signal), or, for a bounded activation such as tanh, every
unit saturates at -1 or 1. The backward pass multiplies the gradient by the
same matrices, so the gradients vanish or explode with the activations.

The variance-scaling initializers choose the weights' spread from the
layer's fan-in ``n`` so that the factor is about 1: LeCun draws them with
variance ``1 / n``, Glorot with ``2 / (n + m)`` (``m`` the fan-out), both
made for activations that are close to linear around 0 such as tanh; He
draws them with ``2 / n``, which makes up for ReLU zeroing half of the
units.

This example builds a network of ten hidden layers of 64 units, with tanh
and with ReLU, and starts it from a small normal distribution
(``init='normal'``, a standard deviation of 0.05 whatever the layer), from
Glorot's, LeCun's and He's initializers, and from weights twice as spread
as He's. It reads the layers' activations and gradients from the estimator's
diagnostics (``diagnostics=True``), first at the initial weights, then
during training.

The lesson: with tanh, Glorot and LeCun keep the activations and gradients
at the same scale through the ten layers; with ReLU only He does. The small
normal initialization starves both networks, which do not learn at all, and
weights larger than He's make ReLU's signal explode.
"""

# %%
# The networks
# ------------
#
# The 1,797 digits of scikit-learn's ``load_digits`` (64 pixels, 10 classes),
# standardized. Five initializers, the last one a callable: ``init`` takes any
# function of ``(fan_in, fan_out, random_state, dtype)`` that returns the
# weight matrix.
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)


def twice_he(fan_in, fan_out, random_state, dtype):
    """Normal weights with twice the standard deviation of He's."""
    std = 2 * np.sqrt(2 / fan_in)
    return random_state.normal(0, std, (fan_in, fan_out)).astype(dtype)


inits = {
    "small normal": "normal",
    "Glorot": "glorot_normal",
    "LeCun": "lecun_normal",
    "He": "he_normal",
    "twice He": twice_he,
}
activations = ["tanh", "relu"]


def network(activation, init, **params):
    return MLPClassifier(
        hidden_layer_sizes=(64,) * 10,
        activation=activation,
        init=init,
        solver="sgd",
        learning_rate_init=0.01,
        diagnostics=True,
        random_state=0,
        **params,
    )


# %%
# The signal at the initial weights
# ---------------------------------
#
# ``diagnostics_`` holds, per epoch and per layer, the spread of the
# activations and the norm of the gradient of the weights, among others.
# With one step on the whole data (``batch_size`` the number of samples,
# ``max_iter=1``), the first epoch's row is measured at the initial weights:
# the forward and backward pass before that step. Its ``ConvergenceWarning``
# (one epoch is not convergence) is expected and silenced.
start = {}
for activation in activations:
    for name, init in inits.items():
        clf = network(activation, init, batch_size=len(X), max_iter=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # see above
            start[activation, name] = clf.fit(X, y).diagnostics_

# %%
# One line per initializer, the layers on the x axis (the output layer last,
# its "activations" are the raw scores before the softmax), both quantities
# on a log scale.
import matplotlib.pyplot as plt

layers = np.arange(1, 12)
fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True, layout="constrained")
for row, activation in zip(axes, activations):
    for color, name in zip(plt.cm.viridis(np.linspace(0, 0.9, len(inits))), inits):
        diagnostics = start[activation, name]
        for ax, quantity in zip(row, ["activation_std", "gradient_norm"]):
            ax.plot(layers, diagnostics[quantity][0], marker="o", color=color, label=name)
    row[0].set(yscale="log", ylabel=f"{activation}\nstd of the activations")
    row[1].set(yscale="log", ylabel="norm of the weights' gradient")
for ax in axes[1]:
    ax.set(xlabel="layer", xticks=layers, xticklabels=[*map(str, range(1, 11)), "out"])
axes[0, 0].set_title("Forward: activations")
axes[0, 1].set_title("Backward: gradients")
axes[0, 1].legend(title="init", fontsize=8)
fig.suptitle("At the initial weights")

for activation in activations:
    print(f"{activation}: std of the activations, hidden layer 10 / hidden layer 1")
    for name in inits:
        std = start[activation, name]["activation_std"][0]
        print(f"  {name:>12}: {std[9] / std[0]:10.3g}")

# %%
# What the figure shows:
#
# - **Small normal** (dark): each layer multiplies the spread by about
#   ``sqrt(64) * 0.05 = 0.4`` (tanh) or less (ReLU, which also zeroes half
#   of it): the tenth hidden layer's activations are about 4,000 (tanh) and
#   90,000 (ReLU) times smaller than the first's, and the gradients are tiny
#   in every layer (1e-4 and 1e-6), each being a product of these
#   activations and of the small weights above it.
# - **tanh with Glorot or LeCun** (for this square network the two are the
#   same): the spread drops only from about 0.6 to 0.2 over ten layers
#   (tanh squeezes the larger values), and the gradient norm is about the
#   same in every layer. He's larger weights keep the spread near 0.55,
#   closer to saturation, with gradients about twice as large.
# - **ReLU with Glorot or LeCun**: ReLU halves the variance at every layer,
#   which these initializers do not make up for: the spread halves every two
#   layers, a factor of about 25 over ten, and the gradients are a hundred
#   times smaller than with He's. **He** doubles the variance and keeps the
#   spread and the gradients at the same scale in every layer.
# - **Twice He**: ReLU's activations double at every layer, 500 times from
#   the first hidden layer to the tenth, and the gradients are a thousand
#   times He's: an exploding signal. With tanh the units saturate instead
#   (the spread stays near 0.8, most units close to -1 or 1) and the
#   gradient grows towards the input.
#
# Training
# --------
#
# The same networks trained for up to 30 epochs by stochastic gradient
# descent (learning rate 0.01, momentum 0.9). Most do not converge in 30
# epochs and one diverges: their ``ConvergenceWarning`` is expected and
# silenced, and the epochs each fit completed are printed instead.
trained = {}
for activation in activations:
    for name, init in inits.items():
        clf = network(activation, init, max_iter=30)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # see above
            trained[activation, name] = clf.fit(X, y)
    epochs = [len(trained[activation, name].loss_curve_) for name in inits]
    print(f"{activation}: epochs completed", dict(zip(inits, epochs)))

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
for ax, activation in zip(axes, activations):
    for color, name in zip(plt.cm.viridis(np.linspace(0, 0.9, len(inits))), inits):
        curve = trained[activation, name].loss_curve_
        label = name if curve else f"{name} (diverged)"
        ax.plot(np.arange(1, len(curve) + 1), curve, color=color, label=label)
    ax.set(title=activation, xlabel="epoch", yscale="log")
axes[0].set_ylabel("training loss")
axes[1].legend(title="init", fontsize=8)

# %%
# The small normal initialization does not learn: its loss stays at
# ``log(10) = 2.30``, the loss of predicting every class with probability
# 0.1, because almost no gradient reaches any weight. Its fit even stops
# early, after 12 epochs, as converged: the loss did not improve by ``tol``
# for ``n_iter_no_change`` epochs. A network stuck at the start looks
# converged from its loss alone; its diagnostics tell the difference. With
# ReLU, Glorot and LeCun sit on the same plateau for about ten epochs before
# the loss falls, while He starts learning at once; with tanh the three
# learn from the first epoch. Weights twice as spread as He's make the ReLU
# network's loss overflow in the first epoch (the fit stops and keeps its
# last finite weights, so there is no curve to draw); tanh, bounded, survives
# them: its loss starts higher and then falls about as fast as with Glorot's.
#
# Watching the layers train
# -------------------------
#
# :class:`sknn.DiagnosticsDisplay` draws ``diagnostics_`` epoch by epoch, one
# panel per quantity and one line per layer (dark: first hidden layer, light:
# the last; dashed: the output layer). The ReLU network with Glorot's
# initializer (top) against He's (bottom):
from sknn import DiagnosticsDisplay

quantities = ["activation_std", "gradient_norm", "update_ratio"]
fig, axes = plt.subplots(2, 3, figsize=(11, 6.5), layout="constrained")
for row, name in zip(axes, ["Glorot", "He"]):
    display = DiagnosticsDisplay.from_estimator(
        trained["relu", name], quantities=quantities, axes=row
    )
    display.legend_.remove()  # one legend for both, beside the panels
    row[0].set_ylabel(f"ReLU, {name}")
fig.legend(*axes[1, 0].get_legend_handles_labels(), loc="outside right center", fontsize=8)
fig.suptitle("Ten ReLU layers, epoch by epoch")

# %%
# With Glorot's initializer the deep layers start with activations 25 times
# smaller than the first's (the fan of lines on the left) and gradients
# about 0.02; the weights change by a tenth of a percent per epoch. It takes
# about ten epochs to bring the deep layers' activations up to the first's;
# only then do the gradients grow and the loss fall (the plateau of the
# previous figure). With He's, every layer starts at the same scale, and
# training from the first epoch changes each layer's weights by a similar
# fraction (right); the deeper layers' activations then grow as the network
# learns to separate the digits. In both, the gradients and the update ratio
# fall once the network fits the training digits.
#
# Not shown here: other widths and data, Adam (whose step sizes do not
# scale with the gradient, so small gradients still move the weights,
# though the activations vanish all the same) or normalization layers
# (``normalization='batch'``), which rescale each layer's output and make
# the network far less sensitive to its initial weights.

# sphinx_gallery_thumbnail_number = 1
