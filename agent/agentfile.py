"""Agent markdown (YAML frontmatter + body) -> AgentFile.

Works for OpenCode agent files and Claude Code subagent files alike; nothing about any one
persona's content lives here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.mermaid import Graph


class AgentFileError(Exception):
    """One line a person can act on: which file, which line, what was expected."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class Table(BaseModel):
    model_config = ConfigDict(frozen=True)
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()
    line: int = 0

    def column(self, name: str) -> int | None:
        """Index of a header cell, case-insensitive; None when absent."""
        lowered = [h.lower() for h in self.header]
        return lowered.index(name.lower()) if name.lower() in lowered else None


class Section(BaseModel):
    model_config = ConfigDict(frozen=True)
    title: str  # plain text, markup stripped
    level: int  # 1..6
    line: int
    text: str = ""  # the section's own markdown, up to its first subsection
    tables: tuple[Table, ...] = ()
    flowcharts: tuple[Graph, ...] = ()
    children: tuple[Section, ...] = ()

    def walk(self) -> list[Section]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


class Frontmatter(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str | None = None
    description: str | None = None
    model: str | None = None
    mode: str | None = None
    temperature: float | None = None
    steps: int | None = None
    tools: dict[str, bool] = Field(default_factory=dict)  # comma strings become {name: True}
    permission: dict[str, Any] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)  # unknown keys, kept


class AgentFile(BaseModel):
    model_config = ConfigDict(frozen=True)
    path: str
    frontmatter: Frontmatter
    title: str | None = None  # first level-1 heading
    body: str = ""  # markdown after the frontmatter
    sections: tuple[Section, ...] = ()  # top-level sections, nested
    intro_text: str = ""  # body text before the first heading (with title removed)

    def all_sections(self) -> list[Section]:
        out: list[Section] = []
        for s in self.sections:
            out.extend(s.walk())
        return out

    def find_section(self, title_contains: str) -> Section | None:
        needle = title_contains.lower()
        return next((s for s in self.all_sections() if needle in s.title.lower()), None)

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.all_sections() for t in s.tables]

    @property
    def flowcharts(self) -> list[Graph]:
        return [g for s in self.all_sections() for g in s.flowcharts]


def parse_agent_text(text: str, *, path: str = "<text>") -> AgentFile:
    raise NotImplementedError


def load_agent_file(path: str | Path) -> AgentFile:
    """Read and parse; unreadable, non-UTF-8 or malformed files raise AgentFileError."""
    raise NotImplementedError
