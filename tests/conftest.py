"""Hypothesis profiles: bounded by default, ``--hypothesis-profile=long`` locally."""

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])

settings.register_profile("default", max_examples=30, **_COMMON)
settings.register_profile("long", max_examples=1000, **_COMMON)
settings.load_profile("default")
