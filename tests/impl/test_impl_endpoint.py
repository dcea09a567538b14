"""Rule-by-rule tests of impl.Endpoint, grouped by state (smoltcp style).

Fixtures chain (closed -> listen -> syn_received -> established -> ...), and
every expectation is written symbolically from ISS / IRS.  ``iss`` and
``irs`` are parametrized so that every test also runs with sequence numbers
that wrap past 2**32 - 1.
"""

from __future__ import annotations

import pytest

from impl import (
    ConnectionClosing,
    ConnectionDoesNotExist,
    ConnectionExists,
    Endpoint,
    ForeignSocketUnspecified,
    InsufficientResources,
    Segment,
    State,
    TcpError,
    TimerNotRunning,
)

WND = 65535  # our RCV.WND (constant)
PEER_WND = 4096  # the window the peer advertises
MOD = 2**32


class Seq(int):
    """A sequence number whose + and - wrap modulo 2**32."""

    def __new__(cls, value: int) -> "Seq":
        return super().__new__(cls, int(value) % MOD)

    def __add__(self, other: int) -> "Seq":
        return Seq(int(self) + int(other))

    __radd__ = __add__

    def __sub__(self, other: int) -> "Seq":
        return Seq(int(self) - int(other))


def seg(ctl: str, seq: int, ack: int = 0, data: bytes = b"", wnd: int = PEER_WND) -> Segment:
    """A segment from the peer."""
    return Segment.of(ctl, seq=seq, ack=ack, data=data, wnd=wnd)


def out(ctl: str, seq: int, ack: int = 0, data: bytes = b"") -> Segment:
    """A segment we expect the endpoint to emit (ACK-bearing ones advertise RCV.WND)."""
    wnd = WND if ("ACK" in ctl.split(",") or "SYN" in ctl.split(",")) else 0
    return Segment.of(ctl, seq=seq, ack=ack, data=data, wnd=wnd)


def out_zero_wnd(seq: int, ack: int) -> Segment:
    """The ACK an endpoint with RCV.WND = 0 sends: <SEQ=seq><ACK=ack><CTL=ACK>, WND = 0."""
    return Segment.of("ACK", seq=seq, ack=ack, wnd=0)


def variables(ep: Endpoint) -> dict[str, object]:
    return ep.snapshot()


# ----------------------------------------------------------------------
# Chained fixtures
# ----------------------------------------------------------------------
def then(ep: Endpoint, replies: list, expected: list, state: State) -> Endpoint:
    """One step of a fixture chain: the step's replies are `expected` and it
    leaves `ep` in `state`."""
    assert replies == expected
    assert ep.state is state
    return ep


@pytest.fixture(params=[1000, MOD - 1], ids=["iss=1000", "iss=2^32-1"])
def iss(request) -> Seq:
    return Seq(request.param)


@pytest.fixture(params=[50000, MOD - 2], ids=["irs=50000", "irs=2^32-2"])
def irs(request) -> Seq:
    return Seq(request.param)


@pytest.fixture
def closed(iss) -> Endpoint:
    return Endpoint(iss=iss, rcv_wnd=WND)


@pytest.fixture
def listen(closed) -> Endpoint:
    return then(closed, closed.open(active=False), [], State.LISTEN)


@pytest.fixture
def syn_sent(closed, iss) -> Endpoint:
    return then(closed, closed.open(active=True), [out("SYN", seq=iss)], State.SYN_SENT)


@pytest.fixture
def syn_received(listen, iss, irs) -> Endpoint:
    return then(listen, listen.segment_arrives(seg("SYN", seq=irs)),
                [out("SYN,ACK", seq=iss, ack=irs + 1)], State.SYN_RECEIVED)


@pytest.fixture
def syn_received_active(syn_sent, iss, irs) -> Endpoint:
    """SYN-RECEIVED reached by simultaneous open (PASSIVE = false)."""
    return then(syn_sent, syn_sent.segment_arrives(seg("SYN", seq=irs)),
                [out("SYN,ACK", seq=iss, ack=irs + 1)], State.SYN_RECEIVED)


@pytest.fixture
def established(syn_received, iss, irs) -> Endpoint:
    return then(syn_received, syn_received.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1)),
                [], State.ESTABLISHED)


@pytest.fixture
def established_active(syn_sent, iss, irs) -> Endpoint:
    return then(syn_sent, syn_sent.segment_arrives(seg("SYN,ACK", seq=irs, ack=iss + 1)),
                [out("ACK", seq=iss + 1, ack=irs + 1)], State.ESTABLISHED)


@pytest.fixture
def fin_wait_1(established, iss, irs) -> Endpoint:
    return then(established, established.close(), [out("FIN,ACK", seq=iss + 1, ack=irs + 1)],
                State.FIN_WAIT_1)


@pytest.fixture
def fin_wait_2(fin_wait_1, iss, irs) -> Endpoint:
    return then(fin_wait_1, fin_wait_1.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 2)),
                [], State.FIN_WAIT_2)


@pytest.fixture
def closing(fin_wait_1, iss, irs) -> Endpoint:
    return then(fin_wait_1, fin_wait_1.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 1)),
                [out("ACK", seq=iss + 2, ack=irs + 2)], State.CLOSING)


@pytest.fixture
def time_wait(fin_wait_2, iss, irs) -> Endpoint:
    return then(fin_wait_2, fin_wait_2.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 2)),
                [out("ACK", seq=iss + 2, ack=irs + 2)], State.TIME_WAIT)


@pytest.fixture
def close_wait(established, iss, irs) -> Endpoint:
    return then(established, established.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 1)),
                [out("ACK", seq=iss + 1, ack=irs + 2)], State.CLOSE_WAIT)


@pytest.fixture
def last_ack(close_wait, iss, irs) -> Endpoint:
    return then(close_wait, close_wait.close(), [out("FIN,ACK", seq=iss + 1, ack=irs + 2)], State.LAST_ACK)


@pytest.fixture
def syn_received_zero_window(iss, irs) -> Endpoint:
    """SYN-RECEIVED (passive OPEN) of an endpoint whose RCV.WND is 0."""
    ep = Endpoint(iss=iss, rcv_wnd=0)
    ep.open(active=False)
    return then(ep, ep.segment_arrives(seg("SYN", seq=irs)),
                [Segment.of("SYN,ACK", seq=iss, ack=irs + 1, wnd=0)], State.SYN_RECEIVED)


@pytest.fixture
def established_zero_window(syn_received_zero_window, iss, irs) -> Endpoint:
    """ESTABLISHED with RCV.WND = 0, after sending "ab" (unacknowledged)."""
    ep = syn_received_zero_window
    then(ep, ep.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1)), [], State.ESTABLISHED)
    ep.send(b"ab")
    return ep


# ----------------------------------------------------------------------
# CLOSED (3.10.7.1)
# ----------------------------------------------------------------------
class TestClosed:
    def test_initial_state_is_closed_with_zeroed_tcb(self, closed, iss):
        assert closed.state is State.CLOSED
        assert str(closed.state) == "CLOSED"
        assert (closed.iss, closed.irs, closed.snd_una, closed.snd_nxt) == (iss, 0, 0, 0)
        assert (closed.snd_wnd, closed.rcv_nxt, closed.rcv_wnd, closed.passive) == (0, 0, WND, False)

    def test_rst_is_discarded(self, closed, irs):
        assert closed.segment_arrives(seg("RST", seq=irs)) == []
        assert closed.segment_arrives(seg("RST,ACK", seq=irs, ack=123)) == []

    def test_ack_bearing_segment_gets_rst_seq_seg_ack(self, closed, irs, iss):
        assert closed.segment_arrives(seg("ACK", seq=irs, ack=iss + 7)) == [out("RST", seq=iss + 7)]

    def test_segment_without_ack_gets_rst_ack_for_seq_plus_len(self, closed, irs):
        # SEG.LEN counts SYN and FIN as well as the data octets.
        got = closed.segment_arrives(seg("SYN,FIN", seq=irs, data=b"abc"))
        assert got == [out("RST,ACK", seq=0, ack=irs + 1 + 3 + 1)]
        assert closed.state is State.CLOSED

    def test_open_passive_enters_listen_with_fresh_tcb(self, closed, iss):
        assert closed.open(active=False) == []
        assert closed.state is State.LISTEN
        assert closed.passive is True
        assert (closed.irs, closed.snd_una, closed.snd_nxt, closed.rcv_nxt) == (0, 0, 0, 0)

    def test_open_active_sends_syn_and_enters_syn_sent(self, closed, iss):
        assert closed.open(active=True) == [out("SYN", seq=iss)]
        assert closed.state is State.SYN_SENT
        assert (closed.snd_una, closed.snd_nxt, closed.passive) == (iss, iss + 1, False)


# ----------------------------------------------------------------------
# LISTEN (3.10.7.2)
# ----------------------------------------------------------------------
class TestListen:
    def test_rst_is_ignored(self, listen, irs):
        assert listen.segment_arrives(seg("RST", seq=irs)) == []
        assert listen.state is State.LISTEN

    def test_ack_gets_rst_seq_seg_ack(self, listen, irs, iss):
        assert listen.segment_arrives(seg("ACK", seq=irs, ack=iss + 9)) == [out("RST", seq=iss + 9)]
        assert listen.state is State.LISTEN

    def test_syn_ack_is_checked_as_ack_first(self, listen, irs, iss):
        assert listen.segment_arrives(seg("SYN,ACK", seq=irs, ack=iss + 1)) == [out("RST", seq=iss + 1)]
        assert listen.state is State.LISTEN

    def test_syn_enters_syn_received_and_sets_variables(self, listen, irs, iss):
        assert listen.segment_arrives(seg("SYN", seq=irs)) == [out("SYN,ACK", seq=iss, ack=irs + 1)]
        assert listen.state is State.SYN_RECEIVED
        assert (listen.irs, listen.rcv_nxt) == (irs, irs + 1)
        assert (listen.snd_una, listen.snd_nxt, listen.snd_wnd) == (iss, iss + 1, PEER_WND)
        assert listen.passive is True

    def test_data_and_fin_on_syn_are_discarded(self, listen, irs, iss):
        got = listen.segment_arrives(seg("SYN,FIN", seq=irs, data=b"early"))
        assert got == [out("SYN,ACK", seq=iss, ack=irs + 1)]
        assert listen.receive() == b""

    def test_segment_without_syn_rst_ack_is_dropped(self, listen, irs):
        assert listen.segment_arrives(seg("", seq=irs, data=b"x")) == []
        assert listen.segment_arrives(seg("FIN", seq=irs)) == []
        assert listen.state is State.LISTEN

    def test_active_open_from_listen_sends_syn_and_clears_passive(self, listen, iss):
        assert listen.open(active=True) == [out("SYN", seq=iss)]
        assert listen.state is State.SYN_SENT
        assert listen.passive is False

    def test_close_returns_to_closed(self, listen):
        assert listen.close() == []
        assert listen.state is State.CLOSED

    def test_abort_returns_to_closed_silently(self, listen):
        assert listen.abort() == []
        assert listen.state is State.CLOSED


# ----------------------------------------------------------------------
# SYN-SENT (3.10.7.3)
# ----------------------------------------------------------------------
class TestSynSent:
    def test_acceptable_syn_ack_establishes_and_acks(self, syn_sent, irs, iss):
        got = syn_sent.segment_arrives(seg("SYN,ACK", seq=irs, ack=iss + 1))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1)]
        assert syn_sent.state is State.ESTABLISHED
        assert (syn_sent.irs, syn_sent.rcv_nxt, syn_sent.snd_una) == (irs, irs + 1, iss + 1)
        assert syn_sent.snd_wnd == PEER_WND

    def test_data_on_syn_ack_is_discarded(self, syn_sent, irs, iss):
        got = syn_sent.segment_arrives(seg("SYN,ACK", seq=irs, ack=iss + 1, data=b"tfo"))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1)]
        assert syn_sent.receive() == b""

    @pytest.mark.parametrize("delta", [0, -1, 2, 1000], ids=["ISS", "ISS-1", "ISS+2", "ISS+1000"])
    def test_unacceptable_ack_is_answered_by_rst(self, syn_sent, irs, iss, delta):
        before = variables(syn_sent)
        got = syn_sent.segment_arrives(seg("SYN,ACK", seq=irs, ack=iss + delta))
        assert got == [out("RST", seq=iss + delta)]
        assert variables(syn_sent) == before

    def test_unacceptable_ack_with_rst_is_dropped(self, syn_sent, irs, iss):
        assert syn_sent.segment_arrives(seg("RST,ACK", seq=irs, ack=iss)) == []
        assert syn_sent.state is State.SYN_SENT

    def test_rst_with_acceptable_ack_resets_the_connection(self, syn_sent, iss):
        assert syn_sent.segment_arrives(seg("RST,ACK", seq=0, ack=iss + 1)) == []
        assert syn_sent.state is State.CLOSED
        assert syn_sent.closed_by_reset is True
        assert "connection reset" in syn_sent.signals

    def test_rst_without_ack_is_dropped(self, syn_sent, irs):
        assert syn_sent.segment_arrives(seg("RST", seq=irs)) == []
        assert syn_sent.state is State.SYN_SENT

    def test_syn_without_ack_is_simultaneous_open(self, syn_sent, irs, iss):
        got = syn_sent.segment_arrives(seg("SYN", seq=irs, data=b"dropped"))
        assert got == [out("SYN,ACK", seq=iss, ack=irs + 1)]
        assert syn_sent.state is State.SYN_RECEIVED
        assert (syn_sent.snd_una, syn_sent.snd_nxt, syn_sent.passive) == (iss, iss + 1, False)

    def test_acceptable_ack_without_syn_is_dropped(self, syn_sent, irs, iss):
        assert syn_sent.segment_arrives(seg("ACK", seq=irs, ack=iss + 1)) == []
        assert syn_sent.state is State.SYN_SENT

    def test_retransmission_timeout_resends_syn(self, syn_sent, iss):
        assert syn_sent.timeout("retransmission") == [out("SYN", seq=iss)]
        assert syn_sent.timeout("retransmission") == [out("SYN", seq=iss)]
        assert syn_sent.state is State.SYN_SENT

    def test_user_timeout_closes(self, syn_sent):
        assert syn_sent.timeout("user") == []
        assert syn_sent.state is State.CLOSED

    def test_close_deletes_tcb_silently(self, syn_sent):
        assert syn_sent.close() == []
        assert syn_sent.state is State.CLOSED

    def test_abort_deletes_tcb_silently(self, syn_sent):
        assert syn_sent.abort() == []
        assert syn_sent.state is State.CLOSED


# ----------------------------------------------------------------------
# SYN-RECEIVED (3.10.7.4 with DECISIONS.md step 0)
# ----------------------------------------------------------------------
class TestSynReceived:
    def test_acceptable_ack_establishes(self, syn_received, irs, iss):
        assert syn_received.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1, wnd=77)) == []
        assert syn_received.state is State.ESTABLISHED
        assert (syn_received.snd_una, syn_received.snd_wnd) == (iss + 1, 77)

    @pytest.mark.parametrize("delta", [0, 2, -5], ids=["ISS", "ISS+2", "ISS-5"])
    def test_unacceptable_ack_is_answered_by_rst(self, syn_received, irs, iss, delta):
        before = variables(syn_received)
        got = syn_received.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + delta))
        assert got == [out("RST", seq=iss + delta)]
        assert variables(syn_received) == before

    def test_retransmitted_syn_is_answered_by_the_syn_ack_again(self, syn_received, irs, iss):
        # 3.10.7.4 first: "If an incoming segment is not acceptable, an
        # acknowledgment should be sent in reply"; our SYN is unacknowledged,
        # so the acknowledgment is our SYN,ACK (DECISIONS.md step 0).
        before = variables(syn_received)
        assert syn_received.segment_arrives(seg("SYN", seq=irs)) == [out("SYN,ACK", seq=iss, ack=irs + 1)]
        assert variables(syn_received) == before

    def test_syn_and_rst_at_irs_are_dropped(self, syn_received, irs):
        # 3.10.7.4 first: an unacceptable segment with RST is dropped
        # (RFC 5961 3.2); the RST does not ride on the trimmed SYN.
        before = variables(syn_received)
        assert syn_received.segment_arrives(seg("SYN,RST", seq=irs)) == []
        assert variables(syn_received) == before and syn_received.state is State.SYN_RECEIVED

    def test_syn_ack_at_irs_is_trimmed_and_establishes(self, syn_received_active, irs, iss):
        # Figure 7 lines 6-7: the peer's SYN,ACK in simultaneous open.
        assert syn_received_active.segment_arrives(seg("SYN,ACK", seq=irs, ack=iss + 1)) == []
        assert syn_received_active.state is State.ESTABLISHED

    def test_data_with_the_completing_ack_is_delivered(self, syn_received, irs, iss):
        got = syn_received.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1, data=b"hi"))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1 + 2)]
        assert syn_received.state is State.ESTABLISHED
        assert syn_received.receive() == b"hi"

    def test_fin_with_the_completing_ack_enters_close_wait(self, syn_received, irs, iss):
        got = syn_received.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 1))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 2)]
        assert syn_received.state is State.CLOSE_WAIT

    def test_exact_rst_returns_passive_connection_to_listen(self, syn_received, irs):
        assert syn_received.segment_arrives(seg("RST", seq=irs + 1)) == []
        assert syn_received.state is State.LISTEN
        assert syn_received.passive is True
        assert (syn_received.irs, syn_received.snd_una, syn_received.snd_nxt) == (0, 0, 0)
        assert (syn_received.snd_wnd, syn_received.rcv_nxt) == (0, 0)

    def test_exact_rst_refuses_active_connection(self, syn_received_active, irs):
        assert syn_received_active.segment_arrives(seg("RST", seq=irs + 1)) == []
        assert syn_received_active.state is State.CLOSED
        assert "connection refused" in syn_received_active.signals

    def test_in_window_inexact_rst_gets_challenge_ack(self, syn_received, irs, iss):
        assert syn_received.segment_arrives(seg("RST", seq=irs + 2)) == [out("ACK", seq=iss + 1, ack=irs + 1)]
        assert syn_received.state is State.SYN_RECEIVED

    def test_out_of_window_rst_is_ignored(self, syn_received, irs):
        assert syn_received.segment_arrives(seg("RST", seq=irs + 1 + WND)) == []
        assert syn_received.segment_arrives(seg("RST", seq=irs - 10)) == []
        assert syn_received.state is State.SYN_RECEIVED

    def test_new_syn_in_window_returns_passive_connection_to_listen(self, syn_received, irs):
        assert syn_received.segment_arrives(seg("SYN", seq=irs + 1)) == []
        assert syn_received.state is State.LISTEN

    def test_new_syn_in_active_connection_gets_challenge_ack(self, syn_received_active, irs, iss):
        got = syn_received_active.segment_arrives(seg("SYN", seq=irs + 1))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1)]
        assert syn_received_active.state is State.SYN_RECEIVED

    def test_segment_without_ack_is_dropped(self, syn_received, irs):
        assert syn_received.segment_arrives(seg("", seq=irs + 1, data=b"x")) == []
        assert syn_received.state is State.SYN_RECEIVED

    def test_unacceptable_sequence_number_gets_ack(self, syn_received, irs, iss):
        got = syn_received.segment_arrives(seg("ACK", seq=irs + 1 + WND, ack=iss + 1))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1)]
        assert syn_received.state is State.SYN_RECEIVED

    def test_zero_window_text_with_unacceptable_ack_gets_rst_and_the_ack(
            self, syn_received_zero_window, irs, iss):
        # 3.10.7.4 first (DECISIONS.md step 1, zero window): the text is
        # discarded and acknowledged; fifth: the unacceptable ACK gets
        # <SEQ=SEG.ACK><CTL=RST>; the ACK asked for is still sent (MUST-58/59).
        ep = syn_received_zero_window
        got = ep.segment_arrives(seg("ACK", seq=irs + 1, ack=iss, data=b"x"))
        assert got == [out("RST", seq=iss), out_zero_wnd(seq=iss + 1, ack=irs + 1)]
        assert ep.state is State.SYN_RECEIVED

    def test_retransmission_timeout_resends_syn_ack(self, syn_received, irs, iss):
        assert syn_received.timeout("retransmission") == [out("SYN,ACK", seq=iss, ack=irs + 1)]

    def test_close_sends_fin_and_enters_fin_wait_1(self, syn_received, irs, iss):
        assert syn_received.close() == [out("FIN,ACK", seq=iss + 1, ack=irs + 1)]
        assert syn_received.state is State.FIN_WAIT_1
        assert (syn_received.snd_una, syn_received.snd_nxt) == (iss, iss + 2)

    def test_after_close_retransmission_resends_syn_ack_until_syn_acked(self, syn_received, irs, iss):
        syn_received.close()
        assert syn_received.timeout("retransmission") == [out("SYN,ACK", seq=iss, ack=irs + 1)]
        assert syn_received.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1)) == []
        assert syn_received.state is State.FIN_WAIT_1
        assert syn_received.timeout("retransmission") == [out("FIN,ACK", seq=iss + 1, ack=irs + 1)]

    def test_abort_sends_rst(self, syn_received, iss):
        assert syn_received.abort() == [out("RST", seq=iss + 1)]
        assert syn_received.state is State.CLOSED


# ----------------------------------------------------------------------
# ESTABLISHED
# ----------------------------------------------------------------------
class TestEstablished:
    def test_a_partial_ack_leaves_the_tail_to_retransmit(self, established, iss, irs):
        """3.10.7.4 fifth: only segments "entirely acknowledged" leave the
        retransmission queue; a partly acknowledged one keeps exactly its
        tail, which later ACKs acknowledge in turn (mutants of impl/ that got
        the tail wrong survived every other test: README "impl/ under mutation")."""
        established.send(b"abcdefghij")
        assert established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1 + 4)) == []
        assert established.timeout("retransmission") == [out("ACK", seq=iss + 1 + 4, ack=irs + 1, data=b"efghij")]
        assert established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1 + 8)) == []
        assert established.timer_running("retransmission")
        assert established.timeout("retransmission") == [out("ACK", seq=iss + 1 + 8, ack=irs + 1, data=b"ij")]
        assert established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1 + 10)) == []
        assert not established.timer_running("retransmission")

    def test_active_open_reaches_established(self, established_active, iss, irs):
        assert (established_active.snd_una, established_active.snd_nxt) == (iss + 1, iss + 1)
        assert established_active.passive is False

    def test_in_order_data_is_delivered_and_acked(self, established, irs, iss):
        got = established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1, data=b"hello"))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1 + 5)]
        assert established.rcv_nxt == irs + 1 + 5
        assert established.receive() == b"hello"
        assert established.receive() == b""

    def test_old_prefix_of_straddling_segment_is_trimmed(self, established, irs, iss):
        established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1, data=b"abc"))
        got = established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1, data=b"abcdef"))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1 + 6)]
        assert established.receive() == b"abcdef"

    def test_out_of_order_data_is_dropped_and_acked(self, established, irs, iss):
        got = established.segment_arrives(seg("ACK", seq=irs + 1 + 3, ack=iss + 1, data=b"def"))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1)]
        assert established.rcv_nxt == irs + 1
        assert established.receive() == b""
        # Not queued (SHLD-31 not followed): the gap filler alone is delivered.
        established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1, data=b"abc"))
        assert established.receive() == b"abc"
        assert established.rcv_nxt == irs + 1 + 3

    def test_old_duplicate_data_is_acked(self, established, irs, iss):
        established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1, data=b"abc"))
        established.receive()
        got = established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1, data=b"abc"))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 4)]
        assert established.receive() == b""

    def test_data_beyond_the_receive_window_is_cut_at_the_window_edge(self, iss, irs):
        small = 4
        ep = Endpoint(iss=iss, rcv_wnd=small)
        ep.open(active=False)
        ep.segment_arrives(seg("SYN", seq=irs))
        ep.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1))
        got = ep.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 1, data=b"abcdefgh"))
        assert got == [Segment.of("ACK", seq=iss + 1, ack=irs + 1 + small, wnd=small)]
        assert ep.receive() == b"abcd"
        assert ep.state is State.ESTABLISHED  # the FIN lay beyond the window

    def test_zero_window_accepts_only_empty_segment_at_rcv_nxt(self, iss, irs):
        ep = Endpoint(iss=iss, rcv_wnd=0)
        ep.open(active=False)
        ep.segment_arrives(seg("SYN", seq=irs))
        assert ep.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1)) == []
        assert ep.state is State.ESTABLISHED
        got = ep.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1, data=b"x"))
        assert got == [Segment.of("ACK", seq=iss + 1, ack=irs + 1, wnd=0)]
        assert ep.receive() == b""

    def test_fin_just_beyond_the_window_edge_is_trimmed(self, iss, irs):
        # 3.10.7.4 first: "trimmed such that only data that fits in the window
        # is kept (including SYN and FIN)": text filling the window exactly
        # puts the FIN at RCV.NXT+RCV.WND, outside it (DECISIONS.md step 5).
        ep = Endpoint(iss=iss, rcv_wnd=4)
        ep.open(active=False)
        ep.segment_arrives(seg("SYN", seq=irs))
        ep.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1))
        got = ep.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 1, data=b"abcd"))
        assert got == [Segment.of("ACK", seq=iss + 1, ack=irs + 5, wnd=4)]
        assert ep.receive() == b"abcd"
        assert ep.state is State.ESTABLISHED
        assert "connection closing" not in ep.signals

    def test_zero_window_empty_segment_off_rcv_nxt_is_unacceptable(self, established_zero_window, irs, iss):
        # Table 6, SEG.LEN 0 / RCV.WND 0: acceptable only if SEG.SEQ = RCV.NXT;
        # an unacceptable ACK is acknowledged and dropped, its ACK field unused;
        # an unacceptable RST is dropped (3.10.7.4 first).
        ep = established_zero_window
        assert ep.segment_arrives(seg("ACK", seq=irs + 2, ack=iss + 3)) == [out_zero_wnd(iss + 3, irs + 1)]
        assert ep.snd_una == iss + 1
        assert ep.segment_arrives(seg("RST", seq=irs + 2)) == []
        assert ep.state is State.ESTABLISHED

    def test_zero_window_text_is_discarded_but_its_ack_processed(self, established_zero_window, irs, iss):
        # 3.10.7.4 first: "If the RCV.WND is zero, no segments will be
        # acceptable, but special allowance should be made to accept valid
        # ACKs" (DECISIONS.md step 1): text discarded and acknowledged.
        ep = established_zero_window
        got = ep.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 3, data=b"xyz", wnd=7))
        assert got == [out_zero_wnd(iss + 3, irs + 1)]
        assert (ep.snd_una, ep.snd_wnd, ep.rcv_nxt) == (iss + 3, 7, irs + 1)
        assert ep.delivered() == b""

    def test_zero_window_fin_is_discarded_but_its_ack_processed(self, established_zero_window, irs, iss):
        # 3.10.7.4 first, zero window (DECISIONS.md step 1): the FIN is
        # discarded like text, the ACK field is processed.
        ep = established_zero_window
        got = ep.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 3))
        assert got == [out_zero_wnd(iss + 3, irs + 1)]
        assert ep.state is State.ESTABLISHED
        assert (ep.snd_una, ep.rcv_nxt) == (iss + 3, irs + 1)
        assert "connection closing" not in ep.signals

    def test_zero_window_exact_rst_carrying_data_resets(self, established_zero_window, irs):
        # 3.10.7.4 first: "special allowance should be made to accept ... RSTs";
        # second: an exact RST resets (RFC 5961 3.2 MUST; DECISIONS.md step 1).
        ep = established_zero_window
        assert ep.segment_arrives(seg("RST", seq=irs + 1, data=b"x")) == []
        assert ep.state is State.CLOSED
        assert ep.signals == ["connection reset"]

    def test_zero_window_text_without_ack_bit_is_still_acknowledged(self, established_zero_window, irs, iss):
        # 3.10.7.4 first asks for an ACK for the discarded text; fifth drops the
        # segment (ACK bit off); the ACK asked for is still sent (MUST-58/59).
        ep = established_zero_window
        assert ep.segment_arrives(seg("", seq=irs + 1, data=b"x")) == [out_zero_wnd(iss + 3, irs + 1)]
        assert ep.snd_una == iss + 1

    def test_acknowledged_octets_leave_the_send_buffer(self, established, irs, iss):
        """3.10.7.4 fifth: "Any segments on the retransmission queue that are
        thereby entirely acknowledged are removed": the send buffer keeps
        exactly the unacknowledged octets (white-box: mutants that kept
        acknowledged octets retransmit correctly until 2^31 octets pile up)."""
        established.send(b"abc")
        established.send(b"de")
        established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 2))  # 1 octet, inside "abc"
        assert bytes(established._snd_buf) == b"bcde"
        established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 5))  # "abc" and "d"
        assert bytes(established._snd_buf) == b"e"
        assert established.timeout("retransmission") == [out("ACK", seq=iss + 5, ack=irs + 1, data=b"e")]
        established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 6))
        assert bytes(established._snd_buf) == b""

    def test_send_emits_one_segment_and_advances_snd_nxt(self, established, irs, iss):
        assert established.send(b"abc") == [out("ACK", seq=iss + 1, ack=irs + 1, data=b"abc")]
        assert (established.snd_una, established.snd_nxt) == (iss + 1, iss + 4)

    def test_empty_send_sends_nothing(self, established):
        before = variables(established)
        assert established.send(b"") == []
        assert variables(established) == before

    def test_ack_advances_snd_una_and_updates_window(self, established, irs, iss):
        established.send(b"abc")
        assert established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 4, wnd=99)) == []
        assert (established.snd_una, established.snd_wnd) == (iss + 4, 99)

    def test_duplicate_ack_updates_window_only(self, established, irs, iss):
        established.send(b"abc")
        assert established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1, wnd=7)) == []
        assert (established.snd_una, established.snd_wnd) == (iss + 1, 7)

    def test_old_ack_is_ignored_but_data_processed(self, established, irs, iss):
        established.send(b"abc")
        established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 4, wnd=99))
        got = established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 2, data=b"z", wnd=5))
        assert got == [out("ACK", seq=iss + 4, ack=irs + 2)]
        assert (established.snd_una, established.snd_wnd) == (iss + 4, 99)
        assert established.receive() == b"z"

    def test_ack_of_unsent_data_gets_ack_and_drops_segment(self, established, irs, iss):
        got = established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 2, data=b"x"))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1)]
        assert established.receive() == b""
        assert established.snd_una == iss + 1

    def test_unacceptable_sequence_number_gets_ack(self, established, irs, iss):
        got = established.segment_arrives(seg("ACK", seq=irs + 1 + WND, ack=iss + 1, data=b"x"))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1)]

    def test_segment_without_ack_bit_is_dropped(self, established, irs):
        assert established.segment_arrives(seg("", seq=irs + 1, data=b"x")) == []
        assert established.receive() == b""

    def test_exact_rst_closes_with_reset_signal(self, established, irs):
        assert established.segment_arrives(seg("RST", seq=irs + 1)) == []
        assert established.state is State.CLOSED
        assert established.closed_by_reset is True
        assert established.signals[-1] == "connection reset"

    def test_in_window_inexact_rst_gets_challenge_ack(self, established, irs, iss):
        got = established.segment_arrives(seg("RST", seq=irs + 2))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1)]
        assert established.state is State.ESTABLISHED

    @pytest.mark.parametrize("offset", [-1, WND + 1, 2**31], ids=["below", "above", "far"])
    def test_out_of_window_rst_is_ignored(self, established, irs, offset):
        assert established.segment_arrives(seg("RST", seq=irs + 1 + offset)) == []
        assert established.state is State.ESTABLISHED

    @pytest.mark.parametrize("offset", [0, 10], ids=["at RCV.NXT", "in window"])
    def test_syn_gets_challenge_ack(self, established, irs, iss, offset):
        got = established.segment_arrives(seg("SYN", seq=irs + 1 + offset))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1)]
        assert established.state is State.ESTABLISHED

    def test_old_syn_is_unacceptable_and_acked(self, established, irs, iss):
        got = established.segment_arrives(seg("SYN,ACK", seq=irs, ack=iss + 1))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1)]
        assert established.state is State.ESTABLISHED

    def test_fin_enters_close_wait(self, established, irs, iss):
        got = established.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 1, data=b"bye"))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1 + 3 + 1)]
        assert established.state is State.CLOSE_WAIT
        assert established.receive() == b"bye"
        assert "connection closing" in established.signals

    def test_out_of_order_fin_is_ignored_and_acked(self, established, irs, iss):
        got = established.segment_arrives(seg("FIN,ACK", seq=irs + 2, ack=iss + 1))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1)]
        assert established.state is State.ESTABLISHED

    def test_retransmission_timer_runs_only_while_data_outstanding(self, established, irs, iss):
        with pytest.raises(TimerNotRunning):
            established.timeout("retransmission")
        established.send(b"abc")
        established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 4))
        with pytest.raises(TimerNotRunning):
            established.timeout("retransmission")

    def test_retransmission_resends_all_unacked_data_as_one_segment(self, established, irs, iss):
        established.send(b"abc")
        established.send(b"defg")
        got = established.timeout("retransmission")
        assert got == [out("ACK", seq=iss + 1, ack=irs + 1, data=b"abcdefg")]

    def test_retransmission_after_partial_ack_resends_the_tail(self, established, irs, iss):
        established.send(b"abc")
        established.send(b"defg")
        established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1 + 5))
        assert established.timeout("retransmission") == [out("ACK", seq=iss + 6, ack=irs + 1, data=b"fg")]

    def test_user_timeout_with_outstanding_data_closes(self, established):
        with pytest.raises(TimerNotRunning):
            established.timeout("user")
        established.send(b"x")
        assert established.timeout("user") == []
        assert established.state is State.CLOSED

    def test_close_sends_fin(self, established, irs, iss):
        established.send(b"ab")
        assert established.close() == [out("FIN,ACK", seq=iss + 3, ack=irs + 1)]
        assert established.state is State.FIN_WAIT_1
        assert established.snd_nxt == iss + 4

    def test_abort_sends_rst_at_snd_nxt(self, established, iss):
        established.send(b"ab")
        assert established.abort() == [out("RST", seq=iss + 3)]
        assert established.state is State.CLOSED


# ----------------------------------------------------------------------
# FIN-WAIT-1
# ----------------------------------------------------------------------
class TestFinWait1:
    def test_ack_of_fin_enters_fin_wait_2(self, fin_wait_1, irs, iss):
        assert fin_wait_1.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 2)) == []
        assert fin_wait_1.state is State.FIN_WAIT_2

    def test_ack_of_data_only_stays(self, iss, irs, established):
        established.send(b"abc")
        established.close()
        assert established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 4)) == []
        assert established.state is State.FIN_WAIT_1

    def test_peer_fin_without_ack_of_ours_enters_closing(self, fin_wait_1, irs, iss):
        got = fin_wait_1.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 1))
        assert got == [out("ACK", seq=iss + 2, ack=irs + 2)]
        assert fin_wait_1.state is State.CLOSING

    def test_peer_fin_acking_ours_enters_time_wait(self, fin_wait_1, irs, iss):
        got = fin_wait_1.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 2))
        assert got == [out("ACK", seq=iss + 2, ack=irs + 2)]
        assert fin_wait_1.state is State.TIME_WAIT

    def test_data_is_still_accepted(self, fin_wait_1, irs, iss):
        got = fin_wait_1.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 1, data=b"more"))
        assert got == [out("ACK", seq=iss + 2, ack=irs + 5)]
        assert fin_wait_1.receive() == b"more"

    def test_retransmission_resends_unacked_data_and_fin(self, established, irs, iss):
        established.send(b"abc")
        established.close()
        assert established.timeout("retransmission") == [
            out("FIN,ACK", seq=iss + 1, ack=irs + 1, data=b"abc")
        ]
        established.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 3))
        assert established.timeout("retransmission") == [out("FIN,ACK", seq=iss + 3, ack=irs + 1, data=b"c")]

    def test_abort_sends_rst(self, fin_wait_1, iss):
        assert fin_wait_1.abort() == [out("RST", seq=iss + 2)]
        assert fin_wait_1.state is State.CLOSED

    def test_exact_rst_closes(self, fin_wait_1, irs):
        assert fin_wait_1.segment_arrives(seg("RST", seq=irs + 1)) == []
        assert fin_wait_1.state is State.CLOSED


# ----------------------------------------------------------------------
# FIN-WAIT-2
# ----------------------------------------------------------------------
class TestFinWait2:
    def test_half_close_data_is_delivered(self, fin_wait_2, irs, iss):
        got = fin_wait_2.segment_arrives(seg("ACK", seq=irs + 1, ack=iss + 2, data=b"late"))
        assert got == [out("ACK", seq=iss + 2, ack=irs + 5)]
        assert fin_wait_2.receive() == b"late"
        assert fin_wait_2.state is State.FIN_WAIT_2

    def test_fin_enters_time_wait(self, fin_wait_2, irs, iss):
        got = fin_wait_2.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 2, data=b"z"))
        assert got == [out("ACK", seq=iss + 2, ack=irs + 3)]
        assert fin_wait_2.state is State.TIME_WAIT

    def test_no_timer_runs(self, fin_wait_2):
        for kind in ("retransmission", "user", "time-wait"):
            with pytest.raises(TimerNotRunning):
                fin_wait_2.timeout(kind)

    def test_abort_sends_rst(self, fin_wait_2, iss):
        assert fin_wait_2.abort() == [out("RST", seq=iss + 2)]


# ----------------------------------------------------------------------
# CLOSE-WAIT
# ----------------------------------------------------------------------
class TestCloseWait:
    def test_send_after_peer_fin_is_allowed(self, close_wait, irs, iss):
        assert close_wait.send(b"reply") == [out("ACK", seq=iss + 1, ack=irs + 2, data=b"reply")]
        assert close_wait.snd_nxt == iss + 6

    def test_text_after_peer_fin_is_ignored(self, close_wait, irs, iss):
        assert close_wait.segment_arrives(seg("ACK", seq=irs + 2, ack=iss + 1, data=b"bogus")) == []
        assert close_wait.delivered() == b""
        assert close_wait.rcv_nxt == irs + 2

    def test_retransmitted_fin_is_acked(self, close_wait, irs, iss):
        got = close_wait.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 1))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 2)]
        assert close_wait.state is State.CLOSE_WAIT

    def test_second_fin_at_rcv_nxt_is_acked_without_advancing(self, close_wait, irs, iss):
        got = close_wait.segment_arrives(seg("FIN,ACK", seq=irs + 2, ack=iss + 1))
        assert got == [out("ACK", seq=iss + 1, ack=irs + 2)]
        assert close_wait.rcv_nxt == irs + 2

    def test_close_sends_fin_and_enters_last_ack(self, close_wait, irs, iss):
        assert close_wait.close() == [out("FIN,ACK", seq=iss + 1, ack=irs + 2)]
        assert close_wait.state is State.LAST_ACK

    def test_exact_rst_closes(self, close_wait, irs):
        assert close_wait.segment_arrives(seg("RST", seq=irs + 2)) == []
        assert close_wait.state is State.CLOSED


# ----------------------------------------------------------------------
# CLOSING
# ----------------------------------------------------------------------
class TestClosing:
    def test_ack_of_fin_enters_time_wait(self, closing, irs, iss):
        assert closing.segment_arrives(seg("ACK", seq=irs + 2, ack=iss + 2)) == []
        assert closing.state is State.TIME_WAIT

    def test_ack_not_covering_fin_stays(self, closing, irs, iss):
        assert closing.segment_arrives(seg("ACK", seq=irs + 2, ack=iss + 1)) == []
        assert closing.state is State.CLOSING

    def test_retransmitted_fin_acknowledging_our_fin_enters_time_wait(self, closing, irs, iss):
        # DECISIONS.md step 1, the peer's FIN again (Appendix A.2): acknowledged
        # at once and its ACK field processed (3.10.7.4 fifth, CLOSING:
        # "if the ACK acknowledges our FIN, then enter the TIME-WAIT state").
        got = closing.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 2))
        assert got == [out("ACK", seq=iss + 2, ack=irs + 2)]
        assert closing.state is State.TIME_WAIT

    def test_retransmission_resends_fin(self, closing, irs, iss):
        assert closing.timeout("retransmission") == [out("FIN,ACK", seq=iss + 1, ack=irs + 2)]

    def test_abort_closes_silently(self, closing):
        assert closing.abort() == []
        assert closing.state is State.CLOSED


# ----------------------------------------------------------------------
# LAST-ACK
# ----------------------------------------------------------------------
class TestLastAck:
    def test_ack_of_fin_closes(self, last_ack, irs, iss):
        assert last_ack.segment_arrives(seg("ACK", seq=irs + 2, ack=iss + 2)) == []
        assert last_ack.state is State.CLOSED
        assert last_ack.closed_by_reset is False

    def test_ack_of_fin_signals_connection_closed(self, last_ack, irs, iss):
        # 3.10.7.4 fifth, LAST-ACK; MUST-12: a normal close, which the user
        # can tell from an abort (DECISIONS.md).
        last_ack.segment_arrives(seg("ACK", seq=irs + 2, ack=iss + 2))
        assert last_ack.signals == ["connection closing", "connection closed"]

    def test_retransmitted_fin_acknowledging_our_fin_closes(self, last_ack, irs, iss):
        # DECISIONS.md step 1, the peer's FIN again: acknowledged at once, its
        # ACK field processed (3.10.7.4 fifth, LAST-ACK: our FIN acknowledged -> CLOSED).
        got = last_ack.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 2))
        assert got == [out("ACK", seq=iss + 2, ack=irs + 2)]
        assert last_ack.state is State.CLOSED
        assert last_ack.signals[-1] == "connection closed"

    def test_retransmission_resends_data_and_fin(self, close_wait, irs, iss):
        close_wait.send(b"xy")
        close_wait.close()
        assert close_wait.timeout("retransmission") == [out("FIN,ACK", seq=iss + 1, ack=irs + 2, data=b"xy")]

    def test_exact_rst_closes(self, last_ack, irs):
        assert last_ack.segment_arrives(seg("RST", seq=irs + 2)) == []
        assert last_ack.state is State.CLOSED

    def test_abort_closes_silently(self, last_ack):
        assert last_ack.abort() == []
        assert last_ack.state is State.CLOSED


# ----------------------------------------------------------------------
# TIME-WAIT
# ----------------------------------------------------------------------
class TestTimeWait:
    def test_retransmitted_fin_is_acked_and_stays(self, time_wait, irs, iss):
        got = time_wait.segment_arrives(seg("FIN,ACK", seq=irs + 1, ack=iss + 2))
        assert got == [out("ACK", seq=iss + 2, ack=irs + 2)]
        assert time_wait.state is State.TIME_WAIT

    def test_time_wait_timeout_closes(self, time_wait):
        assert time_wait.timeout("time-wait") == []
        assert time_wait.state is State.CLOSED

    def test_exact_rst_closes(self, time_wait, irs):
        assert time_wait.segment_arrives(seg("RST", seq=irs + 2)) == []
        assert time_wait.state is State.CLOSED

    def test_syn_gets_challenge_ack(self, time_wait, irs, iss):
        assert time_wait.segment_arrives(seg("SYN", seq=irs + 2)) == [out("ACK", seq=iss + 2, ack=irs + 2)]
        assert time_wait.state is State.TIME_WAIT

    def test_abort_closes_silently(self, time_wait):
        assert time_wait.abort() == []
        assert time_wait.state is State.CLOSED

    def test_closing_path_also_reaches_time_wait(self, closing, irs, iss):
        closing.segment_arrives(seg("ACK", seq=irs + 2, ack=iss + 2))
        assert closing.timeout("time-wait") == []
        assert closing.state is State.CLOSED


# ----------------------------------------------------------------------
# Two endpoints, segments passed by hand
# ----------------------------------------------------------------------
def _deliver(segments: list[Segment], to: Endpoint) -> list[Segment]:
    replies: list[Segment] = []
    for s in segments:
        replies += to.segment_arrives(s)
    return replies


class TestTwoEndpoints:
    def test_simultaneous_open_figure_7(self, iss, irs):
        a, b = Endpoint(iss=iss), Endpoint(iss=irs)
        syn_a, syn_b = a.open(active=True), b.open(active=True)
        syn_ack_a, syn_ack_b = _deliver(syn_b, a), _deliver(syn_a, b)
        assert (a.state, b.state) == (State.SYN_RECEIVED, State.SYN_RECEIVED)
        assert syn_ack_a == [out("SYN,ACK", seq=iss, ack=irs + 1)]
        assert _deliver(syn_ack_b, a) == [] and _deliver(syn_ack_a, b) == []
        assert (a.state, b.state) == (State.ESTABLISHED, State.ESTABLISHED)
        assert (a.snd_una, a.rcv_nxt, b.snd_una, b.rcv_nxt) == (iss + 1, irs + 1, irs + 1, iss + 1)

    def test_simultaneous_close_passes_through_closing(self, iss, irs):
        a, b = Endpoint(iss=iss), Endpoint(iss=irs)
        b.open(active=False)
        _deliver(_deliver(_deliver(a.open(active=True), b), a), b)
        fin_a, fin_b = a.close(), b.close()
        ack_a, ack_b = _deliver(fin_b, a), _deliver(fin_a, b)
        assert (a.state, b.state) == (State.CLOSING, State.CLOSING)
        assert _deliver(ack_b, a) == [] and _deliver(ack_a, b) == []
        assert (a.state, b.state) == (State.TIME_WAIT, State.TIME_WAIT)
        a.timeout("time-wait")
        b.timeout("time-wait")
        assert (a.state, b.state) == (State.CLOSED, State.CLOSED)

    def test_half_close_data_flows_after_first_fin(self, iss, irs):
        a, b = Endpoint(iss=iss), Endpoint(iss=irs)
        b.open(active=False)
        _deliver(_deliver(_deliver(a.open(active=True), b), a), b)
        _deliver(_deliver(a.send(b"request") + a.close(), b), a)
        assert (a.state, b.state) == (State.FIN_WAIT_2, State.CLOSE_WAIT)
        _deliver(_deliver(b.send(b"response, part 1"), a), b)
        _deliver(_deliver(b.send(b", part 2") + b.close(), a), b)
        assert b.receive() == b"request"
        assert a.receive() == b"response, part 1, part 2"
        assert (a.state, b.state) == (State.TIME_WAIT, State.CLOSED)

    def test_abort_rst_closes_the_peer(self, iss, irs):
        a, b = Endpoint(iss=iss), Endpoint(iss=irs)
        b.open(active=False)
        _deliver(_deliver(_deliver(a.open(active=True), b), a), b)
        assert _deliver(a.abort(), b) == []
        assert b.state is State.CLOSED and b.closed_by_reset

    def test_half_open_connection_is_reset_by_closed_peer(self, iss, irs):
        a, b = Endpoint(iss=iss), Endpoint(iss=irs)
        b.open(active=False)
        _deliver(_deliver(_deliver(a.open(active=True), b), a), b)
        b.abort()  # the RST is lost
        rst = _deliver(a.send(b"anyone?"), b)
        assert rst == [out("RST", seq=irs + 1)]
        assert _deliver(rst, a) == []
        assert a.state is State.CLOSED and a.closed_by_reset


# ----------------------------------------------------------------------
# Illegal user calls and timeouts raise and leave everything unchanged
# ----------------------------------------------------------------------
ALL_STATE_FIXTURES = [
    "closed", "listen", "syn_sent", "syn_received", "established", "fin_wait_1",
    "fin_wait_2", "close_wait", "closing", "last_ack", "time_wait",
]

# (fixture, call, expected error); calls are (method, args).
ILLEGAL = [
    ("closed", ("send", (b"x",)), ConnectionDoesNotExist),
    ("closed", ("close", ()), ConnectionDoesNotExist),
    ("closed", ("abort", ()), ConnectionDoesNotExist),
    ("listen", ("open", (False,)), ConnectionExists),
    ("listen", ("send", (b"x",)), ForeignSocketUnspecified),
    ("syn_sent", ("send", (b"x",)), InsufficientResources),
    ("syn_received", ("send", (b"x",)), InsufficientResources),
    ("closed", ("receive", ()), ConnectionDoesNotExist),
    ("closed", ("status", ()), ConnectionDoesNotExist),
] + [
    (fx, ("receive", ()), ConnectionClosing)
    for fx in ("close_wait", "closing", "last_ack", "time_wait")
] + [
    (fx, ("open", (active,)), ConnectionExists)
    for fx in ALL_STATE_FIXTURES[2:]
    for active in (True, False)
] + [
    (fx, (call, args), ConnectionClosing)
    for fx in ("fin_wait_1", "fin_wait_2", "closing", "last_ack", "time_wait")
    for call, args in (("send", (b"x",)), ("close", ()))
] + [
    (fx, ("timeout", ("retransmission",)), TimerNotRunning)
    for fx in ("closed", "listen", "established", "fin_wait_2", "close_wait", "time_wait")
] + [
    (fx, ("timeout", ("user",)), TimerNotRunning)
    for fx in ("closed", "listen", "established", "fin_wait_2", "close_wait", "time_wait")
] + [
    (fx, ("timeout", ("time-wait",)), TimerNotRunning)
    for fx in ALL_STATE_FIXTURES if fx != "time_wait"
]

ERROR_STRINGS = {
    ConnectionDoesNotExist: "error: connection does not exist",
    ConnectionExists: "error: connection already exists",
    ConnectionClosing: "error: connection closing",
}


class TestIllegalCalls:
    @pytest.mark.parametrize(
        "fixture,call,error", ILLEGAL, ids=[f"{f}-{c[0]}{c[1]}" for f, c, _ in ILLEGAL]
    )
    def test_illegal_call_raises_and_changes_nothing(self, request, iss, irs, fixture, call, error):
        # iss / irs are requested so that getfixturevalue sees them parametrized.
        ep: Endpoint = request.getfixturevalue(fixture)
        before = variables(ep)
        method, args = call
        with pytest.raises(error) as info:
            getattr(ep, method)(*args)
        assert isinstance(info.value, TcpError)
        if error in ERROR_STRINGS:
            assert str(info.value) == ERROR_STRINGS[error]
        assert variables(ep) == before

    def test_unknown_timeout_kind_is_a_value_error(self, established):
        with pytest.raises(ValueError):
            established.timeout("keepalive")


# ----------------------------------------------------------------------
# Sequence-number wraparound
# ----------------------------------------------------------------------
class TestWraparound:
    def test_iss_2_pow_32_minus_1_wraps_snd_nxt_to_zero(self):
        ep = Endpoint(iss=MOD - 1)
        assert ep.open(active=True) == [out("SYN", seq=MOD - 1)]
        assert ep.snd_nxt == 0
        ep.segment_arrives(seg("SYN,ACK", seq=MOD - 1, ack=0))
        assert ep.state is State.ESTABLISHED and ep.rcv_nxt == 0
        assert ep.send(b"abc") == [out("ACK", seq=0, ack=0, data=b"abc")]
        assert ep.snd_nxt == 3

    def test_data_across_the_wrap_is_delivered(self):
        ep = Endpoint(iss=7)
        ep.open(active=False)
        ep.segment_arrives(seg("SYN", seq=MOD - 3))
        ep.segment_arrives(seg("ACK", seq=MOD - 2, ack=8))
        got = ep.segment_arrives(seg("ACK", seq=MOD - 2, ack=8, data=b"wrap!"))
        assert got == [out("ACK", seq=8, ack=3)]
        assert ep.receive() == b"wrap!"
