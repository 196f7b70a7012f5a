"""The persona library: every agent file the user has, auto-switching between them, pinning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.copilot import Copilot
from agent.persona.library import PersonaLibrary
from agent.session.models import ActivationChanged

LIBRARY = Path(__file__).parent / "fixtures" / "library"
API_TALK = "We need to design the REST API for orders, with authentication."
DEPLOY_TALK = "Now plan the deployment: a kubernetes rollout with a rollback plan."


def _project(root: Path, *names: str) -> Path:
    folder = root / ".opencode" / "agent"
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(LIBRARY / f"{name}.md", folder / f"{name}.md")
    return folder


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with three agent files in ./.opencode/agent/, as the working directory."""
    _project(tmp_path, "devops", "frontend", "docs-writer")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _start(**options) -> Copilot:
    return Copilot.start(cli={"provider": "offline", "stream_delay": 0}, **options)


def _activations(copilot: Copilot) -> list[ActivationChanged]:
    return [e for e in copilot.state.timeline if isinstance(e, ActivationChanged)]


async def _say(copilot: Copilot, text: str) -> None:
    async for _ in copilot.ask(text):
        pass


async def test_the_talk_moves_from_api_design_to_deployment_and_the_persona_follows(project):
    copilot = _start()
    assert copilot.library.names == ["backend", "devops", "docs-writer", "frontend"]

    await _say(copilot, API_TALK)
    assert copilot.persona.name == "backend" and copilot.persona_active
    assert copilot.workflow.current_name == "PRD"

    await _say(copilot, DEPLOY_TALK)
    handover = _activations(copilot)[-1]
    assert (handover.persona, handover.previous, handover.active) == ("devops", "backend", True)
    assert {"deployment", "kubernetes", "rollback"} <= set(handover.matches)
    assert "took over from backend" in handover.reason and "runner-up" in handover.reason
    assert handover.scores["devops"] > handover.scores["backend"] > 0
    # the panels follow: devops' own phases, tree and checklist
    assert copilot.persona.name == "devops" and copilot.state.persona == "devops"
    assert copilot.workflow.current_name == "Plan"
    assert copilot.state.tree is not None
    assert copilot.state.tree.tree_id == "deployment-strategy-decision-tree"
    # the answer is the devops persona's, not the backend one's, and says so
    assert copilot.build_request().context.persona.name == "devops"
    answers = [m.persona for m in copilot.state.messages if m.role == "assistant"]
    assert answers == ["backend", "devops"]


async def test_a_resumed_session_comes_back_with_the_persona_that_was_on(project):
    copilot = _start()
    await _say(copilot, API_TALK)
    await _say(copilot, DEPLOY_TALK)
    session_id = copilot.state.id
    copilot.session.close()

    again = _start(resume=session_id, discover=False)  # its persona is in a discovered file
    assert again.persona.name == "devops" and again.persona_active
    assert again.workflow.current_name == "Plan"
    before = len(_activations(again))
    await _say(again, "and the pipeline should gate on monitoring alerts")
    assert len(_activations(again)) == before  # still devops: no spurious switch


def test_a_broken_file_is_one_problem_line_and_the_rest_still_work(project):
    shutil.copy(LIBRARY / "broken.md", project / ".opencode" / "agent" / "broken.md")
    copilot = _start()
    broken = [p for p in copilot.problems if "broken.md" in p]
    assert len(broken) == 1 and "\n" not in broken[0]
    assert broken[0].startswith(str(project / ".opencode" / "agent" / "broken.md") + ":4:")
    assert "devops" in copilot.library.names and "broken" not in copilot.library.names


def test_discovery_waits_for_load_library(project):
    copilot = _start(discover=False)
    assert copilot.library.names == ["backend"]
    assert copilot.load_library() == []
    assert copilot.library.names == ["backend", "devops", "docs-writer", "frontend"]
    assert copilot.load_library() == []  # a second call does nothing


async def test_ties_go_to_the_earlier_persona_every_time(tmp_path, monkeypatch):
    # devops and frontend both score "performance" + one word of their own: 2.0 each.
    tie = "The browser and the pipeline both need performance work."
    for attempt in range(3):
        root = tmp_path / str(attempt)
        # copy in a different order each time: discovery sorts, so the outcome cannot change
        names = ["frontend", "devops"] if attempt % 2 else ["devops", "frontend"]
        _project(root, *names)
        monkeypatch.chdir(root)
        copilot = _start()
        await _say(copilot, tie)
        last = _activations(copilot)[-1]
        assert last.scores["devops"] == last.scores["frontend"] == 2.0
        assert (last.persona, last.runner_up) == ("devops", "frontend")
        copilot.session.close()


def test_persona_list_shows_everyone_with_keywords_and_scores(project):
    copilot = _start()
    copilot._record_user_message(DEPLOY_TALK)
    result = copilot.run_command("/persona list")
    assert result.ok and result.action == "persona_list"
    rows = dict(result.help_lines)
    assert set(rows) == {"backend · default", "devops · on", "docs-writer", "frontend"}
    assert "score 3" in rows["devops · on"] and "kubernetes" in rows["devops · on"]
    assert "no keywords" in rows["docs-writer"]
    info = {i.name: i for i in copilot.persona_overview()}
    assert info["devops"].active and info["devops"].score == 3.0
    assert (info["docs-writer"].phases, info["docs-writer"].trees) == (0, 0)


def test_persona_name_pins_it_and_auto_unpins(project):
    copilot = _start()
    result = copilot.run_command("/persona docs-writer")
    assert result.ok, result.message
    assert copilot.persona.name == "docs-writer"
    assert (copilot.state.persona_active, copilot.state.persona_mode) == (True, "on")
    # a persona with no tables: nothing to show, nothing to move through
    assert copilot.persona.phases == () and copilot.persona.decision_trees == ()
    assert copilot.workflow.current is None
    assert not copilot.run_command("/phase next").ok
    # pinned: deployment talk does not take it away
    copilot._record_user_message(DEPLOY_TALK)
    assert copilot.persona.name == "docs-writer"
    copilot.run_command("/persona auto")
    assert copilot.state.persona_mode == "auto"
    copilot._record_user_message(DEPLOY_TALK)
    assert copilot.persona.name == "devops"
    assert not copilot.run_command("/persona nobody").ok
    assert "/persona devops" in copilot.command_names()


def test_a_user_file_with_the_bundled_name_replaces_it(tmp_path, monkeypatch):
    folder = _project(tmp_path)
    text = (LIBRARY / "devops.md").read_text().replace("name: devops", "name: backend")
    (folder / "mine.md").write_text(text)
    monkeypatch.chdir(tmp_path)
    copilot = _start()
    assert copilot.library.names == ["backend"]
    assert copilot.persona.source_path.endswith("mine.md")


def test_agent_option_makes_its_persona_the_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    problems: list[str] = []
    library = PersonaLibrary.initial([str(LIBRARY / "frontend.md")], problems, strict=True)
    assert library.names == ["frontend", "backend"] and problems == []
    copilot = _start(agent_paths=[str(LIBRARY / "frontend.md")])
    assert copilot.persona.name == "frontend" and copilot.state.persona == "frontend"
    # a frontend persona has no phases: the workflow is empty, not an error
    assert copilot.workflow.current_name == ""


def test_a_persona_with_no_score_is_not_named_runner_up_or_given_a_zero() -> None:
    from agent.persona.library import explain
    from keywords.activation import ActivationResult

    result = ActivationResult(
        persona="devops", active=True, score=3.0, threshold=1.5, matches=[], changed=True,
        why="matched deployment (score 3 ≥ 1.5)", runner_up="backend",
        scores={"devops": 3.0, "backend": 0.0},
    )
    reason = explain(result, "backend")
    assert reason.count("took over from backend") == 1
    assert "runner-up" not in reason and "0.0" not in reason
