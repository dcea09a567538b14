"""`python -m checker prove [NAME...]`: prove with z3, for all 2^32 values of
every sequence number (wraparound included), the seq/ack properties of the
table's rows: row-soundness (endpoint invariant), handshake (ACK = ISN + 1,
agreed SND.NXT/RCV.NXT), close (FIN = one number, last ACK = FIN + 1,
TIME-WAIT), acceptability (Table 6), comparison (modulo-2^32 order),
reset-safety (RFC 5961), retransmission (3.10.8). Each prints one line: name,
summary, time, RFC sections; a failure prints a concrete counterexample in
hex."""

from __future__ import annotations

from checker.cli.common import UsageError, add_color_arg, add_command, add_jobs_args, add_model_arg, check_jobs
from checker.load import load_model
from checker.proofs import PROOF_NAMES


def register(subparsers) -> None:
    names = ", ".join(PROOF_NAMES)
    p = add_command(subparsers, "prove", __doc__,
                    help="run the z3 proofs (sequence numbers, all 2^32 values)",
                    epilog=f"Proofs: {names}. Exit 0 all proved, 1 a proof failed (with a "
                           "counterexample), 2 unknown proof name or bad model, 3 z3 could not decide a proof "
                           "(unknown, time limit), 130 interrupted.")
    p.add_argument("names", nargs="*", metavar="NAME", help=f"proofs to run (default: all): {names}")
    add_model_arg(p)
    add_jobs_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument("--quiet", "-q", action="store_true", help="failures, what was not checked and the verdict only")
    add_color_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from checker.cli.verify import execute

    unknown = [n for n in args.names if n not in PROOF_NAMES]
    if unknown:
        raise UsageError(f"unknown proof {unknown[0]!r}; valid names: {', '.join(PROOF_NAMES)}")
    check_jobs(args.jobs)
    names = list(dict.fromkeys(args.names)) or list(PROOF_NAMES)
    model = load_model(args.model)
    return execute(args, model, [], set(names), proofs=True,
                   header=f"prove: model {model.name} ({model.source}): z3 over all 2^32 values")
