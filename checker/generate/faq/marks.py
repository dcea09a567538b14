"""The ISN arithmetic of a ladder, marked the way textbooks write it: x is
A's ISS, y is B's, and a SEQ or ACK near one of them is written x+1, y+1
(RFC 9293 3.4: the SYN takes one number, so the first octet and the ACK of
the SYN are ISS+1). Used for the model's ladders (`faq syn-ack`) and for
the kernel's own segments (`explain --live`)."""

from __future__ import annotations

from model.seq import MASK

NEAR = 1 << 16  # a value this close above an ISN is written as an offset from it


def mark(value: int, x: int | None, y: int | None) -> str:
    """`value` as x, x+k, y or y+k (the nearer ISN below it), else "" (an
    ISN of None is unknown: a refused connection has no y)."""
    best = ""
    for name, base in (("x", x), ("y", y)):
        if base is None:
            continue
        d = (value - base) & MASK
        if d < NEAR and (not best or d < int(best[2:] or 0)):
            best = name if d == 0 else f"{name}+{d}"
    return best


def segment_marks(seq: int, ack: int | None, x: int | None, y: int | None) -> str:
    """"SEQ=x ACK=y+1" for one segment (ACK only when the ACK bit is on)."""
    out = [f"SEQ={mark(seq, x, y) or seq}"]
    if ack is not None:
        out.append(f"ACK={mark(ack, x, y) or ack}")
    return " ".join(out)


def run_marks(r, x: int, y: int) -> list[str]:
    """One line per segment sent in an explain Run: its brief and its marks."""
    out, n = [], 0
    for st in r.steps:
        for s in st.sent:
            n += 1
            arrow = "A -> B" if st.side == "A" else "B -> A"
            out.append(f"{arrow}  {s.brief():<40} {segment_marks(s.seq, s.ack if s.ackf else None, x, y)}")
    return out
