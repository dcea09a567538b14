"""Symbolic execution of the two-endpoint system (shared by the handshake and
close proofs, RFC 9293 3.5, 3.6): every interleaving of a reliable FIFO
network with symbolic ISS_A, ISS_B and windows, each user call once."""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from checker.proofs.claims import MAX_WINDOW, S, all_of, any_of, neg, ule
from checker.proofs.replay import (
    HexSegment,
    cfg_hex,
    cfg_json,
    concrete_event,
    event_json,
    event_of_kind,
    hexbrief,
    replay,
    sym_values,
    witness,
)
from checker.proofs.symbolic import RESET_STATES, Branch, Executor, SymConfig, boolean, evaluate_in
from model.events import Arrive
from model.machine import Model
from model.rows import Row
from model.state import State

SIDES = ("A", "B")


def peer_of(side: str) -> str:
    return "B" if side == "A" else "A"


@dataclass
class GNode:
    """A global state of the symbolic two-endpoint system: both endpoints,
    the segments in flight toward each (a reliable FIFO network), the user
    calls still to come, the proof's ghost bookkeeping and the path
    condition."""

    cfg: dict
    inbox: dict
    calls: dict
    ghost: dict
    pc: list
    parent: "GNode | None" = None
    move: tuple | None = None  # (side, kind, event, branch)
    depth: int = 0

    def key(self) -> tuple:
        """Equal keys: the same state (terms compared as written, the path
        condition as a set). Computed once: the node's identity."""
        k = self.__dict__.get("_key")
        if k is None:
            g = tuple(sorted((s, n, _gkey(v)) for s in self.ghost for n, v in self.ghost[s].items()))
            k = (tuple(self.cfg[s].key() for s in SIDES),
                 tuple(tuple(x.segment().key() + (tuple(sorted(x.flags)),) for x in self.inbox[s]) for s in SIDES),
                 tuple(self.calls[s] for s in SIDES), g,
                 tuple(sorted({boolean(c).sexpr() for c in self.pc})))
            self.__dict__["_key"] = k
        return k

    def path(self) -> list:
        out, n = [], self
        while n.parent is not None:
            out.append(n)
            n = n.parent
        return out[::-1]


def _gkey(v):
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, State):
        return v.value
    if isinstance(v, dict):
        return tuple(sorted((k, _gkey(x)) for k, x in v.items()))
    return v.sexpr()


@dataclass
class Scenario:
    """Who may call what (each call once, in any order, when `allowed`),
    under which assumptions, and the claims checked on every move and at
    every end of a path."""

    name: str
    start: dict  # side -> SymConfig
    calls: dict  # side -> tuple of event kinds
    facts: list
    named: dict  # printable name -> z3 term (the free values)
    send_len: dict = field(default_factory=dict)
    allowed: object = None  # (side, state, kind) -> bool
    on_move: object = None  # (parent, child, side, kind, event, branch) -> [(label, cond, row)]
    at_end: object = None  # (node) -> [(label, cond, row)]
    tags: object = None  # (node) -> set of tags of a finished path
    required: tuple = ()  # tags that must finish for every value of the free variables
    max_depth: int = 40


@dataclass
class Explored:
    nodes: int = 0
    edges: int = 0
    paths: int = 0
    terminals: int = 0
    tagged: dict = field(default_factory=dict)  # tag -> [pc of finished paths]
    violation: dict | None = None


class Violation(Exception):
    pass


def explore_symbolic(model: Model, scen: Scenario) -> Explored:
    """Every interleaving of user calls and deliveries, each delivery and
    call run through `checker.proofs.symbolic` (all branches). States met twice
    (same terms, same path condition) are expanded once; claims are about
    moves and path ends, so this covers every path."""
    ex = Executor(model, scen.facts)
    root = GNode(dict(scen.start), {s: () for s in SIDES}, {s: tuple(scen.calls.get(s, ())) for s in SIDES},
                 {s: {} for s in SIDES}, [])
    seen = {root.key(): root}
    children: dict = {}
    res = Explored()
    stack = [root]
    terminals = []
    while stack:
        n = stack.pop()
        nk = n.key()
        kids = []
        for side in SIDES:
            cfg = n.cfg[side]
            for kind in dict.fromkeys(n.calls[side]):
                if scen.allowed is not None and not scen.allowed(side, cfg.state, kind):
                    continue
                ev = event_of_kind(kind, scen.send_len.get(side))
                for br in ex.step(cfg, ev, n.pc):
                    if br.illegal or br.error is not None:
                        continue  # no row, or an error response: no move
                    rest = list(n.calls[side])
                    rest.remove(kind)
                    kids.append(_child(n, side, kind, ev, br, tuple(rest)))
            if n.inbox[side]:
                ev = Arrive(n.inbox[side][0].segment())
                for br in ex.step(cfg, ev, n.pc):
                    if br.illegal:
                        continue
                    kids.append(_child(n, side, "deliver", ev, br, n.calls[side]))
        children[nk] = []
        for child in kids:
            side, kind, ev, br = child.move
            claims = scen.on_move(n, child, side, kind, ev, br) if scen.on_move else []
            _check(scen, child, claims, res)
            if res.violation:
                return res
            ck = child.key()
            children[nk].append((ck, child))
            res.edges += 1
            if ck not in seen:
                if child.depth > scen.max_depth:
                    res.violation = _composed_cex(model, scen, child, f"a path longer than {scen.max_depth} "
                                                  "moves: not explored", None, witness(scen.facts, child.pc))
                    return res
                seen[ck] = child
                stack.append(child)
        if not kids:
            terminals.append(n)
            claims = scen.at_end(n) if scen.at_end else []
            _check(scen, n, claims, res)
            if res.violation:
                return res
            for t in (scen.tags(n) if scen.tags else ()):
                res.tagged.setdefault(t, []).append(n)
    res.nodes, res.terminals = len(seen), len(terminals)
    # paths: count the root-to-end paths of the graph of states, which must
    # be acyclic (a cycle is an endless exchange: infinitely many paths)
    indeg = {k: 0 for k in seen}
    for k in children:
        for ck, _ in children[k]:
            indeg[ck] += 1
    order, ready = [], [k for k, d in indeg.items() if d == 0]
    while ready:
        k = ready.pop()
        order.append(k)
        for ck, _ in children.get(k, []):
            indeg[ck] -= 1
            if indeg[ck] == 0:
                ready.append(ck)
    if len(order) < len(seen):
        res.violation = _cycle_cex(scen, seen, children, {k for k, d in indeg.items() if d > 0})
        return res
    npaths: dict = {}
    for k in reversed(order):
        kids = children.get(k, [])
        npaths[k] = 1 if not kids else sum(npaths[ck] for ck, _ in kids)
    res.paths = npaths[root.key()]
    # every required kind of path finishes, for every value of the free variables
    for tag in scen.required:
        nodes = res.tagged.get(tag, [])
        covered = any_of(*[all_of(*n.pc) for n in nodes]) if nodes else False
        m = witness(scen.facts, [neg(covered)])
        if m is not None:
            res.violation = _uncovered_cex(model, scen, tag, m)
            return res
    return res


def _child(n: GNode, side, kind, ev, br: Branch, calls) -> GNode:
    cfg = dict(n.cfg)
    cfg[side] = br.config
    inbox = dict(n.inbox)
    if kind == "deliver":
        inbox[side] = inbox[side][1:]
    other = peer_of(side)
    inbox[other] = inbox[other] + tuple(br.sent)
    c = dict(n.calls)
    c[side] = calls
    ghost = {s: dict(g) for s, g in n.ghost.items()}
    return GNode(cfg, inbox, c, ghost, n.pc + list(br.cond), n, (side, kind, ev, br), n.depth + 1)


def _check(scen: Scenario, node: GNode, claims, res: Explored) -> None:
    for label, cond, row in claims:
        if isinstance(cond, bool) and cond:
            continue
        if not isinstance(cond, bool) and z3.is_true(z3.simplify(cond)):
            continue
        m = witness(scen.facts, node.pc + [neg(cond)])
        if m is not None:
            res.violation = _composed_cex(None, scen, node, label, row, m)
            return


def trace_states(br: Branch, before: State) -> list[tuple[Row, State, State, dict]]:
    """(row, state before the row, state after, variables after) per fired row."""
    out, cur = [], before
    for row, st, env in br.trace:
        out.append((row, cur, st, env))
        cur = st
    return out


def _cycle_cex(scen: Scenario, seen: dict, children: dict, left: set) -> dict:
    """A path from the start into a cycle of states, and once round it."""
    k = next(iter(left))
    walk, at = [], {}
    while k not in at:  # follow edges inside the cyclic part until a state repeats
        at[k] = len(walk)
        ck, child = next((ck, c) for ck, c in children[k] if ck in left)
        walk.append(child)
        k = ck
    loop = walk[at[k]:]
    nodes = seen[k].path() + loop
    pc = [c for n in nodes for c in n.move[3].cond]
    m = witness(scen.facts, seen[k].pc + pc)
    return _composed_cex(None, scen, nodes, "every path ends: here the system returns to a state it was in "
                         "(an endless exchange)", loop[-1].move[3].fired[-1] if loop[-1].move[3].fired else None, m)


def _composed_cex(model, scen: Scenario, node, label: str, row, m) -> dict:
    """A two-endpoint counterexample: concrete free values from z3 model m,
    the events of the path (`node`: a GNode, or the list of nodes whose
    moves make the path), and (filled in by `finish_cex`) the ladder."""
    events = []
    for n in (node if isinstance(node, list) else node.path()):
        side, kind, ev, br = n.move
        if kind == "deliver":
            events.append({"side": side, "kind": "deliver", "segment": ev.segment.concrete(m)._asdict(),
                           "rows": [r.name for r in br.fired]})
        else:
            events.append({"side": side, **event_json(concrete_event(ev, m)),
                           "rows": [r.name for r in br.fired]})
    start = {s: cfg_json(scen.start[s].concrete(m)) for s in SIDES}
    why = f"{scen.name}: {label}"
    rowname = row.name if isinstance(row, Row) else row
    if rowname:
        why += f" (row {rowname})"
    return {"kind": "ladder", "why": why, "claim": label, "row": rowname, "scenario": scen.name,
            "values": sym_values(m, scen.named), "start": start, "events": events}


def _uncovered_cex(model, scen: Scenario, tag: str, m) -> dict:
    """No path of kind `tag` finishes for the values of model m: show the
    concrete run that makes every call as early as possible and delivers
    in turn (A first), through `model.step`."""
    start = {s: scen.start[s].concrete(m) for s in SIDES}
    cur, chan, calls = dict(start), {"A": [], "B": []}, {s: list(scen.calls.get(s, ())) for s in SIDES}
    events, last_row, culprit = [], None, None

    def note(out):
        nonlocal last_row, culprit
        if out is None:
            return
        for r in out.fired:
            last_row = r.name
            if culprit is None and (r.target in RESET_STATES and r.state not in RESET_STATES
                                    or any("RST" in e.flags for e in r.emit)):
                culprit = r.name  # the first row that gives the connection up

    for _ in range(4 * scen.max_depth):
        moved = False
        for side in SIDES:
            for kind in list(calls[side]):
                if scen.allowed is not None and not scen.allowed(side, cur[side].state, kind):
                    continue
                n = scen.send_len.get(side)
                ev = event_of_kind(kind, evaluate_in(m, n) if n is not None else None)
                out = model.try_step(cur[side], ev)
                if out is None or out.error is not None:
                    continue
                calls[side].remove(kind)
                cur[side] = out.config
                chan[peer_of(side)].extend(out.sent)
                events.append({"side": side, **event_json(ev), "rows": [r.name for r in out.fired]})
                note(out)
                moved = True
        for side in SIDES:
            if chan[side]:
                seg = chan[side].pop(0)
                out = model.try_step(cur[side], Arrive(seg))
                if out is not None:
                    cur[side] = out.config
                    chan[peer_of(side)].extend(out.sent)
                note(out)
                events.append({"side": side, "kind": "deliver", "segment": seg._asdict(),
                               "rows": [r.name for r in out.fired] if out else []})
                moved = True
        if not moved:
            break
    return {"kind": "ladder", "why": f"{scen.name}: for these values no path of kind '{tag}' finishes "
                                     f"(the run below ends {cur['A'].state} / {cur['B'].state})",
            "claim": f"a '{tag}' path finishes for all values", "row": culprit or last_row, "scenario": scen.name,
            "values": sym_values(m, scen.named), "start": {s: cfg_json(start[s]) for s in SIDES},
            "events": events}


def finish_cex(model: Model, cex: dict) -> dict:
    """Replay through `model.step` and draw the ladder (checker.generate.ladder)."""
    from checker.analysis.explore import Budget, Global, Step
    from checker.generate.ladder import ladder

    rep = replay(model, cex)
    vals = ", ".join(f"{k}={v}" for k, v in cex["values"].items())
    if "B" not in rep.start:  # one endpoint, arbitrary segments from the network
        lines = [f"values: {vals}", f"    {cfg_hex(rep.start['A'])}"]
        for i, (side, ev, out, a, _) in enumerate(rep.steps, 1):
            what = f"<-- {hexbrief(ev.segment)}" if isinstance(ev, Arrive) else str(ev)
            state = str(a.state) if out is not None else "(no row)"
            lines.append(f"{i:>3}. {state:<13} {what}   rows: {', '.join(r.name for r in out.fired) if out else '-'}")
            for x in (out.sent if out else ()):
                lines.append(f"{'':18}--> {hexbrief(x)}")
        lines.append(f"    -> {cfg_hex(rep.final('A'))}")
        if cex.get("row"):
            lines.append(f"row at fault: {cex['row']}; broken: {cex['claim']}")
        cex["text"] = "\n".join("    " + t for t in lines)
        return cex
    steps = []
    inflight = {"A": [], "B": []}
    b0 = Budget(0, 0, 0, 0)
    for (side, ev, out, a, b) in rep.steps:
        sent = tuple(HexSegment(*s) for s in out.sent) if out else ()
        rows = tuple(r.name for r in out.fired) if out else ()
        if isinstance(ev, Arrive):
            seg = HexSegment(*ev.segment)
            if inflight[side]:
                inflight[side].pop(0)
            st = Step("deliver", side, f"rcv {hexbrief(seg)}", seg, sent, rows)
        else:
            st = Step("call", side, str(ev), None, sent, rows)
        if out:
            inflight[peer_of(side)].extend(out.sent)
        g = Global(a, b if b is not None else a, tuple(inflight["B"]), tuple(inflight["A"]), b0, b0, 0)
        steps.append((st, g))
    start = rep.start
    g0 = Global(start["A"], start.get("B", start["A"]), (), (), b0, b0, 0)
    text = ladder(steps, g0)
    cex["text"] = f"    values: {vals}\n" + "\n".join("    " + t for t in text.splitlines())
    if cex.get("row"):
        cex["text"] += f"\n    row at fault: {cex['row']}; broken: {cex['claim']}"
    return cex


def two_endpoints(b_listens: bool = False, wnd_min: int = 0):
    """Endpoints A and B with symbolic ISS and receive windows."""
    iss = {s: z3.BitVec(f"ISS_{s}", 32) for s in SIDES}
    wnd = {s: z3.BitVec(f"RCV.WND_{s}", 32) for s in SIDES}
    start = {s: SymConfig.closed(iss[s], wnd[s]) for s in SIDES}
    if b_listens:
        start["B"] = SymConfig(S.LISTEN, {**start["B"].v, "PASSIVE": True})
    facts = []
    for s in SIDES:
        facts += [ule(wnd[s], MAX_WINDOW), ule(wnd_min, wnd[s])]
    named = {f"ISS_{s}": iss[s] for s in SIDES} | {f"RCV.WND_{s}": wnd[s] for s in SIDES}
    return iss, wnd, start, facts, named
