"""One writer per session: an exclusive lock on `<session>.lock` that holds the owner's pid.

Two app windows appending to one log would interleave their lines. The lock is an `flock` on a
sidecar file, so the kernel drops it the moment its process dies (kill -9 included): a lock left
behind by a crash is never stale, the next opener just takes it. The pid written inside is only
for the message that names who holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from agent.errors import SessionError
from agent.paths import FILE_MODE


class SessionBusy(SessionError):
    """Another live process holds the session's lock."""

    def __init__(self, path: Path, pid: int | None) -> None:
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"Session {path.stem} is open in another backend-copilot ({who}); "
            f"close it there first, or read it with `backend-copilot export {path.stem}`."
        )
        self.path = path
        self.pid = pid


def lock_path(session_path: Path) -> Path:
    """Beside the real file: a symlinked alias of a session shares its lock."""
    return Path(os.path.realpath(session_path)).with_suffix(".lock")


def _read_pid(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode("ascii").strip() or "0") or None
    return None


class SessionLock:
    """Held from acquire() until release() (or the process ends)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, session_path: Path) -> SessionLock:
        """Take the lock or raise SessionBusy; OSError when the lock file cannot be made."""
        path = lock_path(session_path)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = _read_pid(fd)
                os.close(fd)
                raise SessionBusy(session_path, pid) from None
            except OSError:
                os.close(fd)
                raise
            # A releaser unlinks the file before unlocking it; if we locked an unlinked
            # file, the path now names another (or no) file: try again on that one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            return cls(path, fd)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.close(fd)

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


def holder(session_path: Path) -> int | None:
    """The pid holding the session's lock now, or None when nobody does."""
    path = lock_path(session_path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd) or -1
        except OSError:
            return None
        return None
    finally:
        os.close(fd)
