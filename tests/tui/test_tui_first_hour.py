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
