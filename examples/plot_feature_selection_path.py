r"""
Feature selection without guessing the strength
===============================================

The group lasso ``feature_alpha`` removes input features exactly, but the
strength that removes the noise and keeps the signal changes with the data,
the solver and the batch size. ``feature_alpha='auto'`` fits the network
along a path of strengths, from none to one that removes every feature, each
fit warm-started from the one before, and keeps by default the sparsest step
whose validation loss is within the standard error of its difference from
the best one's, compared sample by sample on the same validation data.

The lesson: along the path the noise features go first and the informative
ones last; the validation loss falls while noise leaves, then rises once the
network starts to lose what it needs. The rules stop just before that rise,
and the path itself stops once the loss is far above its lowest.
"""

# %%
# Data with known informative features
# ------------------------------------
#
# 800 samples of a two-class problem with 16 features, of which the first 4
# carry information (``shuffle=False`` keeps them first); the other 12 are
# noise. A third of the samples is kept for testing.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from sknn import MLPClassifier, SelectionPathDisplay

X, y = make_classification(800, 16, n_informative=4, n_redundant=0, shuffle=False,
                           random_state=0)
names = [f"signal_{i}" for i in range(4)] + [f"noise_{i}" for i in range(12)]
X = pd.DataFrame(X, columns=names)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=1 / 3, stratify=y,
                                                    random_state=0)

# %%
# The path, and the step each rule keeps
# --------------------------------------
#
# ``feature_alpha='auto'`` holds out ``validation_fraction`` of the training
# rows, but at least a fifth, to score each step of the path.
# ``feature_alpha_rule`` decides which step the model keeps: by default
# (``'one_se_paired'``) the sparsest whose validation loss exceeds the lowest
# by at most the standard error of their sample-by-sample difference.
kw = dict(hidden_layer_sizes=(32,), max_iter=300, random_state=0)
dense = MLPClassifier(**kw).fit(X_train, y_train)
models = {rule: MLPClassifier(feature_alpha="auto", feature_alpha_rule=rule, **kw)
          .fit(X_train, y_train) for rule in ("one_se_paired", "best", "one_se")}

print(f"{'model':<23}{'test accuracy':>14}  features kept")
print(f"{'no group lasso':<23}{dense.score(X_test, y_test):>14.3f}  all {X.shape[1]}")
for rule, model in models.items():
    kept = np.array(names)[model.feature_importances_ > 0]
    print(f"{'auto, ' + rule:<23}{model.score(X_test, y_test):>14.3f}  {', '.join(kept)}")

# %%
# Drawing the path
# ----------------
#
# The upper panel counts the features the network uses at each strength and
# names those each step removes; the lower one is the validation loss with
# one standard error around it. The dashed line marks the step the default
# rule kept.
display = SelectionPathDisplay.from_estimator(models["one_se_paired"])
display.figure_.tight_layout()
plt.show()

# %%
# The chosen strength is the fitted attribute ``feature_alpha_``; the whole
# path, with each step's features, validation loss and score, is
# ``feature_alpha_path_``.
path = models["one_se_paired"].feature_alpha_path_
print(f"feature_alpha_ = {models['one_se_paired'].feature_alpha_:.3g}")
print("features at each step:", path.n_features.tolist())
