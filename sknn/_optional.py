"""Optional dependencies, each installed by an extra of the sknn package."""

import importlib

# top-level module -> (pip distribution, sknn extra that installs it)
EXTRAS = {
    "matplotlib": ("matplotlib", "plot"),
    "skops": ("skops", "persist"),
    "pandas": ("pandas", "csv"),
    "rich": ("rich", "progress"),
    "skl2onnx": ("skl2onnx", "onnx"),
    "pyarrow": ("pyarrow", "parquet"),
}


def import_optional(name, purpose):
    """Import ``name`` or raise an ImportError naming the extra to install.

    Parameters
    ----------
    name : str
        Module to import, e.g. ``"matplotlib.pyplot"``.
    purpose : str
        What needs it, for the message, e.g. ``"LossCurveDisplay"``.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        package, extra = EXTRAS[name.partition(".")[0]]
        raise ImportError(
            f"{purpose} requires {package}, which is not installed. Install "
            f"sknn's '{extra}' extra: pip install 'sknn[{extra}]'"
        ) from exc
