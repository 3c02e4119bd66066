"""The ``sknn`` command line: fit and predict on real CSV files.

``main`` parses the arguments and runs the demo, ``sknn fit`` or ``sknn
predict``; ``csv_files`` reads the files (pandas, the ``csv`` extra),
``tables`` turns their columns into numbers (one-hot text, imputed gaps,
scaling) and ``streaming`` trains chunk by chunk (``--chunksize``).
"""

from .main import main

__all__ = ["main"]
