"""The shape of a table row, and helpers to write and derive tables.

A row is data: (state, event, guard, emitted segments, updates, next state,
then, RFC reference). See `model/table.py` for how rows are matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from model.expr import TRUE, Expr, lift
from model.state import State

# The ordered steps of 3.10.7.4 ("first check sequence number ... eighth,
# check the FIN bit"); "trim" is the straddling rule of its first step.
STEPS = ("trim", "seq", "rst", "syn", "ack", "text", "fin")
SEGMENT = "SEGMENT"  # CLOSED, LISTEN, SYN-SENT: one ordered step (3.10.7.1-3)

STOP, CONTINUE = "stop", "continue"

# The timers of 3.8.1, 3.10.8 a row can start, restart or cancel.
TIMERS = ("retransmission", "user", "2MSL")
TIMER_ACTIONS = ("start", "restart", "cancel")
# What a row can tell the user (3.10.7, 3.10.8; MUST-12 asks that a normal
# close and an abort be told apart).
SIGNALS = ("connection reset", "connection refused", "connection closing",
           "connection aborted due to user timeout", "connection closed")


@dataclass(frozen=True)
class Emit:
    """A segment to send: control bits and expressions for SEQ, ACK, data
    length. Evaluated on the variables as they were before the row fired."""

    ctl: str  # "SYN", "SYN,ACK", "RST", "RST,ACK", "FIN,ACK", "ACK"
    seq: Expr
    ack: Expr | None = None
    data: Expr = field(default_factory=lambda: lift(0))

    def __post_init__(self):
        object.__setattr__(self, "seq", lift(self.seq))
        if self.ack is not None:
            object.__setattr__(self, "ack", lift(self.ack))
        object.__setattr__(self, "data", lift(self.data))

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(f.strip() for f in self.ctl.split(",") if f.strip())

    def __str__(self) -> str:
        out = f"<SEQ={self.seq}>"
        if self.ack is not None:
            out += f"<ACK={self.ack}>"
        out += f"<CTL={self.ctl}>"
        if self.data != lift(0):
            out += f"<DATA={self.data}>"
        return out


@dataclass(frozen=True)
class Row:
    """One rule. `on` is a user call or timeout kind (model.events), SEGMENT,
    or `SEGMENT/<step>` for the 3.10.7.4 pipeline. `ack` asks for the one
    aggregated acknowledgment sent when processing ends (MUST-58, MUST-59).
    `error` is the RFC's error response to a user call (no state change).
    `signal` is what the user is told (3.5.3 "advise the user", 3.10.7.4
    "signal the user", MUST-12: a normal close or an abort). `timers` says
    which timers of 3.8, 3.10.8 the row starts, restarts or cancels
    ((name, action) pairs; names in TIMERS, actions in TIMER_ACTIONS)."""

    name: str
    state: State
    on: str
    when: Expr = TRUE
    emit: tuple[Emit, ...] = ()
    set: tuple[tuple[str, Expr], ...] = ()
    goto: State | None = None
    then: str = STOP
    ack: bool = False
    error: str | None = None
    ref: str = ""
    note: str = ""
    signal: str | None = None
    timers: tuple[tuple[str, str], ...] = ()

    @property
    def target(self) -> State:
        return self.goto if self.goto is not None else self.state

    def describe(self) -> str:
        return f"{self.name} ({self.state}, {self.on})"


def rows(name: str, states, on: str, *, when=TRUE, emit=(), set=None, goto=None,
         then=STOP, ack=False, error=None, ref: str, note: str = "", signal=None,
         timers=None) -> list[Row]:
    """One row per state in `states` (a State or an iterable of States);
    each row is named `name@STATE`."""
    if isinstance(states, State):
        states = [states]
    states = sorted(states, key=lambda s: list(State).index(s))
    updates = tuple((k, lift(v)) for k, v in (set or {}).items())
    if isinstance(emit, Emit):
        emit = (emit,)
    out = []
    for st in states:
        n = f"{name}@{st}"
        out.append(Row(name=n, state=st, on=on, when=lift(when), emit=tuple(emit),
                       set=updates, goto=goto, then=then, ack=ack, error=error,
                       ref=ref, note=note, signal=signal, timers=tuple((timers or {}).items())))
    return out


# --- deriving variants --------------------------------------------------------

def find(table: list[Row], name: str) -> int:
    for i, r in enumerate(table):
        if r.name == name:
            return i
    raise KeyError(f"no row named {name!r}")


def changed(table: list[Row], name: str, **changes) -> list[Row]:
    """A copy of `table` with row `name` changed (fields as in Row)."""
    out = list(table)
    i = find(out, name)
    if "when" in changes:
        changes["when"] = lift(changes["when"])
    if "set" in changes and isinstance(changes["set"], dict):
        changes["set"] = tuple((k, lift(v)) for k, v in changes["set"].items())
    if "timers" in changes and isinstance(changes["timers"], dict):
        changes["timers"] = tuple(changes["timers"].items())
    if "emit" in changes and isinstance(changes["emit"], Emit):
        changes["emit"] = (changes["emit"],)
    out[i] = replace(out[i], **changes)
    return out


def without(table: list[Row], *names: str) -> list[Row]:
    """A copy of `table` without the named rows."""
    for n in names:
        find(table, n)
    return [r for r in table if r.name not in names]
