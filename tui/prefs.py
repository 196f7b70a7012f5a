"""What the app remembers between runs about how it looks (the theme chosen in the app).

Kept in the data folder as a small JSON file written atomically (a temporary file in the
same folder, then a rename), so a crash mid-write never leaves half a file. A missing or
damaged file means "nothing remembered": the app starts with its default.
"""

from __future__ import annotations

import json
from pathlib import Path

from agent import paths
from agent.atomic import write_atomic

PREFS_FILE = "ui.json"


def prefs_path() -> Path:
    return paths.data_dir() / PREFS_FILE


def load_theme() -> str:
    """The theme last chosen in the app, or '' when none is remembered."""
    try:
        data = json.loads(prefs_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    theme = data.get("theme") if isinstance(data, dict) else None
    return theme if isinstance(theme, str) else ""


def save_theme(theme: str) -> str | None:
    """Remember the theme; None when saved, else one line saying why not."""
    target = prefs_path()
    try:
        paths.ensure_dir(target.parent)
        write_atomic(target, json.dumps({"theme": theme}), mode=paths.FILE_MODE)
    except OSError as exc:
        return f"Could not remember the theme in {target} ({exc.strerror or exc})."
    return None
