"""The audit and probe inside a session: the slow part (safe for a worker thread) apart from
recording the result as a session event (on the caller's thread)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from agent.audit.models import AuditReport, ProbeResult
from agent.session.models import AuditRecorded, Notice, ProbeRecorded

if TYPE_CHECKING:
    from agent.copilot import Copilot


def compute_audit(copilot: Copilot) -> tuple[Path, AuditReport]:
    """Audit the tools' root against the persona shown now. Reads files only; no events."""
    from agent.audit.command import user_rules_dir
    from agent.audit.engine import run_audit

    root = copilot.root.path
    return root, run_audit(root, copilot.persona, user_rules_dir=user_rules_dir())


def record_audit(copilot: Copilot, root: Path, report: AuditReport) -> AuditRecorded:
    """The audit as a session event, and one line in the transcript saying what it found."""
    event = AuditRecorded(root=str(root), report=report)
    copilot.session.append(event)
    copilot.session.append(Notice(level="info", text=f"{audit_done_line(report)} ({root})"))
    return event


def compute_probe(copilot: Copilot, url: str, n: int) -> ProbeResult:
    """Probe url; the target comes from the persona's API Response standard (<200ms)."""
    from agent.audit.probe import DEFAULT_TARGET_MS, probe, target_from
    from agent.audit.rules import normalise_target

    standard = next((s for s in copilot.persona.standards
                     if normalise_target(s.name) == "api response"), None)
    target = target_from(standard.target) if standard is not None else DEFAULT_TARGET_MS
    return probe(url, n, target_ms=target)


def record_probe(copilot: Copilot, result: ProbeResult) -> ProbeRecorded:
    event = ProbeRecorded(result=result)
    copilot.session.append(event)
    copilot.session.append(Notice(level="info" if result.met else "warning",
                                  text=f"Probe: {result.line()}"))
    return event


def audit_done_line(report: AuditReport) -> str:
    counts = report.counts()
    return (f"Audit: {counts['done']} done, {counts['missing']} missing, "
            f"{counts['unknown']} unknown; {len(report.findings)} finding"
            f"{'s' if len(report.findings) != 1 else ''}"
            + (f"; {len(report.problems)} file(s) skipped" if report.problems else ""))
