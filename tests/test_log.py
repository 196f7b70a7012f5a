"""The log file holds the traceback the screen does not show, and never a key."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys

from agent import log, paths
from agent.errors import AgentFileError, CopilotError, SessionError, ToolError


def test_every_error_is_a_copilot_error_with_a_title():
    for exc in (AgentFileError("a.md", 3, "bad"), SessionError("x"), ToolError("y")):
        assert isinstance(exc, CopilotError)
    assert AgentFileError("a.md", 3, "bad\nthing").headline() == "Agent file: a.md:3: bad thing"


def test_traceback_goes_to_a_private_log_with_keys_masked(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.LOG_ENV, str(tmp_path / "logs"))
    monkeypatch.setattr(log.logging.getLogger(log.LOGGER_NAME), "handlers", [])
    key = "sk-test-1234567890abcdef"
    log.mask([key])
    basic = base64.b64encode(f"user:{key}".encode()).decode()  # an echoed Basic auth header
    try:
        raise RuntimeError(f"server said: bad key {key} \x1b]52;c;aGk=\x07 (Basic {basic})")
    except RuntimeError as exc:
        log.log_exception("asking the model", exc)
    for handler in log.logger().handlers:
        handler.flush()
    text = paths.log_file().read_text()
    assert "asking the model" in text and "Traceback" in text and "RuntimeError" in text
    assert key not in text and "***" in text and "\x1b" not in text
    assert basic[8:-8] not in text  # nor the key in base64
    assert stat.S_IMODE(os.stat(paths.log_file()).st_mode) == 0o600


def test_cli_bug_is_one_line_and_the_log_has_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.LOG_ENV, str(tmp_path / "logs"))
    # A bug inside a command: the export of a session whose events are not a list.
    code = (
        "import sys, tui.cli as c\n"
        "def boom(*a, **k): raise ZeroDivisionError('division by zero in a helper')\n"
        "c._config = boom\n"
        "sys.exit(c.main(['config']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "unexpected error (ZeroDivisionError" in lines[0]
    assert str(tmp_path / "logs") in lines[0]
    logged = (tmp_path / "logs" / "backend-copilot.log").read_text()
    assert "Traceback" in logged and "boom" in logged
