"""/deliver in the app: the documents are written, the transcript says which, an overwrite
shows its diff in the permission modal and Esc keeps the file as it was."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static
from tui_helpers import record_toasts, send, settle, toasts, until

from tui.app import CopilotApp
from tui.screens.permission import PermissionScreen

ASK = "We need a backend API where customers create and list orders, with JWT authentication"


def deliver_app(root: Path) -> CopilotApp:
    from agent.copilot import Copilot

    app = CopilotApp(copilot_factory=lambda: Copilot.start(
        cli={"provider": "offline", "stream_delay": 0}, root=root), theme="textual-dark")
    record_toasts(app)
    return app


def notices(app: CopilotApp) -> list[str]:
    return [str(n.content) for n in app.query(".notice-notice")]




async def test_deliver_writes_the_documents_and_shows_what_it_wrote(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    app = deliver_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, ASK)
        await send(pilot, "/phase Feature Breakdown")
        # leaving Architecture with no branch chosen: a warning, and the move happened anyway
        assert any("still missing from its decision records" in n for n in notices(app))
        assert app.copilot.workflow.current_name == "Feature Breakdown"
        await send(pilot, "/deliver")
        await until(pilot, lambda: app.last_delivery is not None)
        await settle(pilot)
        for path in ("docs/prd.md", "docs/api/openapi.yaml"):
            assert (root / path).is_file()
            assert any(f"Deliver: created {path}" in n for n in notices(app)), notices(app)
        assert any("documents written under" in t for t in toasts(app))
        assert app.copilot.state.deliverables[-1].phases[-1] == "Feature Breakdown"

        prd = root / "docs/prd.md"
        prd.write_text("our own words\n")
        app.last_delivery = None
        await send(pilot, "/deliver prd", wait=False)
        await until(pilot, lambda: isinstance(app.screen, PermissionScreen)
                    and bool(app.screen.query("#permission-title")))
        title = str(app.screen.query_one("#permission-title", Static).content)
        assert "overwrite docs/prd.md" in title
        assert "-our own words" in str(app.screen.query_one("#permission-diff", Static).content)
        await until(pilot, lambda: app.screen.armed)  # keys right after it opens answer nothing
        await pilot.press("escape")
        await until(pilot, lambda: app.last_delivery is not None)
        await settle(pilot)
        assert prd.read_text() == "our own words\n"
        assert any("Deliver: denied docs/prd.md" in n for n in notices(app))


async def test_deliver_with_an_unknown_phase_is_one_line(tmp_path: Path) -> None:
    app = deliver_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/deliver deploy")
        assert any("Unknown phase 'deploy'" in t for t in toasts(app))
        assert not (tmp_path / "docs").exists()
