"""What the Markdown and HTML exports both show of a session: who spoke, each message's
meta line, timeline lines, tool calls placed in the text, checklist groups, the decision tree.

Why a module: md_export and html_export render the same pieces, each with its own escaping;
json_export uses `segments` to replay a message's text and tool calls in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agent.export.common import when as _when
from agent.persona.models import Persona
from agent.session.models import (
    ActivationChanged,
    ChecklistChanged,
    ChecklistEntry,
    Compacted,
    Message,
    Notice,
    PhaseChanged,
    SessionState,
    ToolCallRecord,
    TreeHighlighted,
)

TimelineEvent = (ActivationChanged | PhaseChanged | ChecklistChanged | TreeHighlighted | Notice
                 | Compacted)
CUT_NOTE = "Cut at the length limit (max_tokens): the answer is incomplete."


def speaker(message: Message) -> str:
    if message.role == "user":
        return "You"
    if message.role == "system":
        return "System"
    via = " ".join(part for part in (message.provider, message.model) if part)
    return f"Assistant ({via})" if via else "Assistant"


def meta_parts(message: Message) -> list[str]:
    parts = [_when(message.ts)]
    if message.phase:
        parts.append(f"phase {message.phase}")
    parts.append("persona on" if message.persona_active else "persona off")
    if message.cards:
        parts.append("playbook cards: " + "; ".join(c.title for c in message.cards))
    return parts


def timeline_line(event: TimelineEvent) -> str:
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


def tool_line(call: ToolCallRecord) -> str:
    """'read notes.txt, 1 line — ok (auto)' : the call's summary, outcome and permission."""
    how = f" ({call.decision})" if call.decision and call.decision != "auto" else ""
    via = f" via {call.server}" if call.server else ""
    return f"{call.summary or call.name} — {call.status}{how}{via}"


def short(text: str, limit: int) -> str:
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


def checklist_groups(
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


def tree_lines(state: SessionState, persona: Persona | None) -> list[str]:
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
