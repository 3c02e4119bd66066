"""Hypothesis profiles (bounded by default, ``--hypothesis-profile=long`` locally)
and the ``kernels`` fixture (compiled loops and numpy fallback)."""

import pytest
from hypothesis import HealthCheck, settings

from sknn import _kernels

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])

settings.register_profile("default", max_examples=30, **_COMMON)
settings.register_profile("long", max_examples=1000, **_COMMON)
settings.load_profile("default")


@pytest.fixture(params=["numba", "numpy"])
def kernels(request, monkeypatch):
    """Run a test with the compiled loops and again with the numpy fallback."""
    if request.param == "numba" and _kernels._numba is None:
        pytest.skip("numba is not installed (the optional 'fast' extra)")
    monkeypatch.setattr(_kernels, "ENABLED", request.param == "numba")
    return request.param
