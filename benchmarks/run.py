"""Speed and memory of sknn against scikit-learn (and PyTorch CPU when installed).

Run from the repository root::

    python benchmarks/run.py            # full run, about 10 minutes
    python benchmarks/run.py --quick    # fewer repetitions, smaller memory test
    python benchmarks/run.py --only fit small   # some sections only

On machines where ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` are set (they
can slow numpy's BLAS), benchmark with both unset for that command alone::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py

The script prints which of the two were set.

Every time is the median of runs that alternate sknn, scikit-learn (and
PyTorch), in this one process, so that the drift of a shared machine hits all
of them alike. The ratio ``sknn / sklearn`` is what to read: the median over
rounds of the two times of one round (paired), which a slow spell moves less
than the ratio of the two medians does. GFLOP/s counts
the dense math (``6 * n * sum(fi * fo)`` per epoch for
training, ``2 * n * sum(fi * fo)`` for prediction) and ``%peak`` compares it
with plain numpy matrix products of the same shapes and dtype, timed here.
"""

import argparse
import os
import sys
import time
import tracemalloc
import warnings

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn import datasets
from sklearn import neural_network as sk
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn
import sknn.nn.network
from sknn.nn import _kernels, compiled_loops

try:
    import torch
except ImportError:  # optional
    torch = None

DENSE_DATA = dict(n_samples=20000, n_features=256, n_informative=64, n_classes=10, random_state=0)
DENSE_MODEL = dict(
    hidden_layer_sizes=(256, 128), solver="adam", batch_size=200, max_iter=5, tol=0, random_state=0
)
SMALL_MODEL = dict(
    hidden_layer_sizes=(64, 64), solver="sgd", batch_size=32, max_iter=5, tol=0, random_state=0
)
LBFGS_MODEL = dict(hidden_layer_sizes=(128, 128), solver="lbfgs", max_iter=50, tol=0, random_state=0)


# ---------------------------------------------------------------- timing
class Timings(dict):
    """Median wall time per name, keeping each round's times for paired ratios."""

    def __init__(self, samples):
        super().__init__({name: float(np.median(t)) for name, t in samples.items()})
        self.samples = {name: np.asarray(t) for name, t in samples.items()}

    def ratio(self, a, b):
        """Median over rounds of ``a``'s time over ``b``'s time in the same round.

        A round runs every callable once, back to back, so a slow spell of a
        shared machine mostly hits both sides of its ratio; the median then
        drops the rounds it did not.
        """
        return float(np.median(self.samples[a] / self.samples[b]))

    def scaled(self, factor):
        return Timings({name: t * factor for name, t in self.samples.items()})

    def merged(self, other):
        return Timings({**self.samples, **other.samples})


def alternate(fns, reps):
    """Time each callable, calling them in turn ``reps`` times; see :class:`Timings`."""
    times = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return Timings(times)


def time_torch(times, fn, reps):
    """Add PyTorch's median time to ``times``, timed on its own afterwards.

    Not in the alternation: PyTorch's OpenMP workers keep spinning on both
    cores for a while after each call and slowed whichever callable ran
    next (sknn's predict_proba after torch's: 65 ms instead of 57), and
    pausing after each call instead slows the next call's start.
    """
    if torch is None or fn is None:
        return times
    return times.merged(alternate({"torch": fn}, reps))


def layer_units(n_features, hidden, n_outputs):
    return [n_features, *hidden, n_outputs]


def dense_flops(units, n, passes):
    """``passes * n * sum(fi * fo)``: 6 for a training epoch, 2 for a forward pass."""
    return passes * n * sum(fi * fo for fi, fo in zip(units[:-1], units[1:]))


def gemm_peak(units, rows, dtype, training, seconds=1.0):
    """GFLOP/s of plain numpy matmuls with the shapes of one batch.

    Training does ``A @ W``, ``A.T @ D`` and ``D @ W.T`` per layer (the
    ``6 n fi fo`` of the flop count); prediction only ``A @ W``.
    """
    rng = np.random.default_rng(0)
    ops, flops = [], 0
    for fi, fo in zip(units[:-1], units[1:]):
        A = rng.standard_normal((rows, fi)).astype(dtype)
        W = rng.standard_normal((fi, fo)).astype(dtype)
        D = rng.standard_normal((rows, fo)).astype(dtype)
        ops.append((A, W, np.empty((rows, fo), dtype)))
        if training:
            ops.append((A.T, D, np.empty((fi, fo), dtype)))
            ops.append((D, W.T, np.empty((rows, fi), dtype)))
        flops += (6 if training else 2) * rows * fi * fo

    def run():
        for a, b, out in ops:
            np.matmul(a, b, out=out)

    run()
    calls = max(1, int(0.05 / max(_time(run), 1e-7)))
    results = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(results) < 5:
        results.append(_time(lambda: [run() for _ in range(calls)]) / calls)
    # A peak: the best run, which a busy moment of a shared machine cannot lower.
    return flops / min(results) / 1e9


def training_matmuls(units, n_rows, batch_size, epochs, dtype):
    """A callable doing just the matrix products of ``epochs`` training
    epochs (what the fit's forward and backward passes multiply, at the same
    shapes, into preallocated row-major buffers): the floor of a fit's time
    on this machine."""
    rng = np.random.default_rng(0)
    sizes = [batch_size] * (n_rows // batch_size)
    if n_rows % batch_size:
        sizes.append(n_rows % batch_size)
    weights = [rng.standard_normal((fi, fo)).astype(dtype) for fi, fo in zip(units, units[1:])]
    grads = [np.empty_like(W) for W in weights]
    biases = [np.empty(W.shape[1], dtype) for W in weights]
    # (random values everywhere: uninitialised memory can hold subnormal
    # numbers, whose arithmetic is slow)
    buffers = {
        b: ([rng.standard_normal((b, u)).astype(dtype) for u in units],
            [rng.standard_normal((b, u)).astype(dtype) for u in units], np.ones(b, dtype))
        for b in set(sizes)
    }

    def run():
        for _ in range(epochs):
            for b in sizes:
                acts, deltas, ones = buffers[b]
                for i, W in enumerate(weights):
                    np.matmul(acts[i], W, out=acts[i + 1])
                for i in reversed(range(len(weights))):
                    np.matmul(ones, deltas[i + 1], out=biases[i])
                    np.matmul(acts[i].T, deltas[i + 1], out=grads[i])
                    if i:
                        np.matmul(deltas[i + 1], weights[i].T, out=deltas[i])

    return run


def _time(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ---------------------------------------------------------------- pytorch
def torch_mlp(units, dtype):
    layers = []
    for i, (fi, fo) in enumerate(zip(units[:-1], units[1:])):
        layers.append(torch.nn.Linear(fi, fo))
        if i < len(units) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).to(getattr(torch, np.dtype(dtype).name))


def torch_fit(X, y, hidden, solver, batch_size, epochs, lr, alpha=1e-4):
    """A plain PyTorch training loop with sklearn's defaults (L2 as weight decay)."""
    torch.manual_seed(0)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    model = torch_mlp(layer_units(X.shape[1], hidden, int(y.max()) + 1), X.dtype)
    if solver == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=alpha)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True,
                              weight_decay=alpha)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = X.shape[0]
    for _ in range(epochs):
        perm = torch.randperm(n)
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return model


def torch_predictor(sk_model, dtype):
    """A PyTorch copy of a fitted sklearn MLP, for prediction timings."""
    units = [sk_model.n_features_in_] + [W.shape[1] for W in sk_model.coefs_]
    model = torch_mlp(units, dtype)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for lin, W, b in zip(linears, sk_model.coefs_, sk_model.intercepts_):
            lin.weight.copy_(torch.from_numpy(W.T.astype(dtype)))
            lin.bias.copy_(torch.from_numpy(b.astype(dtype)))

    def predict_proba(X):
        with torch.no_grad():
            return torch.softmax(model(torch.from_numpy(X)), dim=1).numpy()

    return predict_proba


# ---------------------------------------------------------------- workloads
ROWS = []


def report(workload, dtype, times, flops=None, peak=None, note=""):
    sknn_t, sk_t = times["sknn"], times["sklearn"]
    gflops = flops / sknn_t / 1e9 if flops else None
    ROWS.append(
        dict(
            workload=workload,
            dtype=np.dtype(dtype).name if dtype else "",
            sknn=sknn_t,
            sklearn=sk_t,
            ratio=times.ratio("sknn", "sklearn"),
            gflops=gflops,
            peak=(gflops / peak) if gflops and peak else None,
            torch=times.get("torch"),
            note=note,
        )
    )
    print_row(ROWS[-1], flush=True)


def fmt_time(t):
    if t is None:
        return "-"
    return f"{t * 1e3:.3f} ms" if t < 0.01 else f"{t:.3f} s"


HEADER = (
    f"{'workload':<41} {'dtype':<8} {'sknn':>11} {'sklearn':>11} {'ratio':>6} "
    f"{'GFLOP/s':>8} {'%peak':>6} {'torch':>11}  note"
)


def print_row(r, flush=False):
    g = f"{r['gflops']:.1f}" if r["gflops"] else "-"
    p = f"{100 * r['peak']:.0f}%" if r["peak"] else "-"
    print(
        f"{r['workload']:<41} {r['dtype']:<8} {fmt_time(r['sknn']):>11} "
        f"{fmt_time(r['sklearn']):>11} {r['ratio']:>6.2f} {g:>8} {p:>6} "
        f"{fmt_time(r['torch']):>11}  {r['note']}",
        flush=flush,
    )


def numpy_only(fn):
    """``fn`` with sknn's compiled loops switched off (its numpy fallback)."""

    def run():
        with compiled_loops(False):
            return fn()

    return run


def with_numpy_only(fns):
    """Add a numpy-only sknn run to the alternation when numba is in use."""
    if _kernels.enabled():
        fns["sknn numpy"] = numpy_only(fns["sknn"])
    return fns


def numpy_note(times):
    if "sknn numpy" not in times:
        return ""
    return f"numpy-only sknn {times.ratio('sknn numpy', 'sklearn'):.2f}"


def bench_fit(name, X, y, params, reps, dtype, torch_lr):
    X = X.astype(dtype)
    models = {}

    def fit(lib, cls):
        def run():
            models[lib] = cls(**params).fit(X, y)

        return run

    units = layer_units(X.shape[1], params["hidden_layer_sizes"], len(np.unique(y)))
    fns = with_numpy_only(
        {"sknn": fit("sknn", sknn.MLPClassifier), "sklearn": fit("sklearn", sk.MLPClassifier)}
    )
    fns["matmuls"] = training_matmuls(units, X.shape[0], params["batch_size"],
                                      params["max_iter"], dtype)
    times = time_torch(alternate(fns, reps), lambda: torch_fit(
        X, y, params["hidden_layer_sizes"], params["solver"], params["batch_size"],
        params["max_iter"], torch_lr,
    ), reps)
    flops = dense_flops(units, X.shape[0], 6) * params["max_iter"]
    peak = gemm_peak(units, params["batch_size"], dtype, training=True)
    acc = {lib: m.score(X, y) for lib, m in models.items()}
    note = (f"train acc {acc['sknn']:.4f} vs {acc['sklearn']:.4f}; matrix products "
            f"{times.ratio('matmuls', 'sknn'):.0%} of sknn's time; {numpy_note(times)}")
    report(name, dtype, times, flops, peak, note.rstrip("; "))
    return models


def bench_lbfgs(reps):
    X, y = make_regression(n_samples=5000, n_features=64, n_informative=32, noise=5.0,
                           random_state=0)
    y = y / y.std()
    calls = {"n": 0}
    original = sknn.nn.network.Network.loss_grad

    def counted(self, *args, **kwargs):
        calls["n"] += 1
        return original(self, *args, **kwargs)

    models = {}

    def fit_sknn():
        calls["n"] = 0
        models["sknn"] = sknn.MLPRegressor(**LBFGS_MODEL).fit(X, y)

    def fit_sk():
        models["sklearn"] = sk.MLPRegressor(**LBFGS_MODEL).fit(X, y)

    sknn.nn.network.Network.loss_grad = counted
    try:
        times = alternate({"sknn": fit_sknn, "sklearn": fit_sk}, reps)
    finally:
        sknn.nn.network.Network.loss_grad = original
    units = layer_units(64, LBFGS_MODEL["hidden_layer_sizes"], 1)
    flops = dense_flops(units, X.shape[0], 6) * calls["n"]
    peak = gemm_peak(units, X.shape[0], np.float64, training=True)
    note = (
        f"{calls['n']} evaluations; loss {models['sknn'].loss_:.6f} vs "
        f"{models['sklearn'].loss_:.6f}"
    )
    report("L-BFGS fit 5k x 64, (128,128), 50 it", np.float64, times, flops, peak, note)


def bench_predict(models, X, reps):
    """One row, and predict_proba on the dense workload's rows, float64 models."""
    model, ref = models["sknn"], models["sklearn"]
    units = [X.shape[1]] + [W.shape[1] for W in model.coefs_]
    tp = torch_predictor(ref, X.dtype) if torch is not None else None
    row = X[:1].copy()
    inner = 200

    def repeat(fn):
        return lambda: [fn() for _ in range(inner)]

    fns = with_numpy_only(
        {"sknn": repeat(lambda: model.predict(row)), "sklearn": repeat(lambda: ref.predict(row))}
    )
    torch_row = repeat(lambda: tp(row).argmax(axis=1)) if tp is not None else None
    times = time_torch(alternate(fns, reps * 3), torch_row, reps * 3).scaled(1 / inner)
    note = f"mean of 200 calls, median of runs; {numpy_note(times)}"
    report("predict, 1 row", X.dtype, times, note=note.rstrip("; "))

    fns = with_numpy_only(
        {"sknn": lambda: model.predict_proba(X), "sklearn": lambda: ref.predict_proba(X)}
    )
    fns["matmuls only"] = chunked_matmuls(X, model.coefs_)
    times = time_torch(alternate(fns, reps * 2), tp and (lambda: tp(X)), reps * 2)
    peak = gemm_peak(units, 2048, X.dtype, training=False)
    assert np.allclose(model.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    note = (f"{numpy_note(times)}; its matrix products alone "
            f"{times.ratio('matmuls only', 'sklearn'):.2f}").lstrip("; ")
    report("predict_proba 20k rows", X.dtype, times, dense_flops(units, X.shape[0], 2), peak,
           note)


def chunked_matmuls(X, coefs, rows=4096):
    """Just the matrix products of sknn's chunked forward pass (the floor).

    Into the same buffers as sknn: column-major for hidden layers,
    row-major for the output.
    """
    orders = ["F"] * (len(coefs) - 1) + ["C"]
    buffers = [np.empty((rows, W.shape[1]), X.dtype, order=o) for W, o in zip(coefs, orders)]

    def run():
        for start in range(0, X.shape[0], rows):
            A = X[start : start + rows]
            for W, Z in zip(coefs, buffers):
                out = Z[: A.shape[0]]
                if not (out.flags.c_contiguous or out.flags.f_contiguous):  # last chunk
                    out = np.empty(out.shape, X.dtype, order="F")
                A = np.matmul(A, W, out=out)

    return run


def bench_memory(n_rows):
    """tracemalloc peak beyond the input, for predict / predict_proba / score."""
    rng = np.random.default_rng(0)
    Xs = rng.standard_normal((2000, 256)).astype(np.float32)
    ys = rng.integers(0, 10, 2000)
    params = dict(hidden_layer_sizes=(256, 128), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {
            "sknn": sknn.MLPClassifier(**params).fit(Xs, ys),
            "sklearn": sk.MLPClassifier(**params).fit(Xs, ys),
        }
    X = rng.standard_normal((n_rows, 256), dtype=np.float32)
    y = rng.integers(0, 10, n_rows)
    print(f"\nMemory: tracemalloc peak beyond input and output, {n_rows:,} x 256 float32, "
          "hidden (256, 128), 10 classes")
    print(f"{'method':<15} {'sknn':>10} {'sklearn':>10}   (output itself)")
    for method in ("predict", "predict_proba", "score"):
        peaks = {}
        for lib, model in models.items():
            fn = getattr(model, method)
            args = (X, y) if method == "score" else (X,)
            tracemalloc.start()
            out = fn(*args)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out_bytes = getattr(out, "nbytes", 0)
            peaks[lib] = (peak - out_bytes) / 2**20
            del out
        out_mb = out_bytes / 2**20
        print(f"{method:<15} {peaks['sknn']:>8.1f}MB {peaks['sklearn']:>8.1f}MB   ({out_mb:.1f} MB)")


def bench_scaling(reps):
    """Fit time against rows (10x rows should cost 10x) and against epochs."""
    X, y = make_classification(**DENSE_DATA)
    params = dict(DENSE_MODEL)

    def fit(n, epochs):
        return lambda: sknn.MLPClassifier(**{**params, "max_iter": epochs}).fit(X[:n], y[:n])

    times = alternate({"2k": fit(2000, 5), "20k": fit(20000, 5)}, reps)
    print("\nScaling (sknn, the dense fit's model, float64)")
    print(f"rows  2,000 x 5 epochs: {times['2k']:.3f} s;  20,000 x 5 epochs: "
          f"{times['20k']:.3f} s;  ratio {times.ratio('20k', '2k'):.2f} (linear: 10)")
    times = alternate({"5": fit(2000, 5), "50": fit(2000, 50)}, reps)
    print(f"epochs 5 on 2,000 rows: {times['5']:.3f} s;  50: {times['50']:.3f} s;  "
          f"ratio {times.ratio('50', '5'):.2f} (no per-epoch growth: 10)")


SMALL_DATASETS = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
}
SMALL_GRID = {
    "mlpclassifier__alpha": [1e-4, 1e-2],
    "mlpclassifier__hidden_layer_sizes": [(16,), (64, 32)],
}


def _recorded_fits(cls, sink):
    """``cls`` recording each fit's data shape, epochs and layer widths."""

    class Recorded(cls):
        def fit(self, X, y, **kwargs):
            start = time.perf_counter()
            fitted = super().fit(X, y, **kwargs)
            seconds = time.perf_counter() - start
            n = X.shape[0]
            batch = min(200 if self.batch_size == "auto" else self.batch_size, n)
            units = [X.shape[1], *self.hidden_layer_sizes, self.n_outputs_]
            sink.append((n, units, batch, self.n_iter_, seconds))
            return fitted

    Recorded.__name__ = cls.__name__
    return Recorded


def _matmuls_of(fits):
    runs = [training_matmuls(units, n, batch, epochs, np.float64)
            for n, units, batch, epochs, _ in fits]
    return lambda: [run() for run in runs]


def bench_grid(reps):
    """Small data as scikit-learn users fit it: a grid search of a
    StandardScaler pipeline (2 x 2 candidates, 5 folds, and the refit) on the
    bundled data sets, and one default fit on iris."""

    def search(module, X, y, cls=None):
        model = make_pipeline(StandardScaler(), (cls or module.MLPClassifier)(random_state=0))
        return lambda: GridSearchCV(model, SMALL_GRID, cv=5).fit(X, y)

    for name, loader in SMALL_DATASETS.items():
        X, y = loader(return_X_y=True)
        fits = []
        recorded = search(sknn, X, y, _recorded_fits(sknn.MLPClassifier, fits))
        rest = _time(recorded) - sum(f[-1] for f in fits)  # scaling, scoring, cloning
        fns = {"sknn": search(sknn, X, y), "sklearn": search(sk, X, y),
               "matmuls": _matmuls_of(fits)}
        times = alternate(fns, reps)
        floor = (times["matmuls"] + rest) / times["sklearn"]
        note = (f"{len(fits)} fits, {sum(f[3] for f in fits)} epochs; matrix products "
                f"{times.ratio('matmuls', 'sklearn'):.2f}, with the search's own work {floor:.2f}")
        report(f"grid search {name} {X.shape[0]}x{X.shape[1]}", np.float64, times, note=note)
    X, y = datasets.load_iris(return_X_y=True)
    fits = []
    _recorded_fits(sknn.MLPClassifier, fits)(random_state=0).fit(X, y)
    fns = {"sknn": lambda: sknn.MLPClassifier(random_state=0).fit(X, y),
           "sklearn": lambda: sk.MLPClassifier(random_state=0).fit(X, y),
           "matmuls": _matmuls_of(fits)}
    times = alternate(fns, reps * 3)
    note = (f"{fits[0][3]} epochs; matrix products "
            f"{times.ratio('matmuls', 'sklearn'):.2f}")
    report("iris fit, MLPClassifier() defaults", np.float64, times, note=note)


def tfidf_like(n_samples, n_features=100_000, per_row=100, random_state=0):
    """A CSR matrix like TF-IDF features (``per_row`` non-zeros per row at
    random columns, values in [0, 1)) and labels linear in it."""
    rng = np.random.default_rng(random_state)
    columns = np.sort(rng.integers(0, n_features, size=(n_samples, per_row)), axis=1)
    X = sp.csr_matrix((rng.random(n_samples * per_row), columns.ravel(),
                       np.arange(0, n_samples * per_row + 1, per_row)),
                      shape=(n_samples, n_features))
    X.sum_duplicates()
    y = (X @ rng.standard_normal(n_features) > 0).astype(int)
    return X, y


def bench_sparse(reps):
    """A wide sparse input: 20,000 x 100,000 CSR rows of 100 non-zeros,
    hidden (64,), 2 epochs of adam; accuracy on 4,000 held-out rows."""
    X, y = tfidf_like(24_000)
    X_train, y_train, X_test, y_test = X[:20_000], y[:20_000], X[20_000:], y[20_000:]
    params = dict(hidden_layer_sizes=(64,), max_iter=2, random_state=0)
    models = {}

    def fit(lib, cls):
        def run():
            models[lib] = cls(**params).fit(X_train, y_train)

        return run

    times = alternate({"sknn": fit("sknn", sknn.MLPClassifier),
                       "sklearn": fit("sklearn", sk.MLPClassifier)}, reps)
    acc = {lib: m.score(X_test, y_test) for lib, m in models.items()}
    report("sparse fit 20k x 100k, 100 nnz/row, (64,)", np.float64, times,
           note=f"held-out acc {acc['sknn']:.4f} vs {acc['sklearn']:.4f}")
    a, b = models["sknn"], models["sklearn"]
    times = alternate({"sknn": lambda: a.predict_proba(X_train),
                       "sklearn": lambda: b.predict_proba(X_train)}, reps * 3)
    report("sparse predict_proba 20k rows", np.float64, times)


def _numba_version():
    """The version of the numba that sknn's compiled loops use (they import
    it lazily, on first use)."""
    import numba

    return numba.__version__


SECTIONS = ["fit", "small", "grid", "lbfgs", "predict", "sparse", "memory", "scaling"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS,
                        help="run these sections only")
    args = parser.parse_args(argv)
    only = set(args.only)
    reps = 3 if args.quick else 7
    warnings.simplefilter("ignore")  # ConvergenceWarning of the fixed-epoch fits

    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"sknn {sknn.__version__}, numpy {np.__version__}, scikit-learn "
          f"{sklearn.__version__}, torch "
          f"{torch.__version__ if torch is not None else 'not installed'}, "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print("sknn kernels: " + ("numba " + _numba_version() if _kernels.enabled()
                              else "numpy only (numba not installed or SKNN_NUMBA=0)"))
    print("BLAS env: " + ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in env.items()))
    print(f"Times: median of {reps} alternating runs. ratio: median over those runs of "
          "sknn / sklearn within a run.\n")
    print(HEADER)

    X, y = make_classification(**DENSE_DATA)
    models = {}
    if only & {"fit", "predict"}:
        for dtype in (np.float64, np.float32):
            models[dtype] = bench_fit("dense fit adam 20k, (256,128), b200", X, y, DENSE_MODEL,
                                      reps, dtype, 1e-3)
    if "small" in only:
        Xs, ys = make_classification(**{**DENSE_DATA, "n_samples": 5000})
        for dtype in (np.float64, np.float32):
            bench_fit("small fit sgd 5k, (64,64), b32", Xs, ys, SMALL_MODEL, reps, dtype, 1e-3)
    if "grid" in only:
        bench_grid(max(3, reps // 2))
    if "lbfgs" in only:
        bench_lbfgs(reps)
    if "predict" in only:
        bench_predict(models[np.float64], X, reps)
    if "sparse" in only:
        bench_sparse(3)
    if "memory" in only:
        bench_memory(100_000 if args.quick else 1_000_000)
    if "scaling" in only:
        bench_scaling(max(3, reps // 2))


if __name__ == "__main__":
    main()
