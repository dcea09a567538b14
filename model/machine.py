"""Running the table: a validated, compiled `Model` with `step(config, event)`.

The table is validated once when a Model is built (a malformed table raises
`ModelError` naming the row), then every guard, update and emitted segment is
compiled to a Python function of the variables.
"""

from __future__ import annotations

from dataclasses import dataclass

from model import expr as X
from model.config import Config, fresh_tcb, from_env
from model.events import EVENT_KINDS, Arrive, Segment
from model.rows import CONTINUE, SEGMENT, SIGNALS, STEPS, STOP, TIMER_ACTIONS, TIMERS, Emit, Row
from model.seq import MASK
from model.state import OTHER_STATES, State

PIPELINE_STATES = OTHER_STATES
SINGLE_STEP_STATES = frozenset({State.CLOSED, State.LISTEN, State.SYN_SENT})
WRITABLE = (set(X.TCB_VARS) - {"RCV.WND"}) | {"SEG.SEQ", "SEG.LEN", "SEG.DATA", "CTL.SYN", "CTL.FIN"}
# Where NEW.ISS exists (and so ISS may be written): the events that create a
# TCB, 3.10.1 OPEN and 3.10.7.2 a SYN in LISTEN.
NEW_ISS_EVENTS = ("OPEN-ACTIVE", "SEGMENT")
S_SYN_RECEIVED = State.SYN_RECEIVED


class IllegalEvent(Exception):
    """The table has no row for this event in this state (or no row whose
    guard holds): the event is illegal. The configuration is unchanged."""

    def __init__(self, state: State, event):
        self.state, self.event = state, event
        super().__init__(f"{event} is illegal in {state}: no row of the table handles it")


class ModelError(Exception):
    """A malformed table: the message names the source and the row."""

    def __init__(self, source: str, message: str, row: Row | None = None, index: int | None = None):
        where = source
        if row is not None:
            where += f": row {index} {row.describe()}"
        super().__init__(f"{where}: {message}")
        self.source, self.row, self.index = source, row, index


@dataclass(frozen=True)
class Outcome:
    config: Config
    sent: tuple[Segment, ...]
    error: str | None
    fired: tuple[Row, ...]

    @property
    def signals(self) -> tuple[str, ...]:
        """What the user is told, in order (3.10.7, 3.10.8; MUST-12)."""
        return tuple(r.signal for r in self.fired if r.signal)

    @property
    def timers(self) -> tuple[tuple[str, str], ...]:
        """The timers started, restarted or cancelled (3.8.1, 3.10.8)."""
        return tuple(t for r in self.fired for t in r.timers)


class _Compiled:
    __slots__ = ("row", "guard", "updates", "emits")

    def __init__(self, row: Row):
        self.row = row
        self.guard = X.compile_expr(row.when)
        self.updates = [(k, X.compile_expr(e)) for k, e in row.set]
        self.emits = [(e.flags, X.compile_expr(e.seq),
                       None if e.ack is None else X.compile_expr(e.ack),
                       X.compile_expr(e.data)) for e in row.emit]


def segment_env(seg: Segment) -> dict:
    return {"SEG.SEQ": seg.seq & MASK, "SEG.ACK": seg.ack & MASK, "SEG.LEN": seg.len,
            "SEG.DATA": seg.data, "SEG.WND": seg.wnd, "CTL.SYN": seg.syn,
            "CTL.ACK": seg.ackf, "CTL.FIN": seg.fin, "CTL.RST": seg.rst}


def _make_segment(flags, seq, ack, data, wnd) -> Segment:
    return Segment(seq=seq, ack=ack if ack is not None else 0, syn="SYN" in flags,
                   ackf="ACK" in flags, fin="FIN" in flags, rst="RST" in flags,
                   data=data, wnd=0 if "RST" in flags and "ACK" not in flags else wnd)


def validate(rows: list[Row], source: str) -> None:
    """Structural checks: exit-2 material (the semantic ones live in
    checker.analysis.wellformed)."""
    if not isinstance(rows, (list, tuple)) or not rows:
        raise ModelError(source, "ROWS must be a non-empty list of model.rows.Row")
    names: dict[str, int] = {}
    seen: dict[tuple, int] = {}
    for i, r in enumerate(rows):
        if not isinstance(r, Row):
            raise ModelError(source, f"row {i} is not a model.rows.Row: {r!r}")

        def bad(msg, r=r, i=i):
            return ModelError(source, msg, r, i)

        if not isinstance(r.state, State):
            raise bad(f"unknown state {r.state!r}")
        if r.goto is not None and not isinstance(r.goto, State):
            raise bad(f"unknown next state {r.goto!r}")
        if not r.ref:
            raise bad("no RFC reference")
        is_pipe = r.on.startswith(SEGMENT + "/")
        if r.on == SEGMENT:
            if r.state not in SINGLE_STEP_STATES:
                raise bad(f"segments in {r.state} go through the steps SEGMENT/<step> of 3.10.7.4")
        elif is_pipe:
            if r.on[len(SEGMENT) + 1:] not in STEPS:
                raise bad(f"unknown step {r.on!r}; steps are {', '.join(STEPS)}")
            if r.state not in PIPELINE_STATES:
                raise bad(f"{r.state} handles segments in one step {SEGMENT!r} (3.10.7.1-3)")
        elif r.on not in EVENT_KINDS:
            raise bad(f"unknown event {r.on!r}")
        if r.then not in (STOP, CONTINUE):
            raise bad(f"'then' must be {STOP!r} or {CONTINUE!r}")
        if r.then == CONTINUE and not is_pipe:
            raise bad("only pipeline steps may continue")
        if r.error is not None and (r.emit or r.set or r.goto or r.timers):
            raise bad("an error response changes nothing")
        if r.signal is not None and r.signal not in SIGNALS:
            raise bad(f"unknown user signal {r.signal!r}; signals are {', '.join(SIGNALS)}")
        for t in r.timers:
            if not (isinstance(t, tuple) and len(t) == 2 and t[0] in TIMERS and t[1] in TIMER_ACTIONS):
                raise bad(f"bad timer action {t!r}: (timer, action) with timers {', '.join(TIMERS)} "
                          f"and actions {', '.join(TIMER_ACTIONS)}")
        allowed = set(X.TCB_VARS)
        if r.on.startswith(SEGMENT):
            allowed |= set(X.SEG_VARS)
        if r.on == "SEND":
            allowed |= set(X.CALL_VARS)
        if r.on in NEW_ISS_EVENTS or is_pipe:
            allowed |= set(X.NEW_VARS)
        try:
            exprs = [("guard", r.when, "bool")]
            for k, e in r.set:
                if k not in WRITABLE or (k in X.SEG_VARS and not is_pipe):
                    raise bad(f"cannot assign {k!r}")
                if k == "ISS" and not (r.on in NEW_ISS_EVENTS or (is_pipe and r.goto is S_SYN_RECEIVED)):
                    raise bad("ISS is chosen only where a TCB is created (OPEN, a SYN in LISTEN, a SYN "
                              "that reopens a connection from TIME-WAIT: 3.4.1, 3.6.1 MAY-2)")
                exprs.append((f"update of {k}", e, X.ALL_VARS[k]))
            for em in r.emit:
                if not isinstance(em, Emit):
                    raise bad(f"emit must hold model.rows.Emit values, got {em!r}")
                unknown = em.flags - {"SYN", "ACK", "FIN", "RST"}
                if unknown:
                    raise bad(f"unknown control bit(s) {sorted(unknown)} in {em.ctl!r}")
                if ("ACK" in em.flags) != (em.ack is not None):
                    raise bad(f"segment {em} must carry an ACK field iff ACK is set")
                exprs += [("SEQ of " + em.ctl, em.seq, "seq"), ("DATA of " + em.ctl, em.data, "seq")]
                if em.ack is not None:
                    exprs.append(("ACK of " + em.ctl, em.ack, "seq"))
            for what, e, want in exprs:
                if not isinstance(e, X.Expr):
                    raise bad(f"{what}: not an expression: {e!r}")
                got = X.kind(e)
                if got != want:
                    raise bad(f"{what} {e} is a {got}, expected a {want}")
                extra = e.variables() - allowed
                if extra:
                    raise bad(f"{what} reads {sorted(extra)}, not available for {r.on}")
        except X.ExprError as err:
            raise bad(f"bad expression: {err}") from None
        if r.name in names:
            raise bad(f"duplicate row name (row {names[r.name]} has it too)")
        names[r.name] = i
        key = (r.state, r.on, r.when)
        if key in seen:
            raise bad(f"duplicate row: same state, event and guard as row {seen[key]}")
        seen[key] = i


class Model:
    """A validated, compiled table."""

    def __init__(self, rows: list[Row], name: str = "standard", source: str = "model/table.py"):
        validate(rows, source)
        self.rows = list(rows)
        self.name, self.source = name, source
        self.index: dict[tuple[State, str], list[_Compiled]] = {}
        for r in self.rows:
            self.index.setdefault((r.state, r.on), []).append(_Compiled(r))
        self._cache: dict = {}

    def row_index(self, row: Row) -> int:
        return self.rows.index(row)

    # -- running -------------------------------------------------------------
    def step(self, cfg: Config, event) -> Outcome:
        """Apply one event. Raises IllegalEvent if no row handles it."""
        key = (cfg, event)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._step(cfg, event)
            if len(self._cache) > 2_000_000:
                self._cache.clear()
            self._cache[key] = hit
        if isinstance(hit, IllegalEvent):
            raise hit
        return hit

    def try_step(self, cfg: Config, event) -> Outcome | None:
        try:
            return self.step(cfg, event)
        except IllegalEvent:
            return None

    def _step(self, cfg: Config, event):
        env = cfg.env()
        env["NEW.ISS"] = cfg.iss if getattr(event, "iss", None) is None else event.iss & MASK
        if isinstance(event, Arrive):
            env.update(segment_env(event.segment))
            if cfg.state in SINGLE_STEP_STATES:
                plan = [SEGMENT]
            else:
                plan = [SEGMENT + "/" + s for s in STEPS]
        else:
            if getattr(event, "kind", None) == "SEND":
                env["SEND.LEN"] = event.length & MASK
            plan = [event.kind]
        state = cfg.state
        sent: list[Segment] = []
        fired: list[Row] = []
        error = None
        want_ack = False
        for on in plan:
            cands = self.index.get((state, on))
            if cands is None:
                if on.startswith(SEGMENT + "/"):
                    continue  # this step does not apply to this state
                return IllegalEvent(state, event)
            for c in cands:
                if c.guard(env):
                    break
            else:
                return IllegalEvent(state, event)
            row = c.row
            fired.append(row)
            for flags, fs, fa, fd in c.emits:
                sent.append(_make_segment(flags, fs(env), None if fa is None else fa(env),
                                          fd(env), env["RCV.WND"]))
            if c.updates:
                new = [(k, f(env)) for k, f in c.updates]
                env.update(new)
            want_ack = want_ack or row.ack
            error = row.error
            if row.goto is not None and row.goto is not state:
                state = row.goto
                if state in (State.CLOSED, State.LISTEN):
                    env.update(fresh_tcb(cfg, state).env())
            if row.then == STOP:
                break
        if want_ack and state not in (State.CLOSED, State.LISTEN):
            sent.append(Segment(seq=env["SND.NXT"], ack=env["RCV.NXT"], ackf=True,
                                wnd=env["RCV.WND"]))
        return Outcome(from_env(state, env), tuple(sent), error, tuple(fired))


def standard() -> Model:
    from model.table import ROWS

    return Model(ROWS)
