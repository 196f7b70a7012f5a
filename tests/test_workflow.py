"""Workflow navigation as the /phase command and the phase panel use it."""

from __future__ import annotations

import pytest

from agent.persona.models import Phase
from agent.persona.workflow import Workflow, WorkflowError

PHASES = [
    Phase(name="PRD", role="Supporting"),
    Phase(name="Architecture", role="Primary"),
    Phase(name="Feature Breakdown", role="Primary"),
    Phase(name="User Stories", role="Supporting"),
    Phase(name="Implementation", role="Supporting"),
]


def test_starts_at_first_phase() -> None:
    flow = Workflow(PHASES)
    assert flow.current_name == "PRD"
    assert flow.index == 0
    assert flow.role == "Supporting"


def test_starts_at_given_phase_and_falls_back_when_unknown() -> None:
    assert Workflow(PHASES, current="User Stories").index == 3
    assert Workflow(PHASES, current="Removed Phase").current_name == "PRD"


def test_next_and_prev_are_clamped() -> None:
    flow = Workflow(PHASES)
    assert flow.prev() is None and flow.index == 0
    names = [flow.next().name for _ in range(4)]  # type: ignore[union-attr]
    assert names == ["Architecture", "Feature Breakdown", "User Stories", "Implementation"]
    assert flow.next() is None
    assert flow.current_name == "Implementation"
    assert flow.prev() == PHASES[3]


def test_jump_is_case_insensitive_and_accepts_prefixes() -> None:
    flow = Workflow(PHASES)
    assert flow.jump("arch").name == "Architecture"
    assert flow.role == "Primary"
    assert flow.jump("user stories").name == "User Stories"
    assert flow.jump("  FEATURE   breakdown ").name == "Feature Breakdown"
    assert flow.jump("prd").name == "PRD"


def test_unknown_phase_lists_valid_names() -> None:
    flow = Workflow(PHASES, current="Architecture")
    with pytest.raises(WorkflowError) as excinfo:
        flow.jump("deploy")
    message = str(excinfo.value)
    assert "deploy" in message
    assert "PRD, Architecture, Feature Breakdown, User Stories, Implementation" in message
    assert flow.current_name == "Architecture"  # a failed jump does not move


def test_ambiguous_prefix_is_an_error() -> None:
    flow = Workflow([Phase(name="Design", role="Primary"), Phase(name="Deploy", role="Supporting")])
    with pytest.raises(WorkflowError, match="ambiguous"):
        flow.jump("de")
    assert flow.jump("dep").name == "Deploy"


def test_phase_event_records_the_move() -> None:
    flow = Workflow(PHASES)
    before = flow.current
    flow.next()
    event = flow.phase_event(before)
    assert (event.phase, event.previous, event.role) == ("Architecture", "PRD", "Primary")
    assert flow.phase_event("PRD").previous == "PRD"


def test_no_phases() -> None:
    flow = Workflow([])
    assert flow.current is None and flow.current_name == "" and flow.index == -1
    assert flow.next() is None and flow.prev() is None
    with pytest.raises(WorkflowError, match="no workflow phases"):
        flow.jump("arch")
