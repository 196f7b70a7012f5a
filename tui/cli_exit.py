"""How the console commands end: their exit codes, and a standard output whose reader went away.

Shared by tui/cli.py and the command modules (tui/cli_ask.py, tui/cli_persona.py,
tui/cli_sessions.py); only the standard library, so every command may import it.
"""

from __future__ import annotations

import contextlib
import os
import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
