"""MCP servers: a real stdio server written with the `mcp` SDK, started, listed, called through
the function-calling loop; broken servers are status lines."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from oai_server import OAIServer, closed_port, text, tool_calls

from agent.config import McpLocal, McpRemote, load_settings
from agent.copilot import Copilot
from agent.persona.persona import load_persona
from agent.tools import PermissionRequest
from agent.tools.base import ToolContext
from agent.tools.mcp import McpManager, ServerStatus, mcp_roles
from agent.tools.root import ProjectRoot

ROOT = Path(__file__).resolve().parents[1]
ECHO = ROOT / "tests" / "fixtures" / "mcp_echo_server.py"


def echo_config(log: Path | None = None, *extra: str) -> McpLocal:
    env = {"MCP_ECHO_LOG": str(log)} if log else {}
    return McpLocal(command=[sys.executable, str(ECHO), *extra], environment=env)


def write_config(dirs: dict, body: str) -> None:
    dirs["config"].mkdir(parents=True, exist_ok=True)
    (dirs["config"] / "config.toml").write_text(body)


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


async def test_tools_listed_with_server_prefix_and_read_only_hint() -> None:
    manager = McpManager({"echo": echo_config()})
    assert manager.statuses()[0].state == "not started"  # nothing starts by itself
    await manager.start()
    await manager.wait_ready(60)
    try:
        status = manager.statuses()[0]
        assert status.line == "connected, 3 tools"
        assert {t.name: t.read_only for t in status.tools} == {
            "echo_echo": True, "echo_shout": False, "echo_crash": False}
        specs = {s.name: s for s in manager.tool_specs()}
        assert specs["echo_echo"].needs_approval is True  # a hint alone: still asks
        assert specs["echo_shout"].needs_approval is True
        assert specs["echo_echo"].parameters["properties"]["text"]["type"] == "string"
    finally:
        await manager.aclose()


async def test_missing_command_and_failing_server_are_status_lines() -> None:
    manager = McpManager({
        "ghost": McpLocal(command=["no-such-mcp-server-command"]),
        "grumpy": echo_config(None, "--fail"),
    })
    await manager.start()
    await manager.wait_ready(60)
    await manager.aclose()
    ghost, grumpy = manager.statuses()
    assert ghost.line == "failed: command not found: no-such-mcp-server-command"
    assert grumpy.state == "failed" and "refusing to start" in grumpy.reason
    assert manager.tool_specs() == []


async def test_mcp_tool_called_through_the_loop(
    oai_server: OAIServer, tmp_path: Path, isolated_dirs: dict
) -> None:
    log = tmp_path / "shouts.log"
    command = [sys.executable, str(ECHO)]
    write_config(isolated_dirs, f'[mcp.echo]\ntype = "local"\ncommand = {toml_list(command)}\n'
                 f'environment = {{ MCP_ECHO_LOG = {json.dumps(str(log))} }}\ntrust = true\n')
    oai_server.script(
        tool_calls([("echo_echo", '{"text": "hi there"}'), ("echo_shout", '{"text": "quiet"}')]),
        text("Echoed."),
    )
    copilot = Copilot.start(cli={"provider": "openai", "base_url": oai_server.base_url,
                                 "model": "test-model"}, root=tmp_path)
    copilot.set_persona_mode("on")  # tools come with the persona
    asked: list[PermissionRequest] = []

    async def deny(request: PermissionRequest):
        asked.append(request)
        return "deny"

    copilot.approver = deny
    copilot.set_persona_mode("on")  # tools come with a persona that is on
    await copilot.start_mcp()
    await copilot.mcp.wait_ready(60)
    try:
        async for _ in copilot.ask("echo hi there"):
            pass
    finally:
        await copilot.aclose()
    offered = [t["function"]["name"] for t in oai_server.chat_requests[0].body["tools"]]
    assert {"echo_echo", "echo_shout", "echo_crash", "read"} <= set(offered)
    results = [m["content"] for m in oai_server.chat_requests[1].body["messages"] if m["role"] == "tool"]
    assert results[0] == "echo: hi there"
    assert "denied" in results[1]
    assert [r.tool for r in asked] == ["echo_shout"]  # trusted server: its read-only tool ran
    assert not log.exists()
    calls = copilot.state.messages[-1].tool_calls
    assert [(c.name, c.server, c.status) for c in calls] == [
        ("echo_echo", "echo", "ok"), ("echo_shout", "echo", "denied")]
    assert calls[0].result == "echo: hi there"


async def test_a_dying_server_is_a_status_line_and_the_chat_goes_on(
    oai_server: OAIServer, tmp_path: Path, isolated_dirs: dict
) -> None:
    write_config(isolated_dirs, f'[mcp.echo]\ntype = "local"\ncommand = '
                 f"{toml_list([sys.executable, str(ECHO)])}\n")
    oai_server.script(tool_calls([("echo_crash", "{}")]), text("It crashed."), text("Still here."))
    copilot = Copilot.start(cli={"provider": "openai", "base_url": oai_server.base_url,
                                 "model": "test-model"}, root=tmp_path)
    copilot.set_persona_mode("on")  # tools come with the persona

    async def allow(request: PermissionRequest):
        return "once"

    copilot.approver = allow
    await copilot.start_mcp()
    await copilot.mcp.wait_ready(60)
    try:
        async for _ in copilot.ask("crash it"):
            pass
        status = copilot.mcp.statuses()[0]
        assert status.state == "failed" and "stopped" in status.reason
        call = copilot.state.messages[-1].tool_calls[0]
        assert call.status == "error"
        async for _ in copilot.ask("and now?"):
            pass
    finally:
        await copilot.aclose()
    assert copilot.state.messages[-1].content == "Still here."
    assert "echo_crash" not in [t["function"]["name"] for t in oai_server.chat_requests[2].body["tools"]]


def test_config_mcp_section_problems_not_crashes(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[mcp.context7]\ntype = "remote"\nurl = "https://mcp.example/mcp"\n'
        'headers = { Authorization = "Bearer sk-secret-value" }\n'
        '[mcp.seq]\ntype = "local"\ncommand = ["npx", "-y", "@modelcontextprotocol/server-sequential-thinking"]\n'
        '[mcp.bad]\ntype = "local"\ncommand = "npx"\n'
        '[mcp.untyped]\ncommand = ["x"]\n'
    )
    settings, problems = load_settings(env={}, path=path)
    assert set(settings.mcp) == {"context7", "seq"}
    assert settings.mcp["seq"].command[0] == "npx"
    assert any(p.startswith("mcp.bad.command") for p in problems)
    assert any(p.startswith("mcp.untyped") and "no type" in p for p in problems)
    assert not any("sk-secret-value" in p for p in problems)


def test_persona_mcp_roles_beside_connected_servers() -> None:
    persona = load_persona()
    names = [name for name, _, _ in persona.mcp_servers]
    assert names[:2] == ["Context7", "Sequential-Thinking"]
    statuses = [
        ServerStatus(name="context7", type="remote", target="https://x", state="connected"),
        ServerStatus(name="sequential_thinking", type="local", target="npx", state="failed",
                     reason="command not found: npx"),
    ]
    roles = mcp_roles(persona, statuses)
    assert [(r.name, r.role, r.server, r.detail) for r in roles[:2]] == [
        ("Context7", "Primary", "context7", "connected, 0 tools"),
        ("Sequential-Thinking", "Secondary", "sequential_thinking", "failed: command not found: npx"),
    ]
    unconfigured = mcp_roles(persona, [])
    assert all(r.state == "not configured" for r in unconfigured)


def test_cli_mcp_list_prints_status_and_tools(isolated_dirs: dict) -> None:
    write_config(isolated_dirs, f'[mcp.echo]\ntype = "local"\ncommand = '
                 f"{toml_list([sys.executable, str(ECHO)])}\n"
                 '[mcp.ghost]\ntype = "local"\ncommand = ["no-such-mcp-server-command"]\n')
    result = subprocess.run([sys.executable, "-m", "tui.cli", "mcp", "list"], capture_output=True,
                            text=True, cwd=ROOT, env=dict(os.environ), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "echo  (local:" in result.stdout and "connected, 3 tools" in result.stdout
    assert "echo_echo  [says read-only; asks first (not trusted)]" in result.stdout and "echo_shout  [asks first]" in result.stdout
    assert "ghost" in result.stdout and "failed: command not found" in result.stdout




# -- remote (streamable HTTP) servers ---------------------------------------------------


@pytest.fixture
def http_echo(tmp_path: Path):
    """The echo server over streamable HTTP on 127.0.0.1, wanting the header X-Token: s3cret."""
    port = closed_port()  # nothing listens there yet
    proc = subprocess.Popen([sys.executable, str(ECHO), "--http", str(port), "--token", "s3cret"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the HTTP echo server exited: {proc.stderr.read().decode()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/mcp"
    proc.kill()
    proc.wait()


async def test_a_remote_server_is_reached_with_its_headers_and_its_tools_run(http_echo: str) -> None:
    manager = McpManager({"web": McpRemote(url=http_echo, headers={"X-Token": "s3cret"})})
    await manager.start()
    await manager.wait_ready(60)
    try:
        status = manager.statuses()[0]
        assert status.line == "connected, 3 tools"
        assert status.target == http_echo  # the URL is shown; the header's value never is
        assert "s3cret" not in status.model_dump_json()
        specs = {s.name: s for s in manager.tool_specs()}
        result = await specs["web_echo"].run({"text": "over http"}, ToolContext(ProjectRoot(ROOT)))
        assert result.ok and result.content == "echo: over http"
    finally:
        await manager.aclose()


async def test_a_remote_server_refusing_the_headers_is_a_status_line(http_echo: str) -> None:
    manager = McpManager({"web": McpRemote(url=http_echo, headers={"X-Token": "wrong"})})
    await manager.start()
    await manager.wait_ready(60)
    try:
        status = manager.statuses()[0]
        assert status.state == "failed"
        assert status.reason.startswith("HTTP 401 Unauthorized")
        assert "check the headers of [mcp.web] in config.toml" in status.reason
        assert "wrong" not in status.line  # the header's value is not repeated
        assert manager.tool_specs() == []
    finally:
        await manager.aclose()


async def test_a_read_only_hint_from_an_untrusted_server_still_asks(
    oai_server: OAIServer, tmp_path: Path, isolated_dirs: dict
) -> None:
    """The server says `echo` is read-only; config.toml does not say `trust = true`: it asks."""
    command = [sys.executable, str(ECHO)]
    write_config(isolated_dirs, f'[mcp.echo]\ntype = "local"\ncommand = {toml_list(command)}\n')
    oai_server.script(tool_calls([("echo_echo", '{"text": "hi there"}')]), text("ok"))
    copilot = Copilot.start(cli={"provider": "openai", "base_url": oai_server.base_url,
                                 "model": "test-model"}, root=tmp_path)
    asked: list[PermissionRequest] = []

    async def deny(request: PermissionRequest):
        asked.append(request)
        return "deny"

    copilot.approver = deny
    copilot.set_persona_mode("on")  # tools come with a persona that is on
    await copilot.start_mcp()
    await copilot.mcp.wait_ready(60)
    try:
        async for _ in copilot.ask("echo hi there"):
            pass
    finally:
        await copilot.aclose()
    assert [r.tool for r in asked] == ["echo_echo"]
    results = [m["content"] for m in oai_server.chat_requests[1].body["messages"] if m["role"] == "tool"]
    assert "denied" in results[0]
