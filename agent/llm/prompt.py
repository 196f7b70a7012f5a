"""The messages sent to the model: one system prompt, then as much recent history as fits.

The system prompt is the persona's own text plus what the side panels show right now — the
workflow phase and role, the checklist status, and the decision-tree branch the talk points
to — so the model answers from the same state the user sees — and the playbook cards chosen
for the question, as reference. Without an active persona it is a short generic prompt (the
cards still come along: they are plain backend knowledge).

Token counts are estimates: ceil(len(text) / 4) plus 4 per message for role framing. That is
close enough for English and code with GPT-style tokenizers, needs no tokenizer download and
costs nothing; the budget should leave headroom below the model's real context size.

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
from agent.persona.models import Persona, Phase
from agent.session.models import ChecklistEntry

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4

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


def estimate_tokens(text: str) -> int:
    """Approximate tokens in text: ceil(len / 4)."""
    return -(-len(text) // CHARS_PER_TOKEN)


def message_tokens(content: str) -> int:
    return estimate_tokens(content) + MESSAGE_OVERHEAD_TOKENS


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


# -- history --------------------------------------------------------------------------------


def trim_history(history: Sequence[MessageLike], budget: int) -> list[ChatMessage]:
    """Newest turns that fit in `budget` tokens, oldest dropped first; newest user kept whole."""
    turns = [ChatMessage(role=m.role, content=m.content) for m in history  # type: ignore[arg-type]
             if m.role in ("user", "assistant") and m.content]
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


def build_messages(
    *,
    persona: Persona | None,
    phase: Phase | None = None,
    checklist: ChecklistInput = None,
    tree_hint: str = "",
    history: Sequence[MessageLike],
    token_budget: int,
    audit_summary: str = "",
    reference: str = "",
) -> list[ChatMessage]:
    """System prompt first, then the trimmed history ending with the newest user message.

    `reference`: the playbook cards for the question, already written out
    (agent.playbook.reference.reference_text).
    """
    system = system_prompt(persona=persona, phase=phase, checklist=checklist, tree_hint=tree_hint,
                           audit_summary=audit_summary, reference=reference)
    remaining = token_budget - message_tokens(system)
    return [ChatMessage(role="system", content=system), *trim_history(history, remaining)]
