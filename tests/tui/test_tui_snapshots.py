"""SVG snapshots of the main screen (pytest-textual-snapshot). Update with --snapshot-update."""

from __future__ import annotations

import pytest
from tui_helpers import QUESTION, make_app, send, settle

from tui.widgets.composer import PromptInput

SIZES = {"120x40": (120, 40), "80x24": (80, 24)}


async def _conversation(pilot) -> None:  # type: ignore[no-untyped-def]
    """A fixed exchange: one question, the playbook's answer, a ticked item; no toasts."""
    await settle(pilot)
    app = pilot.app
    prompt = app.query_one(PromptInput)
    prompt.cursor_blink = False
    await send(pilot, QUESTION)
    first = app.copilot.persona.all_checklist_items()[0]
    app.copilot.toggle_item(first.id)
    await settle(pilot)
    app.clear_notifications()
    prompt.focus()
    await settle(pilot)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("size", list(SIZES))
def test_main_screen(snap_compare, size: str, theme: str) -> None:
    app = make_app()
    app.theme = theme
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_conversation)
