"""What the user does on the panels, as session events: move the workflow's phase, choose a
decision-tree branch.

Out of the controller, which hands over its session, workflow and shown persona; the
suggestions a message earns on the same panels are in agent/panel_hints.py.
"""

from __future__ import annotations

from agent.persona.models import Persona
from agent.persona.workflow import Workflow
from agent.session.journal import Session
from agent.session.models import PhaseChanged, TreeHighlighted


def set_phase(session: Session, workflow: Workflow, persona: Persona, target: str) -> str:
    """Move the workflow ('next', 'prev' or a phase name); returns the phase now current.

    Moving on past a phase whose document still lacks something goes on anyway and leaves
    a warning per such phase saying what is missing (`phase_warning`).
    """
    previous = workflow.current_name
    before = workflow.index
    if target == "next":
        workflow.next()
    elif target in ("prev", "previous"):
        workflow.prev()
    else:
        workflow.jump(target)
    if workflow.current_name != previous:
        session.append(
            PhaseChanged(
                phase=workflow.current_name,
                previous=previous,
                role=workflow.current.role if workflow.current else "",
            )
        )
        if workflow.index > before:  # every phase left behind, skipped ones too
            from agent.export.deliverables.deliver import phase_warning

            for left in workflow.phases[max(before, 0) : workflow.index]:
                warning = phase_warning(session.state, persona, left.name)
                if warning:
                    session.notice(warning, level="warning")
    return workflow.current_name


def choose_branch(session: Session, persona: Persona, tree_id: str, node_id: str) -> str:
    """Highlight the branch the user chose (KeyError for an unknown tree); returns the question
    to ask about it."""
    tree = next((t for t in persona.decision_trees if t.id == tree_id), None)
    if tree is None:
        raise KeyError(tree_id)
    option = next(o for o in tree.options if o.node_id == node_id)
    session.append(
        TreeHighlighted(
            tree_id=tree_id,
            node_id=node_id,
            recommendation=option.recommendation,
            words=[option.condition],
            chosen=True,
        )
    )
    return (
        f"{tree.question}: {option.condition}. Should we use {option.recommendation}? "
        f"Walk me through the trade-offs for our case."
    )
