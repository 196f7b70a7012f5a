"""The offline answer's body, built from the 1–3 best cards for the current workflow phase.

Each phase asks something different of the same card: PRD the questions to settle and what
makes it hard; Architecture the decision and its trade-offs; Feature Breakdown the endpoints,
contracts and data model; User Stories the acceptance criteria; Implementation the steps, a
sketch and the checks. A decision-tree branch is shown only when the cards are about that
tree and the message itself points to a branch, never one left over from an earlier message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from agent.persona.insight import TreeHint, point_tree, suggest_checklist
from agent.persona.models import DecisionTree, Persona
from agent.playbook.cards import Card
from agent.playbook.retrieval import Retrieval
from agent.text import safe_text

NO_ENTRY = "No playbook entry for this"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~#!])")
_SPACE = re.compile(r"\s+")

# Phase names (lower case) -> the layout used; other personas' phases get the general one.
PHASE_LAYOUTS = {
    "prd": "prd",
    "architecture": "architecture",
    "feature breakdown": "breakdown",
    "user stories": "stories",
    "implementation": "implementation",
}


class HasState(Protocol):
    state: str


def plain(text: str, limit: int | None = None) -> str:
    """Text as inline Markdown that renders exactly as written: one line, markup escaped."""
    flat = _SPACE.sub(" ", safe_text(text)).strip()
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return _MD_SPECIAL.sub(r"\\\1", flat)


def md(text: str) -> str:
    """Card Markdown as written (cards are Markdown), terminal escapes stripped."""
    return safe_text(text).strip()


def _bullets(items: Sequence[str], numbered: bool = False) -> list[str]:
    return [f"{i}. {md(x)}" if numbered else f"- {md(x)}" for i, x in enumerate(items, 1)]


# -- the tree the question is about ----------------------------------------------------------


def tree_for(
    persona: Persona | None, retrieval: Retrieval
) -> tuple[DecisionTree, TreeHint | None] | None:
    """The tree the cards are about, with the branch the message points to (None: no branch).

    Trees come from the cards (`decides` of any card, then the best card's related trees);
    the branch is looked for in the retrieved message only. With no branch, a tree is still
    returned when the best card decides it, so its options can be listed.
    """
    if persona is None or not retrieval.hits or not retrieval.query:
        return None
    trees = {t.id: t for t in persona.decision_trees}
    wanted = [h.card.decides for h in retrieval.hits if h.card.decides]
    wanted += list(retrieval.hits[0].card.trees)
    for tree_id in dict.fromkeys(wanted):
        tree = trees.get(tree_id)
        if tree is None:
            continue
        only = persona.model_copy(update={"decision_trees": (tree,)})
        hint = point_tree(only, retrieval.query.split("\n"))
        if hint is not None:
            return tree, hint
    top = retrieval.hits[0].card.decides
    return (trees[top], None) if top in trees else None


def _tree_lines(tree: DecisionTree, hint: TreeHint | None, layout: str = "general") -> list[str]:
    """The tree in full; PRD only names the decision ahead, Implementation only the choice."""
    if layout == "prd":
        head = f"**Decision ahead (Architecture settles it):** {plain(tree.question)} — "
        if hint is None:
            return [head + ", ".join(plain(o.recommendation) for o in tree.options)
                    + " — which fits?"]
        others = [plain(o.recommendation) for o in tree.options if o.node_id != hint.node_id]
        return [head + f"your words point to **{plain(hint.recommendation)}** "
                f"({plain(hint.condition)}); the others: {', '.join(others)}."]
    if layout == "implementation" and hint is not None:
        return [f"**Building on:** **{plain(hint.recommendation)}** "
                f"({plain(tree.question)}: {plain(hint.condition)})."]
    lines = [f"### Decision: {plain(tree.title)}"]
    if hint is None:
        lines.append(f"{plain(tree.root)} → *{plain(tree.question)}* — which fits?")
        lines += [
            f"- {plain(o.condition)} → **{plain(o.recommendation)}**"
            + (f": {plain(o.use_case)}" if o.use_case else "")
            for o in tree.options
        ]
        return lines
    lines += [
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
        lines.append("- **Other branches:** " + " · ".join(
            f"{plain(o.condition)} → {plain(o.recommendation)}" for o in others))
    return lines


# -- one card, as the phase needs it ---------------------------------------------------------


def card_lines(card: Card, phase: str, others: Sequence[Card] = ()) -> list[str]:
    """The best card, laid out for `phase` (a phase name; '' or unknown: the general layout)."""
    layout = PHASE_LAYOUTS.get(phase.strip().lower(), "general")
    note = card.phase_note(phase)
    lines = [f"### {plain(card.title)}"]
    if layout == "prd":
        lines += [md(card.when), ""]
        if note:
            lines += [f"**Questions to settle before design:** {md(note)}", ""]
        if card.how:
            lines += [f"**The usual answer, in one line:** {md(card.how[0])}", ""]
        if card.pitfalls:
            lines += ["**What makes it hard (size the work by these):**",
                      *_bullets(card.pitfalls[:2])]
        if others:
            lines += ["", f"**Backend complexity:** this touches {len(others) + 1} playbook "
                      "topics (the others below); size each before committing to a date."]
    elif layout == "architecture":
        if note:
            lines += [f"**The decision to record:** {md(note)}", ""]
        lines += ["**Options and trade-offs:**", *_bullets(card.how)]
        if card.pitfalls:
            lines += ["", "**Risks the design must rule out:**", *_bullets(card.pitfalls)]
    elif layout == "breakdown":
        if note:
            lines += [f"**Endpoints, contracts and data model:** {md(note)}", ""]
        lines += ["**What each piece must do:**", *_bullets(card.how)]
        if card.sketch:
            lines += ["", md(card.sketch)]
    elif layout == "stories":
        if note:
            lines += [f"**For the stories** — {md(note)}", ""]
        if card.check:
            lines += ["**Criteria a tester can verify:**", *_bullets(card.check)]
        if card.pitfalls:
            lines += ["", f"**Non-functional edge to state:** {md(card.pitfalls[0])}"]
    elif layout == "implementation":
        lines += ["**Steps:**", *_bullets(card.how, numbered=True)]
        if card.sketch:
            lines += ["", md(card.sketch)]
        if card.check:
            lines += ["", "**Checks and tests:**", *_bullets(card.check)]
        if note:
            lines += ["", f"**Before merging:** {md(note)}"]
    else:
        lines += [md(card.when), "", "**How to do it:**", *_bullets(card.how)]
        if card.pitfalls:
            lines += ["", "**Pitfalls:**", *_bullets(card.pitfalls)]
        if card.check:
            lines += ["", "**How to check it:**", *_bullets(card.check)]
    return lines


def _also_lines(cards: Sequence[Card], phase: str) -> list[str]:
    if not cards:
        return []
    lines = ["### Also relevant"]
    for card in cards:
        note = card.phase_note(phase) or (card.how[0] if card.how else card.when)
        lines.append(f"- **{plain(card.title)}** — {md(note)}")
    return lines


def _checklist_lines(
    persona: Persona, cards: Sequence[Card], newest: str, states: Mapping[str, HasState]
) -> list[str]:
    wanted = {name.strip().lower() for c in cards for name in c.checklist}
    linked = [i for i in persona.all_checklist_items() if i.text.strip().lower() in wanted]
    touched = [s for s in suggest_checklist(persona, newest)
               if (e := states.get(s.item_id)) is None or e.state != "done"]
    if not linked and not touched:
        return []
    lines = ["### Checklist"]
    if linked:
        def state(item_id: str) -> str:
            entry = states.get(item_id)
            return entry.state if entry is not None else "open"

        lines.append("These cards cover: " + ", ".join(
            f"{plain(i.text)} ({plain(i.area)}, {state(i.id)})" for i in linked) + ".")
    if touched:
        lines.append("Your message touches: " + ", ".join(plain(s.text) for s in touched) + ".")
    return lines


def _phase_lines(persona: Persona, phase_name: str) -> list[str]:
    phase = persona.phase(phase_name) if phase_name else None
    if phase is None:
        return []
    lines = [f"### Phase: {plain(phase.name)} — {plain(phase.role)} role"]
    if phase.contribution:
        lines.append(plain(phase.contribution) + ".")
    return lines


def cards_used_line(retrieval: Retrieval) -> str:
    names = " · ".join(plain(h.card.title) for h in retrieval.hits)
    how = " (with your earlier message: this one alone matched no card)" if (
        retrieval.follow_up) else ""
    return f"*Playbook cards used: {names}{how}.*"


def no_entry_lines(retrieval: Retrieval) -> list[str]:
    nearest = "; ".join(plain(h.card.title) for h in retrieval.nearest)
    tail = f"; nearest: {nearest}." if nearest else "; no card is close."
    return [NO_ENTRY + tail,
            "Ask about a backend topic (an API, data, security, reliability or performance "
            "question), or add your own card to the playbook folder in your config directory."]


def answer_lines(
    retrieval: Retrieval,
    *,
    persona: Persona | None,
    phase: str,
    newest: str,
    checklist: Mapping[str, HasState],
) -> list[str]:
    """The answer body for a retrieval with hits (see `no_entry_lines` for none)."""
    cards = retrieval.cards
    if persona is not None and not phase and persona.phases:
        phase = persona.phases[0].name
    sections = [card_lines(cards[0], phase, cards[1:]), _also_lines(cards[1:], phase)]
    found = tree_for(persona, retrieval)
    if found is not None:
        sections.append(_tree_lines(*found, layout=PHASE_LAYOUTS.get(phase.lower(), "general")))
    if persona is not None:
        sections += [_checklist_lines(persona, cards, newest, checklist),
                     _phase_lines(persona, phase)]
    sections.append([cards_used_line(retrieval)])
    lines: list[str] = []
    for section in sections:
        if section:
            lines += [*section, ""]
    return lines
