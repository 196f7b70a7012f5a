"""The JSON export of a session and its import: the events that fold back into the state,
so an exported session can be re-imported.

Why a module: writing the events (merged by time) and reading them back (validated, with an
ExportError naming what is wrong) are the two halves of one file format.
"""

from __future__ import annotations

import json
import re

from pydantic import ValidationError

from agent.errors import ExportError
from agent.export.session_parts import segments
from agent.session.fold import EVENT_ADAPTER
from agent.session.models import (
    AnswerDelta,
    AnswerFinished,
    AnswerStarted,
    AuditRecorded,
    CardsUsed,
    Message,
    MessageAdded,
    ProbeRecorded,
    SessionEvent,
    SessionStarted,
    SessionState,
    TitleChanged,
    ToolCallFinished,
    ToolCallStarted,
)

JSON_FORMAT = "backend-copilot-session"
JSON_VERSION = 1

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


def to_json(state: SessionState) -> str:
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
