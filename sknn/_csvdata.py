"""Reading CSV tables for the command line, with numpy and the csv module only."""

import csv
import math

import numpy as np


class DataError(Exception):
    """A problem with the user's data, reported as one line without a traceback."""


class Table:
    """A CSV file: its column names and its rows of strings."""

    def __init__(self, path, columns, rows):
        self.path, self.columns, self.rows = path, columns, rows

    @classmethod
    def read(cls, path, delimiter=","):
        try:
            with open(path, newline="", encoding="utf-8-sig") as f:
                records = list(csv.reader(f, delimiter=delimiter))
        except FileNotFoundError:
            raise DataError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise DataError(f"{path}: is a directory, not a CSV file") from None
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise DataError(f"{path}: cannot read it as CSV ({exc})") from None
        records = [r for r in records if any(cell.strip() for cell in r)]
        if not records:
            raise DataError(f"{path}: the file is empty")
        columns = [c.strip() for c in records[0]]
        rows = records[1:]
        if not rows:
            raise DataError(f"{path}: a header but no data rows")
        for i, row in enumerate(rows, start=2):
            if len(row) != len(columns):
                raise DataError(
                    f"{path}, line {i}: {len(row)} fields, but the header has {len(columns)}"
                )
        return cls(path, columns, rows)

    def index(self, name):
        """Position of column ``name``, or a DataError listing the columns."""
        try:
            return self.columns.index(name)
        except ValueError:
            raise DataError(
                f"{self.path}: no column {name!r} (columns: {', '.join(self.columns)})"
            ) from None

    def numeric(self, names):
        """The named columns as a float64 matrix; DataError on any non-number."""
        idx = [self.index(name) for name in names]
        X = np.empty((len(self.rows), len(idx)))
        for i, row in enumerate(self.rows):
            for j, k in enumerate(idx):
                cell = row[k].strip()
                try:
                    value = float(cell)
                except ValueError:
                    what = "an empty value" if not cell else f"the value {cell!r}"
                    raise DataError(
                        f"{self.path}, line {i + 2}: feature column {names[j]!r} has "
                        f"{what}; features must be numbers (encode or drop the column)"
                    ) from None
                if not math.isfinite(value):
                    raise DataError(
                        f"{self.path}, line {i + 2}: feature column {names[j]!r} has "
                        f"the value {cell!r}; features must be finite numbers"
                    )
                X[i, j] = value
        return X

    def labels(self, name):
        """A target column: integers, else floats, else strings."""
        k = self.index(name)
        cells = [row[k].strip() for row in self.rows]
        for i, cell in enumerate(cells):
            if not cell:
                raise DataError(f"{self.path}, line {i + 2}: the target {name!r} is empty")
        for kind in (int, float):
            try:
                return np.array([kind(c) for c in cells])
            except ValueError:
                continue
        return np.array(cells)
