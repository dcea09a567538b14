"""`python -m checker prove [NAME...]`: prove with z3, for all 2^32 values of
every sequence number (wraparound included), the seq/ack properties of the
table's rows: row-soundness (endpoint invariant), handshake (ACK = ISN + 1,
agreed SND.NXT/RCV.NXT), close (FIN = one number, last ACK = FIN + 1,
TIME-WAIT), acceptability (Table 6), comparison (modulo-2^32 order),
reset-safety (RFC 5961), retransmission (3.10.8). Each prints one line: name,
summary, time, RFC sections; a failure prints a concrete counterexample in
hex."""

from __future__ import annotations

import json
import sys
import time

from checker.cli.common import EXIT_FAIL, EXIT_OK, UsageError, add_command, add_model_arg
from checker.cli.output import format_check
from checker.load import load_model
from checker.proofs import PROOF_NAMES, run_proofs
from checker.result import PASS


def register(subparsers) -> None:
    names = ", ".join(PROOF_NAMES)
    p = add_command(subparsers, "prove", __doc__,
                    help="run the z3 proofs (sequence numbers, all 2^32 values)",
                    epilog=f"Proofs: {names}. Exit 0 all proved, 1 a proof failed (with a "
                           "counterexample) or was inconclusive, 2 unknown proof name or bad model.")
    p.add_argument("names", nargs="*", metavar="NAME", help=f"proofs to run (default: all): {names}")
    add_model_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.set_defaults(func=run)


def run(args) -> int:
    unknown = [n for n in args.names if n not in PROOF_NAMES]
    if unknown:
        raise UsageError(f"unknown proof {unknown[0]!r}; valid names: {', '.join(PROOF_NAMES)}")
    names = list(dict.fromkeys(args.names)) or list(PROOF_NAMES)
    model = load_model(args.model)
    out = sys.stdout
    t0 = time.perf_counter()
    if not args.json:
        print(f"prove: model {model.name} ({model.source}): z3 over all 2^32 values", file=out)

    def progress(r):
        if not args.json:
            print(format_check(r), file=out)
            out.flush()

    results = run_proofs(model, names, progress)
    seconds = time.perf_counter() - t0
    failed = [r.name for r in results if r.status != PASS]  # failed, or inconclusive (z3 gave up)
    if args.json:
        json.dump({"model": {"name": model.name, "source": model.source, "rows": len(model.rows)},
                   "ok": not failed, "seconds": round(seconds, 3), "failed": failed,
                   "proofs": [r.as_json() for r in results]}, out, indent=1)
        out.write("\n")
    elif failed:
        print(f"verdict: FAILED {len(failed)} of {len(results)} proofs ({', '.join(failed)}) in {seconds:.1f}s",
              file=out)
    else:
        print(f"verdict: all {len(results)} proofs hold, in {seconds:.1f}s", file=out)
    return EXIT_FAIL if failed else EXIT_OK
