"""The messages sent to the model: one system prompt, then as much recent history as fits.

The system prompt is the persona's own text plus what the side panels show right now — the
workflow phase and role, the checklist status, and the decision-tree branch the talk points
to — so the model answers from the same state the user sees — and the playbook cards chosen
for the question, as reference. Without an active persona it is a short generic prompt (the
cards still come along: they are plain backend knowledge).

Token counts are estimates (agent/llm/context_budget.py). When the model's window is known (or
defaulted), a Budget decides what fits: the full persona text only while it takes a modest
share of the window, else a compact prompt (the persona's essentials, phase, open checklist
items, tree branch); further sections (a summary of compacted turns, the project's AGENTS.md,
playbook cards, ...) are passed as `sections`, most important first, and cut to the room left.

Trimming drops the oldest turns first. The system prompt and the newest user message are always
kept, the newest user message whole even when it alone exceeds the budget (nothing the user
typed is silently cut; the server then says the context is too long, an error a person can act
on). The kept history is a contiguous recent window: a long old message is not skipped to fit
older ones. It never starts with an assistant turn, and anything after the newest user message
(e.g. a failed partial answer being retried) is dropped, so the newest user message is last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from agent.llm.base import ChatMessage
from agent.llm.context_budget import (
    CHARS_PER_TOKEN,
    MESSAGE_OVERHEAD_TOKENS,
    Budget,
    estimate_tokens,
    fit_sections,
    message_tokens,
)
from agent.persona.models import Persona, Phase
from agent.session.models import ChecklistEntry

__all__ = ["CHARS_PER_TOKEN", "MESSAGE_OVERHEAD_TOKENS", "estimate_tokens", "message_tokens",
           "build_messages", "system_prompt", "compact_system_prompt", "trim_history"]
COMPACT_OPEN_ITEMS = 8  # open checklist items named in the compact prompt
FULL_SHARE_OF_ROOM = 0.5  # the full persona text only while it leaves half the room to the talk
SYSTEM_SHARE = 0.6  # the system prompt's sections may use at most this share of the prompt room

GENERIC_PROMPT = (
    "You are a helpful assistant for software and backend engineering. Answer clearly and "
    "concisely in Markdown, show code when it helps, and say so when you are unsure."
)


class MessageLike(Protocol):
    @property
    def role(self) -> str: ...

    @property
    def content(self) -> str: ...


ChecklistInput = Mapping[str, ChecklistEntry] | Sequence[str] | None


# -- system prompt sections -----------------------------------------------------------------


def format_phase(phase: Phase | None) -> str:
    """'Current workflow phase: Architecture — your role: Primary — contribution: ...'."""
    if phase is None:
        return ""
    line = f"Current workflow phase: {phase.name} — your role: {phase.role}"
    if phase.contribution:
        line += f" — contribution: {phase.contribution}"
    guidance = ("You lead this phase." if phase.primary
                else "You support the lead in this phase; keep to your contribution.")
    return f"{line}.\n{guidance}"


def checklist_groups(
    persona: Persona, checklist: Mapping[str, ChecklistEntry]
) -> dict[str, list[str]]:
    """Persona checklist items by state: {'done': [...], 'suggested': [...], 'open': [...]}.

    Items are 'Area: text'; items the mapping does not mention are open.
    """
    groups: dict[str, list[str]] = {"done": [], "suggested": [], "open": []}
    for item in persona.all_checklist_items():
        entry = checklist.get(item.id)
        state = entry.state if entry is not None else "open"
        groups[state].append(f"{item.area}: {item.text}" if item.area else item.text)
    return groups


def format_checklist(persona: Persona | None, checklist: ChecklistInput) -> str:
    """The checklist status block; a list of strings is taken as ready-made lines."""
    if checklist is None:
        return ""
    if isinstance(checklist, Sequence) and not isinstance(checklist, str):
        lines = [line for line in checklist if line.strip()]
        return "Checklist status:\n" + "\n".join(f"- {line}" for line in lines) if lines else ""
    if persona is None or not persona.all_checklist_items():
        return ""
    groups = checklist_groups(persona, checklist)
    parts = ["Checklist status:"]
    if groups["done"]:
        parts.append("- Done: " + "; ".join(groups["done"]))
    if groups["suggested"]:
        parts.append("- Touched on in the conversation, not confirmed: "
                     + "; ".join(groups["suggested"]))
    if groups["open"]:
        parts.append("- Still open: " + "; ".join(groups["open"]))
    parts.append("Mention open items that matter for the question; do not repeat done ones.")
    return "\n".join(parts)


def format_tree_hint(tree_hint: str) -> str:
    if not tree_hint.strip():
        return ""
    return (f"Decision tree: the conversation points to {tree_hint.strip()}. "
            "Say whether that branch fits and why, or which one fits better.")


def system_prompt(
    *,
    persona: Persona | None,
    phase: Phase | None = None,
    checklist: ChecklistInput = None,
    tree_hint: str = "",
    audit_summary: str = "",
    reference: str = "",
) -> str:
    """Persona text (or the generic prompt), then phase, checklist, tree, audit and playbook cards."""
    head = persona.prompt.strip() if persona is not None and persona.prompt.strip() else ""
    if not head:
        head = GENERIC_PROMPT
    sections = [head, format_phase(phase), format_checklist(persona, checklist),
                format_tree_hint(tree_hint), audit_summary.strip(), reference.strip()]
    return "\n\n".join(s for s in sections if s)


def compact_system_prompt(
    *,
    persona: Persona | None,
    phase: Phase | None = None,
    checklist: ChecklistInput = None,
    tree_hint: str = "",
) -> str:
    """The essentials for a small window: who the persona is, the phase, what is still open,
    the tree branch — a few hundred characters instead of the persona's whole text."""
    if persona is None:
        return GENERIC_PROMPT
    who = f"You are {persona.title}"
    who += f": {persona.description.strip()}" if persona.description.strip() else "."
    parts = [who.rstrip(".") + ". Answer clearly and concisely in Markdown; say when unsure."]
    if phase is not None:
        parts.append(f"Workflow phase: {phase.name} (your role: {phase.role}).")
    if isinstance(checklist, Mapping) and persona.all_checklist_items():
        still_open = checklist_groups(persona, checklist)["open"][:COMPACT_OPEN_ITEMS]
        if still_open:
            parts.append("Open checklist items: " + "; ".join(still_open) + ".")
    if tree_hint.strip():
        parts.append(f"The conversation points to: {tree_hint.strip()}.")
    return "\n".join(parts)


# -- history --------------------------------------------------------------------------------


def trim_history(history: Sequence[MessageLike], budget: int) -> list[ChatMessage]:
    """Newest turns that fit in `budget` tokens, oldest dropped first; newest user kept whole."""
    turns = _alternating([ChatMessage(role=m.role, content=m.content)  # type: ignore[arg-type]
                          for m in history if m.role in ("user", "assistant") and m.content])
    last_user = next((i for i in range(len(turns) - 1, -1, -1) if turns[i].role == "user"), None)
    if last_user is None:
        return []
    kept = [turns[last_user]]
    used = message_tokens(turns[last_user].content)
    for turn in reversed(turns[:last_user]):
        cost = message_tokens(turn.content)
        if used + cost > budget:
            break
        kept.append(turn)
        used += cost
    kept.reverse()
    while len(kept) > 1 and kept[0].role == "assistant":
        kept.pop(0)
    return kept


def _alternating(turns: list[ChatMessage]) -> list[ChatMessage]:
    """Two user turns in a row (a question asked again after its answer failed) become one:
    strict chat templates reject a repeated role. The same text twice is kept once."""
    out: list[ChatMessage] = []
    for turn in turns:
        if out and out[-1].role == turn.role:
            if turn.content.strip() != out[-1].content.strip():
                turn = ChatMessage(role=turn.role, content=f"{out[-1].content}\n\n{turn.content}")
            out[-1] = turn
            continue
        out.append(turn)
    return out


def build_messages(
    *,
    persona: Persona | None,
    phase: Phase | None = None,
    checklist: ChecklistInput = None,
    tree_hint: str = "",
    history: Sequence[MessageLike],
    token_budget: int,
    budget: Budget | None = None,
    sections: Sequence[str] = (),
    reserved: int = 0,
) -> list[ChatMessage]:
    """System prompt first, then the trimmed history ending with the newest user message.

    `token_budget` caps the history (the user's setting); `budget`, when given, is the model's
    window plan: the system prompt is compacted and `sections` cut to fit it, and `reserved`
    tokens (tool definitions) are kept free.
    """
    system = system_prompt(persona=persona, phase=phase, checklist=checklist, tree_hint=tree_hint)
    if budget is None:
        system = "\n\n".join([system, *(s for s in sections if s)])
        remaining = token_budget - message_tokens(system)
        return [ChatMessage(role="system", content=system), *trim_history(history, remaining)]
    room_for_all = budget.prompt - reserved
    if message_tokens(system) > min(budget.full_prompt_limit, room_for_all * FULL_SHARE_OF_ROOM):
        system = compact_system_prompt(persona=persona, phase=phase, checklist=checklist,
                                       tree_hint=tree_hint)
    # The newest user message is always sent whole, so the sections (project instructions,
    # playbook cards, the audit) get only what is left after it, within their share.
    # (Turns are merged first: a question asked again after a failure joins the earlier one.)
    turns = _alternating([ChatMessage(role=m.role, content=m.content)  # type: ignore[arg-type]
                          for m in history if m.role in ("user", "assistant") and m.content])
    newest_tokens = message_tokens(turns[-1].content) if turns and turns[-1].role == "user" else 0
    room = min(int(room_for_all * SYSTEM_SHARE),
               room_for_all - newest_tokens) - message_tokens(system)
    system = "\n\n".join([system, *fit_sections(sections, room)])
    remaining = min(token_budget, budget.prompt - reserved) - message_tokens(system)
    return [ChatMessage(role="system", content=system), *trim_history(history, remaining)]
