"""Checkpoints before the agent changes a file, and `/undo` that puts them back.

Why: an edit or write the user allowed can still be wrong. Before each edit/write runs, the
file's bytes (or the fact that it did not exist) are kept in the data folder, and a session
event names them, so `/undo` works after a restart too. `/undo` restores the files of the
newest answer not yet undone, each one atomically (a temp file, then rename) and confined to
the project root like the tools; again goes one answer further back.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from agent import paths
from agent.atomic import write_atomic
from agent.paths import FILE_MODE
from agent.session.models import FileCheckpoint, SessionState, UndoDone
from agent.tools.root import ProjectRoot, ToolError

CHANGING_TOOLS = frozenset({"edit", "write"})
MAX_CHECKPOINT_BYTES = 20_000_000  # a bigger file is not checkpointed (and /undo says so)


def blob_dir(session_id: str) -> Path:
    return paths.data_dir() / "checkpoints" / session_id


def checkpoint(session_id: str, answer_id: str, root: ProjectRoot, tool: str,
               raw_arguments: str) -> FileCheckpoint | None:
    """The event to record before `tool` changes a file, with its bytes saved; None when the
    call changes no file this can name (bad arguments: the tool itself will refuse)."""
    if tool not in CHANGING_TOOLS:
        return None
    try:
        raw = json.loads(raw_arguments or "{}").get("path")
        path = root.resolve(raw)
    except (ValueError, AttributeError, ToolError):
        return None
    rel = root.rel(path)
    if not path.exists():
        return FileCheckpoint(id=answer_id, path=rel, existed=False)
    if not path.is_file() or path.stat().st_size > MAX_CHECKPOINT_BYTES:
        return None
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    folder = blob_dir(session_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / digest
    if not target.exists():
        write_atomic(target, data, mode=FILE_MODE)  # a private copy in the data folder
    return FileCheckpoint(id=answer_id, path=rel, existed=True, blob=digest)


def to_undo(state: SessionState) -> tuple[str, list[FileCheckpoint]] | None:
    """(answer id, its first checkpoint per file) for the newest answer not yet undone."""
    undone = {e.id for e in state.undone}
    for answer_id in reversed(list(dict.fromkeys(c.id for c in state.checkpoints))):
        if answer_id in undone:
            continue
        first: dict[str, FileCheckpoint] = {}
        for c in state.checkpoints:
            if c.id == answer_id:
                first.setdefault(c.path, c)
        return answer_id, list(first.values())
    return None


def undo(state: SessionState, root: ProjectRoot) -> UndoDone | None:
    """Put back the files of the newest answer not yet undone; the event to record, or None
    when there is nothing to undo. A file that cannot be restored is named in `failed`."""
    found = to_undo(state)
    if found is None:
        return None
    answer_id, checkpoints = found
    restored: list[str] = []
    failed: list[str] = []
    for c in checkpoints:
        try:
            path = root.resolve(c.path)
            if c.existed:
                _restore(path, (blob_dir(state.id) / c.blob).read_bytes())
            elif path.exists():
                path.unlink()
            restored.append(c.path)
        except (OSError, ToolError):
            failed.append(c.path)
    return UndoDone(id=answer_id, files=restored, failed=failed)


def _restore(path: Path, data: bytes) -> None:
    """Put a file back whole (its folder too, if the agent removed it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
