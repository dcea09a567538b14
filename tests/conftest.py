"""Hypothesis profiles: `ci` (derandomized, fast; the default and what the
README's test command uses), `deep` (HYPOTHESIS_PROFILE=deep, long runs) and
`mutmut` (the ci profile for impl/ mutation testing, where mutmut runs the
same tests many times in one process: README "Mutation analysis").
The example database lives in .hypothesis/, which git ignores."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("deep", max_examples=5_000, deadline=None, stateful_step_count=100,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("mutmut", derandomize=True, max_examples=60, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
