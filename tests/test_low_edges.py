"""The small trust-boundary edges: each one line and an exit code, never a hang or a trace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from oai_server import OAIServer, text

from agent.copilot import Copilot
from agent.session.journal import Session
from agent.session.lock import SessionBusy, SessionLock

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), **env))


def oai(server: OAIServer) -> list[str]:
    return ["--provider", "openai", "--base-url", server.base_url, "--model", "test-model"]


def test_an_empty_answer_exits_1_with_a_message_and_ask_leaves_no_lock(
        oai_server: OAIServer, isolated_dirs: dict) -> None:
    oai_server.script(text([]), text("fine"))
    done = cli("ask", *oai(oai_server), "hello", OPENAI_API_KEY="sk-test")
    assert done.returncode == 1 and "empty answer" in done.stderr
    done = cli("ask", *oai(oai_server), "hello again", OPENAI_API_KEY="sk-test")
    assert done.returncode == 0 and done.stdout.strip() == "fine"
    sessions = isolated_dirs["data"] / "sessions"
    assert list(sessions.glob("*.jsonl")) and not list(sessions.glob("*.lock"))


@pytest.mark.parametrize("body", [
    "[" * 200_000,
    '{"format": "backend-copilot-session", "version": 1, "events": [' + "7" * 5000 + "]}",
], ids=["deep", "huge-int"])
def test_hostile_json_imports_are_one_line(tmp_path: Path, body: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(body)
    done = cli("import", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "export" in done.stderr


def test_a_symlinked_alias_of_a_session_shares_its_lock(isolated_dirs: dict) -> None:
    session = Session.create("backend")
    session.add_user_message("hi", persona_active=False, phase="")
    alias = session.path.with_name("alias.jsonl")
    alias.symlink_to(session.path)
    with pytest.raises(SessionBusy):
        SessionLock.acquire(alias)
    session.close()
    SessionLock.acquire(alias).release()


def test_a_config_file_that_is_a_fifo_does_not_hang_start_up(isolated_dirs: dict) -> None:
    isolated_dirs["config"].mkdir(parents=True, exist_ok=True)
    os.mkfifo(isolated_dirs["config"] / "config.toml")
    done = cli("config")
    assert done.returncode == 0
    assert "config.toml is not a regular file" in done.stderr


async def test_a_drip_feeding_server_is_stopped_by_the_answer_deadline(
        oai_server: OAIServer, isolated_dirs: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    isolated_dirs["config"].mkdir(parents=True, exist_ok=True)
    (isolated_dirs["config"] / "config.toml").write_text("answer_timeout = 3\n")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    # one piece every 0.2 s, well inside read_timeout, for a minute in all
    oai_server.script(text(["drip "] * 300, delay=0.2))
    copilot = Copilot.start(cli={"provider": "openai", "base_url": oai_server.base_url,
                                 "model": "test-model", "max_retries": 0})
    async for _ in copilot.ask("hello"):
        pass
    answer = copilot.state.messages[-1]
    copilot.session.close()
    assert answer.status == "error" and "answer_timeout" in (answer.error or "")
    assert answer.content.startswith("drip ")  # what came is kept
