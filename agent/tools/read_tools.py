"""The read-only built-in tools: read, grep and glob.

Why a module: they share the file-size, line and time limits below and never change a file;
each runs its blocking file work in a thread so the screen keeps painting.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictStr, WithJsonSchema

from agent.tools.arguments import ToolArgs, WholeNumber, check_args, says
from agent.tools.base import ToolContext, ToolResult, ToolSpec, cut, n_lines
from agent.tools.files import BINARY_SNIFF, capped_lines, is_binary, open_regular, read_capped
from agent.tools.root import ToolError, glob_regex, name_matches

MAX_READ_LINES = 2000
MAX_LINE_CHARS = 2000
MAX_GREP_MATCHES = 200
MAX_GREP_FILE_BYTES = 5_000_000
MAX_GLOB_FILES = 500
MAX_READ_SCAN_BYTES = 20_000_000  # read counts lines past its window up to this much
LINE_CAP_BYTES = MAX_LINE_CHARS * 4  # a line is read no further than this (UTF-8: 4 B/char)
GREP_SECONDS = 20.0  # the whole search, every file; a search past it stops and says so
GREP_LINE_SECONDS = 1.0  # one line: past this the pattern is backtracking without end


# -- read ------------------------------------------------------------------------------------


class ReadArgs(ToolArgs):
    path: StrictStr = Field(description="File path relative to the project root")
    # The schema asks for 1 or more; 0 still reads as the default, as it always has, and a
    # number below 0 gets _read_sync's own line.
    offset: WholeNumber = Field(1, json_schema_extra={"minimum": 1},
                                description="First line to read (1-based)")
    limit: WholeNumber = Field(MAX_READ_LINES, json_schema_extra={"minimum": 1},
                               description=f"Lines to read (max {MAX_READ_LINES})")


def _read_sync(raw: dict[str, Any], ctx: ToolContext) -> ToolResult:
    args = check_args(ReadArgs, raw)
    path = ctx.root.resolve(args.path)
    shown = ctx.root.rel(path)
    offset = args.offset or 1
    limit = args.limit or MAX_READ_LINES
    if offset < 1 or limit < 1:
        raise ToolError("'offset' and 'limit' must be 1 or more.")
    limit = min(limit, MAX_READ_LINES)
    chosen, total, complete = _read_window(path, shown, offset, limit)
    if total and offset > total:
        raise ToolError(f"'{shown}' has {n_lines(total)}; offset {offset} is past the end.")
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
        summary = f"read {shown}, {n_lines(total)}"
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
    arguments=ReadArgs,
    run=_read,
    describe=lambda a, c: f"read {a.get('path', '?')}",
)


# -- grep ------------------------------------------------------------------------------------


def _split_globs(value: Any) -> Any:
    if isinstance(value, str):  # "*.py, *.md": a list in one string
        return [p.strip() for p in value.split(",") if p.strip()]
    return value


Globs = Annotated[
    list[StrictStr],
    BeforeValidator(_split_globs),
    AfterValidator(lambda patterns: [p for p in patterns if p]),
    WithJsonSchema({"type": "string"}),  # the model is offered the one-string form
    says("Argument '{name}' must be a glob string like '*.py' or a list of them."),
]


class GrepArgs(ToolArgs):
    pattern: StrictStr = Field(description="Regular expression to search for")
    path: StrictStr = Field(".", description="Folder or file to search (default: the project root)")
    include: Globs = Field(default_factory=list,
                           description="File glob(s) to search, e.g. '*.py' or '*.{ts,tsx}'")
    ignore_case: StrictBool = False
    include_ignored: StrictBool = Field(False, description="Also search .gitignored files")


def _grep_sync(raw: dict[str, Any], ctx: ToolContext, stop: threading.Event | None = None,
               seconds: float | None = None) -> ToolResult:
    """Every search has a time limit (the `regex` engine can stop a runaway pattern such as
    `(a|aa)+$`), and `stop` (set when the answer is cancelled) ends the walk between lines."""
    import regex as regex_engine  # only when a search runs: not on the app's start-up path

    args = check_args(GrepArgs, raw)
    pattern = args.pattern
    try:
        regex = regex_engine.compile(pattern, regex_engine.IGNORECASE if args.ignore_case else 0)
    except (regex_engine.error, ValueError, OverflowError) as exc:
        raise ToolError(f"Invalid regular expression {pattern!r}: {exc}.") from None
    seconds = GREP_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + seconds
    start = ctx.root.resolve(args.path or ".")
    include = args.include
    include_ignored = args.include_ignored
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
    arguments=GrepArgs,
    run=_grep,
    describe=lambda a, c: f"grep {a.get('pattern', '?')!r}" + (
        f" in {a['path']}" if isinstance(a.get("path"), str) and a["path"] not in ("", ".") else ""),
)


# -- glob ------------------------------------------------------------------------------------


class GlobArgs(ToolArgs):
    pattern: StrictStr = Field(description="Glob pattern")
    path: StrictStr = Field(".", description="Folder to search (default: the project root)")
    include_ignored: StrictBool = Field(False, description="Also list .gitignored files")


def _glob_sync(raw: dict[str, Any], ctx: ToolContext) -> ToolResult:
    args = check_args(GlobArgs, raw)
    pattern = args.pattern.strip()
    if not pattern:
        raise ToolError("Argument 'pattern' must not be empty, e.g. '**/*.py'.")
    if pattern.startswith("/") or ".." in Path(pattern).parts:
        raise ToolError("The pattern must be relative to the search folder (no '/' start, no '..').")
    start = ctx.root.resolve(args.path or ".")
    if not start.is_dir():
        raise ToolError(f"'{ctx.root.rel(start)}' is not a folder.")
    regex = glob_regex(pattern)
    found: list[str] = []
    for path in ctx.root.walk(start, include_ignored=args.include_ignored):
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
    arguments=GlobArgs,
    run=_glob,
    describe=lambda a, c: f"glob {a.get('pattern', '?')!r}",
)
