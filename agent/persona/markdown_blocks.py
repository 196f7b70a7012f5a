"""An agent file's Markdown body -> its block structure, read the way CommonMark reads it.

markdown-it (CommonMark + GFM tables) gives headings, lists, tables and fences from one parse,
so an unclosed fence runs to the end of the file, setext headings count, and a `#` inside a
code block is never a heading. Only the pieces the persona builder needs are kept, each with
the index of the heading it sits under (-1: before the first heading) and its file line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import ConfigDict

from agent.lazy_model import LazyModel


class Table(LazyModel):
    model_config = ConfigDict(frozen=True)
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()
    line: int = 0

    def column(self, name: str) -> int | None:
        """Index of a header cell, case-insensitive; None when absent."""
        lowered = [h.lower() for h in self.header]
        return lowered.index(name.lower()) if name.lower() in lowered else None


class ListItem(LazyModel):
    model_config = ConfigDict(frozen=True)
    text: str  # plain text of the item's first paragraph, checkbox removed
    line: int
    head: str = ""  # its leading bold words ("1. **Design** - ..." -> "Design")
    checked: bool | None = None  # "- [ ]" False, "- [x]" True, a plain item None


class MdList(LazyModel):
    model_config = ConfigDict(frozen=True)
    ordered: bool
    line: int
    lead: str = ""  # the paragraph (or parent item) right before it: "Backend checklist:"
    items: tuple[ListItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Heading:
    index: int  # body line index (0-based)
    line: int  # file line
    level: int
    title: str  # plain text


@dataclass(frozen=True, slots=True)
class Fence:
    line: int  # file line of the opening fence
    info: str  # first word of the info string, lower case
    lines: list[str]


@dataclass(slots=True)
class Blocks:
    headings: list[Heading] = field(default_factory=list)
    tables: list[tuple[int, Table]] = field(default_factory=list)  # (heading index, table)
    lists: list[tuple[int, MdList]] = field(default_factory=list)
    fences: list[tuple[int, Fence]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _parser() -> Any:
    from markdown_it import MarkdownIt

    # Link and image parsing is quadratic on runs of "[" (a 1 MB cell took 30 s); nothing
    # here needs a link's target, so they stay text and lose their markup in inline_plain.
    return MarkdownIt("commonmark").enable("table").disable(["link", "image"])


_LINK = re.compile(r"!?\[([^\[\]\n]{0,2000})\]\([^()\n]{0,2000}\)")


def inline_plain(token: Any) -> str:
    """An inline token's text without markup: emphasis, code spans and links lose theirs."""
    parts: list[str] = []
    for child in token.children or ():
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
    return _LINK.sub(r"\1", "".join(parts)).strip()


def _bold_head(token: Any) -> str:
    children = [c for c in token.children or () if c.type != "text" or c.content.strip()]
    if not children or children[0].type != "strong_open":
        return ""
    words = []
    for child in children[1:]:
        if child.type == "strong_close":
            break
        if child.type in ("text", "code_inline"):
            words.append(child.content)
    return "".join(words).strip()


def _checkbox(text: str) -> tuple[str, bool | None]:
    boxed = len(text) >= 3 and text[0] == "[" and text[2] == "]" and text[1] in " xX"
    if boxed and (len(text) == 3 or text[3] in " \t"):
        return text[3:].strip(), text[1] != " "
    return text, None


@dataclass(slots=True)
class _OpenList:
    ordered: bool
    line: int
    lead: str
    items: list[ListItem] = field(default_factory=list)
    wants_item: bool = False
    item_line: int = 0


def read_blocks(body_lines: list[str], *, first_line: int) -> Blocks:
    """Walk the token stream once. `first_line` is the file line of body_lines[0]."""
    tokens = _parser().parse("\n".join(body_lines))
    out = Blocks()
    owner = -1
    lists: list[_OpenList] = []
    lead = ""  # plain text of the last top-level paragraph, for a list right after it
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        kind = tok.type
        start = tok.map[0] if tok.map else 0
        if kind == "heading_open" and tok.level == 0 and i + 1 < n:
            title = inline_plain(tokens[i + 1])
            out.headings.append(Heading(start, first_line + start, int(tok.tag[1]), title))
            owner = len(out.headings) - 1
            lead = ""
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            parent = lists[-1].items[-1].text if lists and lists[-1].items else lead
            lists.append(_OpenList(kind == "ordered_list_open", first_line + start, parent))
        elif kind == "list_item_open" and lists:
            lists[-1].wants_item = True
            lists[-1].item_line = first_line + start
        elif kind == "inline" and lists and lists[-1].wants_item:
            current = lists[-1]
            text, checked = _checkbox(inline_plain(tok))
            current.items.append(
                ListItem(text=text, line=current.item_line, head=_bold_head(tok), checked=checked)
            )
            current.wants_item = False
        elif kind in ("bullet_list_close", "ordered_list_close") and lists:
            done = lists.pop()
            md_list = MdList(
                ordered=done.ordered, line=done.line, lead=done.lead, items=tuple(done.items)
            )
            out.lists.append((owner, md_list))
            if not lists:
                lead = ""
        elif kind == "inline" and tok.level == 1 and not lists:
            lead = inline_plain(tok)  # a top-level paragraph's text
        elif kind == "table_open":
            i = _table(tokens, i, out, owner, first_line)
            lead = ""
            continue
        elif kind == "fence" or kind == "code_block":
            info = tok.info.strip().split()[0].lower() if tok.info.strip() else ""
            fence = Fence(first_line + start, info, tok.content.split("\n"))
            out.fences.append((owner, fence))
            if not lists:
                lead = ""
        i += 1
    out.lists.sort(key=lambda pair: pair[1].line)
    return out


def _table(tokens: list[Any], i: int, out: Blocks, owner: int, first_line: int) -> int:
    """Read the table opening at tokens[i]; return the index after its close."""
    line = first_line + (tokens[i].map[0] if tokens[i].map else 0)
    header: list[str] = []
    rows: list[tuple[str, ...]] = []
    row: list[str] = []
    in_head = False
    i += 1
    while i < len(tokens) and tokens[i].type != "table_close":
        kind = tokens[i].type
        if kind == "thead_open":
            in_head = True
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            row = []
        elif kind == "inline":
            row.append(inline_plain(tokens[i]))
        elif kind == "tr_close":
            if in_head:
                header = row
            else:
                rows.append(tuple(row))
        i += 1
    width = len(header)
    fixed = tuple(tuple((list(r) + [""] * width)[:width]) for r in rows)
    out.tables.append((owner, Table(header=tuple(header), rows=fixed, line=line)))
    return i + 1
