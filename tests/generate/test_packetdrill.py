"""The packetdrill scripts of `python -m checker oracle --format packetdrill`:
syntax (a parser of the subset we emit, written from packetdrill's own
grammar: google/packetdrill gtests/net/packetdrill/lexer.l and parser.y),
coverage of the states the socket API reaches (RFC 9293 3.3.2), RST in
each of them (3.10.7.4 second, 3.5.3), and that the expected segments come
from the table (a broken variant changes them)."""

from __future__ import annotations

import re

import pytest

from checker.cli import main
from checker.generate.explain import ScenarioError
from checker.generate.packetdrill import SCENARIOS, packet_line, scripts
from model.events import Segment
from model.expr import V
from model.machine import Model, standard
from model.rows import Emit, changed
from model.seq import add
from model.state import State
from model.table import ROWS, SEG_SEQ

# --- a parser of the packetdrill subset (lexer.l, parser.y) ---------------------------

KEYWORDS = {"ack": "ACK", "win": "WIN", "mss": "MSS", "nop": "NOP", "sackOK": "SACKOK",
            "wscale": "WSCALE", "TS": "TIMESTAMP", "val": "VAL", "ecr": "ECR", "eol": "EOL",
            "onoff": "ONOFF", "linger": "LINGER", "urg": "URG"}
TOKEN = re.compile(r"""
    (?P<ws>[ \t\n]+)
  | (?P<comment>//[^\n]*\n|/\*(?:[^*]|\*[^/])*\*/)
  | (?P<code>%\{(?:[^}]|\}[^%])*\}%)
  | (?P<ellipsis>\.\.\.)
  | (?P<option>--[a-zA-Z0-9_]+)
  | (?P<float>-?[0-9]*\.[0-9]+)
  | (?P<hex>0x[0-9a-fA-F]+)
  | (?P<int>-?[0-9]+)
  | (?P<word>[a-zA-Z0-9_]+)
  | (?P<string>"(?:\\.|[^"])*")
  | (?P<char>[^ \t\n])
""", re.VERBOSE)


class PktSyntaxError(Exception):
    pass


def tokens(text: str) -> list[tuple[str, str, int]]:
    """flex rules in order of lexer.l; flex takes the longest match, which
    for our subset is what the alternation above returns (INTEGER before
    WORD for digits only: `[-]?[0-9]+` wins over `[a-zA-Z0-9_]+` on ties
    because it comes first)."""
    out, pos, line = [], 0, 1
    while pos < len(text):
        m = TOKEN.match(text, pos)
        kind, val = m.lastgroup, m.group()
        if kind == "word" and re.fullmatch(r"-?[0-9]+", val):
            kind = "int"
        if kind == "comment" and val.startswith("//") and not val.endswith("\n"):
            raise PktSyntaxError(f"line {line}: a // comment must end with a newline")
        if kind == "word" and val in KEYWORDS:
            kind = KEYWORDS[val]
        if kind not in ("ws", "comment"):
            out.append((kind, val, line))
        line += val.count("\n")
        pos = m.end()
    return out


class Parser:
    """script: event+; event: event_time action; action: packet | syscall."""

    def __init__(self, text: str):
        self.toks = tokens(text)
        self.i = 0
        self.events: list[dict] = []

    def peek(self, k: int = 0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else ("eof", "", -1)

    def take(self, kind: str | None = None, val: str | None = None):
        t = self.peek()
        if (kind is not None and t[0] != kind) or (val is not None and t[1] != val):
            raise PktSyntaxError(f"line {t[2]}: expected {val or kind}, got {t[1]!r}")
        self.i += 1
        return t

    def parse(self) -> list[dict]:
        if self.peek()[0] == "eof":
            raise PktSyntaxError("a script needs at least one event")
        while self.peek()[0] != "eof":
            self.events.append(self.event())
        return self.events

    def event(self) -> dict:
        t = self.peek()
        if t[1] == "*":
            self.take()
            when = "*"
        elif t[1] == "+":
            self.take()
            when = "+" + self.time()
        else:
            when = self.time()
        if self.peek()[1] == "~":  # event_time: '+' time '~' '+' time (relative ranges only)
            if not when.startswith("+"):
                raise PktSyntaxError(f"line {t[2]}: only relative time ranges are in the emitted subset")
            self.take()
            self.take("char", "+")
            end = self.time()
            if float(end) < float(when[1:]):
                raise PktSyntaxError(f"line {t[2]}: a time range must not end before it starts")
            when = f"{when}~+{end}"
        if self.peek()[1] in ("<", ">"):
            ev = self.packet()
        elif self.peek()[0] == "code":
            ev = {"type": "code", "text": self.take()[1][2:-2].strip()}
        else:
            ev = self.syscall()
        if when == "*" and not (ev["type"] == "packet" and ev["dir"] == ">"):
            raise PktSyntaxError(f"line {t[2]}: event time <star> can only be used with outbound packets")
        ev["time"] = when
        ev["line"] = t[2]
        return ev

    def time(self) -> str:
        t = self.peek()
        if t[0] not in ("int", "float"):
            raise PktSyntaxError(f"line {t[2]}: expected a time, got {t[1]!r}")
        self.take()
        if float(t[1]) < 0:
            raise PktSyntaxError(f"line {t[2]}: negative time")
        return t[1]

    def packet(self) -> dict:
        d = self.take()[1]
        line = self.peek()[2]
        t = self.peek()
        if t[0] == "word":  # flags: WORD opt_ack_flag
            self.take()
            flags = t[1]
            if self.peek()[1] == ".":
                self.take()
                flags += "."
        elif t[1] in (".", "-"):
            self.take()
            flags = "" if t[1] == "-" else "."
        else:
            raise PktSyntaxError(f"line {line}: expected TCP flags, got {t[1]!r}")
        if not re.fullmatch(r"[FSRPEWU]*\.?", flags):
            raise PktSyntaxError(f"line {line}: bad TCP flags {flags!r}")
        start = int(self.take("int")[1])
        self.take("char", ":")
        end = int(self.take("int")[1])
        self.take("char", "(")
        length = int(self.take("int")[1])
        self.take("char", ")")
        if not (0 <= start < 2**32 and 0 <= end < 2**32):
            raise PktSyntaxError(f"line {line}: TCP sequence number out of range")
        if not 0 <= length < 2**16:
            raise PktSyntaxError(f"line {line}: TCP payload size out of range")
        if end != start + length:
            raise PktSyntaxError(f"line {line}: inconsistent TCP sequence numbers and payload size")
        pkt = {"type": "packet", "dir": d, "flags": flags, "seq": start, "len": length,
               "ack": None, "win": None, "options": None}
        if self.peek()[0] == "ACK":
            self.take()
            pkt["ack"] = int(self.take("int")[1])
            if not 0 <= pkt["ack"] < 2**32:
                raise PktSyntaxError(f"line {line}: TCP ack sequence number out of range")
        if self.peek()[0] == "WIN":
            self.take()
            pkt["win"] = int(self.take("int")[1])
            if not 0 <= pkt["win"] < 2**16:
                raise PktSyntaxError(f"line {line}: TCP window value out of range")
        if self.peek()[1] == "<" and self.peek(1)[0] in ("ellipsis", "MSS", "NOP", "SACKOK", "WSCALE",
                                                          "TIMESTAMP", "EOL"):
            self.take()
            if self.peek()[0] == "ellipsis":
                self.take()
                if d != ">":
                    raise PktSyntaxError(f"line {line}: <...> for TCP options can only be used "
                                         "with outbound packets")
                pkt["options"] = "..."
            else:
                pkt["options"] = self.tcp_options()
            self.take("char", ">")
        return pkt

    def tcp_options(self) -> list:
        opts = []
        while True:
            t = self.take()
            if t[0] in ("MSS", "WSCALE"):
                opts.append((t[0], int(self.take("int")[1])))
            elif t[0] in ("NOP", "SACKOK", "EOL"):
                opts.append((t[0],))
            else:
                raise PktSyntaxError(f"line {t[2]}: TCP option {t[1]!r} not in the subset")
            if self.peek()[1] != ",":
                return opts
            self.take()

    def syscall(self) -> dict:
        name = self.take("word")[1]
        self.take("char", "(")
        args = self.comma_list(")")
        self.take("char", "=")
        result = self.expression()
        errno = note = None
        if self.peek()[0] == "word" and self.peek()[1].startswith("E"):
            errno = self.take()[1]
            note = self.note()
        return {"type": "syscall", "name": name, "args": args, "result": result, "errno": errno,
                "note": note}

    def comma_list(self, end: str) -> list:
        """expression (',' expression)* up to and including `end`."""
        items = []
        if self.peek()[1] != end:
            items.append(self.expression())
            while self.peek()[1] == ",":
                self.take()
                items.append(self.expression())
        self.take("char", end)
        return items

    def note(self) -> str:
        self.take("char", "(")
        words = [self.take("word")[1]]
        while self.peek()[0] == "word":
            words.append(self.take()[1])
        self.take("char", ")")
        return " ".join(words)

    def expression(self):
        left = self.primary()
        while self.peek()[1] == "|":
            self.take()
            left = ("|", left, self.primary())
        return left

    def primary(self):
        t = self.peek()
        if t[0] == "ellipsis":
            self.take()
            return "..."
        if t[0] in ("int", "hex"):
            self.take()
            return int(t[1], 0)
        if t[0] == "string":
            self.take()
            return t[1]
        if t[0] == "word":
            self.take()
            if self.peek()[1] == "=":
                self.take()
                return (t[1], "=", self.expression())
            return t[1]
        if t[1] == "[":
            self.take()
            return self.comma_list("]")
        if t[1] == "{":  # linger: '{' ONOFF '=' INTEGER ',' LINGER '=' INTEGER '}'
            self.take()
            self.take("ONOFF")
            self.take("char", "=")
            onoff = int(self.take("int")[1])
            self.take("char", ",")
            self.take("LINGER")
            self.take("char", "=")
            linger = int(self.take("int")[1])
            self.take("char", "}")
            return {"onoff": onoff, "linger": linger}
        raise PktSyntaxError(f"line {t[2]}: unexpected {t[1]!r}")


def parse(text: str) -> list[dict]:
    return Parser(text).parse()


# --- fixtures ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def made():
    return scripts(standard())


# --- syntax ------------------------------------------------------------------------------

def test_every_script_parses(made):
    assert len(made) == len(SCENARIOS) >= 20
    for s in made:
        events = parse(s.text)
        assert events[0]["time"] == "0", s.name
        assert any(e["type"] == "packet" for e in events), s.name


def test_every_script_states_its_rfc_rule(made):
    for s in made:
        head = s.text.split("\n\n")[0]
        assert re.search(r"// Exercises RFC 9293 [0-9.]+", head), s.name
        assert "// Rules exercised" in head and s.rows, s.name
        for name in s.rows:  # each rule line: row name and its RFC reference
            assert re.search(rf"//   {re.escape(name)}: \d+\.\d+", head), (s.name, name)


def test_the_parser_rejects_what_packetdrill_rejects():
    good = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1000\n* > S. 0:0(0) ack 1 <...>\n"
    parse(good)
    bad = {
        "inbound options wildcard": "0 < S 0:0(0) win 1000 <...>\n",
        "inconsistent sequence": "0 < . 1:3(1) ack 1 win 1000\n",
        "star on an inbound packet": "* < . 1:1(0) ack 1 win 1000\n",
        "window over 16 bits": "0 < . 1:1(0) ack 1 win 70000\n",
        "sequence over 32 bits": "0 > . 4294967296:4294967296(0) ack 1\n",
        "unknown flag": "0 < X 0:0(0) win 10\n",
        "syscall without result": "0 close(3)\n",
        "unterminated comment line": "0 close(3) = 0 // no newline",
        "no time": "close(3) = 0\n",
    }
    for why, text in bad.items():
        with pytest.raises(PktSyntaxError):
            parse(text)
            pytest.fail(why)


# --- coverage ---------------------------------------------------------------------------

def test_the_local_stack_visits_every_state(made):
    seen = {st for s in made for st in s.states}
    assert seen == set(State)


def test_a_rst_arrives_in_every_state_the_socket_api_reaches(made):
    hit = {st for s in made for st in s.rst_in}
    assert hit == set(State) - {State.CLOSED}


def test_listener_and_connector_close_from_each_side(made):
    by = {s.name: s for s in made}
    for family in ("passive", "active"):
        assert State.TIME_WAIT in by[f"{family}-close-local"].states  # 3.6 case 1
        assert State.LAST_ACK in by[f"{family}-close-remote"].states  # 3.6 case 2
    assert State.CLOSING in by["passive-simultaneous-close"].states  # 3.6 case 3
    # Note 2 of Figure 5: FIN-WAIT-1 straight to TIME-WAIT.
    st = by["passive-fin-acks-fin"].states
    assert st[st.index(State.FIN_WAIT_1) + 1] is State.TIME_WAIT


def test_expected_segments_are_the_models(made):
    by = {s.name: s for s in made}
    events = parse(by["passive-open"].text)
    out = [e for e in events if e["type"] == "packet" and e["dir"] == ">"]
    # 3.10.7.2 third: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, ISS counted as 0, RCV.NXT = 0 + 1.
    assert (out[0]["flags"], out[0]["seq"], out[0]["ack"]) == ("S.", 0, 1)
    events = parse(by["rst-syn-sent"].text)
    inbound = [e for e in events if e["type"] == "packet" and e["dir"] == "<"]
    # 3.10.7.1: the closed peer answers the SYN with <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    assert (inbound[0]["flags"], inbound[0]["seq"], inbound[0]["ack"]) == ("R.", 0, 1)


def test_a_broken_table_changes_the_expected_segments():
    """Negative: a listener that acknowledges SEG.SEQ instead of SEG.SEQ+1
    (RFC 793 errata territory, 3.10.7.2) must show up in the scripts."""
    broken = Model(changed(ROWS, "listen-syn@LISTEN", emit=Emit("SYN,ACK", seq=V("ISS"), ack=SEG_SEQ)),
                   "broken-listen-syn", "tests/generate/test_packetdrill.py")
    s = {x.name: x for x in scripts(broken)}["passive-open"]
    out = [e for e in parse(s.text) if e["type"] == "packet" and e["dir"] == ">"]
    assert (out[0]["flags"], out[0]["ack"]) == ("S.", 0)  # not 1: the table's ACK value is used


def test_cli_writes_the_scripts(tmp_path, capsys):
    assert main(["oracle", "--format", "packetdrill", "--out", str(tmp_path / "pkt")]) == 0
    files = sorted(p.name for p in (tmp_path / "pkt").iterdir())
    assert len(files) == len(SCENARIOS) and all(f.endswith(".pkt") for f in files)
    for p in (tmp_path / "pkt").iterdir():
        parse(p.read_text())
    assert main(["oracle", "--format", "packetdrill"]) == 2
    assert "give --out DIRECTORY" in capsys.readouterr().err


def test_a_segment_that_wraps_cannot_be_written():
    # parser.y checks end == start + length without modulo 2^32: refuse, don't emit garbage
    with pytest.raises(ScenarioError):
        packet_line(Segment(seq=0xFFFFFFFF, ack=1, ackf=True, data=2), outbound=False)
    assert add(0xFFFFFFFF, 2) == 1


# --- scripts that can fail --------------------------------------------------------------

PROFILES = ("standard", "linux", "no_time_wait", "two_way_handshake", "rfc793_syn_ack_check")


def _events(s):
    return parse(s.text)


@pytest.mark.parametrize("name", PROFILES)
def test_no_expected_packet_may_come_at_any_time(name):
    """An outbound packet is expected at once (+0) or, for a timer of the
    stack, within a range; never `*` (a missing reply would hang, not fail)."""
    from checker.load import load_model

    for s in scripts(load_model(name)):
        for e in _events(s):
            if e["type"] == "packet" and e["dir"] == ">":
                assert e["time"] == "+0" or re.fullmatch(r"\+0~\+3(\.0)?", e["time"]), (s.name, e)


def test_every_script_ends_with_a_final_probe_and_its_answer(made):
    for s in made:
        ev = _events(s)
        last_in = max(i for i, e in enumerate(ev) if e["type"] == "packet" and e["dir"] == "<")
        assert ev[last_in]["time"] == "+0.1", s.name
        after = [e for e in ev[last_in + 1:] if e["type"] == "packet"]
        assert after and all(e["dir"] == ">" for e in after), s.name
        assert "// final probe" in s.text.split("\n")[[ln for ln in s.text.split("\n")].index(
            next(ln for ln in s.text.split("\n") if ln.startswith("+0.1"))) - 1]


def test_the_kernels_own_state_is_asserted_where_the_socket_has_a_descriptor(made):
    by = {s.name: s for s in made}
    codes = {n: [e["text"] for e in _events(s) if e["type"] == "code"] for n, s in by.items()}
    assert codes["passive-open"] == ["assert tcpi_state == TCP_ESTABLISHED, tcpi_state"]
    assert codes["rst-established"] == ["assert tcpi_state == TCP_CLOSE, tcpi_state"]
    assert codes["syn-sent-ack-of-iss"] == ["assert tcpi_state == TCP_SYN_SENT, tcpi_state"]
    assert codes["rst-syn-received-passive"] == []  # packetdrill's child socket has no descriptor
    assert codes["abort-established"] == []  # closed by the ABORT


def test_a_timer_of_the_stack_is_given_a_range():
    s = {x.name: x for x in scripts(standard())}["syn-sent-ack-of-iss"]
    ev = _events(s)
    timed = [e for e in ev if e["type"] == "packet" and e["time"].startswith("+0~")]
    assert len(timed) == 1 and timed[0]["flags"] == "S" and timed[0]["seq"] == 0


def _wire(text):
    return [ln.split("   //")[0] for ln in text.splitlines() if ln and not ln.startswith("//")]


def test_any_isn_gives_the_same_script():
    a = scripts(standard())
    b = scripts(standard(), iss_local=0xFFFFFFF0, iss_remote=0x7FFFFFFF)
    assert [_wire(x.text) for x in a] == [_wire(y.text) for y in b]


class _FreshIss(Model):
    """The table with a fresh ISS for every incarnation (a new connection
    picks a new ISN, 3.4.1): entering CLOSED or LISTEN moves ISS on."""

    def step(self, cfg, event):
        from dataclasses import replace

        out = super().step(cfg, event)
        if out.config.state in (State.CLOSED, State.LISTEN) and cfg.state not in (State.CLOSED, State.LISTEN):
            return replace(out, config=out.config._replace(iss=(cfg.iss + 0x01000193) & 0xFFFFFFFF))
        return out


def test_a_new_incarnation_with_a_fresh_isn_gives_the_same_script():
    fresh = _FreshIss(ROWS, "fresh-iss", "tests/generate/test_packetdrill.py")
    a = {s.name: s for s in scripts(standard())}
    b = {s.name: s for s in scripts(fresh)}
    assert {n: _wire(s.text) for n, s in a.items()} == {n: _wire(s.text) for n, s in b.items()}
    # and the second incarnation really had another ISS: the model's own numbers differ
    assert a["rst-syn-received-passive"].text != b["rst-syn-received-passive"].text
    ev = _events(b["rst-syn-received-passive"])
    synacks = [e for e in ev if e["type"] == "packet" and e["flags"] == "S."]
    assert [e["seq"] for e in synacks] == [0, 0]  # each counted from its own ISN
    assert [e for e in ev if e["type"] == "syscall" and e["name"] == "listen"][1]["args"][0] == 4


def test_code_events_and_ranges_parse_as_packetdrill_reads_them():
    ev = parse("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0~+3 > S 0:0(0) <...>\n"
               "+0 %{ assert tcpi_state == TCP_LISTEN, tcpi_state }%\n")
    assert ev[1]["time"] == "+0~+3" and ev[2] == {"type": "code", "time": "+0", "line": 3,
                                                   "text": "assert tcpi_state == TCP_LISTEN, tcpi_state"}
    for bad in ("0 > S 0:0(0) <...>\n+3~+1 > S 0:0(0) <...>\n", "0~3 > S 0:0(0) <...>\n"):
        with pytest.raises(PktSyntaxError):
            parse(bad)
