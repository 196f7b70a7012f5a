"""Which document each workflow phase ends in, and which phases a delivery covers."""

from __future__ import annotations

from collections.abc import Sequence

from agent.export.deliverables.models import DocumentKind
from agent.persona.models import Phase
from agent.persona.workflow import Workflow

# A phase's name (lower case) containing the key ends in that document.
_KINDS: tuple[tuple[str, DocumentKind], ...] = (
    ("prd", "prd"), ("requirement", "prd"), ("architect", "adr"), ("design", "adr"),
    ("feature", "openapi"), ("breakdown", "openapi"), ("contract", "openapi"),
    ("stor", "stories"), ("implement", "plan"), ("plan", "plan"),
)
NAMES: dict[DocumentKind, str] = {
    "prd": "backend assessment", "adr": "decision records", "openapi": "API contract",
    "stories": "user stories", "plan": "implementation plan",
}


def kind_for(phase: str) -> DocumentKind | None:
    lowered = phase.lower()
    return next((kind for key, kind in _KINDS if key in lowered), None)


def phases_to_deliver(phases: Sequence[Phase], current: str, named: str | None) -> list[Phase]:
    """The named phase (a unique prefix is enough), else every phase up to the current one.

    Raises WorkflowError for an unknown or ambiguous name, or a persona without phases.
    """
    workflow = Workflow(phases, current=current or None)
    if named:
        return [workflow.jump(named)]
    if workflow.current is None:
        workflow.jump("")  # raises: no phases
    return list(workflow.phases[: workflow.index + 1])
