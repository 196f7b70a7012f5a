"""What a new user hit in the first hour: each test failed before its fix."""

from __future__ import annotations

from tui_helpers import make_app, send, settle

from tui.widgets.composer import PromptInput


async def test_a_failed_command_is_kept_selected_so_the_next_one_replaces_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/check foo bar")
        prompt = app.query_one(PromptInput)
        assert prompt.text == "/check foo bar"  # nothing typed is lost
        for key in "/help":
            await pilot.press(key if key != "/" else "slash")
        assert prompt.text == "/help"  # not "/check foo bar/help"


def _saved(title_question: str) -> str:
    from agent.session.journal import Session

    session = Session.create("backend")
    session.add_user_message(title_question, persona_active=False, phase="")
    session.close()
    return session.id


async def _open_sessions(pilot, app):
    from tui.screens.sessions import SessionsScreen

    await pilot.press("ctrl+s")
    for _ in range(50):
        await pilot.pause()
        if isinstance(app.screen, SessionsScreen):
            break
    return app.screen


def _row_of(screen, session_id: str) -> int:
    from textual.widgets import DataTable

    return screen.query_one(DataTable).get_row_index(session_id)


async def test_sessions_screen_renames_and_deletes() -> None:
    from textual.widgets import DataTable, Input

    from agent.session.catalogue import list_sessions

    keep, drop = _saved("Tell me a joke about cats"), _saved("scratch question")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await _open_sessions(pilot, app)
        table = screen.query_one(DataTable)

        table.move_cursor(row=_row_of(screen, keep))
        await pilot.press("r")
        field = screen.query_one("#sessions-rename", Input)
        assert field.has_focus and field.value == "Tell me a joke about cats"
        field.value = ""
        await pilot.press(*"Orders API design", "enter")
        await pilot.pause()
        assert {s.id: s.title for s in list_sessions()}[keep] == "Orders API design"
        assert "Orders API design" in str(table.get_cell(keep, screen._title_column))

        table.move_cursor(row=_row_of(screen, drop))
        await pilot.press("d")
        assert {s.id for s in list_sessions()} == {keep, drop}  # the first d only asks
        await pilot.press("d")
        await pilot.pause()
        assert {s.id for s in list_sessions()} == {keep}
        assert table.row_count == 1


async def test_the_open_session_is_renamed_live_and_not_deleted() -> None:
    from textual.widgets import DataTable

    from agent.session.catalogue import list_sessions

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "How should the orders API page results?")
        await send(pilot, "/title Paging, the orders API's way")
        assert app.copilot.state.title == "Paging, the orders API's way"
        assert "Paging, the orders API's way" in str(app.query_one("#session-title").content)
        screen = await _open_sessions(pilot, app)
        screen.query_one(DataTable).move_cursor(row=_row_of(screen, app.copilot.state.id))
        await pilot.press("d", "d")
        await pilot.pause()
        assert [s.id for s in list_sessions()] == [app.copilot.state.id]
        assert "open here" in str(screen.query_one("#sessions-hint").render())


async def test_persona_list_is_a_table_with_file_keywords_and_score(tmp_path, monkeypatch) -> None:
    import shutil
    from pathlib import Path

    from textual.widgets import DataTable

    from tui.screens.personas import PersonaListScreen

    library = Path(__file__).resolve().parents[1] / "fixtures" / "library"
    folder = tmp_path / ".opencode" / "agent"
    folder.mkdir(parents=True)
    shutil.copy(library / "devops.md", folder / "devops.md")
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "We need to design the REST API for orders, with authentication.")
        await send(pilot, "/persona list")
        assert isinstance(app.screen, PersonaListScreen)
        table = app.screen.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()] == [
            "Name", "Source file", "Keywords", "Score now"]
        rows = {str(table.get_row_at(i)[0]).split(" (")[0]: [str(c) for c in table.get_row_at(i)]
                for i in range(table.row_count)}
        assert set(rows) == {"backend", "devops"}
        assert rows["devops"][1].endswith("devops.md") and "kubernetes" in rows["devops"][2]
        assert float(rows["backend"][3]) >= 1.5 and "(on" in rows["backend"][0]
        assert float(rows["devops"][3]) == 0
        table.move_cursor(row=list(rows).index("devops"))
        await pilot.press("enter")
        await settle(pilot)
        assert app.copilot.persona.name == "devops" and app.copilot.state.persona_mode == "on"


async def test_another_persona_brings_its_own_wording_not_backends(tmp_path, monkeypatch) -> None:
    import shutil
    from pathlib import Path

    from textual.widgets import Static

    library = Path(__file__).resolve().parents[1] / "fixtures" / "library"
    folder = tmp_path / ".opencode" / "agent"
    folder.mkdir(parents=True)
    shutil.copy(library / "devops.md", folder / "devops.md")
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt = app.query_one(PromptInput)
        assert "APIs" in str(prompt.placeholder)  # the bundled backend persona's own words
        await send(pilot, "/persona devops")
        placeholder = str(prompt.placeholder)
        detail = str(app.query_one("#tree-detail", Static).content)
        assert "deploy" in placeholder and "API" not in placeholder
        assert "release risk" in detail and "API" not in detail


async def test_the_theme_chosen_in_the_app_is_kept_for_the_next_start() -> None:
    from tui_helpers import make_copilot

    from tui.app import CopilotApp

    first = CopilotApp(copilot_factory=make_copilot)  # no theme given: as `backend-copilot` runs
    async with first.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert first.theme == "textual-dark"
        first.theme = "textual-light"  # what the palette's theme picker does
        await settle(pilot)
    second = CopilotApp(copilot_factory=make_copilot)
    async with second.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert second.theme == "textual-light"


async def test_a_theme_in_config_toml_wins_over_the_remembered_one() -> None:
    from tui_helpers import make_copilot

    from agent import paths
    from tui.app import CopilotApp
    from tui.prefs import save_theme

    assert save_theme("textual-light") is None
    paths.config_dir(create=True)
    paths.config_file().write_text('theme = "nord"\n')
    app = CopilotApp(copilot_factory=make_copilot)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.theme == "nord"


async def test_opening_and_quitting_at_once_saves_no_session() -> None:
    from agent.session.catalogue import list_sessions

    talked = _saved("the last real conversation")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/persona on")  # a setting, not a message: still nothing to keep
    assert [s.id for s in list_sessions()] == [talked]
