"""With a model connected: the model drafts each document from the conversation and the same
template, and the draft is checked before it is offered. A draft that fails its check (or a
model that fails) falls back to the offline draft, and the reason goes with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from agent.export.deliverables.context import DeliveryContext
from agent.export.deliverables.models import Draft
from agent.llm.base import ChatMessage, ChatRequest, Provider, StreamChunk, StreamEnd
from agent.text import safe_text

Check = Callable[[str, Draft], "str | None"]
CONTEXT_CHARS = 12_000
SYSTEM = (
    "You draft one project document for a backend team. Keep the template's structure, "
    "headings, numbering and format exactly (Markdown stays Markdown, YAML stays YAML). Fill it "
    "in from the conversation; never invent facts it lacks: leave those as open questions. "
    "Reply with the document only: no preface, no closing remarks."
)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})[\w-]*\n(.*)\n\1\s*$", re.DOTALL)


def unfenced(text: str) -> str:
    """The document without a fence wrapped around all of it (models like to add one)."""
    match = _FENCE.match(text)
    return match.group(2) if match else text.strip("\n")


def _conversation(ctx: DeliveryContext) -> str:
    lines = [f"- {' '.join(t.split())}" for t in ctx.user_words]
    text = "\n".join(lines)
    return text[-CONTEXT_CHARS:]


async def _ask(provider: Provider, draft: Draft, ctx: DeliveryContext) -> tuple[str, str | None]:
    user = (f"The user's messages in this session, oldest first:\n{_conversation(ctx)}\n\n"
            f"Draft `{draft.path}` ({draft.title}). The template, filled in from the session "
            f"so far:\n\n{draft.text}")
    request = ChatRequest(messages=[ChatMessage(role="system", content=SYSTEM),
                                    ChatMessage(role="user", content=user)],
                          model=getattr(provider, "model", ""))
    parts: list[str] = []
    end: StreamEnd | None = None
    async for item in provider.stream(request):
        if isinstance(item, StreamChunk):
            parts.append(item.text)
        elif isinstance(item, StreamEnd):
            end = item
    if end is not None and end.error is not None:
        return "", f"the model failed ({end.error.message})"
    text = unfenced(safe_text("".join(parts)))
    if not text.strip():
        return "", "the model sent an empty draft"
    return text + "\n", None


async def model_drafts(provider: Provider, drafts: Sequence[Draft], ctx: DeliveryContext,
                       checks: dict[str, Check]) -> list[Draft]:
    out: list[Draft] = []
    for draft in drafts:
        if draft.kind not in checks:  # stubs (AsyncAPI, .proto): the offline shape only
            out.append(draft)
            continue
        text, problem = await _ask(provider, draft, ctx)
        if problem is None:
            problem = checks[draft.kind](text, draft)
        if problem is None:
            out.append(draft.model_copy(update={"text": text, "source": "model"}))
        else:
            out.append(draft.model_copy(update={
                "fallback": f"used the offline draft: {problem}"}))
    return out
