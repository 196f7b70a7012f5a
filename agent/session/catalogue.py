"""Saved sessions as a collection: delete one, rename one (the listing is in journal.py).

Both go through the session's lock, so a session another backend-copilot is writing is never
deleted or written to behind its back: the user gets one line saying so instead.
"""

from __future__ import annotations

from pathlib import Path

from agent.session.journal import (
    _WRITERS,
    Session,
    SessionError,
    SessionInUse,
    _key,
    _resolve,
)
from agent.session.lock import SessionBusy, SessionLock


def _existing(session_id_or_path: str | Path, directory: Path | None) -> Path:
    path = _resolve(session_id_or_path, directory)
    if not path.is_file():
        raise SessionError(
            f"No saved session '{session_id_or_path}'; run `backend-copilot sessions` to list them."
        )
    return path


def _writer_here(path: Path) -> Session | None:
    """The Session of this process that is writing path, if any."""
    ref = _WRITERS.get(_key(path))
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
