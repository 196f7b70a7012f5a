"""Saved sessions as a collection: list them, delete one, rename one.

The listing reads only the lines it needs (messages, answers, titles) of each log, so a long
session lists as fast as a short one; a file that is not a log is moved aside and reported.
Delete and rename go through the session's lock, so a session another backend-copilot is
writing is never deleted or written to behind its back: the user gets one line saying so
instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from pydantic import ValidationError

from agent import paths
from agent.lazy_model import LazyModel
from agent.session.fold import EVENT_ADAPTER, default_title, parse_lines
from agent.session.journal import WRITERS, Session, SessionError, SessionInUse, key
from agent.session.lock import SessionBusy, SessionLock
from agent.session.logfiles import not_a_log, resolve
from agent.session.models import MessageAdded, SessionStarted, TitleChanged
from agent.text import safe_text


class SessionSummary(LazyModel):
    id: str
    title: str
    created: str
    updated: str
    messages: int
    path: Path



def _existing(session_id_or_path: str | Path, directory: Path | None) -> Path:
    path = resolve(session_id_or_path, directory)
    if not path.is_file():
        raise SessionError(
            f"No saved session '{session_id_or_path}'; run `backend-copilot sessions` to list them."
        )
    return path


def _writer_here(path: Path) -> Session | None:
    """The Session of this process that is writing path, if any."""
    ref = WRITERS.get(key(path))
    session = ref() if ref is not None else None
    return session if session is not None and session._file_lock is not None else None


def delete_session(session_id_or_path: str | Path, *, directory: Path | None = None) -> Path:
    """Remove a saved session's log for good; returns the path removed. Raises SessionError."""
    path = _existing(session_id_or_path, directory)
    if _writer_here(path) is not None:
        raise SessionInUse(f"{path.stem} is the session open here; start a /new one first.")
    try:
        lock = SessionLock.acquire(path)
    except SessionBusy as exc:
        raise SessionInUse(f"Not deleted: {exc}") from None
    except OSError as exc:
        raise SessionError(f"Cannot delete {path} ({exc.strerror}).") from None
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise SessionError(f"Cannot delete {path} ({exc.strerror}).") from None
    finally:
        lock.release()  # removes the lock file too
    return path


def rename_session(
    session_id_or_path: str | Path, title: str, *, directory: Path | None = None
) -> str:
    """Give a saved session a new title (a title line appended to its log); returns it."""
    title = " ".join(title.split())
    if not title:
        raise SessionError("A title needs at least one word.")
    path = _existing(session_id_or_path, directory)
    here = _writer_here(path)
    if here is not None:  # the open session: its own writer appends the line
        here.set_title(title)
        return title
    session = Session.open(path)
    try:
        if not session.persisted:
            reason = session.warnings[-1] if session.warnings else "it is read-only"
            raise SessionError(f"Not renamed: {reason}")
        session.set_title(title)
    finally:
        session.close()
    return title


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
    return not_a_log(path, data, move=True)


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
