"""Properties of the closed two-endpoint system, checked on the reachable
global state graph built by `checker.analysis.explore` (its compact graph,
`checker.analysis.graph`, answers what networkx answered: the same
attracting components and the same shortest paths). A property of single
states reads each node's Pair (the endpoints and whether the network is
empty), evaluated once per distinct Pair."""

from __future__ import annotations

import time

from checker.analysis.explore import OLD, RESET, Exploration, is_final
from checker.analysis.space import _sets_irs, refusing
from checker.generate.ladder import ladder, ladder_json
from checker.result import FAIL, NA, PASS, CheckResult, check, not_checked
from model.events import Arrive, Timeout
from model.seq import add, le, lt
from model.state import SYNCHRONIZED, State

EST = State.ESTABLISHED
USER_TIMEOUT = Timeout("user")


def _evidence(exp: Exploration, path_nodes: list[int], why: str) -> dict:
    steps = exp.steps_along(path_nodes)
    return {"kind": "ladder", "why": why, "length": len(steps),
            "text": ladder(steps, exp.state(0)), "steps": ladder_json(steps)}


def _path(exp: Exploration, target: int) -> list[int]:
    return exp.compact.shortest_path(0, target)


def _first_bad(exp: Exploration, pred) -> int | None:
    """The node closest to the start whose Pair satisfies pred (BFS ids
    are in order of distance, so the first id found is a nearest one)."""
    return exp.first(pred)


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
    terminal = exp.compact.terminal()
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
       "3.10 (every attracting component holds a final state); 3.8.3 MUST-20 (R2)")
def check_livelock(exp: Exploration) -> CheckResult:
    """Every attracting component holds a final state. In a run without
    ABORT and user timeout, a component in which, in every state, a side of
    a half-open connection (3.5.1: the two TCBs are not one connection, one
    being synchronized with an incarnation the peer no longer has, or with
    none) waits for the ACK of what it retransmits is ended by R2 (3.8.3, MUST-20: excessive
    retransmission means "some failure of the remote host", so close the
    connection), which these runs do not draw: it is counted apart, not as
    a livelock, unless R2 = infinity (`Options.r2` False; MUST-21 lets an
    application choose it). Between endpoints synchronized with each
    other's current incarnations, retransmitting forever is a livelock of
    the table whatever R2 is. The runs with ABORT/user timeout draw the R2
    ending (the user timeout deletes the TCB as R2 does) and count every
    component."""
    t0 = time.perf_counter()
    comps = exp.compact.attracting_components()
    bad, by_r2 = [], []
    for comp in comps:
        if not any(is_final(exp.pair(n)) for n in comp):
            if len(comp) == 1 and exp.compact.out_degree(comp[0]) == 0:
                continue  # a dead end: reported by no-deadlock
            retransmits = not exp.opts.abort and all(_user_timer_runs(exp, exp.pair(n)) for n in comp)
            # R2 is for a half-open connection (3.5.1): the two TCBs are not one connection
            ended = retransmits and exp.opts.r2 and not any(paired(exp.pair(n)) for n in comp)
            (by_r2 if ended else bad).append((comp, retransmits))
    # With a TCB bound (Options.tcbs) a component may be a trap only because
    # the bound holds back a SYN: its way out is a run the bound cuts, so it
    # is no verdict either way.
    cut = [c for c in bad if exp.opts.tcbs and any(refusing(exp.opts, exp.state(n)) for n in c[0])]
    if cut:
        bad = [c for c in bad if c not in cut]
    if cut and not bad:
        return not_checked(check_livelock.check_name, check_livelock.check_ref,
                           f"{len(cut)} attracting components without a final state, each holding a state where "
                           f"the TCB bound (--max-tcbs {exp.opts.tcbs}) keeps a SYN from a listener: their way "
                           "out may be a run the bound cuts (raise --max-tcbs)", time.perf_counter() - t0,
                           run=exp.opts.label())
    why = ""
    target = None
    if bad:
        comp, retransmits = min(bad, key=lambda c: min(c[0]))
        target = min(comp)
        s = exp.state(target)
        why = (f"an attracting set of {len(comp)} states that never reaches a final state, "
               f"entered at A={s.a.brief()}, B={s.b.brief()}")
        if retransmits:
            why += (f"; in each of its states a side waits for an ACK of what it retransmits: only R2 "
                    f"(3.8.3, MUST-20) or the user timeout (3.10.8) would end it, and this run has neither "
                    f"(R2 = infinity, which MUST-21 lets an application choose); the run with "
                    f"ABORT/user timeout checks that they do")
    summary = f"{len(comps)} attracting components, {len(bad)} without a final state"
    if by_r2:
        summary += (f" but the {len(by_r2)} that only R2 ends (in each of their states a side of a half-open "
                    f"connection retransmits: 3.8.3, MUST-20; livelocks if R2 = infinity, MUST-21: --r2-infinite)")
    return _result(check_livelock.check_name, check_livelock.check_ref, exp, t0,
                   not bad, summary, target, why, {"attracting": len(comps), "bad": len(bad), "by_r2": len(by_r2)})


def _user_timer_runs(exp: Exploration, p) -> bool:
    """The table lets a user timeout fire for A or B (3.10.8: it runs while
    something is outstanding)."""
    model = exp.space.model
    return any(model.try_step(c, USER_TIMEOUT) is not None for c in (p.a, p.b))


@check("established-reachable",
       "3.5 Figure 6 (both sides reach ESTABLISHED)")
def check_established_reachable(exp: Exploration) -> CheckResult:
    t0 = time.perf_counter()
    hit = _first_bad(exp, lambda s: s.a.state is EST and s.b.state is EST)
    res = _result(check_established_reachable.check_name, check_established_reachable.check_ref, exp, t0,
                  hit is not None, "reached" if hit is not None else "never reached")
    if hit is not None:
        res.figures["shortest"] = exp.compact.distance(0, hit)
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
    checked = exp.count(lambda s: s.channels_empty())
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
        if s.a.state is not EST or s.b.state is not EST or not paired(s):
            return False
        if not (_agrees(s.a, s.b) and _agrees(s.b, s.a)):
            return True
        quiet = s.channels_empty() and s.a.snd_una == s.a.snd_nxt and s.b.snd_una == s.b.snd_nxt
        return quiet and (s.a.snd_nxt != s.b.rcv_nxt or s.b.snd_nxt != s.a.rcv_nxt)

    both = exp.count(lambda s: s.a.state is EST and s.b.state is EST and paired(s))
    bad = _first_bad(exp, bad_state)
    return _result(check_seq_agreement.check_name, check_seq_agreement.check_ref, exp, t0, bad is None, f"{both} states with both ESTABLISHED", bad,
                   "sequence numbers of the two sides disagree")


def paired(s) -> bool:
    """A and B are two ends of one incarnation pair: each TCB accepted the
    SYN of the other's current incarnation (ghosts of the explorer)."""
    return s.ghost_a.peer == s.ghost_b.inc and s.ghost_b.peer == s.ghost_a.inc and s.ghost_a.inc > 0


@check("isn-agreement", "3.4, 3.5 Figure 8 (ESTABLISHED => IRS = the ISS of a real peer incarnation)")
def check_isn_agreement(exp: Exploration) -> CheckResult:
    """Why three messages: an ESTABLISHED endpoint is synchronized with a
    real incarnation of its peer, never with an old duplicate SYN (3.5
    Figure 8, 3.4), and with the current one it agrees on the ISN. (An
    ESTABLISHED endpoint whose peer has since started a new incarnation is a
    half-open connection, 3.5.1, not a disagreement. FIN-WAIT-1 is no such
    witness: CLOSE in SYN-RECEIVED enters it unsynchronized.)"""
    t0 = time.perf_counter()

    def culprit(s):
        for x, y, gx, gy in ((s.a, s.b, s.ghost_a, s.ghost_b), (s.b, s.a, s.ghost_b, s.ghost_a)):
            if x.state is not EST:
                continue
            if gx.peer == OLD:
                return x, y, "synchronized with an old duplicate SYN"
            if gx.peer == gy.inc and x.irs != y.iss:
                return x, y, f"IRS={x.irs:#x}, but the peer's ISS is {y.iss:#x}"
        return None

    bad = _first_bad(exp, lambda s: culprit(s) is not None)
    why = ""
    if bad is not None:
        x, y, what = culprit(exp.state(bad))
        why = f"{x.state} {what}"
    return _result(check_isn_agreement.check_name, check_isn_agreement.check_ref, exp, t0,
                   bad is None, "old duplicate SYN " + ("injected" if exp.opts.old_syn else "not injected"),
                   bad, why)


@check("data-integrity", "3.3.1, 3.4, 3.4.1, 3.4.3, 3.6.1; MUST-8, MUST-13 (every octet delivered belongs to "
                         "the peer incarnation the TCB is synchronized with, in order, once)")
def check_data_integrity(exp: Exploration) -> CheckResult:
    """The octets (and the FIN) a TCB accepts are its peer's current
    stream, never a segment of an earlier incarnation still in the network
    (3.4: "prevent segments from one incarnation of a connection from being
    used while the same sequence numbers may still be present in the network
    from an earlier incarnation"): a ghost tag on every segment names the
    sending incarnation. In order and exactly once is RCV.NXT's contract
    (row-soundness proves the octets taken are the segment's, at RCV.NXT)."""
    t0 = time.perf_counter()
    name, ref = check_data_integrity.check_name, check_data_integrity.check_ref
    broken = exp.broken or []
    accepted = sum(1 for (_cfg, _code), hit in exp.space.trans.items()
                   if hit is not None and any(r.on.endswith("/text") and r.name.startswith("text-in-order")
                                              for r in hit[2].fired))
    o = exp.opts
    if o.opens == 1 and not o.old_syn:
        return CheckResult(name, ref, NA, "applies with two incarnations (--opens 2) or an old SYN",
                           run=o.label())
    if not broken:
        scope = ("new octets into a stale TCB and old SYNs" if o.capacity == 1 else
                 "old octets into a new TCB, new octets into a stale one, old SYNs")
        why = ("; old octets into a new TCB need --channel-capacity 2: at 1 no data of an incarnation is "
               "in flight when its sender opens again (a user call needs room)"
               if o.capacity == 1 and o.opens > 1 else "")
        return _result(name, ref, exp, t0, True,
                       f"{accepted} in-order deliveries, each from the peer incarnation the TCB is "
                       f"synchronized with (explored: {scope}){why}")
    u, v, what = broken[0]
    res = _result(name, ref, exp, t0, False, "old octets accepted into a new incarnation")
    res.counterexample = _evidence(exp, _path(exp, u) + [v], what)
    return res


@check("graceful-close",
       "3.6, 3.5.3; MUST-12, MUST-13 (no RST ends a synchronized connection without ABORT)")
def check_graceful_close(exp: Exploration) -> CheckResult:
    """Without ABORT and user timeout nobody gives up, so a synchronized
    connection must never be reset: it closes with FINs (3.6; MUST-12
    distinguishes the two endings; MUST-13 TIME-WAIT re-ACKs a lost FIN).
    One reset is the network's, not the protocol's: a LAST-ACK (or, after a
    simultaneous close, CLOSING) endpoint whose peer already left TIME-WAIT
    by its timeout, reset because the last
    ACK and then the retransmitted FINs were lost for longer than 2MSL (the
    two generals: no protocol can make both ends sure over a lossy channel;
    3.6.1's 2MSL makes it unlikely, the explorer's loss is unbounded). With
    loss it is counted, not a failure; without loss it is one."""
    t0 = time.perf_counter()
    name, ref = check_graceful_close.check_name, check_graceful_close.check_ref
    if exp.opts.abort:
        return CheckResult(name, ref, NA, "applies to the run without ABORT/user timeout",
                           run=exp.opts.label())
    def genuine(x, gx, gpeer) -> bool:
        # A genuine connection: x synchronized with the peer's current
        # incarnation, and the peer acknowledged x's SYN. (A user may
        # give up on a connection attempt with CLOSE in SYN-SENT,
        # 3.10.4; the peer's RST then is the right answer.)
        return (x.state in SYNCHRONIZED and x.state is not State.TIME_WAIT and gx.peer == gpeer.inc
                and gx.peer != OLD and x.snd_una != x.iss)

    lost_generals = 0
    for u in exp.where(lambda s: genuine(s.a, s.ghost_a, s.ghost_b) or genuine(s.b, s.ghost_b, s.ghost_a)):
        su = exp.pair(u)
        for v in exp.compact.successors(u):
            sv = exp.pair(v)
            for x, y, gx, gpeer in ((su.a, sv.a, su.ghost_a, su.ghost_b), (su.b, sv.b, su.ghost_b, su.ghost_a)):
                if y.state is State.CLOSED and genuine(x, gx, gpeer):
                    st = exp.steps_along([u, v])[0][0]
                    if st.segment is None or not st.segment.rst:
                        continue
                    if exp.opts.loss and x.state in (State.LAST_ACK, State.CLOSING) and gpeer.waited == gx.peer:
                        lost_generals += 1
                        continue
                    res = _result(name, ref, exp, t0, False, "a synchronized connection was reset")
                    path = _path(exp, u) + [v]
                    res.counterexample = _evidence(exp, path, f"{x.state} reset by {st.segment.brief()}")
                    return res
    extra = (f"; {lost_generals} resets of LAST-ACK/CLOSING after the peer's 2MSL (last ACK and FINs lost)"
             if lost_generals else "")
    return _result(name, ref, exp, t0, True, "no reset of a synchronized connection" + extra,
                   figures={"lost_after_time_wait": lost_generals})


@check("data-delivery", "3.3.1, 3.10.7.4 seventh and eighth (RCV.NXT passes only octets received, in order: what "
                        "the ACK covers was delivered)")
def check_data_delivery(exp: Exploration) -> CheckResult:
    """What a receiver acknowledges it has delivered (3.10.7.4 seventh: "it
    should be acknowledged" once in the user's buffers; 3.3.1: RCV.NXT is the
    next octet expected): every step that moves RCV.NXT of a synchronized
    TCB moves it across the segment just received, starting at or before
    RCV.NXT, never beyond the segment's end, so no octet the peer sent is
    acknowledged without having arrived. Checked on every one-endpoint
    transition the exploration took; the counterexample is the shortest
    path to one that skips octets."""
    t0 = time.perf_counter()
    name, ref = check_data_delivery.check_name, check_data_delivery.check_ref
    sp = exp.space
    bad, moved = {}, 0
    for (cfg, code), hit in sp.trans.items():
        ev = sp.events[code]
        if hit is None or not isinstance(ev, Arrive):
            continue
        old, new = sp.cfgs[cfg], sp.cfgs[hit[0]]
        if old.state in RESET or new.state in RESET or old.rcv_nxt == new.rcv_nxt or _sets_irs(hit[2]):
            continue
        moved += 1
        seg = ev.segment
        end = add(seg.seq, int(seg.syn) + seg.data + int(seg.fin))
        if not (le(seg.seq, old.rcv_nxt) and lt(old.rcv_nxt, new.rcv_nxt) and le(new.rcv_nxt, end)):
            bad[(cfg, code)] = (f"{old.state} RCV.NXT={old.rcv_nxt} moved to {new.rcv_nxt} on {seg.brief()}: "
                                f"the octets {old.rcv_nxt}..{(seg.seq - 1) & 0xFFFFFFFF} were never received, "
                                "yet the ACK covers them")
    if not bad:
        return _result(name, ref, exp, t0, True, f"{moved} moves of RCV.NXT, each across the segment received")
    res = _result(name, ref, exp, t0, False, f"RCV.NXT skipped octets never received ({len(bad)} transitions)")
    for u in range(exp.n_states):  # BFS order: the first such step is on a shortest path
        for label, h in sp.successors(exp.states[u]):
            key = (exp.states[u]["AB".index(label[1])], label[2])
            if label[0] in ("deliver", "dup", "old-syn") and key in bad:
                v = next(w for w in exp.graph.successors(u) if exp.states[w] == h)
                res.counterexample = _evidence(exp, _path(exp, u) + [v], bad[key])
                return res
    return res


COMPOSED_CHECKS = [check_deadlock, check_livelock, check_established_reachable, check_established_iff,
                   check_seq_agreement, check_isn_agreement, check_data_integrity, check_data_delivery,
                   check_graceful_close]

# Checks whose failure needs the whole graph (a dead end, a trap, an absence).
LIVENESS = (check_deadlock, check_livelock, check_established_reachable)
