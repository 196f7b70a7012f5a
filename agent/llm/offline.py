"""The offline provider: answers from the playbook's cards when no model is connected.

The cards that match the newest message (an earlier one only for a follow-up) make the answer,
laid out for the current workflow phase, with the decision-tree branch the message points to,
the checklist items the cards cover and the cards' names. Nothing matches: it says so and
names the nearest cards. Streamed a few words at a time so it looks and behaves like a model
answer (and can be stopped the same way). User text is escaped so it shows as written.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

from agent.llm.base import ChatRequest, StreamChunk, StreamEnd
from keywords.rule import activation_rule

HEADER = "**Offline playbook** — no model connected."
CONNECT_LINE = (
    "Connect a model: set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server) "
    "or run `backend-copilot config`."
)
FALLBACK_KEYWORDS = (
    "api", "database", "service", "backend", "microservice", "authentication", "security",
)
ECHO_LIMIT = 160

_TOKEN = re.compile(r"\S+\s*|\s+")


def chunk_text(text: str, words: int = 3) -> list[str]:
    """Split text into pieces of a few words each; joined, they give text back exactly."""
    tokens = _TOKEN.findall(text)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]


def _user_texts(request: ChatRequest) -> list[str]:
    return [m.content for m in request.messages if m.role == "user"]


def retrieve(texts: Sequence[str]):  # -> agent.playbook.retrieval.Retrieval
    """The playbook's cards for these user texts (oldest first); loads the playbook lazily."""
    from agent.playbook.store import get_playbook

    return get_playbook()[0].retrieve(list(texts)[-4:])


def compose_answer(request: ChatRequest, idle_keywords: Sequence[str] = FALLBACK_KEYWORDS) -> str:
    """The whole Markdown answer for request (what ``stream`` sends, in pieces)."""
    from agent.playbook.answer import answer_lines, no_entry_lines, plain

    texts = _user_texts(request)
    newest = texts[-1] if texts else ""
    lines = [HEADER, ""]
    if newest.strip():
        lines += [f"> You wrote: {plain(newest, ECHO_LIMIT)}", ""]
    context = request.context
    persona = context.persona
    retrieval = context.playbook if context.playbook is not None else retrieve(texts)
    if retrieval.hits:
        lines += answer_lines(retrieval, persona=persona, phase=context.phase, newest=newest,
                              checklist=context.checklist)
        if persona is not None and context.audit is not None:
            from agent.audit.summary import audit_answer_lines

            lines += [*audit_answer_lines(context, persona), ""]
        if persona is None:
            lines += ["No persona is on, so this leaves out a persona's checklist and "
                      "phases; `/persona on` adds them.", ""]
    elif persona is None:
        words = [w for w in idle_keywords if "`" not in w]
        lines += [
            "No persona is on: nothing here matches a persona's keywords yet.",
            f"{activation_rule(words)} `/persona on` switches it on now.",
        ]
    else:
        lines += no_entry_lines(retrieval)
    lines += ["", CONNECT_LINE]
    return "\n".join(lines).replace("\n\n\n", "\n\n")


class PlaybookProvider:
    """Provider with no model: streams ``compose_answer`` a few words at a time."""

    def __init__(
        self,
        name: str = "offline",
        model: str = "",
        delay: float = 0.01,
        words_per_chunk: int = 3,
        idle_keywords: Sequence[str] | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.delay = delay  # seconds between chunks, so the UI visibly streams; 0 in tests
        self.words_per_chunk = words_per_chunk
        self._idle_keywords = tuple(idle_keywords) if idle_keywords is not None else None

    def idle_keywords(self) -> tuple[str, ...]:
        """Keywords named when the persona is idle: the bundled persona's, else the seed's."""
        if self._idle_keywords is None:
            try:
                from agent.persona.persona import load_persona

                self._idle_keywords = load_persona().keywords or FALLBACK_KEYWORDS
            except Exception:  # a broken bundled file must not break the offline answer
                self._idle_keywords = FALLBACK_KEYWORDS
        return self._idle_keywords

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk | StreamEnd]:
        """Chunks of the answer, then one StreamEnd. Cancellation propagates as usual."""
        keywords = self.idle_keywords() if request.context.persona is None else ()
        text = compose_answer(request, keywords or FALLBACK_KEYWORDS)
        for piece in chunk_text(text, self.words_per_chunk):
            yield StreamChunk(text=piece)
            await asyncio.sleep(self.delay)
        yield StreamEnd(finish_reason="stop")
