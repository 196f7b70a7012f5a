"""Function calling end to end: the real openai client against the loopback server, which
streams tool calls in pieces; real tools on a temp project; the Copilot driving the loop."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from oai_server import OAIServer, text, tool_calls

from agent.copilot import Copilot
from agent.export.json_export import import_json
from agent.export.render import export_session
from agent.llm.base import StreamEnd
from agent.session.fold import fold
from agent.tools import PermissionRequest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "api").mkdir(parents=True)
    (root / "api" / "routes.py").write_text("router = APIRouter()\n\ndef list_users():\n    return []\n")
    (root / "notes.txt").write_text("the deploy key rotates on fridays\n")
    return root


def copilot_for(server: OAIServer, project: Path, *, agent: str | None = None,
                persona_on: bool = True) -> Copilot:
    """Tools come with a persona: it is pinned on unless the test is about a plain chat."""
    copilot = Copilot.start(
        cli={"provider": "openai", "base_url": server.base_url, "model": "test-model"},
        agent_paths=[agent] if agent else [], root=project,
    )
    if persona_on:
        copilot.set_persona_mode("on")
    return copilot


async def ask(copilot: Copilot, question: str) -> tuple[list[Any], StreamEnd]:
    items: list[Any] = []
    end: StreamEnd | None = None
    async for item in copilot.ask(question):
        items.append(item)
        if isinstance(item, StreamEnd):
            end = item
    assert end is not None
    return items, end


def tool_messages(server: OAIServer, request: int) -> list[dict[str, Any]]:
    return [m for m in server.chat_requests[request].body["messages"] if m["role"] == "tool"]


def offered(server: OAIServer, request: int = 0) -> list[str]:
    return [t["function"]["name"] for t in server.chat_requests[request].body.get("tools", [])]


async def test_read_grep_glob_results_go_back_to_the_model(oai_server: OAIServer, project: Path) -> None:
    oai_server.script(
        tool_calls([("read", '{"path": "notes.txt"}'),
                    ("grep", '{"pattern": "def \\\\w+_users"}'),
                    ("glob", '{"pattern": "**/*.py"}')], pieces=4),
        text("The key rotates on Fridays.", chunks=3),
    )
    copilot = copilot_for(oai_server, project)
    items, end = await ask(copilot, "what is in notes.txt?")
    assert end.error is None
    assert sorted(offered(oai_server)) == ["edit", "glob", "grep", "read", "write"]
    results = [m["content"] for m in tool_messages(oai_server, 1)]
    assert "the deploy key rotates on fridays" in results[0]
    assert "api/routes.py:3: def list_users():" in results[1]
    assert results[2] == "api/routes.py"
    assistant = next(m for m in oai_server.chat_requests[1].body["messages"] if m.get("tool_calls"))
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == ["read", "grep", "glob"]
    answer = copilot.state.messages[-1]
    assert answer.content == "The key rotates on Fridays."
    assert answer.status == "complete"
    assert [(c.name, c.status, c.decision) for c in answer.tool_calls] == [
        ("read", "ok", "auto"), ("grep", "ok", "auto"), ("glob", "ok", "auto")]
    assert answer.tool_calls[0].summary == "read notes.txt, 1 line"
    kinds = [type(i).__name__ for i in items]
    assert kinds.count("ToolCallStarted") == 3 and kinds.count("ToolCallFinished") == 3


@pytest.mark.parametrize("answer", ["once", "deny"])
async def test_edit_asks_and_deny_leaves_the_file(oai_server: OAIServer, project: Path, answer: str) -> None:
    oai_server.script(
        tool_calls([("edit", json.dumps({"path": "notes.txt", "old_string": "fridays",
                                         "new_string": "mondays"}))]),
        text("Done."),
    )
    copilot = copilot_for(oai_server, project)
    asked: list[PermissionRequest] = []

    async def approver(request: PermissionRequest):
        asked.append(request)
        return answer

    copilot.approver = approver
    _, end = await ask(copilot, "move the rotation to mondays")
    assert end.error is None
    assert asked[0].title == "edit notes.txt"
    assert "+the deploy key rotates on mondays" in asked[0].diff
    content = (project / "notes.txt").read_text()
    call = copilot.state.messages[-1].tool_calls[0]
    if answer == "deny":
        assert content == "the deploy key rotates on fridays\n"
        assert call.status == "denied"
        assert "denied" in tool_messages(oai_server, 1)[0]["content"]
    else:
        assert content == "the deploy key rotates on mondays\n"
        assert (call.status, call.decision) == ("ok", "once")


async def test_an_agent_file_allow_runs_without_asking_and_ask_still_asks(
        oai_server: OAIServer, project: Path, tmp_path: Path) -> None:
    agent = tmp_path / "editor.md"
    agent.write_text("---\nname: editor\ntools:\n  read: true\n  edit: true\n  write: true\n"
                     "permission:\n  edit: allow\n  write: ask\n---\n\n# Editor\n\nEdits.\n")
    oai_server.script(
        tool_calls([("edit", json.dumps({"path": "notes.txt", "old_string": "fridays",
                                         "new_string": "mondays"})),
                    ("write", '{"path": "new.txt", "content": "x"}')]),
        text("Done."),
    )
    copilot = copilot_for(oai_server, project, agent=str(agent))
    asked: list[str] = []

    async def approver(request: PermissionRequest):
        asked.append(request.tool)
        return "deny"

    copilot.approver = approver
    _, end = await ask(copilot, "move the rotation to mondays and add new.txt")
    assert end.error is None
    # edit: allow in the file's permission map: it ran, nobody was asked.
    assert (project / "notes.txt").read_text() == "the deploy key rotates on mondays\n"
    # write: ask: the user was asked, said no, and nothing was written.
    assert asked == ["write"]
    assert not (project / "new.txt").exists()
    edit, write = copilot.state.messages[-1].tool_calls
    assert (edit.status, edit.decision) == ("ok", "agent file")
    assert write.status == "denied"


async def test_no_approver_means_denied(oai_server: OAIServer, project: Path) -> None:
    oai_server.script(tool_calls([("write", '{"path": "x.txt", "content": "x"}')]), text("ok"))
    copilot = copilot_for(oai_server, project)
    await ask(copilot, "write x")
    assert not (project / "x.txt").exists()
    assert copilot.state.messages[-1].tool_calls[0].status == "denied"


async def test_path_outside_root_is_a_tool_error(oai_server: OAIServer, project: Path) -> None:
    oai_server.script(tool_calls([("read", '{"path": "../../etc/passwd"}')]), text("refused"))
    copilot = copilot_for(oai_server, project)
    _, end = await ask(copilot, "read passwd")
    assert end.error is None
    result = tool_messages(oai_server, 1)[0]["content"]
    assert "outside the project root" in result and "root:x:" not in result
    assert copilot.state.messages[-1].tool_calls[0].status == "error"


async def test_malformed_arguments_are_sent_back_as_an_error(oai_server: OAIServer, project: Path) -> None:
    oai_server.script(tool_calls([("read", '{"path": "notes.txt"')]), text("Sorry, retrying."))
    copilot = copilot_for(oai_server, project)
    _, end = await ask(copilot, "read notes")
    assert end.error is None
    assert "not valid JSON" in tool_messages(oai_server, 1)[0]["content"]
    echoed = next(m for m in oai_server.chat_requests[1].body["messages"] if m.get("tool_calls"))
    assert echoed["tool_calls"][0]["function"]["arguments"] == "{}"
    assert copilot.state.messages[-1].status == "complete"


async def test_step_bound_ends_with_a_clear_message(oai_server: OAIServer, project: Path, tmp_path: Path) -> None:
    agent = tmp_path / "stepper.md"
    # A Claude Code list names exactly the tools it grants (an OpenCode map only switches some).
    agent.write_text("---\nname: stepper\nsteps: 2\ntools: read\n---\n\n# Stepper\n\nReads.\n")
    oai_server.script(*[tool_calls([("read", '{"path": "notes.txt"}')]) for _ in range(5)])
    copilot = copilot_for(oai_server, project, agent=str(agent))
    _, end = await ask(copilot, "loop forever")
    assert end.error is not None and "Stopped after 2 tool steps" in end.error.message
    assert len(oai_server.chat_requests) == 2
    assert offered(oai_server) == ["read"]
    message = copilot.state.messages[-1]
    assert message.status == "error" and "Stopped after 2 tool steps" in (message.error or "")


async def test_cancel_while_asking_stops_at_once(oai_server: OAIServer, project: Path) -> None:
    oai_server.script(tool_calls([("write", '{"path": "notes.txt", "content": "gone"}')]))
    copilot = copilot_for(oai_server, project)
    waiting = asyncio.Event()

    async def never(request: PermissionRequest):
        waiting.set()
        await asyncio.Event().wait()
        return "once"

    copilot.approver = never

    async def consume() -> None:
        async for _ in copilot.ask("overwrite notes"):
            pass

    task = asyncio.create_task(consume())
    await asyncio.wait_for(waiting.wait(), 20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    message = copilot.state.messages[-1]
    assert message.status == "stopped"
    assert message.tool_calls[0].status == "cancelled"
    assert (project / "notes.txt").read_text() == "the deploy key rotates on fridays\n"
    assert len(oai_server.chat_requests) == 1


async def test_playbook_gets_no_tools(project: Path) -> None:
    copilot = Copilot.start(cli={"provider": "offline"}, root=project)
    assert copilot.offers_tools is False
    _, end = await ask(copilot, "REST or GraphQL for our API?")
    assert end.error is None and copilot.state.messages[-1].tool_calls == []


async def test_tool_calls_appear_in_every_export(oai_server: OAIServer, project: Path) -> None:
    oai_server.script(tool_calls([("read", '{"path": "notes.txt"}')]), text("<b>Fridays</b>"))
    copilot = copilot_for(oai_server, project)
    await ask(copilot, "what is in notes.txt?")
    md = export_session(copilot.state, "md", copilot.persona)
    html = export_session(copilot.state, "html", copilot.persona)
    data = json.loads(export_session(copilot.state, "json", copilot.persona))
    assert "read notes.txt, 1 line" in md
    assert "read notes.txt, 1 line" in html and "<b>Fridays" not in html
    assert any(e["type"] == "tool_start" for e in data["events"])
    assert data["state"]["messages"][-1]["tool_calls"][0]["name"] == "read"
    folded = fold(import_json(export_session(copilot.state, "json", copilot.persona)))
    assert folded.messages[-1].tool_calls == copilot.state.messages[-1].tool_calls
    assert folded.messages[-1].content == copilot.state.messages[-1].content


def test_cli_ask_sends_file_content_back(oai_server: OAIServer, project: Path) -> None:
    oai_server.script(tool_calls([("read", '{"path": "notes.txt"}')]), text("It says the key rotates."))
    env = dict(os.environ, OPENAI_BASE_URL=oai_server.base_url, BACKEND_COPILOT_MODEL="test-model",
               PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "ask", "what do the API service notes say?"],
        capture_output=True, text=True, env=env, cwd=project, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "It says the key rotates." in result.stdout
    assert "[tool] read notes.txt" in result.stderr
    assert "the deploy key rotates on fridays" in tool_messages(oai_server, 1)[0]["content"]
    assert sorted(offered(oai_server)) == ["edit", "glob", "grep", "read", "write"]


def test_cli_without_tty_denies_writes(oai_server: OAIServer, project: Path) -> None:
    oai_server.script(tool_calls([("write", '{"path": "notes.txt", "content": "gone"}')]), text("ok"))
    env = dict(os.environ, OPENAI_BASE_URL=oai_server.base_url, BACKEND_COPILOT_MODEL="test-model",
               PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "ask", "--root", str(project),
         "clear the API service notes"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "denied" in result.stderr
    assert (project / "notes.txt").read_text() == "the deploy key rotates on fridays\n"


async def test_a_plain_chat_without_a_persona_offers_no_tools(
    oai_server: OAIServer, project: Path
) -> None:
    """Tools belong to the persona's work: small talk goes out without a `tools` list (a local
    model then cannot wander off into calls nobody asked for)."""
    oai_server.script(text("Hello."))
    copilot = copilot_for(oai_server, project, persona_on=False)
    _, end = await ask(copilot, "hello, how are you?")
    assert end.error is None and not copilot.state.persona_active
    assert "tools" not in oai_server.chat_requests[0].body
