"""The public API is annotated, and the package says so (PEP 561)."""

import inspect
import tomllib
from pathlib import Path

import pytest

import sknn
from sknn import DiagnosticsDisplay, LossCurveDisplay, MLPClassifier, MLPRegressor

ROOT = Path(__file__).resolve().parents[1]

PUBLIC = [
    *[(MLPClassifier, name) for name in ("fit", "partial_fit", "predict", "predict_proba",
                                         "predict_log_proba", "score", "summary")],
    *[(MLPRegressor, name) for name in ("fit", "partial_fit", "predict", "score", "summary")],
    *[(display, name) for display in (LossCurveDisplay, DiagnosticsDisplay)
      for name in ("from_estimator", "plot")],
]


def test_py_typed_marker_ships_with_the_package():
    assert (ROOT / "sknn" / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["sknn"]


@pytest.mark.parametrize("owner, name", PUBLIC, ids=lambda x: getattr(x, "__name__", x))
def test_public_methods_are_annotated(owner, name):
    # through scikit-learn's decorators (inspect follows __wrapped__)
    signature = inspect.signature(getattr(owner, name))
    unannotated = [p.name for p in signature.parameters.values()
                   if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    assert not unannotated, f"{owner.__name__}.{name}: {unannotated}"
    assert signature.return_annotation is not inspect.Signature.empty


def test_register_onnx_converters_is_annotated():
    assert inspect.signature(sknn.register_onnx_converters).return_annotation is None


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_constructors_stay_unannotated_as_scikit_learns(cls):
    params = inspect.signature(cls).parameters.values()
    assert all(p.annotation is inspect.Parameter.empty for p in params)
