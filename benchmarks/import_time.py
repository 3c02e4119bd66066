"""Time of ``import sknn`` against ``import sklearn.neural_network``.

Each import runs in a fresh interpreter (``sys.executable -c ...``) and is
timed inside it, with ``time.perf_counter`` around the import statement alone,
so the interpreter's own start-up is left out. The runs alternate
scikit-learn and sknn, one of each per round, so that the drift of a shared
machine hits both alike, after one untimed import of each to warm the file
system's cache and write the bytecode caches (``PYTHONDONTWRITEBYTECODE`` is
dropped from the children's environment: an installed package has its
``.pyc`` files). What to read is the ratio ``sknn / sklearn``: the median over
rounds of the two times of one round (paired), which a slow spell moves less
than the ratio of the two medians does (printed beside it).

``--tree PATH`` (repeatable) imports sknn from that source tree instead of
the installed one (``PATH`` put first on ``PYTHONPATH``), so that two checkouts
can be compared in the same alternation: each round runs scikit-learn, then
every tree in turn, and each tree gets its own paired ratio. The scikit-learn
child gets the environment of the first tree's child. Every child runs in an
empty temporary directory, so that the current directory cannot shadow a tree.
For each sknn the script also prints whether ``skl2onnx`` and ``onnx`` were in
``sys.modules`` after ``import sknn``: loading them is the main known cost.

Run from the repository root::

    python benchmarks/import_time.py                 # installed sknn, 21 rounds
    python benchmarks/import_time.py --repeats 15 --tree ../old --tree .
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# Run in a fresh interpreter: prints "seconds skl2onnx-loaded onnx-loaded file".
_CHILD = r"""
import sys, time
start = time.perf_counter()
import {module}
seconds = time.perf_counter() - start
print(seconds, "skl2onnx" in sys.modules, "onnx" in sys.modules, {module}.__file__)
"""


def _env(tree):
    # bytecode caches written as an installed package has them (an
    # environment with PYTHONDONTWRITEBYTECODE would compile a source tree's
    # modules in every timed import)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if tree is None:
        return env
    paths = [str(Path(tree).resolve()), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**env, "PYTHONPATH": os.pathsep.join(paths)}


def import_once(module, env, cwd):
    """Seconds the import took in a fresh interpreter, the two flags, the module's file."""
    done = subprocess.run([sys.executable, "-c", _CHILD.format(module=module)], env=env,
                          cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"import {module} failed (PYTHONPATH={env.get('PYTHONPATH', '')!r}):\n"
                         f"{done.stderr}")
    seconds, skl2onnx, onnx, path = done.stdout.split(maxsplit=3)
    return float(seconds), skl2onnx == "True", onnx == "True", path.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", default=[], metavar="PATH",
                        help="import sknn from this source tree (repeatable)")
    parser.add_argument("--repeats", type=int, default=21, help="rounds (default: 21)")
    args = parser.parse_args()
    trees = args.tree or [None]
    runs = {"sklearn": ("sklearn.neural_network", _env(trees[0]))}
    for tree in trees:
        runs[tree or "sknn"] = ("sknn", _env(tree))

    with tempfile.TemporaryDirectory(prefix="sknn-import-") as cwd:
        files, flags = {}, {}
        for label, (module, env) in runs.items():  # warm the cache, untimed
            _, skl2onnx, onnx, files[label] = import_once(module, env, cwd)
            flags[label] = (skl2onnx, onnx)
        for tree in args.tree:
            if not Path(files[tree]).resolve().is_relative_to(Path(tree).resolve()):
                raise SystemExit(f"--tree {tree}: sknn was imported from {files[tree]}")
        times = {label: [] for label in runs}
        for _ in range(args.repeats):
            for label, (module, env) in runs.items():
                seconds, skl2onnx, onnx, _ = import_once(module, env, cwd)
                times[label].append(seconds)
                flags[label] = (flags[label][0] or skl2onnx, flags[label][1] or onnx)

    import sklearn

    print(f"python {sys.version.split()[0]}, scikit-learn {sklearn.__version__}; median of "
          f"{args.repeats} fresh interpreters each, alternating, import statement only")
    base = times["sklearn"]
    yes = {True: "yes", False: "no"}
    width = max(len(label) for label in [*runs, "sklearn.neural_network"]) + 2
    print(f"{'import':<{width}}{'median':>9}{'paired ratio':>14}{'ratio of medians':>18}"
          f"{'skl2onnx':>10}{'onnx':>6}")
    print(f"{'sklearn.neural_network':<{width}}{statistics.median(base) * 1e3:>7.0f}ms")
    for label in runs:
        if label == "sklearn":
            continue
        paired = statistics.median(s / b for s, b in zip(times[label], base))
        of_medians = statistics.median(times[label]) / statistics.median(base)
        print(f"{label:<{width}}{statistics.median(times[label]) * 1e3:>7.0f}ms"
              f"{paired:>13.2f}x{of_medians:>17.2f}x"
              f"{yes[flags[label][0]]:>10}{yes[flags[label][1]]:>6}")
    for label in runs:
        if label != "sklearn":
            print(f"  {label}: {files[label]}")


if __name__ == "__main__":
    main()
