"""The persona library: every agent file the user has, auto-switching between them, pinning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.command_results import ShowPersonas
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
    # devops and frontend both score "performance" + one word of their own (keywords 2.0
    # each; their profiles add a little more); the outcome never depends on the copy order
    tie = "The browser and the pipeline both need performance work."
    outcomes = set()
    for attempt in range(3):
        root = tmp_path / str(attempt)
        # copy in a different order each time: discovery sorts, so the outcome cannot change
        names = ["frontend", "devops"] if attempt % 2 else ["devops", "frontend"]
        _project(root, *names)
        monkeypatch.chdir(root)
        copilot = _start()
        await _say(copilot, tie)
        last = _activations(copilot)[-1]
        assert last.scores["devops"] >= 2.0 and last.scores["frontend"] >= 2.0
        outcomes.add((last.persona, last.runner_up, tuple(sorted(last.scores.items()))))
        copilot.session.close()
    assert len(outcomes) == 1


def test_persona_list_shows_everyone_with_keywords_and_scores(project):
    copilot = _start()
    copilot._record_user_message(DEPLOY_TALK)
    result = copilot.run_command("/persona list")
    assert result.ok and isinstance(result, ShowPersonas)
    rows = dict(result.lines)
    assert set(rows) == {"backend · default", "devops · on", "docs-writer", "frontend"}
    assert "kubernetes" in rows["devops · on"]
    scores = {name: float(row.split("score ")[1].split(" ")[0]) for name, row in rows.items()}
    assert scores["devops · on"] == max(scores.values()) >= 1.5
    assert "no keywords" in rows["docs-writer"]
    info = {i.name: i for i in copilot.persona_overview()}
    assert info["devops"].active and info["devops"].score == scores["devops · on"]
    assert (info["docs-writer"].phases, info["docs-writer"].trees) == (0, 0)
    assert info["docs-writer"].keywords == [] and info["docs-writer"].profile  # derived


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


def _discover() -> tuple[PersonaLibrary, list[str]]:
    from agent.persona import activation_profile, persona

    persona._load_cached.cache_clear()  # what a new run starts without
    activation_profile._CACHE.clear()
    return PersonaLibrary.initial([], [], strict=True).with_discovered()


def test_agent_files_are_cached_between_runs_and_an_edited_file_is_read_again(
    project, isolated_dirs, monkeypatch
):
    from agent.persona import agentfile
    from agent.persona import persona as persona_module
    from agent.persona.cache import CACHE_NAME

    first, _ = _discover()
    cache = isolated_dirs["data"] / CACHE_NAME
    assert cache.exists() and (cache.stat().st_mode & 0o777) == 0o600

    real_load = agentfile.load_agent_file

    def no_parsing(path):
        if Path(path) == persona_module.DEFAULT_PERSONA_PATH:
            return real_load(path)  # the bundled one loads before discovery, uncached
        raise AssertionError(f"parsed {path} again")

    with monkeypatch.context() as patch:  # a second run reads every file back from the cache
        patch.setattr(agentfile, "load_agent_file", no_parsing)
        second, problems = _discover()
    assert problems == []
    assert [p.model_dump() for p in second.personas] == [p.model_dump() for p in first.personas]
    assert second.detect(DEPLOY_TALK).persona == "devops"

    devops = project / ".opencode" / "agent" / "devops.md"
    devops.write_text(devops.read_text().replace("description:", "description: Renamed.", 1))
    third, _ = _discover()
    assert third.get("devops").description.startswith("Renamed.")

    cache.write_text('{"version": "x", "entries": {"' + str(devops) + '": 1}}')  # damaged
    fourth, problems = _discover()
    assert problems == [] and fourth.get("devops").description.startswith("Renamed.")


def test_a_user_file_replacing_the_bundled_persona_says_so_and_still_activates(
    tmp_path, monkeypatch
):
    folder = tmp_path / ".claude" / "agents"
    folder.mkdir(parents=True)
    edge = Path(__file__).parent / "fixtures" / "agents_edge" / "backend.md"
    shutil.copy(edge, folder / "backend.md")
    shutil.copy(LIBRARY / "devops.md", folder / "devops.md")
    monkeypatch.chdir(tmp_path)
    library, problems = _discover()
    (note,) = [p for p in problems if "replaces the bundled persona" in p]
    assert note.startswith(str(folder / "backend.md")) and "no keywords section" in note
    backend = library.get("backend")
    assert backend is not None and backend.keywords == () and "FastAPI" in backend.description
    result = library.detect("Our FastAPI routers and Celery workers need a cleanup")
    assert (result.persona, result.active) == ("backend", True)
    assert "from its description" in result.reason


async def test_an_agent_without_keywords_switches_on_by_its_description(tmp_path, monkeypatch):
    folder = tmp_path / ".claude" / "agents"
    folder.mkdir(parents=True)
    real = Path(__file__).parent / "fixtures" / "agents_real"
    for name in ("e2e-test-engineer", "terraform-engineer", "ci-cd-engineer"):
        shutil.copy(real / f"{name}.md", folder / f"{name}.md")
    monkeypatch.chdir(tmp_path)
    copilot = _start()
    await _say(copilot, "Our Playwright tests are flaky, about one run in five fails")
    on = _activations(copilot)[-1]
    assert (on.persona, on.active) == ("e2e-test-engineer", True)
    assert {"playwright", "flaky"} <= set(on.matches)
    assert "from its description" in on.reason
    assert copilot.persona.name == "e2e-test-engineer"
    assert [c.title for c in copilot.persona.checklists] == ["E2E checklist"]
    await _say(copilot, "Move the Terraform remote state to S3 with locking")
    assert _activations(copilot)[-1].persona == "terraform-engineer"
    assert copilot.workflow.current_name == "Assessment"
    copilot.session.close()


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
