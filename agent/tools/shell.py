"""The built-in bash tool: a shell command in the project root, without secrets in its
environment, under a time limit, optionally limited to the agent file's command patterns.

Why a module: running a process (its group killed on a time-out or a stop) and checking a
command line against `Bash(git *)` patterns is a job apart from reading and editing files.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import os
import re
import signal
from dataclasses import replace
from typing import Annotated, Any

from pydantic import Field, Strict, StrictStr

from agent.tools.arguments import ToolArgs, check_args, says
from agent.tools.base import (
    MAX_OUTPUT_CHARS,
    PermissionRequest,
    ToolContext,
    ToolResult,
    ToolSpec,
    cut,
)
from agent.tools.root import ToolError
from agent.trust import command_environment

BASH_TIMEOUT = 60.0
MAX_BASH_TIMEOUT = 600.0

Seconds = Annotated[float, Strict(), Field(gt=0), says("Argument '{name}' must be a number of seconds.")]
"""More than 0 seconds: an int or a float, never a bool or a string."""


class BashArgs(ToolArgs):
    command: StrictStr = Field(description="The command line")
    timeout: Seconds = Field(BASH_TIMEOUT,
                             description=f"Seconds before it is stopped (default {BASH_TIMEOUT:g})")


# -- bash ------------------------------------------------------------------------------------


def _bash_preview(args: dict[str, Any], ctx: ToolContext) -> PermissionRequest:
    command = check_args(BashArgs, args).command
    return PermissionRequest(tool="bash", arguments=args, title=f"run: {command}")


async def _bash(raw: dict[str, Any], ctx: ToolContext) -> ToolResult:
    args = check_args(BashArgs, raw)
    command = args.command
    timeout = min(args.timeout, MAX_BASH_TIMEOUT)
    try:
        process = await asyncio.create_subprocess_shell(
            command, cwd=ctx.root.path, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True, env=command_environment(ctx.secrets),
        )
    except OSError as exc:
        raise ToolError(f"Cannot start the shell: {exc.strerror or exc}.") from None
    timed_out = False
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        timed_out = True
        _kill_group(process.pid)
        output, _ = await process.communicate()
    except asyncio.CancelledError:
        _kill_group(process.pid)
        raise
    text = output.decode("utf-8", errors="replace")
    code = process.returncode
    note = f"\n[stopped after {timeout:g} s]" if timed_out else ""
    content = cut(text, MAX_OUTPUT_CHARS) + note + f"\n[exit code {code}]"
    short = command if len(command) <= 60 else command[:57] + "..."
    return ToolResult(ok=code == 0 and not timed_out, content=content,
                      summary=f"bash {short!r}: " + ("timed out" if timed_out else f"exit {code}"))


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


BASH = ToolSpec(
    name="bash",
    description="Run a shell command in the project root; output (stdout+stderr) and exit code come back.",
    arguments=BashArgs,
    run=_bash,
    describe=lambda a, c: f"bash {a.get('command', '?')!r}",
    needs_approval=True,
    preview=_bash_preview,
)


# Anything that would run a second command, or feed one, after the allowed one.
_CHAINING = re.compile(r"[;&|`<>\n\r]|\$\(")


def check_command(command: str, patterns: tuple[str, ...]) -> None:
    """Refuse a command outside the agent file's patterns (Claude Code's `Bash(git *)`).

    A pattern is a shell-style glob over the whole command line; chaining, pipes, redirection
    and substitution are refused outright, or `git status; rm -rf ~` would match `git *`.
    """
    if not patterns:
        return
    line = command.strip()
    allowed = ", ".join(patterns)
    if _CHAINING.search(line):
        raise ToolError(f"The agent file limits bash to {allowed}: run one command at a time, "
                        "without ;, &, |, redirection or $(...).")
    if not any(fnmatch.fnmatchcase(line, pattern) for pattern in patterns):
        raise ToolError(f"The agent file limits bash to {allowed}; '{cut(line, 80)}' is not "
                        "one of them.")


def bash_limited_to(patterns: tuple[str, ...]) -> ToolSpec:
    """The bash tool that only runs commands matching `patterns` (checked before asking)."""

    def preview(args: dict[str, Any], ctx: ToolContext) -> PermissionRequest:
        check_command(check_args(BashArgs, args).command, patterns)
        return _bash_preview(args, ctx)

    async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        check_command(check_args(BashArgs, args).command, patterns)
        return await _bash(args, ctx)

    note = f" Only these commands are allowed: {', '.join(patterns)}."
    return replace(BASH, run=run, preview=preview, description=BASH.description + note)
