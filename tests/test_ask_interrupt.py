"""Ctrl+C at `ask`'s permission prompt ends it at once (it used to wait for Enter)."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from oai_server import OAIServer, tool_calls

ROOT = Path(__file__).resolve().parents[1]


def test_ctrl_c_at_the_permission_prompt_ends_ask_without_enter(
        oai_server: OAIServer, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("fridays\n")
    oai_server.script(tool_calls([("edit", json.dumps(
        {"path": "notes.txt", "old_string": "fridays", "new_string": "mondays"}))]))
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "ask", "--provider", "openai", "--base-url",
         oai_server.base_url, "--model", "test-model", "--root", str(tmp_path), "change the API service notes"],
        stdin=slave, stdout=slave, stderr=slave, cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT), OPENAI_API_KEY="sk-test"),
    )
    os.close(slave)
    seen = bytearray()

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            seen.extend(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while b"Allow?" not in seen:
            assert proc.poll() is None, seen.decode(errors="replace")
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)  # what Ctrl+C sends; no Enter follows
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert code != 0
    assert (tmp_path / "notes.txt").read_text() == "fridays\n"
