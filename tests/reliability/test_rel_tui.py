"""The app itself (Pilot, read-only checks through its widgets): model output with escapes and
Rich markup shows literally; a damaged log opens with the notice in the chat and a toast."""

from __future__ import annotations

import sys

from oai_server import OAIServer, text
from rel_helpers import ESCAPES, MARKUP, ROOT

sys.path.insert(0, str(ROOT / "tests" / "tui"))

from tui_helpers import make_app, send, settle, toasts, views  # noqa: E402

from agent.copilot import Copilot  # noqa: E402
from agent.session.journal import Session  # noqa: E402
from tui.app import CopilotApp  # noqa: E402
from tui.transcript.message import NoticeLine  # noqa: E402


async def test_model_markup_and_escapes_render_literally(oai_server: OAIServer) -> None:
    oai_server.script(text(" ".join(MARKUP) + " " + ESCAPES, chunks=5))
    app = make_app(provider="openai", base_url=oai_server.base_url, model="test-model")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "show me " + MARKUP[0])
        answer = views(app, "assistant")[-1]
        assert answer.message.status == "complete"
        shown = answer.shown_text
        for markup in MARKUP:
            assert markup in shown
        assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
        screen = app.export_screenshot()
        # On screen as text: a parsed link would show only "x" and hide its target.
        assert "[link=file:///etc/passwd]x[/link]" in screen


async def test_a_damaged_log_opens_with_a_visible_notice() -> None:
    session = Session.create("backend")
    session.add_user_message("kept question", persona_active=False, phase="")
    session.close()
    with session.path.open("ab") as fh:
        fh.write(b'{"type":"message","id":"x","ro')
    app = CopilotApp(
        copilot_factory=lambda: Copilot.start(
            cli={"provider": "offline", "stream_delay": 0}, resume=session.id, strict=False
        ),
        theme="textual-dark",
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert [v.message.content for v in views(app)] == ["kept question"]
        lines = [str(n.event.text) for n in app.query(NoticeLine) if n.event.type == "notice"]
        assert any("Skipped 1 damaged line" in line for line in lines)
        assert any("Skipped 1 damaged line" in t for t in toasts(app))
