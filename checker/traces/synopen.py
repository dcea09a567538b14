"""Data (and FIN) on a SYN: what RFC 9293 allows and the table abstracts away,
and TCP Fast Open (RFC 7413) as an extension (`--with tfo`). Each function takes a step the
table made (`model.machine.Outcome`) and gives the outcome with the SYN's
data counted; the rows themselves are never restated.

- syn-data, sending (3.5: a SYN carrying data is "perfectly legitimate";
  3.10.2: data of a SEND may go with the SYN): the table's SYN (OPEN, its
  retransmission, or the SYN,ACK of 3.10.7.2) carries no data; the observed
  one may carry D octets, which SND.NXT then counts (ISS + 1 + D).
- syn-data, receiving in SYN-SENT (3.10.7.3 fourth: "If there are other
  controls or text in the segment, then continue processing at the sixth
  step"): a SYN,ACK's text is taken, RCV.NXT = SEG.SEQ + 1 + D, and the ACK
  sent acknowledges it. (A listener queues a SYN's text for processing in
  SYN-RECEIVED, 3.10.7.2, or drops it, as the table does.)
- tfo (RFC 7413 2, 4.2; off unless asked): a listener takes the data of a SYN at once (its
  SYN,ACK acknowledges SEG.SEQ + 1 + D) and may send data in SYN-RECEIVED,
  before the handshake completes.
"""

from __future__ import annotations

from model.config import Config
from model.events import Send
from model.machine import Outcome
from model.seq import MASK
from model.state import State as S


def sent_with_data(o, m, cfg: Config) -> Config | None:
    """The configuration after the table's SYN `m` (which left `cfg`) went out
    as the observed `o`: the same SYN with o.data octets (syn-data)."""
    if not (o.syn and m.syn and o.data and not o.fin and not m.data and not m.fin and not o.rst
            and o.ackf == m.ackf and o.seq == m.seq and (not o.ackf or o.ack == m.ack)):
        return None
    first = (m.seq + 1) & MASK
    full = (first + o.data) & MASK
    if cfg.snd_nxt == first:
        return cfg._replace(snd_nxt=full)
    if cfg.snd_nxt == full:  # (a retransmission of a SYN whose data SND.NXT already counts)
        return cfg
    return None


def taken(c: Config, seg, r: Outcome, tol) -> tuple[str, Outcome] | None:
    """The arrival of the SYN-carrying `seg` at `c`, with its text taken:
    ("syn-data", outcome) in SYN-SENT, ("tfo", outcome) in LISTEN with the
    tfo extension; None when it does not apply."""
    if not (seg.syn and seg.data and not seg.rst):
        return None
    if c.state is S.SYN_SENT and seg.ackf and "syn-data" in tol:
        kind = "syn-data"
    elif c.state is S.LISTEN and not seg.ackf and "tfo" in tol:
        kind = "tfo"
    else:
        return None
    cfg = r.config
    first = (seg.seq + 1) & MASK
    if cfg.rcv_nxt != first or cfg.state in (S.CLOSED, S.LISTEN):
        return None
    more = seg.data + seg.fin
    full = (first + more) & MASK
    sent = tuple(m._replace(ack=full) if m.ackf and m.ack == first else m for m in r.sent)
    return kind, Outcome(cfg._replace(rcv_nxt=full), sent, None, r.fired)


def tfo_send(step, c: Config, o) -> Outcome | None:
    """SEND in SYN-RECEIVED under the tfo extension: what SEND does in
    ESTABLISHED (3.10.2), the endpoint staying in SYN-RECEIVED."""
    if c.state is not S.SYN_RECEIVED or not o.data or o.syn or o.rst:
        return None
    r = step(c._replace(state=S.ESTABLISHED), Send(o.data))
    if r is None or r.config.state is not S.ESTABLISHED:
        return None
    return Outcome(r.config._replace(state=S.SYN_RECEIVED), r.sent, None, r.fired)
