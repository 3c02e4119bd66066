"""Memory bounds (tracemalloc, never time): prediction walks large inputs in
chunks, training does not copy X, and ``sknn fit`` holds a table about twice.

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


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_command_line_fit_holds_the_table_about_twice(tmp_path, monkeypatch, task):
    """``sknn fit table.csv --target y`` (five folds, then the final fit): the
    table's numbers, a fold's copy of them and the network's input, not the
    preprocessing's copies of the whole table.

    The blocks and chunks are made small, so that a table of a few MB is
    many of each, as the default ones are of a table of hundreds of MB."""
    import contextlib
    import io

    import pandas as pd

    from sknn.cli import blockwise, csv_files, main

    monkeypatch.setattr(blockwise, "BLOCK_VALUES", 2**14)
    monkeypatch.setattr(csv_files, "CHUNK_CELLS", 2**14)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(30_000, 20)).round(6),
                         columns=[f"x{i}" for i in range(20)])
    frame["y"] = (frame["x0"] > 0).astype(int)
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    frame[:200].to_csv(tmp_path / "small.csv", index=False)
    argv = ["--target", "y", "--task", task, "--max-iter", "1", "--hidden", "8", "--quiet"]
    quiet = contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO())
    with quiet[0], quiet[1], warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["fit", str(tmp_path / "small.csv"), *argv]) == 0  # imports, compiling
        tracemalloc.start()
        try:
            assert main(["fit", str(path), *argv]) == 0
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    size = path.stat().st_size  # 5.4 MB; its numbers take 4.8 MB as floats
    # about 2.8x; the ColumnTransformer fitted on the whole table takes 5x
    assert peak < 3.5 * size, f"peak {peak / 2**20:.1f} MiB, file {size / 2**20:.1f} MiB"
