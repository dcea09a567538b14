"""`python -m checker explain --live SCENARIO` (a part of `explain`, kept in
its own module): the kernel's connection captured in a private network
namespace (checker.interop.live), judged by conform, drawn with its ISNs
marked. Without root: one line, exit 2."""

from __future__ import annotations

import json
import sys

from checker.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from checker.load import load_model


def run_live(args) -> int:
    from checker.generate.faq.messages import tr
    from checker.generate.faq.marks import segment_marks
    from checker.interop import live

    name = args.live
    why = live.unavailable()
    if why:
        print(f"error: {tr(args.lang, 'live.noroot', why=why, name=name)}", file=sys.stderr)
        return EXIT_USAGE
    model = load_model(args.model)
    try:
        cap = live.run(name, model)
    except live.LiveError as err:
        print(f"error: explain --live {name}: {err}", file=sys.stderr)
        return EXIT_USAGE
    ok, bad = tr(args.lang, "live.ok"), tr(args.lang, "live.bad")
    verdict = cap.verdict
    title = tr(args.lang, f"scenario.{name}")
    if args.json:
        x = next((p.seq for p in cap.packets if p.source == cap.client and p.flags & 0x02), None)
        y = next((p.seq for p in cap.packets if p.source == cap.server and p.flags & 0x02), None)
        doc = {"scenario": name, "live": True, "model": model.name, "client": list(cap.client),
               "server": list(cap.server), "isn_client": x, "isn_server": y,
               "conforms": verdict.ok, "verdict": verdict.text,
               "segments": [{"frame": p.frame, "from": "A" if p.source == cap.client else "B", "seq": p.seq,
                             "ack": p.ack, "flags": p.flag_names(), "data": p.data,
                             "marks": segment_marks(p.seq, p.ack if p.flags & 0x10 else None, x, y),
                             "conforms": p.frame not in cap.bad_frames} for p in cap.packets]}
        json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print(tr(args.lang, "live.head", title=title, a=f"{cap.client[0]}:{cap.client[1]}",
                 b=f"{cap.server[0]}:{cap.server[1]}"))
        print()
        for line in live.ladder(cap, ok, bad):
            print(line)
        print()
        print(tr(args.lang, "live.judged", model=model.name, verdict=verdict.text))
    return EXIT_OK if verdict.ok else EXIT_FAIL
