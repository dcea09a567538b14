"""State diagrams drawn from the table (RFC 9293 3.3.2 Figure 5) as DOT,
Mermaid, SVG or PNG (the composed two-endpoint graph is in `composed_view`).

Nothing here lists edges by hand. Every edge comes from rows of the table:
- a row whose next state differs from its state is a transition; a
  3.10.7.4 pipeline path that changes state twice (a row that continues,
  then a later step's row) is one composite transition (Figure 5 Note 2:
  FIN-WAIT-1 to TIME-WAIT when a FIN arrives that also acknowledges ours);
- the label is built from the row: its event (user call, timeout, or the
  control bits the row's guard requires of the arriving segment, after the
  earlier rows of the same (state, step) have been ruled out: first match
  wins), "of SYN"/"of FIN" when the guard forces SEG.ACK = SND.NXT (z3,
  under `checker.analysis.wellformed.state_facts`) and the control sent on entering
  the state is a SYN or a FIN, and what the row sends;
- the kind says which part of Figure 5 the edge belongs to, from the row's
  event and step: "figure" (user OPEN/CLOSE, the 2 MSL timeout, segments
  handled by 3.10.7.2/3.10.7.3 without RST and by the ACK, text and FIN
  steps of 3.10.7.4), "note1" (a RST returning SYN-RECEIVED to LISTEN),
  "note2" (composite), "note3" (RST received or sent: ABORT), "other"
  (everything else that changes state: user timeout, the SYN check of
  3.10.7.4) and "loop" (rows that keep the state).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass

import z3

from checker.analysis.wellformed import state_facts, z3_env
from checker.solving import satisfiable
from model import expr as X
from model.machine import PIPELINE_STATES, Model
from model.rows import CONTINUE, SEGMENT, STEPS, Row
from model.state import State

S = State
FIGURE_KINDS = ("figure", "note1")
ALL_KINDS = ("figure", "note1", "note2", "note3", "other", "loop")

EVENT_LABELS = {"OPEN-PASSIVE": "passive OPEN", "OPEN-ACTIVE": "active OPEN", "CLOSE": "CLOSE",
                "SEND": "SEND", "ABORT": "ABORT", "RETRANSMISSION-TIMEOUT": "retransmission timeout",
                "USER-TIMEOUT": "user timeout", "TIME-WAIT-TIMEOUT": "timeout=2MSL"}
FLAG_ORDER = ("SYN", "FIN", "RST", "ACK")
FLAG_VARS = {"SYN": "CTL.SYN", "FIN": "CTL.FIN", "RST": "CTL.RST", "ACK": "CTL.ACK"}


class DiagramError(Exception):
    """Rendering failed (no Graphviz, or dot rejected the input)."""


@dataclass(frozen=True)
class Edge:
    src: State
    dst: State
    event: str  # "rcv SYN", "CLOSE", "timeout=2MSL"
    action: str  # "snd SYN,ACK", "x", "delete TCB"
    kind: str  # see ALL_KINDS
    rows: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.event} / {self.action}"


# --- reading the table ------------------------------------------------------------

class _Reader:
    """z3 questions about rows, asked once per model."""

    def __init__(self, model: Model):
        self.model = model
        self.v = z3_env()
        self.cond: dict[str, z3.BoolRef] = {}
        for key, compiled in model.index.items():
            earlier = []
            for c in compiled:
                g = X.to_z3(c.row.when, self.v)
                g = g if isinstance(g, z3.BoolRef) else z3.BoolVal(bool(g))
                self.cond[c.row.name] = z3.And(g, *[z3.Not(e) for e in earlier])
                earlier.append(g)
        self._cache: dict[str, dict[str, bool]] = {}
        self.last_ctl = self._last_control()

    def _answers(self, row: Row) -> dict[str, bool]:
        """Which claims the row's firing condition implies (one solver per
        row, one push/pop per claim)."""
        hit = self._cache.get(row.name)
        if hit is None:
            s = z3.Solver()
            s.set("timeout", 5_000)
            s.add(*state_facts(row.state, self.v))
            s.add(self.cond[row.name])
            hit = {}
            for what in ["flag:" + f for f in FLAG_ORDER] + ["acks-all"]:
                s.push()
                s.add(z3.Not(self._claim(what)))
                hit[what] = not satisfiable(s)
                s.pop()
            self._cache[row.name] = hit
        return hit

    def _claim(self, what: str):
        if what.startswith("flag:"):
            return self.v[FLAG_VARS[what[5:]]]
        if what == "acks-all":
            return self.v["SEG.ACK"] == self.v["SND.NXT"]
        raise ValueError(what)

    def required_flags(self, row: Row) -> list[str]:
        return [f for f in FLAG_ORDER if self._answers(row)["flag:" + f]]

    def acks_all(self, row: Row) -> bool:
        return self._answers(row)["acks-all"]

    def _last_control(self) -> dict[State, set[str]]:
        """For each state, the control (SYN or FIN) of the last segment sent
        that occupies sequence space, as the rows entering the state send it
        (inherited through rows that send none)."""
        out: dict[State, set[str]] = {s: set() for s in State}
        changed = True
        while changed:
            changed = False
            for r in self.model.rows:
                if r.goto is None or r.goto is r.state or r.goto in (S.CLOSED, S.LISTEN):
                    continue
                ctl = set()
                for e in r.emit:
                    ctl |= e.flags & {"SYN", "FIN"}
                new = ctl if ctl else out[r.state]
                if not new <= out[r.goto]:
                    out[r.goto] |= new
                    changed = True
        return out


def _step_of(row: Row) -> str | None:
    if row.on.startswith(SEGMENT + "/"):
        return row.on[len(SEGMENT) + 1:]
    return None


def _event_label(rd: _Reader, row: Row) -> str:
    if not row.on.startswith(SEGMENT):
        return EVENT_LABELS.get(row.on, row.on)
    flags = rd.required_flags(row)
    shown = [f for f in flags if f != "ACK" or len(flags) == 1 or "SYN" in flags]
    if flags == ["ACK"] and rd.acks_all(row):
        ctl = rd.last_ctl.get(row.state, set())
        if len(ctl) == 1:
            return f"rcv ACK of {next(iter(ctl))}"
    return "rcv " + (",".join(shown) if shown else "segment")


def _action_label(row: Row, dst: State) -> str:
    parts = []
    if row.state is S.CLOSED and dst is not S.CLOSED:
        parts.append("create TCB")
    for e in row.emit:
        flags = [f for f in FLAG_ORDER if f in e.flags]
        if "FIN" in flags:
            flags = [f for f in flags if f != "ACK"]  # Figure 5 writes "snd FIN" for <CTL=FIN,ACK>
        parts.append("snd " + ",".join(flags))
    if row.ack:
        parts.append("snd ACK")
    if row.error:
        parts.append(f"error: {row.error}")
    if dst is S.CLOSED and row.state is not S.CLOSED:
        parts.append("delete TCB")
    return ", ".join(dict.fromkeys(parts)) or "x"


def _kind(rd: _Reader, row: Row) -> str:
    if row.target is row.state or row.error:
        return "loop"
    step = _step_of(row)
    if row.on == SEGMENT or step is not None:
        rst = "RST" in rd.required_flags(row)
        if rst or step == "rst":
            return "note1" if row.target is S.LISTEN and row.state is S.SYN_RECEIVED else "note3"
        if step is None or step in ("ack", "text", "fin"):
            return "figure"
        return "other"
    if row.on in ("OPEN-PASSIVE", "OPEN-ACTIVE", "CLOSE", "TIME-WAIT-TIMEOUT"):
        return "figure"
    if row.on == "ABORT" and any("RST" in e.flags for e in row.emit):
        return "note3"
    return "other"


def _composites(model: Model) -> list[tuple[Row, ...]]:
    """3.10.7.4 paths that change state more than once: the state-changing
    rows along each path through the steps."""

    @functools.lru_cache(maxsize=None)
    def paths(state: State, i: int) -> frozenset:
        if i >= len(STEPS):
            return frozenset({()})
        cands = model.index.get((state, SEGMENT + "/" + STEPS[i]))
        if cands is None:
            return paths(state, i + 1)
        out = set()
        for c in cands:
            r = c.row
            nxt = paths(r.target, i + 1) if r.then == CONTINUE else frozenset({()})
            changes = r.goto is not None and r.goto is not state
            for tail in nxt:
                out.add(((r,) if changes else ()) + tail)
        return frozenset(out)

    found = []
    for st in sorted(PIPELINE_STATES, key=lambda s: list(State).index(s)):
        for p in sorted(paths(st, 0), key=lambda p: [r.name for r in p]):
            if len(p) >= 2:
                found.append(p)
    return found


_READERS: dict[int, _Reader] = {}


def _reader(model: Model) -> _Reader:
    rd = _READERS.get(id(model))
    if rd is None or rd.model is not model:
        rd = _READERS[id(model)] = _Reader(model)
    return rd


@functools.lru_cache(maxsize=8)
def _edges_cached(model: Model, loops: bool) -> tuple[Edge, ...]:
    rd = _reader(model)
    groups: dict[tuple, list[str]] = {}
    for r in model.rows:
        if not loops and (r.target is r.state or r.error):
            continue  # keeps the state: no z3 questions needed for the figure
        dst = r.target
        key = (r.state, dst, _event_label(rd, r), _action_label(r, dst), _kind(rd, r))
        groups.setdefault(key, []).append(r.name)
    for path in _composites(model):
        first, last = path[0], path[-1]
        events = [_event_label(rd, r) for r in path]
        event = events[0] + "".join(" + " + e.removeprefix("rcv ") for e in events[1:])
        acts = [a for r in path for a in [_action_label(r, r.target)] if a != "x"]
        key = (first.state, last.target, event, ", ".join(dict.fromkeys(acts)) or "x", "note2")
        groups.setdefault(key, []).extend(r.name for r in path)
    return tuple(Edge(s, d, ev, act, kind, tuple(dict.fromkeys(rows)))
                 for (s, d, ev, act, kind), rows in groups.items())


def table_edges(model: Model, loops: bool = True) -> list[Edge]:
    """Every edge the table defines, grouped by (source, target, label,
    kind); without `loops`, only the edges that change state."""
    return list(_edges_cached(model, loops))


def select(edges: list[Edge], view: str, self_loops: bool = True) -> list[Edge]:
    """view "figure5": the edges of Figure 5 (and its Note 1 edge, which the
    figure draws); "full": every row (notes, RST, timeouts, and unless
    self_loops is False the rows that keep the state)."""
    if view == "figure5":
        return [e for e in edges if e.kind in FIGURE_KINDS]
    if view == "full":
        return [e for e in edges if self_loops or e.kind != "loop"]
    raise ValueError(f"unknown view {view!r}")


# --- DOT ------------------------------------------------------------------------------

# Layout hints only (which states share a row, as Figure 5 draws them).
FIGURE_RANKS = [(S.SYN_RECEIVED, S.SYN_SENT), (S.FIN_WAIT_1, S.CLOSE_WAIT),
                (S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK)]
STYLE = {"figure": 'color="black"', "note1": 'color="black"',
         "note2": 'color="#1f6feb", style="dashed", fontcolor="#1f6feb"',
         "note3": 'color="#cf222e", style="dashed", fontcolor="#cf222e"',
         "other": 'color="#8250df", style="dotted", fontcolor="#8250df"',
         "loop": 'color="#6e7781", fontcolor="#6e7781"'}
LEGEND = {"figure": "Figure 5", "note1": "Figure 5 (Note 1)", "note2": "Note 2: two steps in one segment",
          "note3": "Note 3: RST received or sent", "other": "other state changes",
          "loop": "rows that keep the state"}


def dot_quote(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


NOTE_MARK = {"note1": " (Note 1)", "note2": " (Note 2)", "note3": " (Note 3)"}


def shown_label(e: Edge) -> str:
    """The label as drawn: Figure 5 writes "rcv RST (note 1)"."""
    mark = NOTE_MARK.get(e.kind, "")
    return f"{e.event}{mark} / {e.action}"


def node_id(s: State) -> str:
    return s.name


def _late(s: State) -> bool:
    """States drawn below ESTABLISHED in Figure 5 (their edges into CLOSED
    go to the second CLOSED box at the bottom, as the figure draws it)."""
    return s in (S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT)


NOTE_TEXT = {
    "Note 1": "The transition from SYN-RECEIVED to LISTEN on receiving a RST is conditioned on "
              "having reached SYN-RECEIVED after a passive OPEN.",
    "Note 2": "The transition from FIN-WAIT-1 to TIME-WAIT if a FIN is received and the local FIN "
              "is also acknowledged.",
    "Note 3": "A RST can be sent from any state with a corresponding transition to TIME-WAIT (see "
              "[70] for rationale). These transitions are not explicitly shown; otherwise, the "
              "diagram would become very difficult to read. Similarly, receipt of a RST from any "
              "state results in a transition to LISTEN or CLOSED, though this is also omitted from "
              "the diagram for legibility.",
}


def figure5_notes(model) -> list[tuple[str, str, list[str]]]:
    """The notes under Figure 5, each with the table rows that implement it
    (rows whose RFC reference cites "Figure 5 Note N")."""
    out = []
    for note, text in NOTE_TEXT.items():
        rows = [r.name for r in model.rows if f"Figure 5 {note}" in r.ref]
        out.append((note, text, rows))
    return out


def _notes_node(notes) -> str:
    """The notes as a left-aligned plaintext box (Graphviz's \\l ends a line)."""
    import textwrap

    lines = []
    for note, text, rows in notes:
        shown = ", ".join(rows[:4]) + (f" (+{len(rows) - 4} more)" if len(rows) > 4 else "")
        lines += textwrap.wrap(f"{note}: {text}", 100) + [f"  rows: {shown or 'none in this table'}"]
    label = "".join(line.replace('"', "'") + "\\l" for line in lines)
    return f'  notes [shape=plaintext, fontsize=8, label="{label}"];'


def to_dot(edges: list[Edge], title: str, model_name: str, legend: bool = False,
           notes=None) -> str:
    lines = [f"digraph {dot_quote('tcp_' + title.split()[0].lower())} {{",
             f"  label={dot_quote(title)}; labelloc=t; fontname=Helvetica; fontsize=16;",
             "  node [shape=box, fontname=Helvetica, fontsize=12, width=1.3];",
             "  edge [fontname=Helvetica, fontsize=9];",
             f"  comment={dot_quote('generated from the table of model ' + model_name + ' by python -m checker diagram')};"]
    two_closed = any(e.dst is S.CLOSED and _late(e.src) for e in edges)
    for s in State:
        lines.append(f"  {node_id(s)} [label={dot_quote(str(s))}];")
    if two_closed:
        lines.append(f"  CLOSED_END [label={dot_quote('CLOSED')}];")
    for group in FIGURE_RANKS:
        lines.append("  { rank=same; " + " ".join(node_id(s) + ";" for s in group) + " }")
    if two_closed:
        lines.append("  { rank=same; TIME_WAIT; CLOSED_END; }")
    loops: dict[State, list[Edge]] = {}
    for e in edges:
        if e.kind == "loop":
            loops.setdefault(e.src, []).append(e)
    for st, group in loops.items():
        # One self-loop per state, one label line per (event, action): the
        # rows that keep the state would otherwise be dozens of loops each.
        text = "\n".join(dict.fromkeys(shown_label(e) for e in group))
        rows = [r for e in group for r in e.rows]
        attrs = [f"label={dot_quote(text)}", STYLE["loop"], f"tooltip={dot_quote(', '.join(rows))}",
                 f"rows={dot_quote(' '.join(rows))}", f"kind={dot_quote('loop')}", "fontsize=7"]
        lines.append(f"  {node_id(st)} -> {node_id(st)} [{', '.join(attrs)}];")
    for e in edges:
        if e.kind == "loop":
            continue
        dst = "CLOSED_END" if (two_closed and e.dst is S.CLOSED and _late(e.src)) else node_id(e.dst)
        attrs = [f"label={dot_quote(shown_label(e))}", STYLE[e.kind], f"tooltip={dot_quote(', '.join(e.rows))}",
                 f"rows={dot_quote(' '.join(e.rows))}", f"kind={dot_quote(e.kind)}"]
        lines.append(f"  {node_id(e.src)} -> {dst} [{', '.join(attrs)}];")
    if notes:
        lines.append(_notes_node(notes))
        lines.append("  { rank=sink; notes; }")
    if legend:
        used = [k for k in ALL_KINDS if any(e.kind == k for e in edges)]
        lines.append("  subgraph cluster_legend { label=\"legend\"; fontsize=10; style=dashed;")
        for i, k in enumerate(used):
            lines.append(f"    legend_{i}a [shape=point, width=0.05, label=\"\"]; "
                         f"legend_{i}b [shape=plaintext, fontsize=9, label={dot_quote(LEGEND[k])}];")
            lines.append(f"    legend_{i}a -> legend_{i}b [{STYLE[k]}, arrowhead=none];")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Mermaid ---------------------------------------------------------------------------

MERMAID_CODES = {"#": "#35;", ":": "#58;", ";": "#59;", '"': "#quot;", "<": "#lt;", ">": "#gt;"}


def mermaid_text(text: str) -> str:
    """Mermaid-safe label text: '#', ':', ';', quotes and angle brackets as
    Mermaid entity codes, in one pass (so the ';' of a code stays a ';')."""
    return "".join(MERMAID_CODES.get(ch, ch) for ch in text)


def yaml_str(text: str) -> str:
    """A double-quoted YAML scalar (Mermaid's front matter is YAML)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mm_state(text: str) -> str:
    """A stateDiagram transition label ends at the line and may not hold
    ':' or ';' (entity codes are a flowchart feature): "error: x" becomes
    "error - x"."""
    return text.replace(":", " -").replace(";", ",").replace('"', "'").replace("<", "(").replace(">", ")")


def to_mermaid(edges: list[Edge], title: str) -> str:
    lines = ["---", f"title: {yaml_str(title)}", "---", "stateDiagram-v2"]
    two_closed = any(e.dst is S.CLOSED and _late(e.src) for e in edges)
    for s in State:
        lines.append(f"    state \"{s}\" as {node_id(s)}")
    if two_closed:
        lines.append("    state \"CLOSED\" as CLOSED_END")
    lines.append(f"    [*] --> {node_id(S.CLOSED)}")
    for e in edges:
        dst = "CLOSED_END" if (two_closed and e.dst is S.CLOSED and _late(e.src)) else node_id(e.dst)
        lines.append(f"    {node_id(e.src)} --> {dst} : {_mm_state(shown_label(e))}")
    return "\n".join(lines) + "\n"


# --- rendering with Graphviz --------------------------------------------------------------

def dot_binary() -> str | None:
    return shutil.which("dot")


def need_dot(fmt: str) -> str:
    """The path of Graphviz's dot, or a DiagramError saying that `fmt` needs it."""
    exe = dot_binary()
    if exe is None:
        raise DiagramError(f"{fmt.upper()} output needs Graphviz's dot program, which is not on PATH "
                           "(Debian: apt-get install graphviz); DOT and Mermaid output work without it")
    return exe


DOT_SECONDS = 60.0  # dot's time budget; the drawings are sized to take a few seconds


def render(dot_text: str, fmt: str, seconds: float | None = None) -> bytes:
    """SVG or PNG bytes from DOT text, by the Graphviz `dot` program, within
    `seconds` (default DOT_SECONDS): beyond it a DiagramError, not a hang."""
    exe = need_dot(fmt)
    budget = DOT_SECONDS if seconds is None else seconds
    try:
        proc = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=budget)
    except subprocess.TimeoutExpired:
        raise DiagramError(f"dot -T{fmt} did not finish within its budget of {budget:g} s "
                           "(draw less: --max-nodes, or --format dot to lay it out yourself)") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise DiagramError(f"dot -T{fmt} failed: {msg[0] if msg else 'exit ' + str(proc.returncode)}")
    return proc.stdout
