"""Text from agent files reaches the terminal stripped, in every command (not only `ask`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OSC52 = "\x1b]52;c;SGVsbG8gY2xpcGJvYXJk\x07"
HOSTILE = (
    "---\n"
    'name: "evil\\e]52;c;SGVsbG8gY2xpcGJvYXJk\\a"\n'
    'description: "desc \\e[2J\\e[H"\n'
    "tools: read\n"
    "---\n\n"
    f"# Title {OSC52}\x1b[31mred\x1b[0m\n\n"
    "## Keywords\n"
    f"api{OSC52}, endpoint\n"
)


@pytest.fixture
def agent_file(tmp_path: Path) -> Path:
    path = tmp_path / "evil.md"
    path.write_text(HOSTILE)
    return path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True,
                          cwd=cwd, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))


@pytest.mark.parametrize("args", [
    ("persona", "show", "{path}"),
    ("detect", "--agent", "{path}", "the api endpoint"),
    ("ask", "--provider", "offline", "--agent", "{path}", "the api endpoint"),
])
def test_no_escape_from_an_agent_file_reaches_the_terminal(
        agent_file: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    done = run(*(a.format(path=agent_file) for a in args), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for stream in (done.stdout, done.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream and b"\x9b" not in stream
    if args[0] == "persona":
        assert b"Title ]52;c;" not in done.stdout  # the whole sequence went, not just ESC
        assert b"evil" in done.stdout and b"Title" in done.stdout
