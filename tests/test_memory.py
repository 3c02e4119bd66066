"""Memory bounds (tracemalloc, never time): prediction walks large inputs in
chunks, and training does not copy X.

Scaled down from the 1,000,000-row benchmark of ``benchmarks/run.py`` so it
runs in about a second, but still large enough that an unchunked forward pass
(``n_samples * sum(hidden units)`` values) would break the bound many times
over.
"""

import tracemalloc
import warnings

import numpy as np
import pytest
from strategies import SOLVERS

from sknn import MLPClassifier, MLPRegressor

N_ROWS, N_FEATURES, HIDDEN = 60_000, 64, (256, 128)


def _peak_beyond_output(fn, *args):
    """Peak bytes traced while ``fn(*args)`` runs, minus its result's size."""
    tracemalloc.start()
    try:
        out = fn(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - getattr(out, "nbytes", 0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N_ROWS, N_FEATURES), dtype=np.float32)
    y = rng.integers(0, 10, N_ROWS)
    return X, y


@pytest.fixture(scope="module")
def classifier(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MLPClassifier(hidden_layer_sizes=HIDDEN, max_iter=1, random_state=0).fit(
            X[:1000], y[:1000]
        )


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba", "score"])
def test_prediction_memory_is_bounded(classifier, data, method):
    X, y = data
    unchunked = N_ROWS * sum(HIDDEN) * X.itemsize  # ~92 MB
    args = (X, y) if method == "score" else (X,)
    peak = _peak_beyond_output(getattr(classifier, method), *args)
    # Chunks of ~2**20 values per layer buffer (~6 MB here), plus a few
    # per-row vectors (probabilities, labels) of the whole input.
    assert peak < 30 * 2**20, f"{method} peak {peak / 2**20:.1f} MB"
    assert peak < unchunked / 3


def test_regressor_prediction_memory_is_bounded(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = MLPRegressor(hidden_layer_sizes=HIDDEN, max_iter=1, random_state=0)
        reg.fit(X[:1000], y[:1000].astype(np.float32))
    assert _peak_beyond_output(reg.predict, X) < 20 * 2**20


@pytest.mark.parametrize("solver", SOLVERS)
def test_fit_does_not_copy_X(solver):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 512), dtype=np.float32)  # 41 MB
    y = rng.integers(0, 10, X.shape[0])
    model = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peak = _peak_beyond_output(model.fit, X, y)
    # Targets, row index and per-batch buffers (per-row hidden buffers for
    # L-BFGS): well below one copy of X.
    assert peak < 0.5 * X.nbytes, f"fit peak {peak / 2**20:.1f} MB, X {X.nbytes / 2**20:.1f} MB"
