"""An answer's ladders as sequence diagrams (`faq --format svg|mermaid`,
`explain --format`), drawn by `checker.generate.sequence`: the variant's
counterexample as `verify --ladder-out` draws it, and each legal ladder of
an explain Run turned into the same normal form (kind, side, event,
segment, sent, A, B per step)."""

from __future__ import annotations

from checker.generate.sequence import Ladder, NoSequence, layout, sequence_dot, sequence_mermaid, sequence_of

KIND = {"call": "call", "timeout": "timeout", "deliver": "deliver", "lose": "lose", "inject": "old-syn"}


def run_ladder(r) -> Ladder:
    """An explain Run in the normal form of checker.generate.sequence (a
    crash is drawn as a note on its side)."""
    steps = []
    for st in r.steps:
        kind = KIND.get(st.act.kind, "call")
        seg = st.segment._asdict() if st.segment is not None else None
        steps.append({"kind": kind, "side": st.side, "event": st.what(), "segment": seg,
                      "sent": [s._asdict() for s in st.sent], "A": str(st.a.state), "B": str(st.b.state),
                      "rows": list(st.fired)})
    return Ladder((str(r.start_a.state), str(r.start_b.state)), steps)


def run_sequence(r, title: list[str]):
    return layout(run_ladder(r), title)


def answer_sequences(a) -> list[tuple[str, object]]:
    """(name, Sequence) of every picture of an answer: the counterexample
    first (when it is a sequence of steps), then the legal ladders."""
    out = []
    if a.main is not None and a.main.failed:
        try:
            out.append((f"{a.q.key}-{a.q.variant}", sequence_of(a.main, a.variant_model)))
        except NoSequence:
            pass
    for name, title, ref, r in a.ladders:
        out.append((f"{a.q.key}-{name}", run_sequence(r, [f"{title} (RFC 9293 {ref})", "model standard"])))
    return out


def draw(seq, fmt: str) -> str | bytes:
    """"mermaid" text or "svg" bytes (Graphviz's dot; DiagramError without it)."""
    if fmt == "mermaid":
        return sequence_mermaid(seq)
    from checker.generate.diagram import render

    return render(sequence_dot(seq), "svg")
