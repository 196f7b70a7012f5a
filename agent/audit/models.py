"""The audit's data: what crosses into sessions, exports, the prompt and `audit --json`."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from agent.lazy_model import LazyModel

DEFAULT_TARGET_MS = 200.0
AuditStatus = Literal["done", "missing", "unknown"]
Severity = Literal["high", "medium", "low"]


class Evidence(LazyModel):
    """One place in the project that shows a practice: `path:line` and that line's text."""

    model_config = ConfigDict(frozen=True)
    path: str  # relative to the audited root, '/'-separated
    line: int  # 1-based
    text: str  # the line, stripped and cut short
    rule: str  # the rule id that matched
    source: Literal["code", "manifest", "probe"] = "code"

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class AuditItem(LazyModel):
    """A checklist item or standard of the persona, judged."""

    id: str  # the checklist item's id, or "standard/<source>/<name>"
    kind: Literal["checklist", "standard"] = "checklist"
    area: str = ""  # checklist area, or the standard's source section
    text: str  # the item text or the standard's name
    status: AuditStatus = "unknown"
    evidence: list[Evidence] = Field(default_factory=list)
    looked: str = ""  # missing: where it looked; unknown: why it cannot judge


class Finding(LazyModel):
    """A risk the audit can point at."""

    model_config = ConfigDict(frozen=True)
    rule: str
    finding: str  # the finding kind, e.g. "sql-string-formatting"
    title: str  # "SQL built by string formatting"
    severity: Severity = "medium"
    path: str
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


class AuditReport(LazyModel):
    """Everything one audit found. Deterministic for a given tree: no times, no absolute paths."""

    persona: str = ""
    ecosystems: list[str] = Field(default_factory=list)  # those with files or manifests here
    files_scanned: int = 0
    items: list[AuditItem] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)  # bad input, one line each

    def item(self, item_id: str) -> AuditItem | None:
        return next((i for i in self.items if i.id == item_id), None)

    def counts(self) -> dict[str, int]:
        out = {"done": 0, "missing": 0, "unknown": 0}
        for item in self.items:
            out[item.status] += 1
        return out


class ProbeResult(LazyModel):
    url: str
    requests: int
    ok: int
    errors: int
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    target_ms: float = DEFAULT_TARGET_MS
    error_samples: list[str] = Field(default_factory=list)  # up to 3 distinct, one line each

    @property
    def met(self) -> bool:
        """The standard is met when every request answered and p95 is under the target."""
        return self.ok > 0 and self.errors == 0 and self.p95_ms < self.target_ms

    def line(self) -> str:
        return (f"{self.url}: {self.requests} requests, {self.errors} errors; "
                f"p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, p99 {self.p99_ms:.1f} ms "
                f"(target <{self.target_ms:g} ms: {'met' if self.met else 'not met'})")
