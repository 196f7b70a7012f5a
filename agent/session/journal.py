"""The session writer: one conversation's append-only JSON Lines log and its folded state.

Every event is written and flushed the moment it happens (one `os.write` on an O_APPEND
descriptor), so a crash loses at most the streamed text of the last quarter second. Reading
tolerates a torn or corrupt line: it is skipped and reported, the rest of the session loads.
When the disk refuses (permissions, full disk) the session keeps working in memory and says so
once; the UI never sees an exception from saving.

The fold (events into SessionState) is in fold.py, ids and damaged files in logfiles.py, the
listing of saved sessions in catalogue.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic_core import PydanticSerializationError

from agent import paths
from agent.errors import SessionError
from agent.session.fold import EVENT_ADAPTER, apply_event, find_message, fold, parse_lines
from agent.session.lock import SessionBusy, SessionLock
from agent.session.logfiles import inside_sessions, not_a_log, resolve
from agent.session.models import (
    AnswerDelta,
    AnswerFinished,
    AnswerStarted,
    Message,
    MessageAdded,
    MessageStatus,
    Notice,
    SessionEvent,
    SessionStarted,
    SessionState,
    TitleChanged,
    Usage,
)

DELTA_INTERVAL = 0.25  # seconds between AnswerDelta lines while streaming

Subscriber = Callable[[SessionEvent], None]
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class SessionInUse(SessionError):
    """Another live backend-copilot is writing this session (it holds the lock)."""


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


def encode(event: SessionEvent) -> tuple[SessionEvent, bytes]:
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
            WRITERS[key(path)] = weakref.ref(self)

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
        session = cls(path, SessionState.empty(session_id), fd=None, clock=clock)
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
        WRITERS[key(self.path)] = weakref.ref(self)
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
        path = resolve(session_id_or_path, directory)
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
            problem_text = not_a_log(
                path, data, move=lock is not None and inside_sessions(path, directory))
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
        message = find_message(self.state, event.id)  # type: ignore[union-attr]
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
            ref = WRITERS.get(key(self.path))
            if ref is not None and ref() is self:
                del WRITERS[key(self.path)]
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
                event = encode(event)[0]
                self._deferred.append(event)
                return event
            self._create_file()
        event, line = encode(event)
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
WRITERS: dict[str, weakref.ref[Session]] = {}


def key(path: Path) -> str:
    return os.path.realpath(path)


def _take_over(path: Path) -> None:
    ref = WRITERS.pop(key(path), None)
    older = ref() if ref is not None else None
    if older is not None and older._file_lock is not None:
        older.close()
        older.notice(
            f"{path.name} was opened again in this process; this copy is no longer saved."
        )
