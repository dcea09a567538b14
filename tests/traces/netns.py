"""Real Linux captures made inside private network namespaces (root only).

Every namespace is created here, named tcpcheck-<pid>-<n>, and deleted when
its `with` block ends; IPv6 is disabled in it; the only addresses are in
198.18.0.0/15 (RFC 2544). Nothing reaches the host's interfaces.

- `record_bulk(path, octets)`: a bulk transfer over the namespace's `lo`
  with segmentation offload off (gso_max_segs 1), so the capture holds
  MSS-sized segments and, on a multi-core machine, the capture-point
  reordering of issue 15. The recorder counts the packets its socket
  dropped (PACKET_STATISTICS): a capture with drops is refused.
- `probe_linux(path)`: the crafted-peer probes of tests/traces/crafted.py
  against the Linux kernel: a listening socket in one namespace (the stack,
  198.18.0.1:8080), the peer in another, joined by a veth pair; the peer
  sends and records raw Ethernet frames on its veth end (its own kernel has
  no address there and ignores them), so the only TCP endpoint is the
  stack's kernel.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_count = [0]


def unavailable() -> str | None:
    """None if namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not shutil.which("ip"):
        return "no `ip` command (iproute2)"
    if not hasattr(socket, "AF_PACKET"):
        return "no AF_PACKET sockets on this platform"
    try:
        with namespace():
            pass
    except (OSError, subprocess.CalledProcessError) as err:
        return f"cannot create a network namespace: {err}"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def run_in(ns: str, *args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", ns, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, **kw)


@contextlib.contextmanager
def namespace():
    _count[0] += 1
    name = f"tcpcheck-{os.getpid()}-{_count[0]}"
    _ip("netns", "add", name)
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        run_in(name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", timeout=30)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


# --- a bulk transfer over lo --------------------------------------------------------------------

_BULK = r"""
import os, socket, sys, time
# one CPU: with sender and receiver on different CPUs, lo itself reorders
# segments (seen with SACKs on a 2-core machine); the capture-reorder cases
# are tested with crafted captures, this test is about a long transfer
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
sys.path.insert(0, "tests/traces")
import loopback
rec = loopback.Recorder()
rec.start()
time.sleep(0.05)
try:
    loopback.bulk(socket.AF_INET, "198.18.0.1", rec, size=int(sys.argv[2]), mss=1448)
finally:
    frames = rec.stop()
stats = rec.sock_stats
loopback.write_pcap(frames, sys.argv[1], snaplen=96)
print(len(frames), stats[1])
"""


def record_bulk(path: str, octets: int) -> int:
    """Record a bulk transfer in a fresh namespace; the packet count."""
    with namespace() as ns:
        _ip("-n", ns, "addr", "add", "198.18.0.1/32", "dev", "lo")
        _ip("-n", ns, "link", "set", "lo", "gso_max_size", "1500", "gso_max_segs", "1")
        p = run_in(ns, sys.executable, "-c", _BULK, path, str(octets))
    if p.returncode:
        raise RuntimeError(f"recording failed: {p.stderr.strip()[-300:]}")
    n, drops = (int(x) for x in p.stdout.split())
    if drops:
        raise RuntimeError(f"the recorder dropped {drops} packets: the capture is incomplete")
    return n


_SCENARIO = r"""
import json, sys
sys.path.insert(0, "tests/traces")
import loopback
kw = json.loads(sys.argv[3])
print(loopback.record(sys.argv[1], sys.argv[2], addr="198.18.0.1", **kw))
"""


def record(scenario: str, path: str, ng: bool = False, snaplen: int = 262144) -> int:
    """A scenario of tests/traces/loopback.py, over lo in a fresh namespace
    (198.18.0.1; IPv4 only, IPv6 being disabled there)."""
    import json

    with namespace() as ns:
        _ip("-n", ns, "addr", "add", "198.18.0.1/32", "dev", "lo")
        p = run_in(ns, sys.executable, "-c", _SCENARIO, scenario, path, json.dumps({"ng": ng, "snaplen": snaplen}))
    if p.returncode:
        raise RuntimeError(f"recording {scenario} failed: {p.stderr.strip()[-300:]}")
    return int(p.stdout.split()[-1])


# --- the crafted peer against the Linux kernel ----------------------------------------------------

STACK = ("198.18.0.1", 8080)
PEER = ("198.18.0.2", 40000)
MAC_STACK, MAC_PEER = "02:00:00:00:01:01", "02:00:00:00:01:02"

_SERVER = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.1", 8080))
s.listen(1)
print("ready", flush=True)
s.settimeout(20)
c, _ = s.accept()
c.settimeout(20)
try:
    while c.recv(4096):
        pass
except OSError:
    pass
time.sleep(1)
"""

_INJECT = r"""
import sys
sys.path.insert(0, ".")
from tests.traces import netns
netns.inject(sys.argv[1], sys.argv[2])
"""


def probe_linux(path: str) -> dict:
    """Run the probes against Linux; write the capture; return {step: frames of the stack's answers}."""
    import json

    with namespace() as stack, namespace() as peer:
        _ip("link", "add", "tcx-s", "netns", stack, "type", "veth", "peer", "name", "tcx-p", "netns", peer)
        _ip("-n", stack, "link", "set", "tcx-s", "address", MAC_STACK, "up")
        _ip("-n", peer, "link", "set", "tcx-p", "address", MAC_PEER, "up")
        _ip("-n", stack, "addr", "add", "198.18.0.1/24", "dev", "tcx-s")
        _ip("-n", stack, "neigh", "add", "198.18.0.2", "lladdr", MAC_PEER, "dev", "tcx-s", "nud", "permanent")
        for k, v in (("net.ipv4.tcp_invalid_ratelimit", "0"), ("net.ipv4.tcp_challenge_ack_limit", "1000000"),
                     ("net.ipv4.tcp_timestamps", "0")):
            run_in(stack, "sysctl", "-qw", f"{k}={v}", timeout=30)
        server = subprocess.Popen(["ip", "netns", "exec", stack, sys.executable, "-c", _SERVER], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert server.stdout.readline().strip() == "ready"
            p = run_in(peer, sys.executable, "-c", _INJECT, path, "tcx-p", timeout=120)
        finally:
            server.kill()
            server.wait(timeout=30)
        if p.returncode:
            raise RuntimeError(f"probe failed: {p.stderr.strip()[-400:]}")
        return json.loads(p.stdout.strip().splitlines()[-1])


def inject(path: str, ifname: str) -> None:
    """(In the peer's namespace.) Send the probes of crafted.py as raw frames,
    record both directions, write `path`, print the answers' frames as JSON."""
    import json

    from impl.segment import Segment
    from impl.wire import encode
    from tests.traces import crafted

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sock.bind((ifname, 0))
    sock.settimeout(0.02)
    eth = bytes.fromhex(MAC_STACK.replace(":", "")) + bytes.fromhex(MAC_PEER.replace(":", "")) + b"\x08\x00"
    pr = crafted.Probe()
    ident = [0]

    def keep(frame: bytes) -> bool:
        if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            return False
        sport, dport = struct.unpack_from("!HH", frame, 14 + (frame[14] & 15) * 4)
        return {sport, dport} == {STACK[1], PEER[1]}

    def listen(seconds: float) -> list:
        got, end = [], time.time() + seconds
        while time.time() < end:
            try:
                data, addr = sock.recvfrom(65535)
            except socket.timeout:
                continue
            if addr[2] != 4 and keep(data):  # not our own (PACKET_OUTGOING)
                pr.frames.append((time.time(), data))
                got.append((len(pr.frames), data))
        return got

    def send(seg: Segment) -> None:
        ident[0] += 1
        tcp = encode(seg, PEER[0], STACK[0], PEER[1], STACK[1])
        frame = eth + crafted.ip4(PEER[0], STACK[0], tcp, ident[0])
        sock.send(frame)
        pr.frames.append((time.time(), frame))

    def tcp_of(frame: bytes):
        off = 14 + (frame[14] & 15) * 4
        return struct.unpack_from("!II", frame, off + 4)

    answers = {}
    p = 0x10000000
    send(Segment.of("SYN", seq=p, wnd=crafted.WND))
    got = listen(0.5)
    answers["syn"] = [f for f, _ in got]
    s = tcp_of(got[0][1])[0]  # the kernel's ISS
    for name, seg in crafted.probes(p, s)[1:]:
        pr.peer_frames[name] = len(pr.frames) + 1
        send(seg)
        answers[name] = [f for f, _ in listen(0.3)]
    pr.write(path)
    print(json.dumps({"answers": answers, "stack_iss": s, "peer_iss": p}))
