"""What the conversation points to: a decision-tree branch and checklist items it touches.

Both read the persona's cue words (lower-case words/phrases on each tree option and checklist
item) with the same matcher as the keyword engine, so "Real-Time", "real time" and
"notifications" are found on word boundaries with the same inflections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Protocol

from pydantic import ConfigDict

from agent.lazy_model import LazyModel
from agent.persona.models import ChecklistItem, Persona
from keywords import KeywordSet

RECENCY = 0.5  # weight of each older message relative to the next newer one
MAX_TEXTS = 4  # only the last few user messages say where the talk is now


class TreeHint(LazyModel):
    """The decision-tree option the talk points to, with the words that point there."""

    model_config = ConfigDict(frozen=True)
    tree_id: str
    node_id: str
    condition: str  # "Real-time"
    recommendation: str  # "WebSocket"
    use_case: str = ""
    rationale: str = ""
    words: tuple[str, ...] = ()  # the matched words, as written (lower case), newest first
    question: str = ""  # the decision node, e.g. "Data Complexity"
    score: float = 0.0

    def label(self) -> str:
        """One line for prompts and panels: "Real-time -> WebSocket (words: real-time)"."""
        words = f" (words: {', '.join(self.words)})" if self.words else ""
        return f"{self.condition} -> {self.recommendation}{words}"


class Suggestion(LazyModel):
    """A checklist item the text touches, and the words that show it."""

    model_config = ConfigDict(frozen=True)
    item_id: str
    area: str
    text: str
    evidence: list[str]  # matched words as written (lower case), in order of appearance


class HasState(Protocol):
    state: str


@lru_cache(maxsize=1024)
def _cue_set(cues: tuple[str, ...]) -> KeywordSet:
    return KeywordSet(cues)


def _words(cues: tuple[str, ...], text: str) -> list[str]:
    """Distinct cue mentions in text, as written (lower case), in order of appearance."""
    if not cues:
        return []
    return list(dict.fromkeys(m.text.lower() for m in _cue_set(cues).find(text)))


def point_tree(persona: Persona, texts: Sequence[str]) -> TreeHint | None:
    """The option the recent user texts (oldest first, newest last) point to, or None.

    Score per option: for each of the last few messages, the distinct cues it mentions,
    weighted 1 for the newest, 0.5 for the one before, and so on. Ties go to the option the
    newest message supports more, then more distinct words, then file order.
    """
    recent = list(texts)[-MAX_TEXTS:]
    if not recent:
        return None
    weights = [RECENCY ** (len(recent) - 1 - i) for i in range(len(recent))]
    best: tuple[tuple[float, float, int, int], TreeHint] | None = None
    order = 0
    for tree in persona.decision_trees:
        for option in tree.options:
            order += 1
            if not option.cues:
                continue
            cue_set = _cue_set(option.cues)
            found = [cue_set.find(text) for text in recent]
            hits = [len({m.keyword for m in f}) for f in found]
            score = sum(w * h for w, h in zip(weights, hits, strict=True))
            if score <= 0:
                continue
            words = list(dict.fromkeys(m.text.lower() for f in reversed(found) for m in f))
            rank = (score, float(hits[-1]), len(words), -order)
            if best is None or rank > best[0]:
                hint = TreeHint(
                    tree_id=tree.id,
                    node_id=option.node_id,
                    condition=option.condition,
                    recommendation=option.recommendation,
                    use_case=option.use_case,
                    rationale=option.rationale,
                    words=tuple(words),
                    question=tree.question,
                    score=score,
                )
                best = (rank, hint)
    return None if best is None else best[1]


def suggest_checklist(persona: Persona, text: str) -> list[Suggestion]:
    """Checklist items whose cues appear in text, in checklist order."""
    out: list[Suggestion] = []
    for item in persona.all_checklist_items():
        evidence = _words(item.cues, text)
        if evidence:
            out.append(
                Suggestion(item_id=item.id, area=item.area, text=item.text, evidence=evidence)
            )
    return out


def open_items(persona: Persona, checklist_state: Mapping[str, HasState]) -> list[ChecklistItem]:
    """Items not yet done (no entry, "open" or "suggested"), in checklist order."""
    out = []
    for item in persona.all_checklist_items():
        entry = checklist_state.get(item.id)
        if entry is None or entry.state != "done":
            out.append(item)
    return out
