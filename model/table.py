"""The TCP connection state machine of RFC 9293, written once, as data.

Everything that affects the connection state machine lives in this file.
Every reader (checker, z3 proofs, diagrams, oracles, conform) reads ROWS.

How rows are matched (checked by `checker.analysis.wellformed`):
- User calls and timeouts: the rows of (state, event kind) are tried in
  order; the first whose guard holds fires. No row: the event is illegal in
  that state (`model.engine.IllegalEvent`).
- SEGMENT ARRIVES in CLOSED, LISTEN, SYN-SENT (3.10.7.1-3.10.7.3): one
  ordered step, first matching row wins, exactly as the RFC's "first ...,
  second ..." prose reads.
- SEGMENT ARRIVES in the other states (3.10.7.4): a fixed pipeline of
  steps `model.rows.STEPS` (trim, seq, rst, syn, ack, text, fin). In each
  step the rows of (current state, step) are tried in order, first match
  wins; the row either stops processing or continues with the next step,
  in the state the row moved to ("continue processing in that state").
  Rows marked `ack=True` ask for one acknowledgment
  <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, built from the final variables
  when processing ends (MUST-58, MUST-59: aggregate ACKs).
- Every row reads the variables as they were before it fired (guard,
  emitted segments and updates alike); updates are simultaneous.
- Entering CLOSED deletes the TCB; entering LISTEN starts a fresh one
  (`model.config.fresh_tcb`).

Every choice RFC 9293 leaves open is written down in model/DECISIONS.md.
"""

from __future__ import annotations

from model.expr import FALSE, TRUE, V, all_of, any_of
from model.rows import CONTINUE, SEGMENT, STOP, Emit, rows
from model.seq import add, eq, gt, le, lt, ne, smin, sub, ult
from model.state import State as S

# Variables (3.3.1) and segment fields.
ISS, IRS = V("ISS"), V("IRS")
SND_UNA, SND_NXT, SND_WND = V("SND.UNA"), V("SND.NXT"), V("SND.WND")
RCV_NXT, RCV_WND = V("RCV.NXT"), V("RCV.WND")
PASSIVE = V("PASSIVE")
SEG_SEQ, SEG_ACK, SEG_LEN = V("SEG.SEQ"), V("SEG.ACK"), V("SEG.LEN")
SEG_DATA, SEG_WND = V("SEG.DATA"), V("SEG.WND")
SYN, ACK, FIN, RST = V("CTL.SYN"), V("CTL.ACK"), V("CTL.FIN"), V("CTL.RST")
SEND_LEN = V("SEND.LEN")
NEW_ISS = V("NEW.ISS")  # the ISN generator's choice for a new TCB (3.4.1)

# Named conditions, each written once.
OUTSTANDING = ne(SND_UNA, SND_NXT)  # something on the retransmission queue
FIN_ACKED_BY_SEG = lt(SND_UNA, SEG_ACK) & eq(SEG_ACK, SND_NXT)  # acks all, FIN included
NEW_ACK = lt(SND_UNA, SEG_ACK) & le(SEG_ACK, SND_NXT)  # SND.UNA < SEG.ACK =< SND.NXT
ACK_TOO_NEW = gt(SEG_ACK, SND_NXT)  # acks something not yet sent
EXACT_RST = eq(SEG_SEQ, RCV_NXT)  # RFC 5961 3.2 as adopted by 3.10.7.4


def _in_window(x):
    return le(RCV_NXT, x) & lt(x, add(RCV_NXT, RCV_WND))


# 3.10.7.4 Table 6: the four cases of the segment acceptability test.
ZERO_LEN, ZERO_WND = eq(SEG_LEN, 0), eq(RCV_WND, 0)
ACCEPTABLE = any_of(
    ZERO_LEN & ZERO_WND & eq(SEG_SEQ, RCV_NXT),
    ZERO_LEN & ~ZERO_WND & _in_window(SEG_SEQ),
    ~ZERO_LEN & ~ZERO_WND & (_in_window(SEG_SEQ) | _in_window(sub(add(SEG_SEQ, SEG_LEN), 1))),
)

SYN_ONLY = "SYN"
ACK_OF_NEXT = dict(seq=SND_NXT, ack=RCV_NXT)  # <SEQ=SND.NXT><ACK=RCV.NXT>
FIN_SEG = Emit("FIN,ACK", **ACK_OF_NEXT)
RST_FROM_ACK = Emit("RST", seq=SEG_ACK)  # <SEQ=SEG.ACK><CTL=RST>
SYN_ACK = Emit("SYN,ACK", seq=ISS, ack=RCV_NXT)

SYNC = [S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING,
        S.LAST_ACK, S.TIME_WAIT]
OTHER = [S.SYN_RECEIVED] + SYNC
ALL = list(S)

ROWS = []
add_rows = ROWS.extend

# --- 3.10.1 OPEN ----------------------------------------------------------------
add_rows(rows("open-passive", S.CLOSED, "OPEN-PASSIVE", goto=S.LISTEN,
              ref="3.10.1 CLOSED: if passive, enter LISTEN"))
add_rows(rows("open-active", [S.CLOSED, S.LISTEN], "OPEN-ACTIVE",
              emit=Emit(SYN_ONLY, seq=NEW_ISS),
              set={"ISS": NEW_ISS, "SND.UNA": NEW_ISS, "SND.NXT": add(NEW_ISS, 1), "PASSIVE": FALSE},
              goto=S.SYN_SENT,
              ref="3.10.1: select an ISS (3.4.1, MUST-8), send <SEQ=ISS><CTL=SYN>, SND.UNA=ISS, "
                  "SND.NXT=ISS+1, enter SYN-SENT"))
add_rows(rows("open-passive-exists", [s for s in ALL if s is not S.CLOSED], "OPEN-PASSIVE",
              error="connection already exists", ref="3.10.1"))
add_rows(rows("open-active-exists", [s for s in ALL if s not in (S.CLOSED, S.LISTEN)], "OPEN-ACTIVE",
              error="connection already exists", ref="3.10.1"))

# --- 3.10.2 SEND (sent at once; queuing before ESTABLISHED is not modelled) ---
add_rows(rows("send-closed", S.CLOSED, "SEND", error="connection does not exist", ref="3.10.2"))
add_rows(rows("send", [S.ESTABLISHED, S.CLOSE_WAIT], "SEND", when=ult(0, SEND_LEN),
              emit=Emit("ACK", data=SEND_LEN, **ACK_OF_NEXT),
              set={"SND.NXT": add(SND_NXT, SEND_LEN)},
              ref="3.10.2: segmentize and send with piggybacked ACK=RCV.NXT"))
add_rows(rows("send-empty", [S.ESTABLISHED, S.CLOSE_WAIT], "SEND",
              ref="3.10.2: SEND of no octets: nothing to segmentize, nothing sent, no change"))
add_rows(rows("send-closing", [S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT],
              "SEND", error="connection closing", ref="3.10.2"))

# --- 3.10.4 CLOSE -----------------------------------------------------------
add_rows(rows("close-closed", S.CLOSED, "CLOSE", error="connection does not exist", ref="3.10.4"))
add_rows(rows("close-delete", [S.LISTEN, S.SYN_SENT], "CLOSE", goto=S.CLOSED,
              ref="3.10.4 LISTEN/SYN-SENT: delete the TCB"))
add_rows(rows("close-fin", [S.SYN_RECEIVED, S.ESTABLISHED], "CLOSE", emit=FIN_SEG,
              set={"SND.NXT": add(SND_NXT, 1)}, goto=S.FIN_WAIT_1,
              ref="3.10.4 SYN-RECEIVED/ESTABLISHED: send FIN, enter FIN-WAIT-1 (3.6 case 1)"))
add_rows(rows("close-fin", S.CLOSE_WAIT, "CLOSE", emit=FIN_SEG,
              set={"SND.NXT": add(SND_NXT, 1)}, goto=S.LAST_ACK,
              ref="3.10.4 CLOSE-WAIT: send FIN, enter LAST-ACK (3.6 case 2)"))
add_rows(rows("close-closing", [S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT],
              "CLOSE", error="connection closing",
              ref="3.10.4: a second CLOSE is an error; no second FIN"))

# --- 3.10.5 ABORT -----------------------------------------------------------
add_rows(rows("abort-closed", S.CLOSED, "ABORT", error="connection does not exist", ref="3.10.5"))
add_rows(rows("abort-quiet", [S.LISTEN, S.SYN_SENT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT], "ABORT",
              goto=S.CLOSED, ref="3.10.5: delete the TCB, no RST"))
add_rows(rows("abort-rst", [S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2,
                            S.CLOSE_WAIT], "ABORT",
              emit=Emit("RST", seq=SND_NXT), goto=S.CLOSED,
              ref="3.10.5: send <SEQ=SND.NXT><CTL=RST>, delete the TCB"))

# --- 3.10.8 Timeouts --------------------------------------------------------
add_rows(rows("rexmit-syn", S.SYN_SENT, "RETRANSMISSION-TIMEOUT", when=OUTSTANDING,
              emit=Emit(SYN_ONLY, seq=ISS), ref="3.10.8 retransmission timeout: resend the SYN"))
add_rows(rows("rexmit-synack", S.SYN_RECEIVED, "RETRANSMISSION-TIMEOUT", when=OUTSTANDING,
              emit=SYN_ACK, ref="3.10.8 retransmission timeout: resend the SYN,ACK"))
add_rows(rows("rexmit-synack-fin", [S.FIN_WAIT_1, S.CLOSING], "RETRANSMISSION-TIMEOUT",
              when=OUTSTANDING & eq(SND_UNA, ISS), emit=SYN_ACK,
              ref="3.10.8: front of the queue is our SYN,ACK (CLOSE in SYN-RECEIVED, 3.10.4)"))
add_rows(rows("rexmit-fin", [S.FIN_WAIT_1, S.CLOSING, S.LAST_ACK], "RETRANSMISSION-TIMEOUT",
              when=OUTSTANDING,
              emit=Emit("FIN,ACK", seq=SND_UNA, ack=RCV_NXT, data=sub(sub(SND_NXT, SND_UNA), 1)),
              ref="3.10.8; 3.6 case 1: all segments preceding and including FIN are retransmitted"))
add_rows(rows("rexmit-data", [S.ESTABLISHED, S.CLOSE_WAIT], "RETRANSMISSION-TIMEOUT",
              when=OUTSTANDING,
              emit=Emit("ACK", seq=SND_UNA, ack=RCV_NXT, data=sub(SND_NXT, SND_UNA)),
              ref="3.10.8: resend unacknowledged data"))
add_rows(rows("user-timeout", [S.SYN_SENT, S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1,
                               S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK], "USER-TIMEOUT",
              when=OUTSTANDING, goto=S.CLOSED,
              ref="3.10.8 user timeout: flush queues, delete the TCB (3.9.1.1: data not delivered in time)"))
add_rows(rows("time-wait-timeout", S.TIME_WAIT, "TIME-WAIT-TIMEOUT", goto=S.CLOSED,
              ref="3.10.8 time-wait timeout after 2MSL; MUST-13"))

# --- 3.10.7.1 SEGMENT ARRIVES, CLOSED ----------------------------------------
add_rows(rows("closed-rst", S.CLOSED, SEGMENT, when=RST,
              ref="3.10.7.1: an incoming RST is discarded; 3.5.2 group 1"))
add_rows(rows("closed-ack", S.CLOSED, SEGMENT, when=ACK, emit=RST_FROM_ACK,
              ref="3.10.7.1: ACK on: <SEQ=SEG.ACK><CTL=RST>; 3.5.2 group 1"))
add_rows(rows("closed-noack", S.CLOSED, SEGMENT,
              emit=Emit("RST,ACK", seq=0, ack=add(SEG_SEQ, SEG_LEN)),
              ref="3.10.7.1: ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"))

# --- 3.10.7.2 LISTEN -----------------------------------------------------------
add_rows(rows("listen-rst", S.LISTEN, SEGMENT, when=RST,
              ref="3.10.7.2 first: an incoming RST is ignored"))
add_rows(rows("listen-ack", S.LISTEN, SEGMENT, when=ACK, emit=RST_FROM_ACK,
              ref="3.10.7.2 second: any ACK is bad in LISTEN: <SEQ=SEG.ACK><CTL=RST>"))
add_rows(rows("listen-syn", S.LISTEN, SEGMENT, when=SYN,
              emit=Emit("SYN,ACK", seq=NEW_ISS, ack=add(SEG_SEQ, 1)),
              set={"IRS": SEG_SEQ, "RCV.NXT": add(SEG_SEQ, 1), "ISS": NEW_ISS, "SND.UNA": NEW_ISS,
                   "SND.NXT": add(NEW_ISS, 1), "SND.WND": SEG_WND},
              goto=S.SYN_RECEIVED,
              ref="3.10.7.2 third: IRS=SEG.SEQ, RCV.NXT=SEG.SEQ+1, ISS selected (3.4.1, MUST-8), "
                  "send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>"))
add_rows(rows("listen-other", S.LISTEN, SEGMENT,
              ref="3.10.7.2 fourth: other control or text: drop"))

# --- 3.10.7.3 SYN-SENT ---------------------------------------------------------
SYN_SENT_BAD_ACK = ACK & (le(SEG_ACK, ISS) | gt(SEG_ACK, SND_NXT))
add_rows(rows("syn-sent-bad-ack-rst", S.SYN_SENT, SEGMENT, when=SYN_SENT_BAD_ACK & RST,
              ref="3.10.7.3 first: unacceptable ACK with RST: drop"))
add_rows(rows("syn-sent-bad-ack", S.SYN_SENT, SEGMENT, when=SYN_SENT_BAD_ACK, emit=RST_FROM_ACK,
              ref="3.10.7.3 first: SEG.ACK =< ISS or SEG.ACK > SND.NXT: <SEQ=SEG.ACK><CTL=RST>; 3.5.2 group 2"))
add_rows(rows("syn-sent-rst", S.SYN_SENT, SEGMENT, when=RST & ACK, goto=S.CLOSED,
              ref="3.10.7.3 second: RST with acceptable ACK: connection reset, enter CLOSED"))
add_rows(rows("syn-sent-rst-noack", S.SYN_SENT, SEGMENT, when=RST,
              ref="3.10.7.3 second: RST without ACK: drop"))
add_rows(rows("syn-sent-synack", S.SYN_SENT, SEGMENT, when=SYN & ACK & lt(ISS, SEG_ACK),
              emit=Emit("ACK", seq=SND_NXT, ack=add(SEG_SEQ, 1)),
              set={"IRS": SEG_SEQ, "RCV.NXT": add(SEG_SEQ, 1), "SND.UNA": SEG_ACK,
                   "SND.WND": SEG_WND},
              goto=S.ESTABLISHED,
              ref="3.10.7.3 fourth: our SYN is ACKed (SND.UNA > ISS): enter ESTABLISHED, send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"))
add_rows(rows("syn-sent-syn", S.SYN_SENT, SEGMENT, when=SYN,
              emit=Emit("SYN,ACK", seq=ISS, ack=add(SEG_SEQ, 1)),
              set={"IRS": SEG_SEQ, "RCV.NXT": add(SEG_SEQ, 1), "SND.WND": SEG_WND},
              goto=S.SYN_RECEIVED,
              ref="3.10.7.3 fourth: simultaneous open: enter SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>; MUST-10"))
add_rows(rows("syn-sent-other", S.SYN_SENT, SEGMENT,
              ref="3.10.7.3 fifth: neither SYN nor RST: drop"))

# --- 3.10.7.4 Other states: the pipeline -----------------------------------------
P = "SEGMENT/"

# trim: the peer's SYN again (retransmitted SYN, or its SYN,ACK in simultaneous
# open; Figure 7 lines 6-7): only the new part is processed.
add_rows(rows("trim-old-syn", S.SYN_RECEIVED, P + "trim", when=SYN & eq(SEG_SEQ, IRS),
              set={"SEG.SEQ": add(SEG_SEQ, 1), "SEG.LEN": sub(SEG_LEN, 1), "CTL.SYN": FALSE},
              then=CONTINUE,
              ref="3.10.7.4 first: contents straddling old and new: only the new parts are processed; Figure 7"))
add_rows(rows("trim-none", S.SYN_RECEIVED, P + "trim", then=CONTINUE, ref="3.10.7.4 first"))

# seq: Table 6.
add_rows(rows("seq-bad-rst", OTHER, P + "seq", when=~ACCEPTABLE & RST,
              ref="3.10.7.4 first: unacceptable and RST: drop; RFC 5961 3.2 case 1"))
add_rows(rows("seq-bad", OTHER, P + "seq", when=~ACCEPTABLE, ack=True,
              ref="3.10.7.4 first: unacceptable: send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop; 3.5.2 group 3"))
add_rows(rows("seq-ok", OTHER, P + "seq", then=CONTINUE,
              ref="3.10.7.4 first: Table 6 acceptability test"))

# rst: RFC 5961 exact match as adopted by RFC 9293.
add_rows(rows("rst-passive", S.SYN_RECEIVED, P + "rst", when=RST & EXACT_RST & PASSIVE,
              goto=S.LISTEN,
              ref="3.10.7.4 second: SYN-RECEIVED from passive OPEN returns to LISTEN (Figure 5 Note 1); MUST-11"))
add_rows(rows("rst-active", S.SYN_RECEIVED, P + "rst", when=RST & EXACT_RST, goto=S.CLOSED,
              ref="3.10.7.4 second: SYN-RECEIVED from active OPEN: connection refused, enter CLOSED"))
add_rows(rows("rst-reset", [S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT],
              P + "rst", when=RST & EXACT_RST, goto=S.CLOSED,
              ref="3.10.7.4 second: connection reset, enter CLOSED (Figure 5 Note 3)"))
add_rows(rows("rst-close", [S.CLOSING, S.LAST_ACK, S.TIME_WAIT], P + "rst",
              when=RST & EXACT_RST, goto=S.CLOSED,
              ref="3.10.7.4 second: enter CLOSED (Figure 5 Note 3)"))
add_rows(rows("rst-challenge", OTHER, P + "rst", when=RST, ack=True,
              ref="3.10.7.4 second (3): in-window RST not at RCV.NXT: challenge ACK, drop; RFC 5961 3.2"))
add_rows(rows("rst-none", OTHER, P + "rst", then=CONTINUE, ref="3.10.7.4 second"))

# syn
add_rows(rows("syn-passive", S.SYN_RECEIVED, P + "syn", when=SYN & PASSIVE, goto=S.LISTEN,
              ref="3.10.7.4 fourth: SYN-RECEIVED from passive OPEN: return to LISTEN"))
add_rows(rows("syn-challenge", OTHER, P + "syn", when=SYN, ack=True,
              ref="3.10.7.4 fourth: SYN in a synchronized state: challenge ACK, drop; RFC 5961 4.2"))
add_rows(rows("syn-none", OTHER, P + "syn", then=CONTINUE, ref="3.10.7.4 fourth"))

# ack
add_rows(rows("ack-off", OTHER, P + "ack", when=~ACK, ref="3.10.7.4 fifth: ACK bit off: drop"))
add_rows(rows("ack-synrcvd", S.SYN_RECEIVED, P + "ack", when=NEW_ACK,
              set={"SND.UNA": SEG_ACK, "SND.WND": SEG_WND}, goto=S.ESTABLISHED, then=CONTINUE,
              ref="3.10.7.4 fifth SYN-RECEIVED: SND.UNA < SEG.ACK =< SND.NXT: enter ESTABLISHED"))
add_rows(rows("ack-synrcvd-bad", S.SYN_RECEIVED, P + "ack", emit=RST_FROM_ACK,
              ref="3.10.7.4 fifth SYN-RECEIVED: unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>; 3.5.2 group 2"))
add_rows(rows("ack-too-new", SYNC, P + "ack", when=ACK_TOO_NEW, ack=True,
              ref="3.10.7.4 fifth: SEG.ACK > SND.NXT: send an ACK, drop"))
add_rows(rows("ack-fin-acked", S.FIN_WAIT_1, P + "ack", when=FIN_ACKED_BY_SEG,
              set={"SND.UNA": SEG_ACK, "SND.WND": SEG_WND}, goto=S.FIN_WAIT_2, then=CONTINUE,
              ref="3.10.7.4 fifth FIN-WAIT-1: our FIN is acknowledged: enter FIN-WAIT-2 and continue"))
add_rows(rows("ack-fin-acked", S.CLOSING, P + "ack", when=FIN_ACKED_BY_SEG,
              set={"SND.UNA": SEG_ACK, "SND.WND": SEG_WND}, goto=S.TIME_WAIT, then=CONTINUE,
              ref="3.10.7.4 fifth CLOSING: the ACK acknowledges our FIN: enter TIME-WAIT"))
add_rows(rows("ack-fin-acked", S.LAST_ACK, P + "ack", when=FIN_ACKED_BY_SEG,
              set={"SND.UNA": SEG_ACK, "SND.WND": SEG_WND}, goto=S.CLOSED,
              ref="3.10.7.4 fifth LAST-ACK: our FIN is acknowledged: delete the TCB, enter CLOSED"))
add_rows(rows("ack-new", [S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.LAST_ACK,
                          S.TIME_WAIT], P + "ack", when=NEW_ACK,
              set={"SND.UNA": SEG_ACK, "SND.WND": SEG_WND}, then=CONTINUE,
              ref="3.10.7.4 fifth ESTABLISHED: SND.UNA < SEG.ACK =< SND.NXT: SND.UNA <- SEG.ACK"))
add_rows(rows("ack-new-ignore", S.CLOSING, P + "ack", when=NEW_ACK,
              set={"SND.UNA": SEG_ACK, "SND.WND": SEG_WND},
              ref="3.10.7.4 fifth CLOSING: FIN not yet acknowledged: ignore the segment"))
add_rows(rows("ack-dup", [S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.LAST_ACK,
                          S.TIME_WAIT], P + "ack", when=eq(SEG_ACK, SND_UNA),
              set={"SND.WND": SEG_WND}, then=CONTINUE,
              ref="3.10.7.4 fifth: SND.UNA =< SEG.ACK =< SND.NXT: update the send window"))
add_rows(rows("ack-old", [S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.LAST_ACK,
                          S.TIME_WAIT], P + "ack", then=CONTINUE,
              ref="3.10.7.4 fifth: duplicate ACK (SEG.ACK =< SND.UNA) can be ignored"))
add_rows(rows("ack-dup-ignore", S.CLOSING, P + "ack", when=eq(SEG_ACK, SND_UNA),
              set={"SND.WND": SEG_WND},
              ref="3.10.7.4 fifth CLOSING: as ESTABLISHED (update the send window), then ignore the segment"))
add_rows(rows("ack-ignore", S.CLOSING, P + "ack",
              ref="3.10.7.4 fifth CLOSING: otherwise ignore the segment"))

# text
TEXT_STATES = [S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2]
add_rows(rows("text-in-order", TEXT_STATES, P + "text",
              when=ult(0, SEG_DATA) & le(SEG_SEQ, RCV_NXT) & lt(RCV_NXT, add(SEG_SEQ, SEG_DATA)),
              set={"RCV.NXT": smin(add(SEG_SEQ, SEG_DATA), add(RCV_NXT, RCV_WND))},
              ack=True, then=CONTINUE,
              ref="3.10.7.4 seventh: advance RCV.NXT over the data accepted (old prefix trimmed) and acknowledge it"))
add_rows(rows("text-out-of-order", TEXT_STATES, P + "text", when=ult(0, SEG_DATA), ack=True,
              then=CONTINUE,
              ref="3.10.7.4 seventh; MAY-13: beyond RCV.NXT: dropped (SHLD-31 not followed), ACK RCV.NXT"))
add_rows(rows("text-none", TEXT_STATES, P + "text", then=CONTINUE, ref="3.10.7.4 seventh"))
# (CLOSING never gets here: its ACK step ends processing or enters TIME-WAIT.)
add_rows(rows("text-ignore", [S.CLOSE_WAIT, S.LAST_ACK, S.TIME_WAIT], P + "text",
              then=CONTINUE,
              ref="3.10.7.4 seventh: a FIN has been received: ignore the segment text"))

# fin
FIN_NEXT = FIN & eq(add(SEG_SEQ, SEG_DATA), RCV_NXT)  # the FIN is the next octet expected
FIN_TAKEN = {"RCV.NXT": add(RCV_NXT, 1)}
add_rows(rows("fin", S.ESTABLISHED, P + "fin", when=FIN_NEXT, set=FIN_TAKEN, ack=True,
              goto=S.CLOSE_WAIT,
              ref="3.10.7.4 eighth: advance RCV.NXT over the FIN, ACK it, enter CLOSE-WAIT"))
add_rows(rows("fin", S.FIN_WAIT_1, P + "fin", when=FIN_NEXT, set=FIN_TAKEN, ack=True,
              goto=S.CLOSING,
              ref="3.10.7.4 eighth FIN-WAIT-1: our FIN not ACKed: enter CLOSING (simultaneous close, Figure 13)"))
add_rows(rows("fin", S.FIN_WAIT_2, P + "fin", when=FIN_NEXT, set=FIN_TAKEN, ack=True,
              goto=S.TIME_WAIT,
              ref="3.10.7.4 eighth FIN-WAIT-2: enter TIME-WAIT (Figure 5 Note 2 when reached from FIN-WAIT-1 in one segment); MUST-13"))
add_rows(rows("fin-again", [S.CLOSE_WAIT, S.LAST_ACK, S.TIME_WAIT], P + "fin",
              when=FIN_NEXT, ack=True,
              ref="3.10.7.4 eighth: remain in the state (a FIN was already received: RCV.NXT stays)"))
NOT_CLOSING = [s for s in SYNC if s is not S.CLOSING]
add_rows(rows("fin-out-of-order", NOT_CLOSING, P + "fin", when=FIN, ack=True,
              ref="3.10.7.4 eighth: FIN not at RCV.NXT cannot be processed yet; ACK RCV.NXT"))
add_rows(rows("fin-none", NOT_CLOSING, P + "fin", ref="3.10.7.4 eighth: no FIN: return"))

del add_rows
