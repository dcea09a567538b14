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


def int_arg(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def steps_arg(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x, 0) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None


def add_model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH_OR_MODULE", default=None,
                   help="a variant: a .py file or module defining ROWS, or the short name of a "
                        f"shipped variant ({', '.join(variant_names())}); default: the RFC 9293 table")


def add_endpoint_args(p: argparse.ArgumentParser) -> None:
    """--iss-steps, --iss-a, --iss-b, --rcv-wnd: the endpoints of the two-endpoint system."""
    p.add_argument("--iss-steps", type=steps_arg, default=Options.iss_steps, metavar="D[,D]",
                   help="how far the ISN clock moves between incarnations: a later TCB's ISS is the previous "
                        "ISS + D, for each D (default data + 2: just beyond the numbers the old incarnation used, "
                        "3.4.1; 1 puts it inside them, as after a crash without quiet time, 3.4.3)")
    p.add_argument("--iss-a", type=int_arg, default=Options.iss_a, metavar="N",
                   help=f"ISS of endpoint A (default {Options.iss_a:#x}: wraps at once)")
    p.add_argument("--iss-b", type=int_arg, default=Options.iss_b, metavar="N",
                   help=f"ISS of endpoint B (default {Options.iss_b:#x})")
    p.add_argument("--max-tcbs", type=int_arg, default=Options.tcbs, metavar="N",
                   help="at most N TCBs per endpoint from SYNs taken in LISTEN (default 0: no bound; needs "
                        "--loss). Duplicated or reordered SYNs can reach a listener again and again, and each "
                        "new TCB's ISS moves on by the clock's step: without a bound those runs walk the ISS "
                        "round all 2^32 values and no search ends. Beyond the bound a listener leaves the SYN in "
                        "the network, where it may be lost, so every bounded run is a real one; the bound is "
                        "printed with every verdict")
    p.add_argument("--rcv-wnd", type=int_arg, default=Options.rcv_wnd, metavar="N",
                   help=f"receive window of both endpoints (default {Options.rcv_wnd})")


def positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return v


def names_arg(text: str) -> list[str]:
    """NAME[,NAME...] (validated by the command against what it knows)."""
    return [n.strip() for n in text.split(",") if n.strip()]


def add_color_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the verdicts: auto (default) when stdout is a terminal and NO_COLOR is unset")


def add_jobs_args(p: argparse.ArgumentParser) -> None:
    """--jobs and --time-limit: how the checks run on worker processes."""
    p.add_argument("--jobs", "-j", type=int_arg, default=None, metavar="N",
                   help="worker processes (default: the number of cores, at most 8)")
    p.add_argument("--time-limit", type=positive_float, default=None, metavar="SECONDS",
                   help="stop after this long: what has not finished is 'not checked' (exit 3)")


def check_jobs(jobs: int | None) -> None:
    if jobs is not None and not 1 <= jobs <= 64:
        raise UsageError(f"--jobs must be 1..64, got {jobs}")


def writable_dir(path: str, option: str) -> None:
    """Create `path` if needed and make sure files can be written there,
    before any work starts."""
    import os
    import tempfile

    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as err:
        raise UsageError(f"{option} {path}: {err.strerror or err}") from None
