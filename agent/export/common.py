"""Text helpers every export shares: literal Markdown and readable timestamps.

Everything in a session came from a user, a model or a file, so inline text is escaped and
blocks are fenced: no markup, link or HTML in it is ever interpreted.
"""

from __future__ import annotations

import re
from datetime import datetime

from agent.session.models import SessionState
from agent.text import safe_text

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~#&!])")
_BACKTICKS = re.compile(r"`+")


def when(ts: str) -> str:
    """An ISO timestamp as 'YYYY-MM-DD HH:MM:SS UTC' (the text itself when unparsable)."""
    try:
        moment = datetime.fromisoformat(ts)
    except ValueError:
        return safe_text(ts)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if moment.utcoffset() is not None else "")


def md_inline(text: str) -> str:
    """One line of literal text: escaped so no markup, link or HTML is interpreted."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(safe_text(text).split()))


def md_block(text: str) -> str:
    """Content in a fence longer than any backtick run inside it, so it stays literal."""
    text = safe_text(text)
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}\n"


def deliverable_lines(state: SessionState) -> list[str]:
    """Each document the session's deliveries touched, its last outcome: "docs/prd.md: created
    (PRD, 2026-11-29 18:40:00 UTC)"; newest delivery wins per path."""
    latest: dict[str, str] = {}
    for run in state.deliverables:
        for f in run.files:
            via = ", drafted by the model" if f.source == "model" else ""
            latest[f.path] = f"{f.path}: {f.status} ({f.phase}{via}, {when(run.ts)})"
    return list(latest.values())
