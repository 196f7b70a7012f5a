"""A model's Markdown in the exports: formatted in HTML, kept as Markdown in the .md file.

Both are safe with text nobody vetted. HTML comes from markdown-it-py with raw HTML off
(a tag in an answer shows as text), no images (no external resource) and links only to
http, https and mailto; anything else stays the text it was. The .md export keeps the
answer's Markdown as written, except that a `<` starting a tag outside code is escaped, so no
viewer turns it into HTML; inside code nothing is touched, so no escape shows in the text.
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import TYPE_CHECKING

from agent.text import safe_text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

LINK_SCHEMES = ("http:", "https:", "mailto:")
# markdown-it-py formats about 1 MB a second: a longer answer is exported as plain text.
FORMAT_LIMIT = 256_000

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)(?<!`)\1(?!`)")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def link_allowed(url: str) -> bool:
    """Only web and mail links survive; javascript:, data:, file:, relative paths do not."""
    return url.strip().lower().startswith(LINK_SCHEMES)


@cache
def _renderer() -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"]).disable("image")
    md.validateLink = link_allowed  # type: ignore[method-assign]
    return md


def markdown_to_html(text: str) -> str:
    """The answer's Markdown as an HTML fragment (or escaped plain text when very long)."""
    text = safe_text(text)
    if len(text) > FORMAT_LIMIT:
        return f"<pre>{html.escape(text, quote=True)}</pre>"
    return _renderer().render(text)


def markdown_without_html(text: str) -> str:
    """The answer's Markdown with every tag start outside code escaped (`<b>` -> `\\<b>`)."""
    out: list[str] = []
    fence = ""
    for line in safe_text(text).split("\n"):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            out.append(line)
            continue
        if opened:
            fence = opened.group(1)
            out.append(line)
            continue
        out.append(_escape_tags_outside_code(line))
    if fence:
        out.append(fence)  # an answer cut off inside code must not swallow what follows
    return "\n".join(out)


def _escape_tags_outside_code(line: str) -> str:
    if "<" not in line:
        return line
    parts: list[str] = []
    pos = 0
    for span in _CODE_SPAN.finditer(line):
        parts.append(_TAG_START.sub(r"\\<", line[pos : span.start()]))
        parts.append(span.group())
        pos = span.end()
    parts.append(_TAG_START.sub(r"\\<", line[pos:]))
    return "".join(parts)
