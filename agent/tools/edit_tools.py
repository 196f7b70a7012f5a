"""The built-in tools that change files: edit and write, with the diff their approval shows.

Why a module: both check everything before anything is asked (the preview), refuse git's own
files, read the old text whole (up to MAX_EDIT_BYTES) for the diff, and write all or nothing.
"""

from __future__ import annotations

import asyncio
import difflib
from pathlib import Path
from typing import Any

from pydantic import Field, StrictStr

from agent.atomic import write_atomic
from agent.tools.arguments import ToolArgs, check_args
from agent.tools.base import PermissionRequest, ToolContext, ToolResult, ToolSpec, n_lines
from agent.tools.files import is_binary, read_capped
from agent.tools.root import ToolError

MAX_EDIT_BYTES = 5_000_000  # edit/write read the old file whole to show the diff


def read_text(path: Path, shown: str) -> str:
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


def diff_counts(diff: str) -> tuple[int, int]:
    plus = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    minus = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    return plus, minus


def refuse_git(ctx: ToolContext, path: Path, shown: str) -> None:
    if ctx.root.in_git_dir(path):
        raise ToolError(f"'{shown}' is inside .git/; changing git's own files is refused.")


def write_file(path: Path, text: str) -> None:
    """All or nothing: a full disk or a crash half way leaves the old file as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)



# -- edit ------------------------------------------------------------------------------------


class EditArgs(ToolArgs):
    path: StrictStr = Field(description="File path relative to the project root")
    old_string: StrictStr = Field(description="The exact text to replace")
    new_string: StrictStr = Field(description="The text to put in its place")


def _planned_edit(raw: dict[str, Any], ctx: ToolContext) -> tuple[Path, str, str, str]:
    """(path, shown, old text, new text) — checks everything before anything is asked."""
    args = check_args(EditArgs, raw)
    path = ctx.root.resolve(args.path)
    shown = ctx.root.rel(path)
    refuse_git(ctx, path, shown)
    old_string, new_string = args.old_string, args.new_string
    if not old_string:
        raise ToolError("'old_string' must not be empty; use write to create a file.")
    if old_string == new_string:
        raise ToolError("'old_string' and 'new_string' are the same; nothing to change.")
    text = read_text(path, shown)
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
        write_file(path, new)
    except OSError as exc:
        raise ToolError(f"Cannot write '{shown}': {exc.strerror or exc}.") from None
    plus, minus = diff_counts(unified_diff(old, new, shown))
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
    arguments=EditArgs,
    run=_edit,
    describe=lambda a, c: f"edit {a.get('path', '?')}",
    needs_approval=True,
    preview=_edit_preview,
)


# -- write -----------------------------------------------------------------------------------


class WriteArgs(ToolArgs):
    path: StrictStr = Field(description="File path relative to the project root")
    content: StrictStr = Field(description="The complete file content")


def _planned_write(raw: dict[str, Any], ctx: ToolContext) -> tuple[Path, str, str | None, str]:
    args = check_args(WriteArgs, raw)
    path = ctx.root.resolve(args.path)
    shown = ctx.root.rel(path)
    refuse_git(ctx, path, shown)
    content = args.content
    if path == ctx.root.path or path.is_dir():
        raise ToolError(f"'{shown}' is a folder; give a file path.")
    old: str | None = None
    if path.exists():
        old = read_text(path, shown)
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
        write_file(path, new)
    except OSError as exc:
        raise ToolError(f"Cannot write '{shown}': {exc.strerror or exc}.") from None
    n = len(new.splitlines())
    what = "new file" if old is None else "overwritten"
    return ToolResult(content=f"Wrote {shown} ({n_lines(n)}, {what}).",
                      summary=f"wrote {shown}, {n_lines(n)} ({what})")


async def _write(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_write_sync, args, ctx)


WRITE = ToolSpec(
    name="write",
    description="Create a project file, or overwrite one with the whole new content.",
    arguments=WriteArgs,
    run=_write,
    describe=lambda a, c: f"write {a.get('path', '?')}",
    needs_approval=True,
    preview=_write_preview,
)
