"""The one fold: a session log's lines read as events, and events folded into a SessionState.

Everything that shows or exports a session renders the state this fold gives. It lives apart
from the writer (journal.py) because readers that never write (export, listing, the tests'
checks of a log) need only this: how lines become events and events become state.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ConfigDict, TypeAdapter, ValidationError

from agent.audit.summary import apply_probe
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
    DeliverablesWritten,
    FileCheckpoint,
    Message,
    MessageAdded,
    Notice,
    PhaseChanged,
    ProbeRecorded,
    ResourceAdded,
    SessionEvent,
    SessionStarted,
    SessionState,
    TitleChanged,
    ToolCallFinished,
    ToolCallRecord,
    ToolCallStarted,
    TreeHighlighted,
    UndoDone,
)
from agent.text import safe_text

TITLE_LENGTH = 60

# Built at its first use, like the models (agent/lazy_model.py): a new session reads no log.
EVENT_ADAPTER: TypeAdapter[SessionEvent] = TypeAdapter(SessionEvent, config=ConfigDict(defer_build=True))


def default_title(text: str) -> str:
    """The first user message as a one-line title of at most 60 characters."""
    line = " ".join(safe_text(text).split())
    if len(line) <= TITLE_LENGTH:
        return line
    return line[: TITLE_LENGTH - 1].rstrip() + "…"


def find_message(state: SessionState, message_id: str) -> Message | None:
    for message in reversed(state.messages):  # the streaming answer is nearly always last
        if message.id == message_id:
            return message
    return None


def apply_event(state: SessionState, event: SessionEvent, *, title_set: bool = False) -> None:
    """Fold one event into state (in place). `title_set`: keep the title on user messages."""
    if event.ts:
        state.updated = event.ts
    match event:
        case SessionStarted():
            state.id = event.id
            state.title = event.title or state.title
            state.persona = event.persona
            state.created = event.ts
        case TitleChanged():
            state.title = event.title
        case MessageAdded():
            state.messages.append(
                Message(
                    id=event.id,
                    role=event.role,
                    content=event.content,
                    ts=event.ts,
                    persona_active=event.persona_active,
                    phase=event.phase,
                    status=event.status,
                )
            )
            if event.role == "user" and not title_set and not state.title_from_persona and (
                not state.title or event.persona_active
            ):
                # The first message, until one that switched a persona on names the session.
                state.title = default_title(event.content)
                state.title_from_persona = event.persona_active
        case AnswerStarted():
            state.messages.append(
                Message(
                    id=event.id,
                    role="assistant",
                    content="",
                    ts=event.ts,
                    persona_active=event.persona_active,
                    phase=event.phase,
                    status="streaming",
                    provider=event.provider,
                    model=event.model,
                    persona=event.persona,
                )
            )
        case AnswerDelta():
            message = find_message(state, event.id)
            if message is not None:
                message.content += event.text
        case AnswerFinished():
            message = find_message(state, event.id)
            if message is not None:
                message.status = event.status
                message.usage = event.usage
                message.error = event.error
                message.cut_at_length = event.cut_at_length
        case ActivationChanged():
            state.timeline.append(event)
            state.persona_active = event.active
            state.persona_mode = event.mode
            # The persona on (or, when switched off, the one last on): its panels stay shown.
            state.persona = event.persona or state.persona
        case PhaseChanged():
            state.timeline.append(event)
            state.phase = event.phase
        case ChecklistChanged():
            state.timeline.append(event)
            state.checklist[event.item_id] = ChecklistEntry(
                state=event.state, by=event.by, evidence=event.evidence, message_id=event.message_id
            )
        case TreeHighlighted():
            state.timeline.append(event)
            state.tree = event
        case Notice():
            state.timeline.append(event)
        case ResourceAdded():
            state.resources = [r for r in state.resources if r.name != event.name] + [event]
        case DeliverablesWritten():
            state.deliverables.append(event)
        case AuditRecorded():
            state.audit = event.report.model_copy(deep=True)
            state.audit_root, state.audit_ts = event.root, event.ts
            if state.probe is not None:
                apply_probe(state.audit, state.probe)
        case ProbeRecorded():
            state.probe = event.result
            if state.audit is not None:
                apply_probe(state.audit, event.result)
        case CardsUsed():
            message = find_message(state, event.id)
            if message is not None:
                message.cards = list(event.cards)
        case Compacted():
            state.timeline.append(event)
            state.compacted = event
        case FileCheckpoint():
            state.checkpoints.append(event)
        case UndoDone():
            state.undone.append(event)
        case ToolCallStarted():
            message = find_message(state, event.id)
            if message is not None:
                message.tool_calls.append(
                    ToolCallRecord(
                        call_id=event.call_id,
                        name=event.name,
                        arguments=event.arguments,
                        summary=event.summary,
                        server=event.server,
                        ts=event.ts,
                        offset=len(message.content),
                    )
                )
        case ToolCallFinished():
            message = find_message(state, event.id)
            record = next(
                (c for c in reversed(message.tool_calls) if c.call_id == event.call_id), None
            ) if message is not None else None
            if record is not None:
                record.status = event.status
                record.decision = event.decision
                record.summary = event.summary or record.summary
                record.result = event.result


def fold(events: Iterable[SessionEvent], session_id: str = "") -> SessionState:
    """The state a sequence of events describes; unfinished answers become 'interrupted'.

    Linear in the log's size: an answer's streamed pieces are collected and joined once
    (when its length is needed or at the end), never concatenated piece by piece.
    """
    state = SessionState.empty(session_id)
    title_set = False
    pieces: dict[str, tuple[Message, list[str]]] = {}  # answer id -> (message, pieces)
    for event in events:
        if isinstance(event, AnswerDelta):
            if event.ts:
                state.updated = event.ts
            held = pieces.get(event.id)
            if held is None:
                message = find_message(state, event.id)
                if message is None:
                    continue
                held = pieces[event.id] = (message, [message.content])
            held[1].append(event.text)
            continue
        if pieces and isinstance(event, ToolCallStarted | AnswerFinished | AnswerStarted):
            _join_pieces(pieces, event.id)  # the offset of a tool call needs the length so far
        apply_event(state, event, title_set=title_set)
        title_set = title_set or isinstance(event, TitleChanged) or bool(
            isinstance(event, SessionStarted) and event.title
        )
    for answer_id in list(pieces):
        _join_pieces(pieces, answer_id)
    mark_interrupted(state)
    return state


def _join_pieces(pieces: dict[str, tuple[Message, list[str]]], answer_id: str) -> None:
    held = pieces.pop(answer_id, None)
    if held is not None:
        held[0].content = "".join(held[1])


def mark_interrupted(state: SessionState) -> None:
    for message in state.messages:
        if message.status == "streaming":
            message.status = "interrupted"
            for call in message.tool_calls:
                if call.status == "running":
                    call.status = "cancelled"


def parse_lines(data: bytes) -> tuple[list[SessionEvent], list[int]]:
    """Events from a JSON Lines log, and the 1-based numbers of lines that were not events."""
    events: list[SessionEvent] = []
    skipped: list[int] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            events.append(EVENT_ADAPTER.validate_json(raw))
        except ValidationError:
            skipped.append(number)
    return events, skipped
