"""Parquet files for the command line: the same reading interface as
:class:`~sknn.cli.csv_files.CsvFile`, with the columns' kinds taken from the
file's schema rather than from the text.

Numbers stay numbers; text, categorical (dictionary-encoded) and boolean
columns come back as text, as a CSV file's would (booleans as ``"True"`` /
``"False"``); a date or time column is refused with what to do.
"""

from .._optional import import_optional
from .csv_files import CsvFile, DataError, _tidy

__all__ = ["ParquetFile", "is_parquet"]

#: File name endings read as Parquet.
SUFFIXES = (".parquet", ".pq")


def is_parquet(path):
    """Whether the command line reads ``path`` as Parquet (by its ending)."""
    return str(path).lower().endswith(SUFFIXES)


class ParquetFile:
    """A Parquet file: its column names and how to read its rows.

    Parameters
    ----------
    path : str

    Attributes
    ----------
    columns : list of str
    delimiter : None
        (A CSV file's; Parquet has none.)
    detected : bool
        False: nothing is detected.

    Raises
    ------
    DataError
        The file is missing or is not a Parquet file.
    """

    delimiter, detected = None, False

    def __init__(self, path):
        self.path = path
        parquet = import_optional("pyarrow.parquet", "reading Parquet files")
        try:
            self._file = parquet.ParquetFile(path)
        except FileNotFoundError:
            raise DataError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise DataError(f"{path}: is a directory, not a Parquet file") from None
        except Exception as exc:  # pyarrow's errors for what is not Parquet
            raise DataError(f"{path}: not a Parquet file ({exc})") from None
        self.columns = [str(name) for name in self._file.schema_arrow.names]

    require = CsvFile.require  # names that are not columns, refused with the columns

    def read(self, columns, text=(), chunksize=None):
        """Read ``columns`` as a DataFrame, or an iterator of DataFrames of
        ``chunksize`` rows; ``text`` columns as text. Indexed by row from 0
        on, through all chunks."""
        if chunksize is not None:
            return self._chunks(columns, text, chunksize)
        frame = self._frame(self._file.read(columns=list(columns)), columns, text, 0)
        if frame.empty:
            raise DataError(f"{self.path}: a schema but no data rows")
        return frame

    def _chunks(self, columns, text, chunksize):
        start = 0
        for batch in self._file.iter_batches(batch_size=chunksize, columns=list(columns)):
            frame = self._frame(batch, columns, text, start)
            start += len(frame)
            yield frame
        if start == 0:
            raise DataError(f"{self.path}: a schema but no data rows")

    def _frame(self, table, columns, text, start):
        frame = table.to_pandas()
        frame.index = range(start, start + len(frame))
        for name in columns:
            values = frame[name]
            kind = values.dtype.kind
            if kind in "mM":
                raise DataError(
                    f"{self.path}: column {name!r} holds dates or times; convert it to "
                    "numbers (e.g. days since a date) before fitting"
                )
            if name in text or kind not in "iuf":  # text, categories, booleans: as text
                frame[name] = values.astype(object).where(values.notna(),
                                                          None).map(_as_text)
        return _tidy(frame[list(columns)], set(text) | {
            name for name in columns if frame[name].dtype.kind not in "iuf"})


def _as_text(value):
    return None if value is None else str(value)
