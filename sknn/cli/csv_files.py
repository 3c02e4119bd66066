"""Reading CSV files for the command line, with pandas' C parser.

:class:`CsvFile` reads the header line itself, to detect the delimiter, to
name the columns in error messages and to refuse repeated names before pandas
would rename them, then hands the file to :func:`pandas.read_csv`, whole or in
chunks. Every problem becomes a :class:`DataError`: one line saying what is
wrong and how to fix it. pandas comes with sknn's ``csv`` extra.
"""

import codecs
import re
import warnings
from dataclasses import dataclass

import numpy as np

from .._optional import import_optional


class DataError(Exception):
    """A problem with the user's data, reported as one line without a traceback."""


# Field separators tried when none is given; on a tie the first one wins.
DELIMITERS = (",", ";", "\t", "|")

# Cells per chunk when CsvFile.read_features reads a whole file: a few MiB of
# pandas' parser buffers at a time.
CHUNK_CELLS = 2**19


def shown(delimiter):
    """A delimiter as the user types it on the command line."""
    return "\\t" if delimiter == "\t" else delimiter


def sniff_delimiter(line):
    """The candidate delimiter occurring most often outside quotes in ``line``.

    Parameters
    ----------
    line : str
        The header line of a CSV file.

    Returns
    -------
    delimiter : str
        One of ``, ; \\t |``; ``,`` when the line holds none of them (a file
        of one column).

    Examples
    --------
    >>> sniff_delimiter('name;"weight, kg";age\\n')
    ';'
    >>> sniff_delimiter("a,b\\n")
    ','
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=counts.get)  # the first of equals: ',' on a tie
    return best if counts[best] else ","


def _python_encoding(encoding):
    # A UTF-8 file may start with a byte-order mark (Excel writes one): the
    # "-sig" codec drops it, where plain UTF-8 would glue it to the first name.
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _encoding_error(path, exc):
    byte = exc.object[exc.start : exc.start + 1]
    return DataError(
        f"{path}: not {exc.encoding.upper()} text (byte 0x{byte.hex()} cannot be decoded); "
        "pass the file's encoding, e.g. --encoding latin-1 (or cp1252 for files "
        "from Excel on Windows), or save it as UTF-8"
    )


@dataclass(frozen=True)
class CsvFormat:
    """How to read a CSV file: the command line's reading options.

    Parameters
    ----------
    delimiter : str or None, default=None
        The field separator; None detects it from the header line
        (:func:`sniff_delimiter`).
    decimal : {".", ","}, default="."
        The decimal mark of numbers.
    encoding : str, default="utf-8"
        The text encoding; a UTF-8 byte-order mark is dropped.
    """

    delimiter: str | None = None
    decimal: str = "."
    encoding: str = "utf-8"


class CsvFile:
    """A CSV file with a header row: its column names and how to read its rows.

    Parameters
    ----------
    path : str
        The file.
    fmt : CsvFormat, default=CsvFormat()
        Delimiter, decimal mark and encoding.

    Attributes
    ----------
    columns : list of str
        The header's names, stripped of surrounding spaces.
    delimiter : str
        The delimiter in use, given or detected.
    detected : bool
        Whether the delimiter was detected rather than given.

    Raises
    ------
    DataError
        The file is missing, empty, not text in the encoding, or its header
        repeats a name or looks separated by another delimiter than the one
        given.
    """

    def __init__(self, path, fmt=None):
        self.path, self.fmt = path, fmt or CsvFormat()
        line = self._first_line()
        self.detected = self.fmt.delimiter is None
        self.delimiter = self.fmt.delimiter or sniff_delimiter(line)
        self.columns = self._names(line)

    def _first_line(self):
        try:
            with open(self.path, newline="", encoding=_python_encoding(self.fmt.encoding)) as f:
                for line in f:
                    if line.strip():
                        return line
        except FileNotFoundError:
            raise DataError(f"{self.path}: no such file") from None
        except IsADirectoryError:
            raise DataError(f"{self.path}: is a directory, not a CSV file") from None
        except UnicodeDecodeError as exc:
            raise _encoding_error(self.path, exc) from None
        except OSError as exc:
            raise DataError(f"{self.path}: cannot read it ({exc.strerror})") from None
        raise DataError(f"{self.path}: the file is empty")

    def _names(self, line):
        import csv

        names = [name.strip() for name in next(csv.reader(
            [line], delimiter=self.delimiter, skipinitialspace=True
        ))]
        if len(names) == 1 and not self.detected:
            other = sniff_delimiter(line)
            if other != self.delimiter and other in line:
                raise DataError(
                    f"{self.path}: the header is a single column {names[0]!r}; the header "
                    f"looks separated by {shown(other)!r}: pass --delimiter "
                    f"{shown(other)!r}, or leave --delimiter out to detect it"
                )
        seen = set()
        for name in names:
            if name in seen:
                raise DataError(
                    f"{self.path}: the header names the column {name!r} twice; rename one"
                )
            seen.add(name)
        return names

    def require(self, names):
        """Refuse names that are not columns, listing the columns."""
        for name in names:
            if name not in self.columns:
                raise DataError(
                    f"{self.path}: no column {name!r} (columns: {', '.join(self.columns)})"
                )

    def read(self, columns, text=(), chunksize=None):
        """Read ``columns`` as a DataFrame, or an iterator of DataFrames.

        Parameters
        ----------
        columns : list of str
            The columns to return (the others are parsed, to check every
            row's fields, and dropped).
        text : collection of str, default=()
            Columns read as text, exactly as written (stripped), never
            converted to numbers; the others are typed by pandas.
        chunksize : int, default=None
            Rows per DataFrame; None reads the whole file into one.

        Returns
        -------
        frame : DataFrame or iterator of DataFrames
            Indexed by data row from 0 on, through all chunks, so that row
            ``i`` is on line ``i + 2`` of an ordinary file. Missing cells are
            NaN: empty ones and pandas' missing-value markers (``NA``,
            ``N/A``, ``NaN``, ``null``, ...). Reading the whole file, a
            column that is neither all numbers nor all text (True/False, or
            numbers and words mixed) comes back as text.
        """
        if chunksize is not None:
            return self._chunks(columns, text, chunksize)
        frame = self._one(columns, text)
        mixed = [c for c in columns if c not in text and not _is_number_or_text(frame[c])]
        if mixed:  # read them again as text: pandas has turned some cells into numbers
            again = self._one(mixed, mixed)
            frame[mixed] = again[mixed]
        if frame.empty:
            raise DataError(f"{self.path}: a header but no data rows")
        return frame

    def _options(self, text, chunksize=None):
        return dict(
            sep=self.delimiter,
            decimal=self.fmt.decimal,
            encoding=_python_encoding(self.fmt.encoding),
            names=self.columns,
            header=0,
            # every column, even those not asked for: with usecols pandas
            # would take a row with too many fields without a word
            dtype=dict.fromkeys(text, "str"),
            skipinitialspace=True,
            index_col=False,  # never take the first column for an index
            chunksize=chunksize,
            engine="c",
        )

    def _one(self, columns, text):
        pd = import_optional("pandas", "reading CSV files")
        with self._translated():
            frame = pd.read_csv(self.path, **self._options(text))
        return _tidy(frame[list(columns)], text)

    def _chunks(self, columns, text, chunksize):
        pd = import_optional("pandas", "reading CSV files")
        with self._translated():
            reader = pd.read_csv(self.path, **self._options(text, chunksize))
        any_rows = False
        with reader:
            while True:
                with self._translated():
                    try:
                        frame = next(reader)
                    except StopIteration:
                        break
                any_rows = True
                yield _tidy(frame[list(columns)], text)
        if not any_rows:
            raise DataError(f"{self.path}: a header but no data rows")

    def read_features(self, features, target, text=()):
        """The whole file as :meth:`read` gives it, split into the features
        and the target, with the numeric features in one float64 array.

        The file is read in chunks of about :data:`CHUNK_CELLS` cells, each
        chunk's numbers copied into that array (C order, as a network trains
        on it), so that the parsed text of the whole file and its numbers
        are never in memory at once. Integer features come back as floats,
        as the numeric preprocessing takes them.

        Parameters
        ----------
        features : list of str
        target : str
        text : collection of str, default=()
            Columns read as text.

        Returns
        -------
        X, y : DataFrame and Series, or None
            None when a column holds numbers in the first chunk and text in
            a later one, or the file has more rows than line breaks: then
            :meth:`read` the file whole (which reads such a column as text).
        """
        pd = import_optional("pandas", "reading CSV files")
        columns = [*features, target]
        chunksize = max(1, CHUNK_CELLS // len(columns))
        first = next(self._chunks(columns, text, chunksize))
        # what the first chunk holds as text is read as text throughout
        text = [n for n in columns if n in text or first[n].dtype.kind not in "iuf"]
        del first
        numbers = [n for n in columns if n not in text]
        numeric = [n for n in features if n not in text]
        block = np.empty((self._line_bound(), len(numeric)))
        kept = {n: [] for n in columns if n not in numeric}  # text columns and the target
        rows = 0
        for chunk in self._chunks(columns, text, chunksize):
            end = rows + len(chunk)
            if end > len(block) or any(chunk[n].dtype.kind not in "iuf" for n in numbers):
                return None
            block[rows:end] = chunk[numeric].to_numpy(dtype=np.float64)
            for name, parts in kept.items():
                parts.append(chunk[name])
            rows = end
        if rows == 0:
            raise DataError(f"{self.path}: a header but no data rows")
        X = pd.DataFrame(block[:rows], columns=numeric, copy=False)
        for i, name in enumerate(features):  # the text columns in their places
            if name not in numeric:
                X.insert(i, name, pd.concat(kept[name]))
        return X, pd.concat(kept[target])

    def _line_bound(self):
        """At least the number of data rows: the line breaks, and one for a
        last line without one (a quoted field may hold line breaks too)."""
        newlines, last = 0, b"\n"
        with open(self.path, "rb") as f:
            while chunk := f.read(2**20):
                newlines, last = newlines + chunk.count(b"\n"), chunk[-1:]
        return newlines + (last != b"\n")

    def _translated(self):
        return _Translated(self.path, self.delimiter)


def _is_number_or_text(series):
    return series.dtype.kind in "iuf" or is_text(series)


def is_text(series):
    """Whether a column holds pandas' strings (a column read as text)."""
    from pandas.api.types import is_string_dtype

    return is_string_dtype(series.dtype) and series.dtype != object


def _tidy(frame, text):
    """Texts stripped of the spaces around them; a blank text is missing."""
    for name in frame.columns:
        if name in text or is_text(frame[name]):
            column = frame[name].str.strip()
            frame[name] = column.mask(column == "")
    return frame


class _Translated:
    """Turns what pandas raises (or warns) while parsing into a DataError."""

    _FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
    _QUOTE = re.compile(r"EOF inside string starting at row (\d+)")

    def __init__(self, path, delimiter):
        self.path, self.delimiter = path, delimiter

    def __enter__(self):
        from pandas.errors import DtypeWarning, ParserWarning

        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        # a first data row longer than the header: pandas would drop its last field
        warnings.simplefilter("error", ParserWarning)
        # mixed columns are read again as text, see CsvFile.read
        warnings.simplefilter("ignore", DtypeWarning)
        return self

    def __exit__(self, kind, exc, tb):
        self._warnings.__exit__(kind, exc, tb)
        if exc is None or isinstance(exc, (DataError, StopIteration, KeyboardInterrupt)):
            return False
        from pandas.errors import EmptyDataError, ParserError, ParserWarning

        path = self.path
        if isinstance(exc, UnicodeDecodeError):
            raise _encoding_error(path, exc) from None
        if isinstance(exc, ParserWarning):
            raise DataError(
                f"{path}, line 2: more fields than the header has; quote fields that "
                f"contain {shown(self.delimiter)!r}, or add the missing column names"
            ) from None
        if isinstance(exc, EmptyDataError):
            raise DataError(f"{path}: the file is empty") from None
        if isinstance(exc, ParserError):
            message = str(exc)
            if m := self._FIELDS.search(message):
                expected, line, saw = m.groups()
                raise DataError(
                    f"{path}, line {line}: {saw} fields, but the header has {expected}; "
                    f"quote fields that contain {shown(self.delimiter)!r}"
                ) from None
            if m := self._QUOTE.search(message):
                raise DataError(
                    f"{path}: a quoted field starting in data row {m.group(1)} is never "
                    "closed; close it with '\"', and double any '\"' inside a quoted field"
                ) from None
            reason = message.strip().splitlines()[-1] if message.strip() else "parser error"
            raise DataError(f"{path}: cannot read it as CSV ({reason})") from None
        if isinstance(exc, OSError):
            raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
        return False


# ------------------------------------------------------------------ values
def line_of(row):
    """The line of data row ``row`` (0-based) in a file with a header line."""
    return int(row) + 2


def lines(rows, total=None, limit=3):
    """``'lines 4, 9, 12 and 5 more'``: where the first data ``rows`` of
    ``total`` (default: as many as given) are.

    Examples
    --------
    >>> lines([2, 7, 10], total=8), lines([0])
    ('lines 4, 9, 12 and 5 more', 'line 2')
    """
    total = len(rows) if total is None else total
    shown_ = [str(line_of(row)) for row in rows[:limit]]
    more = total - len(shown_)
    return ("line " if total == 1 else "lines ") + ", ".join(shown_) + (
        f" and {more} more" if more > 0 else ""
    )


def decimal_comma(cell):
    """``cell`` with its decimal comma made a point, if it is such a number, else None.

    Examples
    --------
    >>> decimal_comma("0,5"), decimal_comma("1,000.5"), decimal_comma("red")
    ('0.5', None, None)
    """
    if cell.count(",") != 1 or "." in cell:
        return None
    point = cell.replace(",", ".")
    try:
        float(point)
    except ValueError:
        return None
    return point


def is_number(cell):
    """Whether a text cell reads as a finite or infinite float."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def not_a_number(path, column, series, advice="features must be numbers"):
    """The DataError for a column that should hold numbers but holds text.

    Names the first cell that is not a number, its line and, for a number
    with a decimal comma, the option that reads it.
    """
    import pandas as pd

    numbers = pd.to_numeric(series, errors="coerce")
    bad = series[numbers.isna() & series.notna()]
    if bad.empty:  # True/False, which pandas would count as 1/0
        bad = series.dropna()
    row, cell = bad.index[0], str(bad.iloc[0]).strip()
    if (point := decimal_comma(cell)) is not None:
        advice = f"a decimal comma: pass --decimal ',' (or write {point})"
    return DataError(
        f"{path}, line {line_of(row)}: column {column!r} has the value {cell!r}; {advice}"
    )


def check_finite(path, frame, columns):
    """Refuse infinite numbers (``inf`` reads as one) in numeric ``columns``."""
    for name in columns:
        values = frame[name].to_numpy()
        if values.dtype.kind == "f":
            infinite = np.flatnonzero(np.isinf(values))
            if infinite.size:
                row = frame.index[infinite[0]]
                raise DataError(
                    f"{path}, line {line_of(row)}: column {name!r} has the value "
                    f"{float(values[infinite[0]])}; values must be finite numbers"
                )


def target_values(path, series, name):
    """A target column as labels: integers, floats, text or, for True/False, text.

    Raises
    ------
    DataError
        A row without a target, or an infinite one.
    """
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        row = series.index[missing[0]]
        raise DataError(
            f"{path}, line {line_of(row)}: the target {name!r} is empty; drop the rows "
            "without a target"
        )
    if series.dtype.kind in "iuf":
        check_finite(path, series.to_frame(), [name])
        return series.to_numpy()
    return series.to_numpy(dtype=str)
