"""Parsed agent files kept between runs, keyed by path, mtime and size.

Parsing 150 agent files costs most of a second; reading their personas and activation
profiles back from one JSON file costs a fraction of that. The cache lives in the data dir
(0600, written to a temporary file and renamed, so a crash never leaves half a file). A
damaged, foreign or out-of-date cache is ignored and rebuilt; it never stops a load. The key
includes a fingerprint of the parsing code, so a new version of the app re-reads every file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent import paths
from agent.atomic import write_atomic
from agent.persona.models import Persona
from keywords.profile import Profile

CACHE_NAME = "agent-files.cache.json"
MAX_CACHE_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 2000
_CODE = ("agentfile.py", "markdown_blocks.py", "persona.py", "models.py", "grants.py",
         "vocabulary.py", "mermaid.py", "activation_profile.py", "no_alias_yaml.py")


def _fingerprint() -> str:
    here = Path(__file__).parent
    parts = []
    for name in _CODE:
        with contextlib.suppress(OSError):
            st = (here / name).stat()
            parts.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
    profile = Path(__file__).parents[2] / "keywords" / "profile.py"
    with contextlib.suppress(OSError):
        st = profile.stat()
        parts.append(f"profile:{st.st_mtime_ns}:{st.st_size}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def stamp_of(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _fresh(key: str, entry: Any) -> bool:
    stamp = stamp_of(Path(key))
    return isinstance(entry, dict) and stamp is not None and entry.get("stamp") == list(stamp)


class PersonaCache:
    """Load once, `get`/`put` per file, `save` at the end (only when something changed)."""

    def __init__(self, file: Path | None = None) -> None:
        self.file = file if file is not None else paths.data_dir() / CACHE_NAME
        self._version = _fingerprint()
        self._entries: dict[str, dict[str, Any]] = {}
        self._used: set[str] = set()
        self._dirty = False
        self._read()

    def _read(self) -> None:
        try:
            if self.file.stat().st_size > MAX_CACHE_BYTES:
                return
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeError):
            return
        if isinstance(data, dict) and data.get("version") == self._version:
            entries = data.get("entries")
            if isinstance(entries, dict):
                self._entries = entries

    def get(self, path: Path) -> tuple[Persona, Profile | None] | None:
        key = os.path.abspath(path)
        entry = self._entries.get(key)
        stamp = stamp_of(path)
        if not isinstance(entry, dict) or stamp is None or entry.get("stamp") != list(stamp):
            return None
        try:
            persona = Persona.model_validate(entry["persona"])
            profile = Profile.from_dict(entry["profile"]) if entry.get("profile") else None
        except (KeyError, TypeError, ValueError, AssertionError, ValidationError):
            return None
        self._used.add(key)
        return persona, profile

    def put(self, path: Path, persona: Persona, profile: Profile | None) -> None:
        stamp = stamp_of(path)
        if stamp is None:
            return
        key = os.path.abspath(path)
        self._entries[key] = {
            "stamp": list(stamp),
            "persona": persona.model_dump(mode="json"),
            "profile": profile.to_dict() if profile is not None else None,
        }
        self._used.add(key)
        self._dirty = True

    def save(self) -> None:
        """Write the entries (atomic; any OS error leaves the old file). Entries of files that
        changed or went away are dropped; the others stay for the next run's other loads."""
        if not self._dirty:
            return
        entries = {k: v for k, v in self._entries.items() if k in self._used or _fresh(k, v)}
        if len(entries) > MAX_ENTRIES:
            entries = {k: v for k, v in entries.items() if k in self._used}
        text = json.dumps({"version": self._version, "entries": entries}, ensure_ascii=False)
        try:
            paths.ensure_dir(self.file.parent)
            write_atomic(self.file, text, mode=paths.FILE_MODE)
            self._dirty = False
        except OSError:
            return
