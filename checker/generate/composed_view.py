"""The composed two-endpoint graph of `checker.analysis.explore` as DOT or
Mermaid, with the counterexample paths of failing checks highlighted
(RFC 9293 3.5, 3.6: the global behaviour of two endpoints).

It explores verify's runs in verify's order and draws the first run in which
a graph check fails (else the first run). A graph bigger than `max_nodes`
is drawn as the neighbourhood of the counterexample path (or of the initial
state): the path and every state within k steps of it, either direction,
for the largest k that stays within the limit. The default limit keeps
dot's layout to a few seconds."""

from __future__ import annotations

from dataclasses import dataclass, field

from checker.generate.diagram import DiagramError, dot_quote, mermaid_text, yaml_str
from model.machine import Model

MAX_NODES = 300  # dot lays out about 300 global states and their edges in 1-2 s


@dataclass
class Composed:
    """The reachable global states of two endpoints (checker.analysis.explore) with the
    counterexample paths of the failing composed checks (checker.analysis.composed)."""

    exploration: object
    failed: list  # CheckResult with a ladder counterexample
    paths: dict[str, list[int]]  # check name -> node ids from the initial state
    labels: dict[tuple[int, int], str]  # edge -> step text ("A: rcv <SEQ=...>")
    shown: list[int] = field(default_factory=list)  # the node ids drawn (all, or a neighbourhood)
    radius: int | None = None  # None: the whole graph; k: within k steps of the centre
    centre: str = ""  # "the counterexample path" or "the initial state"

    def scope(self) -> str:
        """What part of the graph is drawn, for the title."""
        n = self.exploration.n_states
        if self.radius is None:
            return f"{n} states"
        return f"{n} states, drawn: the {len(self.shown)} within {self.radius} steps of {self.centre}"


def neighbourhood(graph, centre: set[int], limit: int) -> tuple[list[int], int | None]:
    """All nodes if they are at most `limit`; else the nodes within k steps
    (successors or predecessors) of `centre` for the largest such k."""
    if graph.number_of_nodes() <= limit:
        return sorted(graph.nodes), None
    if len(centre) > limit:
        raise DiagramError(f"the counterexample path alone has {len(centre)} states, more than --max-nodes {limit}")
    seen, frontier, k = set(centre), set(centre), 0
    while frontier:
        nxt = {v for u in frontier for v in (*graph.successors(u), *graph.predecessors(u))} - seen
        if not nxt or len(seen) + len(nxt) > limit:
            break
        seen |= nxt
        frontier, k = nxt, k + 1
    return sorted(seen), k


def _node_index(exp) -> dict:
    return {c: i for i, c in enumerate(exp.states)}


def _follow(exp, index: dict, steps: list[dict]) -> list[int] | None:
    """The node path whose decoded states are the counterexample's steps
    (checker.generate.ladder.ladder_json), by depth-first search from node 0."""

    def matches(g, st) -> bool:
        return (g.a.state.value == st["A"] and g.b.state.value == st["B"]
                and g.a.env() == st["A_vars"] and g.b.env() == st["B_vars"]
                and [s.brief() for s in g.ab] == st["in_flight"]["A->B"]
                and [s.brief() for s in g.ba] == st["in_flight"]["B->A"])

    def dfs(node: int, k: int) -> list[int] | None:
        if k == len(steps):
            return [node]
        seen = set()
        for _label, h in exp.space.successors(exp.states[node]):
            v = index.get(h)
            if v is None or v in seen:
                continue
            seen.add(v)
            if matches(exp.space.decode(h), steps[k]):
                rest = dfs(v, k + 1)
                if rest is not None:
                    return [node] + rest
        return None

    return dfs(0, 0)


def composed(model: Model, runs, max_nodes: int = MAX_NODES, max_states: int = 2_000_000) -> Composed:
    """Explore verify's runs in order until a composed check fails (their
    counterexample paths are drawn in red), else take the first run; raise
    DiagramError when a run's state space is cut at `max_states`."""
    from checker.analysis.composed import COMPOSED_CHECKS
    from checker.analysis.explore import explore

    chosen = None
    for opts in runs:
        exp = explore(model, opts, max_states=max_states)
        if exp.truncated:
            raise DiagramError(f"the composed graph of {opts.label()} has more than {max_states} global states; "
                               "use a smaller --channel-capacity/--data or fewer faults")
        index = _node_index(exp)
        failed, paths = [], {}
        for check in COMPOSED_CHECKS:
            res = check(exp)
            if res.failed and res.counterexample and res.counterexample.get("steps") is not None:
                path = _follow(exp, index, res.counterexample["steps"])
                if path is not None:
                    failed.append(res)
                    paths[res.name] = path
        if chosen is None or failed:
            chosen = (exp, index, failed, paths)
        if failed:
            break
    exp, index, failed, paths = chosen
    centre = {n for p in paths.values() for n in p} or {0}
    shown, radius = neighbourhood(exp.graph, centre, max_nodes)
    keep = set(shown)
    labels = {}
    for u in shown:
        for label, h in exp.space.successors(exp.states[u]):
            v = index.get(h)
            if v in keep and (u, v) not in labels:
                labels[(u, v)] = str(exp.space.step_of(label))
    return Composed(exp, failed, paths, labels, shown, radius,
                    "the counterexample path" if paths else "the initial state")


def _gnode(g) -> str:
    return f"{g.a.state} | {g.b.state}"


def composed_dot(c: Composed, title: str) -> str:
    from checker.analysis.explore import is_final

    exp = c.exploration
    on_path = {(u, v) for p in c.paths.values() for u, v in zip(p, p[1:])}
    path_nodes = {n for p in c.paths.values() for n in p}
    ends = {p[-1] for p in c.paths.values()}
    lines = [f"digraph {dot_quote('tcp_composed')} {{",
             f"  label={dot_quote(title)}; labelloc=t; fontname=Helvetica; fontsize=14;",
             "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=Helvetica, fontsize=8];",
             "  edge [fontname=Helvetica, fontsize=7, color=\"#8c959f\"];"]
    keep = set(c.shown)
    for i in c.shown:
        g = exp.state(i)
        inflight = f"A->B {len(g.ab)}  B->A {len(g.ba)}"
        attrs = [f"label={dot_quote(_gnode(g) + chr(10) + inflight)}",
                 f"tooltip={dot_quote('A: ' + g.a.brief() + '; B: ' + g.b.brief() + '; A->B ' + ' '.join(s.brief() for s in g.ab) + '; B->A ' + ' '.join(s.brief() for s in g.ba))}"]
        if i == 0:
            attrs.append("penwidth=2")
        if any(v not in keep for v in (*exp.graph.successors(i), *exp.graph.predecessors(i))):
            attrs.append('style="rounded,filled,dashed"')  # it has neighbours that are not drawn
        if is_final(g):
            attrs.append("peripheries=2")
        if i in ends:
            attrs.append('fillcolor="#ff8182"')
        elif i in path_nodes:
            attrs.append('fillcolor="#ffebe9"')
        lines.append(f"  n{i} [{', '.join(attrs)}];")
    for u, v in _edges(c):
        text = c.labels.get((u, v), "")
        attrs = [f"tooltip={dot_quote(text)}"]
        if (u, v) in on_path:
            attrs += ['color="#cf222e"', "penwidth=2.5", f"label={dot_quote(text)}", 'fontcolor="#cf222e"']
        lines.append(f"  n{u} -> n{v} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _edges(c: Composed) -> list[tuple[int, int]]:
    """The edges among the drawn nodes."""
    keep = set(c.shown)
    return sorted((u, v) for u, v in c.exploration.graph.edges(c.shown) if v in keep)


MERMAID_MAX_EDGES = 500  # mermaid's default maxEdges


def composed_mermaid(c: Composed, title: str) -> str:
    exp = c.exploration
    on_path = {(u, v) for p in c.paths.values() for u, v in zip(p, p[1:])}
    ends = {p[-1] for p in c.paths.values()}
    lines = ["---", f"title: {yaml_str(title)}", "---", "flowchart TD"]
    for i in c.shown:
        g = exp.state(i)
        lines.append(f"    n{i}[\"{mermaid_text(_gnode(g))}\"]")
    hot = []
    for k, (u, v) in enumerate(_edges(c)):
        if (u, v) in on_path:
            lines.append(f"    n{u} -->|\"{mermaid_text(c.labels.get((u, v), ''))}\"| n{v}")
            hot.append(str(k))
        else:
            lines.append(f"    n{u} --> n{v}")
    if hot:
        lines.append(f"    linkStyle {','.join(hot)} stroke:#cf222e,stroke-width:3px")
    for n in sorted(ends):
        lines.append(f"    style n{n} fill:#ff8182")
    return "\n".join(lines) + "\n"
