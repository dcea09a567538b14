"""Checks on the table itself, for all 32-bit values (z3).

Structural errors (unknown states or variables, bad expressions, duplicate
rows) are caught when the Model is built (`model.machine.validate`, exit 2).
Here, with z3 over the same expressions:
- rows-fire: every row can fire: its guard holds for some values while no
  earlier row of the same (state, event) holds (first match wins);
- complete: every segment is handled in every state and step (3.10.7), and
  every user call in every state (3.10.1-3.10.5);
- handshake-ack: a row that takes an endpoint out of SYN-SENT or
  SYN-RECEIVED on the strength of an ACK needs SEG.ACK = ISS + 1, the ACK of
  its SYN (3.10.7.3, 3.10.7.4; RFC 793 errata 3300/3301);
- one-endpoint graph (networkx): every state reachable from CLOSED, CLOSED
  reachable from every state.
"""

from __future__ import annotations

import time

import networkx as nx
import z3

from checker.analysis.rowfacts import ROW_FACT_CHECKS
from checker.result import FAIL, PASS, CheckResult, check
from checker.solving import satisfiable
from model import expr as X
from model.config import Config
from model.events import USER_KINDS, Arrive, Segment
from model.machine import PIPELINE_STATES, Model
from model.rows import SEGMENT, STEPS
from model.seq import add, eq, le
from model.state import State

S = State


def z3_env(prefix: str = "") -> dict:
    """One z3 constant per table variable (BitVec 32 or Bool)."""
    env = {}
    for name, kind in X.ALL_VARS.items():
        env[name] = z3.Bool(prefix + name) if kind == "bool" else z3.BitVec(prefix + name, 32)
    return env


def state_facts(state: State, v: dict) -> list:
    """What holds of the variables in `state` (3.10.1, 3.10.7.2-3): the
    assumptions under which rows are judged. Segments: SEG.LEN counts SYN
    and FIN (3.3.1); data fits in a 16-bit IPv4 datagram."""
    facts = [v["SEG.LEN"] == v["SEG.DATA"] + z3.If(v["CTL.SYN"], z3.BitVecVal(1, 32), 0)
             + z3.If(v["CTL.FIN"], z3.BitVecVal(1, 32), 0),
             z3.ULT(v["SEG.DATA"], 1 << 16), z3.ULE(v["RCV.WND"], 1 << 30)]
    if state in (S.SYN_SENT, S.SYN_RECEIVED):
        facts += [v["SND.UNA"] == v["ISS"], v["SND.NXT"] == add(v["ISS"], 1)]
    if state is S.SYN_RECEIVED:
        facts.append(v["RCV.NXT"] == add(v["IRS"], 1))
    if state in PIPELINE_STATES:
        facts.append(le(v["SND.UNA"], v["SND.NXT"]))
    return facts


def _fires(model: Model, key) -> list[tuple]:
    """[(row, z3 condition under which it fires)] for one (state, event)."""
    v = z3_env()
    out, earlier = [], []
    for c in model.index[key]:
        g = X.to_z3(c.row.when, v)
        g = g if isinstance(g, z3.BoolRef) else z3.BoolVal(bool(g))
        out.append((c.row, z3.And(g, *[z3.Not(e) for e in earlier]), v))
        earlier.append(g)
    return out


# What a key's rows decide depends on those rows alone (in their order, with
# their state): remembered while `checker.mutate.memo` is installed, so that
# `mutate`, whose mutants each change one row, asks z3 again only about the
# key whose rows changed. (Off otherwise: every other run asks z3 afresh.)
_DECIDED: dict | None = None


def remember(on: bool) -> None:
    global _DECIDED
    _DECIDED = {} if on else None


def _key_rows(model: Model, key) -> tuple:
    return tuple(c.row for c in model.index[key])


def _solver(facts) -> z3.Solver:
    s = z3.Solver()
    s.set("timeout", 10_000)
    s.add(*facts)
    return s


@check("rows-fire",
       "3.10 (every row of the table can fire)")
def check_rows_fire(model: Model) -> CheckResult:
    t0 = time.perf_counter()
    dead = []
    n = 0
    reach = pipeline_reach(model)
    for key in model.index:
        rows = _key_rows(model, key)
        n += len(rows)
        if key[1].startswith(SEGMENT + "/") and key not in reach:
            dead += rows  # no path through the steps leads here
            continue
        known = _DECIDED.get(("fire", rows)) if _DECIDED is not None else None
        if known is None:
            fires = _fires(model, key)
            s = _solver(state_facts(key[0], fires[0][2]))  # one solver per key: its rows share state and facts
            known = [row for row, cond, v in fires if not satisfiable(s, cond)]
            if _DECIDED is not None:
                _DECIDED[("fire", rows)] = known
        dead += known
    res = CheckResult(check_rows_fire.check_name, check_rows_fire.check_ref, PASS if not dead else FAIL,
                      f"{n} rows, {len(dead)} can never fire", time.perf_counter() - t0,
                      {"rows": n, "dead": [r.name for r in dead]})
    if dead:
        r = dead[0]
        unreached = r.on.startswith(SEGMENT + "/") and (r.state, r.on) not in reach
        why = (f"no step of 3.10.7.4 continues into ({r.state}, {r.on})" if unreached
               else f"earlier rows of ({r.state}, {r.on}) cover its guard '{r.when}'")
        res.counterexample = {"kind": "row", "why": f"row {model.row_index(r)} {r.describe()} can never fire: {why}",
                              "rows": [x.name for x in dead], "text": "\n".join(
                                  f"row {model.row_index(x)} {x.describe()}: guard {x.when}" for x in dead)}
    return res


def pipeline_reach(model: Model) -> set[tuple[State, str]]:
    """The (state, step) pairs that segment processing can reach: every
    3.10.7.4 state enters at the first step; a row that continues leads to
    the next step in the state it moved to. ("trim" may be left out: a
    missing trim step means no trimming.)"""
    reach = set()
    todo = [(st, 0) for st in PIPELINE_STATES]
    while todo:
        st, i = todo.pop()
        if i >= len(STEPS) or (st, i) in reach:
            continue
        reach.add((st, i))
        key = (st, SEGMENT + "/" + STEPS[i])
        if key not in model.index:
            if STEPS[i] == "trim":
                todo.append((st, i + 1))
            continue
        for c in model.index[key]:
            if c.row.then == "continue" and c.row.target in PIPELINE_STATES:
                todo.append((c.row.target, i + 1))
    return {(st, SEGMENT + "/" + STEPS[i]) for st, i in reach}


# User calls the model leaves out on purpose (model/DECISIONS.md: SEND
# before ESTABLISHED, which 3.10.2 would queue, is not modelled): having no
# row for them is no hole.
NOT_MODELLED: frozenset = frozenset()  # every (state, user call) has rows since the lifetimes issue


def _unhandled(model: Model, st: State, key) -> tuple | None:
    """(z3 model, variables) of an input no row of `key` handles, or None."""
    rows = _key_rows(model, key)
    if _DECIDED is not None and ("handled", st, rows) in _DECIDED:
        return None
    fires = _fires(model, key)
    v = fires[0][2]
    s = _solver(state_facts(st, v))
    s.add(z3.Not(z3.Or(*[c for _, c, _ in fires])))
    if satisfiable(s):
        return s.model(), v
    if _DECIDED is not None:
        _DECIDED[("handled", st, rows)] = True
    return None


@check("complete",
       "3.10.1-3.10.5, 3.10.7 (every (state, segment) and (state, user call) is handled)")
def check_complete(model: Model) -> CheckResult:
    """Every segment is handled: in CLOSED, LISTEN, SYN-SENT by some row; in
    the other states by some row in every step that processing can reach.
    Every user call (OPEN, SEND, CLOSE, ABORT) is handled in every state,
    if only by an error response (3.10.1-3.10.5). (Timeouts are not: a
    timer runs only where something is outstanding, 3.10.8.)"""
    t0 = time.perf_counter()
    missing = []
    holes = []
    reach = pipeline_reach(model)
    for st in State:
        keys = [(st, SEGMENT)] if st not in PIPELINE_STATES else \
            [(st, SEGMENT + "/" + s) for s in STEPS if s != "trim" and (st, SEGMENT + "/" + s) in reach]
        for key in keys:
            if key not in model.index:
                missing.append(key)
                continue
            hole = _unhandled(model, st, key)
            if hole:
                holes.append((key, _segment_from(*hole).brief()))
        # 3.10.1-3.10.5: every user call has a response in every state (an
        # action or an error such as "connection does not exist").
        for kind in USER_KINDS:
            key = (st, kind)
            if key in NOT_MODELLED and key not in model.index:
                continue
            if key not in model.index:
                missing.append(key)
                continue
            hole = _unhandled(model, st, key)
            if hole:
                holes.append((key, f"SEND.LEN={_val(*hole, 'SEND.LEN')}" if kind == "SEND" else "it"))
    ok = not missing and not holes
    res = CheckResult(check_complete.check_name, check_complete.check_ref, PASS if ok else FAIL,
                      f"{len(State)} states, {len(missing)} missing steps or calls, {len(holes)} unhandled inputs",
                      time.perf_counter() - t0)
    if not ok:
        lines = [f"no rows for ({st}, {on})" for st, on in missing]
        lines += [f"({st}, {on}) handles no row for {what}" for (st, on), what in holes]
        res.counterexample = {"kind": "rows", "why": lines[0], "text": "\n".join(lines)}
    return res


def _val(m, v, name):
    x = m.eval(v[name], model_completion=True)
    return bool(z3.is_true(x)) if X.ALL_VARS[name] == "bool" else x.as_long()


def _segment_from(m, v) -> Segment:
    return Segment(seq=_val(m, v, "SEG.SEQ"), ack=_val(m, v, "SEG.ACK"), syn=_val(m, v, "CTL.SYN"),
                   ackf=_val(m, v, "CTL.ACK"), fin=_val(m, v, "CTL.FIN"), rst=_val(m, v, "CTL.RST"),
                   data=_val(m, v, "SEG.DATA"), wnd=_val(m, v, "SEG.WND"))


def _config_from(m, v, state) -> Config:
    return Config(state, _val(m, v, "PASSIVE"), _val(m, v, "ISS"), _val(m, v, "IRS"),
                  _val(m, v, "SND.UNA"), _val(m, v, "SND.NXT"), _val(m, v, "SND.WND"),
                  _val(m, v, "RCV.NXT"), _val(m, v, "RCV.WND"))


@check("handshake-ack",
       "3.10.7.3, 3.10.7.4 (an ACK that moves a handshake on is ISS+1)")
def check_handshake_ack(model: Model) -> CheckResult:
    """Leaving SYN-SENT/SYN-RECEIVED for a synchronized state, or accepting a
    RST in SYN-SENT, on an ACK requires that ACK to be ISS + 1."""
    t0 = time.perf_counter()
    keys = [(S.SYN_SENT, SEGMENT), (S.SYN_RECEIVED, SEGMENT + "/ack")]
    bad = []
    n = 0
    for key in keys:
        for row, cond, v in _fires(model, key) if key in model.index else []:
            leaves = row.goto is not None and row.goto not in (S.SYN_SENT, S.SYN_RECEIVED, S.LISTEN)
            if not leaves:
                continue
            n += 1
            s = _solver(state_facts(row.state, v))
            s.add(cond, v["CTL.ACK"], z3.Not(eq(v["SEG.ACK"], add(v["ISS"], 1))))
            if satisfiable(s):
                m = s.model()
                cfg, seg = _config_from(m, v, row.state), _segment_from(m, v)
                bad.append((row, cfg, seg))
    res = CheckResult(check_handshake_ack.check_name, check_handshake_ack.check_ref,
                      PASS if not bad else FAIL, f"{n} rows leave SYN-SENT/SYN-RECEIVED, {len(bad)} accept a wrong ACK",
                      time.perf_counter() - t0)
    if bad:
        row, cfg, seg = bad[0]
        out = model.step(cfg, Arrive(seg))  # replay the z3 model concretely
        text = (f"    {cfg.state} ISS={cfg.iss:#010x} SND.UNA={cfg.snd_una:#010x} SND.NXT={cfg.snd_nxt:#010x}\n"
                f"  1. {out.config.state:<13} <-- {seg.brief()} <-- (peer)\n"
                f"     SEG.ACK={seg.ack:#010x} does not acknowledge the SYN (ISS+1={(cfg.iss + 1) & 0xFFFFFFFF:#010x}); "
                f"rows fired: {', '.join(r.name for r in out.fired)}")
        res.counterexample = {"kind": "step", "why": f"row {model.row_index(row)} {row.describe()} accepts SEG.ACK "
                                                      f"= {seg.ack:#x} with ISS = {cfg.iss:#x}",
                              "row": row.name, "config": cfg._asdict() | {"state": cfg.state.value},
                              "segment": seg._asdict(), "text": text}
    return res


def control_graph(model: Model) -> nx.MultiDiGraph:
    """One endpoint's control states, an edge per row that changes state."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(State)
    for r in model.rows:
        if r.error is None:
            g.add_edge(r.state, r.target, row=r.name)
    return g


@check("one-endpoint",
       "3.3.2 Figure 5 (all states reachable from CLOSED, CLOSED from all)")
def check_one_endpoint(model: Model) -> CheckResult:
    t0 = time.perf_counter()
    g = control_graph(model)
    unreached = [s for s in State if s is not S.CLOSED and not nx.has_path(g, S.CLOSED, s)]
    stuck = [s for s in State if not nx.has_path(g, s, S.CLOSED)]
    ok = not unreached and not stuck
    res = CheckResult(check_one_endpoint.check_name, check_one_endpoint.check_ref,
                      PASS if ok else FAIL,
                      f"{g.number_of_nodes()} states, {g.number_of_edges()} row edges",
                      time.perf_counter() - t0,
                      {"states": g.number_of_nodes(), "edges": g.number_of_edges(),
                       "unreachable": [str(s) for s in unreached], "cannot_close": [str(s) for s in stuck]})
    if not ok:
        lines = [f"{s} is not reachable from CLOSED" for s in unreached]
        lines += [f"CLOSED is not reachable from {s}" for s in stuck]
        res.counterexample = {"kind": "graph", "why": lines[0], "text": "\n".join(lines)}
    return res


TABLE_CHECKS = [check_rows_fire, check_complete, check_handshake_ack, check_one_endpoint, *ROW_FACT_CHECKS]
