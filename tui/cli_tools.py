"""The terminal side of tools for `backend-copilot ask` and `backend-copilot mcp list`.

Permission in a terminal: a person at a TTY is asked (once / session / no, default no); with
no TTY (pipes, CI) every changing call is denied and the model is told so. `--yes` allows
everything, and is never the default.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from agent.session.models import ToolCallFinished, ToolCallStarted
from agent.text import safe_text, visible_controls
from agent.tools import Approver, Decision, PermissionRequest

MCP_START_WAIT = 30.0  # seconds `ask` waits for configured MCP servers before answering
DIFF_LINES = 60


def check_root(root: str | None) -> str | None:
    """An error line when --root is not a folder, else None."""
    if root is None:
        return None
    path = Path(root).expanduser()
    if not path.is_dir():
        return f"--root {root}: not a folder; give the project folder tools may use."
    return None


async def _allow_all(request: PermissionRequest) -> Decision:
    return "once"


def terminal_approver(*, yes: bool, stdin: TextIO | None = None,
                      stderr: TextIO | None = None) -> Approver | None:
    """--yes: allow; a TTY: ask; otherwise None (the toolbox denies and tells the model)."""
    if yes:
        return _allow_all
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        return None
    out = stderr or sys.stderr

    async def ask(request: PermissionRequest) -> Decision:
        out.write(f"\n— {visible_controls(request.title or request.tool)} — permission needed\n")
        lines = visible_controls(request.diff).splitlines() if request.diff else []
        shown = min(len(lines), DIFF_LINES)
        for line in lines[:shown]:
            out.write(f"  {line}\n")
        if not lines and request.arguments:
            out.write(f"  {safe_text(json.dumps(request.arguments, ensure_ascii=False))}\n")
        while True:
            if shown < len(lines):  # never approve what was not shown
                out.write(f"  … {len(lines) - shown} more diff lines\n"
                          "Show the [v]rest of the diff, or [N]o: ")
            else:
                out.write("Allow? [o]nce, for this [s]ession, [N]o: ")
            out.flush()
            choice = (await read_line(stdin)).strip().lower()
            if choice in ("v", "view") and shown < len(lines):
                for line in lines[shown:]:
                    out.write(f"  {line}\n")
                shown = len(lines)
                continue
            if shown < len(lines) and choice in ("o", "once", "y", "yes", "s", "session"):
                out.write("  Not allowed: part of the diff was not shown yet.\n")
                continue
            if choice in ("o", "once", "y", "yes"):
                return "once"
            if choice in ("s", "session"):
                return "session"
            return "deny"

    return ask


async def read_line(stdin: TextIO) -> str:
    """One line from the terminal without a blocking thread, so Ctrl+C ends the wait at once
    (a thread stuck in readline() would hold the process until Enter)."""
    loop = asyncio.get_running_loop()
    try:
        fd = stdin.fileno()
    except (OSError, ValueError, AttributeError):
        return await asyncio.to_thread(stdin.readline)
    future: asyncio.Future[str] = loop.create_future()

    def ready() -> None:
        if not future.done():
            future.set_result(stdin.readline())

    try:
        loop.add_reader(fd, ready)
    except (OSError, ValueError, NotImplementedError):
        return await asyncio.to_thread(stdin.readline)
    try:
        return await future
    finally:
        loop.remove_reader(fd)


def show_tool_event(event: Any, out: TextIO | None = None) -> None:
    """One stderr line per call start and end, so stdout stays the answer alone."""
    out = out or sys.stderr
    if isinstance(event, ToolCallStarted):
        out.write(f"[tool] {visible_controls(event.summary or event.name)}\n")
    elif isinstance(event, ToolCallFinished):
        mark = {"ok": "done", "error": "error", "denied": "denied", "cancelled": "stopped"}
        out.write(f"[tool] {mark.get(event.status, event.status)}: {visible_controls(event.summary)}\n")
    out.flush()


async def prepare_tools(copilot: Any) -> None:
    """Start configured MCP servers and wait (bounded) so their tools join the first answer."""
    if not copilot.offers_tools or not copilot.mcp.statuses():
        return
    await copilot.start_mcp()
    await copilot.mcp.wait_ready(MCP_START_WAIT)
    for status in copilot.mcp.statuses():
        if status.state == "failed":
            print(f"backend-copilot: MCP server {status.name} {status.line}", file=sys.stderr)


def tool_calls_record(message: Any) -> list[dict[str, Any]]:
    return [call.model_dump(mode="json") for call in getattr(message, "tool_calls", [])]


def mcp_list(cli: dict[str, Any], *, as_json: bool) -> int:
    """Print the configured MCP servers, their status after trying to start them, their tools."""
    from agent.config import load_settings
    from agent.tools.mcp import McpManager

    settings, problems = load_settings(cli)
    for problem in problems:
        if problem.startswith("mcp"):
            print(f"problem: {problem}", file=sys.stderr)
    manager = McpManager(settings.mcp, root=Path.cwd())

    async def run() -> None:
        await manager.start()
        await manager.wait_ready(MCP_START_WAIT)
        await manager.aclose()

    statuses_before = manager.statuses()
    if not statuses_before:
        if as_json:
            print("[]")
        else:
            print(f"No MCP servers configured. Add [mcp.NAME] tables to {settings.config_path}, "
                  'e.g. type = "local", command = ["npx", "-y", "pkg"].')
        return 0
    seen: dict[str, Any] = {}
    manager.subscribe(lambda statuses: seen.update(
        {s.name: s for s in statuses if s.state in ("connected", "failed", "disabled")}))
    asyncio.run(run())
    statuses = [seen.get(s.name, s) for s in manager.statuses()]
    if as_json:
        print(json.dumps([s.model_dump(mode="json") for s in statuses], indent=2))
        return 0
    for status in statuses:
        print(f"{status.name}  ({status.type}: {safe_text(status.target)})  {safe_text(status.line)}")
        for tool in status.tools:
            trusted = getattr(settings.mcp.get(status.name), "trust", False)
            note = ("read-only" if trusted else "says read-only; asks first (not trusted)"
                    ) if tool.read_only else "asks first"
            description = safe_text(tool.description).split("\n")[0][:80]
            print(f"  {tool.name}  [{note}]  {description}")
    return 0


def ask_trust(copilot: Any, *, stdin: TextIO | None = None, stderr: TextIO | None = None) -> None:
    """Before `ask` answers with tools: the project's agent files that ask for bash or to act
    without asking are named, and a person at a terminal may trust their folder (default
    no). Without a terminal nothing is trusted; one line says what is withheld."""
    if not copilot.offers_tools:
        return
    requests = copilot.trust_requests()
    stdin = stdin or sys.stdin
    out = stderr or sys.stderr
    for request in requests:
        folder = safe_text(request.folder)
        if not stdin.isatty():
            out.write(f"backend-copilot: the agent files in {folder} are not trusted: no shell "
                      "commands, and every change asks (run in a terminal to trust the folder)\n")
            continue
        out.write(f"\nThe agent files in {folder} ask for more than reading and asking:\n")
        for line in request.lines():
            out.write(f"  {visible_controls(line)}\n")
        out.write("Until you trust this folder they run no shell commands and ask before every "
                  "change.\nTrust this folder's agent files from now on? [y/N]: ")
        out.flush()
        answer = stdin.readline()
        if answer.strip().lower() not in ("y", "yes"):
            continue
        try:
            copilot.trust_folder(request.folder)
        except OSError as exc:
            out.write(f"backend-copilot: cannot remember the trusted folder "
                      f"({exc.strerror or exc}); not trusted.\n")
