"""Session log files on disk: an id names one file in the sessions folder, and a file that
is not a session log is moved aside.

Apart from the writer (journal.py) because both the writer and the listing (catalogue.py)
turn ids into paths and set damaged files aside, and neither should reach into the other.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

from agent import paths
from agent.errors import SessionError
from agent.text import safe_text

# A session id as the app makes them (20261125-001338-ab12) or an import keeps them: one
# file name, never a path. Ids from inside a file are checked against it before any use.
SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def valid_session_id(value: str) -> bool:
    return SESSION_ID.fullmatch(value) is not None and ".." not in value


def resolve(session_id_or_path: str | Path, directory: Path | None) -> Path:
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


def inside_sessions(path: Path, directory: Path | None) -> bool:
    """Only a file directly in the sessions folder is ever moved aside."""
    base = Path(directory) if directory is not None else paths.sessions_dir()
    try:
        return path.resolve().parent == base.resolve()
    except (OSError, RuntimeError):
        return False


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


def not_a_log(path: Path, data: bytes, *, move: bool) -> str:
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
