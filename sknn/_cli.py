"""The ``sknn`` command line."""

import sys
import time


def demo(out=sys.stdout):
    """Fit sknn's and scikit-learn's MLPClassifier on load_digits, side by side."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SklearnMLP
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from . import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print(
        f"load_digits: {X_train.shape[0]} training and {X_test.shape[0]} test rows, "
        f"{X.shape[1]} features, 10 classes",
        file=out,
    )
    print("StandardScaler + MLPClassifier(hidden_layer_sizes=(100,), random_state=0)\n", file=out)
    print(f"{'model':<28}{'accuracy':>10}{'fit time':>12}", file=out)
    for name, model in (("scikit-learn MLPClassifier", SklearnMLP), ("sknn MLPClassifier", MLPClassifier)):
        pipe = make_pipeline(StandardScaler(), model(random_state=0, max_iter=300))
        start = time.perf_counter()
        pipe.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        print(f"{name:<28}{pipe.score(X_test, y_test):>10.4f}{seconds:>11.2f}s", file=out)
    return 0


def main(argv=None):
    """Entry point of ``sknn`` and ``python -m sknn``."""
    argv = sys.argv[1:] if argv is None else argv
    return demo()
