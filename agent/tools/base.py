"""What a tool is, what it returns, and what it asks before it acts.

A tool is data (name, description, its arguments' model or JSON schema) plus two functions:
`describe` gives the one line shown while it runs ("read api/routes.py"), `run` does the work.
Tools that change things (`needs_approval`) also give a `preview` — the unified diff a person
approves or denies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ConfigDict, Field

from agent.lazy_model import LazyModel
from agent.tools.arguments import ToolArgs, args_schema
from agent.tools.root import ProjectRoot

Decision = Literal["once", "session", "deny"]


class PermissionRequest(LazyModel):
    """What the approver shows: the tool, its arguments, a one-line title, the diff."""

    model_config = ConfigDict(frozen=True)
    tool: str  # the name the model called: "edit", "context7_resolve-library-id"
    arguments: dict[str, Any] = Field(default_factory=dict)
    title: str = ""  # "edit api/routes.py"
    diff: str = ""  # unified diff for edit/write ("" for others)
    path: str = ""  # the file it changes, relative to the root ("" when none)
    server: str = ""  # the MCP server, for MCP tools


# The TUI's modal and the CLI's stdin prompt both fit this: ask, get one of three answers.
Approver = Callable[[PermissionRequest], Awaitable[Decision]]


class ToolResult(LazyModel):
    """A finished call: `content` goes back to the model, `summary` is the one-line view."""

    model_config = ConfigDict(frozen=True)
    ok: bool = True
    content: str
    summary: str


@dataclass(frozen=True)
class ToolContext:
    root: ProjectRoot
    secrets: tuple[str, ...] = ()  # values a command's environment must not carry (the key)


RunFn = Callable[[dict[str, Any], ToolContext], Awaitable[ToolResult]]
DescribeFn = Callable[[dict[str, Any], ToolContext], str]
PreviewFn = Callable[[dict[str, Any], ToolContext], PermissionRequest]


@dataclass(frozen=True)
class ToolSpec:
    """A tool's arguments are either a `ToolArgs` model (the built-ins: the schema is generated
    from it at the first `definition()`) or a JSON schema given as it is (an MCP server's)."""

    name: str
    description: str
    run: RunFn
    describe: DescribeFn
    parameters: dict[str, Any] | None = None  # JSON schema of the arguments object, as given
    arguments: type[ToolArgs] | None = None  # the model the schema is generated from
    needs_approval: bool = False
    preview: PreviewFn | None = None
    server: str = ""  # set for MCP tools
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.parameters is None) == (self.arguments is None):
            raise ValueError(f"tool {self.name!r}: give either parameters or arguments")

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments object the model is sent."""
        if self.arguments is not None:
            return args_schema(self.arguments)
        assert self.parameters is not None  # __post_init__: one of the two is set
        return self.parameters

    def definition(self) -> dict[str, Any]:
        """The entry for the openai `tools=[...]` parameter."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.schema(),
            },
        }


MAX_OUTPUT_CHARS = 30_000


def cut(text: str, limit: int = MAX_OUTPUT_CHARS, *, hint: str = "") -> str:
    """Text no longer than `limit`, with a note saying how much was left out and what to do."""
    if len(text) <= limit:
        return text
    left = len(text) - limit
    note = f"\n[output cut: {left} more characters not shown"
    return text[:limit] + note + (f"; {hint}" if hint else "") + "]"


def n_lines(n: int) -> str:
    return f"{n} line" + ("" if n == 1 else "s")
