"""Running packetdrill scripts against the kernel, each in a namespace of its own.

packetdrill (Google's TCP stack tester, built from /work/shared/vendor/ by
`build-packetdrill`) creates a TUN device, injects the script's inbound
segments and checks the kernel's outbound ones. Every script runs in a fresh
network namespace (`checker.interop.netns.Namespace`: IPv6 off, the profile's
sysctls applied) that is deleted afterwards, with packetdrill's addresses set
explicitly inside 198.18.0.0/15, never its defaults:
  --local_ip 198.18.0.1 (the kernel), --gateway_ip 198.18.0.2,
  --netmask_ip 255.255.255.0, --remote_ip 198.19.0.1 (the scripted peer).

Timing: an expected packet written `+0` must leave within
`TOLERANCE_USECS` of the event before it (packetdrill's --tolerance_usecs):
below Linux's smallest timer (the 40 ms delayed-ACK minimum; retransmission
timeouts are 200 ms or more), so "at once" in the model means at once here.
packetdrill reads the send time of a packet from the kernel's packet
timestamps, which Linux switches on lazily (a deferred static key) when a
socket first asks for them: until then a packet is stamped when it is read,
so one sent too early, identical to the one expected later, would pass.
`keep_timestamps_on` holds a socket with SO_TIMESTAMP open for the whole
run, so every packet is stamped when it leaves (without it the final probe
of the simultaneous-open script misses Linux's extra ACK).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field

from checker.interop.netns import Namespace, NetnsError, check_addresses, unavailable

LOCAL_IP, GATEWAY_IP, NETMASK_IP, REMOTE_IP = "198.18.0.1", "198.18.0.2", "255.255.255.0", "198.19.0.1"
TOLERANCE_USECS = 25_000
SCRIPT_TIMEOUT = 30.0


@dataclass
class PktResult:
    name: str
    path: str
    passed: bool
    seconds: float
    detail: str = ""  # packetdrill's first error line, or why the run did not happen
    output: str = ""
    sysctls: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"name": self.name, "path": self.path, "passed": self.passed,
                "seconds": round(self.seconds, 3), "detail": self.detail, "sysctls": self.sysctls}


SO_TIMESTAMP = 29  # asm-generic/socket.h
_stamping: list = []


def keep_timestamps_on() -> None:
    """Hold one socket with SO_TIMESTAMP for the life of this process (see the
    module docstring); the first call waits for the kernel to switch
    timestamps on (its static key is patched by a deferred work item)."""
    if not _stamping:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
        _stamping.append(s)
        time.sleep(0.3)


def script_bounds() -> str:
    """The timing bounds the scripts rest on, printed with every verdict."""
    from checker.generate.packetdrill import PROBE_WAIT, TIMER_BOUND

    return (f"'at once' = within {TOLERANCE_USECS // 1000} ms; final probe {PROBE_WAIT:g} s after the last "
            f"step; a timer of the stack within {TIMER_BOUND:g} s; one namespace per script")


def find_packetdrill(explicit: str | None = None) -> str | None:
    """The packetdrill binary: `explicit`, else $PACKETDRILL; None if neither
    names an executable file."""
    for cand in (explicit, os.environ.get("PACKETDRILL")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    return None


def cannot_run(packetdrill: str | None) -> str | None:
    """None when scripts can run here, else the one-line reason."""
    if packetdrill is None:
        return ("no packetdrill binary: set PACKETDRILL=/path/to/packetdrill (build it with "
                "../shared/tools/build-packetdrill DIR)")
    return unavailable()


def argv(packetdrill: str, script: str) -> list[str]:
    check_addresses(LOCAL_IP, GATEWAY_IP, REMOTE_IP)
    return [packetdrill, "--ip_version=ipv4", f"--local_ip={LOCAL_IP}", f"--remote_ip={REMOTE_IP}",
            f"--gateway_ip={GATEWAY_IP}", f"--netmask_ip={NETMASK_IP}",
            f"--tolerance_usecs={TOLERANCE_USECS}", script]


def first_error(output: str) -> str:
    """packetdrill's verdict line ("script.pkt:31: error handling packet: ...")
    plus the script and actual packets it prints after it, on one line."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for i, ln in enumerate(lines):
        if "error" in ln or "timing" in ln:
            extra = [x for x in lines[i + 1:i + 5] if x.startswith(("script packet", "actual packet"))]
            return " | ".join([ln, *extra])
    return lines[-1] if lines else ""


def run_script(packetdrill: str, path: str, sysctls: dict | None = None,
               timeout: float = SCRIPT_TIMEOUT) -> PktResult:
    """Run one script in a namespace of its own; never raises for a failing script."""
    name = os.path.splitext(os.path.basename(path))[0]
    keep_timestamps_on()
    t0 = time.monotonic()
    try:
        with Namespace(sysctls, tag="tcpck-pd") as ns:
            try:
                p = ns.run(argv(packetdrill, os.path.abspath(path)), timeout)
            except subprocess.TimeoutExpired:
                return PktResult(name, path, False, time.monotonic() - t0,
                                 f"no verdict within {timeout:.0f}s (killed)", sysctls=dict(sysctls or {}))
    except NetnsError as err:
        return PktResult(name, path, False, time.monotonic() - t0, f"not run: {err}",
                         sysctls=dict(sysctls or {}))
    out = (p.stdout or "") + (p.stderr or "")
    ok = p.returncode == 0
    return PktResult(name, path, ok, time.monotonic() - t0, "" if ok else first_error(out) or
                     f"exit {p.returncode}", out, dict(sysctls or {}))


def run_scripts(packetdrill: str, paths: list[str], sysctls: dict | None = None,
                progress=None) -> list[PktResult]:
    out = []
    for n, path in enumerate(paths, 1):
        r = run_script(packetdrill, path, sysctls)
        out.append(r)
        if progress:
            progress(n, len(paths), r)
    return out
