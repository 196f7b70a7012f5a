"""What a streamed chat answer ends with: its tool calls put together from the streamed
fragments, and its usage estimated when the server reports none.

Why a module: both are pure bookkeeping over what the stream delivered, apart from talking to
the server (openai_provider.py).
"""

from __future__ import annotations

from typing import Any

from agent.llm.base import ChatRequest, ToolCall
from agent.llm.context_budget import estimate_tokens, message_tokens, turns_tokens
from agent.session.models import Usage


def add_tool_delta(calls: dict[int, dict[str, Any]], piece: Any) -> None:
    """Fold one streamed `delta.tool_calls[i]` fragment into its call (keyed by index)."""
    index = getattr(piece, "index", None)
    if not isinstance(index, int):
        index = len(calls)
    call = calls.setdefault(index, {"id": "", "name": "", "arguments": []})
    call_id = getattr(piece, "id", None)
    if isinstance(call_id, str) and call_id:
        call["id"] = call_id
    function = getattr(piece, "function", None)
    name = getattr(function, "name", None)
    if isinstance(name, str) and name:
        call["name"] += name if call["name"] != name else ""
    arguments = getattr(function, "arguments", None)
    if isinstance(arguments, str) and arguments:
        call["arguments"].append(arguments)


def assembled_calls(calls: dict[int, dict[str, Any]]) -> tuple[ToolCall, ...]:
    return tuple(
        ToolCall(id=call["id"] or f"call_{index}", name=call["name"],
                 arguments="".join(call["arguments"]))
        for index, call in sorted(calls.items())
    )


def prompt_tokens(request: ChatRequest) -> int:
    return (sum(message_tokens(m.content) for m in request.messages)
            + turns_tokens(request.tool_turns))


def estimated_usage(request: ChatRequest, answer: str) -> Usage:
    """Usage for a server that reports none (llama.cpp ignores include_usage): an estimate,
    marked so the app shows it as one (≈)."""
    return Usage(prompt_tokens=prompt_tokens(request), completion_tokens=estimate_tokens(answer),
                 estimated=True)
