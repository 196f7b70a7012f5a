"""What a message earns on the panels: a decision-tree branch to highlight, checklist items to
suggest, each recorded as a session event.

Two sources: the persona's cue words in the conversation (`note_insights`, at each message while
the persona is on) and the playbook's cards for the newest question (`consult_playbook`, at each
answer). Out of the controller, which only says when; the playbook itself is imported at the
first consultation, never before (the first frame does not pay for reading the cards).
"""

from __future__ import annotations

from agent.persona.insight import point_tree, suggest_checklist
from agent.persona.models import Persona
from agent.session.journal import Session
from agent.session.models import ChecklistChanged, TreeHighlighted


def note_insights(session: Session, persona: Persona, message_id: str) -> None:
    """The branch and the checklist items the last few user messages point to (cue words)."""
    user_texts = [m.content for m in session.state.messages if m.role == "user"][-4:]
    hint = point_tree(persona, user_texts)
    current = session.state.tree
    if hint is not None and (current is None or current.node_id != hint.node_id):
        session.append(
            TreeHighlighted(
                tree_id=hint.tree_id,
                node_id=hint.node_id,
                recommendation=hint.recommendation,
                words=list(hint.words),
                message_id=message_id,
            )
        )
    for suggestion in suggest_checklist(persona, user_texts[-1]):
        entry = session.state.checklist.get(suggestion.item_id)
        if entry is None or entry.state == "open":
            session.append(
                ChecklistChanged(
                    item_id=suggestion.item_id,
                    state="suggested",
                    by="conversation",
                    evidence=", ".join(suggestion.evidence),
                    message_id=message_id,
                )
            )


def consult_playbook(
    session: Session,
    persona: Persona,
    message_id: str = "",
    *,
    problems: list[str],
    noticed: set[str],
):  # -> Retrieval | None
    """The playbook's cards for the newest user message, and what they change on screen.

    Loaded here, at the first answer, never before. A broken card of the user's is one
    notice (once per session: `noticed` holds those already told, `problems` gets each new
    one); the other cards still answer. While the persona is on, the tree the cards are
    about is highlighted when the message points to a branch of it, and the checklist items
    the cards cover are suggested.
    """
    try:
        from agent.playbook.answer import tree_for
        from agent.playbook.store import get_playbook

        playbook, found_problems = get_playbook()
    except Exception as exc:  # a broken install must not stop the answer
        session.notice(f"The playbook could not be loaded ({exc}); answering without it.")
        return None
    for problem in found_problems:
        if problem not in noticed:
            noticed.add(problem)
            problems.append(problem)
            session.notice(problem)
    texts = [m.content for m in session.state.messages if m.role == "user"][-4:]
    retrieval = playbook.retrieve(texts)
    if not session.state.persona_active or not retrieval.hits:
        return retrieval
    found = tree_for(persona, retrieval)
    hint = found[1] if found is not None else None
    current = session.state.tree
    if hint is not None and (
        current is None or (current.tree_id, current.node_id) != (hint.tree_id, hint.node_id)
    ):
        session.append(TreeHighlighted(
            tree_id=hint.tree_id, node_id=hint.node_id, recommendation=hint.recommendation,
            words=list(hint.words), message_id=message_id,
        ))
    covered = {name.strip().lower() for card in retrieval.cards for name in card.checklist}
    for item in persona.all_checklist_items():
        entry = session.state.checklist.get(item.id)
        if item.text.strip().lower() in covered and (entry is None or entry.state == "open"):
            card = next(c for c in retrieval.cards
                        if item.text.strip().lower() in {n.lower() for n in c.checklist})
            session.append(ChecklistChanged(
                item_id=item.id, state="suggested", by="conversation",
                evidence=f"card: {card.title}", message_id=message_id,
            ))
    return retrieval
