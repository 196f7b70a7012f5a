"""The session log: append-only JSON Lines, folded into the SessionState everything renders.

Every event is written and flushed the moment it happens (one `os.write` on an O_APPEND
descriptor), so a crash loses at most the streamed text of the last quarter second. Reading
tolerates a torn or corrupt line: it is skipped and reported, the rest of the session loads.
When the disk refuses (permissions, full disk) the session keeps working in memory and says so
once; the UI never sees an exception from saving.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError

from agent import paths
from agent.audit.summary import apply_probe
from agent.errors import SessionError
from agent.session.lock import SessionBusy, SessionLock
from agent.session.models import (
    ActivationChanged,
    AnswerDelta,
    AnswerFinished,
    AnswerStarted,
    AuditRecorded,
    CardsUsed,
    ChecklistChanged,
    ChecklistEntry,
    Compacted,
    DeliverablesWritten,
    FileCheckpoint,
    Message,
    MessageAdded,
    MessageStatus,
    Notice,
    PhaseChanged,
    ProbeRecorded,
    ResourceAdded,
    SessionEvent,
    SessionStarted,
    SessionState,
    TitleChanged,
    ToolCallFinished,
    ToolCallRecord,
    ToolCallStarted,
    TreeHighlighted,
    UndoDone,
    Usage,
)
from agent.text import safe_text

DELTA_INTERVAL = 0.25  # seconds between AnswerDelta lines while streaming
TITLE_LENGTH = 60

EVENT_ADAPTER: TypeAdapter[SessionEvent] = TypeAdapter(SessionEvent)
Subscriber = Callable[[SessionEvent], None]
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class SessionInUse(SessionError):
    """Another live backend-copilot is writing this session (it holds the lock)."""


class SessionSummary(BaseModel):
    id: str
    title: str
    created: str
    updated: str
    messages: int
    path: Path


# -- folding -------------------------------------------------------------------------------


def default_title(text: str) -> str:
    """The first user message as a one-line title of at most 60 characters."""
    line = " ".join(safe_text(text).split())
    if len(line) <= TITLE_LENGTH:
        return line
    return line[: TITLE_LENGTH - 1].rstrip() + "…"


def _find_message(state: SessionState, message_id: str) -> Message | None:
    for message in reversed(state.messages):  # the streaming answer is nearly always last
        if message.id == message_id:
            return message
    return None


def apply_event(state: SessionState, event: SessionEvent, *, title_set: bool = False) -> None:
    """Fold one event into state (in place). `title_set`: keep the title on user messages."""
    if event.ts:
        state.updated = event.ts
    match event:
        case SessionStarted():
            state.id = event.id
            state.title = event.title or state.title
            state.persona = event.persona
            state.created = event.ts
        case TitleChanged():
            state.title = event.title
        case MessageAdded():
            state.messages.append(
                Message(
                    id=event.id,
                    role=event.role,
                    content=event.content,
                    ts=event.ts,
                    persona_active=event.persona_active,
                    phase=event.phase,
                    status=event.status,
                )
            )
            if event.role == "user" and not title_set and not state.title_from_persona and (
                not state.title or event.persona_active
            ):
                # The first message, until one that switched a persona on names the session.
                state.title = default_title(event.content)
                state.title_from_persona = event.persona_active
        case AnswerStarted():
            state.messages.append(
                Message(
                    id=event.id,
                    role="assistant",
                    content="",
                    ts=event.ts,
                    persona_active=event.persona_active,
                    phase=event.phase,
                    status="streaming",
                    provider=event.provider,
                    model=event.model,
                    persona=event.persona,
                )
            )
        case AnswerDelta():
            message = _find_message(state, event.id)
            if message is not None:
                message.content += event.text
        case AnswerFinished():
            message = _find_message(state, event.id)
            if message is not None:
                message.status = event.status
                message.usage = event.usage
                message.error = event.error
                message.cut_at_length = event.cut_at_length
        case ActivationChanged():
            state.timeline.append(event)
            state.persona_active = event.active
            state.persona_mode = event.mode
            # The persona on (or, when switched off, the one last on): its panels stay shown.
            state.persona = event.persona or state.persona
        case PhaseChanged():
            state.timeline.append(event)
            state.phase = event.phase
        case ChecklistChanged():
            state.timeline.append(event)
            state.checklist[event.item_id] = ChecklistEntry(
                state=event.state, by=event.by, evidence=event.evidence, message_id=event.message_id
            )
        case TreeHighlighted():
            state.timeline.append(event)
            state.tree = event
        case Notice():
            state.timeline.append(event)
        case ResourceAdded():
            state.resources = [r for r in state.resources if r.name != event.name] + [event]
        case DeliverablesWritten():
            state.deliverables.append(event)
        case AuditRecorded():
            state.audit = event.report.model_copy(deep=True)
            state.audit_root, state.audit_ts = event.root, event.ts
            if state.probe is not None:
                apply_probe(state.audit, state.probe)
        case ProbeRecorded():
            state.probe = event.result
            if state.audit is not None:
                apply_probe(state.audit, event.result)
        case CardsUsed():
            message = _find_message(state, event.id)
            if message is not None:
                message.cards = list(event.cards)
        case Compacted():
            state.timeline.append(event)
            state.compacted = event
        case FileCheckpoint():
            state.checkpoints.append(event)
        case UndoDone():
            state.undone.append(event)
        case ToolCallStarted():
            message = _find_message(state, event.id)
            if message is not None:
                message.tool_calls.append(
                    ToolCallRecord(
                        call_id=event.call_id,
                        name=event.name,
                        arguments=event.arguments,
                        summary=event.summary,
                        server=event.server,
                        ts=event.ts,
                        offset=len(message.content),
                    )
                )
        case ToolCallFinished():
            message = _find_message(state, event.id)
            record = next(
                (c for c in reversed(message.tool_calls) if c.call_id == event.call_id), None
            ) if message is not None else None
            if record is not None:
                record.status = event.status
                record.decision = event.decision
                record.summary = event.summary or record.summary
                record.result = event.result


def fold(events: Iterable[SessionEvent], session_id: str = "") -> SessionState:
    """The state a sequence of events describes; unfinished answers become 'interrupted'.

    Linear in the log's size: an answer's streamed pieces are collected and joined once
    (when its length is needed or at the end), never concatenated piece by piece.
    """
    state = SessionState(id=session_id)
    title_set = False
    pieces: dict[str, tuple[Message, list[str]]] = {}  # answer id -> (message, pieces)
    for event in events:
        if isinstance(event, AnswerDelta):
            if event.ts:
                state.updated = event.ts
            held = pieces.get(event.id)
            if held is None:
                message = _find_message(state, event.id)
                if message is None:
                    continue
                held = pieces[event.id] = (message, [message.content])
            held[1].append(event.text)
            continue
        if pieces and isinstance(event, ToolCallStarted | AnswerFinished | AnswerStarted):
            _join_pieces(pieces, event.id)  # the offset of a tool call needs the length so far
        apply_event(state, event, title_set=title_set)
        title_set = title_set or isinstance(event, TitleChanged) or bool(
            isinstance(event, SessionStarted) and event.title
        )
    for answer_id in list(pieces):
        _join_pieces(pieces, answer_id)
    mark_interrupted(state)
    return state


def _join_pieces(pieces: dict[str, tuple[Message, list[str]]], answer_id: str) -> None:
    held = pieces.pop(answer_id, None)
    if held is not None:
        held[0].content = "".join(held[1])


def mark_interrupted(state: SessionState) -> None:
    for message in state.messages:
        if message.status == "streaming":
            message.status = "interrupted"
            for call in message.tool_calls:
                if call.status == "running":
                    call.status = "cancelled"


# -- the log -------------------------------------------------------------------------------


def new_session_id() -> str:
    """Sortable by creation time: 20261125-001338-ab12 (UTC)."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def _new_message_id() -> str:
    return secrets.token_hex(6)


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {k: _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    return value


def _encode(event: SessionEvent) -> tuple[SessionEvent, bytes]:
    """The event as one JSON line; lone surrogates (unencodable) become U+FFFD first."""
    try:
        return event, (event.model_dump_json() + "\n").encode("utf-8")
    except PydanticSerializationError:
        clean = EVENT_ADAPTER.validate_python(_without_surrogates(event.model_dump()))
        return clean, (clean.model_dump_json() + "\n").encode("utf-8")


class Session:
    """One conversation: its log file, its folded state and the observers of both."""

    def __init__(
        self,
        path: Path,
        state: SessionState,
        *,
        fd: int | None,
        clock: Callable[[], float] = time.monotonic,
        needs_newline: bool = False,
        lock: SessionLock | None = None,
    ) -> None:
        self.path = path
        self._file_lock = lock
        self.state = state
        self.warnings: list[str] = []
        self._fd = fd
        self._clock = clock
        self._needs_newline = needs_newline
        self._subscribers: list[Subscriber] = []
        self._pending: dict[str, list[str]] = {}
        self._last_write: dict[str, float] = {}
        self._lock = threading.Lock()
        self._title_set = False  # an explicit title (not the default) is in force
        # A new session's events until its first message creates the file; None after.
        self._deferred: list[SessionEvent] | None = None
        if lock is not None:
            _WRITERS[_key(path)] = weakref.ref(self)

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        persona: str,
        *,
        directory: Path | None = None,
        title: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> Session:
        """A new session; its file is created with the first message (an app opened and
        closed without a word leaves nothing behind). If it cannot be created then, the
        session lives in memory."""
        directory = Path(directory) if directory is not None else paths.sessions_dir()
        session_id = new_session_id()
        path = directory / f"{session_id}.jsonl"
        session = cls(path, SessionState(id=session_id), fd=None, clock=clock)
        session._deferred = []
        session.append(SessionStarted(id=session_id, title=title, persona=persona))
        return session

    def _create_file(self) -> None:
        """Create the log (private, never over another) with the events held so far."""
        events, self._deferred = self._deferred or [], None
        directory = self.path.parent
        fd: int | None = None
        try:
            paths.ensure_dir(directory)
            while True:
                try:
                    fd = os.open(
                        self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600
                    )
                    break
                except FileExistsError:  # the same second and token: take another id
                    self.state.id = new_session_id()
                    self.path = directory / f"{self.state.id}.jsonl"
                    if events and isinstance(events[0], SessionStarted):
                        events[0] = events[0].model_copy(update={"id": self.state.id})
            lock = SessionLock.acquire(self.path)
        except (OSError, SessionBusy) as exc:
            if fd is not None:
                os.close(fd)
                with contextlib.suppress(OSError):
                    self.path.unlink()
            self._go_memory(exc if isinstance(exc, OSError) else OSError(str(exc)))
            return
        self._file_lock = lock
        _WRITERS[_key(self.path)] = weakref.ref(self)
        with self._lock:
            self._fd = fd
        for event in events:
            self._write(event)

    @classmethod
    def open(
        cls,
        session_id_or_path: str | Path,
        *,
        directory: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        read_only: bool = False,
    ) -> Session:
        """Load a saved session (by id or path) to continue it. Raises SessionError.

        To continue it, this process takes the session's lock first: a session another live
        backend-copilot is writing raises SessionInUse. read_only=True (export, listing)
        takes no lock and never writes.
        """
        path = _resolve(session_id_or_path, directory)
        if not path.is_file():
            if path.exists():
                raise SessionError(f"{path} is not a session file.")
            raise SessionError(
                f"No saved session '{session_id_or_path}' ({path}); "
                "run `backend-copilot sessions` to list them."
            )
        lock: SessionLock | None = None
        lock_problem: OSError | None = None
        if not read_only:
            _take_over(path)
            try:
                lock = SessionLock.acquire(path)
            except SessionBusy as exc:
                raise SessionInUse(str(exc)) from None
            except OSError as exc:  # e.g. a read-only folder: no lock, so no writing either
                lock_problem = exc
        try:
            data = path.read_bytes()
        except OSError as exc:
            if lock is not None:
                lock.release()
            if isinstance(exc, FileNotFoundError):
                raise SessionError(f"Session file {path} vanished while opening it.") from None
            raise SessionError(f"Cannot read session file {path}: {exc.strerror}.") from None
        events, skipped = parse_lines(data)
        if not events:
            problem_text = _not_a_log(
                path, data, move=lock is not None and _inside_sessions(path, directory))
            if lock is not None:
                lock.release()
            raise SessionError(problem_text)
        state = fold(events, session_id=path.stem)
        state.id = path.stem  # the file names the session; an id written inside it never does
        state.skipped_lines = skipped
        fd: int | None = None
        problem: OSError | None = lock_problem
        if not read_only and problem is None:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            except OSError as exc:
                problem = exc
        session = cls(
            path, state, fd=fd, clock=clock, needs_newline=not data.endswith(b"\n"), lock=lock
        )
        session._title_set = any(
            isinstance(e, TitleChanged) or (isinstance(e, SessionStarted) and e.title)
            for e in events
        )
        if skipped:
            lines = ", ".join(str(n) for n in skipped[:10])
            session.notice(
                f"Skipped {len(skipped)} damaged line(s) in {path} (line {lines}); "
                "the rest of the session loaded."
            )
        if problem is not None:
            session._go_memory(problem)
        return session

    # -- properties ------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def persisted(self) -> bool:
        """False once the session fell back to memory (a new one's file is still to come)."""
        return self._fd is not None or self._deferred is not None

    # -- writing ---------------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """callback(event) after every event is folded; returns the unsubscribe function."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def append(self, event: SessionEvent) -> SessionEvent:
        """Write the event, fold it into state, notify subscribers. Returns the stored event."""
        self._flush_pending()
        event = self._write(event)
        apply_event(self.state, event, title_set=self._title_set)
        if isinstance(event, TitleChanged) or (isinstance(event, SessionStarted) and event.title):
            self._title_set = True
        self._notify(event)
        return event

    def add_user_message(self, text: str, *, persona_active: bool, phase: str) -> Message:
        event = self.append(
            MessageAdded(
                id=_new_message_id(),
                role="user",
                content=text,
                persona_active=persona_active,
                phase=phase,
            )
        )
        message = _find_message(self.state, event.id)  # type: ignore[union-attr]
        assert message is not None
        return message

    def start_answer(
        self, provider: str, model: str, *, persona_active: bool, phase: str, persona: str = ""
    ) -> str:
        answer_id = _new_message_id()
        self.append(
            AnswerStarted(
                id=answer_id,
                provider=provider,
                model=model,
                persona_active=persona_active,
                phase=phase,
                persona=persona,
            )
        )
        self._last_write[answer_id] = self._clock()
        return answer_id

    def append_chunk(self, answer_id: str, text: str) -> None:
        """Fold a streamed chunk now; write it with its neighbours at most every 0.25 s.

        Subscribers get an AnswerDelta holding just this chunk.
        """
        if not text:
            return
        if _SURROGATE.search(text):
            text = _SURROGATE.sub("\ufffd", text)
        event = AnswerDelta(id=answer_id, text=text)
        apply_event(self.state, event)
        self._pending.setdefault(answer_id, []).append(text)
        now = self._clock()
        if now - self._last_write.get(answer_id, float("-inf")) >= DELTA_INTERVAL:
            self._flush_answer(answer_id, now)
        self._notify(event)

    def flush(self) -> None:
        """Write any buffered streamed text now (call it from a timer while streaming)."""
        self._flush_pending()

    def finish(
        self,
        answer_id: str,
        status: MessageStatus,
        usage: Usage | None = None,
        error: str | None = None,
        *,
        cut_at_length: bool = False,
    ) -> None:
        """End a streamed answer: pending text first, then the AnswerFinished line."""
        self.append(AnswerFinished(id=answer_id, status=status, usage=usage, error=error,
                                   cut_at_length=cut_at_length))
        self._last_write.pop(answer_id, None)

    def notice(self, text: str, level: Literal["info", "warning", "error"] = "warning") -> None:
        """Tell the user (a Notice in the transcript and in `warnings`) without writing it."""
        if level != "info":
            self.warnings.append(text)
        event = Notice(level=level, text=text)
        apply_event(self.state, event)
        self._notify(event)

    def set_title(self, title: str) -> None:
        self.append(TitleChanged(title=" ".join(title.split())))

    def close(self) -> None:
        self._flush_pending()
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        lock, self._file_lock = self._file_lock, None
        if lock is not None:
            ref = _WRITERS.get(_key(self.path))
            if ref is not None and ref() is self:
                del _WRITERS[_key(self.path)]
            lock.release()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    # -- internals -------------------------------------------------------------------------

    def _flush_pending(self) -> None:
        if self._pending:
            now = self._clock()
            for answer_id in list(self._pending):
                self._flush_answer(answer_id, now)

    def _flush_answer(self, answer_id: str, now: float) -> None:
        chunks = self._pending.pop(answer_id, None)
        self._last_write[answer_id] = now
        if chunks:
            self._write(AnswerDelta(id=answer_id, text="".join(chunks)))

    def _write(self, event: SessionEvent) -> SessionEvent:
        if self._deferred is not None:
            if not isinstance(event, MessageAdded | AnswerStarted):
                event = _encode(event)[0]
                self._deferred.append(event)
                return event
            self._create_file()
        event, line = _encode(event)
        with self._lock:
            if self._fd is None:
                return event
            if self._needs_newline:
                line = b"\n" + line  # never glue a new event onto a torn last line
            try:
                view = memoryview(line)
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
                self._needs_newline = False
            except OSError as exc:
                problem: OSError | None = exc
            else:
                problem = None
        if problem is not None:
            self._go_memory(problem)
        return event

    def _go_memory(self, exc: OSError) -> None:
        """Stop writing; keep the session in memory and tell the user once."""
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.warnings and any("kept in memory" in w for w in self.warnings):
            return
        reason = exc.strerror or exc.__class__.__name__
        text = (
            f"Could not save this session to {self.path} ({reason}). It is kept in memory "
            "only: free disk space or fix the folder's permissions, then export it with /export."
        )
        self.warnings.append(text)
        notice = Notice(level="warning", text=text)
        apply_event(self.state, notice)
        self._notify(notice)

    def _notify(self, event: SessionEvent) -> None:
        for callback in list(self._subscribers):
            callback(event)


# The Session objects of this process that hold their file's lock. A second window is a second
# process and is refused by the lock; inside one process (an app reopened in tests, a resume
# after the old app was left unclosed) the newer opener takes the file over instead.
_WRITERS: dict[str, weakref.ref[Session]] = {}


def _key(path: Path) -> str:
    return os.path.realpath(path)


def _take_over(path: Path) -> None:
    ref = _WRITERS.pop(_key(path), None)
    older = ref() if ref is not None else None
    if older is not None and older._file_lock is not None:
        older.close()
        older.notice(
            f"{path.name} was opened again in this process; this copy is no longer saved."
        )


# A session id as the app makes them (20261125-001338-ab12) or an import keeps them: one
# file name, never a path. Ids from inside a file are checked against it before any use.
SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def valid_session_id(value: str) -> bool:
    return SESSION_ID.fullmatch(value) is not None and ".." not in value


def _resolve(session_id_or_path: str | Path, directory: Path | None) -> Path:
    """A path the user typed (with a '/' or ending .jsonl) as given; an id only inside the
    sessions folder, and only when it is a valid id."""
    text = str(session_id_or_path)
    candidate = Path(text).expanduser()
    if candidate.suffix == ".jsonl" or len(candidate.parts) > 1:
        return candidate
    if not valid_session_id(text):
        raise SessionError(f"'{safe_text(text)}' is not a session id (ids look like "
                           "20261125-001338-ab12); run `backend-copilot sessions` to list them.")
    base = Path(directory) if directory is not None else paths.sessions_dir()
    return base / f"{text}.jsonl"


def _inside_sessions(path: Path, directory: Path | None) -> bool:
    """Only a file directly in the sessions folder is ever moved aside."""
    base = Path(directory) if directory is not None else paths.sessions_dir()
    try:
        return path.resolve().parent == base.resolve()
    except (OSError, RuntimeError):
        return False


def parse_lines(data: bytes) -> tuple[list[SessionEvent], list[int]]:
    """Events from a JSON Lines log, and the 1-based numbers of lines that were not events."""
    events: list[SessionEvent] = []
    skipped: list[int] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            events.append(EVENT_ADAPTER.validate_json(raw))
        except ValidationError:
            skipped.append(number)
    return events, skipped


# -- damaged files -------------------------------------------------------------------------


def quarantine(path: Path) -> Path:
    """Move a file that is not a session log aside to `<name>.corrupt-<timestamp>`."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, target)
    return target


def _not_a_log(path: Path, data: bytes, *, move: bool) -> str:
    """The message for a file without a single event; moved aside when `move` (we hold it)."""
    what = "is empty" if not data.strip() else "is not JSON Lines (no line is a session event)"
    if not move:
        return f"Session file {path} holds no readable event: it {what}."
    try:
        target = quarantine(path)
    except OSError as exc:
        return (
            f"Session file {path} holds no readable event: it {what}; "
            f"could not move it aside ({exc.strerror})."
        )
    return (
        f"Session file {path} holds no readable event: it {what}. "
        f"Moved it aside to {target.name}; the other sessions are untouched."
    )


# -- listing -------------------------------------------------------------------------------


# Lines are matched by their start, with JSON's optional spaces (the app writes none, but a
# log written or edited by hand may have them).
_KIND = re.compile(rb'\{\s*"type"\s*:\s*"(message|answer_start|title)"')
_USER_ROLE = re.compile(rb'"role"\s*:\s*"user"')
_BLOCK = 1 << 18  # a listing reads the log in blocks of this size
# The start of a line a listing reads whole: a message, an answer, a title change.
_INTERESTING = re.compile(rb'\n\{\s*"type"\s*:\s*"(?:message|answer_start|title)"')


def _lines_of_interest(fh: BinaryIO) -> Iterator[tuple[bool, bytes]]:
    """(is the first line, line) for the first line and the lines a listing needs.

    The log is read in blocks and searched for the starts of messages, answers and title
    changes; every other line (streamed pieces above all) is passed over without being
    copied, so time is linear in the file's size and memory stays at a block or two.
    """
    first = fh.readline(_BLOCK)
    if not first:
        return
    yield True, first.rstrip(b"\n")
    skipping = not first.endswith(b"\n")  # inside a line too long to matter
    carry = b""  # the start of a wanted line the next block ends
    while True:
        block = fh.read(_BLOCK)
        if not block:
            if carry and _INTERESTING.match(b"\n" + carry):
                yield False, carry
            return
        if skipping:
            newline = block.find(b"\n")
            if newline < 0:
                continue
            block, skipping = block[newline + 1 :], False
        data = b"\n" + carry + block
        last = data.rfind(b"\n")
        for match in _INTERESTING.finditer(data, 0, last + 1):
            end = data.find(b"\n", match.end())
            if end < 0:
                break  # the line goes on in the next block: it is the carry
            yield False, data[match.start() + 1 : end]
        rest = data[last + 1 :]
        if len(rest) < 32 or _INTERESTING.match(b"\n" + rest):
            carry = rest  # too short to tell, or wanted: keep it until its end comes
        else:
            carry, skipping = b"", True


def _summary(path: Path) -> SessionSummary | None:
    try:
        with path.open("rb") as fh:
            mtime = os.fstat(fh.fileno()).st_mtime
            return _summarise(path, fh, mtime)
    except OSError:
        return None


def _summarise(path: Path, fh: BinaryIO, mtime: float) -> SessionSummary:
    session_id, title, created = path.stem, "", ""
    title_set = False
    from_persona = False  # the title came from a message that switched a persona on
    count = 0
    for is_first, raw in _lines_of_interest(fh):
        if is_first:
            try:
                first = EVENT_ADAPTER.validate_json(raw)
            except ValidationError:
                first = None
            if isinstance(first, SessionStarted):
                # the id is the file's name, never the one inside it (it could be a path)
                title, created = first.title, first.ts
                title_set = bool(first.title)
                continue
        kind = _KIND.match(raw)
        if kind is not None and kind.group(1) in (b"message", b"answer_start"):
            count += 1
            if not title_set and not from_persona and _USER_ROLE.search(raw):
                try:
                    event = EVENT_ADAPTER.validate_json(raw)
                except ValidationError:
                    continue
                if isinstance(event, MessageAdded) and (not title or event.persona_active):
                    title = default_title(event.content)
                    from_persona = event.persona_active
        elif kind is not None:  # a title change
            try:
                event = EVENT_ADAPTER.validate_json(raw)
            except ValidationError:
                continue
            if isinstance(event, TitleChanged):
                title, title_set = event.title, True
    updated = datetime.fromtimestamp(mtime, UTC).isoformat(timespec="milliseconds")
    return SessionSummary(
        id=session_id,
        title=safe_text(title),
        created=created,
        updated=updated,
        messages=count,
        path=path,
    )


def _looks_like_log(path: Path) -> bool:
    """True when some line is an event (or the file is empty: maybe being created now)."""
    try:
        data = path.read_bytes()
    except OSError:
        return True
    return not data.strip() or bool(parse_lines(data)[0])


def _set_aside(path: Path) -> str:
    """Move a non-log aside unless a live process holds it; the report line, or ''."""
    from agent.session.lock import holder

    if holder(path) is not None:
        return ""
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return _not_a_log(path, data, move=True)


def list_sessions(
    directory: Path | None = None, problems: list[str] | None = None
) -> list[SessionSummary]:
    """Saved sessions, most recently updated first.

    A file that is not JSON Lines at all is moved aside (`<name>.corrupt-<timestamp>`) and
    reported in `problems`, so it can never hide the others or break `--resume latest`.
    """
    directory = Path(directory) if directory is not None else paths.sessions_dir()
    try:
        files = [p for p in directory.iterdir() if p.suffix == ".jsonl" and p.is_file()]
    except OSError:
        return []
    summaries: list[SessionSummary] = []
    for path in files:
        summary = _summary(path)
        if summary is None:
            continue
        if summary.created == "" and not _looks_like_log(path):
            problem = _set_aside(path)
            if problem:
                if problems is not None:
                    problems.append(problem)
                continue
        if not summary.created:
            summary.created = summary.updated
        summaries.append(summary)
    summaries.sort(key=lambda s: (s.updated, s.id), reverse=True)
    return summaries
