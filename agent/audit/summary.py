"""The audit in words: the CLI report, the prompt summary, and the offline answer's lines.

Everything here reads an AuditReport (as folded into a session or fresh from `run_audit`)
and returns plain text; the callers render it with markup off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.audit.models import AuditItem, AuditReport, Evidence, ProbeResult
from agent.audit.rules import normalise_target
from agent.text import safe_text

if TYPE_CHECKING:
    from agent.persona.models import Persona

MARKS = {"done": "✓", "missing": "✗", "unknown": "?"}
PROBE_TARGET = "api response"


def apply_probe(report: AuditReport, result: ProbeResult) -> None:
    """A probe decides the API Response standard (in place): met -> done, else missing."""
    for item in report.items:
        if normalise_target(item.text) != PROBE_TARGET:
            continue
        evidence = Evidence(path=result.url, line=0, rule="probe", source="probe",
                            text=safe_text(result.line())[:200])
        item.status = "done" if result.met else "missing"
        item.evidence = [evidence]
        item.looked = "" if result.met else "measured with backend-copilot probe"


def item_label(item: AuditItem) -> str:
    return f"{item.area} · {item.text}" if item.area else item.text


def evidence_line(ev: Evidence) -> str:
    return f"{ev.where}  {ev.text}" if ev.text else ev.where


def report_lines(report: AuditReport) -> list[str]:
    """The `backend-copilot audit` text report, one line per item, finding and problem."""
    counts = report.counts()
    langs = ", ".join(report.ecosystems) or "no known languages"
    lines = [f"Audit for persona {report.persona} ({langs}; {report.files_scanned} files read): "
             f"{counts['done']} done, {counts['missing']} missing, {counts['unknown']} unknown"]
    for item in report.items:
        head = f"{MARKS[item.status]} {item.status:<7} {item_label(item)}"
        if item.evidence:
            lines.append(f"{head} — {evidence_line(item.evidence[0])}")
            lines += [f"{'':12}{evidence_line(ev)}" for ev in item.evidence[1:]]
        else:
            lines.append(f"{head} — {item.looked}")
    if report.findings:
        lines.append(f"Findings ({len(report.findings)}):")
        lines += [f"  {f.severity:<6} {f.title} — {f.where}  {f.text}" for f in report.findings]
    if report.problems:
        lines.append(f"Problems ({len(report.problems)}), skipped and audit went on:")
        lines += [f"  {p}" for p in report.problems]
    return [safe_text(line) for line in lines]


def prompt_summary(report: AuditReport, *, max_findings: int = 10) -> str:
    """A compact block for the system prompt: what the code shows, what is open, the risks."""
    done = [i for i in report.items if i.status == "done"]
    missing = [i for i in report.items if i.status == "missing"]
    parts = ["Project audit (from the user's own code; cite these paths when relevant):"]
    if done:
        parts.append("Done: " + "; ".join(
            f"{item_label(i)} ({i.evidence[0].where})" for i in done if i.evidence))
    if missing:
        parts.append("Missing: " + "; ".join(item_label(i) for i in missing))
    if report.findings:
        shown = report.findings[:max_findings]
        parts.append("Risks found: " + "; ".join(f"{f.title} at {f.where}" for f in shown)
                     + (f"; and {len(report.findings) - len(shown)} more"
                        if len(report.findings) > len(shown) else ""))
    return safe_text("\n".join(parts))


def _persona_items(report: AuditReport, persona: Persona | None) -> list[AuditItem]:
    if persona is None:
        return report.items
    ids = {i.id for i in persona.all_checklist_items()}
    standards = {normalise_target(s.name) for s in persona.standards}
    return [i for i in report.items
            if i.id in ids or (i.kind == "standard" and normalise_target(i.text) in standards)]


def audit_answer_lines(state: Any, persona: Persona | None = None) -> list[str]:
    """Offline answer lines from the session's audit: what is already there (with path:line),
    what is still open, and the risks. [] when the session has no audit yet.

    `state` is a SessionState (its `.audit`); `persona` limits the lines to its items.
    """
    report: AuditReport | None = getattr(state, "audit", None)
    if report is None:
        return []
    items = _persona_items(report, persona)
    done = [i for i in items if i.status == "done" and i.evidence]
    missing = [i for i in items if i.status == "missing"]
    lines: list[str] = []
    if done:
        have = ", ".join(f"{i.text.lower() if i.kind == 'checklist' else i.text} in "
                         f"{i.evidence[0].where}" for i in done)
        lines.append(f"From the project audit: you already have {have}.")
    if missing:
        lines.append("The open items are: " + ", ".join(item_label(i) for i in missing) + ".")
    if report.findings:
        risks = "; ".join(f"{f.title} ({f.where})" for f in report.findings[:5])
        more = f" and {len(report.findings) - 5} more" if len(report.findings) > 5 else ""
        lines.append(f"Risks to fix first: {risks}{more}.")
    unknown = [i for i in items if i.status == "unknown"]
    if unknown:
        lines.append("Not judged from code (check by hand): "
                     + ", ".join(item_label(i) for i in unknown) + ".")
    return [safe_text(line) for line in lines]
