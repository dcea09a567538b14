"""No tracebacks, ever: every command, fed a bad model file or a bad option
value, answers with one line on stderr naming what is at fault and exit 2
(conform's capture files have their own cases in tests/traces/)."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAPTURE = os.path.join(ROOT, "tests", "traces", "data", "client_close.pcap")
# each command with the arguments it needs to get as far as loading the model
COMMANDS = {
    "verify": ["verify", "--no-proofs"], "prove": ["prove", "comparison"], "rows": ["rows"],
    "diagram": ["diagram"], "explain": ["explain", "handshake"], "oracle": ["oracle"],
    "conform": ["conform", CAPTURE],
}


def exit_and_stderr(capsys, argv) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as e:  # argparse
        code = e.code
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def bad_models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    files = {
        "text file": ("notes.txt", "not python\n", "a variant is a Python file"),
        "sys.exit": ("exits.py", "import sys\nsys.exit(3)\n", "calls sys.exit(3)"),
        "exception": ("raises.py", "raise RuntimeError('boom')\n", "RuntimeError: boom"),
        "no ROWS": ("empty.py", "X = 1\n", "defines no ROWS"),
        "ROWS not rows": ("junk.py", "ROWS = [1, 2]\n", "junk.py"),
        "syntax": ("syntax.py", "def (\n", "syntax.py:1"),
    }
    out = {}
    for label, (name, text, word) in files.items():
        (d / name).write_text(text)
        out[label] = (str(d / name), word)
    out["directory"] = (str(d), "is a directory")
    out["missing"] = (str(d / "missing.py"), "no such file")
    out["unknown module"] = ("no_such_variant", "shipped variants:")
    return out


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", ["text file", "sys.exit", "exception", "no ROWS", "ROWS not rows", "syntax",
                                  "directory", "missing", "unknown module"])
def test_every_command_rejects_a_bad_model_in_one_line(capsys, bad_models, command, case):
    path, word = bad_models[case]
    code, err = exit_and_stderr(capsys, COMMANDS[command] + ["--model", path])
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and word in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["verify", "--channel-capacity", "0"], ["verify", "--channel-capacity", "9"],
    ["verify", "--channel-capacity", "x"], ["verify", "--data", "5"], ["verify", "--iss-a", "-1"],
    ["verify", "--iss-b", str(1 << 32)], ["verify", "--rcv-wnd", "0"], ["verify", "--color", "pink"],
    ["verify", "--no-such-option"], ["prove", "--jobs", "0"],
    ["rows", "--state", "SYN-RCVD"], ["diagram", "--format", "gif"], ["diagram", "--format", "png"],
    ["diagram", "--view", "composed", "--max-nodes", "0"], ["diagram", "--out", "/proc/version/x.dot"],
    ["explain"], ["explain", "handshakes"], ["explain", "handshake", "--iss-a", "-1"],
    ["oracle", "--per-row", "0"], ["oracle", "--format", "packetdrill"],
    ["conform"], ["conform", "/no/such/file.pcap"], ["bogus-command"],
])
def test_bad_option_values_are_one_line_exit_2(capsys, argv):
    code, err = exit_and_stderr(capsys, argv)
    assert code == 2, (argv, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


OPTION_TEXT = st.one_of(st.text(max_size=12), st.integers(-(1 << 40), 1 << 40).map(str),
                        st.sampled_from(["0x", "1e3", "--", "-", " ", "0xffffffff", "4294967296", "nan"]))


@given(value=OPTION_TEXT)
def test_fuzzed_values_of_cheap_options_never_crash(value):
    import contextlib
    import io

    for argv in (["explain", "handshake", "--iss-a", value], ["rows", "--state", value],
                 ["explain", "close", "--iss-b", value], ["oracle", "--per-row", value, "--out", os.devnull]):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(argv)
            except SystemExit as e:
                code = e.code
        assert code in (0, 2), (argv, err.getvalue())
        if code == 2:
            assert len(err.getvalue().strip().splitlines()) == 1, (argv, err.getvalue())
