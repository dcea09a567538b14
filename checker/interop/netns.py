"""Private network namespaces for talking to the real kernel (no traffic ever
leaves them).

`Namespace()` creates a uniquely named namespace (`ip netns add`), brings its
loopback up, disables IPv6 in it (net.ipv6.conf.{all,default}.disable_ipv6=1),
applies the sysctls asked for (a profile's assumptions, e.g.
net.ipv4.tcp_rfc1337) and deletes it on exit, killing whatever still runs in
it. `ns.run(argv)` runs a command inside; `with ns.entered():` moves the
calling thread into the namespace (setns(2)) so that a TUN device or a socket
created there belongs to it, and back out afterwards.

Every address this package uses is in 198.18.0.0/15 (RFC 2544's benchmarking
range): `in_range` checks it, and nothing else is ever configured.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import itertools
import os
import shutil
import subprocess

RANGE = ipaddress.ip_network("198.18.0.0/15")
CLONE_NEWNET = 0x40000000
CAP_NET_ADMIN = 12
IPV6_OFF = {"net.ipv6.conf.all.disable_ipv6": "1", "net.ipv6.conf.default.disable_ipv6": "1"}
_counter = itertools.count(1)


class NetnsError(Exception):
    """A namespace could not be set up (one line, with the command's own message)."""


def in_range(addr: str) -> bool:
    return ipaddress.ip_address(addr) in RANGE


def check_addresses(*addrs: str) -> None:
    bad = [a for a in addrs if not in_range(a)]
    if bad:
        raise NetnsError(f"address {bad[0]} is outside {RANGE}: refused")


def _cap_net_admin() -> bool:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> CAP_NET_ADMIN & 1)
    except OSError:
        pass
    return False


def unavailable() -> str | None:
    """None when namespaces can be made here, else the reason they cannot."""
    if not os.path.exists("/proc/self/ns/net"):
        return "no network namespaces on this system (/proc/self/ns/net missing)"
    if os.geteuid() != 0 and not _cap_net_admin():
        return "needs root or CAP_NET_ADMIN (network namespaces and TUN devices)"
    if shutil.which("ip") is None:
        return "needs the `ip` command (iproute2)"
    return None


def _run(argv: list[str], what: str, timeout: float = 20) -> subprocess.CompletedProcess:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise NetnsError(f"{what}: {err}") from None
    if p.returncode != 0:
        msg = (p.stderr or p.stdout).strip().splitlines()
        raise NetnsError(f"{what}: {' '.join(argv)}: {msg[-1] if msg else f'exit {p.returncode}'}")
    return p


def _setns(path: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise NetnsError(f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


class Namespace:
    """A network namespace of our own, deleted on exit (see the module docstring)."""

    def __init__(self, sysctls: dict[str, str] | None = None, tag: str = "tcpcheck"):
        self.name = f"{tag}-{os.getpid()}-{next(_counter)}"
        self.sysctls = {**IPV6_OFF, **(sysctls or {})}
        self.made = False

    def __enter__(self) -> "Namespace":
        why = unavailable()
        if why:
            raise NetnsError(why)
        _run(["ip", "netns", "add", self.name], "creating a network namespace")
        self.made = True
        try:
            _run(["ip", "-n", self.name, "link", "set", "lo", "up"], "bringing lo up")
            self.sysctl(self.sysctls)
        except BaseException:
            self.delete()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.delete()

    def sysctl(self, values: dict[str, str]) -> None:
        if values:
            _run(["ip", "netns", "exec", self.name, "sysctl", "-q", "-w",
                  *(f"{k}={v}" for k, v in values.items())], "setting sysctls in the namespace")

    def read_sysctl(self, key: str) -> str:
        return _run(["ip", "netns", "exec", self.name, "sysctl", "-n", key], "reading a sysctl").stdout.strip()

    def ip(self, *args: str) -> None:
        _run(["ip", "-n", self.name, *args], "configuring the namespace")

    def run(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess:
        """Run `argv` inside the namespace; its output is captured. A command
        that outlives `timeout` is killed (it is then reported, not raised)."""
        return subprocess.run(["ip", "netns", "exec", self.name, *argv], capture_output=True,
                              text=True, timeout=timeout)

    @contextlib.contextmanager
    def entered(self):
        """The calling thread inside the namespace for the block (setns(2)):
        devices and sockets created there belong to the namespace."""
        back = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            _setns(f"/run/netns/{self.name}")
            try:
                yield self
            finally:
                libc = ctypes.CDLL(None, use_errno=True)
                if libc.setns(back, CLONE_NEWNET) != 0:
                    raise NetnsError(f"cannot return from namespace {self.name}: "
                                     f"{os.strerror(ctypes.get_errno())}")
        finally:
            os.close(back)

    def delete(self) -> None:
        if not self.made:
            return
        p = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True)
        for pid in p.stdout.split():  # only what runs inside our own namespace
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), 9)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        self.made = False


def exists(name: str) -> bool:
    return os.path.exists(f"/run/netns/{name}")
