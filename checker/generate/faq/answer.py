"""Answering one question by running the model: its checks on the RFC 9293
table and on the variant (`checker.analysis.report.run_verify`, restricted
to the question's checks and run exactly as `verify --model X --check Y`
does, so the counterexample is verify's), its legal ladders on the table
(`checker.generate.explain`), and for the RST question the table of
`resets`. The answer stands when every check holds on the table, the first
fails on the variant and every ladder completes; it is rendered as text in
either language (`text`) or as JSON (`as_json`)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from checker.analysis.report import run_verify
from checker.cli.output import Printer
from checker.generate.explain import ladder_json, ladder_lines
from checker.generate.faq import resets
from checker.generate.faq.marks import run_marks
from checker.generate.faq.messages import tr
from checker.generate.faq.questions import QUESTIONS, Question, ladder_run
from checker.load import load_model
from checker.result import FAIL, PASS, UNCHECKED, CheckResult
from model.seq import add

ISS_A, ISS_B = 100, 300  # the legal ladders use RFC 9293's figures' numbers
MAX_STATES = 1_000_000  # a run cut here is "not checked", never "holds"


@dataclass
class Answer:
    q: Question
    standard: list[CheckResult]
    variant: list[CheckResult]
    ladders: list[tuple[str, str, str, object]] = field(default_factory=list)  # name, title, ref, Run
    resets: list[dict] = field(default_factory=list)
    blind: dict = field(default_factory=dict)
    seconds: float = 0.0
    source: str = ""
    variant_source: str = ""
    variant_model: object = None
    standard_model: object = None

    @property
    def main(self) -> CheckResult | None:
        """The variant's failing check: the counterexample of the answer."""
        return self.variant[0] if self.variant else None

    def status(self) -> str:
        """PASS (the answer stands), FAIL (it does not) or UNCHECKED."""
        results = self.standard + self.variant
        if any(c.unchecked for c in results):
            return UNCHECKED
        if any(c.status != PASS for c in self.standard) or (self.variant and not self.variant[0].failed):
            return FAIL
        if any(r.stopped for _, _, _, r in self.ladders):
            return FAIL
        return PASS

    def detail(self, lang: str) -> str:
        for c in self.standard + self.variant:
            if c.unchecked:
                return f"{c.name}: {c.summary}"
        for c in self.standard:
            if c.status != PASS:
                return tr(lang, "detail.standard", check=c.name)
        if self.variant and not self.variant[0].failed:
            return tr(lang, "detail.variant", check=self.variant[0].name, variant=self.q.variant)
        for name, _, _, r in self.ladders:
            if r.stopped:
                return tr(lang, "detail.ladder", name=name)
        return ""


def _checks(model, q: Question, jobs: int | None) -> list[CheckResult]:
    runs = [q.opts] if q.kind == "composed" else []
    rep = run_verify(model, runs, MAX_STATES, proofs=q.kind == "proof", checks=set(q.checks), jobs=jobs)
    found = {c.name: c for c in rep.all_checks()}
    return [found[n] for n in q.checks]


def answer(key: str, jobs: int | None = None) -> Answer:
    """Run question `key` (a key of QUESTIONS)."""
    t0 = time.perf_counter()
    q = QUESTIONS[key]
    std = load_model(None)
    a = Answer(q, _checks(std, q, jobs), [], source=std.source, standard_model=std)
    if q.variant:
        var = load_model(q.variant)
        a.variant, a.variant_source, a.variant_model = _checks(var, q, jobs)[:1], var.source, var
    for name in q.ladders:
        title, ref, r = ladder_run(std, name, ISS_A, ISS_B)
        a.ladders.append((name, title, ref, r))
    if q.resets:
        a.resets = resets.table(std)
        a.blind = resets.blind_count(std)
        if q.variant:
            a.blind["vreset"] = resets.blind_count(a.variant_model)["reset"]
    a.seconds = time.perf_counter() - t0
    return a


# --- the answer's prose ---------------------------------------------------------------------

def _values(a: Answer) -> dict:
    """The placeholders of the question's paragraph, all from the run."""
    m = a.main
    cex = (m.counterexample or {}) if m else {}
    why = cex.get("why", "") or (m.summary if m else "")
    v = {"variant": a.q.variant or "", "why": why.rstrip("."), "steps": cex.get("length", len(cex.get("steps", ()))),
         "checks": ", ".join(a.q.checks), "summary": "; ".join(c.summary for c in a.standard)}
    v.update(x=ISS_A, x1=add(ISS_A, 1), y=ISS_B, y1=add(ISS_B, 1))
    closes = [st["side"] for st in cex.get("steps", ()) if st["kind"] == "call" and st["event"] == "CLOSE"]
    v.update(closer=closes[0] if closes else "?", sender={"A": "B", "B": "A"}.get(closes[0] if closes else "", "?"))
    if a.blind:
        v.update(a.blind)
    return v


NO_BREAK_BEFORE = set("，。；：、）」』”！？")  # closing punctuation stays on its line


def cjk_wrapped(line: str, width: int) -> str:
    """A line of Chinese prose wrapped to `width` columns (a CJK character
    takes two), continuation lines indented like `Printer.wrapped`."""
    lead = " " * (len(line) - len(line.lstrip()))
    rows, cur, w = [], "", 0
    for tok in re.findall(r"[\x21-\x7e]+|\s+|.", line):  # a run of ASCII is never cut
        tw = sum(2 if ord(ch) > 0x2E80 else 1 for ch in tok)
        if w + tw > width and cur.strip() and tok not in NO_BREAK_BEFORE:
            rows.append(cur.rstrip())
            cur, w = lead + "    ", len(lead) + 4
            if tok.isspace():
                continue
        cur += tok
        w += tw
    rows.append(cur.rstrip())
    return "\n".join(rows)


class _Zh:
    """A Printer whose prose lines wrap the Chinese way."""

    def __init__(self, printer: Printer):
        self.p = printer

    def wrapped(self, text: str) -> str:
        return "\n".join(cjk_wrapped(x, self.p.width) for x in text.splitlines())

    def __getattr__(self, name):
        return getattr(self.p, name)


def text(a: Answer, lang: str, n: int = 1, printer: Printer | None = None) -> list[str]:
    """The answer as lines of text in `lang` ("en" or "zh")."""
    out = printer or Printer(colour="never")
    if lang == "zh":
        out = _Zh(out)
    q, key = a.q, a.q.key
    lines = [tr(lang, "head", n=n, key=key, title=tr(lang, f"{key}.title")), ""]
    lines += [out.wrapped("  " + tr(lang, f"{key}.answer", **_values(a))), ""]
    for c in a.standard:
        lines.append(out.wrapped("  " + tr(lang, "property", check=c.name, ref=c.ref)))
    lines.append("  " + tr(lang, "on.standard", source=a.source))
    lines += [out.check(c) for c in a.standard]
    if q.variant:
        lines.append(out.wrapped("  " + tr(lang, "on.variant", name=q.variant, source=a.variant_source,
                                           what=tr(lang, f"variant.{q.variant}"))))
        lines += [out.check(c) for c in a.variant]
    else:
        lines.append("  " + tr(lang, "no.variant"))
    if a.resets:
        lines += [""] + _resets_lines(a, lang)
    for name, _title, ref, r in a.ladders:
        lines += ["", out.wrapped("  " + tr(lang, "ladder.head", title=tr(lang, f"scenario.{name}"), ref=ref,
                                            a=ISS_A, b=ISS_B))]
        lines += ["    " + x for x in ladder_lines(r)]
        if key == "syn-ack":
            lines += ["  " + tr(lang, "marks", x=ISS_A, y=ISS_B)] + ["    " + x for x in run_marks(r, ISS_A, ISS_B)]
        if r.stopped:
            lines.append("    " + tr(lang, "ladder.stopped", why=r.stopped))
    lines += ["", out.wrapped("  " + tr(lang, "rfc") + ("" if lang == "zh" else " ") + tr(lang, f"{key}.rfc")), ""]
    verdict = a.status()
    if verdict == PASS:
        lines.append("  " + (tr(lang, "stands", check=q.checks[0], variant=q.variant) if q.variant
                             else tr(lang, "stands.novariant", checks=", ".join(q.checks))))
    else:
        lines.append("  " + tr(lang, "broken" if verdict == FAIL else "unchecked", detail=a.detail(lang)))
    lines.append("  " + tr(lang, "ran", seconds=a.seconds))
    return lines


def _resets_lines(a: Answer, lang: str) -> list[str]:
    def show(p: dict) -> str:
        if p["sent"]:
            return tr(lang, "resets.challenge", seg=p["sent"][0])
        return tr(lang, "resets.to", state=p["state"]) if p["changed"] else tr(lang, "resets.ignored")

    out = ["  " + tr(lang, "resets.head"), "    " + tr(lang, "resets.cols")]
    for r in a.resets:
        for p in r["probes"].values():
            p["changed"] = p["state"] != r["state"]
        probes = r["probes"]
        if "wrong-ack" in probes:
            cells = [show(probes["exact"]), tr(lang, "resets.wrongack")]
        else:
            cells = [show(probes[k]) for k in ("exact", "in-window", "outside")]
        out.append(f"    {r['state']:<13} " + " / ".join(cells))
    b = dict(a.blind, variant=a.q.variant, last=2 * a.blind["rcv_wnd"] - 1)
    line = "  " + tr(lang, "blind", **b)
    out += ["", cjk_wrapped(line, 100) if lang == "zh" else Printer(colour="never").wrapped(line)]
    return out


def as_json(a: Answer, lang: str) -> dict:
    return {"question": a.q.key, "title": tr(lang, f"{a.q.key}.title"), "lang": lang,
            "answer": tr(lang, f"{a.q.key}.answer", **_values(a)), "rfc": tr(lang, f"{a.q.key}.rfc"),
            "variant": a.q.variant, "checks": list(a.q.checks), "stands": a.status() == PASS,
            "status": {PASS: "stands", FAIL: "does not stand"}.get(a.status(), "not checked"), "seconds": round(a.seconds, 3),
            "standard": [c.as_json() for c in a.standard], "on_variant": [c.as_json() for c in a.variant],
            "ladders": [{"name": n, "title": tr(lang, f"scenario.{n}"), "ref": ref, "completed": r.stopped is None,
                         **ladder_json(r)} for n, _t, ref, r in a.ladders],
            "resets": a.resets, "blind": a.blind}
