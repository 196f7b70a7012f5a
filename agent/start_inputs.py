"""Everything a new session's first screen is made from, as one fingerprint.

A start with no `--resume` builds its screen from the app's code, the settings (config.toml,
a few environment variables, the command line), the persona files, the project's instruction
files and the working directory. The TUI remembers that screen with this key
(tui/first_screen.py) and draws it at the next start before the co-pilot is loaded — only
when the key is the same, so a changed input is a start like any other.

Kept free of pydantic and of the modules that use it: it runs before they are imported.
API keys count only as set or not set (that is all the screen shows of them); their values
reach neither the key nor any file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agent import paths

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_PERSONA_PATH = Path(__file__).parent / "persona" / "bundled" / "backend.md"
# The project's instructions for coding agents, read at the project root (in this order).
INSTRUCTION_FILES = ("AGENTS.md", "CLAUDE.md", ".github/copilot-instructions.md")
# Read by the settings and the paths; their values are part of the key.
SETTING_VARS = (
    "BACKEND_COPILOT_PROVIDER", "BACKEND_COPILOT_MODEL", "OPENAI_BASE_URL",
    paths.DATA_ENV, paths.CONFIG_ENV, paths.EXPORT_ENV, paths.LOG_ENV,
    "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
)
# Secrets: only whether each one is set counts.
KEY_VARS = ("OPENAI_API_KEY", "OPENROUTER_API_KEY")
_CODE_PACKAGES = ("agent", "keywords", "tui")


def _stamp(path: Path) -> list[Any]:
    """What changes when a file does: where it points, its mtime and size (None: missing)."""
    try:
        st = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), os.path.realpath(path), st.st_mtime_ns, st.st_size]


def _code_stamps() -> list[Any]:
    """Every Python file of the app: a new version (or an edited checkout) changes the key."""
    stamps: list[Any] = []
    for package in _CODE_PACKAGES:
        for folder, dirs, files in os.walk(PACKAGE_ROOT / package):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".tcss")):
                    full = os.path.join(folder, name)
                    try:
                        st = os.stat(full)
                    except OSError:
                        continue
                    stamps.append([full, st.st_mtime_ns, st.st_size])
    return stamps


def first_screen_key(
    cli: Mapping[str, Any],
    agent_paths: Sequence[str],
    *,
    root: Path | None = None,
    env: Mapping[str, str] | None = None,
    more_files: Iterable[Path] = (),
) -> str:
    """A digest of every input of a new session's first screen; `more_files` are the caller's
    own (the TUI's remembered theme)."""
    env = os.environ if env is None else env
    root = Path.cwd() if root is None else root
    inputs = {
        "cli": {k: v for k, v in sorted(cli.items()) if v is not None},
        "agents": [_stamp(Path(p).expanduser().absolute()) for p in agent_paths],
        "root": str(root.absolute()),
        "instructions": [_stamp(root / name) for name in INSTRUCTION_FILES],
        "settings": {var: env.get(var) for var in SETTING_VARS},
        "keys": {var: bool(env.get(var, "").strip()) for var in KEY_VARS},
        "config": _stamp(paths.config_file()),
        "persona": _stamp(BUNDLED_PERSONA_PATH),
        "more": [_stamp(p) for p in more_files],
        "code": _code_stamps(),
    }
    text = json.dumps(inputs, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


__all__ = [
    "BUNDLED_PERSONA_PATH",
    "INSTRUCTION_FILES",
    "KEY_VARS",
    "SETTING_VARS",
    "first_screen_key",
]
