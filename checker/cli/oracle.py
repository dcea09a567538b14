"""`python -m checker oracle`: --format json (default): for every row of the
table, concrete cases (state, RFC 9293 3.3.1 variables, input) -> (next state,
segments sent, rows fired), chosen to cover boundary values (sequence numbers
wrapping at 2^32, the edges of the receive window and of the send space, a
zero window), plus one case per illegal user call or timeout; schema:
checker/generate/schemas/oracle.schema.json. --format packetdrill: packetdrill
scripts (.pkt) driving a real stack's listener and connector through every
state the socket API reaches (passive and active open, close from either side,
simultaneous open and close, RST in each state, ABORT), the expected segments
computed by the model. --run runs them against this machine's kernel with
packetdrill (root or CAP_NET_ADMIN; $PACKETDRILL or --packetdrill), each in a
network namespace of its own (addresses in 198.18.0.0/15, IPv6 off), one line
per script. --profile NAME generates from a profile of a real stack
(model/variants/NAME.py, e.g. linux: its rows and the sysctls it assumes,
which --run sets in each namespace)."""

from __future__ import annotations

import json
import os
import sys

from checker.cli.common import EXIT_FAIL, EXIT_OK, UsageError, add_command, add_model_arg, int_arg
from checker.cli.runs import finish, run_line
from checker.load import load_model, load_profile

EPILOG = """Examples: python -m checker oracle --out vectors.json; python -m checker oracle
--format packetdrill --out pkt/; sudo PACKETDRILL=... python -m checker oracle --format packetdrill
--profile linux --run. Exit 0; 1 if some row has no vector or a script fails (or cannot be
completed); 2 on bad options, a malformed model, or --run without root or packetdrill."""


def register(subparsers) -> None:
    p = add_command(subparsers, "oracle", __doc__,
                    help="test vectors (JSON) and packetdrill scripts computed by the table",
                    epilog=EPILOG)
    p.add_argument("--format", choices=("json", "packetdrill"), default="json",
                   help="json (default) or packetdrill")
    p.add_argument("--out", metavar="PATH", default=None,
                   help="json: a file (default: standard output); packetdrill: a directory (required)")
    p.add_argument("--per-row", type=int_arg, default=4, metavar="N",
                   help="json: at most N vectors per row (default 4)")
    p.add_argument("--json", action="store_true",
                   help="packetdrill: print the list of scripts written as JSON")
    p.add_argument("--run", action="store_true",
                   help="packetdrill: run the scripts against this machine's kernel (root), one line each")
    p.add_argument("--packetdrill", metavar="PATH", default=None,
                   help="packetdrill: the packetdrill binary for --run (default: $PACKETDRILL)")
    p.add_argument("--profile", metavar="NAME", default=None,
                   help="packetdrill: a profile of a real stack (a variant with the sysctls it assumes), "
                        "e.g. linux; with --model, the variant's changes applied over the profile")
    add_model_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.format == "packetdrill":
        return _packetdrill(args)
    if not 1 <= args.per_row <= 64:
        raise UsageError(f"--per-row must be 1..64, got {args.per_row}")
    from checker.generate.oracle import build

    model = load_model(args.model)
    doc = build(model, args.per_row)
    text = json.dumps(doc, indent=1) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        try:
            with open(args.out, "w") as f:
                f.write(text)
        except OSError as err:
            raise UsageError(f"cannot write {args.out}: {err.strerror}") from None
        print(f"oracle: {len(doc['vectors'])} vectors for {doc['rows_covered']} of {doc['rows']} rows "
              f"of model {model.name} -> {args.out}", file=sys.stderr)
    if doc["uncovered"]:
        print(f"oracle: no case fires {len(doc['uncovered'])} rows: {', '.join(doc['uncovered'])}",
              file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def _packetdrill(args) -> int:
    from checker.generate.packetdrill import scripts

    if args.run:
        return _run_packetdrill(args)
    if args.out is None:
        raise UsageError("--format packetdrill writes one .pkt file per scenario: give --out DIRECTORY")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out} exists and is not a directory")
    model = _model(args)[0]
    made = scripts(model)
    try:
        os.makedirs(args.out, exist_ok=True)
        paths = []
        for s in made:
            path = os.path.join(args.out, s.name + ".pkt")
            with open(path, "w") as f:
                f.write(s.text)
            paths.append(path)
    except OSError as err:
        raise UsageError(f"cannot write under {args.out}: {err.strerror}") from None
    if args.json:
        json.dump([{"path": p, "name": s.name, "title": s.title, "ref": s.ref,
                    "states": [str(x) for x in s.states], "rows": s.rows, "stopped": s.stopped}
                   for p, s in zip(paths, made)], sys.stdout, indent=1)
        print()
    else:
        for p, s in zip(paths, made):
            print(f"{p}: {s.title} (RFC 9293 {s.ref})" + (" INCOMPLETE" if s.stopped else ""))
    stopped = [s for s in made if s.stopped]
    for s in stopped:
        print(f"oracle: model {model.name} cannot go on with {s.name}: {s.stopped}", file=sys.stderr)
    return EXIT_FAIL if stopped else EXIT_OK


def _model(args):
    """--model, --profile, or both: the variant's changes applied over the
    profile (checker.interop.kills.over), so a failing script is the variant's."""
    if args.profile and args.model:
        from checker.interop.kills import over

        profile, sysctls = load_profile(args.profile)
        return over(load_model(args.model), profile, load_model(None)), sysctls
    return load_profile(args.profile or args.model)


def _run_packetdrill(args) -> int:
    """--run: write the scripts (to --out or a temporary directory) and run
    each in a namespace of its own; one line per script."""
    import tempfile

    from checker.generate.packetdrill import scripts
    from checker.interop.packetdrill_run import cannot_run, find_packetdrill, run_script, script_bounds

    binary = find_packetdrill(args.packetdrill)
    if args.packetdrill and binary is None:
        raise UsageError(f"--packetdrill {args.packetdrill}: not an executable file")
    why = cannot_run(binary)
    if why:
        raise UsageError(f"--run {why}")
    model, sysctls = _model(args)
    made = scripts(model)
    with tempfile.TemporaryDirectory(prefix="tcpcheck-pkt-") as tmp:
        where = args.out or tmp
        try:
            os.makedirs(where, exist_ok=True)
        except OSError as err:
            raise UsageError(f"cannot write under {where}: {err.strerror}") from None
        results = []
        for s in made:
            path = os.path.join(where, s.name + ".pkt")
            with open(path, "w") as f:
                f.write(s.text)
            r = run_script(binary, path, {**sysctls, **dict(s.sysctls)})
            if s.stopped:
                r.passed, r.detail = False, f"incomplete: model {model.name} stops: {s.stopped}"
            results.append(r)
            if not args.json:
                print(run_line(r.passed, s.name, 36, f"{r.seconds:6.2f}s", r.detail), flush=True)
    return finish(results, args.json, model, sysctls, "scripts", "oracle: packetdrill scripts: generated from",
                  f"this kernel ({os.uname().release})", {"packetdrill": binary}, script_bounds())
