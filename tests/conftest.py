"""Shared hypothesis settings: no per-example deadline (timings on a loaded CI
machine vary), modest example counts. ``HYPOTHESIS_PROFILE=thorough pytest``
runs many more examples."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("minitorch_np", deadline=None, max_examples=25)
settings.register_profile("thorough", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "minitorch_np"))
