"""The table's rules, grouped by state and named for the rule (RFC 9293
3.10), plus totality: every segment in every state is handled, and an
illegal event raises a typed error naming state and event."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.modelharness import MODEL, End, brief, seg, synchronized

from model.config import Config
from model.events import Abort, Arrive, Close, Open, Segment, Send, Timeout
from model.machine import IllegalEvent
from model.state import State as S

ISS, IRS = 0xFFFFFFFF, 0x7FFFFFFF  # both wrap in the first octets


def syn_sent() -> End:
    a = End(iss=ISS)
    a.open(active=True)
    return a


def syn_received(passive=True) -> End:
    b = End(iss=ISS)
    if passive:
        b.open(active=False)
        b.rcv(seg(IRS, ctl="SYN"))
    else:
        b.open(active=True)
        b.rcv(seg(IRS, ctl="SYN"))
    assert b.state is S.SYN_RECEIVED
    return b


def established() -> End:
    a = syn_sent()
    a.rcv(seg(IRS, ISS + 1, "SYN"))
    assert a.state is S.ESTABLISHED
    return a


def fin_wait_1() -> End:
    a = established()
    a.close()
    return a


# --- CLOSED (3.10.7.1) ----------------------------------------------------------

class TestClosed:
    def test_rst_is_discarded(self):
        assert End(iss=ISS).rcv(seg(5, ctl="RST")) == []

    def test_ack_bearing_segment_gets_rst_with_seq_from_ack(self):
        assert brief(End(iss=ISS).rcv(seg(5, 77))) == ["<SEQ=77><CTL=RST>"]

    def test_segment_without_ack_gets_rst_ack_of_seq_plus_len(self):
        assert brief(End(iss=ISS).rcv(seg(2**32 - 1, ctl="SYN"))) == ["<SEQ=0><ACK=0><CTL=RST,ACK>"]

    def test_send_is_an_error_response_without_change(self):
        a = End(iss=ISS)
        assert a.send(1) == [] and a.error == "connection does not exist" and a.state is S.CLOSED


# --- LISTEN (3.10.7.2) ------------------------------------------------------------

class TestListen:
    def test_rst_is_ignored(self):
        b = End(iss=ISS)
        b.open(active=False)
        assert b.rcv(seg(9, ctl="RST")) == [] and b.state is S.LISTEN

    def test_any_ack_gets_a_reset(self):
        b = End(iss=ISS)
        b.open(active=False)
        assert brief(b.rcv(seg(9, 1234))) == ["<SEQ=1234><CTL=RST>"] and b.state is S.LISTEN

    def test_syn_selects_iss_and_sends_syn_ack(self):
        b = syn_received()
        assert (b.cfg.irs, b.cfg.rcv_nxt, b.cfg.snd_una, b.cfg.snd_nxt) == (IRS, IRS + 1, ISS, 0)
        assert b.cfg.passive

    def test_active_open_from_listen_turns_the_connection_active(self):
        b = End(iss=ISS)
        b.open(active=False)
        assert brief(b.open(active=True)) == [f"<SEQ={ISS}><CTL=SYN>"] and not b.cfg.passive


# --- SYN-SENT (3.10.7.3) -----------------------------------------------------------

class TestSynSent:
    def test_unacceptable_ack_is_answered_by_rst(self):
        a = syn_sent()
        assert brief(a.rcv(seg(IRS, ISS, "SYN"))) == [f"<SEQ={ISS}><CTL=RST>"] and a.state is S.SYN_SENT

    def test_rst_with_acceptable_ack_closes(self):
        a = syn_sent()
        assert a.rcv(seg(0, 0, "RST")) == [] and a.state is S.CLOSED

    def test_rst_without_ack_is_dropped(self):
        a = syn_sent()
        assert a.rcv(seg(0, ctl="RST")) == [] and a.state is S.SYN_SENT

    def test_syn_ack_acking_iss_plus_1_wraps_to_zero(self):
        a = syn_sent()
        assert brief(a.rcv(seg(IRS, 0, "SYN"))) == [f"<SEQ=0><ACK={IRS + 1}><CTL=ACK>"]
        assert a.state is S.ESTABLISHED and a.cfg.snd_una == 0

    def test_bare_syn_is_simultaneous_open(self):
        a = syn_sent()
        assert brief(a.rcv(seg(IRS, ctl="SYN"))) == [f"<SEQ={ISS}><ACK={IRS + 1}><CTL=SYN,ACK>"]
        assert a.state is S.SYN_RECEIVED and not a.cfg.passive

    def test_retransmission_resends_the_syn(self):
        assert brief(syn_sent().timeout("retransmission")) == [f"<SEQ={ISS}><CTL=SYN>"]


# --- SYN-RECEIVED (3.10.7.4) ----------------------------------------------------------

class TestSynReceived:
    def test_exact_rst_returns_passive_connection_to_listen(self):
        b = syn_received(passive=True)
        assert b.rcv(seg(IRS + 1, ctl="RST")) == [] and b.state is S.LISTEN

    def test_exact_rst_closes_active_connection(self):
        b = syn_received(passive=False)
        assert b.rcv(seg(IRS + 1, ctl="RST")) == [] and b.state is S.CLOSED

    def test_inexact_in_window_rst_gets_challenge_ack(self):
        b = syn_received()
        assert brief(b.rcv(seg(IRS + 5, ctl="RST"))) == [f"<SEQ=0><ACK={IRS + 1}><CTL=ACK>"]
        assert b.state is S.SYN_RECEIVED

    def test_unacceptable_ack_gets_rst(self):
        b = syn_received()
        assert brief(b.rcv(seg(IRS + 1, ISS))) == [f"<SEQ={ISS}><CTL=RST>"]

    def test_retransmitted_syn_is_answered_by_the_syn_ack_again(self):
        # 3.10.7.4 first: "If an incoming segment is not acceptable, an
        # acknowledgment should be sent in reply"; our SYN is unacknowledged
        # (DECISIONS.md step 0: row syn-again)
        b = syn_received()
        assert brief(b.rcv(seg(IRS, ctl="SYN"))) == [f"<SEQ={ISS}><ACK={IRS + 1}><CTL=SYN,ACK>"]
        assert b.state is S.SYN_RECEIVED

    def test_new_syn_in_window_returns_passive_connection_to_listen(self):
        b = syn_received()
        assert b.rcv(seg(IRS + 2, ctl="SYN")) == [] and b.state is S.LISTEN

    def test_close_sends_fin_and_retransmission_resends_syn_ack_first(self):
        b = syn_received()
        assert brief(b.close()) == [f"<SEQ=0><ACK={IRS + 1}><CTL=FIN,ACK>"] and b.state is S.FIN_WAIT_1
        assert brief(b.timeout("retransmission")) == [f"<SEQ={ISS}><ACK={IRS + 1}><CTL=SYN,ACK>"]


# --- ESTABLISHED (3.10.7.4) -----------------------------------------------------------------

class TestEstablished:
    def test_syn_gets_challenge_ack(self):
        a = established()
        assert brief(a.rcv(seg(IRS + 1, ctl="SYN"))) == [f"<SEQ=0><ACK={IRS + 1}><CTL=ACK>"]
        assert a.state is S.ESTABLISHED

    def test_exact_rst_resets(self):
        a = established()
        assert a.rcv(seg(IRS + 1, ctl="RST")) == [] and a.state is S.CLOSED

    def test_out_of_window_rst_is_dropped_silently(self):
        a = established()
        assert a.rcv(seg(IRS + 100000, ctl="RST")) == [] and a.state is S.ESTABLISHED

    def test_ack_of_unsent_data_gets_an_ack(self):
        a = established()
        assert brief(a.rcv(seg(IRS + 1, 5))) == [f"<SEQ=0><ACK={IRS + 1}><CTL=ACK>"]

    def test_out_of_order_text_is_dropped_and_acked(self):
        a = established()
        assert brief(a.rcv(seg(IRS + 3, 0, data=2))) == [f"<SEQ=0><ACK={IRS + 1}><CTL=ACK>"]
        assert a.cfg.rcv_nxt == IRS + 1

    def test_text_and_fin_in_one_segment_are_acked_once(self):
        a = established()
        assert brief(a.rcv(seg(IRS + 1, 0, "FIN", data=3))) == [f"<SEQ=0><ACK={IRS + 5}><CTL=ACK>"]
        assert a.state is S.CLOSE_WAIT

    def test_zero_window_accepts_only_an_empty_segment_at_rcv_nxt(self):
        a = synchronized(S.ESTABLISHED, snd_nxt=10, rcv_nxt=20, rcv_wnd=0)
        assert a.rcv(seg(20, 10)) == []
        assert brief(a.rcv(seg(20, 10, data=1))) == ["<SEQ=10><ACK=20><CTL=ACK>"]

    def test_retransmission_resends_all_unacknowledged_data(self):
        a = established()
        a.send(2)
        a.send(1)
        assert brief(a.timeout("retransmission")) == [f"<SEQ=0><ACK={IRS + 1}><CTL=ACK><DATA=3>"]


# --- FIN-WAIT-1, FIN-WAIT-2, CLOSING, TIME-WAIT, LAST-ACK ----------------------------------

class TestClosingStates:
    def test_fin_wait_1_ack_of_fin_enters_fin_wait_2(self):
        a = fin_wait_1()
        assert a.rcv(seg(IRS + 1, 1)) == [] and a.state is S.FIN_WAIT_2

    def test_fin_wait_1_retransmits_the_fin(self):
        assert brief(fin_wait_1().timeout("retransmission")) == [f"<SEQ=0><ACK={IRS + 1}><CTL=FIN,ACK>"]

    def test_second_close_is_an_error_and_sends_no_second_fin(self):
        a = fin_wait_1()
        assert a.close() == [] and a.error == "connection closing" and a.state is S.FIN_WAIT_1

    def test_time_wait_reacks_a_retransmitted_fin(self):
        a = fin_wait_1()
        a.rcv(seg(IRS + 1, 1, "FIN"))
        assert a.state is S.TIME_WAIT
        assert brief(a.rcv(seg(IRS + 1, 1, "FIN"))) == [f"<SEQ=1><ACK={IRS + 2}><CTL=ACK>"]
        assert a.state is S.TIME_WAIT

    def test_last_ack_closes_on_ack_of_fin(self):
        b = established()
        b.rcv(seg(IRS + 1, 0, "FIN"))
        b.close()
        assert b.state is S.LAST_ACK
        assert b.rcv(seg(IRS + 2, 1)) == [] and b.state is S.CLOSED

    def test_closing_ignores_an_ack_that_does_not_cover_the_fin(self):
        a = fin_wait_1()
        a.rcv(seg(IRS + 1, 0, "FIN"))
        assert a.state is S.CLOSING
        assert a.rcv(seg(IRS + 2, 0)) == [] and a.state is S.CLOSING
        assert a.rcv(seg(IRS + 2, 1)) == [] and a.state is S.TIME_WAIT


# --- totality ------------------------------------------------------------------------------

u32 = st.integers(0, 2**32 - 1)
segments = st.builds(Segment, seq=u32, ack=u32, syn=st.booleans(), ackf=st.booleans(), fin=st.booleans(),
                     rst=st.booleans(), data=st.integers(0, 3), wnd=st.integers(0, 2**16))
configs = st.builds(Config, state=st.sampled_from(list(S)), passive=st.booleans(), iss=u32, irs=u32,
                    snd_una=u32, snd_nxt=u32, snd_wnd=st.integers(0, 2**16), rcv_nxt=u32,
                    rcv_wnd=st.integers(0, 2**16))
calls = st.sampled_from([Open(True), Open(False), Send(1), Close(), Abort(), Timeout("retransmission"),
                         Timeout("user"), Timeout("time-wait")])


@given(configs, segments)
def test_every_segment_in_every_state_is_handled(cfg, segment):
    out = MODEL.step(cfg, Arrive(segment))
    assert isinstance(out.config.state, S) and out.fired


@given(configs, calls)
def test_a_user_call_or_timeout_is_handled_or_raises_a_typed_error(cfg, event):
    try:
        out = MODEL.step(cfg, event)
    except IllegalEvent as err:
        assert err.state is cfg.state and err.event == event
        assert str(cfg.state) in str(err)
        return
    if out.error is not None:
        assert out.config == cfg and out.sent == ()


@pytest.mark.parametrize("state,error", [(S.SYN_SENT, "insufficient resources"),
                                         (S.SYN_RECEIVED, "insufficient resources"),
                                         (S.LISTEN, "foreign socket unspecified")])
def test_send_before_established_is_refused_as_3_10_2_allows(state, error):
    # 3.10.2 SYN-SENT/SYN-RECEIVED: "If there is insufficient space to
    # remember this buffer, simply return 'error: insufficient resources'";
    # LISTEN: "If the foreign socket is not specified, then return 'error:
    # foreign socket unspecified'" (DECISIONS.md: no queue before ESTABLISHED)
    cfg = Config(state, False, ISS, IRS, ISS, ISS + 1, 0, IRS + 1, 100)
    out = MODEL.step(cfg, Send(1))
    assert out.error == error and out.config == cfg and not out.sent
