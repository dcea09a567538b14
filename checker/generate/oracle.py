"""Test vectors computed by the table: for every row, concrete
(state, variables, input) -> (next state, segments sent) cases.

Where the cases come from (nothing is written by hand):
- configurations: every endpoint configuration reachable in the
  two-endpoint system (`checker.analysis.explore`, k=1, loss, an old duplicate SYN,
  ABORT and the user timeout, one octet of data each way) with ISS 2^32-1
  for A (its SYN wraps SND.NXT to 0, 3.4) and 0x7FFFFFFF for B; a few per
  state, of different shapes, plus the same with RCV.WND = 0 (Table 6's
  zero-window rows, 3.10.7.4);
- inputs: every user call (3.10.1-3.10.5) and timeout (3.10.8), and
  segments with every combination of the four control bits, SEQ at the
  window edges (RCV.NXT-1, RCV.NXT, RCV.NXT+1, RCV.NXT+RCV.WND-1,
  RCV.NXT+RCV.WND, IRS), ACK at the edges of the send space (ISS, ISS+1,
  SND.UNA-1, SND.UNA, SND.NXT, SND.NXT+1) and 0, 1 or RCV.WND+1 octets;
- each case is run through `Model.step`; for each row the cases in which it
  fired are ranked so that the chosen few cover the most boundary tags
  (wrap, window-left-edge, window-right-edge, outside-window, zero-window,
  ack-edge); then, for each row, one more case for every combination of
  truth values of the conditions its (state, event) tests (the atoms of
  the guards, 3.10.7.4 Table 6 among them) not yet among its cases, so
  that a guard that tests one condition wrongly meets a vector that
  tells; a row no explored configuration fires gets cases from
  configurations beside them, tagged "perturbed";
- seeds (`oracle_seeds.json`, tagged "seed"): inputs that told apart a
  table mutant which `verify` killed and the vectors above did not
  (`python -m checker mutate --seeds-out`): each a configuration and an
  input, its outcome computed by the table like every other vector.
The JSON follows checker/generate/schemas/oracle.schema.json.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from checker.analysis.explore import explore
from checker.analysis.options import Options
from model.config import Config
from model.events import Abort, Arrive, Close, Open, Receive, Segment, Send, Status, Timeout
from model.expr import Bin, Not, V, compile_expr, conditions
from model.machine import PIPELINE_STATES, IllegalEvent, Model, segment_env
from model.seq import MASK, add, sub
from model.state import State

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "schemas", "oracle.schema.json")
FORMAT, VERSION = "tcpcheck-oracle", 1
SEG_WND = 5  # the peer's advertised window in every input segment (distinct from RCV.WND)
CALLS = (Open(True), Open(False), Send(0), Send(1), Send(3), Send(9), Receive(), Status(), Close(), Abort(),
         Timeout("retransmission"), Timeout("user"), Timeout("time-wait"))
TAGS = ("wrap", "window-left-edge", "window-right-edge", "outside-window", "zero-window", "ack-edge",
        "perturbed", "seed")
SEEDS_PATH = os.path.join(os.path.dirname(__file__), "oracle_seeds.json")
EXPLORE = Options(capacity=1, loss=True, duplication=False, reordering=False, old_syn=True,
                  abort=True, data=1)


@dataclass
class Case:
    before: Config
    event: object
    outcome: object  # model.machine.Outcome, or None when illegal
    tags: tuple[str, ...]


def base_configs(model: Model, per_state: int = 3) -> list[Config]:
    """Reachable endpoint configurations, a few of each shape per state; one
    per state again with its sequence spaces moved away from the wrap (the
    table only compares sequence numbers modulo 2^32, so the moved copy is
    the same run with other ISSs); the pipeline states again with RCV.WND = 0."""
    exp = explore(model, EXPLORE)
    by_state: dict[State, dict[tuple, Config]] = {}
    for c in sorted(set(exp.space.cfgs), key=_cfg_key):
        shape = (c.passive, c.snd_una == c.snd_nxt, c.snd_una == c.iss, sub(c.snd_nxt, c.snd_una),
                 c.iss >= 1 << 31, c.rcv_nxt == add(c.irs, 1))
        by_state.setdefault(c.state, {}).setdefault(shape, c)
    out, moved, zero = [], [], []
    for st in State:
        cfgs = list(by_state.get(st, {}).values())
        out += cfgs[:per_state]
        if cfgs:
            moved.append(_moved(cfgs[0]))
        if st in PIPELINE_STATES and cfgs:
            zero.append(cfgs[0]._replace(rcv_wnd=0))
    # and the pipeline states with the receive window across 2^32 (3.4)
    wrapped = [_moved(c, WRAP_OWN, WRAP_PEER) for c in
               (list(by_state.get(st, {}).values())[:1] for st in PIPELINE_STATES) for c in c]
    return out + moved + zero + wrapped


OWN_BASE, PEER_BASE = 1000, 5000
WRAP_OWN, WRAP_PEER = MASK - 1, MASK - 2  # ISS, IRS just below 2^32: the windows wrap


def _moved(c: Config, own: int = OWN_BASE, peer: int = PEER_BASE) -> Config:
    """The configuration with ISS at `own` and (once known) IRS at `peer`."""
    d = sub(own, c.iss)
    if c.state in (State.CLOSED, State.LISTEN):
        return c._replace(iss=own)  # fresh TCB: only the ISS parameter
    c = c._replace(iss=own, snd_una=add(c.snd_una, d), snd_nxt=add(c.snd_nxt, d))
    if c.state is State.SYN_SENT:
        return c  # the peer's sequence space is not known yet
    e = sub(peer, c.irs)
    return c._replace(irs=peer, rcv_nxt=add(c.rcv_nxt, e))


def _perturbed(configs: list[Config], states: set[State]) -> list[Config]:
    """Configurations beside the reachable ones, for rows that no reachable
    configuration fires: SND.UNA moved back by 1 or 2, or to ISS."""
    out = []
    for c in configs:
        if c.state in states:
            for una in (sub(c.snd_nxt, 1), sub(c.snd_nxt, 2), c.iss):
                p = c._replace(snd_una=una)
                if p not in out and p not in configs:
                    out.append(p)
    return out


def _cfg_key(c: Config):
    return (list(State).index(c.state), c.passive, c.iss, c.irs, c.snd_una, c.snd_nxt, c.snd_wnd,
            c.rcv_nxt, c.rcv_wnd)


def segments_for(c: Config) -> list[Segment]:
    w = c.rcv_wnd
    seqs = dict.fromkeys([c.rcv_nxt, sub(c.rcv_nxt, 1), add(c.rcv_nxt, 1), sub(add(c.rcv_nxt, w), 1),
                          add(c.rcv_nxt, w), c.irs])
    acks = dict.fromkeys([c.iss, add(c.iss, 1), sub(c.snd_una, 1), c.snd_una, c.snd_nxt,
                          add(c.snd_nxt, 1)])
    datas = dict.fromkeys([0, 1, w + 1])
    out = []
    for seq in seqs:
        for data in datas:
            for f in range(16):
                syn, ackf, fin, rst = bool(f & 1), bool(f & 2), bool(f & 4), bool(f & 8)
                for ack in (acks if ackf else (0,)):
                    out.append(Segment(seq=seq, ack=ack, syn=syn, ackf=ackf, fin=fin, rst=rst,
                                       data=data, wnd=SEG_WND))
    return out


def _plus(a: int, b: int) -> int:
    return (a + b) & MASK  # model.seq.add on plain ints, without its type dispatch (hot loop)


def _minus(a: int, b: int) -> int:
    return (a - b) & MASK


def _tags(c: Config, event, out) -> tuple[str, ...]:
    tags = []
    nums = [c.iss, c.irs, c.snd_una, c.snd_nxt, c.rcv_nxt]
    if isinstance(event, Arrive):
        s = event.segment
        nums += [s.seq, _plus(s.seq, s.len), s.ack if s.ackf else c.snd_una]
    if out is not None:
        a = out.config
        nums += [a.snd_una, a.snd_nxt, a.rcv_nxt]
        for s in out.sent:
            nums += [s.seq, _plus(s.seq, s.len)] + ([s.ack] if s.ackf else [])
    if any(x >= MASK - 63 for x in nums) and any(x < 64 for x in nums):
        tags.append("wrap")
    if isinstance(event, Arrive) and c.state in PIPELINE_STATES:
        s, w = event.segment, c.rcv_wnd
        if s.seq == c.rcv_nxt:
            tags.append("window-left-edge")
        if w and (s.seq == _minus(_plus(c.rcv_nxt, w), 1) or
                  (s.len and _minus(_plus(s.seq, s.len), 1) == _minus(_plus(c.rcv_nxt, w), 1))):
            tags.append("window-right-edge")
        if s.seq in (_minus(c.rcv_nxt, 1), _plus(c.rcv_nxt, w)):
            tags.append("outside-window")
        if w == 0:
            tags.append("zero-window")
        if s.ackf and s.ack in (c.snd_una, c.snd_nxt, _plus(c.snd_nxt, 1)):
            tags.append("ack-edge")
    return tuple(tags)


def all_cases(model: Model, configs: list[Config]) -> list[Case]:
    out = []
    for c in configs:
        events = list(CALLS) + [Arrive(s) for s in segments_for(c)]
        for ev in events:
            try:
                res = model.step(c, ev)
            except IllegalEvent:
                res = None
            out.append(Case(c, ev, res, _tags(c, ev, res)))
    return out


def _choose(cands: list[Case], k: int) -> list[Case]:
    """Up to k cases: a plain one first, then each adding the most new tags."""
    chosen: list[Case] = []
    covered: set[str] = set()
    pool = list(cands)
    while pool and len(chosen) < k:
        if not chosen:
            best = min(pool, key=lambda c: len(c.tags))
        else:
            best = max(pool, key=lambda c: len(set(c.tags) - covered))
            if not set(best.tags) - covered and len(chosen) >= 2:
                break
        chosen.append(best)
        covered |= set(best.tags)
        pool.remove(best)
    return chosen


# --- JSON -------------------------------------------------------------------------

def config_json(c: Config) -> dict:
    return {"state": str(c.state), **c.env()}


def segment_json(s: Segment) -> dict:
    flags = [f for f, on in (("SYN", s.syn), ("ACK", s.ackf), ("FIN", s.fin), ("RST", s.rst)) if on]
    return {"seq": s.seq, "ack": s.ack, "flags": flags, "data": s.data, "wnd": s.wnd}


def event_json(ev) -> dict:
    if isinstance(ev, Arrive):
        return {"event": "SEGMENT", "segment": segment_json(ev.segment)}
    if isinstance(ev, Open):
        return {"event": "OPEN", "active": ev.active}
    if isinstance(ev, Send):
        return {"event": "SEND", "length": ev.length}
    if isinstance(ev, Timeout):
        return {"event": "TIMEOUT", "which": ev.which}
    return {"event": ev.kind}


def config_from_json(d: dict) -> Config:
    return Config(State(d["state"]), d["PASSIVE"], d["ISS"], d["IRS"], d["SND.UNA"], d["SND.NXT"],
                  d["SND.WND"], d["RCV.NXT"], d["RCV.WND"])


def event_from_json(d: dict):
    kind = d["event"]
    if kind == "SEGMENT":
        s = d["segment"]
        f = set(s["flags"])
        return Arrive(Segment(seq=s["seq"], ack=s["ack"], syn="SYN" in f, ackf="ACK" in f,
                              fin="FIN" in f, rst="RST" in f, data=s["data"], wnd=s["wnd"]))
    if kind == "OPEN":
        return Open(d["active"])
    if kind == "SEND":
        return Send(d["length"])
    if kind == "TIMEOUT":
        return Timeout(d["which"])
    return {"CLOSE": Close(), "ABORT": Abort(), "RECEIVE": Receive(), "STATUS": Status()}[kind]


def _vector(vid: str, row, case: Case) -> dict:
    out = case.outcome
    v = {"id": vid, "row": row.name if row is not None else None,
         "ref": row.ref if row is not None else "3.10: no row handles this event in this state",
         "tags": list(case.tags), "before": config_json(case.before), "input": event_json(case.event)}
    if out is None:
        v["expect"] = {"illegal": True}
    else:
        v["expect"] = {"illegal": False, "error": out.error, "after": config_json(out.config),
                       "sent": [segment_json(s) for s in out.sent],
                       "fired": [r.name for r in out.fired], "signals": list(out.signals),
                       "timers": [f"{a} {t}" for t, a in out.timers]}
    return v


def build(model: Model, per_row: int = 4) -> dict:
    """The oracle document for `model`."""
    configs = base_configs(model)
    cases = all_cases(model, configs)
    by_row = _by_row(cases)
    missing = {r.state for r in model.rows if r.name not in by_row}
    if missing:
        # Rows that no explored configuration fires (a new ACK in FIN-WAIT-2
        # needs data still unacknowledged there, which k=1 never leaves):
        # vectors from configurations beside the explored ones, tagged
        # "perturbed" (SND.UNA moved back; see _perturbed).
        extra = all_cases(model, _perturbed(configs, missing))
        for c in extra:
            c.tags = c.tags + ("perturbed",)
        for name, cands in _by_row(extra).items():
            by_row.setdefault(name, cands)
        cases += extra
    illegal: dict[tuple, Case] = {}
    for c in cases:
        if c.outcome is None and not isinstance(c.event, Arrive) and "perturbed" not in c.tags:
            illegal.setdefault((c.before.state, c.event.kind), c)
    vectors, uncovered = [], []
    for r in model.rows:
        cands = by_row.get(r.name)
        if not cands:
            uncovered.append(r.name)
            continue
        chosen = _choose(cands, per_row)
        chosen += _cover_conditions(model, r, cands, chosen)
        for i, case in enumerate(chosen):
            vectors.append(_vector(f"{r.name}/{i}", r, case))
    for (st, kind), case in sorted(illegal.items(), key=lambda kv: (list(State).index(kv[0][0]), kv[0][1])):
        vectors.append(_vector(f"illegal/{kind}@{st}", None, case))
    for i, (case, why) in enumerate(seed_cases(model)):
        fired = case.outcome.fired if case.outcome is not None else ()
        v = _vector(f"seed/{i}", fired[-1] if fired else None, case)
        v["why"] = why
        vectors.append(v)
    return {"format": FORMAT, "version": VERSION, "rfc": "RFC 9293", "model": model.name,
            "source": model.source, "rows": len(model.rows),
            "rows_covered": len(model.rows) - len(uncovered), "uncovered": uncovered,
            "generated_by": "python -m checker oracle --format json",
            "vectors": vectors}


def load_seeds(path: str = SEEDS_PATH) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)["seeds"]


def seed_cases(model: Model, path: str = SEEDS_PATH) -> list[tuple[Case, str]]:
    """The seeds' inputs, run through `model` (nothing expected is stored)."""
    out = []
    for sd in load_seeds(path):
        before, ev = config_from_json(sd["before"]), event_from_json(sd["input"])
        try:
            res = model.step(before, ev)
        except IllegalEvent:
            res = None
        out.append((Case(before, ev, res, _tags(before, ev, res) + ("seed",)), sd["why"]))
    return out


def _case_env(case: Case) -> dict:
    env = case.before.env()
    if isinstance(case.event, Arrive):
        env.update(segment_env(case.event.segment))
    if isinstance(case.event, Send):
        env["SEND.LEN"] = case.event.length & MASK
    return env


def _cover_conditions(model: Model, row, cands: list[Case], chosen: list[Case], limit: int = 48) -> list[Case]:
    """More cases of `row`: first one for each combination of the truth
    values of the conditions its (state, event or step) tests, each
    comparison also read unsigned (a vector on which the two readings differ
    tells the modulo-2^32 order of 3.4 from the plain one); then for each
    combination of those and the segment's control bits. At most `limit`."""
    conds = list(dict.fromkeys(c for r in model.rows if (r.state, r.on) == (row.state, row.on)
                               for c in conditions(r.when)))
    unsigned = [Bin("u<", c.args) if c.op == "<" else Not(Bin("u<", c.args[::-1]))
                for c in conds if isinstance(c, Bin) and c.op in ("<", "=<")]
    flags = [V(f) for f in ("CTL.SYN", "CTL.ACK", "CTL.FIN", "CTL.RST")] if row.on.startswith("SEGMENT") else []
    extra: list[Case] = []
    for tested in (conds + unsigned, conds + unsigned + flags):
        if not tested:
            continue
        fns = [compile_expr(c) for c in tested]

        def signature(case, fns=fns):
            env = _case_env(case)
            return tuple(bool(f(env)) for f in fns)

        seen = {signature(c) for c in chosen + extra}
        for case in cands:
            if len(extra) >= limit:
                return extra
            sig = signature(case)
            if sig not in seen and case not in chosen and case not in extra:
                seen.add(sig)
                extra.append(case)
    return extra


def _by_row(cases: list[Case]) -> dict[str, list[Case]]:
    by_row: dict[str, list[Case]] = {}
    for c in cases:
        if c.outcome is not None:
            for r in c.outcome.fired:
                by_row.setdefault(r.name, []).append(c)
    return by_row


def load_schema() -> dict:
    with open(SCHEMA_PATH) as f:
        return json.load(f)
