"""`python -m checker interop`: impl/'s sans-IO endpoint against this machine's
Linux kernel. Each scenario runs in a private network namespace (addresses in
198.18.0.0/15 only, IPv6 off) holding a TUN device: the endpoint speaks raw
IPv4 through impl/wire.py with timers on a real clock, the kernel through
ordinary sockets. Every packet is recorded to a pcap and judged by conform
(both endpoints against the standard table, or a profile with --profile
linux), and the data are checked byte for byte. One line per scenario:
passed or FAILED, segments on the wire, time. Needs root or CAP_NET_ADMIN."""

from __future__ import annotations

import os
import sys

from checker.cli.common import EXIT_OK, EXIT_USAGE, UsageError, add_command
from checker.cli.runs import finish, run_line

EPILOG = """Examples: sudo python -m checker interop; sudo python -m checker interop half-close
challenge-ack --profile linux --pcap-dir out/. Exit 0 every scenario passed, 1 one failed, 2 bad
options or no root/CAP_NET_ADMIN (one line)."""


def register(subparsers) -> None:
    p = add_command(subparsers, "interop", __doc__,
                    help="run impl/'s endpoint against the Linux kernel over TUN (root), judged by conform",
                    epilog=EPILOG)
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                   help="scenarios to run (default: all; --list names them)")
    p.add_argument("--list", action="store_true", help="list the scenarios and what each one does")
    p.add_argument("--profile", metavar="NAME", default=None,
                   help="judge with a profile of a real stack (e.g. linux: its rows and sysctls) "
                        "instead of the standard table")
    p.add_argument("--pcap-dir", metavar="DIR", default=None,
                   help="keep each scenario's capture as DIR/SCENARIO.pcap")
    p.add_argument("--json", action="store_true", help="one JSON document instead of lines")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on standard error")
    p.set_defaults(func=run)


def run(args) -> int:
    from checker.interop.driver import harness_bounds
    from checker.interop.netns import unavailable
    from checker.interop.scenarios import BY_NAME, SCENARIOS
    from checker.interop.scenarios import run as run_one
    from checker.load import load_profile

    if args.list:
        for sc in SCENARIOS:
            print(f"{sc.name:<28} {sc.doc}")
        return EXIT_OK
    unknown = [n for n in args.scenarios if n not in BY_NAME]
    if unknown:
        raise UsageError(f"unknown scenario {unknown[0]!r}; scenarios: {', '.join(BY_NAME)}")
    model, sysctls = load_profile(args.profile)
    if args.pcap_dir:
        try:
            os.makedirs(args.pcap_dir, exist_ok=True)
        except OSError as err:
            raise UsageError(f"--pcap-dir {args.pcap_dir}: {err.strerror}") from None
    why = unavailable() or (None if os.path.exists("/dev/net/tun") else "no /dev/net/tun")
    if why:
        print(f"interop: cannot run here: {why}", file=sys.stderr)
        return EXIT_USAGE
    chosen = [BY_NAME[n] for n in args.scenarios] or SCENARIOS
    progress = sys.stderr.isatty() and not args.quiet and not args.json
    results = []
    for n, sc in enumerate(chosen, 1):
        if progress:
            print(f"[{n}/{len(chosen)}] {sc.name} ...", end="\r", file=sys.stderr, flush=True)
        r = run_one(sc, model, sysctls, args.pcap_dir)
        results.append(r)
        if not args.json:
            print(run_line(r.passed, r.name, 28, f"{r.segments:5d} segments {r.seconds:6.2f}s", r.detail),
                  flush=True)
    where = f"Linux {os.uname().release}"
    return finish(results, args.json, model, sysctls, "scenarios", "interop: scenarios: judged with",
                  where, {"kernel": where}, harness_bounds())
