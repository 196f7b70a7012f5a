"""A session file's inner id is never a path: resume, export and moving aside stay inside
the app's folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agent.copilot import Copilot
from agent.session.catalogue import list_sessions
from agent.session.journal import Session, SessionError


def sessions_dir() -> Path:
    folder = Path(os.environ["BACKEND_COPILOT_DATA_DIR"]) / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def hostile_log(inner_id: str) -> str:
    lines = [{"type": "session", "id": inner_id, "title": "t", "ts": "2026-11-29T10:00:00.000+00:00"},
             {"type": "message", "id": "m1", "role": "user", "content": "hello"}]
    return "".join(json.dumps(line) + "\n" for line in lines)


def test_resume_latest_never_follows_an_inner_id_out_of_sessions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    victim = tmp_path / "victim"
    victim.write_text("the user's own notes, not a session log\n")
    (sessions_dir() / "20261129-100000-abcd.jsonl").write_text(hostile_log("../../victim"))
    [summary] = list_sessions()
    assert summary.id == "20261129-100000-abcd"
    copilot = Copilot.start(cli={"provider": "offline"}, resume="latest")
    assert copilot.state.id == "20261129-100000-abcd"
    assert [m.content for m in copilot.state.messages] == ["hello"]
    copilot.session.close()
    assert victim.read_text() == "the user's own notes, not a session log\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "victim"]


def test_an_export_is_named_after_the_file_not_the_inner_id(tmp_path: Path) -> None:
    (sessions_dir() / "20261129-100000-abcd.jsonl").write_text(hostile_log("../../../escaped"))
    copilot = Copilot.start(cli={"provider": "offline"}, resume="20261129-100000-abcd")
    target = copilot.export("md")
    copilot.session.close()
    assert target.parent == Path(os.environ["BACKEND_COPILOT_EXPORT_DIR"])
    assert target.name == "20261129-100000-abcd.md"


def test_a_bad_id_is_refused_and_a_file_outside_sessions_is_never_moved(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="not a session id"):
        Session.open("..")
    outside = tmp_path / "notes.jsonl"
    outside.write_text("plain text, no events\n")
    with pytest.raises(SessionError, match="holds no readable event"):
        Session.open(outside)
    assert outside.read_text() == "plain text, no events\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.jsonl"]
