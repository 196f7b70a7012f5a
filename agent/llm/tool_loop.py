"""The function-calling loop: ask the model, run the tools it calls, send results, repeat.

Why here and not in the provider: running a tool needs the session (every call is recorded),
the permission approver (the TUI's modal or the CLI's prompt) and the project root — things a
provider should not know. The provider only streams one round and reports the calls it saw.

Each round's tool results are cut (oldest first) so the request stays inside the model's
window (`request.prompt_budget`), and the assistant's tool-call turn carries `content: ""`,
never null: llama.cpp's server and other strict ones reject a null content with a 500.

It ends when the model answers without calling a tool, when a round fails, or after
`max_steps` model requests (the agent file's `steps`, else 10) with a clear message.
Cancelling the task stops it at once: a call in flight is recorded as cancelled.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from agent.llm.base import (
    ChatRequest,
    Provider,
    ProviderError,
    StreamChunk,
    StreamEnd,
    ToolCall,
)
from agent.llm.context_budget import fit_tool_turns, json_tokens, message_tokens
from agent.session.journal import Session
from agent.session.models import RESULT_PREVIEW, ToolCallFinished, ToolCallStarted
from agent.tools import Approver, Toolbox
from agent.tools.checkpoints import checkpoint

DEFAULT_STEPS = 10
DENSE_SHARE = 0.75
LoopItem = StreamChunk | ToolCallStarted | ToolCallFinished | StreamEnd


def steps_message(steps: int) -> str:
    return (f"Stopped after {steps} tool steps (the limit from the agent file's `steps`, or "
            f"{DEFAULT_STEPS}); ask again to let it continue.")


async def run_tool_loop(
    provider: Provider,
    request: ChatRequest,
    *,
    session: Session,
    answer_id: str,
    toolbox: Toolbox,
    approver: Approver | None,
    allowed: set[str],
    preapproved: frozenset[str] = frozenset(),
    max_steps: int | None = None,
) -> AsyncIterator[LoopItem]:
    """Yield text chunks and tool-call events (already recorded), then exactly one StreamEnd."""
    steps = max_steps if max_steps and max_steps > 0 else DEFAULT_STEPS
    turns: list[dict[str, Any]] = []
    wrote_text = False
    step = 0
    while True:
        step += 1
        definitions = toolbox.definitions()
        round_request = request.model_copy(update={
            "tools": definitions, "tool_turns": _fitted(request, definitions, turns)})
        end: StreamEnd | None = None
        round_text: list[str] = []
        async for item in provider.stream(round_request):
            if isinstance(item, StreamChunk):
                if not round_text and wrote_text:
                    yield StreamChunk(text="\n\n")  # keep rounds apart in the answer's text
                round_text.append(item.text)
                wrote_text = True
                yield item
            else:
                end = item
        if end is None:
            end = StreamEnd(finish_reason="error", error=ProviderError(
                kind="bad_response", message="The model's answer ended without a final record."))
        if end.error is not None or not end.tool_calls:
            yield end
            return
        if step >= steps:
            yield StreamEnd(finish_reason="error", usage=end.usage, error=ProviderError(
                kind="other", message=steps_message(steps)))
            return
        turns.append(_assistant_turn("".join(round_text), end.tool_calls))
        for call in end.tool_calls:
            spec = toolbox.get(call.name)
            started = ToolCallStarted(
                id=answer_id, call_id=call.id, name=call.name,
                arguments=toolbox.mask(call.arguments),  # recorded: the key never is
                summary=toolbox.mask(toolbox.describe(call.name, call.arguments)),
                server=spec.server if spec is not None else "",
            )
            session.append(started)
            yield started
            saved = checkpoint(session.id, answer_id, toolbox.root, call.name, call.arguments)
            if saved is not None:  # before the change, so /undo can put the file back
                session.append(saved)
            try:
                outcome = await toolbox.run(call.name, call.arguments, approver=approver,
                                            allowed=allowed, preapproved=preapproved)
            except (asyncio.CancelledError, GeneratorExit):
                session.append(ToolCallFinished(
                    id=answer_id, call_id=call.id, status="cancelled",
                    summary=f"{started.summary}: stopped"))
                raise
            finished = ToolCallFinished(
                id=answer_id, call_id=call.id, status=outcome.status, decision=outcome.decision,
                summary=outcome.summary, result=outcome.content[:RESULT_PREVIEW],
            )
            session.append(finished)
            yield finished
            turns.append({"role": "tool", "tool_call_id": call.id, "content": outcome.content})


def _assistant_turn(text: str, calls: tuple[ToolCall, ...]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": text,  # "" rather than None: strict servers refuse a null content
        "tool_calls": [
            {"id": c.id, "type": "function",
             "function": {"name": c.name, "arguments": _valid_json(c.arguments)}}
            for c in calls
        ],
    }


def _fitted(request: ChatRequest, definitions: list[dict[str, Any]],
            turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if request.prompt_budget is None or not turns:
        return list(turns)
    used = sum(message_tokens(m.content) for m in request.messages) + json_tokens(definitions)
    # Tool results are code and data, which tokenize denser than prose (about 3 characters a
    # token, not 4): they get three quarters of the room the prose estimate leaves.
    return fit_tool_turns(turns, max(0, int((request.prompt_budget - used) * DENSE_SHARE)))


def _valid_json(arguments: str) -> str:
    """Malformed argument text is replaced by '{}' in the echoed history (strict servers reject
    it); the tool message still quotes what the model sent."""
    try:
        json.loads(arguments or "{}")
    except ValueError:
        return "{}"
    return arguments or "{}"
