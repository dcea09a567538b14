"""RFC 9293 3.4.1 ISS generator and the sequence-number helpers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from impl import Endpoint, IssGenerator, State, seq_add, seq_diff, seq_ge, seq_gt, seq_le, seq_lt

SECRET = bytes(range(16))
TUPLE = ("192.0.2.1", 40000, "198.51.100.7", 80)
u32 = st.integers(0, 2**32 - 1)


class FakeClock:
    def __init__(self, us: int = 0) -> None:
        self.us = us

    def __call__(self) -> int:
        return self.us


class TestIssGenerator:
    def test_m_is_a_4_microsecond_clock(self):
        clock = FakeClock()
        gen = IssGenerator(clock, SECRET)
        base = gen.iss(*TUPLE)
        clock.us += 4
        assert gen.iss(*TUPLE) == (base + 1) % 2**32
        clock.us += 3
        assert gen.iss(*TUPLE) == (base + 1) % 2**32
        clock.us += 4 * 1000
        assert gen.iss(*TUPLE) == (base + 1001) % 2**32

    def test_isn_is_m_plus_f_mod_2_pow_32(self):
        clock = FakeClock(2**40)
        gen = IssGenerator(clock, SECRET)
        assert gen.iss(*TUPLE) == (gen.m() + gen.f(*TUPLE)) % 2**32
        assert 0 <= gen.iss(*TUPLE) < 2**32

    def test_f_depends_on_every_tuple_element(self):
        gen = IssGenerator(FakeClock(), SECRET)
        base = gen.f(*TUPLE)
        variants = [
            ("192.0.2.2", 40000, "198.51.100.7", 80),
            ("192.0.2.1", 40001, "198.51.100.7", 80),
            ("192.0.2.1", 40000, "198.51.100.8", 80),
            ("192.0.2.1", 40000, "198.51.100.7", 81),
            ("198.51.100.7", 80, "192.0.2.1", 40000),
        ]
        assert all(gen.f(*v) != base for v in variants)

    def test_f_depends_on_the_secret(self):
        a = IssGenerator(FakeClock(), SECRET)
        b = IssGenerator(FakeClock(), bytes(16))
        assert a.f(*TUPLE) != b.f(*TUPLE)

    def test_default_secret_is_random(self):
        assert IssGenerator(FakeClock()).f(*TUPLE) != IssGenerator(FakeClock()).f(*TUPLE)

    def test_ipv6_tuples_are_accepted(self):
        gen = IssGenerator(FakeClock(), SECRET)
        assert gen.iss("2001:db8::1", 1, "2001:db8::2", 2) != gen.iss("2001:db8::2", 1, "2001:db8::1", 2)

    def test_endpoint_selects_a_fresh_iss_per_connection(self):
        clock = FakeClock(1000)
        gen = IssGenerator(clock, SECRET)
        ep = Endpoint(iss_generator=gen, four_tuple=TUPLE)
        [syn] = ep.open(active=True)
        assert syn.seq == ep.iss == gen.iss(*TUPLE)
        ep.close()
        clock.us += 400
        [syn2] = ep.open(active=True)
        assert syn2.seq == (syn.seq + 100) % 2**32
        assert ep.state is State.SYN_SENT

    def test_endpoint_with_clock_builds_its_own_generator(self):
        ep = Endpoint(clock=FakeClock(123456), four_tuple=TUPLE)
        [syn] = ep.open(active=True)
        assert syn.seq == ep.iss


class TestSeqnum:
    @given(u32, u32)
    def test_exactly_one_of_lt_eq_gt(self, a, b):
        assert [seq_lt(a, b), a == b, seq_gt(a, b)].count(True) == 1

    @given(u32, st.integers(1, 2**31 - 1))
    def test_adding_less_than_half_the_space_moves_forward(self, a, n):
        b = seq_add(a, n)
        assert seq_lt(a, b) and seq_le(a, b) and seq_gt(b, a) and seq_ge(b, a)
        assert seq_diff(b, a) == n

    def test_wrap(self):
        assert seq_add(2**32 - 1, 1) == 0
        assert seq_lt(2**32 - 1, 0)
        assert seq_diff(0, 2**32 - 1) == 1


class TestEndpointConstruction:
    def test_default_iss_needs_a_clock(self):
        import pytest

        with pytest.raises(ValueError, match="clock"):
            Endpoint()

    def test_out_of_range_parameters_are_rejected(self):
        import pytest

        for kwargs in (dict(iss=-1), dict(iss=2**32), dict(iss=0, rcv_wnd=-1), dict(iss=0, rcv_wnd=1 << 16)):
            with pytest.raises(ValueError):
                Endpoint(**kwargs)
