"""`/compact`: older turns replaced, in what the model is sent, by a short digest.

Why a digest and not the model's own summary: it is instant, needs no request (so it works
when the conversation no longer fits, which is when it is wanted), and it holds what the side
panels already know for sure — the phase, the decisions, the checklist — plus what the user
asked. The turns stay in the log, the transcript and exports; only the prompt changes.
"""

from __future__ import annotations

from agent.llm.prompt import checklist_groups
from agent.persona.models import Persona
from agent.session.models import Compacted, SessionState, TreeHighlighted

KEEP_RECENT = 2  # the newest exchanges (user + answer) kept word for word
MAX_ASKED = 10  # earlier questions listed
ASKED_CHARS = 120  # of each
MAX_ITEMS = 8  # checklist items per group
MAX_DIGEST = 1800  # characters: a digest must stay small next to the window


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def split_point(state: SessionState) -> tuple[str, int] | None:
    """(id of the last message to replace, how many messages that replaces), or None when
    there is nothing older than the kept exchanges."""
    messages = [m for m in state.messages if m.role in ("user", "assistant")]
    start = 0
    if state.compacted is not None:
        ids = [m.id for m in messages]
        if state.compacted.upto in ids:
            start = ids.index(state.compacted.upto) + 1
    users = [i for i in range(start, len(messages)) if messages[i].role == "user"]
    if len(users) <= KEEP_RECENT:
        return None
    first_kept = users[-KEEP_RECENT]
    return messages[first_kept - 1].id, first_kept - start


def digest(state: SessionState, persona: Persona, upto: str, phase: str = "") -> str:
    """What the replaced turns leave behind: decisions, checklist, phase, what was asked."""
    parts: list[str] = []
    if state.compacted is not None:
        parts.append(f"Earlier: {state.compacted.summary}")
    if phase or state.phase:
        parts.append(f"Workflow phase: {phase or state.phase}.")
    trees = [e for e in state.timeline if isinstance(e, TreeHighlighted)]
    chosen = [e.recommendation for e in trees if e.chosen]
    if chosen:
        parts.append("Decided: " + "; ".join(dict.fromkeys(chosen)) + ".")
    elif trees:
        parts.append(f"The talk pointed to: {trees[-1].recommendation}.")
    if persona.all_checklist_items() and state.checklist:
        groups = checklist_groups(persona, state.checklist)
        for key, label in (("done", "Done"), ("suggested", "Touched on"), ("open", "Still open")):
            if groups[key]:
                parts.append(f"{label}: " + "; ".join(groups[key][:MAX_ITEMS]) + ".")
    asked: list[str] = []
    unanswered: list[str] = []
    messages = state.messages
    ids = [m.id for m in messages]
    previous = state.compacted.upto if state.compacted is not None else ""
    first = ids.index(previous) + 1 if previous in ids else 0
    for i, message in enumerate(messages[first:], start=first):
        if message.role == "user":
            asked.append(_short(message.content, ASKED_CHARS))
            reply = messages[i + 1] if i + 1 < len(messages) else None
            if reply is None or reply.role != "assistant" or reply.status != "complete":
                unanswered.append(_short(message.content, ASKED_CHARS))
        if message.id == upto:
            break
    if asked:
        parts.append("The user asked: " + " | ".join(asked[-MAX_ASKED:]))
    if unanswered:
        parts.append("Still unanswered: " + " | ".join(unanswered[-3:]))
    return _short("\n".join(parts), MAX_DIGEST) if parts else "Nothing decided yet."


def compaction(state: SessionState, persona: Persona, phase: str = "") -> Compacted | None:
    """The event /compact appends, or None when there is nothing to compact."""
    point = split_point(state)
    if point is None:
        return None
    upto, replaced = point
    return Compacted(upto=upto, summary=digest(state, persona, upto, phase), by="offline",
                     replaced=replaced)
