"""A sans-IO TCP endpoint for one connection, written from RFC 9293 3.10
and model/DECISIONS.md (the behavioural choices shared with the model).

No sockets and no clocks: the user calls :meth:`Endpoint.open`,
:meth:`~Endpoint.send`, :meth:`~Endpoint.close`, :meth:`~Endpoint.abort`,
the network calls :meth:`~Endpoint.segment_arrives`, the timer wheel calls
:meth:`~Endpoint.timeout`; each returns the segments to transmit.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Callable

from .errors import (
    ConnectionClosing,
    ConnectionDoesNotExist,
    ConnectionExists,
    ForeignSocketUnspecified,
    InsufficientResources,
    TimerNotRunning,
)
from .iss import IssGenerator
from .segment import Segment
from .seqnum import MASK, seq_add, seq_diff, seq_le, seq_lt, seq_min
from .state import State

__all__ = ["Endpoint", "TIMEOUT_KINDS"]

TIMEOUT_KINDS = frozenset({"retransmission", "user", "time-wait"})

_S = State


@dataclass
class _RtxEntry:
    """One entry of the retransmission queue: SYN, a run of data, or FIN."""

    kind: str  # "SYN" | "DATA" | "FIN"
    seq: int
    length: int


class Endpoint:
    """One end of one TCP connection (RFC 9293 3.3.1 TCB + 3.10 events).

    Readable attributes: ``state``, ``iss``, ``irs``, ``snd_una``,
    ``snd_nxt``, ``snd_wnd``, ``rcv_nxt``, ``rcv_wnd``, ``passive``,
    ``signals`` (user signals such as ``"connection reset"``) and
    ``closed_by_reset``.
    """

    def __init__(
        self,
        iss: int | None = None,
        rcv_wnd: int = 65535,
        *,
        four_tuple: tuple[object, int, object, int] = ("0.0.0.0", 0, "0.0.0.0", 0),
        clock: Callable[[], int] | None = None,
        secret: bytes | None = None,
        iss_generator: IssGenerator | None = None,
    ) -> None:
        if not 0 <= rcv_wnd <= 0xFFFF:
            raise ValueError(f"rcv_wnd must fit the 16-bit window field, got {rcv_wnd}")
        self._iss_source: Callable[[], int] | None
        if iss is None:
            # 3.4.1: ISS from the clock-driven keyed generator, re-selected for
            # every new connection (active OPEN, or SYN arriving in LISTEN).
            if iss_generator is None:
                if clock is None:
                    raise ValueError("iss=None needs clock= (a callable returning microseconds)")
                iss_generator = IssGenerator(clock=clock, secret=secret)
            gen = iss_generator
            self._iss_source = lambda: gen.iss(*four_tuple)
            self.iss = self._iss_source()
        else:
            if not 0 <= iss <= MASK:
                raise ValueError(f"iss must be in [0, 2**32), got {iss}")
            # DECISIONS.md Scope: ISS is a parameter, kept across incarnations.
            self._iss_source = None
            self.iss = iss
        self.rcv_wnd = rcv_wnd  # DECISIONS.md: RCV.WND is a constant of the endpoint
        self.state = _S.CLOSED
        self.signals: list[str] = []
        self.closed_by_reset = False
        self._rcv_buf = bytearray()  # delivered in order, not yet read by RECEIVE
        self._delete_tcb()

    # ------------------------------------------------------------------
    # TCB management
    # ------------------------------------------------------------------
    def _delete_tcb(self) -> None:
        """Entering CLOSED deletes the TCB; LISTEN starts a fresh one (DECISIONS.md)."""
        self.irs = 0
        self.snd_una = 0
        self.snd_nxt = 0
        self.snd_wnd = 0
        self.rcv_nxt = 0
        self.passive = False
        self._rtx_queue: deque[_RtxEntry] = deque()
        self._snd_buf = bytearray()  # unacknowledged data octets
        self._snd_buf_seq = 0  # sequence number of _snd_buf[0]

    def _enter_closed(self) -> None:
        self._delete_tcb()
        self.state = _S.CLOSED

    def _enter_listen(self) -> None:
        # Note 1 of Figure 5 / passive OPEN: a fresh TCB with PASSIVE set.
        self._delete_tcb()
        self.passive = True
        self.state = _S.LISTEN

    def _select_iss(self) -> None:
        # 3.4.1: "An initial send sequence number (ISS) is selected."
        if self._iss_source is not None:
            self.iss = self._iss_source()

    def snapshot(self) -> dict[str, object]:
        """State and RFC variables (3.3.1) by their RFC names."""
        return {
            "state": str(self.state),
            "ISS": self.iss,
            "IRS": self.irs,
            "SND.UNA": self.snd_una,
            "SND.NXT": self.snd_nxt,
            "SND.WND": self.snd_wnd,
            "RCV.NXT": self.rcv_nxt,
            "RCV.WND": self.rcv_wnd,
            "PASSIVE": self.passive,
        }

    # ------------------------------------------------------------------
    # Segment construction
    # ------------------------------------------------------------------
    def _ack_segment(self) -> Segment:
        # 3.10.7.4: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, WND = RCV.WND.
        return Segment(seq=self.snd_nxt, ack=self.rcv_nxt, ack_flag=True, wnd=self.rcv_wnd)

    def _syn_segment(self) -> Segment:
        # 3.10.1: <SEQ=ISS><CTL=SYN>.
        return Segment(seq=self.iss, syn=True, wnd=self.rcv_wnd)

    def _syn_ack_segment(self) -> Segment:
        # 3.10.7.2 / 3.10.7.3: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
        return Segment(seq=self.iss, ack=self.rcv_nxt, syn=True, ack_flag=True, wnd=self.rcv_wnd)

    @staticmethod
    def _rst_for_ack(seg: Segment) -> Segment:
        # 3.10.7.1-3: <SEQ=SEG.ACK><CTL=RST>.
        return Segment(seq=seg.ack, rst=True)

    def _send_syn(self) -> list[Segment]:
        # 3.10.1: send <SEQ=ISS><CTL=SYN>, SND.UNA <- ISS, SND.NXT <- ISS+1.
        self.snd_una = self.iss
        self.snd_nxt = seq_add(self.iss, 1)
        self._rtx_queue.append(_RtxEntry("SYN", self.iss, 1))
        self.state = _S.SYN_SENT
        return [self._syn_segment()]

    def _send_fin(self) -> list[Segment]:
        # 3.10.4: form a FIN segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>.
        seg = Segment(
            seq=self.snd_nxt, ack=self.rcv_nxt, fin=True, ack_flag=True, wnd=self.rcv_wnd
        )
        self._rtx_queue.append(_RtxEntry("FIN", self.snd_nxt, 1))
        self.snd_nxt = seq_add(self.snd_nxt, 1)
        return [seg]

    # ------------------------------------------------------------------
    # User calls (3.10.1 - 3.10.5)
    # ------------------------------------------------------------------
    def open(self, active: bool) -> list[Segment]:
        """3.10.1 OPEN."""
        if self.state is _S.CLOSED:
            if not active:
                # 3.10.1 CLOSED, passive: enter LISTEN (MUST-11: PASSIVE remembered).
                self.closed_by_reset = False
                self._enter_listen()
                return []
            # 3.10.1 CLOSED, active: select ISS, send SYN, enter SYN-SENT.
            self.closed_by_reset = False
            self._delete_tcb()
            self._select_iss()
            return self._send_syn()
        if self.state is _S.LISTEN and active:
            # 3.10.1 LISTEN, active: change from passive to active, send SYN.
            self.passive = False
            self._select_iss()
            return self._send_syn()
        # 3.10.1 all other states.
        raise ConnectionExists()

    def send(self, data: bytes) -> list[Segment]:
        """3.10.2 SEND: one segment carrying all of ``data`` (DECISIONS.md)."""
        st = self.state
        if st is _S.CLOSED:
            raise ConnectionDoesNotExist()
        if st is _S.LISTEN:
            # 3.10.2 LISTEN: our LISTEN names no peer.
            raise ForeignSocketUnspecified()
        if st in (_S.SYN_SENT, _S.SYN_RECEIVED):
            # 3.10.2: no queue before ESTABLISHED, so no space to remember the buffer.
            raise InsufficientResources()
        if st not in (_S.ESTABLISHED, _S.CLOSE_WAIT):
            # 3.10.2 FIN-WAIT-1 .. TIME-WAIT: "error: connection closing".
            raise ConnectionClosing()
        data = bytes(data)
        if not data:
            return []
        # 3.8.6: never beyond the peer's window; the buffer holds only what
        # fits in it (DECISIONS.md), the rest is refused.
        if seq_lt(seq_add(self.snd_una, self.snd_wnd), seq_add(self.snd_nxt, len(data))):
            raise InsufficientResources()
        # 3.10.2 ESTABLISHED / CLOSE-WAIT: send with a piggybacked ACK.
        seg = Segment(
            seq=self.snd_nxt, ack=self.rcv_nxt, ack_flag=True, data=data, wnd=self.rcv_wnd
        )
        if not self._snd_buf:
            self._snd_buf_seq = self.snd_nxt
        self._snd_buf += data
        self._rtx_queue.append(_RtxEntry("DATA", self.snd_nxt, len(data)))
        self.snd_nxt = seq_add(self.snd_nxt, len(data))
        return [seg]

    def delivered(self) -> bytes:
        """The octets delivered since the last call, forgotten (what a user
        reading at once has read; never fails, in any state)."""
        out = bytes(self._rcv_buf)
        self._rcv_buf.clear()
        return out

    def receive(self) -> bytes:
        """3.10.3 RECEIVE: the octets delivered so far. The user is assumed
        to read at once (DECISIONS.md), so this never affects RCV.WND; with
        nothing left to read, CLOSED answers "connection does not exist"
        and the states after the peer's FIN "connection closing"."""
        if not self._rcv_buf:
            if self.state is _S.CLOSED:
                raise ConnectionDoesNotExist()
            if self.state in (_S.CLOSE_WAIT, _S.CLOSING, _S.LAST_ACK, _S.TIME_WAIT):
                raise ConnectionClosing()
        return self.delivered()

    def status(self) -> dict[str, object]:
        """3.10.6 STATUS: the state and variables; no TCB, no status."""
        if self.state is _S.CLOSED:
            raise ConnectionDoesNotExist()
        return self.snapshot()

    def close(self) -> list[Segment]:
        """3.10.4 CLOSE."""
        st = self.state
        if st is _S.CLOSED:
            raise ConnectionDoesNotExist()
        if st in (_S.LISTEN, _S.SYN_SENT):
            # 3.10.4 LISTEN / SYN-SENT: delete the TCB, enter CLOSED.
            self._enter_closed()
            return []
        if st in (_S.SYN_RECEIVED, _S.ESTABLISHED):
            # 3.10.4 SYN-RECEIVED (nothing queued) / ESTABLISHED: FIN, FIN-WAIT-1.
            out = self._send_fin()
            self.state = _S.FIN_WAIT_1
            return out
        if st is _S.CLOSE_WAIT:
            # 3.10.4 CLOSE-WAIT: send FIN, enter LAST-ACK.
            out = self._send_fin()
            self.state = _S.LAST_ACK
            return out
        # 3.10.4 FIN-WAIT-1, FIN-WAIT-2, CLOSING, LAST-ACK, TIME-WAIT.
        raise ConnectionClosing()

    def abort(self) -> list[Segment]:
        """3.10.5 ABORT."""
        st = self.state
        if st is _S.CLOSED:
            raise ConnectionDoesNotExist()
        out: list[Segment] = []
        if st in (_S.SYN_RECEIVED, _S.ESTABLISHED, _S.FIN_WAIT_1, _S.FIN_WAIT_2, _S.CLOSE_WAIT):
            # 3.10.5: send <SEQ=SND.NXT><CTL=RST>, flush the queues.
            out.append(Segment(seq=self.snd_nxt, rst=True))
        # 3.10.5 LISTEN, SYN-SENT, CLOSING, LAST-ACK, TIME-WAIT: nothing sent.
        self._enter_closed()
        return out

    # ------------------------------------------------------------------
    # Timeouts (3.10.8)
    # ------------------------------------------------------------------
    def timer_running(self, kind: str) -> bool:
        """Whether the timer behind ``timeout(kind)`` is running."""
        if kind == "retransmission":
            # Running exactly while something is outstanding (SND.UNA != SND.NXT).
            return bool(self._rtx_queue)
        if kind == "user":
            return bool(self._rtx_queue) and self.state in (
                _S.SYN_SENT, _S.SYN_RECEIVED, _S.ESTABLISHED, _S.FIN_WAIT_1,
                _S.CLOSE_WAIT, _S.CLOSING, _S.LAST_ACK,
            )
        if kind == "time-wait":
            return self.state is _S.TIME_WAIT
        raise ValueError(f"unknown timeout kind {kind!r}; expected one of {sorted(TIMEOUT_KINDS)}")

    def timeout(self, kind: str) -> list[Segment]:
        """3.10.8 USER / RETRANSMISSION / TIME-WAIT TIMEOUT."""
        if not self.timer_running(kind):
            raise TimerNotRunning(f"timer not running: {kind}")
        if kind == "retransmission":
            # 3.10.8: resend the front of the retransmission queue.
            return [self._retransmission()]
        if kind == "user":
            # 3.10.8: flush all queues, signal the user, delete the TCB.
            self.signals.append("connection aborted due to user timeout")
            self._enter_closed()
            return []
        # 3.10.8 TIME-WAIT TIMEOUT: delete the TCB, enter CLOSED; the close
        # completed normally (MUST-12: the user can tell it from an abort).
        self.signals.append("connection closed")
        self._enter_closed()
        return []

    def _retransmission(self) -> Segment:
        front = self._rtx_queue[0]
        if front.kind == "SYN":
            if self.state is _S.SYN_SENT:
                # Our SYN, peer's not yet seen: <SEQ=ISS><CTL=SYN>.
                return self._syn_segment()
            # SYN-RECEIVED, or FIN-WAIT-1/CLOSING after CLOSE in SYN-RECEIVED
            # (SND.UNA = ISS): the SYN goes out again as SYN,ACK.
            return self._syn_ack_segment()
        # Data and FIN: everything unacknowledged, coalesced into one segment
        # starting at SND.UNA (DECISIONS.md 3.10.8).
        fin = self._rtx_queue[-1].kind == "FIN"
        n_data = seq_diff(self.snd_nxt, self.snd_una) - int(fin)
        start = seq_diff(self.snd_una, self._snd_buf_seq)
        data = bytes(self._snd_buf[start:start + n_data])
        return Segment(
            seq=self.snd_una, ack=self.rcv_nxt, ack_flag=True, fin=fin, data=data, wnd=self.rcv_wnd
        )

    def _acknowledge_queue(self) -> None:
        """3.10.7.4 fifth: remove what SND.UNA now covers from the retransmission queue."""
        while self._rtx_queue:
            entry = self._rtx_queue[0]
            end = seq_add(entry.seq, entry.length)
            if seq_le(end, self.snd_una):
                self._rtx_queue.popleft()
                continue
            if seq_lt(entry.seq, self.snd_una):
                # Partially acknowledged data: keep only the tail.
                cut = seq_diff(self.snd_una, entry.seq)
                entry.seq = self.snd_una
                entry.length -= cut
            break
        acked = seq_diff(self.snd_una, self._snd_buf_seq)
        if acked > 0 and self._snd_buf:
            acked = min(acked, len(self._snd_buf))
            del self._snd_buf[:acked]
            self._snd_buf_seq = seq_add(self._snd_buf_seq, acked)

    # ------------------------------------------------------------------
    # SEGMENT ARRIVES (3.10.7)
    # ------------------------------------------------------------------
    def segment_arrives(self, seg: Segment) -> list[Segment]:
        """3.10.7 SEGMENT ARRIVES; returns the segments to send.  Never raises."""
        st = self.state
        if st is _S.CLOSED:
            return self._arrives_closed(seg)
        if st is _S.LISTEN:
            return self._arrives_listen(seg)
        if st is _S.SYN_SENT:
            return self._arrives_syn_sent(seg)
        return self._arrives_other(seg)

    def _arrives_closed(self, seg: Segment) -> list[Segment]:
        # 3.10.7.1: all data is discarded; a RST is discarded.
        if seg.rst:
            return []
        if seg.ack_flag:
            # 3.10.7.1 ACK on: <SEQ=SEG.ACK><CTL=RST>.
            return [self._rst_for_ack(seg)]
        # 3.10.7.1 ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
        return [
            Segment(seq=0, ack=seq_add(seg.seq, seg.len), rst=True, ack_flag=True, wnd=self.rcv_wnd)
        ]

    def _arrives_listen(self, seg: Segment) -> list[Segment]:
        # 3.10.7.2 first: an incoming RST is ignored.
        if seg.rst:
            return []
        # 3.10.7.2 second: any ACK is bad in LISTEN: <SEQ=SEG.ACK><CTL=RST>.
        if seg.ack_flag:
            return [self._rst_for_ack(seg)]
        # 3.10.7.2 third: SYN (security check is a no-op, DECISIONS.md).
        if seg.syn:
            self.irs = seg.seq
            self.rcv_nxt = seq_add(seg.seq, 1)
            self.snd_wnd = seg.wnd
            self._select_iss()
            self.snd_una = self.iss
            self.snd_nxt = seq_add(self.iss, 1)
            self._rtx_queue.append(_RtxEntry("SYN", self.iss, 1))
            self.state = _S.SYN_RECEIVED
            # DECISIONS.md: data/FIN carried on the SYN is discarded.
            return [self._syn_ack_segment()]
        # 3.10.7.2 fourth: anything else is dropped.
        return []

    def _arrives_syn_sent(self, seg: Segment) -> list[Segment]:
        # 3.10.7.3 first: check the ACK bit; unacceptable if SEG.ACK =< ISS or SEG.ACK > SND.NXT.
        # "SEG.ACK > SND.NXT" is written SND.NXT < SEG.ACK, as in _arrives_other (2^31 apart).
        if seg.ack_flag and (seq_le(seg.ack, self.iss) or seq_lt(self.snd_nxt, seg.ack)):
            if seg.rst:
                return []
            return [self._rst_for_ack(seg)]
        # 3.10.7.3 second: RST; with an (acceptable) ACK the connection is reset,
        # without an ACK it is dropped.  No RCV.NXT yet, so no RFC 5961 exact check.
        if seg.rst:
            if seg.ack_flag:
                self.signals.append("connection reset")
                self.closed_by_reset = True
                self._enter_closed()
            return []
        # 3.10.7.3 third: security check is a no-op (DECISIONS.md).
        # 3.10.7.3 fourth: SYN.
        if seg.syn:
            self.irs = seg.seq
            self.rcv_nxt = seq_add(seg.seq, 1)
            self.snd_wnd = seg.wnd
            # DECISIONS.md: data/FIN carried on the SYN is discarded.
            if seg.ack_flag:
                # ACK acceptable (first step): our SYN is acknowledged -> ESTABLISHED.
                self.snd_una = seg.ack
                self._acknowledge_queue()
                self.state = _S.ESTABLISHED
                return [self._ack_segment()]
            # Simultaneous open (Figure 7): enter SYN-RECEIVED, send SYN,ACK.
            self.state = _S.SYN_RECEIVED
            return [self._syn_ack_segment()]
        # 3.10.7.3 fifth: neither SYN nor RST: drop.
        return []

    def _acceptable(self, seg: Segment) -> bool:
        """3.10.7.4 first: Table 6 acceptability test, SEG.LEN counting SYN and FIN."""
        seg_len = seg.len
        if self.rcv_wnd == 0:
            # Table 6 rows "0 / 0" and ">0 / 0".
            return seg_len == 0 and seg.seq == self.rcv_nxt

        def in_window(n: int) -> bool:
            return seq_le(self.rcv_nxt, n) and seq_lt(n, seq_add(self.rcv_nxt, self.rcv_wnd))

        if seg_len == 0:
            return in_window(seg.seq)
        return in_window(seg.seq) or in_window(seq_add(seg.seq, seg_len - 1))

    def _arrives_other(self, seg: Segment) -> list[Segment]:
        st = self.state
        ack_wanted = False

        # DECISIONS.md step 0 (3.10.7.4 "only the new parts are processed"):
        # in SYN-RECEIVED a SYN at IRS without RST is the peer's SYN again.
        if st is _S.SYN_RECEIVED and seg.syn and not seg.rst and seg.seq == self.irs:
            if not seg.ack_flag:
                # A retransmitted SYN: unacceptable, acknowledged by our SYN,ACK again.
                return [self._syn_ack_segment()]
            # The SYN,ACK of a simultaneous open: its SYN is old; data and FIN
            # on a SYN are not accepted (as in LISTEN and SYN-SENT).
            seg = replace(seg, seq=seq_add(seg.seq, 1), syn=False, fin=False, data=b"")

        # DECISIONS.md step 1 allowances (3.10.7.4 first; Appendix A.2).
        direct: list[Segment] = []
        fin_received = st in (_S.CLOSE_WAIT, _S.CLOSING, _S.LAST_ACK, _S.TIME_WAIT)
        if (fin_received and seg.fin and not seg.rst and not seg.syn
                and seq_add(seg.seq, seg.len) == self.rcv_nxt and not self._acceptable(seg)
                and not (seg.ack_flag and seq_lt(self.snd_nxt, seg.ack))):
            # The peer's FIN again: acknowledge it at once (in TIME-WAIT this
            # restarts the 2 MSL timeout) and process its ACK field.
            direct.append(self._ack_segment())
            seg = replace(seg, seq=self.rcv_nxt, fin=False, data=b"")
        elif self.rcv_wnd == 0 and seg.len and not seg.syn and seg.seq == self.rcv_nxt:
            # A zero window: text and FIN discarded (and acknowledged); the
            # segment's RST and ACK are still processed.
            ack_wanted = True
            seg = replace(seg, fin=False, data=b"")
        out = self._arrives_checked(seg, ack_wanted)
        return direct + out

    def _with_ack(self, out: list[Segment], ack_wanted: bool) -> list[Segment]:
        """MUST-58/59: an acknowledgment asked for earlier in the processing
        (a zero window's discarded text) is still sent when it stops early."""
        return out + [self._ack_segment()] if ack_wanted else out

    def _arrives_checked(self, seg: Segment, ack_wanted: bool) -> list[Segment]:
        st = self.state
        # 3.10.7.4 first: check sequence number (Table 6).
        if not self._acceptable(seg):
            if seg.rst:
                # 3.10.7.4 first: unacceptable RST -> drop (RFC 5961 check 1).
                return []
            # 3.10.7.4 first: unacceptable -> <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop.
            return [self._ack_segment()]

        # 3.10.7.4 second: RST bit.
        if seg.rst:
            if seg.seq != self.rcv_nxt:
                # 3.10.7.4 second: RFC 5961 check 3, in-window inexact RST -> challenge ACK.
                return [self._ack_segment()]
            # 3.10.7.4 second: RFC 5961 check 2, exact-match RST resets the connection.
            if st is _S.SYN_RECEIVED:
                if self.passive:
                    # 3.10.7.4 second, SYN-RECEIVED from passive OPEN: back to LISTEN.
                    self._enter_listen()
                    return []
                # 3.10.7.4 second, SYN-RECEIVED from active OPEN: "connection refused".
                self.signals.append("connection refused")
            elif st in (_S.ESTABLISHED, _S.FIN_WAIT_1, _S.FIN_WAIT_2, _S.CLOSE_WAIT,
                        _S.CLOSING, _S.LAST_ACK):
                # 3.10.7.4 second: "connection reset" signal; in CLOSING and
                # LAST-ACK our FIN is unacknowledged: an abort (MUST-12).
                self.signals.append("connection reset")
            # 3.10.7.4 second, TIME-WAIT: just CLOSED (the close had completed).
            self.closed_by_reset = True
            self._enter_closed()
            return []

        # 3.10.7.4 third: security/compartment check is a no-op (DECISIONS.md).

        # 3.10.7.4 fourth: SYN bit (after the step-0 trim).
        if seg.syn:
            if st is _S.SYN_RECEIVED and self.passive:
                # 3.10.7.4 fourth, SYN-RECEIVED from passive OPEN: back to LISTEN.
                self._enter_listen()
                return []
            # 3.10.7.4 fourth: RFC 5961 challenge ACK for a SYN in a synchronized state.
            return [self._ack_segment()]

        # 3.10.7.4 fifth: ACK field.  MAY-12 (RFC 5961 ACK range) not implemented.
        if not seg.ack_flag:
            # 3.10.7.4 fifth: ACK bit off -> drop.
            return self._with_ack([], ack_wanted)
        if st is _S.SYN_RECEIVED:
            if seq_lt(self.snd_una, seg.ack) and seq_le(seg.ack, self.snd_nxt):
                # 3.10.7.4 fifth, SYN-RECEIVED: acceptable ACK -> ESTABLISHED, continue.
                self.snd_una = seg.ack
                self.snd_wnd = seg.wnd
                self._acknowledge_queue()
                self.state = st = _S.ESTABLISHED
            else:
                # 3.10.7.4 fifth, SYN-RECEIVED: unacceptable ACK -> <SEQ=SEG.ACK><CTL=RST>.
                return self._with_ack([self._rst_for_ack(seg)], ack_wanted)
        else:
            if seq_lt(self.snd_nxt, seg.ack):
                # "SEG.ACK > SND.NXT" read as SND.NXT < SEG.ACK, the same comparison
                # as the "SND.UNA < SEG.ACK" below: with seq_gt(SEG.ACK, SND.NXT) an
                # ACK exactly 2^31 beyond SND.NXT (both seq_lt(SND.NXT, SEG.ACK)
                # and seq_lt(SEG.ACK, SND.NXT) hold there) passed this check and
                # then moved SND.UNA 2^31 past SND.NXT (found by tests/impl/test_lockstep.py).
                # 3.10.7.4 fifth: ACK of something not yet sent -> send an ACK, drop.
                return [self._ack_segment()]
            if seq_lt(self.snd_una, seg.ack):
                # 3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT -> SND.UNA <- SEG.ACK;
                # window update simplified to SND.WND <- SEG.WND (DECISIONS.md).
                self.snd_una = seg.ack
                self.snd_wnd = seg.wnd
                self._acknowledge_queue()
            elif seg.ack == self.snd_una:
                # 3.10.7.4 fifth: duplicate ACK still updates the window.
                self.snd_wnd = seg.wnd
            # else 3.10.7.4 fifth: SEG.ACK < SND.UNA, old duplicate ACK ignored.
            fin_acked = self.snd_una == self.snd_nxt
            if st is _S.FIN_WAIT_1 and fin_acked:
                # 3.10.7.4 fifth, FIN-WAIT-1: our FIN is acknowledged -> FIN-WAIT-2.
                self.state = st = _S.FIN_WAIT_2
            elif st is _S.CLOSING and fin_acked:
                # 3.10.7.4 fifth, CLOSING: our FIN is acknowledged -> TIME-WAIT.
                self.state = st = _S.TIME_WAIT
            elif st is _S.CLOSING:
                # 3.10.7.4 fifth, CLOSING: "if the ACK acknowledges our FIN, then
                # enter the TIME-WAIT state; otherwise, ignore the segment" -- no
                # text, no FIN processing, no ACK (found by tests/impl/test_lockstep.py:
                # a FIN at RCV.NXT used to be acknowledged here).
                return self._with_ack([], ack_wanted)
            elif st is _S.LAST_ACK and fin_acked:
                # 3.10.7.4 fifth, LAST-ACK: our FIN is acknowledged -> CLOSED, return;
                # a normal close (MUST-12).
                self.signals.append("connection closed")
                self._enter_closed()
                return []

        # 3.10.7.4 sixth: URG is not modelled (DECISIONS.md).

        # 3.10.7.4 seventh: segment text.
        n_data = len(seg.data)
        if n_data and st in (_S.ESTABLISHED, _S.FIN_WAIT_1, _S.FIN_WAIT_2):
            seg_end = seq_add(seg.seq, n_data)
            if seq_le(seg.seq, self.rcv_nxt) and seq_lt(self.rcv_nxt, seg_end):
                # In order (an old prefix is trimmed): accept up to the window edge.
                edge = seq_add(self.rcv_nxt, self.rcv_wnd)
                new_nxt = seq_min(seg_end, edge)
                if seg.fin and not seq_lt(seg_end, edge):
                    # 3.10.7.4 first: the FIN lies beyond the window edge: trimmed.
                    seg = replace(seg, fin=False)
                start = seq_diff(self.rcv_nxt, seg.seq)
                stop = seq_diff(new_nxt, seg.seq)
                self._rcv_buf += seg.data[start:stop]
                self.rcv_nxt = new_nxt
            # else: out of order (starts beyond RCV.NXT) or entirely old: the
            # text is DROPPED, not queued -- SHLD-31 is not followed (DECISIONS.md step 5).
            ack_wanted = True
        # 3.10.7.4 seventh, CLOSE-WAIT / CLOSING / LAST-ACK / TIME-WAIT: text ignored.

        # 3.10.7.4 eighth: FIN bit, processed only if it is the next expected octet.
        if seg.fin:
            ack_wanted = True
            if seq_add(seg.seq, n_data) == self.rcv_nxt and st in (
                _S.SYN_RECEIVED, _S.ESTABLISHED, _S.FIN_WAIT_1, _S.FIN_WAIT_2
            ):
                # 3.10.7.4 eighth: signal "connection closing", advance RCV.NXT over the FIN.
                self.signals.append("connection closing")
                self.rcv_nxt = seq_add(self.rcv_nxt, 1)
                if st in (_S.SYN_RECEIVED, _S.ESTABLISHED):
                    # 3.10.7.4 eighth: SYN-RECEIVED / ESTABLISHED -> CLOSE-WAIT.
                    self.state = _S.CLOSE_WAIT
                elif st is _S.FIN_WAIT_1:
                    # 3.10.7.4 eighth: FIN-WAIT-1, our FIN not yet ACKed -> CLOSING.
                    self.state = _S.CLOSING
                else:
                    # 3.10.7.4 eighth: FIN-WAIT-2 -> TIME-WAIT (start the 2 MSL timer).
                    self.state = _S.TIME_WAIT
            # else: a FIN in CLOSE-WAIT/CLOSING/LAST-ACK/TIME-WAIT, or one that is
            # not the next expected octet: ignored, but acknowledged.

        # MUST-58/59: one aggregated ACK with the final variable values.
        return [self._ack_segment()] if ack_wanted else []
