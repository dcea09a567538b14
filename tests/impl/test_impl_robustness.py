"""Hostile inputs: any segment, any call, in any reachable state.

segment_arrives never raises; user calls either succeed or raise a TcpError
leaving every variable unchanged; the retransmission timer runs exactly
while SND.UNA != SND.NXT; every octet the endpoint (re)transmits is the
octet the user sent at that sequence number.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from impl import Endpoint, Segment, State, TcpError, seq_add, seq_diff, seq_le

MOD = 2**32
u32 = st.integers(0, MOD - 1)


def near(data, *bases: int) -> int:
    """A sequence number near one of the endpoint's variables, or anywhere."""
    if data.draw(st.booleans(), label="random number"):
        return data.draw(u32)
    base = data.draw(st.sampled_from(bases))
    return seq_add(base, data.draw(st.integers(-3, 3)))


def hostile_segment(data, ep: Endpoint) -> Segment:
    return Segment(
        seq=near(data, ep.rcv_nxt, ep.irs, 0),
        ack=near(data, ep.snd_una, ep.snd_nxt, ep.iss, 0),
        syn=data.draw(st.booleans()),
        ack_flag=data.draw(st.booleans()),
        fin=data.draw(st.booleans()),
        rst=data.draw(st.booleans()),
        data=data.draw(st.binary(max_size=6)),
        wnd=data.draw(st.integers(0, 0xFFFF)),
    )


def check_invariants(ep: Endpoint) -> None:
    assert isinstance(ep.state, State)
    for v in (ep.iss, ep.irs, ep.snd_una, ep.snd_nxt, ep.snd_wnd, ep.rcv_nxt):
        assert 0 <= v < MOD
    assert ep.timer_running("retransmission") == (ep.snd_una != ep.snd_nxt)
    if ep.state not in (State.CLOSED, State.LISTEN):
        assert seq_le(ep.snd_una, ep.snd_nxt)
    if ep.state in (State.CLOSED, State.LISTEN):
        assert (ep.irs, ep.snd_una, ep.snd_nxt, ep.snd_wnd, ep.rcv_nxt) == (0, 0, 0, 0, 0)


@given(st.data(), u32, st.sampled_from([0, 1, 5, 65535]))
def test_any_event_sequence_is_handled(data, iss, rcv_wnd):
    ep = Endpoint(iss=iss, rcv_wnd=rcv_wnd)
    sent = bytearray()  # what the user sent in this incarnation, from ISS+1
    for _ in range(data.draw(st.integers(1, 40), label="steps")):
        kind = data.draw(st.sampled_from(
            ["segment", "segment", "segment", "open", "send", "close", "abort", "timeout", "receive"]
        ))
        before = ep.snapshot()
        out: list[Segment] = []
        try:
            if kind == "segment":
                out = ep.segment_arrives(hostile_segment(data, ep))
            elif kind == "open":
                out = ep.open(active=data.draw(st.booleans()))
                sent.clear()  # a new incarnation (the call succeeded)
            elif kind == "send":
                payload = data.draw(st.binary(max_size=8))
                out = ep.send(payload)
                sent += payload
            elif kind == "close":
                out = ep.close()
            elif kind == "abort":
                out = ep.abort()
            elif kind == "timeout":
                out = ep.timeout(data.draw(st.sampled_from(["retransmission", "user", "time-wait"])))
            else:
                ep.receive()
        except TcpError:
            assert kind != "segment"
            assert ep.snapshot() == before
        assert all(isinstance(s, Segment) for s in out)
        assert len(out) <= 1
        for s in out:
            if s.ack_flag and not s.rst:
                assert s.wnd == ep.rcv_wnd
            if s.data:
                # Only real user bytes, at the sequence numbers they were sent with.
                start = seq_diff(s.seq, seq_add(ep.iss, 1))
                assert 0 <= start and bytes(sent[start:start + len(s.data)]) == s.data
        check_invariants(ep)


@given(u32, st.booleans(), st.data())
def test_out_of_range_field_values_never_raise(iss, active, data):
    """Segment reduces seq/ack/wnd modulo 2**32; nothing reaches the endpoint unreduced."""
    ep = Endpoint(iss=iss)
    ep.open(active=active)
    big = st.integers(-(2**40), 2**40)
    for _ in range(10):
        seg = Segment(
            seq=data.draw(big), ack=data.draw(big),
            syn=data.draw(st.booleans()), ack_flag=data.draw(st.booleans()),
            fin=data.draw(st.booleans()), rst=data.draw(st.booleans()),
            data=data.draw(st.binary(max_size=100)), wnd=data.draw(big),
        )
        assert isinstance(ep.segment_arrives(seg), list)
        check_invariants(ep)
