"""Damaged logs, a read-only or full data folder, unwritable export paths, two writers."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oai_server import OAIServer, hang, text
from rel_helpers import (
    ROOT,
    cli_cmd,
    cli_env,
    drop_file_override,
    file_has,
    file_size_limit,
    kill9,
    oai_args,
    permissions_apply,
    run_cli,
    wait_for,
)

from agent.copilot import Copilot
from agent.session.catalogue import list_sessions
from agent.session.fold import parse_lines
from agent.session.journal import Session, SessionError, SessionInUse
from agent.session.lock import lock_path


def _saved_session(question: str = "kept question") -> Session:
    session = Session.create("backend")
    session.add_user_message(question, persona_active=False, phase="")
    answer = session.start_answer("offline", "", persona_active=False, phase="")
    session.append_chunk(answer, "kept answer")
    session.finish(answer, "complete")
    session.close()
    return session


# -- torn and foreign files ----------------------------------------------------------------


def test_torn_last_line_is_skipped_with_a_notice_the_user_sees() -> None:
    saved = _saved_session()
    with saved.path.open("ab") as fh:
        fh.write(b'{"type":"message","id":"x","role":"user","cont')  # died mid-write
    copilot = Copilot.start(cli={"provider": "offline"}, resume=saved.id)
    assert [m.content for m in copilot.state.messages] == ["kept question", "kept answer"]
    notices = [e.text for e in copilot.state.timeline if e.type == "notice"]
    assert any("Skipped 1 damaged line" in n for n in notices)  # shown in the chat
    assert any("Skipped 1 damaged line" in p for p in copilot.problems)  # toast / stderr
    copilot.session.close()


def test_torn_last_line_is_reported_by_the_cli() -> None:
    saved = _saved_session()
    with saved.path.open("ab") as fh:
        fh.write(b'{"type":"answer_delta","id":"')
    result = run_cli("ask", "--resume", saved.id, "--provider", "offline", "next question")
    assert result.returncode == 0, result.stderr
    assert b"Skipped 1 damaged line" in result.stderr
    state = Session.open(saved.id, read_only=True).state
    assert [m.content for m in state.messages][:3] == ["kept question", "kept answer",
                                                       "next question"]


def test_a_file_that_is_not_json_lines_is_moved_aside_and_the_rest_still_list() -> None:
    good = _saved_session("the good one")
    junk = good.path.with_name("20991231-235959-beef.jsonl")  # would sort newest
    junk.write_bytes(b"\x00\x01binary garbage\nnot json at all\n")
    result = run_cli("sessions", "--json")
    assert result.returncode == 0, result.stderr
    assert [s["id"] for s in json.loads(result.stdout)] == [good.id]
    assert b"Moved it aside to 20991231-235959-beef.jsonl.corrupt-" in result.stderr
    assert not junk.exists()
    aside = list(junk.parent.glob("20991231-235959-beef.jsonl.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"\x00\x01binary")


def test_resume_latest_skips_a_foreign_file_and_the_app_reports_it() -> None:
    good = _saved_session("the good one")
    junk = good.path.with_name("20991231-235959-beef.jsonl")
    junk.write_text("# my notes, not a session\n")
    copilot = Copilot.start(cli={"provider": "offline"}, resume="latest")
    assert copilot.state.id == good.id
    assert any("Moved it aside" in p for p in copilot.problems)
    copilot.session.close()


def test_opening_a_foreign_file_directly_moves_it_aside_with_one_line() -> None:
    directory = Path(os.environ["BACKEND_COPILOT_DATA_DIR"]) / "sessions"
    directory.mkdir(parents=True)
    (directory / "notes.jsonl").write_text("hello\n")
    result = run_cli("ask", "--resume", "notes", "--provider", "offline", "hi")
    assert result.returncode == 1
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "Moved it aside to notes.jsonl.corrupt-" in lines[0]
    assert b"Traceback" not in result.stderr


SESSION_LINES = st.sampled_from([
    b'{"type":"message","id":"m1","role":"user","content":"hi"}',
    b'{"type":"answer_start","id":"a1"}',
    b'{"type":"answer_delta","id":"a1","text":"partial"}',
    b'{"type":"answer_end","id":"a1","status":"complete"}',
    b'{"type":"notice","text":"n"}',
    b'{"type":"message","id":"m2","role":"user","content":"\\u0000\\ud800"}',
    b'{"type":"message"', b"\xff\xfe\x00", b"[]", b"null", b'{"type":"nope"}', b"",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(SESSION_LINES, st.binary(max_size=40)), max_size=12))
def test_any_bytes_load_or_fail_with_session_error(tmp_path: Path, lines: list[bytes]) -> None:
    data = b"\n".join(lines)
    events, skipped = parse_lines(data)
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    try:
        session = Session.open(path, read_only=True)
    except SessionError:
        assert not events
        return
    assert len(session.state.messages) <= len(events)
    assert len(events) + len(skipped) <= len(data.split(b"\n"))


# -- read-only and full data folders -------------------------------------------------------


def test_read_only_data_folder_warns_once_and_answers(tmp_path: Path) -> None:
    if not permissions_apply(tmp_path):
        pytest.skip("file permissions cannot be enforced for a child process here")
    data = Path(os.environ["BACKEND_COPILOT_DATA_DIR"])
    (data / "sessions").mkdir(parents=True)
    os.chmod(data / "sessions", 0o500)
    result = run_cli("ask", "--provider", "offline", "Design a REST API with auth",
                     preexec=drop_file_override)
    os.chmod(data / "sessions", 0o700)
    assert result.returncode == 0, result.stderr
    assert b"WebSocket" in result.stdout or b"REST" in result.stdout
    assert result.stderr.count(b"kept in memory") == 1
    assert b"Traceback" not in result.stderr


def test_full_disk_mid_answer_warns_once_and_the_answer_still_prints(
    oai_server: OAIServer,
) -> None:
    # Room for the first lines only: the streamed answer's lines hit "file too large".
    oai_server.script(text("word " * 400, chunks=40))
    result = run_cli("ask", *oai_args(oai_server.base_url), "a question",
                     preexec=file_size_limit(700))
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == ("word " * 400).strip()
    assert result.stderr.count(b"kept in memory") == 1
    assert b"Traceback" not in result.stderr


def test_export_to_an_unwritable_path_says_so_and_suggests_another(tmp_path: Path) -> None:
    saved = _saved_session()
    target = tmp_path / "no-such-folder" / "out.md"
    result = run_cli("export", saved.id, "-o", str(target))
    assert result.returncode == 1
    line = result.stderr.decode().strip()
    assert "\n" not in line and f"Cannot write {target}" in line
    assert "leave out the path to write to" in line
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the export folder should be")
    result = run_cli("export", saved.id, env=cli_env(BACKEND_COPILOT_EXPORT_DIR=str(blocked)))
    assert result.returncode == 1
    assert b"BACKEND_COPILOT_EXPORT_DIR" in result.stderr and b"Traceback" not in result.stderr


# -- two writers ---------------------------------------------------------------------------


def test_a_second_process_on_the_same_session_is_refused_without_writing(
    oai_server: OAIServer, isolated_dirs: dict
) -> None:
    saved = _saved_session()
    oai_server.script(hang(120, after=["streaming "]))
    first = subprocess.Popen(
        cli_cmd("ask", "--resume", saved.id, *oai_args(oai_server.base_url), "first writer"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), cwd=ROOT,
    )
    try:
        wait_for(file_has(saved.path, "streaming"), "the first process to stream")
        before = saved.path.read_bytes()
        second = run_cli("ask", "--resume", saved.id, "--provider", "offline", "second writer")
        assert second.returncode == 1
        line = second.stderr.decode().strip()
        assert f"is open in another backend-copilot (process {first.pid})" in line
        assert "\n" not in line and "Traceback" not in line
        with pytest.raises(SessionInUse):
            Session.open(saved.id)
        # Reading is still fine while it is being written.
        exported = run_cli("export", saved.id, "-f", "json", "-o", str(isolated_dirs["exports"]))
        assert exported.returncode == 0, exported.stderr
        assert saved.path.read_bytes().startswith(before)
        assert b"second writer" not in saved.path.read_bytes()
    finally:
        kill9(first)
    events, skipped = parse_lines(saved.path.read_bytes())
    assert skipped == []  # no interleaved or torn line from two writers


def test_a_lock_left_by_a_dead_process_is_not_stale() -> None:
    saved = _saved_session()
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock_path(saved.path).write_text(f"{dead.pid}\n")  # as if it died holding the lock
    session = Session.open(saved.id)
    assert session.persisted
    session.close()
    assert not lock_path(saved.path).exists()  # released and cleaned up


def test_lock_file_is_private() -> None:
    session = Session.create("backend")
    session.add_user_message("hello", persona_active=False, phase="")  # creates file and lock
    assert (lock_path(session.path).stat().st_mode & 0o777) == 0o600
    session.close()
    assert list_sessions()[0].id == session.id
