"""The session log: what is saved, what survives a crash, what the user sees on resume."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from agent.session.catalogue import list_sessions
from agent.session.journal import Session, SessionError
from agent.session.models import (
    ActivationChanged,
    AnswerDelta,
    ChecklistChanged,
    Notice,
    PhaseChanged,
    SessionEvent,
    TreeHighlighted,
    Usage,
)


class FakeClock:
    """Deterministic time for the 0.25 s delta batching."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("BACKEND_COPILOT_DATA_DIR", str(directory))
    return directory


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_round_trip_restores_everything(data_dir: Path) -> None:
    session = Session.create("backend")
    session.add_user_message("Design an API with JWT auth", persona_active=True, phase="PRD")
    session.append(ActivationChanged(persona="backend", active=True, reason="matched api"))
    session.append(PhaseChanged(phase="Architecture", previous="PRD", role="Primary"))
    session.append(ChecklistChanged(item_id="sec/auth/jwt", state="suggested", by="conversation"))
    session.append(TreeHighlighted(tree_id="tech", node_id="C", recommendation="REST"))
    answer = session.start_answer("offline", "", persona_active=True, phase="Architecture")
    session.append_chunk(answer, "Use ")
    session.append_chunk(answer, "REST.")
    session.finish(answer, "complete", usage=Usage(prompt_tokens=10, completion_tokens=2))
    session.close()

    assert session.path.parent == data_dir / "sessions"
    reopened = Session.open(session.id)
    assert reopened.state.model_dump() == session.state.model_dump()
    assert [m.content for m in reopened.state.messages] == ["Design an API with JWT auth", "Use REST."]
    assert reopened.state.phase == "Architecture"
    assert reopened.state.checklist["sec/auth/jwt"].state == "suggested"
    assert reopened.state.tree is not None and reopened.state.tree.recommendation == "REST"
    assert reopened.state.persona_active is True
    assert reopened.state.messages[1].usage == Usage(prompt_tokens=10, completion_tokens=2)
    assert reopened.state.skipped_lines == []


def test_open_by_path_and_continue_appending(data_dir: Path) -> None:
    session = Session.create("backend")
    session.add_user_message("first", persona_active=False, phase="")
    session.close()
    again = Session.open(session.path)
    again.add_user_message("second", persona_active=False, phase="")
    again.close()
    assert [m.content for m in Session.open(session.id).state.messages] == ["first", "second"]


def test_torn_last_line_is_skipped_and_later_writes_stay_separate(data_dir: Path) -> None:
    session = Session.create("backend")
    session.add_user_message("kept", persona_active=False, phase="")
    session.close()
    with session.path.open("ab") as fh:
        fh.write(b'{"type":"message","id":"x","role":"us')  # crash mid-write
    torn_line = len(session.path.read_bytes().split(b"\n"))

    reopened = Session.open(session.id)
    assert reopened.state.skipped_lines == [torn_line]
    assert [m.content for m in reopened.state.messages] == ["kept"]
    assert reopened.warnings and "damaged" in reopened.warnings[0]

    reopened.add_user_message("after the crash", persona_active=False, phase="")
    reopened.close()
    third = Session.open(session.id)
    assert [m.content for m in third.state.messages] == ["kept", "after the crash"]
    assert third.state.skipped_lines == [torn_line]  # only the torn line is lost


def test_invalid_middle_line_is_skipped_alone(data_dir: Path) -> None:
    session = Session.create("backend")
    session.add_user_message("one", persona_active=False, phase="")
    session.close()
    with session.path.open("ab") as fh:
        fh.write(b'{"type":"no-such-event"}\n')
        fh.write(b"\xff\xfe not utf-8\n")
    reopened = Session.open(session.id)
    reopened.add_user_message("two", persona_active=False, phase="")
    reopened.close()
    state = Session.open(session.id).state
    assert state.skipped_lines == [3, 4]
    assert [m.content for m in state.messages] == ["one", "two"]


def test_file_without_any_event_raises_session_error(data_dir: Path) -> None:
    sessions = data_dir / "sessions"
    sessions.mkdir(parents=True)
    (sessions / "broken.jsonl").write_text("not json\n{also not\n")
    with pytest.raises(SessionError, match="broken.jsonl"):
        Session.open("broken")
    (sessions / "empty.jsonl").write_text("")
    with pytest.raises(SessionError, match="no readable event"):
        Session.open("empty")


def test_missing_session_raises_session_error(data_dir: Path) -> None:
    with pytest.raises(SessionError, match="sessions"):
        Session.open("20000101-000000-dead")


def test_unfinished_answer_loads_as_interrupted_with_its_text(data_dir: Path) -> None:
    clock = FakeClock()
    session = Session.create("backend", clock=clock)
    session.add_user_message("question", persona_active=False, phase="")
    answer = session.start_answer("openai", "gpt-4o", persona_active=False, phase="")
    for word in ["partial ", "answer ", "text"]:
        clock.now += 0.3
        session.append_chunk(answer, word)
    # the process dies here: no finish(), no close()
    reopened = Session.open(session.path, read_only=True)  # the dead writer still holds the lock here
    last = reopened.state.messages[-1]
    assert last.status == "interrupted"
    assert last.content == "partial answer text"
    assert (last.provider, last.model) == ("openai", "gpt-4o")


def test_chunks_are_batched_but_no_text_is_lost(data_dir: Path) -> None:
    clock = FakeClock()
    session = Session.create("backend", clock=clock)
    answer = session.start_answer("offline", "", persona_active=False, phase="")
    chunks = [f"w{i} " for i in range(100)]
    for chunk in chunks:
        clock.now += 0.01  # 100 chunks over one second
        session.append_chunk(answer, chunk)
        assert session.state.messages[-1].content.endswith(chunk)  # the UI sees it at once
    session.finish(answer, "complete")
    events = lines_of(session.path)
    deltas = [e for e in events if e["type"] == "answer_delta"]
    assert 1 <= len(deltas) <= 6
    assert "".join(d["text"] for d in deltas) == "".join(chunks)
    assert events[-1]["type"] == "answer_end"
    session.close()
    assert Session.open(session.id).state.messages[-1].content == "".join(chunks)


def test_flush_writes_buffered_text(data_dir: Path) -> None:
    clock = FakeClock()
    session = Session.create("backend", clock=clock)
    answer = session.start_answer("offline", "", persona_active=False, phase="")
    session.append_chunk(answer, "buffered")
    assert not [e for e in lines_of(session.path) if e["type"] == "answer_delta"]
    session.flush()
    assert [e["text"] for e in lines_of(session.path) if e["type"] == "answer_delta"] == ["buffered"]


def test_subscribers_see_folded_state_and_each_chunk(data_dir: Path) -> None:
    session = Session.create("backend")
    seen: list[tuple[str, int]] = []

    def observer(event: SessionEvent) -> None:
        seen.append((event.type, len(session.state.messages)))

    unsubscribe = session.subscribe(observer)
    session.add_user_message("hi", persona_active=False, phase="")
    answer = session.start_answer("offline", "", persona_active=False, phase="")
    chunks: list[str] = []
    session.subscribe(lambda e: chunks.append(e.text) if isinstance(e, AnswerDelta) else None)
    session.append_chunk(answer, "a")
    session.append_chunk(answer, "b")
    session.finish(answer, "stopped")
    assert seen == [
        ("message", 1),
        ("answer_start", 2),
        ("answer_delta", 2),
        ("answer_delta", 2),
        ("answer_end", 2),
    ]
    assert chunks == ["a", "b"]
    assert session.state.messages[-1].status == "stopped"
    unsubscribe()
    session.add_user_message("again", persona_active=False, phase="")
    assert len(seen) == 5


def test_title_defaults_to_first_user_message_and_can_be_set(data_dir: Path) -> None:
    session = Session.create("backend")
    long_text = "How should I design\nthe   orders API " + "x" * 100
    session.add_user_message(long_text, persona_active=False, phase="")
    session.add_user_message("second message", persona_active=False, phase="")
    title = session.state.title
    assert title.startswith("How should I design the orders API")
    assert "\n" not in title and len(title) <= 60
    session.set_title("Orders API")
    session.close()
    assert Session.open(session.id).state.title == "Orders API"


def test_explicit_title_is_kept(data_dir: Path) -> None:
    session = Session.create("backend", title="Named")
    session.add_user_message("something else", persona_active=False, phase="")
    assert session.state.title == "Named"
    session.close()
    assert Session.open(session.id).state.title == "Named"


def test_list_sessions_newest_first_with_titles_and_counts(data_dir: Path) -> None:
    made = []
    for i, text in enumerate(["oldest", "middle", "newest"]):
        session = Session.create("backend")
        session.add_user_message(text, persona_active=False, phase="")
        answer = session.start_answer("offline", "", persona_active=False, phase="")
        session.append_chunk(answer, "reply")
        session.finish(answer, "complete")
        session.close()
        os.utime(session.path, (1_700_000_000 + i * 100, 1_700_000_000 + i * 100))
        made.append(session)
    summaries = list_sessions()
    assert [s.title for s in summaries] == ["newest", "middle", "oldest"]
    assert [s.id for s in summaries] == [made[2].id, made[1].id, made[0].id]
    assert all(s.messages == 2 for s in summaries)
    assert summaries[0].path == made[2].path
    assert list_sessions(data_dir / "nowhere") == []


def test_session_ids_sort_by_creation(data_dir: Path) -> None:
    first = Session.create("backend")
    second = Session.create("backend")
    assert first.id != second.id
    assert first.id[:15] <= second.id[:15]


def test_files_are_private(data_dir: Path) -> None:
    session = Session.create("backend")
    session.add_user_message("hello", persona_active=False, phase="")
    session.close()
    assert stat.S_IMODE(session.path.stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "sessions").stat().st_mode) == 0o700
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_unwritable_directory_keeps_session_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    notices: list[SessionEvent] = []
    session = Session.create("backend", directory=blocker / "sessions")
    session.subscribe(notices.append)
    message = session.add_user_message("still works", persona_active=False, phase="")
    answer = session.start_answer("offline", "", persona_active=False, phase="")
    session.append_chunk(answer, "in memory")
    session.finish(answer, "complete")
    assert message.content == "still works"
    assert session.state.messages[-1].content == "in memory"
    assert not session.persisted
    assert len(session.warnings) == 1 and "kept in memory" in session.warnings[0]
    warnings = [e for e in session.state.timeline if isinstance(e, Notice)]
    assert len(warnings) == 1 and warnings[0].level == "warning"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_disk_full_mid_session_warns_once_and_keeps_going(data_dir: Path) -> None:
    session = Session.create("backend")
    session.add_user_message("zero", persona_active=False, phase="")  # the file exists now
    seen: list[SessionEvent] = []
    session.subscribe(seen.append)
    os.close(session._fd)  # type: ignore[arg-type]
    session._fd = os.open("/dev/full", os.O_WRONLY)  # every write now fails with ENOSPC
    session.add_user_message("one", persona_active=False, phase="")
    session.add_user_message("two", persona_active=False, phase="")
    assert [m.content for m in session.state.messages] == ["zero", "one", "two"]
    assert len(session.warnings) == 1
    assert sum(isinstance(e, Notice) for e in seen) == 1


def test_only_events_are_written(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET-never-written")
    session = Session.create("backend")
    session.add_user_message("hello", persona_active=False, phase="")
    answer = session.start_answer("openai", "gpt-4o", persona_active=False, phase="")
    session.append_chunk(answer, "hi")
    session.finish(answer, "error", error="The provider refused the key; check OPENAI_API_KEY.")
    session.close()
    raw = session.path.read_text()
    assert "SECRET" not in raw
    types = [json.loads(line)["type"] for line in raw.splitlines()]
    assert types == ["session", "message", "answer_start", "answer_delta", "answer_end"]


def test_unencodable_text_is_saved_readably(data_dir: Path) -> None:
    session = Session.create("backend")
    session.add_user_message("bad \ud800 surrogate", persona_active=False, phase="")
    answer = session.start_answer("offline", "", persona_active=False, phase="")
    session.append_chunk(answer, "also \udfff")
    session.finish(answer, "complete")
    session.close()
    state = Session.open(session.id).state
    assert state.skipped_lines == []
    assert [m.content for m in state.messages] == ["bad \ufffd surrogate", "also \ufffd"]


def test_audit_and_probe_resume_and_a_rerun_replaces_the_audit(tmp_path: Path) -> None:
    from agent.audit.models import AuditItem, AuditReport, Evidence, ProbeResult
    from agent.session.models import AuditRecorded, ProbeRecorded

    def report(status: str) -> AuditReport:
        evidence = [Evidence(path="app/main.py", line=21, text="Limiter(app)", rule="r")]
        return AuditReport(persona="backend", items=[
            AuditItem(id="rate", text="Rate limiting", status=status,
                      evidence=evidence if status == "done" else []),
            AuditItem(id="std/api", kind="standard", text="API Response"),
        ])

    slow = ProbeResult(url="http://127.0.0.1:9/x", requests=5, ok=5, errors=0,
                       p50_ms=250.0, p95_ms=400.0, p99_ms=410.0, max_ms=410.0)
    with Session.create("backend", directory=tmp_path) as session:
        session.add_user_message("audit it", persona_active=True, phase="")  # creates the file
        session.append(ProbeRecorded(result=slow))  # a probe before any audit is kept
        session.append(AuditRecorded(root="/p", report=report("missing")))
        session.append(AuditRecorded(root="/p", report=report("done")))
        path = session.path
    with Session.open(path) as again:
        audit = again.state.audit
        assert audit is not None and again.state.audit_root == "/p"
        assert audit.item("rate").status == "done"  # the re-run replaced the first audit
        assert audit.item("rate").evidence[0].where == "app/main.py:21"
        api = audit.item("std/api")
        assert api.status == "missing" and "p95 400.0 ms" in api.evidence[0].text


def test_a_session_without_a_message_leaves_no_file(data_dir: Path) -> None:
    """Opening the app and quitting at once saves nothing: no '0 messages (untitled)'."""
    session = Session.create("backend")
    session.append(ActivationChanged(persona="backend", active=True, mode="on", pinned=True))
    session.close()
    assert not session.path.exists()
    assert list_sessions() == []


def test_the_first_message_creates_the_file_with_what_came_before(data_dir: Path) -> None:
    session = Session.create("backend")
    session.append(ActivationChanged(persona="backend", active=True, mode="on", pinned=True))
    assert not session.path.exists()
    session.add_user_message("now it counts", persona_active=True, phase="")
    session.close()
    assert [e["type"] for e in lines_of(session.path)] == ["session", "activation", "message"]
    assert Session.open(session.id).state.persona_mode == "on"


def test_resume_latest_skips_sessions_without_messages(data_dir: Path) -> None:
    from agent.copilot import _open_resumed

    talked = Session.create("backend")
    talked.add_user_message("the real conversation", persona_active=False, phase="")
    talked.close()
    empty = data_dir / "sessions" / "29990101-000000-0000.jsonl"  # an old empty file, newer
    empty.write_text('{"type":"session","ts":"2999-01-01T00:00:00.000+00:00","id":"e"}\n')
    os.utime(empty, (4_000_000_000, 4_000_000_000))
    resumed = _open_resumed("latest", [])
    assert [m.content for m in resumed.state.messages] == ["the real conversation"]
    resumed.close()


def test_streamed_pieces_fold_back_in_order_with_tool_calls_where_they_happened(
    data_dir: Path,
) -> None:
    from agent.session.models import ToolCallFinished, ToolCallStarted

    ticks = FakeClock()
    session = Session.create("backend", clock=ticks)
    session.add_user_message("read it", persona_active=False, phase="")
    answer = session.start_answer("openai", "m", persona_active=False, phase="")
    for i in range(300):  # one line per piece: the clock passes the batching interval each time
        ticks.now += 1
        session.append_chunk(answer, f"<{i}>")
        if i == 150:
            session.append(ToolCallStarted(id=answer, call_id="c1", name="read"))
            session.append(ToolCallFinished(id=answer, call_id="c1", status="ok"))
    session.finish(answer, "complete")
    session.close()
    assert sum(e["type"] == "answer_delta" for e in lines_of(session.path)) == 300
    message = Session.open(session.id).state.messages[-1]
    assert message.content == "".join(f"<{i}>" for i in range(300))
    assert message.tool_calls[0].offset == len("".join(f"<{i}>" for i in range(151)))
    assert message.status == "complete"


def test_listing_skips_huge_streamed_lines_and_still_finds_title_and_count(data_dir: Path) -> None:
    session = Session.create("backend")
    session.add_user_message("tell me a joke", persona_active=False, phase="")
    answer = session.start_answer("offline", "", persona_active=False, phase="")
    session.append_chunk(answer, "x" * 3_000_000)  # one line far longer than any read block
    session.finish(answer, "complete")
    session.add_user_message("design the orders API", persona_active=True, phase="")
    session.close()
    [summary] = list_sessions()
    assert summary.messages == 3
    assert summary.title == "design the orders API"


def test_title_comes_from_the_first_message_that_switched_a_persona_on(data_dir: Path) -> None:
    session = Session.create("backend")
    session.add_user_message("Tell me a joke about cats", persona_active=False, phase="")
    assert session.state.title == "Tell me a joke about cats"  # until a persona comes on
    session.add_user_message("Design the orders API with JWT", persona_active=True, phase="")
    session.add_user_message("And rate limits?", persona_active=True, phase="")
    assert session.state.title == "Design the orders API with JWT"
    session.close()
    assert Session.open(session.id).state.title == "Design the orders API with JWT"
    assert list_sessions()[0].title == "Design the orders API with JWT"


def test_listing_counts_every_message_across_read_blocks(data_dir: Path) -> None:
    session = Session.create("backend")
    for i in range(2500):  # ~2.7 MB: lines cross the listing's read blocks
        session.add_user_message(f"question {i} " + "y" * (i % 1500), persona_active=False,
                                 phase="")
    session.set_title("Many questions")
    session.close()
    [summary] = list_sessions()
    assert summary.messages == 2500
    assert summary.title == "Many questions"
