"""The composed two-endpoint system of `checker.analysis.explore` as one
Promela process, for Spin.

One explorer edge is one `d_step` of the process's one loop, and the state
vector holds exactly the explorer's global state (`explore.Global`): both
endpoints' configurations (`model.config.Config`), the two channels
(segments oldest first, or sorted with reordering, each with its ghost
tag, the sending incarnation),
both user budgets, the old-SYN flag and both ghosts (incarnation, peer
incarnation, last incarnation that ended by the TIME-WAIT timeout). Unused
channel slots and every scratch local are 0 between transitions, so two
explorer states are equal iff their Promela state vectors are: Spin's
"states stored" is the explorer's state count (a breadth-first pan, no
partial-order reduction). See `checker/generate/promela/README.md`.
"""

from __future__ import annotations

from checker.analysis.explore import OLD_SYN_DISTANCE
from checker.analysis.options import Options
from checker.generate.promela import checks as K
from checker.generate.promela import rows as R
from checker.generate.promela.expr import conj, const, disj, to_promela
from model.machine import Model
from model.state import State

SIDES = "AB"


def default_slots(o: Options) -> int:
    """Channel slots: a direction holds at most 2 x capacity segments of the
    current incarnations (a spontaneous move needs room, a reply is never
    refused) plus what earlier incarnations left; an overflow is reported
    as `channel-bound` (not checked), never silently cut."""
    return 2 * o.capacity + 1 + (o.opens - 1) * (o.capacity + 1)


def _names(e: str, newiss: str = "0") -> dict[str, str]:
    """Table variables read from the state vector (guards of transitions)."""
    out = {k: (f"ISSOF({e})" if f == "iss" else f"ep[{e}].{f}") for k, f in R.FIELDS.items()}
    out.update({"STATE": f"ep[{e}].st", "SEND.LEN": "1", "NEW.ISS": newiss})
    return out


def _seg_names(e: str, c: str, i: str, newiss: str) -> dict[str, str]:
    s = f"ch[{c}].s[{i}]"
    out = _names(e, newiss)
    out.update({"SEG.SEQ": f"{s}.seq", "SEG.ACK": f"{s}.ack", "SEG.DATA": f"{s}.data", "SEG.WND": f"{s}.wnd",
                "SEG.LEN": f"({s}.data + {s}.syn + {s}.fin)", "CTL.SYN": f"{s}.syn", "CTL.ACK": f"{s}.ackf",
                "CTL.FIN": f"{s}.fin", "CTL.RST": f"{s}.rst"})
    return out


SEG_FIELDS = ("seq", "ack", "syn", "ackf", "fin", "rst", "data", "wnd", "tag")


def _lex_less(a: str, b: str) -> str:
    """Segment a before segment b in the lexicographic order of SEG_FIELDS."""
    expr = "false"
    for f in reversed(SEG_FIELDS):
        expr = f"({a}.{f} < {b}.{f} || ({a}.{f} == {b}.{f} && {expr}))"
    return expr


class _Gen:
    """The transitions, written once for an endpoint E (its peer P): the
    `user` processes (one per endpoint) make the user calls and timeouts,
    the `net` processes (one per endpoint, channel slot I and ISS choice K;
    slot MAXCH is the old SYN) deliver, lose and duplicate segments. Every
    process is always at its loop head between transitions, so process
    counters add nothing to the state."""

    def __init__(self, model: Model, o: Options, names: list[str], slots: int):
        self.model, self.o, self.checks, self.slots = model, o, names, slots

    # -- pieces --------------------------------------------------------------
    def newiss(self, e: str, k: str) -> str:
        """The ISN generator's K-th choice for E's next TCB (explore.iss_choices)."""
        steps = [const(d) for d in self.o.steps()]
        d = steps[-1]
        for i in range(len(steps) - 2, -1, -1):
            d = f"({k} == {i} -> {steps[i]} : {d})"
        return f"(gh[{e}].inc == 0 -> CONF_ISS({e}) : ISSOF({e}) + {d})"

    def count(self, c: str, tag: str) -> str:
        return "(" + " + ".join(f"(ch[{c}].n > {i} && ch[{c}].s[{i}].tag == {tag} -> 1 : 0)"
                                for i in range(self.slots)) + ")"

    def macros(self) -> list[str]:
        o = self.o
        out = [f"#define CONF_ISS(x) ((x) == 0 -> {const(o.iss_a)} : {const(o.iss_b)})",
               "#define ISSOF(x) (issd[x] + CONF_ISS(x))  /* ISS is stored as its offset from the configured one */"]
        if o.opens > 1:
            out.append(f"#define OWN(x) {self.count('x', 'gh[x].inc')}")
            out.append(f"#define THEIRS(x) {self.count('1 - (x)', 'gh[1 - (x)].inc')}")
        else:
            out += ["#define OWN(x) ch[x].n", "#define THEIRS(x) ch[1 - (x)].n"]
        out.append("#define ROOM(x) (THEIRS(x) <= CAP -> (OWN(x) < CAP -> CAP - OWN(x) : 0) : 0)")
        if o.reordering:
            out.append("#define LT(c, i, j) " + _lex_less("ch[c].s[i]", "ch[c].s[j]"))
        out.append("#define FIFO(c, i) (" + (" && ".join(
            f"({j} >= (i) || ch[c].s[{j}].tag != ch[c].s[i].tag)" for j in range(self.slots)) or "true") + ")")
        return out

    def load(self, e: str) -> list[str]:
        return [f"  h_first = ch[{e}].n;",
                f"  e_st = ep[{e}].st; e_passive = ep[{e}].passive; e_iss = ISSOF({e}); e_irs = ep[{e}].irs;",
                f"  e_una = ep[{e}].una; e_nxt = ep[{e}].nxt; e_swnd = ep[{e}].swnd; e_rnxt = ep[{e}].rnxt; "
                f"e_rwnd = ep[{e}].rwnd;"]

    def take(self, c: str, i: str) -> list[str]:
        """Copy slot i of channel c into s_* (and its tag into h_tag), and remove it."""
        s = f"ch[{c}].s[{i}]"
        out = [f"  s_seq = {s}.seq; s_ack = {s}.ack; s_data = {s}.data; s_wnd = {s}.wnd; s_syn = {s}.syn;",
               f"  s_ackf = {s}.ackf; s_fin = {s}.fin; s_rst = {s}.rst; h_tag = {s}.tag; "
               "s_len = s_data + s_syn + s_fin;"]
        return out + self.remove(c, i)

    def remove(self, c: str, i: str) -> list[str]:
        nxt = f"ch[{c}].s[h_k + 1]"
        return [f"  h_k = {i};",
                "  do",
                f"  :: h_k + 1 < ch[{c}].n -> "
                + " ".join(f"ch[{c}].s[h_k].{f} = {nxt}.{f};" for f in SEG_FIELDS) + " h_k++",
                "  :: else -> break",
                "  od;",
                f"  ch[{c}].n--; "
                + " ".join(f"ch[{c}].s[ch[{c}].n].{f} = 0;" for f in SEG_FIELDS) + " h_k = 0;"]

    def canonical(self, c: str) -> list[str]:
        """With reordering the order in a channel carries nothing (any
        segment may arrive or be lost next), so the explorer keeps each
        channel sorted (`space.sorted_channels`); so does the export, by
        an insertion sort after every append: two states equal up to the
        order of a channel are one state in both engines."""
        if not self.o.reordering:
            return []
        a, b = f"ch[{c}].s[h_k]", f"ch[{c}].s[h_k - 1]"
        swap = " ".join(f"h_sw = {a}.{f}; {a}.{f} = {b}.{f}; {b}.{f} = h_sw;" for f in SEG_FIELDS)
        return ["  h_k = 1;",
                "  do",
                f"  :: h_k >= ch[{c}].n -> break",
                f"  :: h_k < ch[{c}].n && LT({c}, h_k, h_k - 1) -> {swap}",
                "     if :: h_k > 1 -> h_k-- :: else -> skip fi",
                f"  :: h_k < ch[{c}].n && !LT({c}, h_k, h_k - 1) -> h_k++",
                "  od;",
                "  h_k = 0; h_sw = 0;"]

    def commit(self, e: str, arrival: bool, budget: str = "") -> list[str]:
        """Ghosts (explore._Space._ghost_after), write-back, sent segments
        tagged with the (new) incarnation, then the checks and the scratch reset."""
        out = K.delivery_flags(self.checks, e, self.o) if arrival else []
        old_reset = f"(ep[{e}].st == S_CLOSED || ep[{e}].st == S_LISTEN)"
        new_reset = "(e_st == S_CLOSED || e_st == S_LISTEN)"
        peer = (f"  :: else -> if :: f_irs -> gh[{e}].peer = h_tag :: else -> skip fi" if arrival else
                "  :: else -> skip")
        t = f"ch[{e}].s[ch[{e}].n]"
        out += [f"  if :: {old_reset} && !{new_reset} -> gh[{e}].inc++ :: else -> skip fi;",
                "  if",
                f"  :: {new_reset} ->",
                f"     if :: ep[{e}].st == S_TIME_WAIT && f_twt -> gh[{e}].waited = gh[{e}].inc :: else -> skip fi;",
                f"     gh[{e}].peer = 0",
                peer,
                "  fi;",
                f"  ep[{e}].st = e_st; ep[{e}].passive = e_passive; issd[{e}] = e_iss - CONF_ISS({e}); "
                f"ep[{e}].irs = e_irs;",
                f"  ep[{e}].una = e_una; ep[{e}].nxt = e_nxt; ep[{e}].swnd = e_swnd; ep[{e}].rnxt = e_rnxt; "
                f"ep[{e}].rwnd = e_rwnd;",
                "  h_k = h_first;",
                f"  do :: h_k < ch[{e}].n -> ch[{e}].s[h_k].tag = gh[{e}].inc; h_k++ :: else -> break od;"]
        out += self.canonical(e)
        if budget:
            out.append(f"  {budget};")
        out += self.finish(delivery=arrival)
        return out

    def finish(self, delivery: bool = False) -> list[str]:
        """Dump for trail replay (printed only by `spin -t`), the checks, scratch reset."""
        out = ["  dump();"]
        out += K.report("channel-bound", "f_over")
        if delivery:
            out += K.delivery_reports(self.checks)
        out += K.state_checks(self.checks)
        out.append("  scratch()")
        return out

    # -- transitions -----------------------------------------------------------
    def calls(self, e: str = "E") -> list[str]:
        o, m = self.o, self.model
        room = f"ROOM({e})"
        out = []
        items = []
        for k in range(len(o.steps())):
            extra = [] if k == 0 else [f"gh[{e}].inc > 0"]
            items.append((f"OPEN (active), ISS choice {k}", "OPEN-ACTIVE", self.newiss(e, str(k)),
                          [f"bu[{e}].opens > 0"] + extra, f"bu[{e}].opens--"))
        items.append(("OPEN (passive)", "OPEN-PASSIVE", f"ISSOF({e})", [f"bu[{e}].opens > 0"], f"bu[{e}].opens--"))
        items.append(("SEND (1 octet)", "SEND", f"ISSOF({e})", [f"bu[{e}].octets > 0"], f"bu[{e}].octets--"))
        items.append(("CLOSE", "CLOSE", f"ISSOF({e})", [], ""))
        if o.abort:
            items.append(("ABORT", "ABORT", f"ISSOF({e})", [], ""))
        items.append(("RETRANSMISSION TIMEOUT", "RETRANSMISSION-TIMEOUT", f"ISSOF({e})", [], ""))
        if o.abort:
            items.append(("USER TIMEOUT", "USER-TIMEOUT", f"ISSOF({e})", [], ""))
        for what, kind, newiss, conds, budget in items:
            en = R.call_enabled(m, kind, _names(e, newiss), room)
            guard = conj([f"{room} > 0"] + conds + [en])
            if guard == "false":
                continue
            out.append(f"  /* {what} (3.10) */")
            out.append(f"  :: d_step {{ {guard} ->")
            out += self.load(e)
            out.append(f"  x_newiss = {newiss}; x_sendlen = 1;")
            out += R.event_code(m, kind, f"ep[{e}]")
            out += R.final_ack(f"ep[{e}]")
            out += self.commit(e, False, budget)
            out.append("  }")
        tw = R.call_enabled(m, "TIME-WAIT-TIMEOUT", _names(e), "255")
        if tw != "false":
            out.append("  /* TIME-WAIT TIMEOUT, only with the network empty (3.4.2, MUST-13) */")
            out.append(f"  :: d_step {{ ep[{e}].st == S_TIME_WAIT && ch[0].n == 0 && ch[1].n == 0 && {tw} ->")
            out += self.load(e)
            out.append(f"  x_newiss = ISSOF({e}); x_sendlen = 0;")
            out += R.event_code(m, "TIME-WAIT-TIMEOUT", f"ep[{e}]")
            out += R.final_ack(f"ep[{e}]")
            out += self.commit(e, False)
            out.append("  }")
        return out

    def legal(self, e: str, names: dict[str, str]) -> str:
        parts = []
        for s in State:
            bad = R.arrival_disabled(self.model, s)
            if bad:
                parts.append(f"!(ep[{e}].st == {R.STATE_NAMES[s]} && "
                             + disj([to_promela(b, names) for b in bad]) + ")")
        return conj(parts)

    def arrivals(self, e: str = "E", c: str = "P", i: str = "I", k: str = "K") -> list[str]:
        """Deliveries (slot I of the channel toward E, or the old SYN at I == MAXCH), loss, duplication."""
        o = self.o
        s = f"ch[{c}].s[{i}]"
        listen_syn = f"(ep[{e}].st == S_LISTEN && {s}.syn)"
        newiss_slot = f"({k} == 0 -> ({listen_syn} -> {self.newiss(e, '0')} : ISSOF({e})) : {self.newiss(e, k)})"
        slot_guard = conj([f"{i} < MAXCH", f"ch[{c}].n > {i}", "true" if o.reordering else f"FIFO({c}, {i})",
                           f"({k} == 0 || ({listen_syn} && gh[{e}].inc > 0))",
                           # the TCB bound (Options.tcbs, space.refused): the SYN stays in the channel
                           f"!({listen_syn} && gh[{e}].inc >= {o.tcbs})" if o.tcbs else "true",
                           self.legal(e, _seg_names(e, c, i, newiss_slot))])
        guards = [slot_guard]
        old_names = _names(e, self.newiss(e, k))
        old_names.update({"SEG.SEQ": f"(ISSOF({c}) - {OLD_SYN_DISTANCE})", "SEG.ACK": "0", "SEG.DATA": "0",
                          "SEG.WND": const(o.rcv_wnd), "SEG.LEN": "1", "CTL.SYN": "true", "CTL.ACK": "false",
                          "CTL.FIN": "false", "CTL.RST": "false"})
        if o.old_syn:
            guards.append(conj([f"{i} == MAXCH", "old", f"ep[{e}].st == S_LISTEN",
                                f"({k} == 0 || gh[{e}].inc > 0)", self.legal(e, old_names)]))
        out = ["  /* a segment arrives (3.10.7): from slot I of the channel toward E, or the old duplicate",
               "     SYN of an earlier incarnation of the peer (3.5 Figure 8) when I == MAXCH */",
               f"  :: d_step {{ {disj(guards)} ->",
               "  if",
               f"  :: {i} < MAXCH ->",
               f"  x_newiss = {newiss_slot};"]
        out += ["  " + line for line in self.take(c, i)]
        out += ["  :: else ->",
                f"     x_newiss = {self.newiss(e, k)};",
                f"     s_seq = ISSOF({c}) - {OLD_SYN_DISTANCE}; s_ack = 0; s_data = 0; s_wnd = {const(o.rcv_wnd)}; "
                "s_syn = 1;",
                "     s_ackf = 0; s_fin = 0; s_rst = 0; s_len = 1; h_tag = 0; old = 0",
                "  fi;"]
        out += self.load(e)
        out += R.arrival_code(self.model, f"ep[{e}]")
        out += R.final_ack(f"ep[{e}]")
        out += self.commit(e, True)
        out.append("  }")
        if o.loss:
            out.append("  /* the segment in slot I toward E is lost */")
            out.append(f"  :: d_step {{ {k} == 0 && {i} < MAXCH && ch[{c}].n > {i} ->")
            out += self.remove(c, i)
            out += self.finish()
            out.append("  }")
        if o.duplication:
            out.append("  /* the segment in slot I toward E is duplicated */")
            out.append(f"  :: d_step {{ {k} == 0 && {i} < MAXCH && ch[{c}].n > {i} && ch[{c}].n < CAP && "
                       f"ch[{e}].n <= CAP ->")
            out.append("  " + " ".join(f"ch[{c}].s[ch[{c}].n].{f} = {s}.{f};" for f in SEG_FIELDS)
                       + f" ch[{c}].n++;")
            out += self.canonical(c)
            out += self.finish()
            out.append("  }")
        return out
