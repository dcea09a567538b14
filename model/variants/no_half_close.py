"""Variant: no half-close. The first FIN closes the connection in both
directions: the endpoint that sent it (FIN-WAIT-1, FIN-WAIT-2) ignores the
text that still arrives, as if it had received a FIN itself (the rule of
3.10.7.4 seventh for CLOSE-WAIT, LAST-ACK, TIME-WAIT), and takes the peer's
FIN wherever it is, acknowledging everything before it. Answers "why four
messages to close?" (RFC 9293 3.6, 3.6.1, 3.10.4: CLOSE means "I have no
more to send"; the peer may go on sending until its own CLOSE, so its FIN
is a message of its own; when it has nothing more to send its FIN rides on
the ACK and three segments suffice).

Expected: `verify` fails data-delivery: the peer SENDs an octet after the
first FIN; it is never delivered, yet the ACK of the peer's FIN covers it,
so the peer believes it arrived (RCV.NXT skips octets never received).
No check of the two-endpoint graph saw this before data-delivery (the
proofs row-soundness and drops do, one endpoint at a time)."""

from model.rows import CONTINUE, find, rows, without
from model.seq import add
from model.state import State as S
from model.table import ROWS as STANDARD
from model.expr import V

SEG_SEQ, SEG_DATA, FIN = V("SEG.SEQ"), V("SEG.DATA"), V("CTL.FIN")
CLOSER = [S.FIN_WAIT_1, S.FIN_WAIT_2]
REF = "no_half_close: CLOSE closes both directions (against 3.6, 3.10.4: CLOSE means no more to send)"

ROWS = list(STANDARD)
_i = find(ROWS, "text-in-order@FIN-WAIT-1")
ROWS[_i:_i] = rows("text-ignore", CLOSER, "SEGMENT/text", then=CONTINUE,
                   ref=REF + ": the text is ignored, as after a FIN received")
ROWS = without(ROWS, *[f"{n}@{s}" for n in ("text-in-order", "text-out-of-order", "text-none") for s in CLOSER])
for _s, _to in ((S.FIN_WAIT_1, S.CLOSING), (S.FIN_WAIT_2, S.TIME_WAIT)):
    _i = find(ROWS, f"fin@{_s}")
    ROWS[_i] = rows("fin", _s, "SEGMENT/fin", when=FIN, set={"RCV.NXT": add(add(SEG_SEQ, SEG_DATA), 1)},
                    ack=True, goto=_to, ref=REF + ": the peer's FIN is taken wherever it is")[0]
ROWS = without(ROWS, *[f"fin-out-of-order@{s}" for s in CLOSER])  # every FIN is taken now
del _i, _s, _to
