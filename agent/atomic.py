"""Whole-file writes that either happen completely or not at all.

Why: writing a file in place (truncate, then write) leaves it cut short when the disk fills
or the process dies half way. Here the new content goes to a temporary file in the same
folder, is flushed to the disk (fsync), and only then renamed over the old name in one step
(`os.replace`). On any error the temporary file is removed and the original is untouched.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: str | bytes, mode: int | None = None) -> None:
    """Replace `path` with `data` (str is written as UTF-8, newlines kept as given).

    mode: the permission bits of the new file. None keeps those of the file being replaced
    (a script stays executable), or 0644 filtered by the umask for a new file.
    Raises OSError; the old file is then exactly as it was.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; some file systems cannot, which is not an error."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
