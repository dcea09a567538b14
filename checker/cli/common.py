"""What every command shares: exit statuses, the usage error, and the
argument helpers (integers, --model, the endpoints of the two-endpoint system)."""

from __future__ import annotations

import argparse

from checker.analysis.options import Options
from checker.load import variant_names

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_NOT_CHECKED = 3  # nothing failed, but something asked for was not checked


class UsageError(Exception):
    """A bad option or argument: printed as one line, exit 2."""


def add_command(subparsers, name: str, doc: str, help: str, epilog: str | None = None):
    """A command's parser; its --help description is the command module's
    docstring (one text for the reader of the code and of --help)."""
    text = " ".join(doc.split())
    if text.startswith("`python -m checker"):  # the module docstring names the command: --help need not
        text = text.split("`: ", 1)[-1]
    return subparsers.add_parser(name, help=help, description=text, epilog=epilog)


def one_line_errors(parser: argparse.ArgumentParser, prog: str) -> argparse.ArgumentParser:
    """A bad option value is one line on stderr (`error: PROG: ...`), exit 2,
    instead of argparse's usage block."""
    import sys

    def error(message: str):
        print(f"error: {prog}: {message} (see --help)", file=sys.stderr)
        sys.exit(EXIT_USAGE)

    parser.error = error
    return parser


def int_arg(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def add_model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH_OR_MODULE", default=None,
                   help="a variant: a .py file or module defining ROWS, or the short name of a "
                        f"shipped variant ({', '.join(variant_names())}); default: the RFC 9293 table")


def add_endpoint_args(p: argparse.ArgumentParser) -> None:
    """--iss-a, --iss-b, --rcv-wnd: the endpoints of the two-endpoint system."""
    p.add_argument("--iss-a", type=int_arg, default=Options.iss_a, metavar="N",
                   help=f"ISS of endpoint A (default {Options.iss_a:#x}: wraps at once)")
    p.add_argument("--iss-b", type=int_arg, default=Options.iss_b, metavar="N",
                   help=f"ISS of endpoint B (default {Options.iss_b:#x})")
    p.add_argument("--rcv-wnd", type=int_arg, default=Options.rcv_wnd, metavar="N",
                   help=f"receive window of both endpoints (default {Options.rcv_wnd})")
