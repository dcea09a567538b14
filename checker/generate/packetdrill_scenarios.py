"""The scenarios of the packetdrill scripts: runs of two endpoints (RFC 9293
3.5, 3.6, 3.10) in which the local stack under test is endpoint A and the
script plays peer B.

`SCENARIOS` are the scripts `oracle --format packetdrill` writes: every state
the socket API reaches, passive and active open, close from either side,
simultaneous open and close, RST in each state, ABORT, the acknowledgment
checks of the handshake (errata 3300/3301 of RFC 793) and the RFC 5961
checks RFC 9293 adopts (3.10.7.4). Each is run through a table by
`checker.generate.packetdrill.scripts`, which appends a final probe.

`EVIDENCE` are scripts for differences of a real stack that the table cannot
express as rows (model/variants/linux.py lists them): generated from the
table all the same, and expected to FAIL on Linux, the failure showing the
difference. Each names the sysctls it runs under and how a CLOSE is
written: `shutdown(SHUT_WR)` (the RFC's CLOSE, 3.6: "I have no more data to
send") or `close()` (the socket API's half-duplex close, 3.6.1 MAY-1).
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.generate.explain import Act, call, deliver, inject, lose, rst_at_rcv_nxt, timeout
from model.config import Config
from model.events import Abort, Close, Open, Segment, Send
from model.seq import add

IN_WINDOW = 100  # octets beyond RCV.NXT: inside the model's window (1000) and Linux's


def stray_rst(_receiver: Config, _peer: Config) -> Segment:
    """<SEQ=0><CTL=RST> from a peer that has no connection (3.10.7.2 first: a
    listener ignores any RST)."""
    return Segment(seq=0, rst=True)


def rst_in_window(receiver: Config, _peer: Config) -> Segment:
    """<SEQ=RCV.NXT+100><CTL=RST>: in the window but not at RCV.NXT (RFC 5961
    3.2 as adopted by 3.10.7.4 second: a challenge ACK, not a reset)."""
    return Segment(seq=add(receiver.rcv_nxt, IN_WINDOW), rst=True)


def syn_in_window(receiver: Config, peer: Config) -> Segment:
    """<SEQ=RCV.NXT+100><CTL=SYN>: a SYN in the window of a synchronized
    connection (RFC 5961 4.2 as adopted by 3.10.7.4 fourth)."""
    return Segment(seq=add(receiver.rcv_nxt, IN_WINDOW), syn=True, wnd=peer.rcv_wnd)


def synack_of_iss(receiver: Config, peer: Config) -> Segment:
    """<SEQ=ISS'><ACK=ISS><CTL=SYN,ACK>: a SYN,ACK whose ACK acknowledges
    nothing (SEG.ACK = ISS; 3.10.7.3 first, erratum 3300 of RFC 793)."""
    return Segment(seq=peer.iss, ack=receiver.iss, syn=True, ackf=True, wnd=peer.rcv_wnd)


def ack_of_iss(receiver: Config, peer: Config) -> Segment:
    """<SEQ=RCV.NXT><ACK=ISS><CTL=ACK> in SYN-RECEIVED: SND.UNA = ISS, so
    SND.UNA < SEG.ACK fails (3.10.7.4 fifth, erratum 3301 of RFC 793)."""
    return Segment(seq=receiver.rcv_nxt, ack=receiver.iss, ackf=True, wnd=peer.rcv_wnd)


def syn_with_data(receiver: Config, peer: Config) -> Segment:
    """The peer's SYN carrying 10 octets (the way TCP Fast Open sends them,
    RFC 7413; 3.10.7.2: the receiver may not accept data on a SYN)."""
    return Segment(seq=peer.iss, syn=True, data=10, wnd=peer.rcv_wnd)


def _passive() -> list[Act]:
    return [call("A", Open(False)), call("B", Open(True)), deliver("A"), deliver("B"), deliver("A")]


def _active() -> list[Act]:
    return [call("B", Open(False)), call("A", Open(True)), deliver("B"), deliver("A"), deliver("B")]


def _close_local() -> list[Act]:
    return [call("A", Close()), deliver("B"), deliver("A"), call("B", Close()), deliver("A"),
            deliver("B")]


def _close_remote() -> list[Act]:
    return [call("B", Close()), deliver("A"), deliver("B"), call("A", Close()), deliver("B"),
            deliver("A")]


def _time_wait() -> list[Act]:
    return _passive() + _close_local()[:-1]  # A in TIME-WAIT (the peer's last ACK is not needed)


@dataclass(frozen=True)
class PktScenario:
    name: str
    title: str
    ref: str
    acts: tuple[Act, ...]
    close_as: str = "shutdown"  # how A's CLOSE is written: "shutdown" (SHUT_WR) or "close"
    sysctls: tuple[tuple[str, str], ...] = ()  # run under these (EVIDENCE)
    differs: str = ""  # EVIDENCE: the difference the failure shows
    probe: bool = True  # end with the final probe


def _sc(name, title, ref, acts, **kw) -> PktScenario:
    return PktScenario(name, title, ref, tuple(acts), **kw)


SCENARIOS = [
    _sc("passive-open", "listener: three-way handshake", "3.5 Figure 6; 3.10.1; 3.10.7.2; 3.10.7.4",
        _passive()),
    _sc("passive-close-local", "listener: the local user closes first", "3.6 case 1, Figure 12; 3.10.4; MUST-13",
        _passive() + _close_local()),
    _sc("passive-close-remote", "listener: the peer closes first", "3.6 case 2, Figure 12; 3.10.4; 3.10.7.4 eighth",
        _passive() + _close_remote()),
    _sc("passive-simultaneous-close", "listener: both close at once (CLOSING)", "3.6 case 3, Figure 13",
        _passive() + [call("A", Close()), call("B", Close()), deliver("A"), deliver("B"), deliver("A"),
                      deliver("B")]),
    _sc("passive-fin-acks-fin", "listener: a FIN that also acknowledges our FIN",
        "3.3.2 Figure 5 Note 2; 3.10.7.4 fifth and eighth",
        _passive() + [call("A", Close()), deliver("B"), lose("A", note="the peer's ACK of our FIN is lost"),
                      call("B", Close()), deliver("A"), deliver("B")]),
    _sc("passive-half-close", "listener: half-closed connection, the peer keeps sending",
        "3.6, 3.6.1; 3.10.7.4 seventh",
        _passive() + [call("A", Close()), deliver("B"), deliver("A"), call("B", Send(10)), deliver("A"),
                      deliver("B"), call("B", Close()), deliver("A"), deliver("B")]),
    _sc("passive-dup-syn", "listener: the peer's SYN again, in SYN-RECEIVED",
        "3.10.7.4 first (old segment) and fourth; 3.10.8",
        [call("A", Open(False)), call("B", Open(True)), deliver("A"),
         timeout("B", "retransmission"), deliver("A"), deliver("B"), deliver("A")]),
    _sc("passive-syn-data", "listener: data on a SYN is not acknowledged",
        "3.10.7.2 third (\"the TCP peer may not accept and acknowledge all of the data on the SYN\")",
        [call("A", Open(False)), call("B", Open(True)), lose("A", note="replaced by a SYN with data"),
         inject("A", syn_with_data, "the peer's SYN with 10 octets"), deliver("B"), deliver("A")]),
    _sc("active-open", "connector: three-way handshake", "3.5 Figure 6; 3.10.1; 3.10.7.3", _active()),
    _sc("active-close-local", "connector: the local user closes first", "3.6 case 1, Figure 12; 3.10.4",
        _active() + _close_local()),
    _sc("active-close-remote", "connector: the peer closes first", "3.6 case 2, Figure 12; 3.10.4",
        _active() + _close_remote()),
    _sc("simultaneous-open", "connector: simultaneous open", "3.5 Figure 7; MUST-10; 3.10.7.3 fourth",
        [call("A", Open(True)), call("B", Open(True)), deliver("A"), deliver("B"), deliver("A"),
         deliver("B")]),
    _sc("syn-sent-ack-of-iss", "connector: a SYN,ACK acknowledging nothing is reset",
        "3.10.7.3 first (SEG.ACK =< ISS); 3.5.2 group 2; erratum 3300 of RFC 793",
        [call("B", Open(False)), call("A", Open(True)), deliver("B"),
         lose("A", note="replaced by a forged SYN,ACK"), inject("A", synack_of_iss, "ACK = ISS"),
         timeout("A", "retransmission", "the SYN is resent (Linux: at once, TCP_TIMEOUT_MIN)")]),
    _sc("syn-received-ack-of-iss", "listener: an ACK of ISS in SYN-RECEIVED is reset",
        "3.10.7.4 fifth SYN-RECEIVED (SND.UNA < SEG.ACK); erratum 3301 of RFC 793",
        [call("A", Open(False)), call("B", Open(True)), deliver("A"),
         inject("A", ack_of_iss, "ACK = ISS")]),
    _sc("syn-received-active-ack-of-iss", "simultaneous open: an ACK of ISS in SYN-RECEIVED is reset",
        "3.10.7.4 fifth SYN-RECEIVED (SND.UNA < SEG.ACK); erratum 3301 of RFC 793; 3.5 Figure 7",
        [call("A", Open(True)), call("B", Open(True)), deliver("A"),
         inject("A", ack_of_iss, "ACK = ISS")]),
    _sc("rst-listen", "RST in LISTEN is ignored", "3.10.7.2 first; 3.5.3",
        [call("A", Open(False)), inject("A", stray_rst, "a stray RST"), call("B", Open(True)),
         deliver("A")]),
    _sc("rst-syn-sent", "RST in SYN-SENT: connecting to a closed port", "3.10.7.1; 3.10.7.3 second; 3.5.2 group 1",
        [call("A", Open(True)), deliver("B"), deliver("A")]),
    _sc("rst-syn-received-passive", "RST in SYN-RECEIVED after a passive OPEN returns to LISTEN",
        "3.10.7.4 second; 3.3.2 Figure 5 Note 1; MUST-11",
        [call("A", Open(False)), call("B", Open(True)), deliver("A"),
         inject("A", rst_at_rcv_nxt, "RST at RCV.NXT"), timeout("B", "retransmission"), deliver("A")]),
    _sc("rst-syn-received-active", "RST in SYN-RECEIVED after an active OPEN: connection refused",
        "3.10.7.4 second; MUST-11",
        [call("A", Open(True)), call("B", Open(True)), deliver("A"),
         inject("A", rst_at_rcv_nxt, "RST at RCV.NXT")]),
    _sc("rst-established", "RST in ESTABLISHED: connection reset", "3.10.7.4 second; 3.5.3; Figure 5 Note 3",
        _passive() + [call("B", Abort()), deliver("A")]),
    _sc("rst-fin-wait-1", "RST in FIN-WAIT-1", "3.10.7.4 second; Figure 5 Note 3",
        _passive() + [call("A", Close()), call("B", Abort()), deliver("A")]),
    _sc("rst-fin-wait-2", "RST in FIN-WAIT-2", "3.10.7.4 second; Figure 5 Note 3",
        _passive() + [call("A", Close()), deliver("B"), deliver("A"), call("B", Abort()), deliver("A")]),
    _sc("rst-close-wait", "RST in CLOSE-WAIT", "3.10.7.4 second; Figure 5 Note 3",
        _passive() + [call("B", Close()), deliver("A"), deliver("B"), call("B", Abort()), deliver("A")]),
    _sc("rst-closing", "RST in CLOSING", "3.10.7.4 second; Figure 5 Note 3",
        _passive() + [call("A", Close()), call("B", Close()), deliver("A"), call("B", Abort()),
                      deliver("A", index=0)]),
    _sc("rst-last-ack", "RST in LAST-ACK", "3.10.7.4 second; Figure 5 Note 3",
        _passive() + [call("B", Close()), deliver("A"), deliver("B"), call("A", Close()), call("B", Abort()),
                      deliver("A")]),
    _sc("rst-time-wait", "RST in TIME-WAIT", "3.10.7.4 second; Figure 5 Note 3",
        _time_wait() + [inject("A", rst_at_rcv_nxt, "RST at RCV.NXT")]),
    _sc("rst-challenge-syn-received-passive", "in-window RST not at RCV.NXT in SYN-RECEIVED (passive)",
        "3.10.7.4 second (3); RFC 5961 3.2",
        [call("A", Open(False)), call("B", Open(True)), deliver("A"),
         inject("A", rst_in_window, "RST at RCV.NXT+100")]),
    _sc("rst-challenge-established", "in-window RST not at RCV.NXT in ESTABLISHED: challenge ACK",
        "3.10.7.4 second (3); RFC 5961 3.2",
        _passive() + [inject("A", rst_in_window, "RST at RCV.NXT+100")]),
    _sc("rst-challenge-time-wait", "in-window RST not at RCV.NXT in TIME-WAIT",
        "3.10.7.4 second (3); RFC 5961 3.2",
        _time_wait() + [inject("A", rst_in_window, "RST at RCV.NXT+100")]),
    _sc("syn-challenge-established", "SYN in ESTABLISHED: challenge ACK", "3.10.7.4 fourth; RFC 5961 4.2",
        _passive() + [inject("A", syn_in_window, "SYN at RCV.NXT+100")]),
    _sc("abort-syn-sent", "ABORT in SYN-SENT: nothing is sent", "3.10.5",
        [call("B", Open(False)), call("A", Open(True)), call("A", Abort())]),
    _sc("abort-established", "ABORT in ESTABLISHED sends a RST", "3.10.5",
        _passive() + [call("A", Abort()), deliver("B")]),
    _sc("abort-close-wait", "ABORT in CLOSE-WAIT sends a RST", "3.10.5",
        _passive() + [call("B", Close()), deliver("A"), deliver("B"), call("A", Abort())]),
]

RFC1337 = (("net.ipv4.tcp_rfc1337", "1"),)
TFO_SERVER = (("net.ipv4.tcp_fastopen", "0x602"),)  # server on, no cookie needed, no sockopt needed

EVIDENCE = [
    _sc("close-unread-data", "close() with received data the user has not read",
        "3.6.1 MAY-1, SHLD-3",
        _passive() + [call("B", Send(10)), deliver("A"), deliver("B"), call("A", Close())],
        close_as="close", probe=False,
        differs="Linux sends <RST,ACK> instead of the FIN (SHLD-3: data was lost)"),
    _sc("data-after-close", "new data after a half-duplex close()", "3.6.1 MAY-1, SHLD-3",
        _passive() + [call("A", Close()), deliver("B"), deliver("A"), call("B", Send(10)), deliver("A")],
        close_as="close", probe=False,
        differs="Linux answers the data with <RST> instead of acknowledging it (SHLD-3)"),
    _sc("challenge-ack-rate-limit", "two in-window RSTs not at RCV.NXT within 500 ms",
        "3.10.7.4 second (3); RFC 5961 3.2, 7 (rate limiting)",
        _passive() + [inject("A", rst_in_window, "RST at RCV.NXT+100"),
                      inject("A", rst_in_window, "again")],
        differs="Linux sends one challenge ACK, not two (net.ipv4.tcp_invalid_ratelimit: 500 ms)"),
    _sc("tfo-syn-data", "data on a SYN, with TCP Fast Open enabled for servers",
        "3.10.7.2 third; RFC 7413",
        [call("A", Open(False)), call("B", Open(True)), lose("A", note="replaced by a SYN with data"),
         inject("A", syn_with_data, "the peer's SYN with 10 octets"), deliver("B"), deliver("A")],
        sysctls=TFO_SERVER,
        differs="with net.ipv4.tcp_fastopen=0x602 the SYN,ACK acknowledges the 10 octets"),
    _sc("time-wait-assassination-off", "RST in TIME-WAIT with net.ipv4.tcp_rfc1337=1",
        "3.10.7.4 second; RFC 1337",
        _time_wait() + [inject("A", rst_at_rcv_nxt, "RST at RCV.NXT")],
        sysctls=RFC1337,
        differs="with net.ipv4.tcp_rfc1337=1 the RST is ignored: TIME-WAIT answers the probe with an ACK"),
]
