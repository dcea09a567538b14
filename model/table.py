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
# A row that sends sequence space (SYN, FIN, data) puts it on the
# retransmission queue: the retransmission timer runs (3.8.1; RFC 6298 5.1)
# and so does the user timeout (3.8.3, 3.10.8). Both stop when the TCB is
# deleted; the explorer's abstraction: each fires only while something is
# outstanding (SND.UNA != SND.NXT, the rows' guards).
SEQ_SPACE_SENT = {"retransmission": "start", "user": "start"}
TIME_WAIT_STARTS = {"2MSL": "start"}  # 3.10.7.4 eighth, MUST-13
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
              goto=S.SYN_SENT, timers=SEQ_SPACE_SENT,
              ref="3.10.1: select an ISS (3.4.1, MUST-8), send <SEQ=ISS><CTL=SYN>, SND.UNA=ISS, "
                  "SND.NXT=ISS+1, enter SYN-SENT"))
add_rows(rows("open-passive-exists", [s for s in ALL if s is not S.CLOSED], "OPEN-PASSIVE",
              error="connection already exists", ref="3.10.1"))
add_rows(rows("open-active-exists", [s for s in ALL if s not in (S.CLOSED, S.LISTEN)], "OPEN-ACTIVE",
              error="connection already exists", ref="3.10.1"))

# --- 3.10.2 SEND ------------------------------------------------------------------
# The send buffer holds what the peer's window admits (SND.UNA + SND.WND):
# a SEND beyond it is refused as 3.10.2 allows ("insufficient space to
# remember this buffer"); nothing is sent beyond the window (3.8.6), so the
# zero-window probe of 3.8.6.1 is never needed (DECISIONS.md).
IN_WINDOW_SEND = le(add(SND_NXT, SEND_LEN), add(SND_UNA, SND_WND))
add_rows(rows("send-closed", S.CLOSED, "SEND", error="connection does not exist", ref="3.10.2"))
add_rows(rows("send-listen", S.LISTEN, "SEND", error="foreign socket unspecified",
              ref="3.10.2 LISTEN: the foreign socket is unspecified (the model's LISTEN takes any peer)"))
add_rows(rows("send-before-established", [S.SYN_SENT, S.SYN_RECEIVED], "SEND",
              error="insufficient resources",
              ref="3.10.2 SYN-SENT/SYN-RECEIVED: queue the data, or 'if there is insufficient space to "
                  "remember this buffer, simply return error: insufficient resources' (no queue before "
                  "ESTABLISHED: DECISIONS.md)"))
add_rows(rows("send", [S.ESTABLISHED, S.CLOSE_WAIT], "SEND", when=ult(0, SEND_LEN) & IN_WINDOW_SEND,
              emit=Emit("ACK", data=SEND_LEN, **ACK_OF_NEXT),
              set={"SND.NXT": add(SND_NXT, SEND_LEN)}, timers=SEQ_SPACE_SENT,
              ref="3.10.2: segmentize and send with piggybacked ACK=RCV.NXT, within the send window (3.8.6)"))
add_rows(rows("send-empty", [S.ESTABLISHED, S.CLOSE_WAIT], "SEND", when=eq(SEND_LEN, 0),
              ref="3.10.2: SEND of no octets: nothing to segmentize, nothing sent, no change"))
add_rows(rows("send-no-room", [S.ESTABLISHED, S.CLOSE_WAIT], "SEND", error="insufficient resources",
              ref="3.10.2: beyond the peer's window (3.8.6) there is no space to remember the buffer: "
                  "error: insufficient resources"))
add_rows(rows("send-closing", [S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT],
              "SEND", error="connection closing", ref="3.10.2"))

# --- 3.10.3 RECEIVE, 3.10.6 STATUS -------------------------------------------------
# The user reads at once (DECISIONS.md): RECEIVE returns what has arrived and
# changes no variable; STATUS reports the TCB.
add_rows(rows("receive-closed", S.CLOSED, "RECEIVE", error="connection does not exist", ref="3.10.3"))
add_rows(rows("receive", [S.LISTEN, S.SYN_SENT, S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1,
                          S.FIN_WAIT_2], "RECEIVE",
              ref="3.10.3: return the text received so far (queued before ESTABLISHED: there is none)"))
add_rows(rows("receive-closing", [S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT], "RECEIVE",
              error="connection closing",
              ref="3.10.3 CLOSE-WAIT: no text remains (the user reads at once): error: connection "
                  "closing; CLOSING, LAST-ACK, TIME-WAIT: error: connection closing"))
add_rows(rows("status-closed", S.CLOSED, "STATUS", error="connection does not exist", ref="3.10.6"))
add_rows(rows("status", [s for s in ALL if s is not S.CLOSED], "STATUS",
              ref="3.10.6: return the state and the TCB's variables"))

# --- 3.10.4 CLOSE -----------------------------------------------------------
add_rows(rows("close-closed", S.CLOSED, "CLOSE", error="connection does not exist", ref="3.10.4"))
add_rows(rows("close-delete", [S.LISTEN, S.SYN_SENT], "CLOSE", goto=S.CLOSED,
              ref="3.10.4 LISTEN/SYN-SENT: delete the TCB"))
add_rows(rows("close-fin", [S.SYN_RECEIVED, S.ESTABLISHED], "CLOSE", emit=FIN_SEG,
              set={"SND.NXT": add(SND_NXT, 1)}, goto=S.FIN_WAIT_1, timers=SEQ_SPACE_SENT,
              ref="3.10.4 SYN-RECEIVED/ESTABLISHED: send FIN, enter FIN-WAIT-1 (3.6 case 1)"))
add_rows(rows("close-fin", S.CLOSE_WAIT, "CLOSE", emit=FIN_SEG,
              set={"SND.NXT": add(SND_NXT, 1)}, goto=S.LAST_ACK, timers=SEQ_SPACE_SENT,
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
              emit=Emit(SYN_ONLY, seq=ISS), timers={"retransmission": "restart"},
              ref="3.10.8 retransmission timeout: resend the SYN"))
add_rows(rows("rexmit-synack", S.SYN_RECEIVED, "RETRANSMISSION-TIMEOUT", when=OUTSTANDING,
              emit=SYN_ACK, timers={"retransmission": "restart"},
              ref="3.10.8 retransmission timeout: resend the SYN,ACK"))
add_rows(rows("rexmit-synack-fin", [S.FIN_WAIT_1, S.CLOSING], "RETRANSMISSION-TIMEOUT",
              when=OUTSTANDING & eq(SND_UNA, ISS), emit=SYN_ACK,
              timers={"retransmission": "restart"},
              ref="3.10.8: front of the queue is our SYN,ACK (CLOSE in SYN-RECEIVED, 3.10.4)"))
add_rows(rows("rexmit-fin", [S.FIN_WAIT_1, S.CLOSING, S.LAST_ACK], "RETRANSMISSION-TIMEOUT",
              when=OUTSTANDING,
              emit=Emit("FIN,ACK", seq=SND_UNA, ack=RCV_NXT, data=sub(sub(SND_NXT, SND_UNA), 1)),
              timers={"retransmission": "restart"},
              ref="3.10.8; 3.6 case 1: all segments preceding and including FIN are retransmitted"))
add_rows(rows("rexmit-data", [S.ESTABLISHED, S.CLOSE_WAIT], "RETRANSMISSION-TIMEOUT",
              when=OUTSTANDING,
              emit=Emit("ACK", seq=SND_UNA, ack=RCV_NXT, data=sub(SND_NXT, SND_UNA)),
              timers={"retransmission": "restart"},
              ref="3.10.8: resend unacknowledged data"))
add_rows(rows("user-timeout", [S.SYN_SENT, S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1,
                               S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK], "USER-TIMEOUT",
              when=OUTSTANDING, goto=S.CLOSED, signal="connection aborted due to user timeout",
              ref="3.10.8 user timeout: flush queues, delete the TCB (3.9.1.1: data not delivered in time)"))
add_rows(rows("time-wait-timeout", S.TIME_WAIT, "TIME-WAIT-TIMEOUT", goto=S.CLOSED,
              signal="connection closed",
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
              goto=S.SYN_RECEIVED, timers=SEQ_SPACE_SENT,
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
              signal="connection reset",
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
              goto=S.SYN_RECEIVED, timers={"retransmission": "restart"},
              ref="3.10.7.3 fourth: simultaneous open: enter SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>; MUST-10"))
add_rows(rows("syn-sent-other", S.SYN_SENT, SEGMENT,
              ref="3.10.7.3 fifth: neither SYN nor RST: drop"))

# --- 3.10.7.4 Other states: the pipeline -----------------------------------------
P = "SEGMENT/"

# trim: the peer's SYN again, as the SYN,ACK of a simultaneous open (Figure 7
# lines 6-7): only the new part is processed (in SYN-RECEIVED; FIN-WAIT-1 and
# CLOSING after a CLOSE there find it unacceptable: DECISIONS.md). Data and
# FIN on it are discarded without an acknowledgment, as on a SYN in SYN-SENT
# (DECISIONS.md: "may not accept and acknowledge all of the data on the SYN";
# the peer retransmits them).
TRIM_STATES = [S.SYN_RECEIVED]
PEER_SYN_AGAIN = SYN & ~RST & eq(SEG_SEQ, IRS)
SYN_STRIPPED = {"SEG.SEQ": add(SEG_SEQ, 1), "SEG.LEN": 0, "SEG.DATA": 0, "CTL.SYN": FALSE,
                "CTL.FIN": FALSE}
add_rows(rows("trim-old-syn", TRIM_STATES, P + "trim", when=PEER_SYN_AGAIN & ACK, set=SYN_STRIPPED,
              then=CONTINUE,
              ref="3.10.7.4 first: contents straddling old and new: only the new parts are processed; "
                  "Figure 7 lines 6-7; data and FIN on a SYN are not accepted (3.10.7.2 third)"))
# A retransmitted bare SYN (SEG.SEQ = IRS) is an unacceptable segment: it is
# acknowledged, and while our SYN is unacknowledged the acknowledgment that
# the peer in SYN-SENT can use is our SYN,ACK again (3.10.7.3 fifth drops a
# bare ACK); Linux does the same.
add_rows(rows("syn-again", TRIM_STATES, P + "trim", when=PEER_SYN_AGAIN & ~ACK, emit=SYN_ACK,
              timers={"retransmission": "restart"},
              ref="3.10.7.4 first: unacceptable segment: send an acknowledgment (our SYN,ACK: "
                  "the peer's SYN was not acknowledged), drop; 3.10.7.3 fifth"))
add_rows(rows("trim-none", TRIM_STATES, P + "trim", then=CONTINUE, ref="3.10.7.4 first"))

# seq: Table 6.
# The peer's FIN again (its sequence space ends at RCV.NXT: Table 6 finds it
# unacceptable): its ACK field is processed, not dropped with it (Appendix A.2:
# the sequence validation problems of simultaneous close), and it is
# acknowledged; in TIME-WAIT "acknowledge it, and restart the 2 MSL timeout".
FIN_AGAIN = (FIN & ~RST & ~SYN & ~ZERO_LEN & eq(add(SEG_SEQ, SEG_LEN), RCV_NXT)
             & ~(ACK & ACK_TOO_NEW))
TEXT_STRIPPED = {"SEG.SEQ": RCV_NXT, "SEG.LEN": 0, "SEG.DATA": 0, "CTL.FIN": FALSE}
ACK_NOW = Emit("ACK", **ACK_OF_NEXT)  # sent at once: LAST-ACK may be left by the same segment
add_rows(rows("fin-again", [S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK], P + "seq",
              when=~ACCEPTABLE & FIN_AGAIN, emit=ACK_NOW, set=TEXT_STRIPPED, then=CONTINUE,
              ref="3.10.7.4 first: acknowledge the retransmitted FIN; its ACK field is processed "
                  "(Appendix A.2)"))
add_rows(rows("fin-again", S.TIME_WAIT, P + "seq", when=~ACCEPTABLE & FIN_AGAIN, emit=ACK_NOW,
              set=TEXT_STRIPPED, then=CONTINUE, timers={"2MSL": "restart"},
              ref="3.10.7.4 eighth TIME-WAIT: a retransmission of the remote FIN: acknowledge it, "
                  "and restart the 2 MSL timeout; MUST-13"))
# A zero window: "special allowance should be made to accept valid ACKs, URGs,
# and RSTs": a segment at RCV.NXT has its text and FIN discarded (and
# acknowledged), and its RST and ACK processed (RFC 5961 3.2: an exact RST
# MUST reset even when it carries data).
add_rows(rows("seq-zero-window", OTHER, P + "seq",
              when=ZERO_WND & ~ZERO_LEN & ~SYN & eq(SEG_SEQ, RCV_NXT), set=TEXT_STRIPPED, ack=True,
              then=CONTINUE,
              ref="3.10.7.4 first: if the RCV.WND is zero, no segments will be acceptable, but "
                  "special allowance should be made to accept valid ACKs, URGs, and RSTs"))
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
              signal="connection refused",
              ref="3.10.7.4 second: SYN-RECEIVED from active OPEN: connection refused, enter CLOSED"))
add_rows(rows("rst-reset", [S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT],
              P + "rst", when=RST & EXACT_RST, goto=S.CLOSED, signal="connection reset",
              ref="3.10.7.4 second: connection reset, enter CLOSED (Figure 5 Note 3)"))
# CLOSING, LAST-ACK: our FIN is unacknowledged, so the close did not complete:
# the user is told of the abort (MUST-12; 3.10.7.4 itself says only "enter
# the CLOSED state"). TIME-WAIT: both FINs were acknowledged, a normal close.
add_rows(rows("rst-close", [S.CLOSING, S.LAST_ACK], P + "rst",
              when=RST & EXACT_RST, goto=S.CLOSED, signal="connection reset",
              ref="3.10.7.4 second: enter CLOSED (Figure 5 Note 3); 3.6 MUST-12: the user learns it "
                  "was aborted"))
add_rows(rows("rst-close", S.TIME_WAIT, P + "rst", when=RST & EXACT_RST, goto=S.CLOSED,
              ref="3.10.7.4 second: enter CLOSED (Figure 5 Note 3); the close had completed"))
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
              timers=TIME_WAIT_STARTS,
              ref="3.10.7.4 fifth CLOSING: the ACK acknowledges our FIN: enter TIME-WAIT"))
add_rows(rows("ack-fin-acked", S.LAST_ACK, P + "ack", when=FIN_ACKED_BY_SEG,
              set={"SND.UNA": SEG_ACK, "SND.WND": SEG_WND}, goto=S.CLOSED, signal="connection closed",
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
              set={"RCV.NXT": smin(add(SEG_SEQ, SEG_DATA), add(RCV_NXT, RCV_WND)),
                   "CTL.FIN": FIN & lt(add(SEG_SEQ, SEG_DATA), add(RCV_NXT, RCV_WND))},
              ack=True, then=CONTINUE,
              ref="3.10.7.4 seventh: advance RCV.NXT over the data accepted (old prefix trimmed) and "
                  "acknowledge it; 3.10.7.4 first: a FIN beyond the window edge is trimmed"))
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
              goto=S.CLOSE_WAIT, signal="connection closing",
              ref="3.10.7.4 eighth: advance RCV.NXT over the FIN, ACK it, enter CLOSE-WAIT"))
add_rows(rows("fin", S.FIN_WAIT_1, P + "fin", when=FIN_NEXT, set=FIN_TAKEN, ack=True,
              goto=S.CLOSING, signal="connection closing",
              ref="3.10.7.4 eighth FIN-WAIT-1: our FIN not ACKed: enter CLOSING (simultaneous close, Figure 13)"))
add_rows(rows("fin", S.FIN_WAIT_2, P + "fin", when=FIN_NEXT, set=FIN_TAKEN, ack=True,
              goto=S.TIME_WAIT, signal="connection closing", timers=TIME_WAIT_STARTS,
              ref="3.10.7.4 eighth FIN-WAIT-2: enter TIME-WAIT (Figure 5 Note 2 when reached from FIN-WAIT-1 in one segment); MUST-13"))
add_rows(rows("fin-unexpected", [S.CLOSE_WAIT, S.LAST_ACK, S.TIME_WAIT], P + "fin",
              when=FIN_NEXT, ack=True,
              ref="3.10.7.4 eighth: remain in the state (a FIN was already received: RCV.NXT stays)"))
NOT_CLOSING = [s for s in SYNC if s is not S.CLOSING]
add_rows(rows("fin-out-of-order", NOT_CLOSING, P + "fin", when=FIN, ack=True,
              ref="3.10.7.4 eighth: FIN not at RCV.NXT cannot be processed yet; ACK RCV.NXT"))
add_rows(rows("fin-none", NOT_CLOSING, P + "fin", ref="3.10.7.4 eighth: no FIN: return"))

del add_rows
