"""Properties of the closed two-endpoint system, checked on the reachable
global state graph built by `checker.analysis.explore` (networkx)."""

from __future__ import annotations

import time

import networkx as nx

from checker.analysis.explore import Exploration, is_final
from checker.generate.ladder import ladder, ladder_json
from checker.result import FAIL, NA, PASS, CheckResult, check
from model.seq import le
from model.state import SYNCHRONIZED, State

EST = State.ESTABLISHED


def _evidence(exp: Exploration, path_nodes: list[int], why: str) -> dict:
    steps = exp.steps_along(path_nodes)
    return {"kind": "ladder", "why": why, "length": len(steps),
            "text": ladder(steps, exp.state(0)), "steps": ladder_json(steps)}


def _path(exp: Exploration, target: int) -> list[int]:
    return nx.shortest_path(exp.graph, 0, target)


def _first_bad(exp: Exploration, pred) -> int | None:
    """The node closest to the start for which pred(Global) holds (BFS ids
    are in order of distance, so the first id found is a nearest one)."""
    for i in range(exp.n_states):
        if pred(exp.state(i)):
            return i
    return None


def _result(name, ref, exp, t0, ok, summary, bad=None, why="", figures=None):
    res = CheckResult(name, ref, PASS if ok else FAIL, summary, time.perf_counter() - t0,
                      figures or {}, run=exp.opts.label())
    if not ok and bad is not None:
        res.counterexample = _evidence(exp, _path(exp, bad) if isinstance(bad, int) else bad, why)
    return res


@check("no-deadlock",
       "3.10 (every terminal state is CLOSED/LISTEN on both sides, network empty)")
def check_deadlock(exp: Exploration) -> CheckResult:
    t0 = time.perf_counter()
    g = exp.graph
    terminal = [n for n in g.nodes if g.out_degree(n) == 0]
    bad = [n for n in terminal if not is_final(exp.state(n))]
    why = ""
    if bad:
        s = exp.state(bad[0])
        why = (f"no move is possible in A={s.a.brief()}, B={s.b.brief()}, "
               f"in flight A->B {[x.brief() for x in s.ab]} B->A {[x.brief() for x in s.ba]}")
    return _result(check_deadlock.check_name, check_deadlock.check_ref,
                   exp, t0, not bad, f"{len(terminal)} terminal states, {len(bad)} improper",
                   bad[0] if bad else None, why, {"terminal": len(terminal), "improper": len(bad)})


@check("no-livelock",
       "3.10 (every attracting component holds a final state)")
def check_livelock(exp: Exploration) -> CheckResult:
    t0 = time.perf_counter()
    comps = list(nx.attracting_components(exp.graph))
    bad = []
    for comp in comps:
        if not any(is_final(exp.state(n)) for n in comp):
            if len(comp) == 1 and exp.graph.out_degree(next(iter(comp))) == 0:
                continue  # a dead end: reported by no-deadlock
            bad.append(comp)
    why = ""
    target = None
    if bad:
        comp = min(bad, key=lambda c: min(c))
        target = min(comp)
        s = exp.state(target)
        why = (f"an attracting set of {len(comp)} states that never reaches a final state, "
               f"entered at A={s.a.brief()}, B={s.b.brief()}")
    return _result(check_livelock.check_name, check_livelock.check_ref, exp, t0,
                   not bad, f"{len(comps)} attracting components, {len(bad)} without a final state",
                   target, why, {"attracting": len(comps), "bad": len(bad)})


@check("established-reachable",
       "3.5 Figure 6 (both sides reach ESTABLISHED)")
def check_established_reachable(exp: Exploration) -> CheckResult:
    t0 = time.perf_counter()
    hit = _first_bad(exp, lambda s: s.a.state is EST and s.b.state is EST)
    res = _result(check_established_reachable.check_name, check_established_reachable.check_ref, exp, t0,
                  hit is not None, "reached" if hit is not None else "never reached")
    if hit is not None:
        res.figures["shortest"] = len(_path(exp, hit)) - 1
        res.summary = f"reached in {res.figures['shortest']} steps"
    return res


@check("established-iff",
       "3.5, 3.3.2 (network empty: A ESTABLISHED iff B ESTABLISHED)")
def check_established_iff(exp: Exploration) -> CheckResult:
    """The TLA+ TCP spec's Inv. With loss (a lost final ACK) or a silent user
    timeout, one side may be ESTABLISHED while the other is not (3.5.1
    half-open connections), so the check applies to the other runs."""
    t0 = time.perf_counter()
    name, ref = check_established_iff.check_name, check_established_iff.check_ref
    if exp.opts.loss or exp.opts.abort:
        return CheckResult(name, ref, NA, "applies without loss and without ABORT/user timeout "
                           "(both leave half-open connections, 3.5.1)", run=exp.opts.label())
    bad = _first_bad(exp, lambda s: s.channels_empty() and ((s.a.state is EST) != (s.b.state is EST)))
    checked = sum(1 for i in range(exp.n_states) if exp.state(i).channels_empty())
    return _result(name, ref, exp, t0, bad is None, f"{checked} states with an empty network",
                   bad, "the network is empty but only one side is ESTABLISHED")


def _agrees(x, y) -> bool:
    """x's sent-but-unacknowledged range brackets what y has received."""
    return le(x.snd_una, y.rcv_nxt) and le(y.rcv_nxt, x.snd_nxt)


@check("seq-agreement", "3.3.1, 3.4 (both ESTABLISHED: SND.UNA =< peer RCV.NXT =< SND.NXT; "
                        "equal SND.NXT/RCV.NXT mod 2^32 when quiet)")
def check_seq_agreement(exp: Exploration) -> CheckResult:
    t0 = time.perf_counter()

    def bad_state(s):
        if s.a.state is not EST or s.b.state is not EST:
            return False
        if not (_agrees(s.a, s.b) and _agrees(s.b, s.a)):
            return True
        quiet = s.channels_empty() and s.a.snd_una == s.a.snd_nxt and s.b.snd_una == s.b.snd_nxt
        return quiet and (s.a.snd_nxt != s.b.rcv_nxt or s.b.snd_nxt != s.a.rcv_nxt)

    both = sum(1 for i in range(exp.n_states)
               if exp.state(i).a.state is EST and exp.state(i).b.state is EST)
    bad = _first_bad(exp, bad_state)
    return _result(check_seq_agreement.check_name, check_seq_agreement.check_ref, exp, t0, bad is None, f"{both} states with both ESTABLISHED", bad,
                   "sequence numbers of the two sides disagree")


@check("isn-agreement",
       "3.4, 3.5 Figure 8 (ESTABLISHED => IRS = peer's ISS)")
def check_isn_agreement(exp: Exploration) -> CheckResult:
    """Why three messages: an ESTABLISHED endpoint knows its peer's real ISN,
    even when an old duplicate SYN arrives (3.5 Figure 8, 3.4). (FIN-WAIT-1
    is no such witness: CLOSE in SYN-RECEIVED enters it unsynchronized.)"""
    t0 = time.perf_counter()

    def bad_state(s):
        return ((s.a.state is EST and s.a.irs != s.b.iss)
                or (s.b.state is EST and s.b.irs != s.a.iss))

    bad = _first_bad(exp, bad_state)
    why = ""
    if bad is not None:
        s = exp.state(bad)
        x, y = (s.a, s.b) if s.a.state is EST and s.a.irs != s.b.iss else (s.b, s.a)
        why = f"{x.state} with IRS={x.irs:#x}, but the peer's ISS is {y.iss:#x}"
    return _result(check_isn_agreement.check_name, check_isn_agreement.check_ref, exp, t0,
                   bad is None, "old duplicate SYN " + ("injected" if exp.opts.old_syn else "not injected"),
                   bad, why)


@check("graceful-close",
       "3.6, 3.5.3; MUST-12, MUST-13 (no RST ends a synchronized connection without ABORT)")
def check_graceful_close(exp: Exploration) -> CheckResult:
    """Without ABORT and user timeout nobody gives up, so a synchronized
    connection must never be reset: it closes with FINs (3.6; MUST-12
    distinguishes the two endings; MUST-13 TIME-WAIT re-ACKs a lost FIN)."""
    t0 = time.perf_counter()
    name, ref = check_graceful_close.check_name, check_graceful_close.check_ref
    if exp.opts.abort:
        return CheckResult(name, ref, NA, "applies to the run without ABORT/user timeout",
                           run=exp.opts.label())
    g = exp.graph
    for u in range(exp.n_states):
        su = exp.state(u)
        for v in g.successors(u):
            sv = exp.state(v)
            for x, y, peer in ((su.a, sv.a, su.b), (su.b, sv.b, su.a)):
                # A genuine connection: x knows the peer's real ISN and the peer
                # acknowledged x's SYN. (A user may give up on a connection
                # attempt with CLOSE in SYN-SENT, 3.10.4; the peer's RST then
                # is the right answer.)
                if (x.state in SYNCHRONIZED and y.state is State.CLOSED
                        and x.state is not State.TIME_WAIT and x.irs == peer.iss
                        and x.snd_una != x.iss):
                    st = exp.steps_along([u, v])[0][0]
                    if st.segment is not None and st.segment.rst:
                        res = _result(name, ref, exp, t0, False, "a synchronized connection was reset")
                        path = _path(exp, u) + [v]
                        res.counterexample = _evidence(exp, path, f"{x.state} reset by {st.segment.brief()}")
                        return res
    return _result(name, ref, exp, t0, True, "no reset of a synchronized connection")


COMPOSED_CHECKS = [check_deadlock, check_livelock, check_established_reachable, check_established_iff,
                   check_seq_agreement, check_isn_agreement, check_graceful_close]

# Checks whose failure needs the whole graph (a dead end, a trap, an absence).
LIVENESS = (check_deadlock, check_livelock, check_established_reachable)
