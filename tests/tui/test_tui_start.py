"""The start's shortcuts keep what the user sees: the footer's keys follow the app, and
Python's garbage collector runs again once the first screen is drawn."""

from __future__ import annotations

import gc

from textual.widgets._footer import FooterKey
from tui_helpers import QUESTION, make_app, send, settle, until

from tui.app import CopilotApp


def drawn_keys(app: CopilotApp) -> list[str]:
    """The actions of the keys drawn in the footer (what the user reads), left to right;
    the palette's key, drawn at the right end in any case, left out."""
    return [key.action for key in app.query(FooterKey) if key.action != "command_palette"]


def offered_keys(app: CopilotApp) -> list[str]:
    """The actions the app offers right now, one per action (ctrl+b and f2 are one key),
    as Textual's footer draws them."""
    bindings = app.screen.active_bindings.values()
    return list(dict.fromkeys(b.action for (_, b, _enabled, _) in bindings if b.show))




async def test_the_footer_draws_the_keys_offered_while_answering_and_after_a_stop() -> None:
    # A slow offline answer: long enough to see "Stop answer" and to stop it with Esc.
    app = make_app(stream_delay=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: drawn_keys(app) == offered_keys(app))
        assert "quit" in drawn_keys(app)
        assert "cancel" not in drawn_keys(app) and "retry" not in drawn_keys(app)

        await send(pilot, QUESTION, wait=False)
        await until(pilot, lambda: app.busy and "cancel" in drawn_keys(app))
        assert drawn_keys(app) == offered_keys(app)

        await pilot.press("escape")
        await until(pilot, lambda: not app.busy and "retry" in drawn_keys(app))
        await until(pilot, lambda: "cancel" not in drawn_keys(app))
        assert drawn_keys(app) == offered_keys(app)


async def test_the_collector_runs_again_once_the_first_screen_is_drawn() -> None:
    assert gc.isenabled()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: app.query("#checklist-tree"))
        await until(pilot, gc.isenabled)  # not left off for the life of the app
    assert gc.isenabled()


async def test_the_collector_runs_again_when_the_copilot_fails_to_start() -> None:
    def broken():  # type: ignore[no-untyped-def]
        raise OSError("the data folder is not writable")

    app = CopilotApp(copilot_factory=broken)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
    assert app.return_code == 1
    assert gc.isenabled()
