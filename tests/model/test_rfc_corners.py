"""The RFC 9293 corners the lifetimes issue found, each run on the table
(model.machine) and on the hand-written endpoint (impl/) side by side: both
must give the answer the quoted sentence asks for (model/DECISIONS.md says
how each is decided). Grouped by corner, each test quoting its sentence."""

from __future__ import annotations

import pytest

from impl import ConnectionClosing, ConnectionDoesNotExist, Endpoint, InsufficientResources
from impl import Segment as ISeg
from model.config import closed
from model.events import Arrive, Close, Open, Receive, Segment, Send, Status, Timeout
from model.machine import standard
from model.state import State as S

MODEL = standard()
ISS, IRS, PEER_WND = 0xFFFFFFF0, 0x7FFFFFFE, 50  # both wrap within a few octets


def norm_model(segs):
    return [(s.flags(), s.seq, s.ack if s.ackf else None, s.data) for s in segs]


def norm_impl(segs):
    out = []
    for s in segs:
        flags = ",".join(n for n, on in (("SYN", s.syn), ("RST", s.rst), ("FIN", s.fin), ("ACK", s.ack_flag)) if on)
        out.append((flags, s.seq, s.ack if s.ack_flag else None, len(s.data)))
    return out


class Dual:
    """One endpoint as the table and as impl/, fed the same events; every
    step asserts they agree (state, variables, segments) and returns the
    table's Outcome."""

    def __init__(self, rcv_wnd: int = 10, iss: int = ISS):
        self.cfg = closed(iss, rcv_wnd)
        self.ep = Endpoint(iss=iss, rcv_wnd=rcv_wnd)

    def _agree(self, event, call):
        out = MODEL.step(self.cfg, event)
        if out.error is not None:
            with pytest.raises(Exception) as caught:
                call()
            assert str(caught.value) == f"error: {out.error}"
            return out
        got = call()
        assert norm_impl(got) == norm_model(out.sent), (event, out.fired)
        self.cfg = out.config
        assert str(self.ep.state) == str(self.cfg.state)
        assert self.ep.snapshot() == {"state": str(self.cfg.state), **self.cfg.env()}
        return out

    def open(self, active: bool):
        return self._agree(Open(active), lambda: self.ep.open(active))

    def rcv(self, ctl: str, seq: int, ack: int = 0, data: int = 0, wnd: int = PEER_WND):
        f = set(ctl.split(","))
        seg = Segment(seq=seq % 2**32, ack=ack % 2**32, syn="SYN" in f, ackf="ACK" in f, fin="FIN" in f,
                      rst="RST" in f, data=data, wnd=wnd)
        iseg = ISeg.of(ctl, seq=seq % 2**32, ack=ack % 2**32, data=bytes(data), wnd=wnd)
        return self._agree(Arrive(seg), lambda: self.ep.segment_arrives(iseg))

    def send(self, n: int):
        return self._agree(Send(n), lambda: self.ep.send(bytes(n)))

    def close(self):
        return self._agree(Close(), self.ep.close)

    def timeout(self, which: str):
        return self._agree(Timeout(which), lambda: self.ep.timeout(which))


def established(rcv_wnd: int = 10) -> Dual:
    d = Dual(rcv_wnd)
    d.open(False)
    d.rcv("SYN", IRS)
    d.rcv("ACK", IRS + 1, ISS + 1)
    assert d.cfg.state is S.ESTABLISHED
    return d


def sent(out):
    return norm_model(out.sent)


# --- 1. zero window (3.10.7.4 first) -------------------------------------------------

def test_zero_window_still_takes_the_ack_of_our_fin():
    # 3.10.7.4 first: "If the RCV.WND is zero, no segments will be
    # acceptable, but special allowance should be made to accept valid ACKs,
    # URGs, and RSTs."
    d = established(rcv_wnd=0)
    d.close()
    out = d.rcv("FIN,ACK", IRS + 1, ISS + 2)  # the peer's FIN, acknowledging ours
    assert d.cfg.state is S.FIN_WAIT_2  # the ACK got through; the FIN did not (no window)
    assert sent(out) == [("ACK", (ISS + 2) % 2**32, (IRS + 1) % 2**32, 0)]


def test_zero_window_exact_rst_with_data_resets():
    # RFC 5961 3.2 as adopted by 3.10.7.4 second: an exact RST resets; the
    # zero-window allowance lets it through although it carries data.
    d = established(rcv_wnd=0)
    out = d.rcv("RST", IRS + 1, data=3)
    assert d.cfg.state is S.CLOSED and out.signals == ("connection reset",)


# --- 2. SYN and RST at IRS in SYN-RECEIVED -----------------------------------------------

def test_syn_rst_at_irs_is_dropped_silently():
    # 3.10.7.4 first: "If an incoming segment is not acceptable ... (unless
    # the RST bit is set, if so drop the segment and return)"; RFC 5961 3.2.
    d = Dual()
    d.open(False)
    d.rcv("SYN", IRS)
    out = d.rcv("SYN,RST", IRS)
    assert d.cfg.state is S.SYN_RECEIVED and not out.sent


# --- 3. a retransmitted SYN in SYN-RECEIVED -------------------------------------------------

def test_retransmitted_syn_draws_the_syn_ack_again():
    # 3.10.7.4 first: "If an incoming segment is not acceptable, an
    # acknowledgment should be sent in reply"
    d = Dual()
    d.open(False)
    d.rcv("SYN", IRS)
    out = d.rcv("SYN", IRS)
    assert d.cfg.state is S.SYN_RECEIVED
    assert sent(out) == [("SYN,ACK", ISS, (IRS + 1) % 2**32, 0)] and out.fired[0].name == "syn-again@SYN-RECEIVED"


# --- 4. a FIN past the right window edge ----------------------------------------------------

@pytest.mark.parametrize("alone", [False, True], ids=["after-data", "alone"])
def test_fin_past_the_window_edge_is_trimmed(alone):
    # 3.10.7.4 first: "segments are trimmed such that only data that fits in
    # the window is kept (including SYN and FIN)"
    d = established(rcv_wnd=4)
    if alone:
        out = d.rcv("FIN,ACK", IRS + 1 + 4, ISS + 1)
    else:
        out = d.rcv("FIN,ACK", IRS + 1, ISS + 1, data=4)
    assert d.cfg.state is S.ESTABLISHED
    assert d.cfg.rcv_nxt == (IRS + 1 + (0 if alone else 4)) % 2**32
    assert [s[0] for s in sent(out)] == ["ACK"]


# --- 5. TIME-WAIT: the peer's FIN again ------------------------------------------------------

def closing_pair():
    d = established()
    d.close()
    d.rcv("FIN,ACK", IRS + 1, ISS + 1)  # simultaneous close: their FIN before the ACK of ours
    assert d.cfg.state is S.CLOSING
    return d


def test_time_wait_acknowledges_the_fin_again_and_restarts_2msl():
    # 3.10.7.4 eighth, TIME-WAIT: "The only thing that can arrive in this
    # state is a retransmission of the remote FIN. Acknowledge it, and
    # restart the 2 MSL timeout."
    d = closing_pair()
    d.rcv("ACK", IRS + 2, ISS + 2)
    assert d.cfg.state is S.TIME_WAIT
    out = d.rcv("FIN,ACK", IRS + 1, ISS + 2)
    assert sent(out) == [("ACK", (ISS + 2) % 2**32, (IRS + 2) % 2**32, 0)]
    assert ("2MSL", "restart") in out.timers and d.cfg.state is S.TIME_WAIT


# --- 6. CLOSING and LAST-ACK: a valid ACK on a retransmitted FIN -----------------------------

def test_closing_takes_the_ack_on_a_retransmitted_fin():
    # Appendix A.2: "There are cases where the TCP sequence number validation
    # rules can prevent ACK fields from being processed" (simultaneous close)
    d = closing_pair()
    out = d.rcv("FIN,ACK", IRS + 1, ISS + 2)  # their FIN again, now acknowledging ours
    assert d.cfg.state is S.TIME_WAIT
    assert sent(out) == [("ACK", (ISS + 2) % 2**32, (IRS + 2) % 2**32, 0)]


def test_last_ack_takes_the_ack_on_a_retransmitted_fin_and_still_acknowledges():
    d = established()
    d.rcv("FIN,ACK", IRS + 1, ISS + 1)
    d.close()
    assert d.cfg.state is S.LAST_ACK
    out = d.rcv("FIN,ACK", IRS + 1, ISS + 2)
    assert d.cfg.state is S.CLOSED and out.signals == ("connection closed",)
    assert sent(out) == [("ACK", (ISS + 2) % 2**32, (IRS + 2) % 2**32, 0)]


# --- 7. SEND within the peer's window ------------------------------------------------------

def test_send_beyond_the_window_is_refused():
    # 3.8.6: the sender must not send beyond SND.UNA + SND.WND; 3.10.2: "If
    # there is insufficient space to remember this buffer, simply return
    # 'error: insufficient resources'"
    d = established()
    out = d.send(PEER_WND + 1)
    assert out.error == "insufficient resources" and not out.sent
    out = d.send(PEER_WND)
    assert sent(out) == [("ACK", (ISS + 1) % 2**32, (IRS + 1) % 2**32, PEER_WND)]
    assert d.send(1).error == "insufficient resources"  # the window is full until an ACK


# --- 8. SEND before ESTABLISHED, RECEIVE, STATUS -------------------------------------------

def test_send_in_syn_sent_is_refused_and_receive_status_have_rows():
    # 3.10.2 SYN-SENT: queue the data, or "if there is insufficient space to
    # remember this buffer, simply return 'error: insufficient resources'"
    d = Dual()
    d.open(True)
    assert d.send(1).error == "insufficient resources"
    cfg = d.cfg
    # 3.10.3, 3.10.6: RECEIVE and STATUS are calls with rows
    assert MODEL.step(cfg, Receive()).error is None and MODEL.step(cfg, Status()).config == cfg
    assert MODEL.step(closed(ISS), Status()).error == "connection does not exist"
    with pytest.raises(ConnectionDoesNotExist):
        Endpoint(iss=ISS).status()


def test_receive_in_close_wait_says_connection_closing():
    # 3.10.3 CLOSE-WAIT: "If no text is awaiting delivery, the RECEIVE will
    # get an 'error: connection closing' response"
    d = established()
    d.rcv("FIN,ACK", IRS + 1, ISS + 1)
    assert MODEL.step(d.cfg, Receive()).error == "connection closing"
    with pytest.raises(ConnectionClosing):
        d.ep.receive()
    with pytest.raises(InsufficientResources):  # CLOSE-WAIT may still send, within the window
        d.ep.send(bytes(PEER_WND + 1))


# --- 9. user signals (MUST-12) --------------------------------------------------------------

def test_the_user_learns_a_reset_from_a_normal_close():
    # 3.6: "the local application MUST be informed whether it closed
    # normally or was aborted (MUST-12)"
    d = established()
    out = d.rcv("RST", IRS + 1)
    assert out.signals == ("connection reset",) and d.ep.signals[-1] == "connection reset"
    d = closing_pair()
    assert d.rcv("ACK", IRS + 2, ISS + 2).config.state is S.TIME_WAIT
    out = d.timeout("time-wait")
    assert out.signals == ("connection closed",) and d.ep.signals[-1] == "connection closed"


# --- 10. data on a SYN,ACK; MAY-2 ------------------------------------------------------------

def test_data_on_a_syn_ack_is_discarded_in_syn_sent_and_syn_received_alike():
    # 3.10.7.2 third: "the TCP endpoint may not accept and acknowledge all of
    # the data on the SYN" (DECISIONS.md: one rule for every SYN)
    d = Dual()
    d.open(True)
    out = d.rcv("SYN,ACK", IRS, ISS + 1, data=3)
    assert d.cfg.rcv_nxt == (IRS + 1) % 2**32 and d.cfg.state is S.ESTABLISHED
    assert sent(out) == [("ACK", (ISS + 1) % 2**32, (IRS + 1) % 2**32, 0)]
    d = Dual()
    d.open(True)
    d.rcv("SYN", IRS)  # simultaneous open
    d.rcv("SYN,ACK", IRS, ISS + 1, data=3)
    assert d.cfg.state is S.ESTABLISHED and d.cfg.rcv_nxt == (IRS + 1) % 2**32


def test_may_2_reopen_from_time_wait_is_a_variant_verify_checks():
    # 3.6.1: "it MAY accept a new SYN from the remote TCP endpoint to reopen
    # the connection directly from TIME-WAIT state (MAY-2)"
    from checker.load import load_model

    m = load_model("time_wait_reopen")
    d = closing_pair()
    d.rcv("ACK", IRS + 2, ISS + 2)
    out = m.step(d.cfg, Arrive(Segment(seq=(IRS + 1000) % 2**32, syn=True, wnd=PEER_WND)))
    assert out.config.state is S.SYN_RECEIVED and out.fired[0].name == "reopen@TIME-WAIT"
    assert out.config.iss == (d.cfg.snd_nxt + 0x10000) % 2**32  # condition (1): beyond the old ISNs
    # the standard table answers the same SYN with an ACK (3.10.7.4 first: out of window)
    std = MODEL.step(d.cfg, Arrive(Segment(seq=(IRS + 1000) % 2**32, syn=True, wnd=PEER_WND)))
    assert std.config.state is S.TIME_WAIT and [s.flags() for s in std.sent] == ["ACK"]
