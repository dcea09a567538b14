"""Profile: Linux's TCP (checked on 6.18), the standard rows with each deliberate
difference named. Not a broken variant: a real stack's choices where RFC 9293
leaves room or where Linux departs from it. `verify --model linux` checks
it, `oracle --format packetdrill --profile linux` writes scripts Linux must
pass (run with the SYSCTLS below set in the namespace), `conform --profile
linux` judges captures with it.
Expected: `verify` fails handshake-ack (row ack-of-iss-accepted), and the
handshake and reset-safety proofs (rows below).

Rows changed or added (each difference's evidence is a packetdrill script
generated from the standard table that fails on Linux and passes here):
- rst-ack-on-abort: ABORT sends <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, not
  <SEQ=SND.NXT><CTL=RST> (3.10.5). Scripts abort-established, abort-close-wait.
- simultaneous-open-ack: in SYN-RECEIVED after a simultaneous open, the
  peer's SYN,ACK (whose SYN was taken already) is answered by an ACK at once;
  RFC 9293 3.5 Figure 7 line 6 sends nothing. Script simultaneous-open (its
  final probe: the ACK leaves at once, not 0.1 s later).
- ack-of-iss-accepted: in SYN-RECEIVED after a simultaneous open, an ACK of
  ISS (SEG.ACK = SND.UNA, acknowledging nothing) takes the connection to
  ESTABLISHED with its SYN still unacknowledged: the "SND.UNA =< SEG.ACK" of
  RFC 793 that erratum 3301 corrected, where 3.10.7.4 fifth wants SND.UNA <
  SEG.ACK and a reset otherwise. Script syn-received-active-ack-of-iss (its
  TCP_INFO assertion shows TCP_ESTABLISHED). `verify --model linux` fails
  handshake-ack and the handshake proof on this row.
- no-challenge-in-time-wait: an in-window RST not at RCV.NXT in TIME-WAIT is
  dropped silently (the TIME-WAIT minisocket has no RFC 5961 challenge ACK),
  where 3.10.7.4 second says "send an ACK". Script rst-challenge-time-wait.
  `verify --model linux` fails the reset-safety proof on this row.

Differences the rows cannot express, and why (`DIFFERENCES` below; their
evidence scripts are checker/generate/packetdrill_scenarios.py EVIDENCE,
expected to fail on Linux):
- close() is a half-duplex close (3.6.1 MAY-1): with unread data it sends
  RST,ACK, and data arriving after it is answered by a RST (SHLD-3). The
  table's CLOSE is the RFC's (shutdown(SHUT_WR)); it has no RECEIVE call and
  no receive queue to hold unread data.
- challenge ACKs are rate limited (one per 500 ms per socket,
  net.ipv4.tcp_invalid_ratelimit; RFC 5961 7): the rows have no clock.
- TCP Fast Open (net.ipv4.tcp_fastopen server bits): data on a SYN is
  accepted; the rows have no TCP options (no cookie) and drop data on SYN.
- TIME-WAIT assassination: with net.ipv4.tcp_rfc1337=0 (the default, set
  below) a RST at RCV.NXT ends TIME-WAIT, as the standard row does; with 1
  it is ignored (RFC 1337): profile linux_rfc1337.
- a SYN-SENT endpoint that answers an unacceptable ACK with a RST also
  re-arms its retransmission timer at its minimum (a few ms): timers have
  no time in the rows (the scripts give a timeout a range).
"""

from model.expr import FALSE, V
from model.rows import Emit, changed, find, rows
from model.state import State as S
from model.seq import add, eq, sub
from model.table import ACK, PASSIVE, RCV_NXT, SND_NXT, SND_UNA, SYN, SYN_ACK
from model.table import ROWS as STANDARD

SEG_ACK, SEG_SEQ, IRS = V("SEG.ACK"), V("SEG.SEQ"), V("IRS")

# The sysctls these rows assume; the runners set them in each namespace.
SYSCTLS = {
    "net.ipv4.tcp_rfc1337": "0",  # RST in TIME-WAIT ends it (RFC 9293 3.10.7.4 second)
    "net.ipv4.tcp_fastopen": "1",  # TFO as a client only: a listener drops data on SYN
}

ROWS = list(STANDARD)
for _st in (S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT):
    ROWS = changed(ROWS, f"abort-rst@{_st}", emit=Emit("RST,ACK", seq=SND_NXT, ack=RCV_NXT),
                   ref="linux rst-ack-on-abort: tcp_send_active_reset sends <SEQ=SND.NXT><ACK=RCV.NXT>"
                       "<CTL=RST,ACK> (3.10.5 says <SEQ=SND.NXT><CTL=RST>)")

_i = find(ROWS, "trim-old-syn@SYN-RECEIVED")
ROWS[_i:_i] = rows("simultaneous-open-ack", S.SYN_RECEIVED, "SEGMENT/trim",
                   when=SYN & ACK & eq(SEG_SEQ, IRS) & ~PASSIVE,
                   set={"SEG.SEQ": add(SEG_SEQ, 1), "SEG.LEN": sub(V("SEG.LEN"), 1), "CTL.SYN": FALSE},
                   then="continue", ack=True,
                   ref="linux simultaneous-open-ack: the peer's SYN,ACK repeats a SYN already taken: "
                       "the old part draws an ACK at once (3.5 Figure 7 line 6 sends nothing)")

_i = find(ROWS, "ack-synrcvd-bad@SYN-RECEIVED")
ROWS[_i:_i] = rows("ack-of-iss-accepted", S.SYN_RECEIVED, "SEGMENT/ack",
                   when=eq(SEG_ACK, SND_UNA) & ~PASSIVE, set={"SND.WND": V("SEG.WND")},
                   goto=S.ESTABLISHED, then="continue",
                   ref="linux ack-of-iss-accepted: after a simultaneous open tcp_ack takes SEG.ACK = "
                       "SND.UNA as acceptable: ESTABLISHED with the SYN unacknowledged (3.10.7.4 fifth "
                       "wants SND.UNA < SEG.ACK =< SND.NXT; RFC 793's erratum 3301)")

ROWS = changed(ROWS, "rst-challenge@TIME-WAIT", ack=False,
               ref="linux no-challenge-in-time-wait: tcp_timewait_state_process drops an inexact RST "
                   "(3.10.7.4 second (3): send a challenge ACK)")

# Every difference, for the README and the tests: (name, rows or None, the RFC
# sentence departed from, the evidence).
DIFFERENCES = [
    ("rst-ack-on-abort", ["abort-rst@" + str(s) for s in (S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1,
                                                           S.FIN_WAIT_2, S.CLOSE_WAIT)],
     '3.10.5: "send a reset segment: <SEQ=SND.NXT><CTL=RST>"',
     "packetdrill abort-established, abort-close-wait"),
    ("ack-of-iss-accepted", ["ack-of-iss-accepted@SYN-RECEIVED"],
     '3.10.7.4 fifth, SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state '
     '... If the segment acknowledgment is not acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>"',
     "packetdrill syn-received-active-ack-of-iss (tcpi_state TCP_ESTABLISHED after the ACK of ISS)"),
    ("no-challenge-in-time-wait", ["rst-challenge@TIME-WAIT"],
     '3.10.7.4 second: "If the RST bit is set and the sequence number does not exactly match the '
     'next expected sequence value, yet is within the current receive window, TCP endpoints MUST '
     'send an acknowledgment (challenge ACK)"',
     "packetdrill rst-challenge-time-wait"),
    ("half-duplex-close", None,
     '3.6.1: "If such a host issues a CLOSE call while received data is still pending in the TCP '
     'connection, or if new data is received after CLOSE is called, its TCP implementation SHOULD '
     'send a RST to show that data was lost (SHLD-3)" (Linux\'s close() is that half-duplex close, '
     "MAY-1; the table's CLOSE is shutdown(SHUT_WR))",
     "packetdrill evidence close-unread-data, data-after-close"),
    ("challenge-ack-rate-limit", None,
     '3.10.7.4 second: "TCP endpoints MUST send an acknowledgment (challenge ACK)"; RFC 5961 7 '
     "allows rate limiting, which Linux does per socket (500 ms)",
     "packetdrill evidence challenge-ack-rate-limit"),
    ("tcp-fast-open", None,
     '3.10.7.2 third: "the TCP endpoint may not accept and acknowledge all of the data on the SYN" '
     "(with TFO enabled for servers Linux accepts it)",
     "packetdrill passive-syn-data (default: passes) and evidence tfo-syn-data (tcp_fastopen=0x602)"),
    ("time-wait-assassination", None,
     '3.10.7.4 second, TIME-WAIT: "If the RST bit is set, then enter the CLOSED state" (Linux '
     "does, with tcp_rfc1337=0; with 1 it ignores the RST, RFC 1337: profile linux_rfc1337)",
     "packetdrill rst-time-wait (passes) and evidence time-wait-assassination-off"),
    ("syn-sent-quick-retransmission", None,
     '3.10.7.3 first: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset" (Linux then resends '
     "its SYN within a few ms: a timer value, which rows do not have)",
     "packetdrill syn-sent-ack-of-iss (its timeout is given a range)"),
    ("simultaneous-open-ack", ["simultaneous-open-ack@SYN-RECEIVED"],
     "3.5 Figure 7 line 6: ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK>, and nothing is sent in "
     "reply",
     "packetdrill simultaneous-open (Linux's ACK leaves at once; the final probe is 0.1 s later)"),
]
