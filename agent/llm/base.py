"""The provider interface: an async stream of text chunks, then one final record."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol

from pydantic import ConfigDict, Field

from agent.audit.models import AuditReport
from agent.lazy_model import LazyModel
from agent.persona.models import Persona
from agent.session.models import ChecklistEntry, Usage


class ChatMessage(LazyModel):
    model_config = ConfigDict(frozen=True)
    role: Literal["system", "user", "assistant"]
    content: str


class PromptContext(LazyModel):
    """What the persona panels feed into an answer (the playbook reads it directly)."""

    persona: Persona | None = None  # None when the persona is off
    phase: str = ""
    checklist: dict[str, ChecklistEntry] = Field(default_factory=dict)
    tree_hint: str = ""  # "Real-time -> WebSocket (words: real-time)"
    audit: AuditReport | None = None  # the session's newest project audit (agent.audit)
    # The playbook's cards for this message (agent.playbook.retrieval.Retrieval), found by the
    # Copilot; None lets the offline provider look them up itself. Typed loosely so this module
    # does not import the playbook before the first answer.
    playbook: Any = None


class ChatRequest(LazyModel):
    messages: list[ChatMessage]  # system prompt first, history trimmed, newest user last
    context: PromptContext = Field(default_factory=PromptContext)
    model: str = ""
    temperature: float | None = None
    max_tokens: int | None = None  # the answer's room in the window; sent as max_tokens
    prompt_budget: int | None = None  # tokens the whole prompt may use (tool results cut to it)
    # Function calling (providers that cannot call tools ignore both):
    tools: list[dict[str, Any]] = Field(default_factory=list)  # openai `tools=[...]` entries
    # This answer's tool rounds, in OpenAI message form, sent after `messages`: an assistant
    # message with `tool_calls`, then one {"role": "tool", "tool_call_id", "content"} per call.
    tool_turns: list[dict[str, Any]] = Field(default_factory=list)


ErrorKind = Literal[
    "auth", "not_found", "rate_limit", "server", "connection", "timeout",
    "stream_cut", "bad_response", "config", "cancelled", "other", "overflow", "invalid",
]


class ProviderError(LazyModel):
    model_config = ConfigDict(frozen=True)
    kind: ErrorKind
    message: str  # one line a person can act on; never contains a key
    status: int | None = None
    retryable: bool = False


class StreamChunk(LazyModel):
    model_config = ConfigDict(frozen=True)
    text: str


class ToolCall(LazyModel):
    """One function call the model asked for, assembled from the streamed deltas."""

    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    arguments: str = ""  # JSON text exactly as the model sent it (may be malformed)


class StreamEnd(LazyModel):
    model_config = ConfigDict(frozen=True)
    finish_reason: str = "stop"  # "stop" | "length" | "error" | "cancelled" | "tool_calls"
    usage: Usage | None = None
    error: ProviderError | None = None
    tool_calls: tuple[ToolCall, ...] = ()  # the model wants these run, then to be asked again


class Provider(Protocol):
    name: str  # "offline" | "openai" | "openrouter" | ...
    model: str  # "" for offline

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk | StreamEnd]:
        """Yield chunks, then exactly one StreamEnd. Never raises for provider failures."""
        ...
