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


# -- the other screens and entries (fixed texts and times: nothing from the clock or a path) --


async def _quiet(pilot) -> None:  # type: ignore[no-untyped-def]
    """Settled, no toasts, the input's cursor still."""
    await settle(pilot)
    app = pilot.app
    app.query_one(PromptInput).cursor_blink = False
    app.clear_notifications()
    app.query_one(PromptInput).focus()
    await settle(pilot)


def test_permission_modal(snap_compare) -> None:
    from agent.tools import PermissionRequest
    from tui.screens.permission import PermissionScreen

    diff = ("--- a/api/routes.py\n+++ b/api/routes.py\n@@ -1,3 +1,4 @@\n import fastapi\n"
            "+from api.auth import require_user\n router = fastapi.APIRouter()\n"
            "-@router.get('/orders')\n+@router.get('/orders', dependencies=[require_user])\n")
    request = PermissionRequest(tool="edit", title="edit api/routes.py", diff=diff,
                                path="api/routes.py")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _quiet(pilot)
        pilot.app.push_screen(PermissionScreen(request))
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=run_before)


def test_sessions_screen(snap_compare) -> None:
    from pathlib import Path

    from agent.session.catalogue import SessionSummary
    from tui.screens.sessions import SessionsScreen

    sessions = [
        SessionSummary(id="20261120-091500-ab12", title="Pagination for the orders API",
                       created="2026-11-20T09:15:00.000+00:00",
                       updated="2026-11-20T10:02:31.000+00:00", messages=12,
                       path=Path("orders.jsonl")),
        SessionSummary(id="20261118-164000-cd34", title="", created="2026-11-18T16:40:00+00:00",
                       updated="2026-11-18T16:41:07.000+00:00", messages=2,
                       path=Path("untitled.jsonl")),
        SessionSummary(id="20261102-080000-ef56", title="[bold]Markup[/] stays literal",
                       created="2026-11-02T08:00:00+00:00",
                       updated="2026-11-03T19:30:00.000+00:00", messages=40,
                       path=Path("markup.jsonl")),
    ]

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _quiet(pilot)
        pilot.app.push_screen(SessionsScreen(sessions, current="20261118-164000-cd34"))
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=run_before)


def test_help_screen(snap_compare) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _quiet(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)


async def _answer_with_tools_and_an_error(pilot) -> None:  # type: ignore[no-untyped-def]
    """Two answers written into the session as a model would: one with tool calls (the
    second expanded), one that failed with an error line."""
    from agent.session.models import MessageAdded, ToolCallFinished, ToolCallStarted
    from tui.widgets.tools import ToolCallBlock

    await settle(pilot)
    app = pilot.app
    session = app.copilot.session
    session.append(MessageAdded(id="q1", role="user", content="What does notes.txt say?",
                                ts="2026-11-20T09:15:00.000+00:00"))
    answer = session.start_answer("openai", "gpt-4o", persona_active=False, phase="")
    session.append_chunk(answer, "Let me read it first.\n\n")
    session.append(ToolCallStarted(id=answer, call_id="c1", name="read",
                                   arguments='{"path": "notes.txt"}', summary="read notes.txt"))
    session.append(ToolCallFinished(id=answer, call_id="c1", status="ok", decision="auto",
                                    summary="read notes.txt, 2 lines",
                                    result="Ship on Friday.\nNo deploys on Monday."))
    session.append(ToolCallStarted(id=answer, call_id="c2", name="edit",
                                   arguments='{"path": "notes.txt", "old": "Friday"}',
                                   summary="edit notes.txt"))
    session.append(ToolCallFinished(id=answer, call_id="c2", status="denied", decision="deny",
                                    summary="edit notes.txt", result="The user said no."))
    session.append_chunk(answer, "It says to **ship on Friday**; I left it unchanged.")
    session.finish(answer, "complete")
    session.append(MessageAdded(id="q2", role="user", content="And the deploy calendar?",
                                ts="2026-11-20T09:16:00.000+00:00"))
    failed = session.start_answer("openai", "gpt-4o", persona_active=False, phase="")
    session.finish(failed, "error", error="The model server refused the connection; "
                   "is it running? Check base_url in your config.")
    await settle(pilot)
    blocks = list(app.query(ToolCallBlock))
    blocks[-1].collapsed = False
    await _quiet(pilot)


def test_tool_calls_and_an_error_line(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40),
                        run_before=_answer_with_tools_and_an_error)


def test_narrow_layout_with_tool_calls(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24),
                        run_before=_answer_with_tools_and_an_error)


def test_persona_handover(snap_compare, tmp_path, monkeypatch) -> None:
    import shutil
    from pathlib import Path

    library = Path(__file__).resolve().parents[1] / "fixtures" / "library"
    folder = tmp_path / ".opencode" / "agent"
    folder.mkdir(parents=True)
    for name in ("devops", "frontend"):
        shutil.copy(library / f"{name}.md", folder / f"{name}.md")
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await send(pilot, "We need to design the REST API for orders, with authentication.")
        await send(pilot, "Now plan the deployment: a kubernetes rollout with a rollback plan.")
        await _quiet(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)
