"""The chosen cards as a reference section of a model's system prompt."""

from __future__ import annotations

from collections.abc import Sequence

from agent.playbook.cards import Card

MAX_ITEMS = 6  # per list, so three cards stay a few hundred tokens

INTRO = (
    "Playbook reference: the cards below are this project's guidance on the question. Build on "
    "them where they fit and say so where the question needs something else. End the answer "
    "with one line naming the cards you used: 'Cards used: <title>; <title>'."
)


def _list(name: str, items: Sequence[str]) -> list[str]:
    return [f"{name}:", *(f"- {x}" for x in items[:MAX_ITEMS])] if items else []


def card_reference(card: Card, phase: str = "") -> str:
    lines = [f"### Card: {card.title}"]
    if card.when:
        lines.append(f"When it applies: {card.when}")
    lines += _list("How to do it", card.how)
    lines += _list("Pitfalls", card.pitfalls)
    lines += _list("How to check it", card.check)
    note = card.phase_note(phase) if phase else ""
    if note:
        lines.append(f"In the {phase} phase: {note}")
    return "\n".join(lines)


def reference_text(cards: Sequence[Card], phase: str = "") -> str:
    """'' when there are no cards; else the intro and each card, best first."""
    if not cards:
        return ""
    return "\n\n".join([INTRO, *(card_reference(c, phase) for c in cards)])
