"""The TUI with a real model: the real `openai` client against the loopback server.

Streaming, token usage, an error with the retry offer, the permission modal in front of an
edit, tool calls as blocks, the MCP panel, and the session's lock given back on exit.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from oai_server import OAIServer, error, text, tool_calls
from textual.widgets import Footer, Static
from tui_helpers import make_app, send, settle, toasts, until, views

from agent.llm.factory import CONNECT_HINT
from agent.session.journal import Session
from agent.session.lock import SessionLock
from tui.app import CopilotApp
from tui.screens.permission import PermissionScreen
from tui.transcript.window import ChatView
from tui.widgets.composer import PromptInput
from tui.widgets.mcp import McpPanel
from tui.widgets.tools import ToolCallBlock

NOTES = "the deploy key rotates on fridays\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "notes.txt").write_text(NOTES)
    return root


def model_app(
    server: OAIServer, monkeypatch: pytest.MonkeyPatch, *, root: Path | None = None,
    resume: str | None = None,
) -> CopilotApp:
    """The app on a Copilot pointed at the loopback server (as `--base-url` would)."""
    from agent.copilot import Copilot

    monkeypatch.setenv("OPENAI_API_KEY", "test")
    cli = {"provider": "custom", "base_url": server.base_url, "model": "test-model",
           "max_retries": 0}
    return CopilotApp(
        copilot_factory=lambda: Copilot.start(cli=cli, root=root, resume=resume, strict=False),
        theme="textual-dark",
    )




def footer_keys(app: CopilotApp) -> list[str]:
    """The actions the Footer offers right now."""
    app.query_one(Footer)  # the footer is there
    return [b.action for (_, b, enabled, _) in app.active_bindings.values() if enabled and b.show]


def label(view: Any) -> str:
    return str(view.query_one(".msg-label", Static).content)


# -- streaming, usage, errors, retry -----------------------------------------------------


async def test_an_answer_streams_in_with_its_token_usage(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oai_server.script(text("Use cursor pagination for large tables.", chunks=4, usage=(42, 9)))
    app = model_app(oai_server, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "custom · test-model" in str(app.query_one("#provider", Static).content)
        assert CONNECT_HINT not in str(app.query_one("#chat-empty", Static).content)
        await send(pilot, "How should I paginate?")
        answer = views(app, "assistant")[-1]
        assert answer.shown_text == "Use cursor pagination for large tables."
        assert "tokens: 42 in · 9 out" in label(answer)
        assert oai_server.chat_requests[0].body["stream"] is True
        assert "retry" not in footer_keys(app)  # nothing to retry after a good answer


async def test_a_401_is_one_line_with_the_retry_offer_and_retry_answers(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oai_server.script(error(401), text("Now it works.", chunks=2))
    app = model_app(oai_server, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "Design a users table")
        failed = views(app, "assistant")[-1]
        assert failed.message.status == "error"
        line = str(failed.query_one(".msg-error", Static).content)
        assert "OPENAI_API_KEY" in line and "\n" not in line and "Traceback" not in line
        assert "Ctrl+R or /retry" in line
        assert any("/retry" in t for t in toasts(app))
        assert "retry" in footer_keys(app)
        assert views(app, "user")[0].message.content == "Design a users table"

        await pilot.press("ctrl+r")
        await settle(pilot)
        messages = app.copilot.state.messages
        assert [m.content for m in messages if m.role == "user"] == ["Design a users table"]
        assert messages[-1].status == "complete" and messages[-1].content == "Now it works."
        assert views(app, "assistant")[-1].shown_text == "Now it works."
        # Both requests carried the same question.
        asked = [r.body["messages"][-1]["content"] for r in oai_server.chat_requests]
        assert asked == ["Design a users table", "Design a users table"]


async def test_slash_retry_answers_again_and_says_when_there_is_nothing(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oai_server.script(error(500), text("Second try."))
    app = model_app(oai_server, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/retry")
        assert "Nothing to retry" in str(app.query_one("#prompt-help", Static).content)
        await send(pilot, "Why is my API slow?")
        assert app.copilot.state.messages[-1].status == "error"
        await send(pilot, "/retry")
        assert app.copilot.state.messages[-1].content == "Second try."


async def test_offline_start_says_once_how_to_connect_a_model() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert CONNECT_HINT in str(app.query_one("#chat-empty", Static).content)
        assert "offline playbook" in str(app.query_one("#provider", Static).content)
        assert not any(CONNECT_HINT in t for t in toasts(app))


# -- permission modal and tool blocks ------------------------------------------------------


def edit_call() -> str:
    return json.dumps({"path": "notes.txt", "old_string": "fridays", "new_string": "mondays"})


@pytest.mark.parametrize(("keys", "written"), [(["escape"], False), (["ctrl+y"], True)])
async def test_an_edit_asks_in_a_modal_before_it_writes(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch, project: Path,
    keys: list[str], written: bool,
) -> None:
    oai_server.script(tool_calls([("edit", edit_call())]), text("Done."))
    app = model_app(oai_server, monkeypatch, root=project)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "move the API service key rotation to mondays", wait=False)
        await until(pilot, lambda: isinstance(app.screen, PermissionScreen)
                    and bool(app.screen.query("#permission-title")))
        modal = app.screen
        title = str(modal.query_one("#permission-title", Static).content)
        assert "edit notes.txt" in title
        diff = modal.query_one("#permission-diff", Static).content
        assert "+the deploy key rotates on mondays" in str(diff)
        assert (project / "notes.txt").read_text() == NOTES  # nothing written while it asks
        await until(pilot, lambda: modal.armed)
        await pilot.press(*keys)
        await settle(pilot)
        assert not isinstance(app.screen, PermissionScreen)
        content = (project / "notes.txt").read_text()
        assert content == ("the deploy key rotates on mondays\n" if written else NOTES)
        block = views(app, "assistant")[-1].query_one(ToolCallBlock)
        assert block.title_text.startswith("⚙ edit notes.txt")
        assert ("allowed once" in block.title_text) == written
        assert ("denied" in block.title_text) != written
        assert app.copilot.state.messages[-1].content == "Done."


async def test_the_modal_ignores_type_ahead_and_letters_never_approve(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    """The user is still typing when the modal opens: those keys (Enter included) do nothing;
    later, prose letters such as y, a, o, s still do nothing; only a deliberate key decides."""
    # A window long enough that this test's own pauses on a loaded machine stay inside it.
    monkeypatch.setattr(PermissionScreen, "GUARD_SECONDS", 3.0)
    oai_server.script(tool_calls([("edit", edit_call())]), text("Done."))
    app = model_app(oai_server, monkeypatch, root=project)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "move the API service key rotation to mondays", wait=False)
        await until(pilot, lambda: isinstance(app.screen, PermissionScreen)
                    and bool(app.screen.query("#permission-title")))
        modal = app.screen
        await pilot.press("y", "a", "ctrl+y", "ctrl+s", "enter")  # type-ahead
        await pilot.pause()
        assert app.screen is modal and (project / "notes.txt").read_text() == NOTES
        assert app.query_one(PromptInput).text == "ya"  # the typed letters are kept for later
        await until(pilot, lambda: modal.armed)
        await pilot.press("y", "a", "o", "s")  # letters from a sentence
        await pilot.pause()
        assert app.screen is modal
        assert (project / "notes.txt").read_text() == NOTES
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert (project / "notes.txt").read_text() == "the deploy key rotates on mondays\n"


async def test_a_long_diff_is_shown_to_the_end_before_it_can_be_approved(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    body = "".join(f"line {i}\n" for i in range(200)) + "rm -rf / # the last line\n"
    oai_server.script(tool_calls([("write", json.dumps({"path": "long.txt", "content": body}))]),
                      text("ok"))
    app = model_app(oai_server, monkeypatch, root=project)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "write the API service notes", wait=False)
        await until(pilot, lambda: isinstance(app.screen, PermissionScreen)
                    and bool(app.screen.query("#permission-title")))
        modal = app.screen
        await until(pilot, lambda: modal.armed)
        assert modal.unseen
        await pilot.press("ctrl+y")  # first: scrolls to the end, approves nothing
        await pilot.pause()
        assert app.screen is modal and not (project / "long.txt").exists()
        await until(pilot, lambda: not modal.unseen)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert (project / "long.txt").read_text() == body


async def test_the_modal_shows_model_text_inert(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    body = "[bold red]x[/] \x1b]52;c;ZXZpbA==\x07"
    oai_server.script(tool_calls([("write", json.dumps({"path": "new.txt", "content": body}))]),
                      text("ok"))
    app = model_app(oai_server, monkeypatch, root=project)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "write it for the API service", wait=False)
        await until(pilot, lambda: isinstance(app.screen, PermissionScreen)
                    and bool(app.screen.query("#permission-title")))
        shown = str(app.screen.query_one("#permission-diff", Static).content)
        assert "+[bold red]x[/]" in shown and "\x1b" not in shown and "\x07" not in shown
        await until(pilot, lambda: app.screen.armed)
        await pilot.click("#deny")
        await settle(pilot)
        assert not (project / "new.txt").exists()


async def test_a_read_call_is_a_block_that_expands_and_comes_back_on_resume(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    # Two rounds; the loopback server, like some real ones, reuses call ids across rounds.
    oai_server.script(tool_calls([("read", '{"path": "notes.txt"}')]),
                      tool_calls([("glob", '{"pattern": "*.txt"}')]),
                      text("It says the key rotates on Fridays."))
    app = model_app(oai_server, monkeypatch, root=project)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "what do the API service notes say?")
        assert not isinstance(app.screen, PermissionScreen)  # reading never asks
        # the session has both calls; the transcript mounts the second on its next update
        await until(pilot, lambda: len(views(app, "assistant")[-1].query(ToolCallBlock)) == 2)
        block, second = views(app, "assistant")[-1].query(ToolCallBlock)
        assert block.title_text.startswith("⚙ read notes.txt") and "✓" in block.title_text
        assert second.title_text.startswith("⚙ glob")
        assert block.collapsed
        details = block.query_one(".tool-details", Static)
        block.query_one("CollapsibleTitle").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not block.collapsed and details.region.height > 0
        shown = str(details.content)
        assert '"path": "notes.txt"' in shown and "the deploy key rotates on fridays" in shown
        session_id = app.copilot.state.id

    # Resumed in a new app, the history shows the same blocks (from message.tool_calls).
    again = model_app(oai_server, monkeypatch, root=project, resume=session_id)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert again.copilot.state.id == session_id
        await until(pilot, lambda: len(again.query_one(ChatView).query(ToolCallBlock)) == 2)
        blocks = again.query_one(ChatView).query(ToolCallBlock)
        assert [b.title_text[:8] for b in blocks] == ["⚙ read n", "⚙ glob '"]


# -- MCP panel and closing ------------------------------------------------------------------


async def test_mcp_panel_shows_the_persona_roles_unconfigured() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rows = app.query_one(McpPanel).rows
        assert rows == ["Context7 (primary): not configured",
                        "Sequential-Thinking (secondary): not configured"]
        assert "config.toml" in str(app.query_one(McpPanel).content)


async def test_mcp_panel_shows_a_failed_server_with_its_reason(isolated_dirs: dict) -> None:
    (isolated_dirs["config"]).mkdir(parents=True, exist_ok=True)
    (isolated_dirs["config"] / "config.toml").write_text(
        '[mcp.sequential-thinking]\ntype = "local"\ncommand = ["no-such-mcp-server-command"]\n'
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        panel = app.query_one(McpPanel)
        await until(pilot, lambda: any("failed" in r for r in panel.rows))
        assert panel.rows[0] == "Context7 (primary): not configured"
        assert panel.rows[1].startswith("Sequential-Thinking (secondary): failed: ")
        assert "no-such-mcp-server-command" in panel.rows[1]
        await send(pilot, "How do I version a REST API?")  # the chat goes on without it
        assert app.copilot.state.messages[-1].status == "complete"


async def test_quitting_gives_the_session_back() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "How do I version a REST API?")
        session_id = app.copilot.state.id
        await pilot.press("ctrl+q")
    # The lock file is free (in this process a reopen would take over, so ask the lock itself).
    path = Path(os.environ["BACKEND_COPILOT_DATA_DIR"]) / "sessions" / f"{session_id}.jsonl"
    SessionLock.acquire(path).release()
    with Session.open(session_id) as session:
        assert [m.role for m in session.state.messages] == ["user", "assistant"]


async def test_an_mcp_server_connects_and_its_tool_asks_in_the_modal(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch, project: Path, isolated_dirs: dict
) -> None:
    """The echo server configured under the persona's primary role's name: the panel says
    connected, and its tool that is not read-only asks first, naming the server."""
    echo = Path(__file__).resolve().parents[1] / "fixtures" / "mcp_echo_server.py"
    log = project / "shouts.log"
    isolated_dirs["config"].mkdir(parents=True, exist_ok=True)
    (isolated_dirs["config"] / "config.toml").write_text(
        f'[mcp.context7]\ntype = "local"\ncommand = {json.dumps([sys.executable, str(echo)])}\n'
        f'environment = {{ MCP_ECHO_LOG = {json.dumps(str(log))} }}\n'
    )
    oai_server.script(tool_calls([("context7_shout", '{"text": "quiet"}')]), text("Shouted."))
    app = model_app(oai_server, monkeypatch, root=project)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        panel = app.query_one(McpPanel)
        await until(pilot, lambda: "connected" in panel.rows[0], rounds=6000)
        assert panel.rows[0] == "Context7 (primary): connected, 3 tools"
        await send(pilot, "shout quiet on the API service", wait=False)
        await until(pilot, lambda: isinstance(app.screen, PermissionScreen)
                    and bool(app.screen.query("#permission-title")))
        assert "MCP server context7" in str(app.screen.query_one("#permission-title").content)
        assert '"text": "quiet"' in str(app.screen.query_one("#permission-args").content)
        await until(pilot, lambda: app.screen.armed)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert log.read_text() == "quiet\n"
        block = views(app, "assistant")[-1].query_one(ToolCallBlock)
        assert "context7" in block.title_text and "allowed for this session" in block.title_text


async def test_keys_typed_right_after_enter_stay_in_the_prompt() -> None:
    """Enter posts the message; the keys typed before it is handled must not be cleared."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt = app.query_one(PromptInput)
        prompt.load_text("How do I version a REST API?")
        prompt.move_cursor(prompt.document.end)  # where the typing left it
        prompt.post_message(PromptInput.Submitted("How do I version a REST API?"))
        prompt.insert("and then")  # typed before the app handled the submit
        await settle(pilot)
        assert app.copilot.state.messages[0].content == "How do I version a REST API?"
        assert prompt.text == "and then"


async def test_the_header_says_the_projects_agents_md_is_in_the_prompt(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    (project / "AGENTS.md").write_text("Use snake_case routes.\n")
    app = model_app(oai_server, monkeypatch, root=project)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        shown = str(app.query_one("#provider", Static).content)
        assert shown == "custom · test-model · +AGENTS.md"


async def test_an_overflow_is_one_line_that_offers_compact_not_retry(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oai_server.n_ctx, oai_server.overflow = 2048, "400"
    app = model_app(oai_server, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "Review this: " + "the orders table has many columns " * 300)
        failed = views(app, "assistant")[-1]
        line = str(failed.query_one(".msg-error", Static).content)
        assert line == ("The conversation no longer fits the model's 2,048-token window: "
                        "/compact to summarise it, /new to start fresh, or raise the server's "
                        "context size.")
        assert not any("/retry" in t for t in toasts(app))
        assert len(oai_server.chat_requests) == 1


async def test_compact_from_the_palette_shows_in_the_transcript_and_on_resume() -> None:
    from tui.palette import palette_entries
    from tui.transcript.message import NoticeLine

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for question in ("How do we design the orders API?", "Which database for orders?",
                         "How do we cache the orders list?", "How do we rate limit it?"):
            await send(pilot, question)
        entry = next(cb for name, _, cb in palette_entries(app) if name == "Compact the conversation")
        entry()
        await settle(pilot)
        lines = [str(n.content) for n in app.query(NoticeLine)]
        assert any(line.startswith("⇣ Compacted 4 earlier messages into an offline digest")
                   for line in lines), lines
        session_id = app.copilot.session.id

    from agent.copilot import Copilot

    resumed = CopilotApp(
        copilot_factory=lambda: Copilot.start(cli={"provider": "offline", "stream_delay": 0},
                                              resume=session_id, strict=False),
        theme="textual-dark")
    async with resumed.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        lines = [str(n.content) for n in resumed.query(NoticeLine)]
        assert any("Compacted 4 earlier messages" in line for line in lines), lines


async def test_tab_completes_an_at_path_and_the_transcript_shows_the_attachment(
    project: Path,
) -> None:
    from agent.copilot import Copilot
    from tui.widgets.composer import PromptInput

    (project / "api").mkdir()
    (project / "api" / "routes.py").write_text("def list_orders():\n    return []\n")
    app = CopilotApp(copilot_factory=lambda: Copilot.start(
        cli={"provider": "offline", "stream_delay": 0}, root=project, strict=False),
        theme="textual-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt = app.query_one(PromptInput)
        prompt.focus()
        await pilot.press(*"review @rou")
        await pilot.press("tab")
        assert prompt.text == "review @api/routes.py"
        await pilot.press("enter")
        await settle(pilot)
        user = views(app, "user")[-1]
        assert "Attached @api/routes.py:" in user.message.content
        assert "def list_orders():" in user.message.content
