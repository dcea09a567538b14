"""Which capture reader should `conform` use? Packets per second of CPU time
reading a generated 100,000-packet capture (tests/traces/synth.py, snap
length 96), as pcap and as pcapng, with:

- checker.traces.pcapfile (struct over a buffered file: what conform uses);
- scapy's RawPcapReader / RawPcapNgReader (scapy is a dependency already);
- dpkt 1.9.8 and python-pcapng 2.1, if installed (`pip install dpkt python-pcapng`;
  not dependencies of the project: reported as not installed otherwise).

Only the reading of records is measured (no decoding of IP/TCP).

    python bench/conform_readers.py [--packets N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def ours(path):
    from checker.traces.pcapfile import frames

    return sum(1 for _ in frames(path))


def scapy_raw(path):
    from scapy.utils import RawPcapReader

    with RawPcapReader(path) as r:
        return sum(1 for _ in r)


def dpkt_reader(path):
    import dpkt

    with open(path, "rb") as f:
        reader = dpkt.pcapng.Reader(f) if path.endswith("ng") else dpkt.pcap.Reader(f)
        return sum(1 for _ in reader)


def pcapng_reader(path):
    if not path.endswith("ng"):
        return None
    from pcapng import FileScanner, blocks

    with open(path, "rb") as f:
        return sum(isinstance(b, blocks.EnhancedPacket) for b in FileScanner(f))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=int, default=100_000)
    args = ap.parse_args()
    from scapy.utils import RawPcapNgWriter, RawPcapReader

    from tests.traces import synth

    with tempfile.TemporaryDirectory() as d:
        pcap = os.path.join(d, "bulk.pcap")
        synth.bulk(pcap, args.packets * 1448 * 2 // 3)
        ng = os.path.join(d, "bulk.pcapng")
        w = RawPcapNgWriter(ng)
        w.linktype = 1
        w.write_header(None)
        for buf, meta in RawPcapReader(pcap):
            w.write_packet(buf, sec=meta.sec + meta.usec / 1e6, caplen=len(buf), wirelen=meta.wirelen)
        w.close()
        for path in (pcap, ng):
            for name, fn in (("checker.traces.pcapfile", ours), ("scapy Raw*Reader", scapy_raw),
                             ("dpkt", dpkt_reader), ("python-pcapng", pcapng_reader)):
                t0 = time.process_time()
                try:
                    n = fn(path)
                except ImportError:
                    print(f"{os.path.basename(path):<12} {name:<26} not installed")
                    continue
                dt = time.process_time() - t0
                if n is None:
                    continue
                print(f"{os.path.basename(path):<12} {name:<26} {n:>8} packets {dt:7.3f}s {n / dt:>12,.0f} packets/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
