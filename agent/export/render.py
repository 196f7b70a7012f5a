"""Export a session as Markdown, JSON or self-contained HTML.

Everything in a session came from a user, a model or a file, so it is treated as text: terminal
escapes are stripped, Markdown keeps it in fenced blocks (or backslash-escapes it inline), HTML
escapes every piece and carries no script or external resource. A model's answers are Markdown:
formatted in HTML (raw HTML off, links only to http/https/mailto) and kept as Markdown in the
.md file (see agent/export/markdown.py). The JSON export holds the
events that rebuild the state, so a session can be re-imported.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from agent import paths
from agent.atomic import write_atomic
from agent.audit.export_parts import audit_html, audit_markdown
from agent.errors import ExportError
from agent.export.common import deliverable_lines
from agent.export.common import md_block as _md_block
from agent.export.common import md_inline as _md_inline
from agent.export.common import when as _when
from agent.export.markdown import markdown_to_html, markdown_without_html
from agent.persona.models import Persona
from agent.session.fold import EVENT_ADAPTER
from agent.session.models import (
    ActivationChanged,
    AnswerDelta,
    AnswerFinished,
    AnswerStarted,
    AuditRecorded,
    CardsUsed,
    ChecklistChanged,
    ChecklistEntry,
    Compacted,
    Message,
    MessageAdded,
    Notice,
    PhaseChanged,
    ProbeRecorded,
    SessionEvent,
    SessionStarted,
    SessionState,
    TitleChanged,
    ToolCallFinished,
    ToolCallRecord,
    ToolCallStarted,
    TreeHighlighted,
)
from agent.text import safe_text

ExportFormat = Literal["md", "json", "html", "brief"]
FORMATS: tuple[str, ...] = ("md", "json", "html", "brief")
JSON_FORMAT = "backend-copilot-session"
JSON_VERSION = 1

TimelineEvent = (ActivationChanged | PhaseChanged | ChecklistChanged | TreeHighlighted | Notice
                 | Compacted)
CUT_NOTE = "Cut at the length limit (max_tokens): the answer is incomplete."


# -- shared helpers ------------------------------------------------------------------------


def _speaker(message: Message) -> str:
    if message.role == "user":
        return "You"
    if message.role == "system":
        return "System"
    via = " ".join(part for part in (message.provider, message.model) if part)
    return f"Assistant ({via})" if via else "Assistant"


def _meta(message: Message) -> list[str]:
    parts = [_when(message.ts)]
    if message.phase:
        parts.append(f"phase {message.phase}")
    parts.append("persona on" if message.persona_active else "persona off")
    if message.cards:
        parts.append("playbook cards: " + "; ".join(c.title for c in message.cards))
    return parts


def _timeline_line(event: TimelineEvent) -> str:
    match event:
        case ActivationChanged():
            state = "on" if event.active else "off"
            how = "pinned" if event.pinned else event.mode
            words = f"; words: {', '.join(event.matches)}" if event.matches else ""
            reason = f" — {event.reason}" if event.reason else ""
            return f"Persona {event.persona} {state} ({how}){reason}{words}"
        case PhaseChanged():
            role = f" ({event.role})" if event.role else ""
            before = f" from {event.previous}" if event.previous else ""
            return f"Phase{before} to {event.phase}{role}"
        case ChecklistChanged():
            by = "you" if event.by == "user" else "the conversation"
            evidence = f" — {event.evidence}" if event.evidence else ""
            return f"Checklist {event.item_id}: {event.state} by {by}{evidence}"
        case TreeHighlighted():
            verb = "chosen" if event.chosen else "suggested"
            words = f" (words: {', '.join(event.words)})" if event.words else ""
            return f"Decision {event.tree_id}: {event.recommendation} {verb}{words}"
        case Notice():
            return f"{event.level.capitalize()}: {event.text}"
        case Compacted():
            by = "the model's summary" if event.by == "model" else "an offline digest"
            return (f"Compacted {event.replaced} earlier messages into {by}: "
                    f"{' '.join(event.summary.split())}")
    return ""


Segment = tuple[Literal["text"], str] | tuple[Literal["tool"], ToolCallRecord]
TOOL_RESULT_SHOWN = 1000  # characters of a tool's result in md/html (the JSON keeps all)


def segments(message: Message) -> list[Segment]:
    """The message's text with its tool calls placed where they happened (by offset)."""
    content = message.content
    out: list[Segment] = []
    pos = 0
    for call in sorted(message.tool_calls, key=lambda c: c.offset):
        at = min(max(call.offset, pos), len(content))
        if at > pos:
            out.append(("text", content[pos:at]))
            pos = at
        out.append(("tool", call))
    if pos < len(content) or not out:
        out.append(("text", content[pos:]))
    return out


def _tool_line(call: ToolCallRecord) -> str:
    """'read notes.txt, 1 line — ok (auto)' : the call's summary, outcome and permission."""
    how = f" ({call.decision})" if call.decision and call.decision != "auto" else ""
    via = f" via {call.server}" if call.server else ""
    return f"{call.summary or call.name} — {call.status}{how}{via}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f" … ({len(text) - limit} more characters)"


@dataclass
class _Item:
    text: str
    state: str
    evidence: str


@dataclass
class _Area:
    name: str
    items: list[_Item]

    @property
    def progress(self) -> str:
        return f"{sum(i.state == 'done' for i in self.items)}/{len(self.items)}"


def _checklist_groups(
    checklist: dict[str, ChecklistEntry], persona: Persona | None
) -> list[tuple[str, list[_Area]]]:
    """(checklist title, areas) using the persona's items when given, else the recorded ids."""
    groups: list[tuple[str, list[_Area]]] = []
    known: set[str] = set()
    open_entry = ChecklistEntry()
    for source in persona.checklists if persona else ():
        areas: dict[str, _Area] = {}
        for item in source.items:
            known.add(item.id)
            entry = checklist.get(item.id, open_entry)
            area = areas.setdefault(item.area, _Area(item.area, []))
            area.items.append(_Item(item.text, entry.state, entry.evidence))
        groups.append((source.title, list(areas.values())))
    others: dict[str, _Area] = {}
    for item_id, entry in checklist.items():
        if item_id in known:
            continue
        area_name, _, text = item_id.rpartition("/")
        area = others.setdefault(area_name, _Area(area_name or "Other", []))
        area.items.append(_Item(text or item_id, entry.state, entry.evidence))
    if others:
        groups.append(("Checklist" if persona is None else "Other items", list(others.values())))
    return groups


def _tree_lines(state: SessionState, persona: Persona | None) -> list[str]:
    lines: list[str] = []
    current = state.tree
    if current is not None:
        title, question, condition = current.tree_id, "", ""
        for tree in persona.decision_trees if persona else ():
            if tree.id == current.tree_id:
                title, question = tree.title, tree.question
                option = next((o for o in tree.options if o.node_id == current.node_id), None)
                condition = option.condition if option else ""
        verb = "chosen by you" if current.chosen else "suggested by the conversation"
        head = f"{title}: " + (f"{question} — {condition} -> " if question and condition else "")
        words = f" (words: {', '.join(current.words)})" if current.words else ""
        lines.append(f"Current: {head}{current.recommendation}, {verb}{words}")
    choices = [e for e in state.timeline if isinstance(e, TreeHighlighted) and e.chosen]
    lines.extend(f"Choice at {_when(c.ts)}: {c.recommendation}" for c in choices)
    return lines


_STATUS_MARK = {"done": "x", "suggested": "~", "open": " "}


# -- Markdown ------------------------------------------------------------------------------




def _to_markdown(state: SessionState, persona: Persona | None) -> str:
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
        meta = " · ".join(_md_inline(p) for p in _meta(message))
        status = f" · **{message.status.upper()}**" if message.status != "complete" else ""
        out.append(f"### {number}. {_md_inline(_speaker(message))}\n\n{meta}{status}\n\n")
        for kind, part in segments(message):
            if kind == "text":
                if message.role == "assistant" and part.strip():
                    out.append(f"{markdown_without_html(part).strip()}\n\n")  # the model's Markdown
                elif part or not message.tool_calls:
                    out.append(_md_block(part))
                continue
            out.append(f"\n> Tool {_md_inline(part.name)}: {_md_inline(_tool_line(part))}\n>\n"
                       f"> Arguments: {_md_inline(_short(part.arguments, 300))}\n\n")
            if part.result:
                out.append(_md_block(_short(part.result, TOOL_RESULT_SHOWN)))
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
        out.append(f"- {_md_inline(_when(event.ts))} · {_md_inline(_timeline_line(event))}\n")
    groups = _checklist_groups(state.checklist, persona)
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
    tree = _tree_lines(state, persona)
    if tree:
        out.append("\n## Decision tree\n\n")
        out.extend(f"- {_md_inline(line)}\n" for line in tree)
    delivered = deliverable_lines(state)
    if delivered:
        out.append("\n## Deliverables\n\n")
        out.extend(f"- {_md_inline(line)}\n" for line in delivered)
    out.append(audit_markdown(state.audit, state.audit_root, _md_inline))
    return "".join(out)


# -- HTML ----------------------------------------------------------------------------------

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


def _to_html(state: SessionState, persona: Persona | None) -> str:
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
        meta = " · ".join(_h(p) for p in _meta(message))
        status = (
            f' <span class="status">{_h(message.status.upper())}</span>'
            if message.status != "complete"
            else ""
        )
        out.append(
            f'<div class="msg {_h(message.role)}"><div class="meta"><b>{_h(_speaker(message))}</b>'
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
                f"{_h(_tool_line(part))}</summary><pre>{_h(_short(part.arguments, 2000))}</pre>"
                f"<pre>{_h(_short(part.result, TOOL_RESULT_SHOWN))}</pre></details>"
            )
        if message.cut_at_length:
            out.append(f'<p class="error">{_h(CUT_NOTE)}</p>')
        if message.error:
            out.append(f'<p class="error">Error: {_h(message.error)}</p>')
        out.append("</div>\n")
    out.append("<h2>Timeline</h2>\n<ul>\n")
    for event in state.timeline:
        out.append(f"<li>{_h(_when(event.ts))} · {_h(_timeline_line(event))}</li>\n")
    out.append("</ul>\n")
    groups = _checklist_groups(state.checklist, persona)
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
    tree = _tree_lines(state, persona)
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


# -- JSON ----------------------------------------------------------------------------------

# Characters JSON may leave raw that a terminal or a text tool could act on.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def state_events(state: SessionState) -> list[SessionEvent]:
    """Events that fold back into `state` (the log itself is not part of the state)."""
    events: list[SessionEvent] = [
        SessionStarted(id=state.id, title=state.title, persona=state.persona, ts=state.created)
    ]
    # Merge messages and timeline by time, keeping each list's own order.
    messages_part = [(m.ts, _message_events(m)) for m in state.messages]
    timeline_part: list[tuple[str, list[SessionEvent]]] = sorted(
        [(e.ts, [e]) for e in [*state.timeline, *state.checkpoints, *state.undone,
                               *state.resources, *state.deliverables]],
        key=lambda pair: pair[0])  # stable: the timeline's own order holds within a timestamp
    i = j = 0
    while i < len(messages_part) or j < len(timeline_part):
        take_message = j >= len(timeline_part) or (
            i < len(messages_part) and messages_part[i][0] <= timeline_part[j][0]
        )
        if take_message:
            events.extend(messages_part[i][1])
            i += 1
        else:
            events.extend(timeline_part[j][1])
            j += 1
    events.extend(audit_events(state))
    if state.updated and events[-1].ts != state.updated:
        events.append(TitleChanged(title=state.title, ts=state.updated))  # carries `updated`
    return events


def audit_events(state: SessionState) -> list[SessionEvent]:
    """The newest audit and probe, so an imported session keeps them."""
    out: list[SessionEvent] = []
    if state.audit is not None:
        out.append(AuditRecorded(root=state.audit_root, report=state.audit, ts=state.audit_ts))
    if state.probe is not None:
        out.append(ProbeRecorded(result=state.probe, ts=state.audit_ts or state.updated))
    return out


def _message_events(message: Message) -> list[SessionEvent]:
    streamed = (message.provider or message.model or message.usage or message.error
                or message.tool_calls or message.cards)
    if message.role != "assistant" or not streamed:
        return [
            MessageAdded(
                id=message.id,
                role=message.role,
                content=message.content,
                persona_active=message.persona_active,
                phase=message.phase,
                status=message.status,
                ts=message.ts,
            )
        ]
    out: list[SessionEvent] = [
        AnswerStarted(
            id=message.id,
            provider=message.provider,
            model=message.model,
            persona_active=message.persona_active,
            phase=message.phase,
            persona=message.persona,
            ts=message.ts,
        )
    ]
    if message.cards:
        out.append(CardsUsed(id=message.id, cards=list(message.cards), ts=message.ts))
    for kind, part in segments(message):
        if kind == "text":
            if part:
                out.append(AnswerDelta(id=message.id, text=part, ts=message.ts))
            continue
        out.append(ToolCallStarted(id=message.id, call_id=part.call_id, name=part.name,
                                   arguments=part.arguments, summary=part.summary,
                                   server=part.server, ts=part.ts or message.ts))
        if part.status != "running":
            out.append(ToolCallFinished(id=message.id, call_id=part.call_id, status=part.status,
                                        decision=part.decision, summary=part.summary,
                                        result=part.result, ts=part.ts or message.ts))
    if message.status != "streaming":
        out.append(
            AnswerFinished(
                id=message.id,
                status=message.status,
                usage=message.usage,
                error=message.error,
                cut_at_length=message.cut_at_length,
                ts=message.ts,
            )
        )
    return out


def _to_json(state: SessionState) -> str:
    document = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "state": state.model_dump(mode="json"),
        "events": [event.model_dump(mode="json") for event in state_events(state)],
    }
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def import_json(text: str) -> list[SessionEvent]:
    """The events of a JSON export, validated. Raises ExportError naming what is wrong."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportError(f"Not a JSON export: line {exc.lineno}: {exc.msg}.") from None
    except RecursionError:
        raise ExportError("Not a session export: its JSON is nested too deeply.") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts (4300 digits)
        raise ExportError(f"Not a session export: {exc}.") from None
    if not isinstance(document, dict) or document.get("format") != JSON_FORMAT:
        raise ExportError(f"Not a session export: expected \"format\": \"{JSON_FORMAT}\".")
    version = document.get("version")
    if version != JSON_VERSION:
        raise ExportError(
            f"Unsupported export version {version!r}; this app reads version {JSON_VERSION}."
        )
    raw_events = document.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise ExportError("The export has no \"events\" list to import.")
    events: list[SessionEvent] = []
    for number, raw in enumerate(raw_events, start=1):
        try:
            events.append(EVENT_ADAPTER.validate_python(raw))
        except RecursionError:
            raise ExportError(f"Event {number} in the export is nested too deeply.") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise ExportError(
                f"Event {number} in the export is invalid ({where}: {first.get('msg')})."
            ) from None
    return events


# -- entry points --------------------------------------------------------------------------


def export_session(
    state: SessionState,
    fmt: ExportFormat,
    persona: Persona | None = None,
    library: Sequence[Persona] = (),
) -> str:
    """The whole session as text in the given format ("brief": a short Markdown summary).

    `library`: every loaded persona, so the brief can name the trees and checklists of each
    persona the session switched on (defaults to `persona` alone).
    """
    if fmt == "brief":
        from agent.export.brief import session_brief

        return session_brief(state, list(library) or ([persona] if persona else []))
    if fmt == "md":
        return _to_markdown(state, persona)
    if fmt == "html":
        return _to_html(state, persona)
    if fmt == "json":
        return _to_json(state)
    raise ExportError(f"Unknown export format '{fmt}'; use one of: {', '.join(FORMATS)}.")


def export_file_name(state: SessionState, fmt: ExportFormat) -> str:
    """<session id>.<ext>; the brief is Markdown: <session id>-brief.md."""
    return f"{state.id}-brief.md" if fmt == "brief" else f"{state.id}.{fmt}"


def write_export(
    state: SessionState,
    fmt: ExportFormat,
    path: Path | None = None,
    persona: Persona | None = None,
    library: Sequence[Persona] = (),
) -> Path:
    """Write the export (mode 0600) and return where; a directory gets <session id>.<ext>."""
    text = export_session(state, fmt, persona, library)
    default_dir = paths.export_dir()
    if path is None:
        target = default_dir / export_file_name(state, fmt)
        try:
            paths.ensure_dir(default_dir)
        except OSError as exc:
            raise ExportError(
                f"Cannot create the export folder {default_dir} ({exc.strerror}); "
                f"set BACKEND_COPILOT_EXPORT_DIR or give a path: /export {fmt} PATH"
            ) from None
    else:
        target = Path(path).expanduser()
        if target.is_dir():
            target = target / export_file_name(state, fmt)
    try:
        _write_private(target, text)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        hint = (
            f"leave out the path to write to {default_dir}"
            if path is not None
            else f"set BACKEND_COPILOT_EXPORT_DIR or give a path: /export {fmt} PATH"
        )
        raise ExportError(f"Cannot write {target} ({reason}); {hint}.") from None
    return target


def _write_private(target: Path, text: str) -> None:
    """Write atomically (see agent/atomic.py), mode 0600: an export holds the conversation."""
    write_atomic(target, text, mode=0o600)
