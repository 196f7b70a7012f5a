"""The app's log file: where library chatter and tracebacks go instead of the terminal.

Why: libraries log through `logging`; with nothing configured, Python prints their warnings
and tracebacks on stderr. An MCP server that prints garbage made the SDK log one traceback
per line, flooding `ask` and drawing over the TUI. Their loggers are routed here
(`<data dir>/backend-copilot.log`, mode 0600, rotated) and never reach the terminal; the
user sees one status line per server, the detail stays in this file.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading
from pathlib import Path

from agent import paths

LOG_NAME = "backend-copilot.log"
QUIET_LOGGERS = ("mcp", "httpx", "httpcore", "anyio")
MAX_BYTES = 1_000_000
_lock = threading.Lock()
_handler: logging.Handler | None = None


def log_file() -> Path:
    return paths.data_dir() / LOG_NAME


def route_library_logs() -> Path | None:
    """Send the libraries' log records to the log file (once); None if it cannot be opened,
    and then they are dropped rather than printed."""
    global _handler
    with _lock:
        if _handler is None:
            _handler = _open_handler()
            for name in QUIET_LOGGERS:
                logger = logging.getLogger(name)
                logger.propagate = False  # never to the root logger's stderr fallback
                logger.addHandler(_handler)
                if logger.level == logging.NOTSET:
                    logger.setLevel(logging.INFO)
        return Path(_handler.baseFilename) if isinstance(_handler, logging.FileHandler) else None


def _open_handler() -> logging.Handler:
    try:
        folder = paths.ensure_dir(paths.data_dir())
        target = folder / LOG_NAME
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, paths.FILE_MODE)
        os.close(fd)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=MAX_BYTES, backupCount=1, encoding="utf-8", delay=True)
    except OSError:
        return logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    return handler
