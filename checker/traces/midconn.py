"""Placing an endpoint whose first captured segment does not open a connection
(a capture that starts mid-connection, or a side placed anew after a
violation): the RFC 9293 3.3.2 states that can send such a segment, with
SND.NXT and RCV.NXT read from it and SND.UNA as low as the comparison of 3.4
allows."""

from __future__ import annotations

from checker.traces.options import UNKNOWN, S
from checker.traces.seqint import add, sub
from model.config import Config
from model.events import Segment


def mid_connection(o: Segment, wnd: int) -> list[Config]:
    """The configurations an endpoint may be in just after sending `o`, its
    first segment in a capture that began after the connection did (3.3.2
    states that can send such a segment; SND.UNA unknown, so as low as
    the comparison of 3.4 allows)."""
    far = 1 << 30
    out = []
    if o.rst:
        return [Config(S.CLOSED, False, UNKNOWN, 0, 0, 0, 0, 0, wnd),
                Config(S.LISTEN, True, UNKNOWN, 0, 0, 0, 0, 0, wnd)]
    if o.syn and not o.ackf:
        return [Config(S.SYN_SENT, False, o.seq, 0, o.seq, add(o.seq, 1), 0, 0, wnd)]
    if not o.ackf:
        return []
    rn = o.ack
    if o.syn:
        return [Config(S.SYN_RECEIVED, p, o.seq, sub(rn, 1), o.seq, add(o.seq, 1), wnd, rn, wnd)
                for p in (False, True)]
    nxt = add(o.seq, o.len)
    if o.fin:
        states = [S.FIN_WAIT_1, S.CLOSING, S.LAST_ACK]
    elif o.data:
        states = [S.ESTABLISHED, S.CLOSE_WAIT]
    else:
        states = [S.ESTABLISHED, S.CLOSE_WAIT, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK,
                  S.TIME_WAIT]
        out.append(Config(S.SYN_RECEIVED, False, sub(o.seq, 1), sub(rn, 1), sub(o.seq, 1), o.seq,
                          wnd, rn, wnd))
    for st in states:
        una = nxt if st in (S.FIN_WAIT_2, S.TIME_WAIT) else sub(nxt, far)
        out.append(Config(st, False, sub(una, 1), sub(rn, 1), una, nxt, wnd, rn, wnd))
    return out
