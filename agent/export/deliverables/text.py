"""Markdown pieces the documents share: session text stays literal text in every document."""

from __future__ import annotations

from agent.export.common import md_inline as _md_inline
from agent.text import safe_text

QUOTE_LIMIT = 400


def inline(text: str) -> str:
    """One line of literal text (escaped: no markup, link or HTML is interpreted)."""
    return _md_inline(text)


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """The user's words as a one-paragraph block quote, cut at `limit` characters."""
    flat = " ".join(safe_text(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return f"> {inline(flat)}\n"


def header(title: str, phase: str, session_id: str) -> str:
    return (f"# {inline(title)}\n\n"
            f"_Phase: {inline(phase)} · drafted from session {inline(session_id)} "
            f"by backend-copilot; edit freely._\n\n")


def missing_headings(text: str, headings: tuple[str, ...]) -> list[str]:
    """The headings (matched case-blind at the start of a Markdown heading line) not in text."""
    found = {line.lstrip("#").strip().lower() for line in text.splitlines()
             if line.lstrip().startswith("#")}
    return [h for h in headings if not any(f.startswith(h.lower()) for f in found)]
