"""Hypothesis profiles (bounded by default, ``--hypothesis-profile=long`` locally)
and the ``kernels`` fixture (compiled loops and numpy fallback)."""

import pytest
from hypothesis import HealthCheck, settings

from sknn.nn import _kernels, compiled_loops

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])

settings.register_profile("default", max_examples=30, **_COMMON)
settings.register_profile("long", max_examples=1000, **_COMMON)
settings.load_profile("default")


@pytest.fixture(params=["numba", "numpy"])
def kernels(request):
    """Run a test with the compiled loops and again with the numpy fallback."""
    if request.param == "numba" and not _kernels.available():
        pytest.skip("numba is not installed (the optional 'fast' extra)")
    with compiled_loops(request.param == "numba"):
        yield request.param
