"""What the kernel tests need, and the reason they skip without it: root or
CAP_NET_ADMIN for namespaces and TUN devices, and a packetdrill binary
($PACKETDRILL, which .ci/run sets after building it) for the scripts."""

from __future__ import annotations

import os

import pytest

from checker.interop.netns import unavailable
from checker.interop.packetdrill_run import cannot_run, find_packetdrill


def need_kernel() -> None:
    why = unavailable() or (None if os.path.exists("/dev/net/tun") else "no /dev/net/tun")
    if why:
        pytest.skip(f"interop with the kernel: {why}")


def need_packetdrill() -> str:
    binary = find_packetdrill()
    why = cannot_run(binary)
    if why:
        pytest.skip(f"packetdrill scripts: {why}")
    return binary
