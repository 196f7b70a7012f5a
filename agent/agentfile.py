"""Agent markdown (YAML frontmatter + body) -> AgentFile.

Works for OpenCode agent files and Claude Code subagent files alike; nothing about any one
persona's content lives here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from agent.mermaid import Graph, parse_flowchart


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


# --- parser ---------------------------------------------------------------------------------
# One forward pass over the lines. Inline patterns have bounded repeats, so no line can make a
# regex backtrack for long; sections nest through an explicit stack, never recursion.

MAX_BYTES = 1024 * 1024  # the largest real agent files are tens of kilobytes

# Each body stops at the next marker character, so a scan from one opening never runs past
# the next opening: total work stays linear however the markers are arranged.
_BOLD = re.compile(
    r"\*\*(?=[^\s*])([^*\n]{1,2000})(?<=\S)\*\*|__(?=[^\s_])([^_\n]{1,2000})(?<=\S)__"
)
_EM = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]{1,2000})(?<=\S)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]{1,2000})`")
_LINK = re.compile(r"!?\[([^\[\]\n]{0,2000})\]\([^()\n]{0,2000}\)")
_KNOWN_KEYS = frozenset(Frontmatter.model_fields) - {"extra"}


def plain_text(markdown: str) -> str:
    """Inline markdown -> plain text: bold, emphasis, code spans and links lose their markup."""
    text = _CODE.sub(r"\1", markdown)
    text = _LINK.sub(r"\1", text)
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    text = _EM.sub(r"\1", text)
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)  # bold that held emphasis
    return text.strip()


def _split_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _fence_open(line: str) -> tuple[str, int, str] | None:
    """(fence char, fence length, info word) when the line opens a code fence."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or stripped[:3] not in ("```", "~~~"):
        return None
    char = stripped[0]
    length = len(stripped) - len(stripped.lstrip(char))
    info = stripped[length:].strip()
    if char == "`" and "`" in info:
        return None
    return char, length, (info.split()[0].lower() if info else "")


def _fence_closes(line: str, char: str, length: int) -> bool:
    stripped = line.strip()
    return (
        len(line) - len(line.lstrip(" ")) <= 3
        and len(stripped) >= length
        and stripped == char * len(stripped)
    )


def _heading(line: str) -> tuple[int, str] | None:
    """(level, plain title) for an ATX heading line."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or not stripped.startswith("#"):
        return None
    level = len(stripped) - len(stripped.lstrip("#"))
    rest = stripped[level:]
    if level > 6 or (rest and rest[0] not in " \t"):
        return None
    title = rest.strip()
    closing = title.rstrip("#")
    if closing != title and (not closing or closing[-1] in " \t"):
        title = closing.strip()
    return level, plain_text(title)


def _cells(line: str) -> list[str]:
    """Split a table row on unescaped pipes, dropping the outer ones."""
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    cells: list[str] = []
    current: list[str] = []
    i, n = 0, len(row)
    while i < n:
        ch = row[i]
        if ch == "\\" and i + 1 < n and row[i + 1] == "|":
            current.append("|")
            i += 2
            continue
        if ch == "|":
            cells.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    cells.append("".join(current))
    return [c.strip() for c in cells]


def _is_separator(line: str) -> bool:
    if "-" not in line:
        return False
    for cell in _cells(line):
        core = cell.strip(":")
        if not core or core != "-" * len(core) or len(cell) - len(core) > 2:
            return False
    return True


class _Draft:
    """A section being read; frozen into Section once all its lines are in."""

    def __init__(self, title: str, level: int, line: int) -> None:
        self.title, self.level, self.line = title, level, line
        self.text: list[str] = []
        self.tables: list[Table] = []
        self.flowcharts: list[Graph] = []
        self.children: list[_Draft] = []
        self.in_text = True  # false once the first subsection starts


def _freeze(roots: list[_Draft]) -> tuple[Section, ...]:
    """Post-order, with an explicit stack, so depth never meets the recursion limit."""
    done: dict[int, Section] = {}
    stack: list[tuple[_Draft, bool]] = [(d, False) for d in reversed(roots)]
    while stack:
        draft, expanded = stack.pop()
        if not expanded:
            stack.append((draft, True))
            stack.extend((c, False) for c in reversed(draft.children))
            continue
        done[id(draft)] = Section(
            title=draft.title,
            level=draft.level,
            line=draft.line,
            text="\n".join(draft.text).strip("\n"),
            tables=tuple(draft.tables),
            flowcharts=tuple(draft.flowcharts),
            children=tuple(done[id(c)] for c in draft.children),
        )
    return tuple(done[id(d)] for d in roots)


def _table(lines: list[str], start: int, first_line: int) -> tuple[Table, int]:
    """Read the table whose header is lines[start]; return it and the index after it."""
    header = tuple(plain_text(c) for c in _cells(lines[start]))
    width = len(header)
    rows: list[tuple[str, ...]] = []
    i = start + 2
    while i < len(lines) and lines[i].strip() and "|" in lines[i]:
        if _fence_open(lines[i]) or _heading(lines[i]):
            break
        cells = [plain_text(c) for c in _cells(lines[i])][:width]
        cells += [""] * (width - len(cells))
        rows.append(tuple(cells))
        i += 1
    return Table(header=header, rows=tuple(rows), line=first_line + start), i


def _frontmatter(lines: list[str], path: str) -> tuple[Frontmatter, int]:
    """Parse a leading `---` block; return it and the index of the first body line."""
    if not lines or lines[0].strip() != "---":
        return Frontmatter(), 0
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise AgentFileError(path, 1, "frontmatter is never closed; expected a '---' line after it")
    block = "\n".join(lines[1:end])
    try:
        data = yaml.load(block, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except _AliasRefused as exc:
        raise AgentFileError(
            path, exc.line + 2,
            "frontmatter uses a YAML alias (*name); agent files may not use anchors or aliases",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise AgentFileError(
            path, line, f"frontmatter is not valid YAML ({problem}); expected 'key: value' lines"
        ) from None
    except (RecursionError, ValueError, OverflowError):
        raise AgentFileError(
            path, 1, "frontmatter is nested too deeply or malformed; expected 'key: value' lines"
        ) from None
    if data is None:
        return Frontmatter(), end + 1
    if not isinstance(data, dict):
        raise AgentFileError(path, 2, "frontmatter must be 'key: value' lines, not a list or text")
    return _frontmatter_model(data, lines[1:end], path), end + 1


class _AliasRefused(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that stops at the first alias, before anything is expanded.

    A few hundred bytes of nested aliases ("billion laughs") expand to gigabytes once walked;
    no agent file needs them, so refusing them bounds the work by the text's size.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _AliasRefused(self.peek_event().start_mark.line)
        return super().compose_node(parent, index)


def _key_line(key: str, block: list[str]) -> int:
    prefix = f"{key}:"
    return next((i + 2 for i, ln in enumerate(block) if ln.startswith(prefix)), 1)


def _tools(value: Any, line: int, path: str) -> dict[str, bool]:
    """OpenCode `{tool: bool}` map, or Claude Code's "Read, Grep" string / list."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list):
        names = [str(v).strip().lower() for v in value if v is not None]
        return {name: True for name in names if name}
    if isinstance(value, dict):
        tools: dict[str, bool] = {}
        for name, granted in value.items():
            if not isinstance(granted, bool):
                raise AgentFileError(path, line, f"tools.{name} must be true or false")
            tools[str(name)] = granted
        return tools
    raise AgentFileError(path, line, "tools must be a map of tool: true/false or a comma list")


def _frontmatter_model(data: dict[Any, Any], block: list[str], path: str) -> Frontmatter:
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key)
        line = _key_line(key, block)
        if key not in _KNOWN_KEYS:
            extra[key] = value
        elif key == "tools":
            fields["tools"] = _tools(value, line, path)
        elif key == "permission":
            if value is not None and not isinstance(value, dict):
                raise AgentFileError(
                    path, line, "permission must be a map of tool: allow, ask or deny"
                )
            fields["permission"] = {str(k): v for k, v in (value or {}).items()}
        elif key == "temperature":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise AgentFileError(path, line, "temperature must be a number such as 0.2")
            fields["temperature"] = value
        elif key == "steps":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise AgentFileError(path, line, "steps must be a whole number")
            fields["steps"] = value
        elif value is not None:
            if isinstance(value, dict | list):
                raise AgentFileError(path, line, f"{key} must be text")
            fields[key] = str(value)
    return Frontmatter(**fields, extra=extra)


def parse_agent_text(text: str, *, path: str = "<text>") -> AgentFile:
    """Frontmatter + markdown -> AgentFile. Raises AgentFileError naming path and line."""
    if len(text) > MAX_BYTES:
        raise AgentFileError(path, None, "too large; agent files must be under 1 MB")
    text = text.removeprefix("\ufeff")
    lines = _split_lines(text)
    frontmatter, start = _frontmatter(lines, path)
    body_lines = lines[start:]
    first = start + 1  # file line number of body_lines[0]

    roots: list[_Draft] = []
    stack: list[_Draft] = []
    intro: list[str] = []
    title: str | None = None
    i = 0
    while i < len(body_lines):
        line = body_lines[i]
        current = stack[-1] if stack else None
        fence = _fence_open(line)
        if fence is not None:
            char, length, info = fence
            end = next(
                (
                    j
                    for j in range(i + 1, len(body_lines))
                    if _fence_closes(body_lines[j], char, length)
                ),
                None,
            )
            if end is None:
                raise AgentFileError(
                    path,
                    first + i,
                    f"code fence is never closed; expected a closing {char * length} line",
                )
            if info == "mermaid" and current is not None:
                graph = _maybe_flowchart(body_lines[i + 1 : end], path, first + i)
                if graph is not None:
                    current.flowcharts.append(graph)
            _add_text(current, intro, body_lines[i : end + 1])
            i = end + 1
            continue
        heading = _heading(line)
        if heading is not None:
            level, heading_title = heading
            if title is None and level == 1:
                title = heading_title
            draft = _Draft(heading_title, level, first + i)
            while stack and stack[-1].level >= level:
                stack.pop()
            if stack:
                stack[-1].children.append(draft)
                stack[-1].in_text = False
            else:
                roots.append(draft)
            stack.append(draft)
            i += 1
            continue
        if "|" in line and i + 1 < len(body_lines) and _is_separator(body_lines[i + 1]):
            table, end = _table(body_lines, i, first)
            if current is not None:
                current.tables.append(table)
            _add_text(current, intro, body_lines[i:end])
            i = end
            continue
        _add_text(current, intro, [line])
        i += 1

    return AgentFile(
        path=path,
        frontmatter=frontmatter,
        title=title,
        body="\n".join(body_lines).strip("\n"),
        sections=_freeze(roots),
        intro_text="\n".join(intro).strip("\n"),
    )


def _add_text(section: _Draft | None, intro: list[str], lines: list[str]) -> None:
    if section is None:
        intro.extend(lines)
    elif section.in_text:
        section.text.extend(lines)


def _maybe_flowchart(lines: list[str], path: str, fence_line: int) -> Graph | None:
    """Parse a mermaid block when it is a flowchart; other diagram types are skipped."""
    first_word = next(
        (
            ln.split(None, 1)[0].lower()
            for ln in lines
            if ln.strip() and not ln.strip().startswith("%%")
        ),
        "",
    )
    if first_word.rstrip(";") not in ("graph", "flowchart"):
        return None
    graph = parse_flowchart("\n".join(lines), path=path, first_line=fence_line + 1)
    return graph.model_copy(update={"line": fence_line})


def load_agent_file(path: str | Path) -> AgentFile:
    """Read and parse; unreadable, non-UTF-8 or malformed files raise AgentFileError."""
    file = Path(path)
    try:
        if file.is_dir():
            raise AgentFileError(file, None, "is a directory; expected an agent .md file")
        size = file.stat().st_size
        if size > MAX_BYTES:
            raise AgentFileError(
                file, None, f"too large ({size / 1_048_576:.1f} MB); agent files must be under 1 MB"
            )
        data = file.read_bytes()
    except FileNotFoundError:
        raise AgentFileError(file, None, "not found; check the path") from None
    except PermissionError:
        raise AgentFileError(file, None, "cannot be read; check its permissions") from None
    except OSError as exc:
        reason = exc.strerror or "read error"
        raise AgentFileError(file, None, f"cannot be read ({reason}); check the path") from None
    if len(data) > MAX_BYTES:
        raise AgentFileError(file, None, "too large; agent files must be under 1 MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise AgentFileError(file, line, "is not UTF-8 text; save it as UTF-8") from None
    return parse_agent_text(text, path=str(file))
