"""The ``sknn`` command line: fit and predict on real CSV files.

``main`` parses the arguments and runs the demo, ``sknn fit`` or ``sknn
predict``; ``csv_files`` reads the files (pandas, the ``csv`` extra),
``tables`` turns their columns into numbers (one-hot text, imputed gaps,
scaling), ``blockwise`` fits that preprocessing a few columns at a time on a
table in memory and ``streaming`` trains chunk by chunk (``--chunksize``).
"""

from .main import main

__all__ = ["main"]
