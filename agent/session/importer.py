"""`backend-copilot import FILE.json`: a JSON export becomes a saved session again.

The export carries the events that rebuild the state, so the new session log is those events,
written as they are: it resumes exactly as it was exported. It keeps its id when no saved
session has it (importing on another machine, or after deleting the original). When a saved
session already holds exactly what the export holds (the same export imported twice, or the
original untouched since), nothing is written and the error says which session it is.
Otherwise it gets an id of its own (`<id>-imported`, `-imported-2`, …), so an import never
overwrites or merges into a session.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from agent import paths
from agent.errors import ExportError
from agent.export.json_export import import_json
from agent.session.fold import fold
from agent.session.journal import Session, SessionError, encode, new_session_id
from agent.session.models import SessionStarted, SessionState

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
    base = first.id if _safe_id(first.id) else new_session_id()
    wanted = fold(events, session_id=base)
    for n in range(1, 1000):
        session_id = base if n == 1 else f"{base}-imported" + (f"-{n - 1}" if n > 2 else "")
        target = folder / f"{session_id}.jsonl"
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            if _holds(target, wanted):
                raise ExportError(
                    f"{source.name} is already imported as session {session_id}; "
                    f"resume it with: backend-copilot --resume {session_id}"
                ) from None
        except OSError as exc:
            raise ExportError(f"Cannot write {target} ({exc.strerror}).") from None
    else:
        session_id = new_session_id()
        target = folder / f"{session_id}.jsonl"
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    if session_id != first.id:
        events[0] = first.model_copy(update={"id": session_id})
    try:
        with os.fdopen(fd, "wb") as out:
            out.writelines(encode(event)[1] for event in events)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise ExportError(f"Cannot write {target} ({exc.strerror}).") from None
    return Session.open(target)


def _holds(path: Path, wanted: SessionState) -> bool:
    """True when the saved session at path folds to the same conversation as the export."""
    try:
        saved = Session.open(path, read_only=True).state
    except SessionError:
        return False
    skip = {"id", "skipped_lines"}
    return saved.model_dump(exclude=skip) == wanted.model_dump(exclude=skip)


def _safe_id(session_id: str) -> bool:
    """Usable as a file name here (whether it is taken, the exclusive create tells)."""
    return _SAFE_ID.fullmatch(session_id) is not None
