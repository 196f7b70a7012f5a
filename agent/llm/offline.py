"""The offline provider: answers from the persona's own knowledge when no model is connected.

It walks the decision tree from what the user wrote, names the checklist items still open,
and gives the current phase's guidance and the standards — all as Markdown, streamed a few
words at a time so it looks and behaves like a model answer (and can be stopped the same way).
User and file text is escaped so it shows as written: nothing in it becomes markup.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

from agent.llm.base import ChatRequest, StreamChunk, StreamEnd
from agent.persona.insight import TreeHint, open_items, point_tree, suggest_checklist
from agent.persona.persona import Persona
from agent.text import safe_text
from keywords.rule import activation_rule

HEADER = "**Offline playbook** — no model connected."
CONNECT_LINE = (
    "Connect a model: set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server) "
    "or run `backend-copilot config`."
)
FALLBACK_KEYWORDS = (
    "api", "database", "service", "backend", "microservice", "authentication", "security",
)
MAX_AREAS = 3
MAX_ITEMS_PER_AREA = 3
MAX_STANDARDS = 3
ECHO_LIMIT = 160

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~#!])")
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"\S+\s*|\s+")
_WORD = re.compile(r"[a-z0-9]+")


def plain(text: str, limit: int | None = None) -> str:
    """Text as inline Markdown that renders exactly as written: one line, markup escaped."""
    flat = _SPACE.sub(" ", safe_text(text)).strip()
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return _MD_SPECIAL.sub(r"\\\1", flat)


def chunk_text(text: str, words: int = 3) -> list[str]:
    """Split text into pieces of a few words each; joined, they give text back exactly."""
    tokens = _TOKEN.findall(text)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]


def _user_texts(request: ChatRequest) -> list[str]:
    return [m.content for m in request.messages if m.role == "user"]


def _tree_section(persona: Persona, hint: TreeHint | None) -> list[str]:
    if not persona.decision_trees:
        return []
    if hint is None:
        tree = persona.decision_trees[0]
        lines = [
            f"### {plain(tree.title)}",
            f"No branch yet. {plain(tree.root)} → *{plain(tree.question)}* — which fits?",
            "",
        ]
        lines += [
            f"- {plain(o.condition)} → **{plain(o.recommendation)}**"
            + (f": {plain(o.use_case)}" if o.use_case else "")
            for o in tree.options
        ]
        return lines
    tree = next(t for t in persona.decision_trees if t.id == hint.tree_id)
    lines = [
        f"### {plain(tree.title)}",
        f"{plain(tree.root)} → *{plain(tree.question)}* → {plain(hint.condition)} → "
        f"**{plain(hint.recommendation)}**",
        "",
        f"- **Recommendation:** {plain(hint.recommendation)}",
    ]
    if hint.use_case:
        lines.append(f"- **Use case:** {plain(hint.use_case)}")
    if hint.rationale:
        lines.append(f"- **Why:** {plain(hint.rationale)}")
    if hint.words:
        lines.append("- **Your words:** " + ", ".join(f"“{plain(w)}”" for w in hint.words))
    others = [o for o in tree.options if o.node_id != hint.node_id]
    if others:
        lines.append(
            "- **Other branches:** "
            + " · ".join(f"{plain(o.condition)} → {plain(o.recommendation)}" for o in others)
        )
    return lines


def _checklist_section(persona: Persona, request: ChatRequest, newest: str) -> list[str]:
    items = open_items(persona, request.context.checklist)
    if not persona.all_checklist_items():
        return []
    if not items:
        return ["### Checklist", "Every checklist item is done."]
    open_ids = {item.id for item in items}
    touched = [s for s in suggest_checklist(persona, newest) if s.item_id in open_ids]
    by_area: dict[str, list[str]] = {}
    for item in items:
        by_area.setdefault(item.area, []).append(item.text)
    # areas the newest message touches come first
    areas = list(dict.fromkeys([*(s.area for s in touched), *by_area]))
    lines = ["### Still open on the checklist"]
    if touched:
        lines.append("Your message touches: " + ", ".join(plain(s.text) for s in touched) + ".")
        lines.append("")
    for area in areas[:MAX_AREAS]:
        texts = by_area[area]
        more = f" (+{len(texts) - MAX_ITEMS_PER_AREA} more)" if len(texts) > MAX_ITEMS_PER_AREA else ""
        lines.append(
            f"- **{plain(area)}**: "
            + ", ".join(plain(t) for t in texts[:MAX_ITEMS_PER_AREA])
            + more
        )
    hidden = sum(len(by_area[a]) for a in areas[MAX_AREAS:])
    if hidden:
        rest = len(areas) - MAX_AREAS
        lines.append(f"- … and {hidden} more in {rest} other area{'s' if rest > 1 else ''}")
    return lines


def _phase_section(persona: Persona, phase_name: str) -> list[str]:
    phase = persona.phase(phase_name) if phase_name else None
    if phase is None and persona.phases:
        phase = persona.phases[0]
    if phase is None:
        return []
    lines = [f"### Phase: {plain(phase.name)} — {plain(phase.role)} role"]
    if phase.contribution:
        lines.append(plain(phase.contribution) + ".")
    return lines


def _standards_section(persona: Persona, talk: str) -> list[str]:
    said = set(_WORD.findall(talk.lower()))
    seen: dict[str, int] = {}
    for index, standard in enumerate(persona.standards):
        seen.setdefault(standard.name.lower(), index)
    chosen = [persona.standards[i] for i in seen.values()]
    chosen.sort(key=lambda s: not (set(_WORD.findall(s.name.lower())) & said))  # stable
    if not chosen:
        return []
    lines = ["### Standards"]
    for standard in chosen[:MAX_STANDARDS]:
        note = f" — {plain(standard.note)}" if standard.note else ""
        lines.append(f"- **{plain(standard.name)}**: {plain(standard.target)}{note}")
    return lines


def compose_answer(request: ChatRequest, idle_keywords: Sequence[str] = FALLBACK_KEYWORDS) -> str:
    """The whole Markdown answer for request (what ``stream`` sends, in pieces)."""
    texts = _user_texts(request)
    newest = texts[-1] if texts else ""
    lines = [HEADER, ""]
    if newest.strip():
        lines += [f"> You wrote: {plain(newest, ECHO_LIMIT)}", ""]
    persona = request.context.persona
    if persona is None:
        words = [w for w in idle_keywords if "`" not in w]
        lines += [
            "No persona is on: nothing here matches a persona's keywords yet.",
            f"{activation_rule(words)} `/persona on` switches it on now.",
        ]
    else:
        for section in (
            _tree_section(persona, point_tree(persona, texts)),
            _checklist_section(persona, request, newest),
            _phase_section(persona, request.context.phase),
            _standards_section(persona, " ".join(texts[-4:])),
        ):
            if section:
                lines += [*section, ""]
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
