"""A pan trail back through the table: the states `spin -t` prints along it
(the export's `dump()` lines) are matched, step by step, against the
successors the explorer's own step function (`explore._Space`) computes from
the table, so a Spin counterexample becomes the project's ladder, and a
state Spin reached that the table cannot is reported as an export bug,
never drawn."""

from __future__ import annotations

from checker.analysis.explore import Budget, Ghost, Global, _Space
from checker.analysis.options import Options
from model.config import Config
from model.events import Segment
from model.machine import Model
from model.seq import MASK
from model.state import State

STATES = list(State)


class ReplayError(Exception):
    """The trail does not follow the table (the message says where)."""


def parse_dumps(text: str) -> tuple[list[Global], list[tuple[str, str]]]:
    """The states dumped along a replay, and the (kind, check) reports
    (`@FAIL name` / `@REACH name`), each after the state it was made in."""
    states: list[Global] = []
    reports: list[tuple[str, str]] = []
    cur: dict = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith("@"):
            continue
        tag, *rest = line.split()
        if tag in ("@FAIL", "@REACH"):
            reports.append((tag[1:], rest[0] if rest else "?"))
            continue
        vals = [int(x) for x in rest]
        if tag == "@E":
            states.append(_global(cur))
            cur = {}
            continue
        if tag == "@O":
            cur["old"] = vals[0]
            continue
        e, vals = vals[0], vals[1:]
        side = cur.setdefault(e, {"segs": [], "tags": [], "flags": []})
        if tag == "@G":
            side["g"] = vals
        elif tag == "@V":
            side["v"] = vals
        elif tag == "@U":
            side["u"] = vals
        elif tag == "@H":
            side["h"] = vals
        elif tag == "@Q":
            side["segs"].append(vals)
        elif tag == "@F":
            side["flags"].append(vals)
    return states, reports


def _global(cur: dict) -> Global:
    def cfg(s):
        st, passive, iss, irs, una = s["g"]
        nxt, swnd, rnxt, rwnd = s["v"]
        return Config(STATES[st], bool(passive), iss & MASK, irs & MASK, una & MASK, nxt & MASK,
                      swnd & MASK, rnxt & MASK, rwnd & MASK)

    def chan(s):
        segs = tuple(Segment(seq & MASK, ack & MASK, bool(f[0]), bool(f[1]), bool(f[2]), bool(f[3]),
                             data & MASK, wnd & MASK)
                     for (seq, ack, data, wnd, _tag), f in zip(s["segs"], s["flags"]))
        return segs, tuple(q[4] for q in s["segs"])

    a, b = cur[0], cur[1]
    ab, tags_ab = chan(a)
    ba, tags_ba = chan(b)
    return Global(cfg(a), cfg(b), ab, ba, Budget(*a["u"]), Budget(*b["u"]), cur.get("old", 0),
                  tags_ab, tags_ba, Ghost(*a["h"]), Ghost(*b["h"]))


def _unordered(g: Global) -> Global:
    """`g` with each channel as a sorted multiset of (segment, tag): with
    reordering both engines keep channels sorted, each by its own order."""
    ab = sorted(zip(g.ab, g.tags_ab))
    ba = sorted(zip(g.ba, g.tags_ba))
    return g._replace(ab=tuple(s for s, _ in ab), tags_ab=tuple(t for _, t in ab),
                      ba=tuple(s for s, _ in ba), tags_ba=tuple(t for _, t in ba))


def steps_of(model: Model, opts: Options, states: list[Global]):
    """The explorer's (Step, Global) pairs along `states` (from the initial
    state), or ReplayError at the first state no step of the table reaches."""
    sp = _Space(model, opts)
    same = _unordered if sp.sorted_channels else (lambda g: g)
    c = sp.start()
    out = []
    for n, want in enumerate(states, 1):
        want = same(want)
        for label, h in sp.successors(c):
            got = sp.decode(h)
            if same(got) == want:
                out.append((sp.step_of(label), got))
                c = h
                break
        else:
            raise ReplayError(f"step {n} of the Spin trail reaches A={want.a.brief()}, B={want.b.brief()}, "
                              "which no step of the table reaches from the state before")
    return out, sp.decode(sp.start())
