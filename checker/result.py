"""What a check returns: its verdict with figures and evidence."""

from __future__ import annotations

from dataclasses import dataclass, field

PASS, FAIL, NA = "holds", "FAILED", "n/a"


@dataclass
class CheckResult:
    name: str
    ref: str  # RFC 9293 sections / requirement labels the check is about
    status: str  # PASS, FAIL or NA
    summary: str = ""  # one line of figures or the reason
    seconds: float = 0.0
    figures: dict = field(default_factory=dict)
    counterexample: dict | None = None  # {"kind": "ladder", "steps": [...], "text": str}
    run: str = ""  # the options the check ran under

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    def as_json(self) -> dict:
        return {"name": self.name, "ref": self.ref, "status": self.status, "run": self.run,
                "summary": self.summary, "seconds": round(self.seconds, 3),
                "figures": self.figures, "counterexample": self.counterexample}
