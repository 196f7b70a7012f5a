"""The persona library in the app: loaded after first paint, panels follow the persona on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Static
from tui_helpers import send, settle, toasts, views

from tui.app import CopilotApp
from tui.palette import palette_entries
from tui.widgets.header import CopilotHeader
from tui.widgets.panels import ChecklistPanel, DecisionTreePanel, WorkflowPanel

LIBRARY = Path(__file__).resolve().parents[1] / "fixtures" / "library"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / ".opencode" / "agent"
    folder.mkdir(parents=True)
    for name in ("devops", "frontend", "docs-writer", "broken"):
        shutil.copy(LIBRARY / f"{name}.md", folder / f"{name}.md")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _app() -> CopilotApp:
    def factory():
        from agent.copilot import Copilot

        # as run_tui does: the other agent files wait for the worker after the first paint
        return Copilot.start(cli={"provider": "offline", "stream_delay": 0}, discover=False)

    return CopilotApp(copilot_factory=factory, theme="textual-dark")


def _detail(app: CopilotApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def test_the_panels_follow_the_persona_the_talk_moves_to(project: Path) -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.copilot.library.names == ["backend", "devops", "docs-writer", "frontend"]
        assert any("broken.md:4:" in t for t in toasts(app))  # one line for the broken file

        await send(pilot, "We need to design the REST API for orders, with authentication.")
        assert "backend · auto · active" in app.query_one(CopilotHeader).badge
        await send(pilot, "Now plan the deployment: a kubernetes rollout with a rollback plan.")
        assert "devops · auto · active" in app.query_one(CopilotHeader).badge
        handover = [t for t in toasts(app) if "took over from backend" in t]
        assert handover and "kubernetes" in handover[0]
        assert handover[0].count("took over from") == 1  # said once, not twice
        assert str(app.query_one(DecisionTreePanel).border_title) == (
            "Deployment Strategy Decision Tree"
        )
        assert app.query_one(WorkflowPanel).current == "Plan"
        assert app.query_one(ChecklistPanel).progress == (0, 7)
        labels = [str(v.query_one(".msg-label", Static).render()) for v in views(app, "assistant")]
        assert "backend" in labels[0] and "devops" in labels[1]


async def test_a_persona_without_tables_shows_empty_states(project: Path) -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        names = [name for name, _, _ in palette_entries(app)]
        assert "Persona: pin docs-writer" in names and "Persona: list all" in names
        await send(pilot, "/persona docs-writer")
        assert "docs-writer · pinned on · active" in app.query_one(CopilotHeader).badge
        assert "no workflow phases" in str(app.query_one(WorkflowPanel).render())
        assert "no decision tree" in _detail(app, "#tree-detail")
        assert "no checklist" in _detail(app, "#checklist-detail")


REAL = Path(__file__).resolve().parents[1] / "fixtures" / "agents_real"


async def test_a_claude_code_subagent_switches_on_and_fills_its_panels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real-shaped subagents: no keywords section, no tables; lists and numbered steps only
    folder = tmp_path / ".claude" / "agents"
    folder.mkdir(parents=True)
    for name in ("terraform-engineer", "e2e-test-engineer", "kubernetes-specialist"):
        shutil.copy(REAL / f"{name}.md", folder / f"{name}.md")
    monkeypatch.chdir(tmp_path)
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "Move our Terraform remote state backend to S3 with DynamoDB locking")
        assert "terraform-engineer · auto · active" in app.query_one(CopilotHeader).badge
        assert any("from its description" in t for t in toasts(app))
        assert app.query_one(WorkflowPanel).current == "Assessment"
        assert app.query_one(ChecklistPanel).progress == (0, 6)


async def test_a_file_of_the_users_that_replaces_the_shown_persona_redraws_the_panels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The user's own "backend" (the devops file renamed) is found after the first paint and
    # takes the bundled one's place: the panels on screen must become its panels.
    folder = tmp_path / ".opencode" / "agent"
    folder.mkdir(parents=True)
    text = (LIBRARY / "devops.md").read_text(encoding="utf-8")
    (folder / "backend.md").write_text(text.replace("name: devops", "name: backend", 1),
                                       encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.copilot.library.names == ["backend"]
        assert ".opencode" in app.copilot.persona.source_path  # the user's file, not ours
        assert str(app.query_one(DecisionTreePanel).border_title) == (
            "Deployment Strategy Decision Tree"
        )
        assert app.query_one(ChecklistPanel).progress == (0, 7)
