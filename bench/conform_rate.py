"""How fast is `conform`? Segments per second of CPU time, cold caches (a
fresh Model for every measurement, so no step is remembered from an earlier
run; loading the model is not counted, building the checker is).

    python bench/conform_rate.py            # the committed samples, and many connections
    python bench/conform_rate.py --live     # also long live loopback captures (root)

Workloads:
- each committed sample of tests/traces/data/ (real Linux connections), read + checked;
- "many connections": every sample's segments replayed 100 times on distinct
  port pairs, interleaved, in one capture (check only);
- with --live (root): a chatty connection (3000 request/response exchanges,
  Nagle off) and a 20 MB bulk transfer over loopback, snap length 96.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from checker.traces.capture import read  # noqa: E402
from checker.traces.conform import conform_capture, conform_packets  # noqa: E402
from checker.load import load_model  # noqa: E402

# CPU time of this process: the machine is shared, wall time would measure the neighbours
CLOCK = time.process_time


def measure_file(path: str) -> dict:
    model = load_model(None)  # fresh: cold caches
    t0 = CLOCK()
    cap = read(path)
    t1 = CLOCK()
    rep = conform_capture(cap, model)
    t2 = CLOCK()
    n = len(cap.packets)
    return {"workload": os.path.basename(path), "segments": n, "connections": len(rep.connections),
            "ok": rep.ok, "read_s": round(t1 - t0, 4), "check_s": round(t2 - t1, 4),
            "segments_per_s": round(n / (t2 - t1)), "with_read_per_s": round(n / (t2 - t0))}


def many_connections(paths: list[str], copies: int) -> dict:
    streams = []
    for k in range(copies):
        for j, path in enumerate(paths):
            pk = read(path).packets
            lo = min(min(p.sport, p.dport) for p in pk)
            shift = 1000 + (k * len(paths) + j) * 3
            moved = [p._replace(sport=10000 + (p.sport - lo) % 20000 + shift,
                                dport=10000 + (p.dport - lo) % 20000 + shift) for p in pk]
            streams.append(moved)
    # interleave the connections round-robin, as a busy capture would
    merged, i = [], 0
    while any(i < len(s) for s in streams):
        merged += [s[i] for s in streams if i < len(s)]
        i += 1
    model = load_model(None)
    t0 = CLOCK()
    results = conform_packets(merged, model)
    dt = CLOCK() - t0
    return {"workload": f"many connections ({len(streams)} x samples, interleaved)",
            "segments": len(merged), "connections": len(results),
            "ok": all(r.status == "conformant" for r in results), "check_s": round(dt, 3),
            "segments_per_s": round(len(merged) / dt)}


def live() -> list[dict]:
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import loopback

    why = loopback.can_record()
    if why:
        print(f"--live skipped: {why}", file=sys.stderr)
        return []
    out = []
    with tempfile.TemporaryDirectory() as d:
        for name, scenario, kw in (("chatty (3000 exchanges)", "chatty", {"messages": 3000}),
                                   ("bulk 20 MB", "bulk", {"size": 20_000_000}),
                                   ("slow reader 3 MB", "slow_reader", {})):
            path = os.path.join(d, scenario + ".pcap")
            loopback.record(scenario, path, snaplen=96, **kw)
            row = measure_file(path)
            row["workload"] = name
            out.append(row)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--live", action="store_true", help="also record and check long live captures (root)")
    ap.add_argument("--copies", type=int, default=100, help="replays per sample in 'many connections'")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    data = os.path.join(ROOT, "tests", "traces", "data")
    paths = sorted(os.path.join(data, f) for f in os.listdir(data) if f.endswith((".pcap", ".pcapng")))
    rows = [measure_file(p) for p in paths]
    total_n = sum(r["segments"] for r in rows)
    total_t = sum(r["check_s"] for r in rows)
    rows.append({"workload": "all samples", "segments": total_n, "check_s": round(total_t, 4),
                 "segments_per_s": round(total_n / total_t), "ok": all(r["ok"] for r in rows)})
    rows.append(many_connections(paths, args.copies))
    if args.live:
        rows += live()
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
        return 0
    print(f"{'workload':<48} {'segments':>8} {'check s':>8} {'seg/s':>8}  ok")
    for r in rows:
        print(f"{r['workload']:<48} {r['segments']:>8} {r['check_s']:>8.3f} "
              f"{r['segments_per_s']:>8}  {r['ok']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
