"""Where the app keeps its files: data (sessions), config, exports, the log.

Each place comes from platformdirs and can be overridden by an environment variable, so
tests and users with unusual setups can point it anywhere. Directories the app creates are
private (0700): sessions hold the user's conversations.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "backend-copilot"
DATA_ENV = "BACKEND_COPILOT_DATA_DIR"
CONFIG_ENV = "BACKEND_COPILOT_CONFIG_DIR"
EXPORT_ENV = "BACKEND_COPILOT_EXPORT_DIR"
LOG_ENV = "BACKEND_COPILOT_LOG_DIR"
DIR_MODE = 0o700
FILE_MODE = 0o600


def _override(var: str) -> Path | None:
    value = os.environ.get(var, "").strip()
    return Path(value).expanduser() if value else None


def ensure_dir(path: Path) -> Path:
    """Create path (and missing parents) with mode 0700; existing directories are left as is."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def data_dir(*, create: bool = False) -> Path:
    path = _override(DATA_ENV) or Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return ensure_dir(path) if create else path


def config_dir(*, create: bool = False) -> Path:
    path = _override(CONFIG_ENV) or Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    return ensure_dir(path) if create else path


def export_dir(*, create: bool = False) -> Path:
    path = _override(EXPORT_ENV) or Path(platformdirs.user_documents_dir()) / APP_NAME
    return ensure_dir(path) if create else path


def sessions_dir(*, create: bool = False) -> Path:
    path = data_dir() / "sessions"
    return ensure_dir(path) if create else path


def config_file() -> Path:
    return config_dir() / "config.toml"


def log_dir(*, create: bool = False) -> Path:
    path = _override(LOG_ENV) or Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    return ensure_dir(path) if create else path


def log_file() -> Path:
    return log_dir() / "backend-copilot.log"
