"""Session events: the append-only log's line types and the state folded from them.

Each event is one JSON line. The Session is the single source of truth: the TUI, the CLI
and exports read the folded SessionState; nothing else holds conversation state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, PrivateAttr

from agent.audit.models import AuditReport, ProbeResult
from agent.lazy_model import LazyModel


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Usage(LazyModel):
    model_config = ConfigDict(frozen=True)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    estimated: bool = False  # the server sent no usage; these are the app's estimates (≈)


CUT_AT_LENGTH = "cut at the length limit"


def usage_line(usage: Usage) -> str:
    """'tokens: 11 in · 7 out' (a '?' for a count the server did not send; counts the app
    estimated because the server sent none read '≈11 in · ≈7 out')."""
    mark = "≈" if usage.estimated else ""

    def count(value: int | None) -> str:
        return "?" if value is None else f"{mark}{value}"

    return f"tokens: {count(usage.prompt_tokens)} in · {count(usage.completion_tokens)} out"


MessageStatus = Literal["complete", "streaming", "stopped", "interrupted", "error"]


class SessionStarted(LazyModel):
    type: Literal["session"] = "session"
    ts: str = Field(default_factory=now_iso)
    id: str
    title: str = ""
    persona: str = ""  # persona name
    version: int = 1


class MessageAdded(LazyModel):
    """A whole message (user, or assistant when not streamed)."""

    type: Literal["message"] = "message"
    ts: str = Field(default_factory=now_iso)
    id: str
    role: Literal["user", "assistant", "system"]
    content: str
    persona_active: bool = False
    phase: str = ""
    status: MessageStatus = "complete"


class AnswerStarted(LazyModel):
    type: Literal["answer_start"] = "answer_start"
    ts: str = Field(default_factory=now_iso)
    id: str
    provider: str = ""
    model: str = ""
    persona_active: bool = False
    phase: str = ""
    persona: str = ""  # the persona that answers ("" while none is on)


class AnswerDelta(LazyModel):
    """Text appended to a streaming answer; flushed at least every 250 ms while streaming."""

    type: Literal["answer_delta"] = "answer_delta"
    ts: str = Field(default_factory=now_iso)
    id: str
    text: str


class AnswerFinished(LazyModel):
    type: Literal["answer_end"] = "answer_end"
    ts: str = Field(default_factory=now_iso)
    id: str
    status: MessageStatus = "complete"
    usage: Usage | None = None
    error: str | None = None  # a message a person can act on (never a key)
    cut_at_length: bool = False  # the server stopped it at max_tokens (finish_reason "length")


class ActivationChanged(LazyModel):
    type: Literal["activation"] = "activation"
    ts: str = Field(default_factory=now_iso)
    persona: str
    active: bool
    pinned: bool = False  # user pinned (on or off) rather than automatic
    mode: Literal["auto", "on", "off"] = "auto"
    reason: str = ""  # "matched api, authentication (score 2.0 >= 1.0)"
    matches: list[str] = Field(default_factory=list)
    previous: str = ""  # on a handover: the persona that was on before
    runner_up: str = ""  # the next best persona when this was decided
    scores: dict[str, float] = Field(default_factory=dict)  # every persona's score then


class PhaseChanged(LazyModel):
    type: Literal["phase"] = "phase"
    ts: str = Field(default_factory=now_iso)
    phase: str
    previous: str = ""
    role: str = ""


ChecklistState = Literal["done", "suggested", "open"]


class ChecklistChanged(LazyModel):
    type: Literal["checklist"] = "checklist"
    ts: str = Field(default_factory=now_iso)
    item_id: str
    state: ChecklistState
    by: Literal["user", "conversation"] = "user"
    evidence: str = ""  # the words that suggested it
    message_id: str = ""  # the message they came from


class TreeHighlighted(LazyModel):
    type: Literal["tree"] = "tree"
    ts: str = Field(default_factory=now_iso)
    tree_id: str
    node_id: str
    recommendation: str
    words: list[str] = Field(default_factory=list)
    message_id: str = ""
    chosen: bool = False  # True when the user chose the branch


class PlaybookCard(LazyModel):
    """A playbook card as an answer refers to it."""

    model_config = ConfigDict(frozen=True)
    id: str
    title: str
    score: float = 0.0


class CardsUsed(LazyModel):
    """The playbook cards answer `id` drew on (offline) or was given as reference (a model)."""

    type: Literal["cards"] = "cards"
    ts: str = Field(default_factory=now_iso)
    id: str  # the answer's message id
    cards: list[PlaybookCard] = Field(default_factory=list)
    nearest: list[PlaybookCard] = Field(default_factory=list)  # when no card was good enough
    follow_up: bool = False  # found with the earlier message: the newest alone matched none


class Notice(LazyModel):
    """Something the user should see in the transcript (export written, error, ...)."""

    type: Literal["notice"] = "notice"
    ts: str = Field(default_factory=now_iso)
    level: Literal["info", "warning", "error"] = "info"
    text: str


class TitleChanged(LazyModel):
    """The user renamed the session (the default title comes from the first user message)."""

    type: Literal["title"] = "title"
    ts: str = Field(default_factory=now_iso)
    title: str


class Compacted(LazyModel):
    """`/compact`: from now on the model is sent `summary` instead of the messages up to and
    including `upto` (they stay in the log, the transcript and exports)."""

    type: Literal["compact"] = "compact"
    ts: str = Field(default_factory=now_iso)
    upto: str  # id of the last message the summary replaces
    summary: str
    by: Literal["model", "offline"] = "offline"  # who wrote the summary
    replaced: int = 0  # how many messages it stands for


class FileCheckpoint(LazyModel):
    """Before an edit/write in answer `id`: the file's bytes were kept (blob: their sha256 in
    the checkpoint folder), or it did not exist. What /undo puts back."""

    type: Literal["checkpoint"] = "checkpoint"
    ts: str = Field(default_factory=now_iso)
    id: str  # the answer whose tool call changed the file
    path: str  # relative to the project root
    existed: bool
    blob: str = ""


class UndoDone(LazyModel):
    """/undo restored the files answer `id` changed."""

    type: Literal["undo"] = "undo"
    ts: str = Field(default_factory=now_iso)
    id: str
    files: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)


ToolCallStatus = Literal["running", "ok", "error", "denied", "cancelled"]
ToolDecision = Literal["", "auto", "once", "session", "remembered", "agent file", "deny"]


class ToolCallStarted(LazyModel):
    """The model called a tool during answer `id` (before any permission is asked)."""

    type: Literal["tool_start"] = "tool_start"
    ts: str = Field(default_factory=now_iso)
    id: str  # the assistant answer's message id
    call_id: str  # the model's tool-call id
    name: str  # "read", or "<server>_<tool>" for MCP tools
    arguments: str = ""  # the JSON text as the model sent it (may be malformed)
    summary: str = ""  # "read notes.txt"
    server: str = ""  # the MCP server, "" for built-in tools


class ToolCallFinished(LazyModel):
    type: Literal["tool_end"] = "tool_end"
    ts: str = Field(default_factory=now_iso)
    id: str
    call_id: str
    status: Literal["ok", "error", "denied", "cancelled"]
    decision: ToolDecision = ""  # how permission went: auto (no asking needed), once, ...
    summary: str = ""  # "read notes.txt, 12 lines"
    result: str = ""  # the start of what the model received (cut to RESULT_PREVIEW chars)


RESULT_PREVIEW = 2000


class ResourceAdded(LazyModel):
    """The user named an API resource by hand (/resource NAME [OPERATIONS])."""

    type: Literal["resource"] = "resource"
    ts: str = Field(default_factory=now_iso)
    name: str
    operations: list[str] = Field(default_factory=list)  # list/create/get/update/delete; [] = all


class DeliveredFile(LazyModel):
    path: str  # relative to the project root
    kind: str  # prd | adr | openapi | asyncapi | proto | stories | plan
    phase: str
    status: Literal["created", "updated", "unchanged", "denied", "failed"]
    source: Literal["offline", "model"] = "offline"
    note: str = ""


class DeliverablesWritten(LazyModel):
    """A `deliver` run: which phase documents went where (denied and failed ones too)."""

    type: Literal["deliverables"] = "deliverables"
    ts: str = Field(default_factory=now_iso)
    root: str
    phases: list[str] = Field(default_factory=list)
    files: list[DeliveredFile] = Field(default_factory=list)


class AuditRecorded(LazyModel):
    """The project audit ran (/audit): every item judged with evidence, and the findings.
    A later one replaces it."""

    type: Literal["audit"] = "audit"
    ts: str = Field(default_factory=now_iso)
    root: str = ""  # the folder audited, as shown to the user
    report: AuditReport


class ProbeRecorded(LazyModel):
    """An endpoint's latency was measured (/probe): it decides the API Response standard."""

    type: Literal["probe"] = "probe"
    ts: str = Field(default_factory=now_iso)
    result: ProbeResult


SessionEvent = Annotated[
    SessionStarted
    | TitleChanged
    | MessageAdded
    | AnswerStarted
    | AnswerDelta
    | AnswerFinished
    | ActivationChanged
    | PhaseChanged
    | ChecklistChanged
    | TreeHighlighted
    | CardsUsed
    | Notice
    | ToolCallStarted
    | ToolCallFinished
    | ResourceAdded
    | DeliverablesWritten
    | AuditRecorded
    | ProbeRecorded
    | Compacted
    | FileCheckpoint
    | UndoDone,
    Field(discriminator="type"),
]


class ToolCallRecord(LazyModel):
    """One tool call as folded into its answer message."""

    call_id: str
    name: str
    arguments: str = ""
    summary: str = ""
    server: str = ""
    ts: str = ""
    offset: int = 0  # len(message.content) when the call was made: where it sits in the text
    status: ToolCallStatus = "running"
    decision: ToolDecision = ""
    result: str = ""


class Message(LazyModel):
    """A message as folded from events."""

    id: str
    role: Literal["user", "assistant", "system"]
    content: str
    ts: str
    persona_active: bool = False
    phase: str = ""
    status: MessageStatus = "complete"
    provider: str = ""
    model: str = ""
    persona: str = ""  # answers: the persona that answered ("" while none was on)
    usage: Usage | None = None
    error: str | None = None
    cut_at_length: bool = False
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    cards: list[PlaybookCard] = Field(default_factory=list)  # answers: the playbook cards used


class ChecklistEntry(LazyModel):
    state: ChecklistState = "open"
    by: Literal["user", "conversation"] = "user"
    evidence: str = ""
    message_id: str = ""


class SessionState(LazyModel):
    """Everything the app shows, folded from the log."""

    id: str
    title: str = ""
    persona: str = ""
    created: str = ""
    updated: str = ""
    messages: list[Message] = Field(default_factory=list)
    timeline: list[ActivationChanged | PhaseChanged | ChecklistChanged | TreeHighlighted | Notice
                   | Compacted] = Field(default_factory=list)
    persona_active: bool = False
    persona_mode: Literal["auto", "on", "off"] = "auto"
    phase: str = ""
    checklist: dict[str, ChecklistEntry] = Field(default_factory=dict)
    tree: TreeHighlighted | None = None
    resources: list[ResourceAdded] = Field(default_factory=list)  # named by hand
    deliverables: list[DeliverablesWritten] = Field(default_factory=list)  # every deliver run
    audit: AuditReport | None = None  # the newest audit, with any probe applied
    audit_root: str = ""
    audit_ts: str = ""
    probe: ProbeResult | None = None
    compacted: Compacted | None = None  # the latest /compact: what the model sees instead
    checkpoints: list[FileCheckpoint] = Field(default_factory=list)  # before each edit/write
    undone: list[UndoDone] = Field(default_factory=list)
    skipped_lines: list[int] = Field(default_factory=list)  # torn/invalid lines skipped on load
    # The default title came from a message that switched a persona on (it stays then).
    _title_from_persona: bool = PrivateAttr(default=False)

    @property
    def title_from_persona(self) -> bool:
        return self._title_from_persona

    @title_from_persona.setter
    def title_from_persona(self, value: bool) -> None:
        self._title_from_persona = value

    @classmethod
    def empty(cls, session_id: str) -> SessionState:
        """A new session's state, before any event is folded in. Built without validation
        (there is nothing to validate): validating it would build the schema of every model
        a state can hold, about 10 ms on the first screen, for a state that is never
        validated again (events are folded into it by assignment)."""
        return cls.model_construct(id=session_id)
