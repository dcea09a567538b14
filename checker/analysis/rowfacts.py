"""Table checks on what rows tell the user and which timers they run
(structural, over the rows; no state space):
- user-signals (3.6 MUST-12, 3.10.7, 3.10.8): a connection that the remote
  side ends, by its FIN or by a RST, or that a timeout ends, tells the user
  which it was: every row that takes the peer's FIN signals "connection
  closing"; every row that deletes the TCB of an opened connection on a
  RST or a user timeout signals an abort; every row that ends a close
  normally (our FIN acknowledged in LAST-ACK, the TIME-WAIT timeout)
  signals "connection closed"; no row signals both or tells a normal close
  as an abort.
- timers (3.8.1, 3.10.8; MUST-13): every row that sends sequence space
  (SYN, FIN, data) starts the retransmission and user timers; every
  retransmission row restarts the retransmission timer; every row that
  enters TIME-WAIT starts 2MSL; a TIME-WAIT row that acknowledges the
  peer's FIN again restarts 2MSL ("acknowledge it, and restart the 2 MSL
  timeout"); a timeout row fires only in a state some row's timer reaches.
"""

from __future__ import annotations

import time

from checker.result import FAIL, PASS, CheckResult, check
from model.expr import Expr
from model.machine import Model
from model.rows import SEGMENT
from model.state import State

S = State
ABORTS = ("connection reset", "connection refused", "connection aborted due to user timeout")
NORMAL = "connection closed"
# The TCB of an opened connection: a user was there to be told (a passive
# SYN-RECEIVED going back to LISTEN had no user call yet: 3.10.7.4 "the user
# need not be informed").
OPENED = frozenset(State) - {S.CLOSED, S.LISTEN, S.TIME_WAIT}


def _reads(expr: Expr, name: str) -> bool:
    return name in expr.variables()


def _emits_seq_space(row) -> bool:
    return any(("SYN" in e.flags or "FIN" in e.flags or str(e.data) != "0") and "RST" not in e.flags
               for e in row.emit)


def _result(fn, bad: list[str], n: int, t0: float, what: str) -> CheckResult:
    res = CheckResult(fn.check_name, fn.check_ref, FAIL if bad else PASS,
                      f"{len(bad)} rows break it: {bad[0]}" if bad else f"{n} rows {what}",
                      time.perf_counter() - t0, {"rows": n, "broken": bad})
    if bad:
        res.counterexample = {"kind": "rows", "why": bad[0], "text": "\n".join(bad)}
    return res


@check("user-signals", "3.6 MUST-12; 3.10.7.3, 3.10.7.4, 3.10.8 (signal the user)")
def check_user_signals(model: Model) -> CheckResult:
    t0 = time.perf_counter()
    bad, n = [], 0
    for r in model.rows:
        if r.error is not None:
            continue
        seg = r.on.startswith(SEGMENT)
        deletes = r.goto in (S.CLOSED, S.LISTEN) and r.state in OPENED and r.goto is not r.state
        takes_fin = seg and r.on.endswith("/fin") and any(k == "RCV.NXT" for k, _ in r.set) \
            and _reads(r.when, "CTL.FIN")
        if takes_fin:
            n += 1
            if r.signal != "connection closing":
                bad.append(f"{r.name} takes the peer's FIN without signalling \"connection closing\" (3.10.7.4 "
                           f"eighth)")
        if deletes and seg and _reads(r.when, "CTL.RST") and not (r.state is S.SYN_RECEIVED and r.goto is S.LISTEN):
            n += 1
            if r.signal not in ABORTS:
                bad.append(f"{r.name}: a RST deletes the TCB in {r.state} and the user is not told of the abort "
                           f"(MUST-12)")
        if deletes and r.on == "USER-TIMEOUT":
            n += 1
            if r.signal not in ABORTS:
                bad.append(f"{r.name}: the user timeout deletes the TCB without \"connection aborted due to user "
                           f"timeout\" (3.10.8)")
        normal_end = (r.on == "TIME-WAIT-TIMEOUT") or (
            seg and r.state is S.LAST_ACK and r.goto is S.CLOSED and not _reads(r.when, "CTL.RST"))
        if normal_end:
            n += 1
            if r.signal != NORMAL:
                bad.append(f"{r.name} ends a normal close without signalling \"{NORMAL}\" (MUST-12)")
        if r.signal in ABORTS and normal_end:
            bad.append(f"{r.name} tells a normal close as an abort (MUST-12)")
    return _result(check_user_signals, bad, n, t0, "that end or half-close a connection tell the user how")


@check("timers", "3.8.1, 3.10.8; MUST-13 (rows start, restart, cancel the timers)")
def check_timers(model: Model) -> CheckResult:
    t0 = time.perf_counter()
    bad, n = [], 0
    started: dict[str, set] = {"retransmission": set(), "user": set(), "2MSL": set()}
    for r in model.rows:
        acts = dict(r.timers)
        for t, a in r.timers:
            if a in ("start", "restart"):
                started[t].add(r.target)
        if r.error is not None:
            continue
        if _emits_seq_space(r) and r.on != "RETRANSMISSION-TIMEOUT":
            n += 1
            if acts.get("retransmission") not in ("start", "restart"):
                bad.append(f"{r.name} sends sequence space without starting the retransmission timer (3.8.1)")
        if r.on == "RETRANSMISSION-TIMEOUT":
            n += 1
            if acts.get("retransmission") != "restart":
                bad.append(f"{r.name} retransmits without restarting the retransmission timer (3.10.8)")
        if r.target is S.TIME_WAIT and r.state is not S.TIME_WAIT:
            n += 1
            if acts.get("2MSL") != "start":
                bad.append(f"{r.name} enters TIME-WAIT without starting the 2 MSL timer (3.10.7.4; MUST-13)")
        if (r.state is S.TIME_WAIT and r.target is S.TIME_WAIT and r.on.startswith(SEGMENT)
                and _reads(r.when, "CTL.FIN") and r.emit):
            n += 1
            if acts.get("2MSL") != "restart":
                bad.append(f"{r.name} acknowledges the peer's FIN again in TIME-WAIT without restarting the 2 MSL "
                           f"timeout (3.10.7.4 TIME-WAIT)")
    fires = {"RETRANSMISSION-TIMEOUT": "retransmission", "USER-TIMEOUT": "user", "TIME-WAIT-TIMEOUT": "2MSL"}
    for r in model.rows:
        t = fires.get(r.on)
        if t and r.error is None and r.state not in _running(model, t, started[t]):
            bad.append(f"{r.name}: the {t} timer never runs in {r.state} (no row starts it on the way)")
    return _result(check_timers, bad, n, t0, "start, restart or leave the timers as 3.8.1 and 3.10.8 say")


def _running(model: Model, timer: str, starts: set) -> set:
    """States where `timer` may run: those a starting row enters, and those
    reached from them by rows that neither cancel it nor delete the TCB."""
    out, todo = set(starts), list(starts)
    while todo:
        st = todo.pop()
        for r in model.rows:
            if r.state is st and r.error is None and r.target not in out and r.target not in (S.CLOSED, S.LISTEN) \
                    and dict(r.timers).get(timer) != "cancel":
                out.add(r.target)
                todo.append(r.target)
    return out


ROW_FACT_CHECKS = [check_user_signals, check_timers]
