"""Opening project files for the tools: regular files only, and never more than a cap.

Why: a FIFO, socket or device inside the root would block a plain `open()`/`read()` forever
(and a FIFO under an edit preview froze the whole app). Files are opened with O_NONBLOCK,
which never waits, and checked with fstat on the open descriptor (no race with a rename)
before a byte is read. A 1 GB file is read up to a cap, never into memory whole.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from agent.tools.root import ToolError

_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a folder",
}

BINARY_SNIFF = 8192


def is_binary(data: bytes) -> bool:
    return b"\x00" in data[:BINARY_SNIFF]


def open_regular(path: Path, shown: str) -> BinaryIO:
    """The file opened for binary reading; ToolError if it is missing or not a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ToolError(f"'{shown}' does not exist; use glob to find the right path.") from None
    except IsADirectoryError:
        raise ToolError(f"'{shown}' is a folder, not a file; use glob to list its files.") from None
    except OSError as exc:
        raise ToolError(f"Cannot read '{shown}': {exc.strerror or exc}.") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
            if stat.S_ISDIR(mode):
                raise ToolError(f"'{shown}' is a folder, not a file; use glob to list its files.")
            raise ToolError(f"'{shown}' is {kind}, not a regular file; not read.")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_regular(path: Path) -> bool:
    """True for a regular file (symlinks followed); listings use it to skip pipes and devices."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def read_capped(path: Path, shown: str, limit: int) -> bytes:
    """The whole file when it is at most `limit` bytes; ToolError (saying how big) otherwise."""
    with open_regular(path, shown) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        size = path.stat().st_size
        raise ToolError(f"'{shown}' is {size} bytes, more than the {limit} this tool handles "
                        "whole; use read with offset/limit, or grep.")
    return data


def capped_lines(fh: BinaryIO, line_cap: int) -> Iterator[tuple[bytes, int]]:
    """Lines (newline kept) no longer than `line_cap` bytes each, with how many bytes of the
    line were left out: a 1 GB file with no newline never becomes one 1 GB string."""
    while True:
        line = fh.readline(line_cap)
        if not line:
            return
        dropped = 0
        if len(line) == line_cap and not line.endswith(b"\n"):
            while True:
                rest = fh.readline(line_cap)
                dropped += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
        yield line, dropped
