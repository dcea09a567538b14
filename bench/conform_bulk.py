"""Is `conform` fast enough for real captures? Segments per second (CPU time
of the checking process) and peak memory (its maximum resident set), for
the default tolerances and for --strict, on generated captures of RFC 9293
connections (tests/traces/synth.py: MSS-sized segments, an ACK every second
segment, snap length 96):

- bulk transfers of 1 MiB, 10 MiB and 100 MiB (one connection each);
- 10,000 short request/response connections, 50 at a time, interleaved;
- with --live (root): a bulk transfer recorded from Linux over loopback in a
  private network namespace (198.18.0.0/15, segmentation offload off).

Each measurement runs in a fresh process (`python -m checker conform
--json`), so caches start cold and the peak memory is that run's alone.
Target (issue 15): >= 20,000 segments/s and < 500 MB, default and --strict.

    python bench/conform_bulk.py [--sizes 1,10,100] [--connections 10000] [--live] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from checker.load import load_model
from checker.traces.conform import conform_file
from checker.traces.options import ConformOptions
model = load_model(None)
opts = ConformOptions(tolerances=frozenset()) if {strict!r} else ConformOptions()
t0 = time.process_time()
rep = conform_file({path!r}, model, opts)
dt = time.process_time() - t0
print(json.dumps({{"segments": rep.segments, "cpu_s": dt, "connections": len(rep.connections),
                   "verdicts": {{s: rep.count(s) for s in ("conformant", "violation", "not checked")}},
                   "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def measure(path: str, strict: bool) -> dict:
    code = CHILD.format(root=ROOT, strict=strict, path=path)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=3600)
    if p.returncode:
        raise SystemExit(f"measurement failed: {p.stderr.strip().splitlines()[-1:]}")
    row = json.loads(p.stdout)
    row["segments_per_s"] = round(row["segments"] / row["cpu_s"]) if row["cpu_s"] else None
    return row


def live_bulk(path: str, octets: int) -> str | None:
    from tests.traces import netns

    why = netns.unavailable()
    if why:
        print(f"--live skipped: {why}", file=sys.stderr)
        return None
    netns.record_bulk(path, octets)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,10,100", help="bulk transfer sizes in MiB (comma-separated)")
    ap.add_argument("--connections", type=int, default=10_000, help="short connections in one capture")
    ap.add_argument("--live", action="store_true", help="also a bulk transfer recorded from Linux (root)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from tests.traces import synth

    rows = []
    with tempfile.TemporaryDirectory() as d:
        work = []
        for mib in (int(x) for x in args.sizes.split(",") if x):
            path = os.path.join(d, f"bulk{mib}.pcap")
            synth.bulk(path, mib << 20)
            work.append((f"bulk {mib} MiB", path))
        if args.connections:
            path = os.path.join(d, "short.pcap")
            synth.short_connections(path, args.connections)
            work.append((f"{args.connections} short connections", path))
        if args.live:
            path = live_bulk(os.path.join(d, "live.pcap"), 20 << 20)
            if path:
                work.append(("Linux bulk 20 MiB (netns lo, no GSO)", path))
        for name, path in work:
            for strict in (False, True):
                row = measure(path, strict)
                row["workload"], row["mode"] = name, "--strict" if strict else "default"
                rows.append(row)
                if not args.json:
                    print(f"{name:<40} {row['mode']:<9} {row['segments']:>8} segments "
                          f"{row['cpu_s']:>7.2f}s {row['segments_per_s']:>8} seg/s "
                          f"{row['peak_mb']:>6.0f} MB  {row['verdicts']}", flush=True)
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
