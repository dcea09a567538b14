"""Counterexamples as sequence diagrams: endpoints A and B as lifelines, time
going down, each segment an arrow from where it is sent to where it arrives,
labelled in the notation of RFC 9293 3.5 (<SEQ=..><ACK=..><CTL=..>); a lost
segment ends mid-way at an X, a segment still in the network at the end ends
mid-way with an open head; user calls and timeouts (3.10.1-3.10.8) are notes
on their lifeline, and both endpoints' states are written at every step.
Two outputs: DOT laid out by Graphviz at fixed coordinates (neato with every
node pinned; `render` makes the SVG) and Mermaid `sequenceDiagram` text.

A counterexample (the `counterexample` dict of a CheckResult) is read by its
keys, not by the check that made it (`steps_of`):
- "steps": the ladder of verify's graph checks (checker.generate.ladder.ladder_json);
- "start" and "events": a proof's counterexample (checker.proofs), replayed
  through `model.step` (checker.proofs.replay) for the states and segments;
- "config" and "segment": one endpoint taking one segment (handshake-ack),
  replayed likewise.
Other kinds (a row that never fires, a graph, a coverage gap) have no
sequence: `NoSequence`. A one-endpoint counterexample draws B as "any peer":
its segments are the ones z3 chose, sent by nobody in particular.

The normal form of a step (what both drawings read): kind (call, timeout,
deliver, lose, dup, old-syn, arrive = a segment from the network in a
one-endpoint run), side (the endpoint acting, or receiving), event (text),
segment (dict or None), sent (list of dicts), A and B (states after it)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from checker.generate.diagram import dot_quote, mermaid_text, yaml_str
from model.events import Segment

MAX_STEPS = 60  # longer ladders draw their last MAX_STEPS steps (the violation is at the end)
TITLE_WIDTH = 100  # title lines are wrapped here; a why longer than 3 lines is cut with "..."


class NoSequence(ValueError):
    """The counterexample is not a sequence of steps (or cannot be replayed)."""


def peer(side: str) -> str:
    return "B" if side == "A" else "A"


def brief(seg: dict) -> str:
    return Segment(**seg).brief()


# --- reading a counterexample ---------------------------------------------------------------

@dataclass
class Ladder:
    """A counterexample in the normal form of the module docstring."""

    start: tuple[str, str | None]  # states of A and B before the first step (B None: any peer)
    steps: list[dict]

    @property
    def one_endpoint(self) -> bool:
        return self.start[1] is None

    def segments(self) -> int:
        """How many segments the ladder holds: each one sent, each duplicate
        the network makes, each old SYN and each segment from the network."""
        return sum(len(st["sent"]) + (st["kind"] in ("dup", "old-syn", "arrive")) for st in self.steps)

    def losses(self) -> int:
        return sum(st["kind"] == "lose" for st in self.steps)


def has_sequence(cex: dict | None) -> bool:
    cex = cex or {}
    return bool(cex.get("steps")) or ("start" in cex and "events" in cex) or ("config" in cex and "segment" in cex)


def steps_of(cex: dict | None, model=None) -> Ladder:
    """The counterexample as a Ladder; `model` (a model.machine.Model) replays
    proof counterexamples. Raises NoSequence."""
    cex = cex or {}
    if cex.get("steps"):
        start = cex.get("start") or {}
        return Ladder((_state(start.get("A")) or "CLOSED", _state(start.get("B")) or "CLOSED"),
                      [_plain(st) for st in cex["steps"]])
    if "config" in cex and "segment" in cex:
        cex = {"start": {"A": cex["config"]}, "events": [{"side": "A", "kind": "SEGMENT", "segment": cex["segment"]}]}
    if "start" in cex and "events" in cex:
        if model is None:
            raise NoSequence("a proof's counterexample is drawn by replaying it: the model is needed")
        return _replayed(cex, model)
    raise NoSequence(f"a counterexample of kind {cex.get('kind', 'none')!r} is not a sequence of steps")


def _state(cfg) -> str | None:
    return cfg.get("state") if isinstance(cfg, dict) else cfg


def _plain(st: dict) -> dict:
    return {"kind": st["kind"], "side": st["side"], "event": st.get("event", ""), "segment": st.get("segment"),
            "sent": list(st.get("sent") or ()), "A": st["A"], "B": st["B"], "rows": list(st.get("rows") or ())}


def _replayed(cex: dict, model) -> Ladder:
    from checker.proofs.replay import replay
    from model.events import Arrive, Timeout

    try:
        rep = replay(model, cex)
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise NoSequence(f"the counterexample does not replay through model {model.name}: {err!r}") from None
    two = "B" in rep.start
    steps = []
    for (side, ev, out, a, b), e in zip(rep.steps, cex["events"]):
        if isinstance(ev, Arrive):
            kind, seg = ("deliver" if e.get("kind") == "deliver" else "arrive"), ev.segment._asdict()
            text = "rcv " + brief(seg)
        else:
            kind, seg, text = ("timeout" if isinstance(ev, Timeout) else "call"), None, str(ev)
        if out is None:
            text += " (no row handles it)"
        steps.append({"kind": kind, "side": side, "event": text, "segment": seg,
                      "sent": [s._asdict() for s in out.sent] if out else [],
                      "A": a.state.value, "B": b.state.value if two else None,
                      "rows": [r.name for r in out.fired] if out else []})
    return Ladder((rep.start["A"].state.value, rep.start["B"].state.value if two else None), steps)


# --- laying it out --------------------------------------------------------------------------

@dataclass
class Arrow:
    """One segment: from (src, line `start`) to (dst, line `end`); fate
    delivered, lost or in flight (at the end of the counterexample)."""

    n: int
    src: str  # "A", "B", or "net" (an old duplicate from an earlier incarnation)
    dst: str
    seg: dict
    start: int
    sent_in: int  # step number (0: before the drawn steps)
    kind: str = "sent"  # sent | copy (made by the network) | old-syn | arrive
    end: int | None = None
    fate: str = "in flight"

    @property
    def label(self) -> str:
        return ("old duplicate " if self.kind == "old-syn" else "") + brief(self.seg)


@dataclass
class Sequence:
    """What both drawings read: lines (time), arrows, notes, the states at
    each line and, for Mermaid, the order of things."""

    title: list[str]
    peer_label: str  # how B is named (B, or "B (any peer)")
    arrows: list[Arrow] = field(default_factory=list)
    notes: list[tuple[int, str, str]] = field(default_factory=list)  # (line, "A"/"B"/"mid", text)
    states: list[tuple[int, int, str, str | None, bool, bool]] = field(default_factory=list)
    # (line, step, A, B, A changed, B changed)
    order: list[tuple] = field(default_factory=list)  # Mermaid: ("note", where, text) | ("arrow", Arrow)
    lines: int = 0
    elided: int = 0  # steps not drawn (from the first)


def layout(lad: Ladder, title: list[str], max_steps: int = MAX_STEPS) -> Sequence:
    """Assign lines: one per step, one more per further segment sent in it
    or per reply to an arrival, and one before an arrival from outside (an
    old SYN, a segment of any peer)."""
    seq = Sequence(title, "B (any peer)" if lad.one_endpoint else "B")
    cut = max(0, len(lad.steps) - max_steps)
    seq.elided = cut
    pending = {"A": [], "B": []}  # arrows heading to A / to B, oldest first
    line = 0
    a_was, b_was = lad.start
    seq.states.append((0, 0, a_was, b_was, True, True))
    seq.order += [("note", "A", a_was)] + ([("note", "B", b_was)] if b_was else [])
    if cut:
        line += 1
        text = f"steps 1-{cut} not drawn (the text ladder has them)"
        seq.notes.append((line, "mid", text))
        seq.order.append(("note", "AB", text))

    def new(src, dst, seg, at, step, kind="sent") -> Arrow:
        arrow = Arrow(len(seq.arrows) + 1, src, dst, seg, at, step, kind)
        seq.arrows.append(arrow)
        return arrow

    def take(toward: str, seg: dict, remove: bool = True) -> Arrow | None:
        for i, arrow in enumerate(pending[toward]):
            if arrow.seg == seg:
                return pending[toward].pop(i) if remove else arrow
        return None

    for n, st in enumerate(lad.steps, 1):
        shown = n > cut
        if n == cut + 1 and cut:  # arrows sent in the elided steps start in the band, one line each
            for arrow in [a for side in "AB" for a in pending[side]]:
                line += 1
                arrow.start, arrow.sent_in = line, 0
        kind, side, seg = st["kind"], st["side"], st.get("segment")
        line += shown
        here = line

        def arrive(arrow: Arrow, fate: str) -> None:
            nonlocal line, here
            if arrow.start == here and shown:  # it came from outside: one line to travel
                line += 1
                here = line
            arrow.end, arrow.fate = here, fate
            if shown:
                seq.order.append(("arrow", arrow, n))

        if kind in ("deliver", "lose"):
            arrow = take(side, seg) or new(peer(side), side, seg, here, n, "arrive")  # else: from the network
            arrive(arrow, "delivered" if kind == "deliver" else "lost")
        elif kind in ("old-syn", "arrive"):
            arrive(new("net" if kind == "old-syn" else peer(side), side, seg, here, n, kind), "delivered")
        elif kind == "dup":
            orig = take(side, seg, remove=False)
            src, start, sent_in = (orig.src, orig.start, orig.sent_in) if orig else (peer(side), here, n)
            pending[side].append(new(src, side, seg, start, sent_in, "copy"))
            if shown:
                seq.notes.append((here, "mid", f"x2 {brief(seg)}"))
                seq.order.append(("note", "AB", f"{n}. the network duplicates {brief(seg)}"))
        a_now, b_now = st["A"], st["B"]
        if shown and kind in ("call", "timeout"):
            now, was = (a_now, a_was) if side == "A" else (b_now, b_was)
            seq.notes.append((here, side, st["event"]))
            seq.order.append(("note", side, f"{n}. {st['event']}" + (f" → {now}" if now != was else "")))
        elif shown:
            for s, now, was in (("A", a_now, a_was), ("B", b_now, b_was)):
                if now is not None and now != was:
                    seq.order.append(("note", s, f"{n}. {now}"))
        for j, s in enumerate(st["sent"]):
            # replies leave one line below their cause: their label stays clear of the arrival
            line += bool(shown and (j or kind in ("deliver", "old-syn", "arrive")))
            pending[peer(side)].append(new(side, peer(side), s, line, n if shown else 0))
        if shown:
            seq.states.append((here, n, a_now, b_now, a_now != a_was, b_now != b_was))
        a_was, b_was = a_now, b_now
    line += 1
    for side in "AB":
        for arrow in pending[side]:
            arrow.end = line
            seq.order.append(("arrow", arrow, None))
    seq.lines = line
    if cut:  # arrows that began and ended inside the elided steps are not drawn
        seq.arrows = [a for a in seq.arrows if a.end > 1]
    return seq


def title_lines(model_name: str, result_name: str, run: str, why: str, width: int = TITLE_WIDTH) -> list[str]:
    """The title, wrapped to `width`: model and check, run, why (at most 3 lines)."""
    import textwrap

    head = [f"{result_name} FAILED, model {model_name}" + (f", {run}" if run else "")]
    body = textwrap.wrap(why, width, break_on_hyphens=False) if why else []
    if len(body) > 3:
        body = body[:3]
        body[-1] = body[-1][: width - 4] + " ..."
    return head + body


# --- DOT (laid out by neato at fixed points) ------------------------------------------------

DY = 26  # points between lines
CH = 5.4  # width of a Courier 9 pt character
NOTE_CH = 5.6  # width of a Helvetica 9 pt character, on average over capitals and small letters


def sequence_dot(seq: Sequence) -> str:
    """DOT text for `render(.., "svg")`: lifelines are edges id=lifeline-A/B,
    segments edges id=seg-N, lost markers nodes id=lost-N."""
    longest = max((len(a.label) for a in seq.arrows), default=20)
    w = max(320.0, longest * CH + 70)  # between the lifelines
    xa, xb, mid = 0.0, w, w / 2
    notes_w = max([len(t) * NOTE_CH + 12 for _, s, t in seq.notes if s in "AB"] + [40])
    state_x = notes_w + 14 + 48  # centre of the state column, from the lifeline
    y = lambda line: -line * DY  # noqa: E731
    x_of = {"A": xa, "B": xb, "net": mid}
    out = ["digraph counterexample {",
           "  layout=neato; inputscale=72; splines=line; outputorder=edgesfirst;",
           f"  label={dot_quote(chr(10).join(seq.title))}; labelloc=t; fontname=Helvetica; fontsize=12;",
           "  node [fontname=Helvetica, fontsize=9, shape=plaintext, margin=\"0.03,0.01\", width=0, height=0];",
           "  edge [arrowsize=0.7];"]
    top, bottom = y(-1), y(seq.lines + 1)
    for side, x, name in (("A", xa, "A"), ("B", xb, seq.peer_label)):
        out.append(f"  head{side} [label={dot_quote(name)}, shape=box, style=\"rounded,filled\", fillcolor=\"#ddf4ff\", "
                   f"fontsize=11, margin=\"0.15,0.05\", pos=\"{x:.1f},{top}!\"];")
        out.append(f"  foot{side} [shape=point, width=0.02, label=\"\", pos=\"{x:.1f},{bottom}!\"];")
        style = ", style=dashed" if side == "B" and seq.peer_label != "B" else ""
        out.append(f"  head{side} -> foot{side} [id=\"lifeline-{side}\", arrowhead=none, color=\"#6e7781\"{style}];")
    for line, step, a, b, ca, cb in seq.states:
        if step:
            out.append(f"  n{line} [label=\"{step}.\", fontcolor=\"#6e7781\", pos=\"{-state_x - 60:.1f},{y(line)}!\"];")
        for side, st, changed, x in (("A", a, ca, xa - state_x), ("B", b, cb, xb + state_x)):
            if st is not None:
                colour = "black" if changed else "#8c959f"
                out.append(f"  st{side}{line} [label={dot_quote(st)}, fontcolor=\"{colour}\", "
                           f"pos=\"{x:.1f},{y(line)}!\"];")
    for i, (line, where, text) in enumerate(seq.notes):
        if where == "mid":
            out.append(f"  note{i} [label={dot_quote(text)}, fontcolor=\"#6e7781\", style=filled, fillcolor=white, "
                       f"pos=\"{mid:.1f},{y(line) - 9}!\"];")
            continue
        wide = len(text) * NOTE_CH + 12  # fixed size: the box ends just beside the lifeline
        x = xa - wide / 2 - 5 if where == "A" else xb + wide / 2 + 5
        out.append(f"  note{i} [label={dot_quote(text)}, shape=note, style=filled, fillcolor=\"#fff8c5\", "
                   f"color=\"#d4a72c\", fixedsize=true, width={wide / 72:.2f}, height=0.22, "
                   f"pos=\"{x:.1f},{y(line)}!\"];")
    for a in seq.arrows:
        x0, y0 = x_of[a.src], y(a.start)
        x1 = x_of[a.dst] if a.fate == "delivered" else mid
        y1 = y(a.end)
        out.append(f"  s{a.n} [shape=point, width=0.03, label=\"\", pos=\"{x0:.1f},{y0}!\"];")
        attrs = [f"id=\"seg-{a.n}\"", f"tooltip={dot_quote(f'{a.src} -> {a.dst}: {a.label}, {a.fate}')}"]
        if a.fate == "lost":
            out.append(f"  e{a.n} [id=\"lost-{a.n}\", label=\"X\", fontcolor=\"#cf222e\", fontsize=14, "
                       f"fontname=\"Helvetica-Bold\", pos=\"{x1:.1f},{y1}!\"];")
            attrs += ["style=dashed", "arrowhead=none", "color=\"#cf222e\""]
        else:
            out.append(f"  e{a.n} [shape=point, width=0.03, label=\"\", pos=\"{x1:.1f},{y1}!\"];")
            if a.fate == "in flight":
                attrs += ["style=dotted", "arrowhead=open"]
            if a.kind in ("old-syn", "copy"):
                attrs += ["style=dashed", "color=\"#8250df\""]
        out.append(f"  s{a.n} -> e{a.n} [{', '.join(attrs)}];")
        if a.kind == "copy":
            continue  # the original carries the label
        width = len(a.label) * CH
        lx = {"A": xa + 8 + width / 2, "B": xb - 8 - width / 2, "net": mid}[a.src]
        colour = "#cf222e" if a.fate == "lost" else "black"
        out.append(f"  l{a.n} [label={dot_quote(a.label)}, fontname=Courier, fontcolor=\"{colour}\", style=filled, "
                   f"fillcolor=white, color=white, pos=\"{lx:.1f},{y0 + 8}!\"];")
    legend = ("each arrow is a segment, from its sending to its arrival;  dashed to X: lost;  "
              "dotted: still in the network at the end;  notes: user calls and timeouts")
    out.append(f"  legend [label={dot_quote(legend)}, fontcolor=\"#6e7781\", fontsize=8, "
               f"pos=\"{mid:.1f},{bottom - 16}!\"];")
    out.append("}")
    return "\n".join(out) + "\n"


# --- Mermaid sequenceDiagram ----------------------------------------------------------------

ARROW = {"delivered": "->>", "lost": "-x", "in flight": "--)"}


def _mm(text: str) -> str:
    """Mermaid-safe text; the word 'end' ends a block in Mermaid, so it is bracketed."""
    return re.sub(r"\bend\b", "(end)", mermaid_text(text))


def sequence_mermaid(seq: Sequence) -> str:
    """One message line per segment (at its arrival, loss, or at the end while
    still in flight), `Note over` for calls, timeouts and changed states."""
    title = seq.title[0] + (": " + " ".join(seq.title[1:]) if seq.title[1:] else "")
    out = ["---", f"title: {yaml_str(title)}", "---", "sequenceDiagram",
           "    participant A", f"    participant B as {_mm(seq.peer_label)}" if seq.peer_label != "B"
           else "    participant B"]
    for item in seq.order:
        if item[0] == "note":
            _, where, text = item
            over = "A,B" if where == "AB" else where
            out.append(f"    Note over {over}: {_mm(text)}")
            continue
        _, a, n = item
        src = "B" if a.src == "net" else a.src
        arrow = "-->>" if a.kind == "old-syn" else ARROW[a.fate]
        when = f"{n}. " if n else ""
        text = {"lost": "lost ", "in flight": "still in the network: "}.get(a.fate, "") + a.label
        if a.kind == "old-syn":
            text += " (from an earlier incarnation)"
        elif a.kind == "copy":
            text += " (the network's copy)"
        elif a.kind == "sent" and a.sent_in and n and a.sent_in != n - 1:
            text += f" (sent in {a.sent_in})"
        out.append(f"    {src}{arrow}{a.dst}: {_mm(when + text)}")
    return "\n".join(out) + "\n"


# --- a CheckResult to files -----------------------------------------------------------------

def sequence_of(result, model) -> Sequence:
    """The laid-out sequence of a failed check's counterexample (NoSequence if none)."""
    cex = result.counterexample or {}
    lad = steps_of(cex, model)
    return layout(lad, title_lines(model.name, result.name, result.run, cex.get("why", "")))


def draw(result, model, fmt: str) -> str | bytes:
    """The counterexample of `result` as "mermaid" text, "dot" text, or "svg"/"png" bytes."""
    seq = sequence_of(result, model)
    if fmt == "mermaid":
        return sequence_mermaid(seq)
    dot = sequence_dot(seq)
    if fmt == "dot":
        return dot
    from checker.generate.diagram import render

    return render(dot, fmt)


def write_ladder_files(results, model, directory: str) -> list[tuple[object, list[str], str]]:
    """verify --ladder-out: NAME.svg and NAME.mmd for each failed check whose
    counterexample is a sequence (names: pcapout.counterexample_filename).
    Without Graphviz's dot only the .mmd files are written. Returns
    (result, paths written, note) per failed check."""
    from checker.generate.diagram import DiagramError, dot_binary, render
    from checker.generate.pcapout import counterexample_filename

    os.makedirs(directory, exist_ok=True)
    have_dot = dot_binary() is not None
    done = []
    for r in results:
        if not r.failed:
            continue
        try:
            seq = sequence_of(r, model)
        except NoSequence as err:
            done.append((r, [], str(err)))
            continue
        paths = []
        mmd = os.path.join(directory, counterexample_filename(r, "mmd"))
        _write(mmd, sequence_mermaid(seq).encode())
        paths.append(mmd)
        note = ""
        if have_dot:
            svg = os.path.join(directory, counterexample_filename(r, "svg"))
            try:
                _write(svg, render(sequence_dot(seq), "svg"))
                paths.insert(0, svg)
            except DiagramError as err:
                note = str(err)
        else:
            note = "no SVG: Graphviz's dot is not on PATH (apt-get install graphviz)"
        done.append((r, paths, note))
    return done


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
