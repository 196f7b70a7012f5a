"""The real Sequential-Thinking MCP server from npm (the persona's secondary server).

`make test-mcp` installs it into .mcp-servers/ and runs this; without it the test skips.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.config import McpLocal
from agent.persona.persona import load_persona
from agent.tools.mcp import McpManager, mcp_roles

ROOT = Path(__file__).resolve().parents[2]
SERVER = Path(
    os.environ.get("SEQUENTIAL_THINKING_BIN")
    or ROOT / ".mcp-servers" / "node_modules" / ".bin" / "mcp-server-sequential-thinking"
)

pytestmark = pytest.mark.skipif(
    not SERVER.exists(), reason="run `make test-mcp` to install the npm Sequential-Thinking server"
)


async def test_real_sequential_thinking_server_connects_lists_and_answers() -> None:
    manager = McpManager({"sequential-thinking": McpLocal(command=[str(SERVER)])})
    await manager.start()
    await manager.wait_ready(60)
    try:
        status = manager.statuses()[0]
        assert status.state == "connected", status.line
        names = [t.name for t in status.tools]
        assert "sequential-thinking_sequentialthinking" in names
        roles = {r.name: r for r in mcp_roles(load_persona(), manager.statuses())}
        assert roles["Sequential-Thinking"].state == "connected"
        spec = next(s for s in manager.tool_specs() if s.name.endswith("sequentialthinking"))
        info = next(t for t in manager.statuses()[0].tools if t.name == spec.name)
        assert spec.needs_approval is not info.read_only  # asks unless the server says read-only
        thought = {"thought": "Split the API by resource.", "thoughtNumber": 1,
                   "totalThoughts": 2, "nextThoughtNeeded": True}
        result = await spec.run(thought, None)  # type: ignore[arg-type]
        assert result.ok and "thoughtNumber" in result.content
    finally:
        await manager.aclose()
