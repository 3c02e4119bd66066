"""Export of fitted models: ONNX through skl2onnx (the ``onnx`` extra).

``import sknn`` does not import skl2onnx (it is slow to import). When
skl2onnx is already imported, sknn registers its converters at once;
otherwise :func:`convert_when_imported` registers them as soon as skl2onnx is
imported, so ``skl2onnx.to_onnx`` converts sknn's estimators either way.
:func:`register_onnx_converters` does it explicitly.
"""

import importlib.machinery
import sys

__all__ = ["convert_when_imported", "register_onnx_converters"]


def register_onnx_converters() -> None:
    """Register sknn's estimators with skl2onnx (see ``sknn.export.onnx``).

    Raises
    ------
    ImportError
        When skl2onnx is not installed, naming sknn's ``onnx`` extra.
    """
    from .onnx import register_onnx_converters as register

    register()


class _RegisterAfterImport:
    """Runs skl2onnx's own loader, then registers sknn's converters."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        register_onnx_converters()


class _Skl2onnxFinder:
    """A meta-path finder that sees skl2onnx's import and wraps its loader."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname != "skl2onnx":
            return None
        sys.meta_path.remove(_Skl2onnxFinder)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _RegisterAfterImport(spec.loader)
        return spec


def convert_when_imported():
    """Register the converters now if skl2onnx is imported, else as soon as it is."""
    if "skl2onnx" in sys.modules:
        try:
            register_onnx_converters()
        except ImportError:  # a skl2onnx that fails to import; reported when used
            pass
    elif _Skl2onnxFinder not in sys.meta_path:
        sys.meta_path.insert(0, _Skl2onnxFinder)
