"""The audit's section in exports (md, html, brief): every item with its evidence, the findings
and the skipped files. The caller passes its own escaping so each format stays safe."""

from __future__ import annotations

from collections.abc import Callable

from agent.audit.models import AuditReport
from agent.audit.summary import item_label

Escape = Callable[[str], str]
_MD_MARK = {"done": "x", "missing": " ", "unknown": "?"}


def _head(report: AuditReport, root: str) -> str:
    counts = report.counts()
    where = f" of {root}" if root else ""
    return (f"Audit{where} for persona {report.persona}: {counts['done']} done, "
            f"{counts['missing']} missing, {counts['unknown']} unknown; "
            f"{len(report.findings)} findings; {report.files_scanned} files read")


def audit_note(report: AuditReport | None, area: str, text: str) -> str:
    """' (audit: found at app/main.py:21)' for an open checklist line, '' without a verdict."""
    item = next((i for i in report.items if i.area == area and i.text == text), None) \
        if report is not None else None
    if item is None or item.status == "unknown":
        return ""
    if item.status == "done" and item.evidence:
        return f" (audit: found at {item.evidence[0].where})"
    return " (audit: not found in code)"


def audit_markdown(report: AuditReport | None, root: str, esc: Escape, *, brief: bool = False
                   ) -> str:
    if report is None:
        return ""
    out = ["\n## Project audit\n\n", f"{esc(_head(report, root))}\n\n"]
    for item in report.items:
        if brief and item.status == "unknown":
            continue
        line = f"- [{_MD_MARK[item.status]}] {esc(item_label(item))} — {item.status}"
        if item.evidence:
            first = item.evidence[0]
            line += f": {esc(first.where)} {esc(first.text)}"
        elif item.looked:
            line += f" ({esc(item.looked)})"
        out.append(line + "\n")
        if not brief:
            out.extend(f"  - {esc(ev.where)} {esc(ev.text)}\n" for ev in item.evidence[1:])
    if report.findings:
        out.append("\n### Findings\n\n")
        out.extend(f"- **{esc(f.severity)}** {esc(f.title)} — {esc(f.where)} {esc(f.text)}\n"
                   for f in report.findings)
    if report.problems and not brief:
        out.append("\n### Skipped\n\n")
        out.extend(f"- {esc(p)}\n" for p in report.problems)
    return "".join(out)


def audit_html(report: AuditReport | None, root: str, esc: Escape) -> str:
    if report is None:
        return ""
    out = ["<h2>Project audit</h2>\n", f"<p class=\"meta\">{esc(_head(report, root))}</p>\n",
           "<ul class=\"audit\">\n"]
    for item in report.items:
        out.append(f'<li class="audit-{item.status}"><b>{esc(item_label(item))}</b> — '
                   f"{esc(item.status)}")
        if item.evidence:
            out.append("<ul>")
            out.extend(f"<li><code>{esc(ev.where)}</code> {esc(ev.text)}</li>"
                       for ev in item.evidence)
            out.append("</ul>")
        elif item.looked:
            out.append(f" <span class=\"meta\">({esc(item.looked)})</span>")
        out.append("</li>\n")
    out.append("</ul>\n")
    if report.findings:
        out.append("<h3>Findings</h3>\n<ul>\n")
        out.extend(f"<li><b>{esc(f.severity)}</b> {esc(f.title)} — <code>{esc(f.where)}</code> "
                   f"{esc(f.text)}</li>\n" for f in report.findings)
        out.append("</ul>\n")
    if report.problems:
        out.append("<h3>Skipped</h3>\n<ul>\n")
        out.extend(f"<li>{esc(p)}</li>\n" for p in report.problems)
        out.append("</ul>\n")
    return "".join(out)
