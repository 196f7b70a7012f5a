"""The one error root: every failure a person sees is a CopilotError with a title and a line.

The front end shows `title: line` (a toast, a chat notice, one stderr line) and writes the
traceback only to the log file, so a new kind of failure needs no new handling code anywhere.
"""

from __future__ import annotations

from pathlib import Path


class CopilotError(Exception):
    """A failure with a short title and one line a person can act on."""

    title = "Error"

    def headline(self) -> str:
        """`title: message` on one line (no traceback, no newlines)."""
        return f"{self.title}: {' '.join(str(self).split())}"


class AgentFileError(CopilotError):
    """One line a person can act on: which file, which line, what was expected."""

    title = "Agent file"

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class ConfigError(CopilotError):
    """A config problem that stops a command (most are collected and shown, not raised)."""

    title = "Config"


class SessionError(CopilotError):
    """A session that cannot be opened; the message says which file and what to do."""

    title = "Session"


class ToolError(CopilotError):
    """One line the model sees as the tool's result (the call failed, the loop goes on)."""

    title = "Tool"


class ExportError(CopilotError):
    """What could not be written or read, and what to do instead."""

    title = "Export"


class WorkflowError(CopilotError):
    """An unknown or ambiguous phase name; the message lists the valid names."""

    title = "Workflow"
