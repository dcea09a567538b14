"""Proof close (RFC 9293 3.6 Figures 12-13, 3.10.4, 3.10.7.4; MUST-13): FIN takes
one sequence number, the last ACK is FIN + 1, TIME-WAIT is entered only
after the peer's FIN is acknowledged, on every close path."""

from __future__ import annotations

import time

import z3

from checker.proofs.claims import FIN_RCVD, MAX_DATA, S, all_of, bit
from checker.proofs.twoside import (
    SIDES,
    Scenario,
    explore_symbolic,
    finish_cex,
    peer_of,
    trace_states,
    two_endpoints,
)
from checker.result import FAIL, PASS, CheckResult, check
from model.machine import Model
from model.seq import add, eq, ult

CLOSE_WHEN = (S.SYN_RECEIVED, S.ESTABLISHED, S.CLOSE_WAIT)  # CLOSE that sends a FIN (3.10.4)
SEND_WHEN = (S.ESTABLISHED, S.CLOSE_WAIT)  # SEND (3.10.2; DECISIONS)


def _close_scenario() -> Scenario:
    iss, wnd, start, facts, named = two_endpoints(b_listens=True, wnd_min=MAX_DATA)
    n = {s: z3.BitVec(f"SEND.LEN_{s}", 32) for s in SIDES}
    for s in SIDES:
        facts += [ult(0, n[s]), ult(n[s], MAX_DATA)]
        named[f"SEND.LEN_{s}"] = n[s]

    def allowed(side, state, kind):
        return {"OPEN-ACTIVE": state is S.CLOSED, "SEND": state in SEND_WHEN,
                "CLOSE": state in CLOSE_WHEN}[kind]

    def on_move(par, child, side, kind, ev, br):
        me, peer = side, peer_of(side)
        g, gp = child.ghost[me], child.ghost[peer]
        out = []
        before = par.cfg[me].state
        trace = trace_states(br, before)
        if kind == "CLOSE":
            g["closed in"] = before
        if kind == "SEND":
            g["sent"] = n[me]
            if before is S.CLOSE_WAIT:
                g["data after the peer's FIN"] = True
        for row, st0, st, env in trace:
            if st in FIN_RCVD and st0 not in FIN_RCVD:  # the peer's FIN is taken here
                fin = gp.get("fin")
                out.append(("the peer's FIN is taken at FIN + 1 (it occupies one number)",
                            fin is not None and eq(env["RCV.NXT"], add(fin, 1)), row))
                g["took FIN"] = True
            if st is S.CLOSING:
                g["passed CLOSING"] = True
        for s in br.sent:
            if "FIN" in s.flags:
                f = add(add(s.seq, bit("SYN" in s.flags)), s.data)
                env = trace[-1][3] if trace else par.cfg[me].v
                out.append(("a FIN occupies exactly one sequence number: SND.NXT = FIN + 1 after sending it",
                            eq(env["SND.NXT"], add(f, 1)), s.by))
                if g.get("fin") is not None:
                    out.append(("a FIN is always sent at the same number", eq(f, g["fin"]), s.by))
                g["fin"] = f
            if "ACK" in s.flags and g.get("took FIN"):
                out.append(("after the peer's FIN every ACK acknowledges FIN + 1",
                            gp.get("fin") is not None and eq(s.ack, add(gp["fin"], 1)), s.by))
                g["acked FIN"] = True
        for row, st0, st, env in trace:
            if st is S.TIME_WAIT and st0 is not S.TIME_WAIT:
                out.append(("TIME-WAIT is entered only when the peer's FIN has been acknowledged",
                            bool(g.get("took FIN") and g.get("acked FIN")), row))
                out.append(("TIME-WAIT is entered only when our FIN has been acknowledged",
                            eq(env["SND.UNA"], env["SND.NXT"]), row))
            if st in (S.TIME_WAIT, S.CLOSED) and st0 not in (S.TIME_WAIT, S.CLOSED):
                g["final"] = {k: env[k] for k in ("SND.UNA", "SND.NXT", "RCV.NXT")}
        return out

    def at_end(node):
        a, b = node.cfg["A"].state, node.cfg["B"].state
        done = (a in (S.CLOSED, S.TIME_WAIT) and b in (S.CLOSED, S.TIME_WAIT)
                and not node.inbox["A"] and not node.inbox["B"])
        last = node.move[3].fired[-1] if node.move and node.move[3].fired else None
        out = [("every close path ends with both sides CLOSED or in TIME-WAIT, network empty", done, last)]
        if not done:
            return out
        fa, fb = node.ghost["A"].get("final"), node.ghost["B"].get("final")
        if fa is None or fb is None:
            return out + [("both sides went through the close (FINs exchanged)", False, last)]
        out.append(("both agree at the end: A.SND.NXT = B.RCV.NXT",
                    eq(fa["SND.NXT"], fb["RCV.NXT"]), last))
        out.append(("both agree at the end: B.SND.NXT = A.RCV.NXT",
                    eq(fb["SND.NXT"], fa["RCV.NXT"]), last))
        for s, f in (("A", fa), ("B", fb)):
            sent = node.ghost[s].get("sent", 0)
            out.append((f"{s} at the end: SND.UNA = SND.NXT = ISS + 1 + data + 1 (SYN, data, FIN all acknowledged)",
                        all_of(eq(f["SND.UNA"], f["SND.NXT"]),
                               eq(f["SND.NXT"], add(add(iss[s], 2), sent))), last))
        return out

    def tags(node):
        fa, fb = node.ghost["A"].get("final"), node.ghost["B"].get("final")
        if fa is None or fb is None:
            return set()
        ca, cb = node.ghost["A"].get("closed in"), node.ghost["B"].get("closed in")
        t = set()
        if {ca, cb} == {S.ESTABLISHED, S.CLOSE_WAIT}:
            t.add("active/passive close")
        if ca is S.ESTABLISHED and cb is S.ESTABLISHED:
            t.add("simultaneous close")
        if node.ghost["A"].get("passed CLOSING") and node.ghost["B"].get("passed CLOSING"):
            t.add("simultaneous close through CLOSING")
        if node.ghost["A"].get("data after the peer's FIN") or node.ghost["B"].get("data after the peer's FIN"):
            t.add("half-close with data after the first FIN")
        return t

    return Scenario("close", start, {"A": ("OPEN-ACTIVE", "SEND", "CLOSE"), "B": ("SEND", "CLOSE")}, facts,
                    named, send_len=n, allowed=allowed, on_move=on_move, at_end=at_end, tags=tags,
                    required=("active/passive close", "simultaneous close", "simultaneous close through CLOSING",
                              "half-close with data after the first FIN"))


@check("close",
       "3.6 Figures 12-13, 3.10.4, 3.10.7.4; MUST-13 (FIN = one number; last ACK = FIN + 1)")
def prove_close(model: Model) -> CheckResult:
    """3.6 (Figures 12, 13), 3.6.1, 3.10.4, 3.10.7.4 eighth; MUST-13.
    Symbolic execution of every interleaving of the two-endpoint system
    (reliable FIFO network; ISS_A, ISS_B, both windows and both SEND
    lengths symbolic; B listening, A opening, each side SENDing once and
    CLOSing once, CLOSE in SYN-RECEIVED, ESTABLISHED or CLOSE-WAIT):
    - a FIN occupies exactly one sequence number: the sender's SND.NXT is
      FIN + 1 after sending it, and the receiver takes it at RCV.NXT =
      FIN + 1;
    - after taking the peer's FIN every ACK acknowledges FIN + 1;
    - TIME-WAIT is entered only when the peer's FIN has been acknowledged
      (and ours too);
    - every path ends with both sides CLOSED or in TIME-WAIT and the
      network empty, both agreeing on SND.NXT / RCV.NXT = ISS + 1 + data + 1;
    - for every value, active/passive, simultaneous (through CLOSING) and
      half-close with data after the first FIN each have a finished path.
    Assumption: each window holds a whole segment (2^16 =< RCV.WND =< 2^30;
    no retransmission happens here, so a segment must not be cut)."""
    t0 = time.perf_counter()
    name, ref = prove_close.check_name, prove_close.check_ref
    res = explore_symbolic(model, _close_scenario())
    stats = {"paths": res.paths, "states": res.nodes, "moves": res.edges,
             "finished": {k: len(v) for k, v in res.tagged.items()}}
    if res.violation:
        cex = finish_cex(model, res.violation)
        r = CheckResult(name, ref, FAIL, f"FAILED: {cex['why']}", time.perf_counter() - t0, stats)
        r.counterexample = cex
        return r
    return CheckResult(name, ref, PASS,
                       f"proved for all 2^32 ISS_A, ISS_B, windows and SEND lengths (symbolic execution of "
                       f"{res.paths} paths: active/passive, simultaneous, half-close)",
                       time.perf_counter() - t0, stats)
