"""The table's rows as Promela statements: what one event does to one
endpoint (RFC 9293 3.10), exactly as `model.machine.Model._step` does it.

The code works on scratch locals of the one process (`e_*` the endpoint's
variables, `s_*` the segment's fields, `f_*` the
flags of the processing) and is placed inside a `d_step`, so that one event
is one Promela transition:
- user calls and timeouts: the rows of (state, event) in order, the first
  whose guard holds fires (3.10.1-3.10.5, 3.10.8);
- a segment in CLOSED, LISTEN, SYN-SENT: the rows of (state, SEGMENT) in
  order (3.10.7.1-3.10.7.3); in the other states the pipeline of
  `model.rows.STEPS` (3.10.7.4), each step on the state the previous row
  entered, a row stopping or continuing;
- every row reads the values from before it fired (guard, emitted segments
  and updates alike), its updates are simultaneous, entering CLOSED or
  LISTEN resets the TCB (`model.config.fresh_tcb`), and rows asking for an
  ACK contribute one <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> at the end
  (MUST-58, MUST-59).
Whether an event can happen at all (a row matches and it is no error
response) is a guard computed from the same rows (`call_enabled`,
`arrival_disabled`), since a `d_step` may block only on its first statement.
"""

from __future__ import annotations

from model import expr as X
from model.machine import PIPELINE_STATES, SINGLE_STEP_STATES, Model
from model.rows import CONTINUE, SEGMENT, STEPS, STOP, Row
from model.state import State

from checker.generate.promela.expr import conj, disj, is_true, to_promela

STATE_NAMES = {s: "S_" + s.name for s in State}
RESET_STATES = (State.CLOSED, State.LISTEN)

LOCALS = {  # table variable -> scratch local
    "ISS": "e_iss", "IRS": "e_irs", "SND.UNA": "e_una", "SND.NXT": "e_nxt", "SND.WND": "e_swnd",
    "RCV.NXT": "e_rnxt", "RCV.WND": "e_rwnd", "PASSIVE": "e_passive",
    "SEG.SEQ": "s_seq", "SEG.ACK": "s_ack", "SEG.LEN": "s_len", "SEG.DATA": "s_data", "SEG.WND": "s_wnd",
    "CTL.SYN": "s_syn", "CTL.ACK": "s_ackf", "CTL.FIN": "s_fin", "CTL.RST": "s_rst",
    "SEND.LEN": "x_sendlen", "NEW.ISS": "x_newiss",
}
FIELDS = {  # TCB variable -> field of the endpoint record Ep (model.config.Config)
    "ISS": "iss", "IRS": "irs", "SND.UNA": "una", "SND.NXT": "nxt", "SND.WND": "swnd",
    "RCV.NXT": "rnxt", "RCV.WND": "rwnd", "PASSIVE": "passive",
}
TEMPS = {k: "t_" + LOCALS[k][2:] for k in ("ISS", "IRS", "SND.UNA", "SND.NXT", "SND.WND", "RCV.NXT",
                                            "PASSIVE", "SEG.SEQ", "SEG.LEN", "SEG.DATA", "CTL.SYN", "CTL.FIN")}


def _p(e: X.Expr) -> str:
    return to_promela(e, LOCALS)


def _emit(em) -> list[str]:
    fl = em.flags
    wnd = "0" if "RST" in fl and "ACK" not in fl else "e_rwnd"
    return send(_p(em.seq), "0" if em.ack is None else _p(em.ack), fl, _p(em.data), wnd)


def send(seq: str, ack: str, fl, data: str, wnd: str) -> list[str]:
    """Append a segment to the sender's channel (OUT, its next free slot); its
    ghost tag is set when the event is committed (the incarnation after it)."""
    return ["if",
            ":: ch[E].n < MAXCH ->",
            f"   OUT.seq = {seq}; OUT.ack = {ack}; OUT.syn = {int('SYN' in fl)}; OUT.ackf = {int('ACK' in fl)};",
            f"   OUT.fin = {int('FIN' in fl)}; OUT.rst = {int('RST' in fl)}; OUT.data = {data}; OUT.wnd = {wnd};",
            "   ch[E].n++",
            ":: else -> f_over = 1",
            "fi;"]


def fresh(state: State, ep: str) -> list[str]:
    """Entering CLOSED or LISTEN: a new TCB (model.config.fresh_tcb keeps ISS and RCV.WND)."""
    iss = "ISSOF(" + ep[3:-1] + ")"
    return [f"e_passive = {'true' if state is State.LISTEN else 'false'}; e_iss = {iss}; "
            f"e_irs = 0; e_una = 0; e_nxt = 0; e_swnd = 0; e_rnxt = 0; e_rwnd = {ep}.rwnd;"]


def row_body(r: Row, cur: State, ep: str) -> list[str]:
    """One row firing in state `cur` (the locals hold the values before it)."""
    out = [f"/* {r.name}: {r.ref} */".replace("*/", "* /", r.ref.count("*/"))]
    for em in r.emit:
        out += _emit(em)
    if r.set:
        out.append(" ".join(f"{TEMPS[k]} = {_p(e)};" for k, e in r.set))
        out.append(" ".join(f"{LOCALS[k]} = {TEMPS[k]};" for k, _ in r.set))
    flags = []
    if any(k == "IRS" for k, _ in r.set):
        flags.append("f_irs = 1;")
    if r.ack:
        flags.append("f_ack = 1;")
    if r.on == "TIME-WAIT-TIMEOUT":
        flags.append("f_twt = 1;")
    if r.error is not None:
        flags.append("f_bad = 1;")
    if r.then == STOP:
        flags.append("f_done = 1;")
    if flags:
        out.append(" ".join(flags))
    if r.goto is not None and r.goto is not cur:
        out.append(f"e_st = {STATE_NAMES[r.goto]};")
        if r.goto in RESET_STATES:
            out += fresh(r.goto, ep)
    return out


def chain(rows: list[Row], cur: State, ep: str, indent: str) -> list[str]:
    """First matching row fires; none: the event is illegal (f_bad)."""
    out: list[str] = []
    depth = 0
    for r in rows:
        g = _p(r.when)
        out.append(f"{indent}{'  ' * depth}if")
        out.append(f"{indent}{'  ' * depth}:: {g} ->")
        out += [f"{indent}{'  ' * depth}   {line}" for line in row_body(r, cur, ep)]
        out.append(f"{indent}{'  ' * depth}:: else ->")
        depth += 1
        if is_true(r.when):
            out[-1] = f"{indent}{'  ' * (depth - 1)}:: else -> skip"
            break
    else:
        out.append(f"{indent}{'  ' * depth}f_bad = 1; f_done = 1")
    for d in range(depth - 1, -1, -1):
        out.append(f"{indent}{'  ' * d}fi")
    return out


def by_state(model: Model, on: str, states, ep: str, indent: str) -> list[str]:
    """`if :: e_st == S -> rows of (S, on) ... fi`; a state without rows: `missing`."""
    out = [f"{indent}if"]
    for s in states:
        rows = [c.row for c in model.index.get((s, on), [])]
        if rows:
            out.append(f"{indent}:: e_st == {STATE_NAMES[s]} ->")
            out += chain(rows, s, ep, indent + "   ")
    out.append(f"{indent}:: else -> {'skip' if on.startswith(SEGMENT + '/') else 'f_bad = 1; f_done = 1'}")
    out.append(f"{indent}fi")
    return out


def event_code(model: Model, kind: str, ep: str) -> list[str]:
    """A user call or timeout (one step, `kind` as in model.events)."""
    return by_state(model, kind, list(State), ep, "  ")


def arrival_code(model: Model, ep: str) -> list[str]:
    """SEGMENT ARRIVES (3.10.7): one step or the 3.10.7.4 pipeline."""
    single = [s for s in State if s in SINGLE_STEP_STATES]
    out = ["  if", "  :: " + " || ".join(f"e_st == {STATE_NAMES[s]}" for s in single) + " ->"]
    out += by_state(model, SEGMENT, single, ep, "     ")
    out.append("  :: else ->")
    pipe = [s for s in State if s in PIPELINE_STATES]
    for step in STEPS:
        out.append(f"     /* step {step} */")
        out.append("     if")
        out.append("     :: !f_done ->")
        out += by_state(model, f"{SEGMENT}/{step}", pipe, ep, "        ")
        out.append("     :: else -> skip")
        out.append("     fi;")
    out.append("     skip")
    out.append("  fi")
    return out


def final_ack(ep: str) -> list[str]:
    """The aggregated ACK of the rows that asked for one (MUST-58, MUST-59)."""
    return ["  if",
            "  :: f_ack && e_st != S_CLOSED && e_st != S_LISTEN ->",
            *("     " + line for line in send("e_nxt", "e_rnxt", {"ACK"}, "0", "e_rwnd")),
            "     skip",
            "  :: else -> skip",
            "  fi"]


def n_sent(r: Row) -> int:
    return len(r.emit) + (1 if r.ack and r.target not in RESET_STATES else 0)


def call_enabled(model: Model, kind: str, names: dict[str, str], room: str) -> str:
    """The guard of a user call or timeout: some row handles it, it is no
    error response, and what it sends fits in `room` (the explorer's rule
    for spontaneous moves)."""
    parts = []
    for s in State:
        rows = [c.row for c in model.index.get((s, kind), [])]
        if not rows:
            continue
        expr = "false"
        for r in reversed(rows):
            # (the caller's guard already asks for room > 0: one segment always fits)
            ok = "false" if r.error is not None else ("true" if n_sent(r) <= 1 else f"({n_sent(r)} <= {room})")
            if is_true(r.when):
                expr = ok
            elif ok == expr:
                expr = ok
            else:
                expr = f"({to_promela(r.when, names)} -> {ok} : {expr})"
        parts.append(conj([f"({names['STATE']} == {STATE_NAMES[s]})", expr]))
    return disj(parts)


# --- when is a segment arrival illegal? (usually never: every step ends in a catch-all row) ---

def _safe_step(model: Model, state: State, on: str) -> bool:
    rows = [c.row for c in model.index.get((state, on), [])]
    return any(is_true(r.when) for r in rows) and all(r.error is None for r in rows)


def _safe_from(model: Model, state: State, k: int, memo: dict) -> bool:
    key = (state, k)
    if key not in memo:
        memo[key] = True
        if k < len(STEPS):
            on = f"{SEGMENT}/{STEPS[k]}"
            rows = [c.row for c in model.index.get((state, on), [])]
            ok = not rows or _safe_step(model, state, on)
            for r in rows:
                if r.then == CONTINUE:
                    ok = ok and _safe_from(model, r.target, k + 1, memo)
            ok = ok and (bool(rows) or _safe_from(model, state, k + 1, memo))
            memo[key] = ok
    return memo[key]


def _fresh_env(env: dict, state: State) -> dict:
    env = dict(env)
    env.update({"PASSIVE": X.C(state is State.LISTEN), "ISS": X.V("ISS"), "RCV.WND": X.V("RCV.WND"),
                **{k: X.C(0) for k in ("IRS", "SND.UNA", "SND.NXT", "SND.WND", "RCV.NXT")}})
    return env


def _bad_paths(model: Model, state: State, steps: list[str], env: dict, path: list) -> list[X.Expr]:
    """Conditions (over the values before the event) of the paths that end
    illegal or in an error response."""
    if not steps:
        return []
    on, rest = steps[0], steps[1:]
    rows = [c.row for c in model.index.get((state, on), [])]
    if not rows:
        if on.startswith(SEGMENT + "/"):
            return _bad_paths(model, state, rest, env, path)
        return [X.all_of(*path) if path else X.TRUE]
    out = []
    earlier: list[X.Expr] = []
    for r in rows:
        g = X.substitute(r.when, env)
        here = path + [X.Not(e) for e in earlier] + [g]
        earlier.append(g)
        if r.error is not None:
            out.append(X.all_of(*here))
            continue
        if r.then != CONTINUE:
            continue
        new = dict(env)
        new.update({k: X.substitute(e, env) for k, e in r.set})
        nxt = r.target
        if r.goto is not None and r.goto is not state and r.goto in RESET_STATES:
            new = _fresh_env(new, r.goto)
        out += _bad_paths(model, nxt, rest, new, here)
    if not any(is_true(r.when) for r in rows):
        out.append(X.all_of(*(path + [X.Not(e) for e in earlier])))
    return out


def arrival_disabled(model: Model, state: State) -> list[X.Expr]:
    """[] when a segment arriving in `state` always moves (the usual case)."""
    if state in SINGLE_STEP_STATES:
        if _safe_step(model, state, SEGMENT):
            return []
        steps = [SEGMENT]
    else:
        if _safe_from(model, state, 0, {}):
            return []
        steps = [f"{SEGMENT}/{s}" for s in STEPS]
    env = {k: X.V(k) for k in X.ALL_VARS}
    return _bad_paths(model, state, steps, env, [])
