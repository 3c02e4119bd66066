"""Reading CSV tables for the command line, with numpy and the csv module only."""

import csv
import math

import numpy as np


class DataError(Exception):
    """A problem with the user's data, reported as one line without a traceback."""


# Field separators a CSV file may use instead of the one asked for.
_DELIMITERS = (",", ";", "\t", "|")


def _delimiter_hint(header, delimiter):
    """Advice when ``header`` looks separated by another delimiter, else ''."""
    for other in _DELIMITERS:
        if other != delimiter and other in header and delimiter not in header:
            shown = "\\t" if other == "\t" else other
            return (
                f"; the header looks separated by {shown!r}: pass --delimiter {shown!r}"
            )
    return ""


def _not_a_number_advice(cell):
    """Why ``cell`` is not a number and what to do, for a feature column."""
    if not cell:
        return (
            "an empty value; sknn does not fill in missing values: fill them in "
            "or drop those rows"
        )
    if "," in cell and "." not in cell:
        try:
            float(cell.replace(",", ".", 1))
        except ValueError:
            pass
        else:
            return (
                f"the value {cell!r}, a decimal comma: write numbers with a "
                f"decimal point ({cell.replace(',', '.', 1)})"
            )
    return f"the value {cell!r}; features must be numbers (encode or drop the column)"


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
        if len(columns) == 1:
            hint = _delimiter_hint(columns[0], delimiter)
            if hint:
                raise DataError(f"{path}: the header is a single column {columns[0]!r}{hint}")
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
                    raise DataError(
                        f"{self.path}, line {i + 2}: feature column {names[j]!r} has "
                        f"{_not_a_number_advice(cell)}"
                    ) from None
                if not math.isfinite(value):
                    raise DataError(
                        f"{self.path}, line {i + 2}: feature column {names[j]!r} has "
                        f"the value {cell!r}; features must be finite numbers"
                    )
                X[i, j] = value
        return X

    def text(self, name):
        """A column's cells as they are in the file (stripped)."""
        k = self.index(name)
        return [row[k].strip() for row in self.rows]

    def labels(self, name):
        """A target column: integers, else floats, else strings."""
        cells = self.text(name)
        for i, cell in enumerate(cells):
            if not cell:
                raise DataError(
                    f"{self.path}, line {i + 2}: the target {name!r} is empty; "
                    "drop the rows without a target"
                )
        for kind in (int, float):
            try:
                return np.array([kind(c) for c in cells])
            except ValueError:
                continue
        return np.array(cells)
