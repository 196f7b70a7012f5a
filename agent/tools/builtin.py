"""The built-in tools an agent file can grant: read, grep, glob, edit, write, bash.

Each one works only inside the project root (see root.py). Failures are ToolError lines the
model reads and can act on ("'x' not found; use glob to list files"), never exceptions that
end the answer. Blocking file work runs in a thread so the screen keeps painting.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import fnmatch
import os
import re
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from agent.atomic import write_atomic
from agent.tools.base import (
    MAX_OUTPUT_CHARS,
    PermissionRequest,
    ToolContext,
    ToolResult,
    ToolSpec,
    cut,
)
from agent.tools.files import capped_lines, open_regular, read_capped
from agent.tools.root import ToolError, glob_regex, name_matches
from agent.trust import command_environment

BINARY_SNIFF = 8192
MAX_READ_LINES = 2000
MAX_LINE_CHARS = 2000
MAX_GREP_MATCHES = 200
MAX_GREP_FILE_BYTES = 5_000_000
MAX_GLOB_FILES = 500
MAX_EDIT_BYTES = 5_000_000  # edit/write read the old file whole to show the diff
MAX_READ_SCAN_BYTES = 20_000_000  # read counts lines past its window up to this much
LINE_CAP_BYTES = MAX_LINE_CHARS * 4  # a line is read no further than this (UTF-8: 4 B/char)
GREP_SECONDS = 20.0  # the whole search, every file; a search past it stops and says so
GREP_LINE_SECONDS = 1.0  # one line: past this the pattern is backtracking without end
BASH_TIMEOUT = 60.0
MAX_BASH_TIMEOUT = 600.0


# -- helpers ---------------------------------------------------------------------------------


def _str(args: dict[str, Any], key: str, *, required: bool = True, default: str = "") -> str:
    value = args.get(key)
    if value is None:
        if required:
            raise ToolError(f"Missing required argument '{key}'.")
        return default
    if not isinstance(value, str):
        raise ToolError(f"Argument '{key}' must be a string.")
    return value


def _int(args: dict[str, Any], key: str, default: int | None) -> int | None:
    value = args.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ToolError(f"Argument '{key}' must be a whole number.")
    return int(value)


def _bool(args: dict[str, Any], key: str) -> bool:
    value = args.get(key, False)
    if not isinstance(value, bool):
        raise ToolError(f"Argument '{key}' must be true or false.")
    return value


def is_binary(data: bytes) -> bool:
    return b"\x00" in data[:BINARY_SNIFF]


def _read_text(path: Path, shown: str) -> str:
    """The whole file as text (edit, write): ToolError for folders, pipes, devices, missing,
    binary, non-UTF-8 or files over MAX_EDIT_BYTES."""
    try:
        data = read_capped(path, shown, MAX_EDIT_BYTES)
    except OSError as exc:
        raise ToolError(f"Cannot read '{shown}': {exc.strerror or exc}.") from None
    if is_binary(data):
        raise ToolError(f"'{shown}' is a binary file ({len(data)} bytes); not shown.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"'{shown}' is not UTF-8 text; not shown.") from None


def _lines(n: int) -> str:
    return f"{n} line" + ("" if n == 1 else "s")


def unified_diff(old: str, new: str, shown: str, *, new_file: bool = False) -> str:
    diff = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile="/dev/null" if new_file else f"a/{shown}",
        tofile=f"b/{shown}",
    )
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in diff)
    return text


def _diff_counts(diff: str) -> tuple[int, int]:
    plus = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    minus = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    return plus, minus


def _refuse_git(ctx: ToolContext, path: Path, shown: str) -> None:
    if ctx.root.in_git_dir(path):
        raise ToolError(f"'{shown}' is inside .git/; changing git's own files is refused.")


def _write_file(path: Path, text: str) -> None:
    """All or nothing: a full disk or a crash half way leaves the old file as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)


# -- read ------------------------------------------------------------------------------------


def _read_sync(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    raw = _str(args, "path")
    path = ctx.root.resolve(raw)
    shown = ctx.root.rel(path)
    offset = _int(args, "offset", 1) or 1
    limit = _int(args, "limit", MAX_READ_LINES) or MAX_READ_LINES
    if offset < 1 or limit < 1:
        raise ToolError("'offset' and 'limit' must be 1 or more.")
    limit = min(limit, MAX_READ_LINES)
    chosen, total, complete = _read_window(path, shown, offset, limit)
    if total and offset > total:
        raise ToolError(f"'{shown}' has {_lines(total)}; offset {offset} is past the end.")
    body = []
    for number, line in enumerate(chosen, start=offset):
        body.append(f"{number:>6}\t{line}")
    content = "\n".join(body) if body else "(empty file)"
    last = offset + len(chosen) - 1
    of = f"{total}" if complete else f"more than {total}"
    if chosen and (offset > 1 or last < total or not complete):
        content += f"\n[lines {offset}-{last} of {of}; use offset/limit for more]"
    content = cut(content, hint="read fewer lines with offset/limit")
    if chosen and (offset > 1 or last < total or not complete):
        summary = f"read {shown}, lines {offset}-{last} of {of}"
    else:
        summary = f"read {shown}, {_lines(total)}"
    return ToolResult(content=content, summary=summary)


def _read_window(path: Path, shown: str, offset: int, limit: int) -> tuple[list[str], int, bool]:
    """Lines offset..offset+limit-1 (each cut at MAX_LINE_CHARS), the line count, and whether
    that count is the whole file: read as a stream, so memory stays small for any size."""
    chosen: list[str] = []
    total = scanned = 0
    with open_regular(path, shown) as fh:
        try:
            head = fh.read(BINARY_SNIFF)
            if is_binary(head):
                size = os.fstat(fh.fileno()).st_size
                raise ToolError(f"'{shown}' is a binary file ({size} bytes); not shown.")
            fh.seek(0)
            for raw, dropped in capped_lines(fh, LINE_CAP_BYTES):
                total += 1
                scanned += len(raw) + dropped
                if offset <= total < offset + limit:
                    chosen.append(_line_text(raw, dropped, shown))
                elif total >= offset + limit and scanned > MAX_READ_SCAN_BYTES:
                    return chosen, total, False
        except OSError as exc:
            raise ToolError(f"Cannot read '{shown}': {exc.strerror or exc}.") from None
    return chosen, total, True


def _line_text(raw: bytes, dropped: int, shown: str) -> str:
    body = raw.rstrip(b"\n").rstrip(b"\r")
    try:
        line = body.decode("utf-8", errors="ignore" if dropped else "strict")
    except UnicodeDecodeError:
        raise ToolError(f"'{shown}' is not UTF-8 text; not shown.") from None
    if len(line) > MAX_LINE_CHARS or dropped:
        more = len(line) - MAX_LINE_CHARS + dropped
        line = line[:MAX_LINE_CHARS] + f" [line cut: about {more} more characters]"
    return line


async def _read(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_read_sync, args, ctx)


READ = ToolSpec(
    name="read",
    description=(
        "Read a text file in the project. Lines come numbered (number, tab, text). Use offset "
        "(first line, 1-based) and limit (line count) for long files."
    ),
    parameters={
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path relative to the project root"},
            "offset": {"type": "integer", "minimum": 1, "description": "First line to read (1-based)"},
            "limit": {"type": "integer", "minimum": 1, "description": f"Lines to read (max {MAX_READ_LINES})"},
        },
        "required": ["path"],
        "additionalProperties": False,
    },
    run=_read,
    describe=lambda a, c: f"read {a.get('path', '?')}",
)


# -- grep ------------------------------------------------------------------------------------


def _patterns(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, list) and all(isinstance(p, str) for p in value):
        return [p for p in value if p]
    raise ToolError("Argument 'include' must be a glob string like '*.py' or a list of them.")


def _grep_sync(args: dict[str, Any], ctx: ToolContext, stop: threading.Event | None = None,
               seconds: float | None = None) -> ToolResult:
    """Every search has a time limit (the `regex` engine can stop a runaway pattern such as
    `(a|aa)+$`), and `stop` (set when the answer is cancelled) ends the walk between lines."""
    import regex as regex_engine  # only when a search runs: not on the app's start-up path

    pattern = _str(args, "pattern")
    try:
        regex = regex_engine.compile(
            pattern, regex_engine.IGNORECASE if _bool(args, "ignore_case") else 0)
    except (regex_engine.error, ValueError, OverflowError) as exc:
        raise ToolError(f"Invalid regular expression {pattern!r}: {exc}.") from None
    seconds = GREP_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + seconds
    start = ctx.root.resolve(_str(args, "path", required=False, default=".") or ".")
    include = _patterns(args.get("include"))
    include_ignored = _bool(args, "include_ignored")
    if not start.exists():
        raise ToolError(f"'{ctx.root.rel(start)}' does not exist.")
    files = [start] if start.is_file() else ctx.root.walk(start, include_ignored=include_ignored)
    out: list[str] = []
    matched_files = 0
    total = 0
    for path in files:
        shown = ctx.root.rel(path)
        if include and not (name_matches(path.name, include)
                            or any(glob_regex(p).match(shown) for p in include)):
            continue
        try:
            data = read_capped(path, shown, MAX_GREP_FILE_BYTES)
        except (ToolError, OSError):
            continue  # too big, a pipe or device, unreadable: skipped
        if is_binary(data):
            continue
        text = data.decode("utf-8", errors="replace")
        hit = False
        for number, line in enumerate(text.splitlines(), start=1):
            left = deadline - time.monotonic()
            if (stop is not None and stop.is_set()) or left <= 0:
                raise ToolError(_grep_too_long(pattern, seconds, shown))
            try:  # short per line, so a stop is seen within GREP_LINE_SECONDS
                found = regex.search(line, timeout=min(left, GREP_LINE_SECONDS))
            except TimeoutError:
                if stop is not None and stop.is_set():
                    raise ToolError("The search was stopped.") from None
                raise ToolError(_grep_too_long(pattern, min(seconds, GREP_LINE_SECONDS),
                                               f"{shown}:{number}")) from None
            if found:
                hit = True
                total += 1
                if total <= MAX_GREP_MATCHES:
                    shown_line = line if len(line) <= 300 else line[:300] + " [cut]"
                    out.append(f"{shown}:{number}: {shown_line}")
        matched_files += hit
    if not out:
        where = ctx.root.rel(start)
        return ToolResult(content=f"No matches for {pattern!r} in {where}.",
                          summary=f"grep {pattern!r}: no matches")
    content = "\n".join(out)
    if total > MAX_GREP_MATCHES:
        content += (f"\n[{total - MAX_GREP_MATCHES} more matches not shown; narrow the pattern, "
                    "path or include]")
    summary = (f"grep {pattern!r}: {total} match{'es' if total != 1 else ''} in "
               f"{matched_files} file{'s' if matched_files != 1 else ''}")
    return ToolResult(content=cut(content, hint="narrow the pattern"), summary=summary)


def _grep_too_long(pattern: str, seconds: float, where: str) -> str:
    return (f"The search for {pattern!r} was stopped after {seconds:g} s (at {where}); the "
            "pattern may backtrack without end: use a simpler pattern, a path or include.")


async def _grep(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    stop = threading.Event()
    try:
        return await asyncio.to_thread(_grep_sync, args, ctx, stop)
    except asyncio.CancelledError:
        stop.set()  # the worker thread sees it at its next line and ends
        raise


GREP = ToolSpec(
    name="grep",
    description=(
        "Search file contents in the project with a regular expression (Python syntax). "
        "Returns path:line: text for each matching line. Skips .git/, .gitignored and binary "
        "files unless include_ignored is true."
    ),
    parameters={
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "description": "Regular expression to search for"},
            "path": {"type": "string", "description": "Folder or file to search (default: the project root)"},
            "include": {"type": "string", "description": "File glob(s) to search, e.g. '*.py' or '*.{ts,tsx}'"},
            "ignore_case": {"type": "boolean"},
            "include_ignored": {"type": "boolean", "description": "Also search .gitignored files"},
        },
        "required": ["pattern"],
        "additionalProperties": False,
    },
    run=_grep,
    describe=lambda a, c: f"grep {a.get('pattern', '?')!r}" + (
        f" in {a['path']}" if isinstance(a.get("path"), str) and a["path"] not in ("", ".") else ""),
)


# -- glob ------------------------------------------------------------------------------------


def _glob_sync(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    pattern = _str(args, "pattern").strip()
    if not pattern:
        raise ToolError("Argument 'pattern' must not be empty, e.g. '**/*.py'.")
    if pattern.startswith("/") or ".." in Path(pattern).parts:
        raise ToolError("The pattern must be relative to the search folder (no '/' start, no '..').")
    start = ctx.root.resolve(_str(args, "path", required=False, default=".") or ".")
    if not start.is_dir():
        raise ToolError(f"'{ctx.root.rel(start)}' is not a folder.")
    regex = glob_regex(pattern)
    found: list[str] = []
    for path in ctx.root.walk(start, include_ignored=_bool(args, "include_ignored")):
        rel_to_start = path.relative_to(start).as_posix()
        if regex.match(rel_to_start):
            found.append(ctx.root.rel(path))
    if not found:
        return ToolResult(content=f"No files match {pattern!r}.", summary=f"glob {pattern!r}: no files")
    shown = found[:MAX_GLOB_FILES]
    content = "\n".join(shown)
    if len(found) > MAX_GLOB_FILES:
        content += f"\n[{len(found) - MAX_GLOB_FILES} more files not shown; use a narrower pattern]"
    n = len(found)
    return ToolResult(content=cut(content), summary=f"glob {pattern!r}: {n} file{'s' if n != 1 else ''}")


async def _glob(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_glob_sync, args, ctx)


GLOB = ToolSpec(
    name="glob",
    description=(
        "List project files matching a glob such as '**/*.py', 'src/**/*.ts' or '*.md' (a "
        "pattern without '/' matches file names at any depth). Skips .git/ and .gitignored "
        "files unless include_ignored is true."
    ),
    parameters={
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "description": "Glob pattern"},
            "path": {"type": "string", "description": "Folder to search (default: the project root)"},
            "include_ignored": {"type": "boolean", "description": "Also list .gitignored files"},
        },
        "required": ["pattern"],
        "additionalProperties": False,
    },
    run=_glob,
    describe=lambda a, c: f"glob {a.get('pattern', '?')!r}",
)


# -- edit ------------------------------------------------------------------------------------


def _planned_edit(args: dict[str, Any], ctx: ToolContext) -> tuple[Path, str, str, str]:
    """(path, shown, old text, new text) — checks everything before anything is asked."""
    path = ctx.root.resolve(_str(args, "path"))
    shown = ctx.root.rel(path)
    _refuse_git(ctx, path, shown)
    old_string = _str(args, "old_string")
    new_string = _str(args, "new_string")
    if not old_string:
        raise ToolError("'old_string' must not be empty; use write to create a file.")
    if old_string == new_string:
        raise ToolError("'old_string' and 'new_string' are the same; nothing to change.")
    text = _read_text(path, shown)
    count = text.count(old_string)
    if count == 0:
        raise ToolError(f"'old_string' was not found in '{shown}'; read the file and copy the "
                        "text exactly (whitespace included).")
    if count > 1:
        raise ToolError(f"'old_string' occurs {count} times in '{shown}'; include more "
                        "surrounding lines so it matches exactly once.")
    return path, shown, text, text.replace(old_string, new_string, 1)


def _edit_preview(args: dict[str, Any], ctx: ToolContext) -> PermissionRequest:
    _, shown, old, new = _planned_edit(args, ctx)
    return PermissionRequest(tool="edit", arguments=args, title=f"edit {shown}",
                             diff=unified_diff(old, new, shown), path=shown)


def _edit_sync(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    path, shown, old, new = _planned_edit(args, ctx)
    try:
        _write_file(path, new)
    except OSError as exc:
        raise ToolError(f"Cannot write '{shown}': {exc.strerror or exc}.") from None
    plus, minus = _diff_counts(unified_diff(old, new, shown))
    return ToolResult(content=f"Edited {shown}: replaced 1 occurrence (+{plus} -{minus} lines).",
                      summary=f"edit {shown}: +{plus} -{minus}")


async def _edit(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_edit_sync, args, ctx)


EDIT = ToolSpec(
    name="edit",
    description=(
        "Replace one exact, unique piece of text in a project file. old_string must occur "
        "exactly once (include surrounding lines to make it unique); read the file first."
    ),
    parameters={
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path relative to the project root"},
            "old_string": {"type": "string", "description": "The exact text to replace"},
            "new_string": {"type": "string", "description": "The text to put in its place"},
        },
        "required": ["path", "old_string", "new_string"],
        "additionalProperties": False,
    },
    run=_edit,
    describe=lambda a, c: f"edit {a.get('path', '?')}",
    needs_approval=True,
    preview=_edit_preview,
)


# -- write -----------------------------------------------------------------------------------


def _planned_write(args: dict[str, Any], ctx: ToolContext) -> tuple[Path, str, str | None, str]:
    path = ctx.root.resolve(_str(args, "path"))
    shown = ctx.root.rel(path)
    _refuse_git(ctx, path, shown)
    content = _str(args, "content")
    if path == ctx.root.path or path.is_dir():
        raise ToolError(f"'{shown}' is a folder; give a file path.")
    old: str | None = None
    if path.exists():
        old = _read_text(path, shown)
    return path, shown, old, content


def _write_preview(args: dict[str, Any], ctx: ToolContext) -> PermissionRequest:
    _, shown, old, new = _planned_write(args, ctx)
    verb = "create" if old is None else "overwrite"
    return PermissionRequest(tool="write", arguments=args, title=f"{verb} {shown}",
                             diff=unified_diff(old or "", new, shown, new_file=old is None),
                             path=shown)


def _write_sync(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    path, shown, old, new = _planned_write(args, ctx)
    try:
        _write_file(path, new)
    except OSError as exc:
        raise ToolError(f"Cannot write '{shown}': {exc.strerror or exc}.") from None
    n = len(new.splitlines())
    what = "new file" if old is None else "overwritten"
    return ToolResult(content=f"Wrote {shown} ({_lines(n)}, {what}).",
                      summary=f"wrote {shown}, {_lines(n)} ({what})")


async def _write(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_write_sync, args, ctx)


WRITE = ToolSpec(
    name="write",
    description="Create a project file, or overwrite one with the whole new content.",
    parameters={
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path relative to the project root"},
            "content": {"type": "string", "description": "The complete file content"},
        },
        "required": ["path", "content"],
        "additionalProperties": False,
    },
    run=_write,
    describe=lambda a, c: f"write {a.get('path', '?')}",
    needs_approval=True,
    preview=_write_preview,
)


# -- bash ------------------------------------------------------------------------------------


def _bash_preview(args: dict[str, Any], ctx: ToolContext) -> PermissionRequest:
    command = _str(args, "command")
    return PermissionRequest(tool="bash", arguments=args, title=f"run: {command}")


async def _bash(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    command = _str(args, "command")
    timeout = args.get("timeout", BASH_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ToolError("Argument 'timeout' must be a number of seconds.")
    timeout = min(float(timeout), MAX_BASH_TIMEOUT)
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
    parameters={
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The command line"},
            "timeout": {"type": "number", "description": f"Seconds before it is stopped (default {BASH_TIMEOUT:g})"},
        },
        "required": ["command"],
        "additionalProperties": False,
    },
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
        check_command(_str(args, "command"), patterns)
        return _bash_preview(args, ctx)

    async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        check_command(_str(args, "command"), patterns)
        return await _bash(args, ctx)

    note = f" Only these commands are allowed: {', '.join(patterns)}."
    return replace(BASH, run=run, preview=preview, description=BASH.description + note)


BUILTIN: tuple[ToolSpec, ...] = (READ, GREP, GLOB, EDIT, WRITE, BASH)
