"""Training on a CSV file chunk by chunk, for ``sknn fit --chunksize``.

A first pass (:func:`first_pass`) learns the columns and the target from
every chunk; :func:`train` then runs epochs of one ``partial_fit`` per chunk,
in file order, through the preprocessing assembled from that pass. Only one
chunk is in memory at a time. The network it trains equals the one a Python
user gets by the same ``partial_fit`` calls on the model's own
preprocessing of the same chunks::

    for epoch in range(epochs):
        for chunk in pd.read_csv(path, chunksize=n, dtype={c: str for c in text}):
            mlp.partial_fit(preprocessor.transform(chunk[features]), chunk[target],
                            classes=classes)
"""

import math
import sys
import time

from .csv_files import target_values
from .tables import Scan, TargetScan


class ChunkProgress:
    """Progress lines on ``stream``: rewritten in place on a terminal, one
    line each otherwise; nothing when not ``enabled``."""

    def __init__(self, enabled, stream=None):
        self.enabled, self.stream = enabled, stream or sys.stderr
        self.tty = self.enabled and self.stream.isatty()
        self._width = 0

    def show(self, text):
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            print(text, file=self.stream)
        self.stream.flush()

    def close(self):
        """End the line a terminal shows."""
        if self.tty and self._width:
            self.stream.write("\n")
            self._width = 0


def first_pass(csv, features, target, categorical, chunksize, progress):
    """Scan every chunk: the feature columns' roles and statistics, the target's.

    A column that pandas reads as numbers in one chunk and as text in another
    (or a target that does) is read again in a second pass, as text in every
    chunk.

    Returns
    -------
    scan : Scan
    target_scan : TargetScan
    text : list of str
        The columns (the target too, for a text target) to read as text in
        every later pass.
    """
    text = list(categorical)
    for attempt in (1, 2):
        scan = Scan(csv.path, features, categorical, statistics=True)
        target_scan = TargetScan(csv.path, target)
        for i, chunk in enumerate(csv.read([*features, target], text, chunksize), start=1):
            scan.update(chunk[features])
            target_scan.update(chunk[target])
            progress.show(f"sknn: first pass, chunk {i}: {scan.rows} rows")
        progress.close()
        text = scan.text_columns() + ([target] if target_scan.kind == "text" else [])
        if not (scan.flipped or target_scan.flipped):
            break
    return scan, target_scan, text


def train(mlp, preprocessor, csv, features, target, text, chunksize, *, classes=None,
          y_scaler=None, rows, out, progress):
    """Epochs of one ``partial_fit`` per chunk until convergence or ``max_iter``.

    Stops as the stochastic fit does on the training loss: when the mean
    loss of an epoch (over its rows) has not improved by more than
    ``mlp.tol`` for more than ``mlp.n_iter_no_change`` consecutive epochs.
    Prints one line per epoch on ``out``. A ``partial_fit`` that was
    interrupted or diverged (its ``stop_reason_``) ends the epochs.

    Returns
    -------
    epochs : int
    loss : float
        The mean training loss of the last epoch.
    reason : str
        Why training stopped.
    """
    n_chunks = math.ceil(rows / chunksize)
    best, stalled, loss, epoch = math.inf, 0, math.nan, 0
    reason = f"reached --max-iter {mlp.max_iter} before converging"
    try:
        for epoch in range(1, mlp.max_iter + 1):
            start, total, seen = time.perf_counter(), 0.0, 0
            for i, chunk in enumerate(csv.read([*features, target], text, chunksize), start=1):
                y = target_values(csv.path, chunk[target], target)
                if y_scaler is not None:
                    y = y_scaler.transform(y.reshape(-1, 1)).ravel()
                X = preprocessor.transform(chunk[features])
                if classes is None:
                    mlp.partial_fit(X, y)
                else:
                    mlp.partial_fit(X, y, classes=classes)
                total, seen = total + mlp.loss_ * len(y), seen + len(y)
                progress.show(
                    f"sknn: epoch {epoch}/{mlp.max_iter}, chunk {i}/{n_chunks}: "
                    f"loss {mlp.loss_:.4f}"
                )
                stop = stop_message(mlp)
                if stop:
                    progress.close()
                    return epoch, total / seen, stop
            progress.close()
            loss = total / seen
            print(
                f"epoch {epoch}: mean training loss {loss:.4f} "
                f"({time.perf_counter() - start:.1f}s)",
                file=out,
            )
            stalled = stalled + 1 if loss > best - mlp.tol else 0
            best = min(best, loss)
            if stalled > mlp.n_iter_no_change:
                reason = (
                    f"converged: the mean training loss of an epoch did not improve by "
                    f"more than tol={mlp.tol:g} for {mlp.n_iter_no_change} consecutive epochs"
                )
                break
    except KeyboardInterrupt:
        progress.close()
        return epoch, loss, "interrupted (Ctrl-C); the model is the one reached so far"
    return epoch, loss, reason


def stop_message(mlp):
    """What a fit that ended early says of why (interrupted, diverged: its
    record's ``stop_reason_``), or ''."""
    if mlp.stop_reason_ == "interrupted":
        return "interrupted (Ctrl-C); the model is the one reached so far"
    if mlp.stop_reason_ == "diverged":
        return (
            "the loss diverged; kept the last weights with finite outputs "
            "(try a smaller --learning-rate-init)"
        )
    return ""
