"""How much of the model's context window each part of a request may use.

Why a module of its own: the system prompt grows from several places (the persona, the panels'
state, playbook cards, an audit summary, the project's AGENTS.md), and all of them, the tool
definitions, this answer's tool results and the history must fit in one window with room left
for the answer. Every part asks this module what it may spend, so a part added later is
budgeted like the rest instead of silently pushing the request past the window.

Token counts are estimates: ceil(len(text) / 4) plus 4 per message for role framing. Close
enough for English and code with GPT-style and SmolLM-style tokenizers, no tokenizer download,
no cost. SAFETY keeps a tenth of the window unclaimed for the estimate's error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ConfigDict

from agent.lazy_model import LazyModel

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4
SAFETY = 0.10  # share of the window never planned for (estimation error, template tokens)
DEFAULT_MAX_TOKENS = 1024  # the answer's room when no setting says otherwise
MIN_ANSWER_TOKENS = 128
ANSWER_SHARE = 0.25  # the answer's room is at most this share of a small window
# Used when neither the user nor the server says how big the window is. Local servers
# (llama.cpp, Ollama, LM Studio) start at 2,048-4,096; hosted models are far larger.
DEFAULT_LOCAL_WINDOW = 4096
DEFAULT_HOSTED_WINDOW = 32768
FULL_PROMPT_SHARE = 0.40  # the full persona text is used while it takes at most this share
TOOLS_SHARE = 0.30  # tool definitions are offered while they take at most this share
CUT_NOTE = "\n[… cut to fit the model's context window]"
# How every overflow message starts: front ends offer /compact, not a retry, after it.
OVERFLOW_PREFIX = "The conversation no longer fits the model's"


def estimate_tokens(text: str) -> int:
    """Approximate tokens in text: ceil(len / 4)."""
    return -(-len(text) // CHARS_PER_TOKEN)


def message_tokens(content: str) -> int:
    return estimate_tokens(content) + MESSAGE_OVERHEAD_TOKENS


def json_tokens(value: Any) -> int:
    """Tokens of a JSON-shaped part of the request (tool definitions, tool-call turns)."""
    if not value:
        return 0
    return estimate_tokens(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def turns_tokens(turns: Iterable[dict[str, Any]]) -> int:
    """Tokens of OpenAI-shaped messages (content plus any tool calls)."""
    total = 0
    for turn in turns:
        content = turn.get("content")
        total += message_tokens(content if isinstance(content, str) else "")
        total += json_tokens(turn.get("tool_calls"))
    return total


def is_local(base_url: str | None) -> bool:
    host = (base_url or "").lower()
    return any(h in host for h in ("://localhost", "://127.", "://[::1]", "://0.0.0.0"))


def default_window(base_url: str | None) -> int:
    return DEFAULT_LOCAL_WINDOW if is_local(base_url) else DEFAULT_HOSTED_WINDOW


class Budget(LazyModel):
    """The plan for one request: the window, the answer's room, what is left for the rest."""

    model_config = ConfigDict(frozen=True)
    window: int
    answer: int  # max_tokens sent: the room kept for the answer
    source: str = "default"  # "server", "setting", "learned from an error", "default"

    @property
    def prompt(self) -> int:
        """Tokens the whole prompt (system, tools, history, tool results) may use."""
        return max(0, int(self.window * (1 - SAFETY)) - self.answer)

    @property
    def full_prompt_limit(self) -> int:
        return int(self.window * FULL_PROMPT_SHARE)

    @property
    def tools_limit(self) -> int:
        return int(self.window * TOOLS_SHARE)


def plan(window: int, max_tokens: int | None = None, source: str = "default") -> Budget:
    """The budget for a window: the answer's room is max_tokens, capped to a share of a small
    window so a 2,048-token server still has room for the question."""
    wanted = max_tokens if max_tokens and max_tokens > 0 else DEFAULT_MAX_TOKENS
    cap = max(MIN_ANSWER_TOKENS, int(window * ANSWER_SHARE))
    return Budget(window=window, answer=max(1, min(wanted, cap)), source=source)


def fit_text(text: str, tokens: int) -> str:
    """Text cut to about `tokens` tokens, with a note saying it was cut."""
    if estimate_tokens(text) <= tokens:
        return text
    keep = max(0, tokens * CHARS_PER_TOKEN - len(CUT_NOTE))
    return text[:keep].rstrip() + CUT_NOTE


def fit_sections(sections: Sequence[str], tokens: int) -> list[str]:
    """The sections (most important first) that fit in `tokens`; the first one that does not
    fit whole is cut to the room left, the rest are dropped. Empty sections are skipped."""
    kept: list[str] = []
    left = tokens
    for section in sections:
        if not section:
            continue
        cost = estimate_tokens(section) + 1
        if cost <= left:
            kept.append(section)
            left -= cost
            continue
        if left > 40:  # a stub of a few words helps nobody
            kept.append(fit_text(section, left - 1))
        break
    return kept


def fit_tool_turns(turns: list[dict[str, Any]], tokens: int) -> list[dict[str, Any]]:
    """This answer's tool rounds, with tool results cut (oldest first) until all fit.

    The calls themselves stay (a server rejects a tool message without its call); only the
    result text shrinks, and it says so.
    """
    over = turns_tokens(turns) - tokens
    if over <= 0:
        return turns
    out = [dict(t) for t in turns]
    for turn in out:
        if over <= 0:
            break
        if turn.get("role") != "tool":
            continue
        content = str(turn.get("content") or "")
        have = estimate_tokens(content)
        keep = max(0, have - over)
        turn["content"] = fit_text(content, keep) if keep else CUT_NOTE.strip()
        over -= have - estimate_tokens(turn["content"])
    return out
