"""`python -m checker export --format promela`: Write the composed two-endpoint
system of the table (both endpoints, one channel per direction, the
environment of user calls, faults, incarnations and ISS choices of verify's
explorer) as a Promela model for Spin, with verify's checks on it as
assertions (no-deadlock, established-reachable, established-iff,
seq-agreement, isn-agreement, data-integrity, graceful-close; no-livelock and
coverage are not exported, the header says why). The rows' guards, segments
and updates are translated, not the explored graph: one explorer step is one
d_step, and Spin's breadth-first search stores exactly the explorer's states.
The options are verify's; the model is the run verify makes with them (without
fault flags: the reliable network, 2 OPENs per endpoint, with ABORT)."""

from __future__ import annotations

import sys

from checker.analysis.options import Options
from checker.cli.common import EXIT_OK, UsageError, add_command, add_endpoint_args, add_model_arg, int_arg, names_arg
from checker.load import load_model

EPILOG = """Run it: spin -a model.pml && gcc -O2 -fwrapv -DBFS -DSAFETY -DNOREDUCE -DNOBOUNDCHECK -o pan pan.c
&& ./pan -c0 -e (or python -m checker verify --engine spin, which does this and reads the trails back
through the table). Exit 0; 2 on bad options or a malformed model."""


def add_run_args(p) -> None:
    """The options of one composed run, named as verify names them."""
    from checker.cli.verify import add_fault_args

    p.add_argument("--channel-capacity", type=int_arg, default=1, metavar="K",
                   help="segments per direction before user calls, retransmissions and duplication wait (1..8)")
    add_fault_args(p, default=None, what_old_syn="an old duplicate SYN (3.5 Figure 8) may reach a listener once")
    p.add_argument("--no-abort", action="store_true", help="without ABORT and user timeout")
    p.add_argument("--data", type=int_arg, default=1, metavar="N", help="octets each user may send (0..4, default 1)")
    p.add_argument("--opens", type=int_arg, default=None, metavar="N",
                   help="OPEN calls per endpoint (1..4, default 2)")
    add_endpoint_args(p)


def register(sub) -> None:
    p = add_command(sub, "export", __doc__, help="write the two-endpoint system as a Promela model for Spin",
                    epilog=EPILOG)
    p.add_argument("--format", choices=("promela",), default="promela", help="promela (the only format)")
    add_model_arg(p)
    add_run_args(p)
    p.add_argument("--check", action="append", default=[], type=names_arg, metavar="NAME[,NAME]",
                   help="export only these checks (repeatable; default all that apply)")
    p.add_argument("--spin-slots", type=int_arg, default=None, metavar="N",
                   help="slots per channel (default 2K+1 plus K+1 per later incarnation; an overflow is "
                        "reported as channel-bound, never cut)")
    p.add_argument("--out", metavar="FILE", default=None, help="write here instead of standard output")
    p.set_defaults(func=run)


def run_options(args) -> Options:
    from checker.cli.verify import options_from

    opts, _ = options_from(args)
    return opts


def run(args) -> int:
    from checker.generate.promela.text import promela
    from checker.generate.promela.checks import EXPORTED, NOT_EXPORTED

    model = load_model(args.model)
    opts = run_options(args)
    chosen = [n for group in args.check for n in group]
    for n in chosen:
        if n not in EXPORTED and n not in NOT_EXPORTED:
            raise UsageError(f"unknown check {n!r}; exported checks: {', '.join(EXPORTED)}")
    if args.spin_slots is not None and not 1 <= args.spin_slots <= 64:
        raise UsageError(f"--spin-slots must be 1..64, got {args.spin_slots}")
    text = promela(model, opts, checks=chosen or None, slots=args.spin_slots)
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        with open(args.out, "w") as fh:
            fh.write(text)
    except OSError as err:
        raise UsageError(f"--out {args.out}: {err.strerror or err}") from None
    print(f"wrote {args.out} ({text.count(chr(10))} lines, {opts.label()})", file=sys.stderr)
    return EXIT_OK
