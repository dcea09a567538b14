"""Proof handshake (RFC 9293 3.4, 3.5 Figures 6-7, 3.10.7.2-3.10.7.4): the ACK of
a SYN is ISN + 1 and both sides agree on SND.NXT/RCV.NXT on every path to
ESTABLISHED, for all 2^32 ISS_A, ISS_B."""

from __future__ import annotations

import time

import z3

from checker.proofs.claims import MAX_DATA, MAX_WINDOW, S, all_of, neg, ule
from checker.proofs.endpoint import event_kinds, symbolic_segment
from checker.proofs.replay import cfg_json, concrete_event, event_json, event_of_kind, values_hex, witness
from checker.proofs.symbolic import Branch, Executor, SymConfig, segment_facts
from checker.proofs.twoside import (
    Scenario,
    explore_symbolic,
    finish_cex,
    peer_of,
    trace_states,
    two_endpoints,
)
from checker.result import FAIL, PASS, CheckResult, check
from model.events import Arrive
from model.machine import Model
from model.rows import SEGMENT
from model.seq import add, eq
from model.state import State


def _entered(br: Branch, before: State, target: State):
    """The first (row, variables) of a branch at which it enters `target`."""
    for row, st0, st, env in trace_states(br, before):
        if st is target and st0 is not target:
            return row, env
    return None


def _handshake_scenario(name: str, b_active: bool) -> Scenario:
    iss, wnd, start, facts, named = two_endpoints()

    def on_move(n, child, side, kind, ev, br):
        me, peer = side, peer_of(side)
        out = []
        for s in br.sent:
            if "SYN" in s.flags:
                out.append(("a SYN is sent at ISS with no data (DECISIONS: no data on SYN)",
                            all_of(eq(s.seq, iss[me]), eq(s.data, 0)), s.by))
            if "ACK" in s.flags:
                out.append(("the ACK of a SYN is its ISN + 1", eq(s.ack, add(iss[peer], 1)), s.by))
        hit = _entered(br, n.cfg[side].state, S.ESTABLISHED)
        if hit:
            row, env = hit
            if isinstance(ev, Arrive):
                seg = ev.segment
                out.append(("the segment completing the handshake acknowledges ISN + 1",
                            all_of(seg.ackf, eq(seg.ack, add(iss[me], 1))), row))
            out.append(("entering ESTABLISHED: SND.UNA = SND.NXT = ISS + 1",
                        all_of(eq(env["SND.UNA"], add(iss[me], 1)), eq(env["SND.NXT"], add(iss[me], 1))), row))
            out.append(("entering ESTABLISHED: IRS = peer's ISS, RCV.NXT = peer's ISS + 1",
                        all_of(eq(env["IRS"], iss[peer]), eq(env["RCV.NXT"], add(iss[peer], 1))), row))
        g = child.ghost[side]
        g["syn-received"] = bool(g.get("syn-received")) or any(st is S.SYN_RECEIVED for _, _, st, _ in
                                                               trace_states(br, n.cfg[side].state))
        a, b = child.cfg["A"], child.cfg["B"]
        if a.state is S.ESTABLISHED and b.state is S.ESTABLISHED:
            last = br.fired[-1] if br.fired else None
            out.append(("both ESTABLISHED: A.SND.NXT = B.RCV.NXT = ISS_A + 1",
                        all_of(eq(a.v["SND.NXT"], add(iss["A"], 1)), eq(b.v["RCV.NXT"], add(iss["A"], 1))), last))
            out.append(("both ESTABLISHED: B.SND.NXT = A.RCV.NXT = ISS_B + 1",
                        all_of(eq(b.v["SND.NXT"], add(iss["B"], 1)), eq(a.v["RCV.NXT"], add(iss["B"], 1))), last))
        return out

    def tags(n):
        a, b = n.cfg["A"], n.cfg["B"]
        if a.state is S.ESTABLISHED and b.state is S.ESTABLISHED and not n.inbox["A"] and not n.inbox["B"]:
            t = {"both ESTABLISHED"}
            if n.ghost["A"].get("syn-received") and n.ghost["B"].get("syn-received"):
                t.add("SYNs crossing (both through SYN-RECEIVED)")
            return t
        return set()

    return Scenario(name, start, {"A": ("OPEN-ACTIVE",), "B": ("OPEN-ACTIVE" if b_active else "OPEN-PASSIVE",)},
                    facts, named, on_move=on_move, tags=tags,
                    required=("both ESTABLISHED",) + (("SYNs crossing (both through SYN-RECEIVED)",)
                                                      if b_active else ()))


def _handshake_one_endpoint(model: Model) -> tuple[dict | None, int]:
    """Every simple path of one endpoint's control graph from CLOSED into
    ESTABLISHED, each arriving segment arbitrary (symbolic: an old
    duplicate, a forgery, the peer's): the segment that completes the
    handshake acknowledges ISS + 1 (3.10.7.3 fourth, 3.10.7.4 fifth; RFC 793
    errata 3300, 3301) and the variables are those of a fresh connection.
    Simple paths suffice: the rows that keep an endpoint in SYN-SENT or
    SYN-RECEIVED change none of SND.UNA, SND.NXT, IRS, RCV.NXT (proof 1,
    row-soundness, pins SND.UNA and SND.NXT there and proves IRS and
    RCV.NXT unchanged once the SYN is in)."""
    iss, wnd = z3.BitVec("ISS", 32), z3.BitVec("RCV.WND", 32)
    facts = [ule(wnd, MAX_WINDOW)]
    ex = Executor(model, facts)
    paths = 0
    handshake = (S.CLOSED, S.LISTEN, S.SYN_SENT, S.SYN_RECEIVED)

    def walk(cfg: SymConfig, pc, seen, events, depth, segfacts):
        nonlocal paths
        kinds = [k for k in event_kinds(model, cfg.state) if k in (SEGMENT, "OPEN-ACTIVE", "OPEN-PASSIVE")]
        for kind in kinds:
            if kind == SEGMENT:
                seg = symbolic_segment(cfg, f"s{depth}.")
                ev, more = Arrive(seg), segment_facts(seg, MAX_DATA)
            else:
                ev, more = event_of_kind(kind), []
            ex.solver.push()
            ex.solver.add(*more)
            try:
                for br in ex.step(cfg, ev, pc):
                    if br.illegal or br.error is not None:
                        continue
                    hit = _entered(br, cfg.state, S.ESTABLISHED)
                    evs = events + [ev]
                    if hit:
                        paths += 1
                        row, env = hit
                        claims = [("the segment completing the handshake acknowledges ISS + 1",
                                   all_of(isinstance(ev, Arrive), isinstance(ev, Arrive) and ev.segment.ackf,
                                          isinstance(ev, Arrive) and eq(ev.segment.ack, add(iss, 1))))]
                        claims.append(("entering ESTABLISHED: SND.UNA = SND.NXT = ISS + 1",
                                       all_of(eq(env["SND.UNA"], add(iss, 1)), eq(env["SND.NXT"], add(iss, 1)))))
                        claims.append(("entering ESTABLISHED: RCV.NXT = IRS + 1", eq(env["RCV.NXT"], add(env["IRS"], 1))))
                        for label, c in claims:
                            m = witness(facts + segfacts + more, pc + br.cond + [neg(c)])
                            if m is not None:
                                start = SymConfig.closed(iss, wnd).concrete(m)
                                cevs = [concrete_event(e, m) for e in evs]
                                return {"kind": "ladder", "why": f"one endpoint: {label} (row {row.name})",
                                        "claim": label, "row": row.name, "scenario": "one endpoint, any segments",
                                        "values": values_hex({"ISS": start.iss, "RCV.WND": start.rcv_wnd}),
                                        "start": {"A": cfg_json(start)},
                                        "events": [{"side": "A", **event_json(e)} for e in cevs]}
                        continue
                    nxt = br.config.state
                    if nxt in handshake and nxt not in seen and nxt is not S.CLOSED:
                        r = walk(br.config, pc + br.cond, seen | {nxt}, evs, depth + 1, segfacts + more)
                        if r:
                            return r
            finally:
                ex.solver.pop()
        return None

    cex = walk(SymConfig.closed(iss, wnd), [], {S.CLOSED}, [], 0, [])
    return cex, paths


@check("handshake",
       "3.4, 3.5 Figures 6-7, 3.10.7.2-3.10.7.4 (ACK of SYN = ISN + 1; agreed SND.NXT/RCV.NXT)")
def prove_handshake(model: Model) -> CheckResult:
    """3.4, 3.5 (Figures 6 and 7), 3.10.7.2-3.10.7.4. Symbolic execution of
    every interleaving of the two-endpoint system, client/server (A active,
    B passive) and simultaneous open (both active), over a reliable FIFO
    network, ISS_A, ISS_B and both windows symbolic:
    - every SYN is sent at its ISS, with no data; every ACK of a SYN is
      its ISN + 1 mod 2^32;
    - whoever enters ESTABLISHED does so on a segment acknowledging its
      ISS + 1, with SND.UNA = SND.NXT = ISS + 1, IRS = the peer's ISS and
      RCV.NXT = the peer's ISS + 1;
    - whenever both are ESTABLISHED: A.SND.NXT = B.RCV.NXT = ISS_A + 1 and
      B.SND.NXT = A.RCV.NXT = ISS_B + 1 (no data on SYNs in this model);
    - for every ISS_A, ISS_B some interleaving ends with both ESTABLISHED
      (for simultaneous open: one where the SYNs cross, Figure 7).
    And the one-endpoint paths of the control graph into ESTABLISHED with
    arbitrary segments (`_handshake_one_endpoint`)."""
    t0 = time.perf_counter()
    name, ref = prove_handshake.check_name, prove_handshake.check_ref
    stats = {}
    for scen in (_handshake_scenario("client/server", False), _handshake_scenario("simultaneous open", True)):
        res = explore_symbolic(model, scen)
        if res.violation:
            cex = finish_cex(model, res.violation)
            r = CheckResult(name, ref, FAIL, f"FAILED: {cex['why']}", time.perf_counter() - t0, stats)
            r.counterexample = cex
            return r
        stats[scen.name] = {"paths": res.paths, "states": res.nodes, "moves": res.edges}
    cex, n1 = _handshake_one_endpoint(model)
    stats["one endpoint"] = {"paths": n1}
    if cex:
        cex = finish_cex(model, cex)
        r = CheckResult(name, ref, FAIL, f"FAILED: {cex['why']}", time.perf_counter() - t0, stats)
        r.counterexample = cex
        return r
    total = sum(v["paths"] for v in stats.values())
    return CheckResult(name, ref, PASS,
                       f"proved for all 2^32 ISS_A, ISS_B (symbolic execution of {total} paths: "
                       + ", ".join(f"{k} {v['paths']}" for k, v in stats.items()) + ")",
                       time.perf_counter() - t0, stats)
