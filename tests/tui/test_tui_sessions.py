"""Export, new session, resume, help and the command palette."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable
from tui_helpers import QUESTION, make_app, send, settle, toasts, views

from tui.screens.help import HelpScreen
from tui.screens.sessions import SessionsScreen
from tui.widgets.header import CopilotHeader
from tui.widgets.panels import ChecklistPanel, DecisionTreePanel, WorkflowPanel


async def test_export_writes_the_whole_exchange() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, QUESTION)
        answer = app.copilot.state.messages[-1].content
        await send(pilot, "/export md")
        path = Path(app.last_export)
        assert path.is_file()
        text = path.read_text(encoding="utf-8")
        assert QUESTION in text
        assert answer.splitlines()[0].strip("# ") in text
        assert any(str(path) in t for t in toasts(app))


async def test_palette_export_json() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, QUESTION)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"export session as json")
        for _ in range(20):
            await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert app.last_export.endswith(".json") and Path(app.last_export).is_file()


async def test_resume_restores_everything() -> None:
    first = make_app()
    async with first.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, QUESTION)
        await send(pilot, "/phase next")
        session_id = first.copilot.state.id
        expected = [m.content for m in first.copilot.state.messages]
        checklist = dict(first.copilot.state.checklist)

    second = make_app()
    async with second.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert views(second) == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(second.screen, SessionsScreen)
        table = second.screen.query_one(DataTable)
        row = table.get_row_index(session_id)
        table.move_cursor(row=row)
        await pilot.press("enter")
        await settle(pilot)
        assert second.copilot.state.id == session_id
        assert [v.message.content for v in views(second)] == expected
        assert "Real-time → WebSocket" in second.query_one(DecisionTreePanel).highlighted_label
        phases = [p.name for p in second.copilot.persona.phases]
        assert second.query_one(WorkflowPanel).current == phases[1]
        panel = second.query_one(ChecklistPanel)
        for item_id, entry in checklist.items():
            if entry.state == "suggested":
                assert panel.item_state_label(item_id).startswith("◇")
        assert "backend · auto · active" in second.query_one(CopilotHeader).badge


async def test_new_session_clears_the_chat_and_help_opens() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, QUESTION)
        old = app.copilot.state.id
        await send(pilot, "/new")
        assert app.copilot.state.id != old
        assert views(app) == []
        assert "idle" in app.query_one(CopilotHeader).badge
        await send(pilot, "/help")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        app.query_one("#chat").focus()
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_a_session_that_cannot_open_ends_with_one_line(capsys) -> None:  # type: ignore[no-untyped-def]
    from agent.copilot import Copilot
    from tui.app import CopilotApp

    app = CopilotApp(copilot_factory=lambda: Copilot.start(resume="no-such-session"))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(20):
            await pilot.pause()
    assert app.return_code == 1
    err = capsys.readouterr().err
    assert "no-such-session" in err and "backend-copilot sessions" in err
    assert "Traceback" not in err
