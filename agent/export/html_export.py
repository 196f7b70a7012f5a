"""The self-contained HTML export of a session: no script, no external resource, every
piece HTML-escaped; the model's answers formatted from Markdown (raw HTML off).

Why a module: the page's style sheet, its Content-Security-Policy and the escaping are the
HTML form's own.
"""

from __future__ import annotations

import html

from agent.audit.export_parts import audit_html
from agent.export.common import deliverable_lines
from agent.export.common import when as _when
from agent.export.markdown import markdown_to_html
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
from agent.text import safe_text

_CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1d1f21;background:#fafafa;line-height:1.45}
h1{font-size:1.6rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
.meta{color:#555;font-size:.9rem}.msg{margin:1rem 0;padding:.6rem .9rem;border-radius:6px;
background:#fff;border:1px solid #ddd}.msg.user{border-left:4px solid #2a7ae2}
.msg.assistant{border-left:4px solid #3a9a5b}.status{font-weight:bold;color:#b3261e}
pre{white-space:pre-wrap;word-wrap:break-word;font-family:ui-monospace,monospace;margin:.5rem 0 0}
.error{color:#b3261e}ul.check{list-style:none;padding-left:1rem}
.done::before{content:"\\2611  "}.suggested::before{content:"\\25CE  "}.open::before{content:"\\2610  "}
.suggested{color:#8a6d00}.done{color:#2e7d32}
details.tool{margin:.4rem 0;padding:.3rem .6rem;background:#f3f3f3;border-radius:4px}
.md pre{background:#f3f3f3;padding:.5rem;border-radius:4px}.md code{font-family:ui-monospace,monospace}
.md table{border-collapse:collapse}.md th,.md td{border:1px solid #ccc;padding:.2rem .5rem}
"""


def _h(text: str) -> str:
    return html.escape(safe_text(text), quote=True)


def to_html(state: SessionState, persona: Persona | None) -> str:
    title = _h(state.title or "Untitled session")
    out: list[str] = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n",
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n",
        "<p class=\"meta\">",
        f"Session {_h(state.id)}",
    ]
    if persona is not None or state.persona:
        out.append(f" · persona {_h(persona.title if persona is not None else state.persona)}")
    if state.created:
        out.append(f" · started {_h(_when(state.created))}")
    if state.updated:
        out.append(f" · updated {_h(_when(state.updated))}")
    out.append(f" · {len(state.messages)} messages</p>\n<h2>Transcript</h2>\n")
    if not state.messages:
        out.append("<p>(no messages)</p>\n")
    for message in state.messages:
        meta = " · ".join(_h(p) for p in meta_parts(message))
        status = (
            f' <span class="status">{_h(message.status.upper())}</span>'
            if message.status != "complete"
            else ""
        )
        out.append(
            f'<div class="msg {_h(message.role)}"><div class="meta"><b>{_h(speaker(message))}</b>'
            f" · {meta}{status}</div>"
        )
        for kind, part in segments(message):
            if kind == "text":
                if message.role == "assistant" and part.strip():
                    out.append(f'<div class="md">{markdown_to_html(part)}</div>')
                elif part or not message.tool_calls:
                    out.append(f"<pre>{_h(part)}</pre>")
                continue
            out.append(
                f'<details class="tool"><summary>Tool <b>{_h(part.name)}</b>: '
                f"{_h(tool_line(part))}</summary><pre>{_h(short(part.arguments, 2000))}</pre>"
                f"<pre>{_h(short(part.result, TOOL_RESULT_SHOWN))}</pre></details>"
            )
        if message.cut_at_length:
            out.append(f'<p class="error">{_h(CUT_NOTE)}</p>')
        if message.error:
            out.append(f'<p class="error">Error: {_h(message.error)}</p>')
        out.append("</div>\n")
    out.append("<h2>Timeline</h2>\n<ul>\n")
    for event in state.timeline:
        out.append(f"<li>{_h(_when(event.ts))} · {_h(timeline_line(event))}</li>\n")
    out.append("</ul>\n")
    groups = checklist_groups(state.checklist, persona)
    if groups:
        out.append("<h2>Checklist</h2>\n")
    for group_title, areas in groups:
        out.append(f"<h3>{_h(group_title)}</h3>\n")
        for area in areas:
            out.append(f"<p><b>{_h(area.name)}</b> {area.progress}</p>\n<ul class=\"check\">\n")
            for item in area.items:
                evidence = f" ({_h(item.evidence)})" if item.evidence else ""
                label = f" — {item.state}" if item.state != "open" else ""
                out.append(f'<li class="{item.state}">{_h(item.text)}{label}{evidence}</li>\n')
            out.append("</ul>\n")
    tree = tree_lines(state, persona)
    if tree:
        out.append("<h2>Decision tree</h2>\n<ul>\n")
        out.extend(f"<li>{_h(line)}</li>\n" for line in tree)
        out.append("</ul>\n")
    delivered = deliverable_lines(state)
    if delivered:
        out.append("<h2>Deliverables</h2>\n<ul>\n")
        out.extend(f"<li>{_h(line)}</li>\n" for line in delivered)
        out.append("</ul>\n")
    out.append(audit_html(state.audit, state.audit_root, _h))
    out.append("</body>\n</html>\n")
    return "".join(out)
