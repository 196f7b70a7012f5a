"""An MCP server that prints garbage is one status line, not a flood of SDK tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from oai_server import OAIServer, text

from agent import paths

ROOT = Path(__file__).resolve().parents[1]
NOISY = "import sys, time\nfor i in range(40): print('garbage line', i, flush=True)\ntime.sleep(1)\n"


def configure(isolated_dirs: dict) -> None:
    isolated_dirs["config"].mkdir(parents=True, exist_ok=True)
    (isolated_dirs["config"] / "config.toml").write_text(
        f"[mcp.noisy]\ntype = \"local\"\ncommand = {json.dumps([sys.executable, '-c', NOISY])}\n")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=180,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), OPENAI_API_KEY="sk-test"))


def test_mcp_list_and_ask_say_one_line_and_log_the_rest(
        isolated_dirs: dict, oai_server: OAIServer) -> None:
    configure(isolated_dirs)
    listed = run("mcp", "list")
    assert listed.returncode == 0
    assert listed.stderr == "" and "noisy" in listed.stdout and "failed" in listed.stdout
    oai_server.script(text("fine"))
    asked = run("ask", "--provider", "openai", "--base-url", oai_server.base_url, "--model",
                "test-model", "hello")
    assert asked.returncode == 0 and asked.stdout.strip() == "fine"
    assert "Traceback" not in asked.stderr
    assert [line for line in asked.stderr.splitlines() if "noisy" in line] == [
        line for line in asked.stderr.splitlines() if line.startswith("backend-copilot: MCP")]
    assert len(asked.stderr.splitlines()) <= 3, asked.stderr
    log = paths.log_file()
    assert "Failed to parse JSONRPC message" in log.read_text()
    assert log.stat().st_mode & 0o777 == 0o600
