"""Translation invariance of the rows (RFC 9293 3.4: rules compare sequence
numbers with each other, never with a fixed number), checked on the table
so that conform can cache steps on shifted configurations."""

from __future__ import annotations

from checker.traces.options import SYNC, S
from model.machine import Model

# --- translation invariance ---------------------------------------------------------
# Every rule of RFC 9293 compares sequence numbers with each other, never
# with a fixed number (3.4): shifting all of an endpoint's own sequence
# numbers (ISS, SND.UNA, SND.NXT, SEG.ACK of what it receives) by one
# constant and all of its peer's (IRS, RCV.NXT, SEG.SEQ) by another changes
# nothing but the numbers. Steps are then computed on configurations shifted
# to SND.NXT = RCV.NXT = 0, so that the connection's thousandth data segment
# meets the cached step of its first. The claim is checked on the rows (a
# small type system: own points, peer points, lengths) before it is used.
NORMALISED = frozenset(SYNC | {S.SYN_RECEIVED})
_OWN = {"ISS", "NEW.ISS", "SND.UNA", "SND.NXT", "SEG.ACK"}  # NEW.ISS: the ISN generator's next own number
_PEER = {"IRS", "RCV.NXT", "SEG.SEQ"}
_LEN = {"SND.WND", "RCV.WND", "SEG.LEN", "SEG.DATA", "SEG.WND", "SEND.LEN"}


def _ty(e) -> str:
    """'own', 'peer', 'len' or 'bool'; raises ValueError if `e` is not
    invariant under the two shifts."""
    from model import expr as X

    if isinstance(e, X.V):
        if e.name in _OWN:
            return "own"
        if e.name in _PEER:
            return "peer"
        if e.name in _LEN:
            return "len"
        return "bool"
    if isinstance(e, X.C):
        return "bool" if isinstance(e.value, bool) else "len"
    if isinstance(e, X.Bin):
        a, b = (_ty(x) for x in e.args)
        if e.op == "+":
            if "bool" in (a, b) or (a != "len" and b != "len"):
                raise ValueError(f"{e}: sum of two sequence numbers")
            return b if a == "len" else a
        if e.op == "-":
            if a == b and a in ("own", "peer", "len"):
                return "len"
            if b == "len" and a in ("own", "peer"):
                return a
            raise ValueError(f"{e}: difference of unrelated values")
        if e.op == "u<" and (a, b) != ("len", "len"):
            raise ValueError(f"{e}: unsigned comparison of sequence numbers")
        if a != b:
            raise ValueError(f"{e}: compares a {a} value with a {b} value")
        return "bool"
    if isinstance(e, (X.And, X.Or)):
        for a in e.args:
            _ty(a)
        return "bool"
    if isinstance(e, X.Not):
        _ty(e.arg)
        return "bool"
    if isinstance(e, X.Ite):
        _ty(e.cond)
        a, b = _ty(e.then), _ty(e.other)
        if a != b:
            raise ValueError(f"{e}: branches of different kinds")
        return a
    raise ValueError(f"{e!r}: unknown expression")


_WANT = {**{v: "own" for v in _OWN}, **{v: "peer" for v in _PEER}, **{v: "len" for v in _LEN}}


def row_problem(r) -> str | None:
    """None if the row is invariant under the two shifts; else why not."""
    try:
        _ty(r.when)
        for k, e in r.set:
            t = _ty(e)
            if _WANT.get(k, "bool") != t:
                raise ValueError(f"{k} := {e} changes kind")
        for em in r.emit:
            if _ty(em.seq) != "own" or _ty(em.data) != "len" or \
                    (em.ack is not None and _ty(em.ack) != "peer"):
                raise ValueError(f"emits {em}")
    except ValueError as err:
        return str(err)
    return None


def translation_invariant(model: Model) -> str | None:
    """None if every row of the synchronized states and SYN-RECEIVED is
    invariant under the shifts; else the first offending row and why."""
    for r in model.rows:
        if r.state not in NORMALISED:
            continue
        why = row_problem(r)
        if why is not None:
            return f"{r.name}: {why}"
    return None
