"""The log file: every traceback the screen does not show, with keys masked.

The screen and stderr get one line a person can act on (CopilotError.headline); the detail a
maintainer needs goes here. Rotating (1 MB x 3), private (0600), opened only when the first
record is written, so the first frame pays nothing for it.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from agent import paths
from agent.key_mask import KeyMask
from agent.text import mask_secrets, safe_text

LOGGER_NAME = "backend_copilot"
MAX_BYTES = 1_000_000
BACKUPS = 3

_lock = threading.Lock()
_secrets: set[str] = set()
_key_mask = KeyMask()


def _masked(text: str) -> str:
    # The configured key as the answers see it masked (with its base64 forms: a server's
    # error may echo an Authorization header), then anything else shaped like a key.
    return mask_secrets(_key_mask.mask(safe_text(text)), _secrets)


class _MaskSecrets(logging.Filter):
    """Known keys and anything shaped like one become *** before a record is formatted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _masked(record.getMessage())
        record.args = None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = _masked(formatted)
            record.exc_info = None
            record.msg = f"{record.msg}\n{record.exc_text}"
            record.exc_text = None
        return True


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    def _open(self):  # type: ignore[override]
        paths.ensure_dir(Path(self.baseFilename).parent)
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, paths.FILE_MODE)
        os.chmod(self.baseFilename, paths.FILE_MODE)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


def mask(secrets: Iterable[str | None]) -> None:
    """Add secrets (the configured API key) to what every record masks."""
    global _key_mask
    with _lock:
        _secrets.update(s for s in secrets if s)
        _key_mask = KeyMask(_secrets)


def _new_handler() -> logging.Handler:
    handler = _PrivateRotatingHandler(
        paths.log_file(), maxBytes=MAX_BYTES, backupCount=BACKUPS, delay=True, encoding="utf-8",
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    handler.addFilter(_MaskSecrets())
    return handler


def logger() -> logging.Logger:
    """The app's logger, its file handler attached on first use (lazily, once)."""
    log = logging.getLogger(LOGGER_NAME)
    with _lock:
        if not log.handlers:
            log.addHandler(_new_handler())
            log.setLevel(logging.INFO)
            log.propagate = False
    return log


# Libraries that log through `logging`: with nothing configured their warnings and tracebacks
# reach stderr (an MCP server printing garbage made the SDK log one traceback per line, drawn
# over the TUI). They go to the log file instead; the user sees one status line per server.
QUIET_LOGGERS = ("mcp", "httpx", "httpcore", "anyio")


def route_library_logs() -> Path:
    """Send the libraries' log records to the log file, never to the terminal (once)."""
    handler = logger().handlers[0]
    with _lock:
        for name in QUIET_LOGGERS:
            library = logging.getLogger(name)
            if handler not in library.handlers:
                library.propagate = False
                library.addHandler(handler)
                if library.level == logging.NOTSET:
                    library.setLevel(logging.INFO)
    return paths.log_file()


def log_exception(context: str, exc: BaseException) -> None:
    """Write exc's traceback under a one-line context; never raises (a full disk included)."""
    with contextlib.suppress(Exception):  # logging must never become the failure
        logger().error(context, exc_info=(type(exc), exc, exc.__traceback__))
