"""Is a surviving mutant a different protocol at all? z3 decides whether a
mutant has the same one-endpoint step relation as the table on every
configuration satisfying the endpoint invariant (RFC 9293 3.3.1, 3.3.2,
3.4; `checker.proofs.claims.endpoint_invariant`, which every reachable
configuration satisfies: proof row-soundness) and every event.

For each (state, event kind) whose rows the mutation touches (the rows
that processing in that state can consult: its own and, for the 3.10.7.4
pipeline, those of every state a continuing row can move to), both tables
are executed symbolically (`checker.proofs.symbolic`); the branches of each
partition the inputs, so the outcome of each table is one term per
observable (next state, illegal or not, error response, every variable,
every field of every segment sent) built as an if-then-else over its
branches. One z3 query asks for an input on which some observable differs:
`unsat` proves the mutant equivalent there; a model is a concrete
configuration and event on which the two tables differ, replayed through
both engines.

The invariant over-approximates reachability: a mutant that differs only on
configurations no run reaches is reported as differing (with the
configuration), and its equivalence needs an argument of its own.
"""

from __future__ import annotations

import time

import z3

from checker.proofs.endpoint import event_kinds, symbolic_endpoint, symbolic_event
from checker.proofs.replay import cfg_hex, concrete_event, hexbrief
from checker.proofs.symbolic import Executor, boolean, bv
from model import expr as X
from model.machine import PIPELINE_STATES, Model
from model.rows import CONTINUE, SEGMENT, STEPS
from model.state import State

FLAG_BITS = {"SYN": 1, "ACK": 2, "FIN": 4, "RST": 8}
_STATES = list(State)


def consulted(model: Model, state: State, kind: str) -> set[tuple]:
    """The (state, on) keys processing `kind` in `state` can look up."""
    if kind != SEGMENT:
        return {(state, kind)}
    if state not in PIPELINE_STATES:
        return {(state, SEGMENT)}
    keys, todo, seen = set(), [(state, 0)], set()
    while todo:
        st, i = todo.pop()
        if i >= len(STEPS) or (st, i) in seen:
            continue
        seen.add((st, i))
        key = (st, SEGMENT + "/" + STEPS[i])
        keys.add(key)
        for c in model.index.get(key, ()):
            nxt = c.row.target if c.row.then == CONTINUE else None
            if nxt is not None and nxt in PIPELINE_STATES:
                todo.append((nxt, i + 1))
        if key not in model.index:
            todo.append((st, i + 1))
    return keys


def _rows(model: Model, keys) -> dict:
    return {k: tuple(c.row for c in model.index.get(k, ())) for k in keys}


def affected(standard: Model, mutant: Model) -> list[tuple[State, str]]:
    out = []
    for st in State:
        for kind in sorted(set(event_kinds(standard, st)) | set(event_kinds(mutant, st))):
            keys = consulted(standard, st, kind) | consulted(mutant, st, kind)
            if _rows(standard, keys) != _rows(mutant, keys):
                out.append((st, kind))
    return out


def _outcome_terms(branches, errors: list, width: int) -> list:
    """Per branch: (condition, [observable terms]) in a fixed layout."""
    out = []
    for br in branches:
        cond = z3.And(*[boolean(c) for c in br.cond]) if br.cond else z3.BoolVal(True)
        if br.illegal:
            obs = [bv(1)] + [bv(0)] * (2 + len(X.TCB_VARS) + 1 + 5 * width)
        else:
            err = errors.index(br.error) if br.error in errors else len(errors)
            obs = [bv(0), bv(_STATES.index(br.config.state)), bv(err)]
            for k, kind in X.TCB_VARS.items():
                t = br.config.v[k]
                obs.append(z3.If(boolean(t), bv(1), bv(0)) if kind == "bool" else bv(t))
            obs.append(bv(len(br.sent)))
            for i in range(width):
                if i < len(br.sent):
                    s = br.sent[i]
                    obs += [bv(sum(FLAG_BITS[f] for f in s.flags)), bv(s.seq), bv(s.ack), bv(s.data), bv(s.wnd)]
                else:
                    obs += [bv(0)] * 5
        out.append((cond, obs))
    return out


def _select(parts, i):
    term = parts[-1][1][i]
    for cond, obs in reversed(parts[:-1]):
        term = z3.If(cond, obs[i], term)
    return term


def _wire_bounds(cfg, ev) -> list:
    """Windows and lengths a real endpoint can have: 16-bit windows (3.1),
    at most 2^16 - 1 octets in a segment or outstanding (what impl/ and a
    wire carry)."""
    limit = bv(0xFFFF)
    out = [z3.ULE(bv(cfg.v[k]), limit) for k in ("RCV.WND", "SND.WND") if k in cfg.v]
    if "SND.NXT" in cfg.v:  # what a retransmission resends fits in a segment
        out.append(z3.ULE(bv(cfg.v["SND.NXT"]) - bv(cfg.v["SND.UNA"]), limit))
    seg = getattr(ev, "segment", None)
    if seg is not None:
        out += [z3.ULE(bv(seg.wnd), limit), z3.ULE(bv(seg.data), limit)]
    length = getattr(ev, "length", None)
    if length is not None and not isinstance(length, int):
        out.append(z3.ULE(bv(length), limit))
    return out


def _differs(standard, mutant, state, kind, timeout_ms, wire: bool = False):
    cfg, facts = symbolic_endpoint(state)
    ev, efacts = symbolic_event(kind, cfg)
    facts = facts + efacts
    bs = Executor(standard, facts).step(cfg, ev)
    bm = Executor(mutant, facts).step(cfg, ev)
    errors = sorted({b.error for b in bs + bm if b.error is not None}, key=str)
    errors = [None] + errors
    width = max([len(b.sent) for b in bs + bm] + [0])
    ps, pm = _outcome_terms(bs, errors, width), _outcome_terms(bm, errors, width)
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    s.add(*[boolean(f) for f in facts if not (isinstance(f, bool) and f)])
    if wire:
        s.add(*_wire_bounds(cfg, ev))
    n = len(ps[0][1]) if ps else len(pm[0][1])
    s.add(z3.Or(*[_select(ps, i) != _select(pm, i) for i in range(n)]))
    r = s.check()
    if r == z3.unknown:
        return "unknown", s.reason_unknown()
    if r == z3.unsat:
        return "same", None
    m = s.model()
    return "differs", (cfg.concrete(m), concrete_event(ev, m))


def _observed(model, cfg, ev) -> dict:
    out = model.try_step(cfg, ev)
    if out is None:
        return {"illegal": True}
    return {"illegal": False, "state": str(out.config.state), "error": out.error,
            **{k: v for k, v in out.config.env().items()}, "sent": [hexbrief(x) for x in out.sent]}


def _difference(standard, mutant, cfg, ev) -> dict:
    a, b = _observed(standard, cfg, ev), _observed(mutant, cfg, ev)
    keys = [k for k in dict.fromkeys(list(a) + list(b)) if a.get(k) != b.get(k)]
    return {"config": cfg_hex(cfg) + f" SND.WND={cfg.snd_wnd:#010x}",
            "event": "rcv " + hexbrief(ev.segment) if hasattr(ev, "segment") else str(ev),
            "fields": keys, "table": {k: a.get(k) for k in keys}, "mutant": {k: b.get(k) for k in keys}}


def first_difference(standard: Model, mutant: Model, timeout_ms: int = 30_000, wire: bool = False) -> tuple:
    """(verdict, state, event kind, info) for the first (state, event kind)
    the mutation touches on which z3 does not prove the observable outcomes
    equal: "differs" (info: a configuration within the endpoint invariant
    and an event; with `wire`, also within 16-bit windows and segment
    lengths, for a vector impl/ and real stacks can replay) or "unknown"
    (info: z3's reason); ("same", None, None, None) when every one is
    proved equal."""
    for st, kind in affected(standard, mutant):
        verdict, info = _differs(standard, mutant, st, kind, timeout_ms, wire)
        if verdict != "same":
            return verdict, st, kind, info
    return "same", None, None, None


def equivalent(standard: Model, mutant: Model, timeout_ms: int = 30_000) -> dict:
    """{"equivalent": bool, ...}: proved the same step relation on every
    configuration satisfying the invariant, or where it differs."""
    t0 = time.perf_counter()
    pairs = affected(standard, mutant)
    res = {"method": "z3: same step relation on every configuration satisfying the endpoint invariant",
           "checked": [f"{st} {k}" for st, k in pairs], "equivalent": True, "differs": None}
    verdict, st, kind, info = first_difference(standard, mutant, timeout_ms)
    if verdict == "unknown":
        res.update(equivalent=False, undecided=f"{st} {kind}: z3 gave up ({info})")
    elif verdict == "differs":
        res.update(equivalent=False, differs=_difference(standard, mutant, *info))
    res["seconds"] = round(time.perf_counter() - t0, 3)
    return res
