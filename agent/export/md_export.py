"""The Markdown export of a session: a readable transcript, timeline, checklist, decision
tree, deliverables and audit.

Why a module: everything in it is Markdown-escaped (md_inline) or fenced (md_block), except
the model's own answers, kept as Markdown without raw HTML (see agent/export/markdown.py).
"""

from __future__ import annotations

from agent.audit.export_parts import audit_markdown
from agent.export.common import deliverable_lines
from agent.export.common import md_block as _md_block
from agent.export.common import md_inline as _md_inline
from agent.export.common import when as _when
from agent.export.markdown import markdown_without_html
from agent.export.session_parts import (
    CUT_NOTE,
    TOOL_RESULT_SHOWN,
    checklist_groups,
    meta_parts,
    segments,
    short,
    speaker,
    timeline_line,
    tool_line,
    tree_lines,
)
from agent.persona.models import Persona
from agent.session.models import SessionState

_STATUS_MARK = {"done": "x", "suggested": "~", "open": " "}


def to_markdown(state: SessionState, persona: Persona | None) -> str:
    out: list[str] = [f"# {_md_inline(state.title or 'Untitled session')}\n\n"]
    out.append(f"- Session: {_md_inline(state.id)}\n")
    if persona is not None or state.persona:
        name = persona.title if persona is not None else state.persona
        out.append(f"- Persona: {_md_inline(name)}\n")
    if state.created:
        out.append(f"- Started: {_md_inline(_when(state.created))}\n")
    if state.updated:
        out.append(f"- Updated: {_md_inline(_when(state.updated))}\n")
    out.append(f"- Messages: {len(state.messages)}\n\n## Transcript\n\n")
    if not state.messages:
        out.append("(no messages)\n\n")
    for number, message in enumerate(state.messages, start=1):
        meta = " · ".join(_md_inline(p) for p in meta_parts(message))
        status = f" · **{message.status.upper()}**" if message.status != "complete" else ""
        out.append(f"### {number}. {_md_inline(speaker(message))}\n\n{meta}{status}\n\n")
        for kind, part in segments(message):
            if kind == "text":
                if message.role == "assistant" and part.strip():
                    out.append(f"{markdown_without_html(part).strip()}\n\n")  # the model's Markdown
                elif part or not message.tool_calls:
                    out.append(_md_block(part))
                continue
            out.append(f"\n> Tool {_md_inline(part.name)}: {_md_inline(tool_line(part))}\n>\n"
                       f"> Arguments: {_md_inline(short(part.arguments, 300))}\n\n")
            if part.result:
                out.append(_md_block(short(part.result, TOOL_RESULT_SHOWN)))
            out.append("\n")
        if message.cut_at_length:
            out.append(f"\n> {CUT_NOTE}\n")
        if message.error:
            out.append(f"\n> Error: {_md_inline(message.error)}\n")
        out.append("\n")
    out.append("## Timeline\n\n")
    if not state.timeline:
        out.append("(no persona, phase, checklist or decision events)\n")
    for event in state.timeline:
        out.append(f"- {_md_inline(_when(event.ts))} · {_md_inline(timeline_line(event))}\n")
    groups = checklist_groups(state.checklist, persona)
    if groups:
        out.append("\n## Checklist\n")
    for title, areas in groups:
        out.append(f"\n### {_md_inline(title)}\n")
        for area in areas:
            out.append(f"\n**{_md_inline(area.name)}** {area.progress}\n\n")
            for item in area.items:
                note = f" — {item.state}" if item.state != "open" else ""
                evidence = f" ({_md_inline(item.evidence)})" if item.evidence else ""
                out.append(f"- [{_STATUS_MARK[item.state]}] {_md_inline(item.text)}{note}{evidence}\n")
    tree = tree_lines(state, persona)
    if tree:
        out.append("\n## Decision tree\n\n")
        out.extend(f"- {_md_inline(line)}\n" for line in tree)
    delivered = deliverable_lines(state)
    if delivered:
        out.append("\n## Deliverables\n\n")
        out.extend(f"- {_md_inline(line)}\n" for line in delivered)
    out.append(audit_markdown(state.audit, state.audit_root, _md_inline))
    return "".join(out)
