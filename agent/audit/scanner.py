"""Walk a project root: .gitignore respected (pathspec), vendored and build folders skipped.

Yields files in a stable order (sorted per folder) so reports are reproducible. Symlinks are
not followed: the audit stays inside the root.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SKIPPED_DIRS: frozenset[str] = frozenset({
    ".git", ".hg", ".svn", "node_modules", "bower_components", ".venv", "venv",
    "site-packages", "dist", "build", "target", "vendor", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".gradle", ".idea", ".next", ".cache",
})

MAX_BYTES = 1_000_000  # larger files are reported and skipped: generated or data, not code


def _load_gitignore(path: Path) -> Any | None:
    import pathspec  # lazy: only an audit pays for it

    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored(specs: list[tuple[str, Any]], rel: str, is_dir: bool) -> bool:
    """Git's answer: the deepest .gitignore with a matching pattern decides."""
    verdict = False
    for base, spec in specs:
        if base and not rel.startswith(base + "/"):
            continue
        sub = rel[len(base) + 1:] if base else rel
        result = spec.check_file(sub + "/" if is_dir else sub)
        if result.include is not None:
            verdict = bool(result.include)
    return verdict


def walk(root: Path, problems: list[str] | None = None) -> Iterator[str]:
    """Relative '/'-separated paths of the files worth auditing under root; a folder that
    cannot be listed adds one line to `problems`."""
    specs: list[tuple[str, Any]] = []

    def unreadable(exc: OSError) -> None:
        if problems is not None and exc.filename is not None:
            rel = os.path.relpath(exc.filename, root).replace(os.sep, "/")
            problems.append(f"{rel}/: folder unreadable ({exc.strerror or 'error'}); skipped")

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        if ".gitignore" in filenames:
            spec = _load_gitignore(Path(dirpath) / ".gitignore")
            if spec is not None:
                specs.append((rel_dir, spec))
        active = [(b, s) for b, s in specs if not b or rel_dir == b or rel_dir.startswith(b + "/")]
        kept = []
        for name in sorted(dirnames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if name in SKIPPED_DIRS or os.path.islink(os.path.join(dirpath, name)):
                continue
            if active and _ignored(active, rel, True):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if os.path.islink(os.path.join(dirpath, name)):
                continue
            if active and _ignored(active, rel, False):
                continue
            yield rel


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> tuple[str | None, str]:
    """(text, "") or (None, one line saying why the file was skipped)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            return None, "skipped: not a regular file"
        size = info.st_size
        if size > max_bytes:
            return None, f"skipped: {size / 1_000_000:.1f} MB, over the {max_bytes // 1_000_000} MB limit"
        data = path.read_bytes()
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc.__class__.__name__}"
    if b"\x00" in data[:8192]:
        return None, "skipped: binary file"
    return data.decode("utf-8", errors="replace"), ""
