"""The package's layout keeps its promises: the numpy core imports no
scikit-learn, training never reaches into the estimators, and ``import sknn``
leaves the slow optional imports (skl2onnx, onnx, numba) for later."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sknn"


def _imports(path):
    """Every module a file imports (relative ones resolved within sknn)."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield ".".join(base + ([node.module] if node.module else []))
            else:
                yield node.module


@pytest.mark.parametrize("path", sorted((PACKAGE / "nn").glob("*.py")), ids=lambda p: p.name)
def test_the_core_imports_numpy_and_scipy_only(path):
    third_party = {name.split(".")[0] for name in _imports(path)} - set(sys.stdlib_module_names)
    assert third_party <= {"numpy", "scipy", "sknn", "numba"}, third_party
    inside = [name for name in _imports(path) if name.startswith("sknn.")]
    assert all(name.startswith("sknn.nn") for name in inside), inside


@pytest.mark.parametrize("path", sorted((PACKAGE / "training").glob("*.py")), ids=lambda p: p.name)
def test_training_does_not_import_the_estimators(path):
    inside = [name for name in _imports(path) if name.startswith("sknn.")]
    assert all(name.startswith(("sknn.nn", "sknn.training")) for name in inside), inside


def test_import_sknn_leaves_the_slow_optional_imports():
    code = ("import sys, sknn; print(sorted(m for m in ('skl2onnx', 'onnx', 'numba', "
            "'torch', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == "[]"
