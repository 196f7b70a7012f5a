"""Private files, and the key in no file even when the process dies mid-answer.

The full leak scan (streaming, a 401 and a 500 that echo the key, an export in each format,
every file under the data and export folders) is
tests/test_ask_cli_llm.py::test_api_key_never_reaches_files_or_output; this adds the kill -9
path and the lock file, and checks modes with a permissive umask.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from oai_server import OAIServer, hang, text
from rel_helpers import ROOT, cli_cmd, cli_env, file_has, kill9, oai_args, run_cli, wait_for

FAKE_KEY = "sk-fake-RELIABILITY-0123456789abcdef"


def _umask0() -> None:
    os.umask(0)  # the most permissive a user could have: modes must not depend on it


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folders_0700_files_0600_whatever_the_umask(
    oai_server: OAIServer, isolated_dirs: dict
) -> None:
    env = cli_env(OPENAI_API_KEY=FAKE_KEY)
    oai_server.script(text("An answer.", chunks=2))
    asked = run_cli("ask", "--json", *oai_args(oai_server.base_url), "q", env=env,
                    preexec=_umask0)
    assert asked.returncode == 0, asked.stderr
    data: Path = isolated_dirs["data"]
    assert _mode(data) == 0o700 and _mode(data / "sessions") == 0o700
    logs = list((data / "sessions").glob("*.jsonl"))
    assert logs and all(_mode(p) == 0o600 for p in logs)
    session_id = logs[0].stem
    for fmt in ("md", "json", "html"):
        exported = run_cli("export", session_id, "-f", fmt, env=env, preexec=_umask0)
        assert exported.returncode == 0, exported.stderr
    exports: Path = isolated_dirs["exports"]
    assert _mode(exports) == 0o700
    files = list(exports.iterdir())
    assert len(files) == 3 and all(_mode(p) == 0o600 for p in files)
    # The config folder is only ever read; when the app makes it, it is private too.
    made = subprocess.run(
        [cli_cmd()[0], "-c", "from agent import paths; paths.config_dir(create=True)"],
        env=env, cwd=ROOT, preexec_fn=_umask0,
    )
    assert made.returncode == 0 and _mode(isolated_dirs["config"]) == 0o700


def test_key_is_in_no_file_after_a_kill_mid_answer(
    oai_server: OAIServer, isolated_dirs: dict
) -> None:
    env = cli_env(OPENAI_API_KEY=FAKE_KEY)
    oai_server.script(hang(120, after=[f"echoing the header: Bearer {FAKE_KEY[:8]}", " more"]))
    proc = subprocess.Popen(
        cli_cmd("ask", *oai_args(oai_server.base_url), "question"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT,
    )
    sessions: Path = isolated_dirs["data"] / "sessions"
    try:
        wait_for(lambda: any(file_has(p, "more")() for p in sessions.glob("*.jsonl")),
                 "the partial answer on disk")
        assert any(p.suffix == ".lock" for p in sessions.iterdir())
        assert oai_server.requests[-1].headers["authorization"] == f"Bearer {FAKE_KEY}"
    finally:
        kill9(proc)
    written = [p for d in isolated_dirs.values() if d.exists() for p in d.rglob("*") if p.is_file()]
    assert written
    for path in written:
        assert b"RELIABILITY-0123456789" not in path.read_bytes(), path


def test_web_mode_listens_on_loopback_unless_told_otherwise() -> None:
    from tui.cli import build_parser

    assert build_parser().parse_args(["--web"]).host == "127.0.0.1"
    assert build_parser().parse_args(["--web", "--host", "0.0.0.0"]).host == "0.0.0.0"
