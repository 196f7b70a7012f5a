"""`backend-copilot import FILE.json`: a JSON export becomes a saved session again.

The export carries the events that rebuild the state, so the new session log is those events,
written as they are: it resumes exactly as it was exported. It keeps its id when no saved
session has it (importing on another machine, or after deleting the original), and gets a
new id otherwise, so an import never overwrites or merges into a session.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from agent import paths
from agent.export.render import ExportError, import_json
from agent.session.journal import Session, _encode, new_session_id
from agent.session.models import SessionStarted

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def import_session(file: str | Path, *, directory: Path | None = None) -> Session:
    """Write the export's events as a new session log and open it. Raises ExportError."""
    source = Path(file).expanduser()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExportError(f"No file {source}; give the path of a JSON export.") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ExportError(f"Cannot read {source} ({reason}).") from None
    events = import_json(text)
    first = events[0]
    if not isinstance(first, SessionStarted):
        raise ExportError(f"{source}: the first event must start the session (type \"session\").")
    folder = Path(directory) if directory is not None else paths.sessions_dir()
    try:
        paths.ensure_dir(folder)
    except OSError as exc:
        raise ExportError(f"Cannot create the sessions folder {folder} ({exc.strerror}).") from None
    session_id = first.id if _safe_id(first.id) else new_session_id()
    while True:
        target = folder / f"{session_id}.jsonl"
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            session_id = new_session_id()
        except OSError as exc:
            raise ExportError(f"Cannot write {target} ({exc.strerror}).") from None
    if session_id != first.id:
        events[0] = first.model_copy(update={"id": session_id})
    try:
        with os.fdopen(fd, "wb") as out:
            out.writelines(_encode(event)[1] for event in events)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise ExportError(f"Cannot write {target} ({exc.strerror}).") from None
    return Session.open(target)


def _safe_id(session_id: str) -> bool:
    """Usable as a file name here (whether it is taken, the exclusive create tells)."""
    return _SAFE_ID.fullmatch(session_id) is not None
