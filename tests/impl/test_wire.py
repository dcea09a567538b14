"""impl.wire: TCP header encode/decode (RFC 9293 3.1, 3.2).

Round-trip properties, a differential test against scapy, hand-built
malformed headers (each error names its byte offset), and a fuzzer that
feeds random and mutated bytes to decode: nothing but WireError escapes.
"""

from __future__ import annotations

import ipaddress
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.packet import Raw

from impl import Endpoint, Segment, State
from impl.wire import (
    EOL,
    NOP,
    BadChecksum,
    BadDataOffset,
    BadOptionLength,
    TcpOption,
    TruncatedHeader,
    WireError,
    checksum,
    decode,
    encode,
    mss_option,
)

V4 = ("192.0.2.1", "198.51.100.2")
V6 = ("2001:db8::1", "2001:db8:ffff::2")

# ----------------------------------------------------------------------
# Strategies
# ----------------------------------------------------------------------
u32 = st.integers(0, 2**32 - 1)
u16 = st.integers(0, 0xFFFF)

segments = st.builds(
    Segment,
    seq=u32,
    ack=u32,
    syn=st.booleans(),
    ack_flag=st.booleans(),
    fin=st.booleans(),
    rst=st.booleans(),
    data=st.binary(max_size=64),
    wnd=u16,
)

# Options other than EOL (which ends the list, so it cannot round-trip).
single_option = st.one_of(
    st.just(NOP),
    st.builds(mss_option, u16),
    st.builds(
        TcpOption,
        kind=st.integers(3, 255),
        data=st.binary(max_size=8),
    ),
)
option_lists = st.lists(single_option, max_size=8).filter(
    lambda opts: sum(len(o.encode()) for o in opts) <= 40
)
ipv4 = st.builds(lambda n: str(ipaddress.IPv4Address(n)), u32)
ipv6 = st.builds(lambda n: str(ipaddress.IPv6Address(n)), st.integers(0, 2**128 - 1))
addr_pairs = st.one_of(st.tuples(ipv4, ipv4), st.tuples(ipv6, ipv6))
EXTRA_BITS = 0x08 | 0x20 | 0x40 | 0x80  # PSH URG ECE CWR
extra_flags = st.sets(st.sampled_from([0x08, 0x20, 0x40, 0x80])).map(sum)


def fix_checksum(raw: bytes, src: str, dst: str) -> bytes:
    """Recompute the checksum of possibly-mangled bytes (so parsing goes deeper)."""
    if len(raw) < 18:
        return raw
    zeroed = raw[:16] + b"\x00\x00" + raw[18:]
    return zeroed[:16] + checksum(zeroed, src, dst).to_bytes(2, "big") + zeroed[18:]


def header(*, doff: int = 5, options: bytes = b"", payload: bytes = b"", flags: int = 0x10) -> bytes:
    """A raw header with arbitrary (possibly wrong) data offset, checksum fixed for V4."""
    raw = (
        (1234).to_bytes(2, "big") + (80).to_bytes(2, "big")
        + (1).to_bytes(4, "big") + (2).to_bytes(4, "big")
        + bytes([doff << 4, flags]) + (1000).to_bytes(2, "big")
        + b"\x00\x00" + b"\x00\x00" + options + payload
    )
    return fix_checksum(raw, *V4)


# ----------------------------------------------------------------------
# Round trip
# ----------------------------------------------------------------------
class TestRoundTrip:
    @given(segments, addr_pairs, u16, u16, option_lists, extra_flags, u16)
    def test_decode_inverts_encode(self, seg, addrs, sport, dport, options, extra, urg):
        raw = encode(seg, *addrs, sport, dport, options, extra_flags=extra, urg_ptr=urg)
        got, info = decode(raw, *addrs)
        assert got == seg
        assert (info.src_port, info.dst_port, info.urg_ptr, info.window) == (sport, dport, urg, seg.wnd)
        assert info.options == tuple(options)
        assert info.flags & EXTRA_BITS == extra
        assert info.header_len == 20 + (sum(len(o.encode()) for o in options) + 3) // 4 * 4
        mss_values = [o.mss for o in options if o.kind == 2]
        assert info.mss == (mss_values[-1] if mss_values else None)

    @given(segments, addr_pairs, u16, u16, option_lists)
    def test_encoded_checksum_verifies(self, seg, addrs, sport, dport, options):
        raw = encode(seg, *addrs, sport, dport, options)
        assert checksum(raw, *addrs) == 0
        assert len(raw) % 4 == len(seg.data) % 4  # header is a whole number of words

    @given(segments, u16, u16)
    def test_reencoding_decoded_bytes_is_identity(self, seg, sport, dport):
        raw = encode(seg, *V4, sport, dport, [mss_option(1460), NOP, NOP])
        got, info = decode(raw, *V4)
        assert encode(got, *V4, info.src_port, info.dst_port, info.options) == raw

    def test_options_after_eol_are_padding(self):
        raw = encode(Segment(seq=1), *V4, 1, 2, [NOP, EOL, mss_option(99)])
        _, info = decode(raw, *V4)
        assert info.options == (NOP,) and info.mss is None

    def test_unknown_option_is_skipped_by_its_length(self):
        opts = [TcpOption(77, b"\xff" * 5), mss_option(536)]
        _, info = decode(encode(Segment(seq=1), *V4, 1, 2, opts), *V4)
        assert info.mss == 536 and info.options == tuple(opts)

    def test_reserved_bits_are_ignored_on_receipt(self):
        raw = bytearray(encode(Segment(seq=1, ack_flag=True), *V4, 1, 2))
        raw[12] |= 0x0F
        seg, info = decode(fix_checksum(bytes(raw), *V4), *V4)
        assert info.reserved == 0x0F and seg.ack_flag

    @pytest.mark.parametrize(
        "kwargs",
        [dict(src_port=-1), dict(dst_port=70000), dict(urg_ptr=1 << 16), dict(extra_flags=0x02)],
    )
    def test_encode_rejects_out_of_range_fields(self, kwargs):
        args = dict(src_port=1, dst_port=2)
        args.update(kwargs)
        with pytest.raises(ValueError):
            encode(Segment(seq=0), *V4, **args)

    def test_encode_rejects_window_beyond_16_bits_and_too_many_options(self):
        with pytest.raises(ValueError):
            encode(Segment(seq=0, wnd=1 << 16), *V4, 1, 2)
        with pytest.raises(ValueError):
            encode(Segment(seq=0), *V4, 1, 2, [TcpOption(99, bytes(40))])


# ----------------------------------------------------------------------
# Differential against scapy
# ----------------------------------------------------------------------
def scapy_options(options):
    out = []
    for opt in options:
        if opt.kind == 1:
            out.append(("NOP", None))
        elif opt.kind == 2:
            out.append(("MSS", opt.mss))
        else:
            out.append((opt.kind, opt.data))
    return out


def scapy_flags(seg: Segment, extra: int) -> int:
    return extra | seg.fin * 0x01 | seg.syn * 0x02 | seg.rst * 0x04 | seg.ack_flag * 0x10


class TestAgainstScapy:
    @settings(deadline=None)  # scapy is slow to build packets
    @given(segments, addr_pairs, u16, u16, option_lists, extra_flags, u16)
    def test_header_bytes_and_checksum_match_scapy(self, seg, addrs, sport, dport, options, extra, urg):
        src, dst = addrs
        ip_layer = IP(src=src, dst=dst) if ":" not in src else IPv6(src=src, dst=dst)
        tcp = TCP(
            sport=sport, dport=dport, seq=seg.seq, ack=seg.ack, flags=scapy_flags(seg, extra),
            window=seg.wnd, urgptr=urg, options=scapy_options(options),
        )
        pkt = ip_layer / tcp / Raw(seg.data) if seg.data else ip_layer / tcp
        theirs = bytes(pkt)[len(ip_layer):]
        ours = encode(seg, src, dst, sport, dport, options, extra_flags=extra, urg_ptr=urg)
        assert ours == theirs
        # ... and scapy agrees with our decode of its bytes.
        got, info = decode(theirs, src, dst)
        assert got == seg
        parsed = (IP if ":" not in src else IPv6)(bytes(pkt))
        if TCP in parsed:  # scapy gives up on e.g. a 1-octet TCP-AO (kind 29) body
            tcp = parsed[TCP]
            assert (got.seq, got.ack, got.wnd) == (tcp.seq, tcp.ack, tcp.window)
            assert (info.checksum, info.flags, info.urg_ptr) == (tcp.chksum, int(tcp.flags), tcp.urgptr)

    def test_checksum_matches_scapy_for_odd_length_payload(self):
        pkt = IP(src=V4[0], dst=V4[1]) / TCP(sport=5, dport=6, flags="PA", seq=9, ack=10, window=11) / b"odd"
        theirs = bytes(pkt)[20:]
        seg = Segment.of("ACK", seq=9, ack=10, data=b"odd", wnd=11)
        assert encode(seg, *V4, 5, 6, extra_flags=0x08) == theirs


# ----------------------------------------------------------------------
# Malformed headers: typed errors naming the offset at fault
# ----------------------------------------------------------------------
class TestMalformed:
    @pytest.mark.parametrize("n", [0, 1, 19])
    def test_truncated_header(self, n):
        with pytest.raises(TruncatedHeader, match=f"offset {n}"):
            decode(header()[:n], *V4)

    @pytest.mark.parametrize("doff", [0, 4])
    def test_data_offset_below_five(self, doff):
        with pytest.raises(BadDataOffset, match="offset 12") as info:
            decode(header(doff=doff), *V4)
        assert info.value.offset == 12

    def test_data_offset_past_the_end(self):
        with pytest.raises(BadDataOffset, match="offset 12"):
            decode(header(doff=6), *V4)

    @pytest.mark.parametrize("length", [0, 1])
    def test_option_length_below_two(self, length):
        with pytest.raises(BadOptionLength, match="offset 21"):
            decode(header(doff=6, options=bytes([99, length, 0, 0])), *V4)

    def test_option_running_past_the_header(self):
        with pytest.raises(BadOptionLength, match="offset 23"):
            decode(header(doff=6, options=bytes([1, 1, 99, 3])), *V4)

    def test_option_kind_without_length_octet(self):
        with pytest.raises(BadOptionLength, match="offset 23"):
            decode(header(doff=6, options=bytes([1, 1, 1, 99])), *V4)

    def test_mss_with_wrong_length(self):
        with pytest.raises(BadOptionLength, match="offset 21"):
            decode(header(doff=7, options=bytes([2, 3, 5, 1, 0, 0, 0, 0])), *V4)

    def test_option_length_cannot_reach_into_payload(self):
        with pytest.raises(BadOptionLength):
            decode(header(doff=6, options=bytes([99, 8, 0, 0]), payload=b"data"), *V4)

    def test_bad_checksum(self):
        raw = bytearray(header(payload=b"abc"))
        raw[-1] ^= 0x01
        with pytest.raises(BadChecksum, match="offset 16"):
            decode(bytes(raw), *V4)
        seg, _ = decode(bytes(raw), *V4, verify_checksum=False)
        assert seg.data == b"ab" + bytes([ord("c") ^ 1])

    def test_checksum_covers_the_pseudo_header(self):
        raw = header(payload=b"abc")
        with pytest.raises(BadChecksum):
            decode(raw, V4[0], "198.51.100.3")

    def test_segment_longer_than_the_ipv4_length_field(self):
        raw = header() + bytes(0x10000)
        with pytest.raises(WireError, match="pseudo-header"):
            decode(raw, *V4)
        decode(raw, *V6, verify_checksum=False)

    def test_mixed_address_families_are_a_caller_error(self):
        with pytest.raises(ValueError):
            encode(Segment(seq=0), V4[0], V6[1], 1, 2)

    def test_all_wire_errors_are_value_errors(self):
        for cls in (TruncatedHeader, BadDataOffset, BadOptionLength, BadChecksum):
            assert issubclass(cls, WireError) and issubclass(cls, ValueError)


# ----------------------------------------------------------------------
# Fuzzing: nothing but WireError escapes decode
# ----------------------------------------------------------------------
def decode_or_wire_error(raw: bytes, src: str, dst: str, verify: bool) -> None:
    try:
        seg, info = decode(raw, src, dst, verify_checksum=verify)
    except WireError as exc:
        assert 0 <= exc.offset <= max(len(raw), 0xFFFF)
        return
    assert 20 <= info.header_len <= len(raw)
    assert seg.data == raw[info.header_len:]


mutations = st.lists(
    st.tuples(st.sampled_from(["flip", "set", "truncate", "extend", "doff"]), st.integers(0, 200), st.integers(0, 255)),
    min_size=1,
    max_size=6,
)


def mutate(raw: bytes, plan) -> bytes:
    buf = bytearray(raw)
    for op, pos, val in plan:
        if op == "flip" and buf:
            buf[pos % len(buf)] ^= 1 << (val % 8)
        elif op == "set" and buf:
            buf[pos % len(buf)] = val
        elif op == "truncate":
            del buf[pos % (len(buf) + 1):]
        elif op == "extend":
            buf += bytes([val]) * (pos % 8)
        elif op == "doff" and len(buf) > 12:
            buf[12] = (val & 0xF0) | (buf[12] & 0x0F)
    return bytes(buf)


# The deep profile feeds 100 000 inputs to each fuzz test (issue: "100 000
# inputs in the deep profile"); the ci profile keeps its own small count.
FUZZ = settings(max_examples=100_000) if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else settings()


class TestFuzz:
    @FUZZ
    @given(st.binary(max_size=100), st.booleans(), addr_pairs)
    def test_random_bytes(self, raw, verify, addrs):
        decode_or_wire_error(raw, *addrs, verify)

    @FUZZ
    @given(st.binary(min_size=20, max_size=80), addr_pairs)
    def test_random_bytes_with_valid_checksum(self, raw, addrs):
        decode_or_wire_error(fix_checksum(raw, *addrs), *addrs, True)

    @FUZZ
    @given(segments, option_lists, mutations, st.booleans(), st.booleans())
    def test_mutated_valid_segments(self, seg, options, plan, verify, refix):
        raw = mutate(encode(seg, *V4, 1, 2, options), plan)
        if refix:
            raw = fix_checksum(raw, *V4)
        decode_or_wire_error(raw, *V4, verify)

    @FUZZ
    @given(segments, option_lists, mutations, st.booleans())
    def test_mutated_bytes_through_the_decoder_into_an_established_endpoint(self, seg, options, plan, refix):
        """Random and mutated bytes reach segment_arrives only through the
        codec: nothing but WireError escapes, and a segment whose checksum is
        bad changes nothing."""
        iss, irs = 1000, 5000
        ep = Endpoint(iss=iss)
        ep.open(active=False)
        ep.segment_arrives(Segment.of("SYN", seq=irs))
        ep.segment_arrives(Segment.of("ACK", seq=irs + 1, ack=iss + 1))
        raw = mutate(encode(seg, *V4, 1, 2, options), plan)
        if refix:
            raw = fix_checksum(raw, *V4)
        before = ep.snapshot()
        try:
            decode(raw, *V4)
        except BadChecksum:
            assert receive_bytes(ep, raw, *V4) == [] and ep.snapshot() == before
            return
        except WireError:
            return
        out = receive_bytes(ep, raw, *V4)
        assert isinstance(out, list)

    @given(st.lists(st.integers(0, 255), max_size=40), segments)
    def test_random_option_area(self, option_bytes, seg):
        area = bytes(option_bytes) + bytes(-len(option_bytes) % 4)
        raw = bytearray(encode(seg, *V4, 1, 2))
        raw[12] = ((20 + len(area)) // 4) << 4
        raw = bytes(raw[:20]) + area + seg.data
        decode_or_wire_error(fix_checksum(raw, *V4), *V4, True)


# ----------------------------------------------------------------------
# A corrupted segment never reaches the endpoint
# ----------------------------------------------------------------------
def receive_bytes(ep: Endpoint, raw: bytes, src: str, dst: str) -> list[Segment]:
    """What a stack does with a datagram: decode (MUST-3 checksum), then 3.10.7."""
    try:
        seg, _ = decode(raw, src, dst)
    except WireError:
        return []
    return ep.segment_arrives(seg)


class TestCorruptionIsRejected:
    @given(st.data(), st.binary(min_size=1, max_size=16))
    def test_single_bit_flip_is_rejected_before_the_endpoint(self, data, payload):
        iss, irs = 1000, 5000
        ep = Endpoint(iss=iss)
        ep.open(active=False)
        ep.segment_arrives(Segment.of("SYN", seq=irs))
        ep.segment_arrives(Segment.of("ACK", seq=irs + 1, ack=iss + 1))
        good = encode(Segment.of("ACK", seq=irs + 1, ack=iss + 1, data=payload), *V4, 80, 1234)
        bit = data.draw(st.integers(0, len(good) * 8 - 1))
        bad = bytearray(good)
        bad[bit // 8] ^= 1 << (bit % 8)
        before = ep.snapshot()
        with pytest.raises(WireError):
            decode(bytes(bad), *V4)
        assert receive_bytes(ep, bytes(bad), *V4) == []
        assert ep.snapshot() == before and ep.receive() == b""
        # The intact segment is delivered.
        assert receive_bytes(ep, good, *V4) != []
        assert ep.receive() == payload and ep.state is State.ESTABLISHED

    @given(addr_pairs, segments)
    def test_misrouted_segment_is_rejected_by_the_pseudo_header(self, addrs, seg):
        src, dst = addrs
        other = ipaddress.ip_address(dst)
        other = type(other)(int(other) ^ 1)  # changes the sum by exactly 1 (mod 0xFFFF)
        raw = encode(seg, src, dst, 1, 2)
        with pytest.raises(BadChecksum):
            decode(raw, src, str(other))
