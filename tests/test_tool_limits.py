"""Tools never hang or balloon on what a repository can hold: pipes, sockets, devices, huge
files, runaway patterns; and a stopped answer stops its search.

Each call runs the real tool in a child process with a time bound, so a tool that blocks
forever fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_CALL = textwrap.dedent("""
    import asyncio, json, sys
    import agent.tools.read_tools as read_tools
    from agent.tools import BUILTIN, ProjectRoot, Toolbox
    for name, value in json.loads(sys.argv[4]).items():
        setattr(read_tools, name, value)
    box = Toolbox(ProjectRoot(sys.argv[1]), BUILTIN)
    async def yes(request):
        return "once"
    out = asyncio.run(box.run(sys.argv[2], sys.argv[3], approver=yes, allowed=set()))
    # VmHWM: this program's own peak (ru_maxrss would include the forking parent's size)
    status = open("/proc/self/status").read()
    peak_mb = int(status.split("VmHWM:")[1].split()[0]) // 1024
    print(json.dumps({"status": out.status, "content": out.content, "summary": out.summary,
                      "peak_mb": peak_mb}))
""")


def call(root: Path, tool: str, settings: dict | None = None, **args: object) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _CALL, str(root), tool, json.dumps(args), json.dumps(settings or {})],
        capture_output=True, text=True, cwd=ROOT, timeout=90,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "ok.txt").write_text("needle here\n")
    os.mkfifo(project / "pipe.txt")
    return project


def test_a_fifo_is_refused_by_read_and_edit_and_skipped_by_grep(root: Path) -> None:
    out = call(root, "read", path="pipe.txt")
    assert out["status"] == "error" and "named pipe (FIFO)" in out["content"]
    out = call(root, "edit", path="pipe.txt", old_string="a", new_string="b")
    assert out["status"] == "error" and "not a regular file" in out["content"]
    out = call(root, "grep", pattern="needle")
    assert out["status"] == "ok" and "ok.txt:1: needle here" in out["content"]


def test_a_socket_file_is_refused(root: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(root / "s.sock"))
        out = call(root, "read", path="s.sock")
    assert out["status"] == "error" and "s.sock" in out["content"]


def test_reading_a_large_file_streams_within_a_small_memory_budget(root: Path) -> None:
    big = root / "big.log"
    line = b"2026-11-29 request served in 12 ms\n"
    with big.open("wb") as fh:
        for _ in range(40):
            fh.write(line * 25_000)  # 40 x 0.9 MB: 36 MB, one million lines
    out = call(root, "read", path="big.log", offset=10, limit=3)
    # Read whole, the file alone would be 36 MB of bytes, then as much again as text, then a
    # million line strings; streamed, the process stays near its starting size.
    assert out["peak_mb"] < 120, out["peak_mb"]
    assert out["status"] == "ok"
    assert "    10\t2026-11-29 request served in 12 ms" in out["content"]
    assert out["summary"].startswith("read big.log, lines 10-12 of more than ")


def test_one_huge_line_is_cut_not_loaded(root: Path) -> None:
    (root / "one.txt").write_bytes(b"x" * 60_000_000)
    out = call(root, "read", path="one.txt")
    assert out["peak_mb"] < 120, out["peak_mb"]
    assert out["status"] == "ok" and "[line cut: about" in out["content"]


def test_a_runaway_pattern_is_stopped_with_a_clear_result(root: Path) -> None:
    (root / "evil.txt").write_text("a" * 64 + "b\n")
    out = call(root, "grep", {"GREP_SECONDS": 1.0}, pattern="(a|aa)+$")
    assert out["status"] == "error"
    assert "was stopped after" in out["content"] and "simpler pattern" in out["content"]
    assert "evil.txt:1" in out["content"]


_CANCEL = textwrap.dedent("""
    import asyncio, json, sys, threading, time
    import agent.tools.read_tools as read_tools
    from agent.tools import BUILTIN, ProjectRoot, Toolbox
    read_tools.GREP_SECONDS = 600.0
    read_tools.GREP_LINE_SECONDS = 5.0  # each line below takes well under it
    box = Toolbox(ProjectRoot(sys.argv[1]), BUILTIN)
    before = threading.active_count()
    async def main():
        task = asyncio.create_task(box.run("grep", json.dumps({"pattern": "(a|aa)+$"}),
                                           approver=None, allowed=set()))
        while threading.active_count() == before:  # the search thread has started
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        task.cancel()  # what Esc / Ctrl+C do to the answer
        try:
            await task
        except asyncio.CancelledError:
            pass
    asyncio.run(main())
    # asyncio.run waits for the default executor's threads: reaching here means it ended.
    print("ended")
""")


def test_stopping_the_answer_stops_its_search(root: Path) -> None:
    # Each line costs this pattern a fraction of a second; all of them, minutes.
    (root / "evil.txt").write_text(("a" * 24 + "b\n") * 2000)
    done = subprocess.run([sys.executable, "-c", _CANCEL, str(root)], capture_output=True,
                          text=True, cwd=ROOT, timeout=90, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.stdout.strip() == "ended", done.stderr[-2000:]
