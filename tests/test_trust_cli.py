"""`ask` and the trust of a repository's agent files: a terminal may trust, a pipe never."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from oai_server import OAIServer, text
from test_trust import HOSTILE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".claude" / "agents").mkdir(parents=True)
    (root / ".claude" / "agents" / "shell-hand.md").write_text(HOSTILE)
    return root


def command(server: OAIServer) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "ask", "--provider", "openai", "--base-url",
            server.base_url, "--model", "test-model", "check the api endpoint"]


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), OPENAI_API_KEY="sk-test")


def store() -> Path:
    return Path(os.environ["BACKEND_COPILOT_DATA_DIR"]) / "trusted-folders.json"


def test_without_a_terminal_nothing_is_trusted_and_one_line_says_so(
        oai_server: OAIServer, repo: Path) -> None:
    oai_server.script(text("ok"))
    done = subprocess.run(command(oai_server), input=b"y\nyes\n", capture_output=True,
                          cwd=repo, env=env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"the agent files in {repo} are not trusted" in done.stderr.decode()
    assert not store().exists()


def _run_in_pty(cmd: list[str], cwd: Path, answer: bytes) -> tuple[int, str]:
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env())
    os.close(slave)
    seen = bytearray()
    sent = False
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        seen.extend(data)
        if not sent and b"[y/N]" in seen:
            os.write(master, answer)
            sent = True
    os.close(master)
    return proc.wait(timeout=120), seen.decode("utf-8", "replace")


@pytest.mark.parametrize(("answer", "trusted"), [(b"\n", False), (b"y\n", True)])
def test_at_a_terminal_the_prompt_names_the_files_and_defaults_to_no(
        oai_server: OAIServer, repo: Path, answer: bytes, trusted: bool) -> None:
    oai_server.script(text("ok"))
    code, shown = _run_in_pty(command(oai_server), repo, answer)
    assert code == 0, shown
    assert ".claude/agents/shell-hand.md: asks to run shell commands (bash)" in shown
    assert store().exists() == trusted
    if trusted:
        assert str(repo) in store().read_text()
