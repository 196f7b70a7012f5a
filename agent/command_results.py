"""What a slash command returns: a typed result the front end acts on.

Apart from the registry (commands.py) and the handlers (command_handlers.py) so both, and the
front ends, can name the result types without importing each other.
"""

from __future__ import annotations

from pydantic import Field

from agent.lazy_model import LazyModel


class CommandResult(LazyModel):
    """Done; `message` (if any) is shown as a hint. ok=False: refused, `message` says why."""

    ok: bool = True
    message: str = ""


class Exported(CommandResult):
    path: str


class NewSession(CommandResult):
    pass


class RetryLast(CommandResult):
    pass


class OpenSessions(CommandResult):
    pass


class ShowHelp(CommandResult):
    lines: list[tuple[str, str]] = Field(default_factory=list)


class ShowPersonas(CommandResult):
    lines: list[tuple[str, str]] = Field(default_factory=list)


class Quit(CommandResult):
    pass


class RunAudit(CommandResult):
    """The front end runs the project audit off the UI thread."""


class RunProbe(CommandResult):
    """The front end probes `url` with `requests` GETs off the UI thread."""

    url: str
    requests: int


class Deliver(CommandResult):
    """The front end runs `copilot.deliver(phase)` in a worker (it may ask to overwrite)."""

    phase: str = ""  # the phase named ("" = every phase reached)


def refused(message: str) -> CommandResult:
    return CommandResult(ok=False, message=message)
