"""Reading and streaming CSV files with ``sknn fit``, against pandas' own ``read_csv``.

1. Reading: a 200,000 x 100 file of numbers (224 MB, 213 MiB) read by
   ``pandas.read_csv(path)`` and by sknn's reader (``CsvFile(path).read``,
   which ``sknn fit`` calls), then by sknn's reader plus the column checks
   ``sknn fit`` runs before fitting (target, missing values, kinds, finite
   numbers). Each read runs in a fresh process, the three alternating, and
   reports its time and its peak memory: the growth of the resident set
   (Linux's VmHWM, the peak, minus VmRSS just before reading), whose ratio to
   the file size is the figure of merit.
2. End to end: ``sknn fit`` on that file, 2 epochs, no cross-validation:
   wall time and peak resident memory of the whole process.
3. Streaming: the same rows five times over (1,000,000 rows, 1.12 GB),
   ``sknn fit --chunksize`` with two chunk sizes, 2 epochs: wall time and peak
   resident memory, which follows the chunk and not the file.

The files go to a temporary directory (``--dir`` to choose it), which needs
about 1.4 GB free, and are deleted afterwards. Linux only (``/proc``).

Run: ``python benchmarks/csv_io.py`` (about 5 minutes on 2 cores; ``--quick``
for one run per reader and no streaming).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ROWS, COLUMNS, REPEAT = 200_000, 100, 5

# Run in a fresh process: prints "seconds peak_growth_kib" for one read.
_READ = r"""
import re, sys, time

def status(field):
    with open("/proc/self/status") as f:
        return int(re.search(field + r":\s*(\d+)", f.read()).group(1))

how, path = sys.argv[1:]
import pandas as pd
from sknn.cli.csv_files import CsvFile, target_values
from sknn.cli.tables import Scan
before = status("VmRSS")
start = time.perf_counter()
if how == "pandas":
    frame = pd.read_csv(path)
else:
    csv = CsvFile(path)
    frame = csv.read(csv.columns)
    if how == "sknn+checks":
        features = csv.columns[:-1]
        target_values(path, frame[csv.columns[-1]], csv.columns[-1])
        scan = Scan(path, features)
        scan.update(frame[features])
        scan.result()
seconds = time.perf_counter() - start
print(seconds, status("VmHWM") - before)
"""

# Runs sknn's command line and prints the process's peak resident memory.
_CLI = r"""
import re, sys
from sknn.cli import main
status = main(sys.argv[1:])
with open("/proc/self/status") as f:
    print("peak-rss-kib", re.search(r"VmHWM:\s*(\d+)", f.read()).group(1), file=sys.stderr)
raise SystemExit(status)
"""


def _env():
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def write_numbers(path, repeat=1):
    """ROWS x COLUMNS standard normal numbers (8 significant digits) and a 0/1
    target, the block written ``repeat`` times."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((ROWS, COLUMNS))
    y = (X[:, :5].sum(axis=1) > 0).astype(int)
    row = ",".join(["%.8g"] * COLUMNS) + ",%d\n"
    body = "".join(row % (*x, t) for x, t in zip(X.tolist(), y.tolist()))
    with open(path, "w") as f:
        f.write(",".join([f"x{i}" for i in range(COLUMNS)] + ["y"]) + "\n")
        for _ in range(repeat):
            f.write(body)
    return path


def read_once(how, path):
    done = subprocess.run([sys.executable, "-c", _READ, how, str(path)], capture_output=True,
                          text=True, env=_env(), check=True)
    seconds, kib = done.stdout.split()
    return float(seconds), int(kib) / 1024


def run_cli(*argv):
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CLI, *map(str, argv)], capture_output=True,
                          text=True, env=_env())
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"sknn {' '.join(map(str, argv))} failed:\n{done.stderr}")
    peak = int(done.stderr.split("peak-rss-kib")[1].split()[0]) / 1024
    return seconds, peak, done.stdout


def reading(path, runs):
    size = path.stat().st_size / 2**20
    hows = ("pandas", "sknn", "sknn+checks")
    results = {how: [] for how in hows}
    for _ in range(runs):
        for how in hows:  # alternating, so that a slow spell hits all three
            results[how].append(read_once(how, path))
    print(f"\n1. Reading {ROWS:,} x {COLUMNS} numbers, {size:.0f} MiB; median of {runs} "
          "fresh processes each")
    print(f"{'reader':<34}{'time':>8}{'vs pandas':>11}{'peak growth':>14}{'/ file':>8}")
    base = statistics.median(s for s, _ in results["pandas"])
    names = {"pandas": "pandas.read_csv(path)", "sknn": "sknn: CsvFile(path).read",
             "sknn+checks": "sknn: read + sknn fit's checks"}
    for how in hows:
        seconds = statistics.median(s for s, _ in results[how])
        peak = statistics.median(p for _, p in results[how])
        print(f"{names[how]:<34}{seconds:>7.2f}s{seconds / base:>10.2f}x{peak:>11.0f} MiB"
              f"{peak / size:>7.2f}x")


def end_to_end(path):
    size = path.stat().st_size / 2**20
    seconds, peak, _ = run_cli("fit", path, "--target", "y", "--max-iter", "2", "--cv", "0",
                               "--quiet")
    print(f"\n2. sknn fit on that file (2 epochs, --cv 0): {seconds:.1f}s wall, peak "
          f"resident memory {peak:.0f} MiB ({peak / size:.1f}x the file)")


def streaming(directory, block):
    big = directory / "big.csv"
    with open(big, "w") as out, open(block) as src:
        header = src.readline()
        body = src.read()
        out.write(header)
        for _ in range(REPEAT):
            out.write(body)
    del body
    size = big.stat().st_size / 2**20
    print(f"\n3. Streaming {REPEAT * ROWS:,} rows, {size:.0f} MiB "
          f"({big.stat().st_size / 1e9:.2f} GB), sknn fit --chunksize N "
          "--max-iter 2 (2 epochs)")
    print(f"{'--chunksize':>12}{'chunk in memory':>17}{'wall time':>11}{'peak RSS':>10}"
          f"{'/ file':>8}  epochs")
    try:
        for chunk in (100_000, 20_000):
            seconds, peak, out = run_cli("fit", big, "--target", "y", "--chunksize", chunk,
                                         "--max-iter", "2", "--quiet")
            epochs = [line.split("(")[-1].rstrip(")") for line in out.splitlines()
                      if line.startswith("epoch ")]
            floats = chunk * (COLUMNS + 1) * 8 / 2**20
            print(f"{chunk:>12,}{floats:>14.0f} MiB{seconds:>10.1f}s{peak:>7.0f} MiB"
                  f"{peak / size:>7.2f}x  {', '.join(epochs)}")
    finally:
        big.unlink()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one run per reader, no streaming")
    parser.add_argument("--dir", help="where to write the files (default: a temporary dir)")
    args = parser.parse_args()
    import pandas as pd
    import sklearn

    import sknn

    print(f"sknn {sknn.__version__}, pandas {pd.__version__}, numpy {np.__version__}, "
          f"scikit-learn {sklearn.__version__}, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    directory = Path(tempfile.mkdtemp(prefix="sknn-csv-", dir=args.dir))
    try:
        need = (1 if args.quick else 1 + REPEAT) * 230 * 2**20
        free = shutil.disk_usage(directory).free
        if free < 1.2 * need:
            raise SystemExit(f"{directory}: {free / 2**30:.1f} GiB free, the files need "
                             f"{need / 2**30:.1f} GiB; pass --dir")
        start = time.perf_counter()
        wide = write_numbers(directory / "wide.csv")
        print(f"wrote {wide} in {time.perf_counter() - start:.0f}s")
        reading(wide, runs=1 if args.quick else 3)
        end_to_end(wide)
        if not args.quick:
            streaming(directory, wide)
    finally:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()
