"""Hypothesis profiles: `ci` (derandomized, fast; the default and what the
README's test command uses) and `deep` (HYPOTHESIS_PROFILE=deep, long runs).
The example database lives in .hypothesis/, which git ignores."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("deep", max_examples=5_000, deadline=None, stateful_step_count=100,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
