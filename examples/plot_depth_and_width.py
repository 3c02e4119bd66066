"""
Depth and width: parameters and accuracy
========================================

A network's shape, ``hidden_layer_sizes``, decides how many parameters it
trains. This example counts them, layer by layer, then asks what they buy:
the cross-validated accuracy of networks of several depths and widths on
scikit-learn's handwritten digits.

The lesson: parameters grow linearly with depth but with the square of the
width, and beyond a modest size more parameters buy little accuracy, while a
layer that is too narrow is a bottleneck that more depth cannot repair.
"""

# sphinx_gallery_thumbnail_number = 2

# %%
# Counting parameters
# -------------------
#
# A dense layer from :math:`f_i` units to :math:`f_o` units has
# :math:`f_i f_o` weights and :math:`f_o` intercepts. A network with 6 input
# features and one output has 7 parameters without hidden layers (a linear
# model), and each hidden layer of 4 units adds its weights and intercepts.
# Fitted estimators report the total as ``n_params_``.
import numpy as np

from sknn import MLPRegressor

rng = np.random.RandomState(0)
X = rng.rand(50, 6)
y = X.sum(axis=1)

for hidden in [(), (4,), (4, 4), (4, 4, 4)]:
    reg = MLPRegressor(hidden_layer_sizes=hidden, solver="lbfgs", random_state=0)
    reg.fit(X, y)
    print(f"hidden_layer_sizes={str(hidden):10} n_params_={reg.n_params_}")

# %%
# ``summary()`` returns the count layer by layer, as a table to print: the
# first hidden layer has :math:`6 \cdot 4 + 4 = 28` parameters, every further
# one :math:`4 \cdot 4 + 4 = 20`, the output :math:`4 + 1 = 5`.
print(reg.summary())


# %%
# Depth against width
# -------------------
#
# The same count for other shapes follows from the formula; the function
# below is it, checked against ``n_params_`` of the last network fitted
# above. Adding a layer adds :math:`w^2 + w` parameters, doubling the width
# roughly quadruples them.
def n_params(n_inputs, hidden, n_outputs):
    units = [n_inputs, *hidden, n_outputs]
    return sum(f_in * f_out + f_out for f_in, f_out in zip(units, units[1:]))


assert n_params(6, (4, 4, 4), 1) == reg.n_params_

import matplotlib.pyplot as plt

widths = [4, 8, 16, 32, 64, 128]
depths = [1, 2, 3, 4]
fig, ax = plt.subplots(figsize=(6, 4))
for depth in depths:
    counts = [n_params(6, (width,) * depth, 1) for width in widths]
    ax.plot(widths, counts, marker="o", label=f"{depth} hidden layer{'s' * (depth > 1)}")
ax.set(
    xscale="log",
    yscale="log",
    xlabel="units per hidden layer (width)",
    ylabel="trainable parameters",
    title="6 inputs, 1 output",
)
ax.set_xticks(widths, [str(w) for w in widths])
ax.minorticks_off()
ax.legend()
fig.tight_layout()

# %%
# Accuracy
# --------
#
# Are more parameters better? The digits data set has 1,797 images of 8x8
# pixels (64 features) of 10 digits. Every network below trains with Adam and
# early stopping (10% of each training fold held out), and is scored by
# 5-fold cross-validation. The pixels are scaled to [0, 1].
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score

from sknn import MLPClassifier

X, y = load_digits(return_X_y=True)
X = X / 16

widths = [2, 4, 8, 16, 32, 64]
results = {}  # (depth, width) -> (n_params, mean accuracy, std)
for depth in [1, 2, 3]:
    for width in widths:
        clf = MLPClassifier(
            hidden_layer_sizes=(width,) * depth,
            learning_rate_init=0.01,
            early_stopping=True,
            max_iter=500,
            random_state=0,
        )
        scores = cross_val_score(clf, X, y, cv=5)
        results[depth, width] = (n_params(64, (width,) * depth, 10), scores.mean(), scores.std())

# %%
# Each line is one depth, each point one width; the x axis is the number of
# parameters.
fig, ax = plt.subplots(figsize=(6, 4))
for depth in [1, 2, 3]:
    points = np.array([results[depth, width] for width in widths])
    ax.errorbar(
        points[:, 0],
        points[:, 1],
        yerr=points[:, 2],
        marker="o",
        capsize=3,
        label=f"{depth} hidden layer{'s' * (depth > 1)}",
    )
    for width, (count, accuracy, _) in zip(widths, points):
        if depth == 1:
            ax.annotate(
                f"width {width}",
                (count, accuracy),
                textcoords="offset points",
                xytext=(4, -12),
                fontsize=8,
            )
ax.set(
    xscale="log",
    xlabel="trainable parameters",
    ylabel="5-fold cross-validated accuracy",
    title="Digits: depth and width",
)
ax.legend(loc="lower right")
fig.tight_layout()

for (depth, width), (count, accuracy, std) in results.items():
    print(
        f"depth {depth}, width {width:3d}: {count:6,d} parameters, "
        f"accuracy {accuracy:.3f} +/- {std:.3f}"
    )

# %%
# What the figure shows:
#
# - **Width first.** Networks with 2 or 4 units per layer lose information:
#   ten classes do not fit through two numbers. Adding depth to such a
#   network does not help and often hurts, because every layer is as narrow
#   as the first.
# - **Diminishing returns.** From about 16 units on, accuracy levels off
#   near 0.92 while the parameter count keeps growing; the largest networks
#   have several times the parameters of the smallest good ones for a
#   difference within the spread of the folds (the error bars).
# - **Depth costs little.** Once the layers are wide enough, a second or
#   third layer adds few parameters relative to the first (64 inputs times
#   the width), and changes the accuracy little on a problem this small.
#
# Parameters are not the only cost: each one is also a weight the optimizer
# must fit from the same 1,797 images, which is why penalties and dropout
# (the other examples) matter more as networks grow.
