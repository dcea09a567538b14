"""Command line: `python -m checker COMMAND --help` (or `tcpcheck COMMAND`).
One module per command in this package, each with `register(subparsers)`.

Exit status: 0 every check holds, 1 a property fails (with a
counterexample), 2 usage error or malformed model/input (one line, no
traceback)."""

from __future__ import annotations

import argparse
import importlib
import sys

import checker
from checker.cli.common import EXIT_OK, EXIT_USAGE, UsageError
from model.machine import ModelError

# The commands, in the order `--help` lists them; each is checker/cli/<module>.py.
COMMANDS = ("verify", "prove", "rows", "diagram", "explain", "faq", "oracle", "conform", "interop", "mutate", "export")


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (the option at fault and where --help
    is), exit 2, instead of the usage block."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    top = Parser(
        prog="python -m checker",
        description="Machine-checked TCP connection management (RFC 9293). Every command reads the "
                    "one transition table in model/table.py (or a variant of it).",
        epilog="Exit status: 0 all checks hold, 1 a property fails, 2 usage error or malformed model.")
    top.add_argument("--version", action="version", version=f"tcpcheck {checker.__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"checker.cli.{name}").register(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except (ModelError, UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def console() -> None:
    """Entry point of the `tcpcheck` console script."""
    sys.exit(main())
