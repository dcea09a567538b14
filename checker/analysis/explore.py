"""The two-endpoint explorer: `explore(model, opts)` builds the reachable
global state graph of endpoint A, endpoint B, one channel per direction and
an environment of user calls, all driven by one table (`model.machine`).

What a step of the closed system is lives in `checker.analysis.space` (the
global state, its compact encoding and `_Space.successors`); the search in
`checker.analysis.engine` (packed states, memoised endpoint moves, the
graph as arrays in `checker.analysis.graph`). This module is the front the
other readers import.
"""

from __future__ import annotations

from checker.analysis.engine import Exploration, reference, search
from checker.analysis.options import Options
from checker.analysis.space import (
    FINAL_STATES,
    OLD,
    OLD_SYN_DISTANCE,
    RESET,
    SIDES,
    TAG_BITS,
    Budget,
    Ghost,
    Global,
    Step,
    _Space,
    initial,
    is_final,
    iss_choices,
)
from model.machine import Model

__all__ = ["FINAL_STATES", "OLD", "OLD_SYN_DISTANCE", "RESET", "SIDES", "TAG_BITS", "Budget", "Exploration",
           "Ghost", "Global", "Step", "_Space", "explore", "initial", "is_final", "iss_choices"]


def explore(model: Model, opts: Options, max_states: int = 3_000_000, progress=None,
            plain: bool = False) -> Exploration:
    """Breadth-first search of the reachable global states, stopping at
    `max_states` (then `truncated`). `progress(states, queue, seconds)` is
    called every 20,000 new states. `plain`: the reference search without
    the packing and the memo (same graph, slower; for tests and doubt)."""
    if plain:
        return reference(model, opts, max_states=max_states)
    return search(model, opts, max_states=max_states, progress=progress)
