"""Counterexamples drawn the way RFC 9293 draws its figures (3.5): two
columns for the endpoints' states, the segment in the middle, arrows for
departures (-->) and arrivals, ellipses for segments still in the network."""

from __future__ import annotations

from checker.analysis.explore import Global, Step

W = 44  # width of the middle column: "... <SEQ=2147483647><ACK=0><CTL=SYN,ACK> -->"


def _mid(text: str, direction: str, arrive: bool) -> str:
    if direction == "AB":
        return (f"... {text} -->" if arrive else f"--> {text} ...").center(W)
    return (f"<-- {text} ..." if arrive else f"... {text} <--").center(W)


def _short(what: str) -> str:
    return what.replace("RETRANSMISSION TIMEOUT", "retransmission timeout").replace(
        "TIME-WAIT TIMEOUT", "2MSL timeout").replace("USER TIMEOUT", "user timeout")


def ladder(steps: list[tuple[Step, Global]], start: Global | None = None) -> str:
    """The ladder; with several incarnations, a delivered segment's note
    names the sending incarnation (#k) and whether it came late."""
    show_inc = any(g.ghost_a.inc > 1 or g.ghost_b.inc > 1 for _, g in steps)
    lines = []
    if start is not None:
        lines.append(f"{'':4}{str(start.a.state):<13}{'':{W}}{start.b.state}")
    for n, (st, g) in enumerate(steps, 1):
        a, b = str(g.a.state), str(g.b.state)
        # a delivered, lost or duplicated segment is drawn in the middle: the note need not repeat it
        # a segment's arrival, loss or copy is drawn in the middle: the note only names, when
        # there are several incarnations, the sending one (#k) and whether it came late
        inc = f"#{st.tag}{' late' if st.late else ''}" if st.tag and show_inc else ""
        note = {"deliver": f"({inc})" if inc else "", "lose": f"(lost {inc})".replace(" )", ")"),
                "dup": f"(duplicated {inc})".replace(" )", ")")}.get(st.kind, f"({st.side}: {_short(st.what)})")
        if st.kind == "deliver":
            toward = "AB" if st.side == "B" else "BA"
            lines.append(f"{n:>3}. {a:<13}{_mid(st.segment.brief(), toward, True)}{b:<13} {note}")
            back = "BA" if st.side == "B" else "AB"
            for s in st.sent:
                lines.append(f"{'':5}{'':13}{_mid(s.brief(), back, False)}")
        elif st.kind in ("lose", "dup", "old-syn"):
            toward = "AB" if st.side == "B" else "BA"
            if st.kind == "old-syn":
                lines.append(f"{n:>3}. {a:<13}{_mid(st.segment.brief(), toward, True)}{b:<13} {note}")
                back = "BA" if st.side == "B" else "AB"
                for s in st.sent:
                    lines.append(f"{'':5}{'':13}{_mid(s.brief(), back, False)}")
            else:
                mark = "X" if st.kind == "lose" else "x2"
                lines.append(f"{n:>3}. {a:<13}{(mark + ' ' + st.segment.brief()).center(W)}{b:<13} {note}")
        else:  # call or timeout at st.side
            out = "AB" if st.side == "A" else "BA"
            if st.sent:
                for i, s in enumerate(st.sent):
                    head = f"{n:>3}. {a:<13}" if i == 0 else f"{'':5}{'':13}"
                    tail = f"{b:<13} {note}" if i == 0 else ""
                    lines.append(f"{head}{_mid(s.brief(), out, False)}{tail}")
            else:
                lines.append(f"{n:>3}. {a:<13}{'':{W}}{b:<13} {note}")
    return "\n".join(line.rstrip() for line in lines)


def ladder_json(steps: list[tuple[Step, Global]]) -> list[dict]:
    out = []
    for st, g in steps:
        out.append({"kind": st.kind, "side": st.side, "event": st.what, "incarnation": st.tag, "late": st.late,
                    "segment": st.segment._asdict() if st.segment else None,
                    "sent": [s._asdict() for s in st.sent], "rows": list(st.rows),
                    "A": g.a.state.value, "B": g.b.state.value,
                    "A_vars": _vars(g.a), "B_vars": _vars(g.b),
                    "in_flight": {"A->B": [s.brief() for s in g.ab], "B->A": [s.brief() for s in g.ba]}})
    return out


def _vars(c) -> dict:
    return {k: v for k, v in c.env().items()}
