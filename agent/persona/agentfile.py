"""Agent markdown (YAML frontmatter + body) -> AgentFile.

Works for OpenCode agent files and Claude Code subagent files alike; nothing about any one
persona's content lives here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field

from agent.errors import AgentFileError
from agent.lazy_model import LazyModel
from agent.persona.markdown_blocks import Blocks, ListItem, MdList, Table, read_blocks  # noqa: F401
from agent.persona.mermaid import Graph, parse_flowchart


class Section(LazyModel):
    model_config = ConfigDict(frozen=True)
    title: str  # plain text, markup stripped
    level: int  # 1..6
    line: int
    text: str = ""  # the section's own markdown, up to its first subsection
    tables: tuple[Table, ...] = ()
    lists: tuple[MdList, ...] = ()  # every list under it, nested ones too, in file order
    flowcharts: tuple[Graph, ...] = ()
    children: tuple[Section, ...] = ()

    def walk(self) -> list[Section]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


class Frontmatter(LazyModel):
    model_config = ConfigDict(frozen=True)
    name: str | None = None
    description: str | None = None
    model: str | None = None
    mode: str | None = None
    temperature: float | None = None
    steps: int | None = None
    tools: dict[str, bool] = Field(default_factory=dict)  # comma strings become {name: True}
    # how `tools` was written: "" no line (every tool), "list" Claude Code's "Read, Grep"
    # (only those), "map" OpenCode's {write: false} (switches over the defaults)
    tools_form: str = ""
    permission: dict[str, Any] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)  # unknown keys, kept


class AgentFile(LazyModel):
    model_config = ConfigDict(frozen=True)
    path: str
    frontmatter: Frontmatter
    title: str | None = None  # first level-1 heading
    body: str = ""  # markdown after the frontmatter
    sections: tuple[Section, ...] = ()  # top-level sections, nested
    intro_text: str = ""  # body text before the first heading
    intro_lists: tuple[MdList, ...] = ()  # lists before the first heading
    warnings: tuple[str, ...] = ()  # "path:line: ..." notes on what was read leniently

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
# The body is read by markdown-it (CommonMark + GFM tables, see agent/persona/markdown_blocks.py);
# sections nest through an explicit stack, never recursion. The inline patterns below only
# strip markup from short strings; their bounded repeats keep any line from backtracking long.

# The largest real agent files are tens of kilobytes; parsing is about 3 s per MB.
MAX_BYTES = 256 * 1024

# Each body stops at the next marker character, so a scan from one opening never runs past
# the next opening: total work stays linear however the markers are arranged.
_BOLD = re.compile(
    r"\*\*(?=[^\s*])([^*\n]{1,2000})(?<=\S)\*\*|__(?=[^\s_])([^_\n]{1,2000})(?<=\S)__"
)
_EM = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]{1,2000})(?<=\S)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]{1,2000})`")
_LINK = re.compile(r"!?\[([^\[\]\n]{0,2000})\]\([^()\n]{0,2000}\)")
_KNOWN_KEYS = frozenset(Frontmatter.model_fields) - {"extra", "tools_form"}


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


def _frontmatter(lines: list[str], path: str) -> tuple[Frontmatter, int, list[str]]:
    """Parse a leading `---` block; return it, the index of the first body line, and notes."""
    if not lines or lines[0].strip() != "---":
        return Frontmatter(), 0, []
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise AgentFileError(path, 1, "frontmatter is never closed; expected a '---' line after it")
    block = lines[1:end]
    warnings: list[str] = []
    try:
        data = _load_yaml("\n".join(block), path)
    except AgentFileError:
        # OpenCode's own fallback: a one-line value holding ": " (e.g. "Triggers on: 'GDPR'")
        # is not valid YAML; quote such values and try once more before giving up.
        quoted, fixed = _quote_colon_values(block)
        if not fixed:
            raise
        try:
            data = _load_yaml("\n".join(quoted), path)
        except AgentFileError:
            raise AgentFileError(*_first_error(block, path)) from None
        warnings = [
            f"{path}:{n + 2}: the value of '{block[n].split(':', 1)[0]}' holds ': ' and was "
            "read as text; put it in quotes to say so" for n in fixed
        ]
    if data is None:
        return Frontmatter(), end + 1, warnings
    if not isinstance(data, dict):
        raise AgentFileError(path, 2, "frontmatter must be 'key: value' lines, not a list or text")
    return _frontmatter_model(data, block, path), end + 1, warnings


def _first_error(block: list[str], path: str) -> tuple[str, int | None, str]:
    try:
        _load_yaml("\n".join(block), path)
    except AgentFileError as exc:
        return exc.path, exc.line, exc.message
    return path, 1, "frontmatter is not valid YAML"  # pragma: no cover - block failed before


_PLAIN_KEY = re.compile(r"^([A-Za-z_][\w.-]{0,100}):[ \t]+(\S.*)$")


def _quote_colon_values(block: list[str]) -> tuple[list[str], list[int]]:
    """Top-level `key: value` lines whose plain value holds ': ' -> single-quoted values."""
    out, fixed = list(block), []
    for n, line in enumerate(block):
        m = _PLAIN_KEY.match(line)
        if not m:
            continue
        value = m.group(2).rstrip()
        if value[0] in "'\"[{|>&*!%@`#" or ": " not in value and not value.endswith(":"):
            continue
        out[n] = f"{m.group(1)}: '" + value.replace("'", "''") + "'"
        fixed.append(n)
    return out, fixed


def _load_yaml(text: str, path: str) -> Any:
    from agent.persona import no_alias_yaml  # yaml only when a file is parsed (not cached)

    try:
        return no_alias_yaml.load(text)
    except no_alias_yaml.AliasRefused as exc:
        raise AgentFileError(
            path, exc.line + 2,
            "frontmatter uses a YAML alias (*name); agent files may not use anchors or aliases",
        ) from None
    except no_alias_yaml.YAMLError as exc:
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
        names = [_tool_name(str(v)) for v in value if v is not None]
        return {name: True for name in names if name}
    if isinstance(value, dict):
        tools: dict[str, bool] = {}
        for name, granted in value.items():
            if not isinstance(granted, bool):
                raise AgentFileError(path, line, f"tools.{name} must be true or false")
            tools[str(name)] = granted
        return tools
    raise AgentFileError(path, line, "tools must be a map of tool: true/false or a comma list")


def _tool_name(entry: str) -> str:
    """"Read" -> "read"; "Bash(git *)" -> "bash(git *)" (the pattern keeps its case)."""
    name, paren, rest = entry.strip().partition("(")
    return name.strip().lower() + (paren + rest if paren else "")


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
            if key == "name" and isinstance(value, list | dict):
                raise AgentFileError(
                    path, line, "name is a template placeholder (in brackets); write the "
                    "agent's own name, e.g. 'name: api-reviewer'"
                )
            if isinstance(value, dict):
                raise AgentFileError(path, line, f"{key} must be text")
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value if v is not None)
            fields[key] = str(value)
    if "tools" in fields:
        fields["tools_form"] = "map" if isinstance(data.get("tools"), dict) else "list"
    return Frontmatter(**fields, extra=extra)


def parse_agent_text(text: str, *, path: str = "<text>") -> AgentFile:
    """Frontmatter + markdown -> AgentFile. Raises AgentFileError naming path and line."""
    if len(text) > MAX_BYTES:
        raise AgentFileError(path, None, "too large; agent files must be under 256 KB")
    text = text.removeprefix("\ufeff")
    lines = _split_lines(text)
    frontmatter, start, warnings = _frontmatter(lines, path)
    body_lines = lines[start:]
    blocks = read_blocks(body_lines, first_line=start + 1)
    sections = _nest(blocks, body_lines, path)
    first_heading = blocks.headings[0].index if blocks.headings else len(body_lines)
    return AgentFile(
        path=path,
        frontmatter=frontmatter,
        title=next((h.title for h in blocks.headings if h.level == 1), None),
        body="\n".join(body_lines).strip("\n"),
        sections=sections,
        intro_text="\n".join(body_lines[:first_heading]).strip("\n"),
        intro_lists=tuple(lst for owner, lst in blocks.lists if owner < 0),
        warnings=tuple(warnings),
    )


def _nest(blocks: Blocks, body_lines: list[str], path: str) -> tuple[Section, ...]:
    """Headings -> nested sections, each with the tables, lists and charts under it."""
    drafts = [_Draft(h.title, h.level, h.line) for h in blocks.headings]
    for n, heading in enumerate(blocks.headings):
        stop = blocks.headings[n + 1].index if n + 1 < len(blocks.headings) else len(body_lines)
        drafts[n].text = body_lines[heading.index + 1 : stop]
    for owner, table in blocks.tables:
        if owner >= 0:
            drafts[owner].tables.append(table)
    for owner, lst in blocks.lists:
        if owner >= 0:
            drafts[owner].lists.append(lst)
    for owner, fence in blocks.fences:
        if owner >= 0 and fence.info == "mermaid":
            graph = _maybe_flowchart(fence.lines, path, fence.line)
            if graph is not None:
                drafts[owner].flowcharts.append(graph)
    roots: list[_Draft] = []
    stack: list[_Draft] = []
    for draft in drafts:
        while stack and stack[-1].level >= draft.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(draft)
        stack.append(draft)
    return _freeze(roots)


class _Draft:
    """A section being read; frozen into Section once all its parts are in."""

    def __init__(self, title: str, level: int, line: int) -> None:
        self.title, self.level, self.line = title, level, line
        self.text: list[str] = []
        self.tables: list[Table] = []
        self.lists: list[MdList] = []
        self.flowcharts: list[Graph] = []
        self.children: list[_Draft] = []


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
            lists=tuple(draft.lists),
            flowcharts=tuple(draft.flowcharts),
            children=tuple(done[id(c)] for c in draft.children),
        )
    return tuple(done[id(d)] for d in roots)


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
                file, None, f"too large ({size // 1024:,} KB); agent files must be under 256 KB"
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
        raise AgentFileError(file, None, "too large; agent files must be under 256 KB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise AgentFileError(file, line, "is not UTF-8 text; save it as UTF-8") from None
    return parse_agent_text(text, path=str(file))
