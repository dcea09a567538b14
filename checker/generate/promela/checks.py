"""Which of verify's checks on the two-endpoint system become Promela, and how.

Each exported check reports at most one violation per pan run (a C flag,
outside the state vector, remembers that it has fired), printing
`@FAIL <name>` (or `@REACH <name>` for a reachability witness) before its
`assert(false)`, so that one `pan -c0 -e` run checks them all and its
trails say which check each one breaks. Whether a check applies to the
options is the explorer's rule (`checker.analysis.composed`): the same n/a.
"""

from __future__ import annotations

from checker.analysis.options import Options

# name -> how it is exported (printed in the header and the README)
EXPORTED = {
    "no-deadlock": "a `timeout` transition (enabled only where nothing else is) asserts that both "
                   "endpoints are CLOSED/LISTEN and the network is empty (3.10)",
    "established-reachable": "a witness: reaching both ESTABLISHED fires `@REACH` (pan counts it as an "
                             "error; the report reads it as 'holds', its absence as FAILED) (3.5 Figure 6)",
    "established-iff": "state assertion: network empty => (A ESTABLISHED iff B ESTABLISHED) (3.5, 3.3.2)",
    "seq-agreement": "state assertion on paired ESTABLISHED endpoints (ghost incarnations): "
                     "SND.UNA =< peer RCV.NXT =< SND.NXT, equal when quiet (3.3.1, 3.4)",
    "isn-agreement": "state assertion: ESTABLISHED => synchronized with a real peer incarnation, "
                     "IRS = its ISS (3.4, 3.5 Figure 8)",
    "data-integrity": "assertion in each delivery: RCV.NXT advances only over octets of the peer "
                      "incarnation the TCB is synchronized with (ghost tags; 3.4, 3.4.3; MUST-8, MUST-13)",
    "graceful-close": "assertion in each delivery: no RST resets a genuine synchronized connection "
                      "(the lost-last-ACK reset after the peer's 2MSL counted, not failed, under loss) "
                      "(3.6, 3.5.3; MUST-12, MUST-13)",
}
NOT_EXPORTED = {
    "no-livelock": "every attracting component holds a final state is AG EF final, a branching-time "
                   "property; Spin checks linear-time (LTL/never claim) properties and non-progress "
                   "cycles, which would give a different answer",
    "coverage": "which rows and state changes the runs exercised is a figure of the explorer's "
                "transition cache, not a property of the model",
}
BITS = {name: 1 << i for i, name in enumerate(["no-deadlock", "established-reachable", "established-iff",
                                                "seq-agreement", "isn-agreement", "data-integrity",
                                                "graceful-close", "channel-bound"])}


def not_applicable(name: str, o: Options) -> str:
    """The explorer's n/a reason for `name` under `o` ("" when it applies)."""
    if name == "established-iff" and (o.loss or o.abort):
        return ("applies without loss and without ABORT/user timeout (both leave half-open "
                "connections, 3.5.1)")
    if name == "data-integrity" and o.opens == 1 and not o.old_syn:
        return "applies with two incarnations (--opens 2) or an old SYN"
    if name == "graceful-close" and o.abort:
        return "applies to the run without ABORT/user timeout"
    return ""


def exported_for(o: Options, wanted=None) -> list[str]:
    """The exported checks that apply to `o` (and are in `wanted`, if given)."""
    return [n for n in EXPORTED if not not_applicable(n, o) and (wanted is None or n in wanted)]


def report(name: str, bad: str, kind: str = "FAIL") -> list[str]:
    """Promela: report `name` once when `bad` holds."""
    bit = BITS[name]
    return [f"  if",
            f"  :: ({bad}) && c_expr {{ !(fmask & {bit}) }} ->",
            f"     c_code {{ fmask |= {bit}; }}; printf(\"@{kind} {name}\\n\"); assert(false)",
            f"  :: else -> skip",
            f"  fi;"]


def _est(e: int) -> str:
    return f"(ep[{e}].st == S_ESTABLISHED)"


def _le(a: str, b: str) -> str:
    return f"(({a} - {b}) <= 0)"


def state_checks(names: list[str]) -> list[str]:
    """The state assertions, evaluated on the state each transition enters."""
    out: list[str] = []
    empty = "(ch[0].n == 0 && ch[1].n == 0)"
    if "established-reachable" in names:
        out += report("established-reachable", f"{_est(0)} && {_est(1)}", "REACH")
    if "established-iff" in names:
        out += report("established-iff", f"{empty} && ({_est(0)} != {_est(1)})")
    if "seq-agreement" in names:
        paired = "(gh[0].peer == gh[1].inc && gh[1].peer == gh[0].inc && gh[0].inc > 0)"

        def agrees(x, y):
            return f"({_le(f'ep[{x}].una', f'ep[{y}].rnxt')} && {_le(f'ep[{y}].rnxt', f'ep[{x}].nxt')})"

        quiet = f"({empty} && ep[0].una == ep[0].nxt && ep[1].una == ep[1].nxt)"
        bad = (f"{_est(0)} && {_est(1)} && {paired} && (!({agrees(0, 1)} && {agrees(1, 0)}) || "
               f"({quiet} && (ep[0].nxt != ep[1].rnxt || ep[1].nxt != ep[0].rnxt)))")
        out += report("seq-agreement", bad)
    if "isn-agreement" in names:
        parts = [f"({_est(x)} && (gh[{x}].peer == 0 || (gh[{x}].peer == gh[{y}].inc && ep[{x}].irs != ISSOF({y}))))"
                 for x, y in ((0, 1), (1, 0))]
        out += report("isn-agreement", " || ".join(parts))
    return out


SYNC_STATES = ("S_ESTABLISHED", "S_FIN_WAIT_1", "S_FIN_WAIT_2", "S_CLOSE_WAIT", "S_CLOSING",
               "S_LAST_ACK", "S_TIME_WAIT")


def delivery_flags(names: list[str], e: str, o: Options) -> list[str]:
    """Before the delivery's effects are written back (ep[e], gh[] still
    hold the values before it; e_* the values after): set c_int / c_grace."""
    p = "P"
    out = []
    only = "I < MAXCH && "  # a delivery from a channel slot, not the old SYN
    reset_old = f"(ep[{e}].st == S_CLOSED || ep[{e}].st == S_LISTEN)"
    reset_new = "(e_st == S_CLOSED || e_st == S_LISTEN)"
    if "data-integrity" in names:
        out.append(f"  c_int = ({only}!{reset_old} && !{reset_new} && ep[{e}].rnxt != e_rnxt && !f_irs "
                   f"&& h_tag != gh[{e}].peer);")
    if "graceful-close" in names:
        sync = "(" + " || ".join(f"ep[{e}].st == {s}" for s in SYNC_STATES) + ")"
        generals = (f" && !((ep[{e}].st == S_LAST_ACK || ep[{e}].st == S_CLOSING) && gh[{p}].waited == gh[{e}].peer)"
                    if o.loss else "")
        out.append(f"  c_grace = ({only}s_rst && {sync} && e_st == S_CLOSED && ep[{e}].st != S_TIME_WAIT "
                   f"&& gh[{e}].peer == gh[{p}].inc && gh[{e}].peer != 0 && ep[{e}].una != ISSOF({e}){generals});")
    return out


def delivery_reports(names: list[str]) -> list[str]:
    out = []
    if "data-integrity" in names:
        out += report("data-integrity", "c_int")
    if "graceful-close" in names:
        out += report("graceful-close", "c_grace")
    return out
