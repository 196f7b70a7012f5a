"""Tool calls in the chat: one compact line each, expandable to the arguments and the result.

Built from the session's ToolCallRecords (the one fold decides which call an end belongs to);
all of it is model or file content, so every part is plain text with escapes stripped.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.text import Text
from textual.content import Content
from textual.widgets import Collapsible, Static

from agent.text import visible_controls
from tui.text import clean, one_line, plain

if TYPE_CHECKING:
    from agent.session.models import ToolCallRecord

STATUS_MARK = {
    "running": "… running",
    "ok": "✓",
    "error": "✖ error",
    "denied": "⊘ denied",
    "cancelled": "■ stopped",
}
DECISION_WORDS = {
    "auto": "",  # read-only tools run without asking: nothing worth saying
    "once": "allowed once",
    "session": "allowed for this session",
    "remembered": "allowed (this session)",
    "agent file": "allowed by the agent file",
    "deny": "denied by you",
}


def title_line(record: ToolCallRecord) -> str:
    """'read notes.txt, 12 lines · ✓' / 'edit app.py · ⊘ denied · denied by you'."""
    # a path with a bidi override or zero-width character shows it (<U+202E>), not a disguise
    parts = [one_line(visible_controls(record.summary or record.name), 100),
             STATUS_MARK.get(record.status, "")]
    decision = DECISION_WORDS.get(record.decision, "")
    if decision and not (record.status == "denied" and record.decision == "deny"):
        parts.append(decision)
    return "⚙ " + " · ".join(p for p in parts if p)


def pretty_arguments(arguments: str) -> str:
    """Indented JSON when it parses, else the text the model sent (it may be malformed)."""
    try:
        return json.dumps(json.loads(arguments or "{}"), indent=2, ensure_ascii=False)
    except ValueError:
        return arguments


def details(record: ToolCallRecord) -> Text:
    text = Text()
    text.append(f"{record.name}", style="bold")
    if record.server:
        text.append_text(plain(f"  (MCP server {record.server})", "dim"))
    text.append("\narguments\n", style="dim")
    text.append_text(plain(pretty_arguments(record.arguments)))
    if record.status != "running":
        text.append("\nresult\n", style="dim")
        text.append_text(plain(record.result or "(nothing)"))
    return text


class ToolCallBlock(Collapsible):
    """One tool call: collapsed it is one line; expanded it shows arguments and result."""

    def __init__(self, record: ToolCallRecord) -> None:
        self.record = record
        self._details = Static(details(record), classes="tool-details")
        # A Content title is shown literally (a str title would be parsed as markup).
        super().__init__(self._details, title=_title(record),  # type: ignore[arg-type]
                         collapsed=True, classes=f"tool-call -{record.status}")

    def show(self, record: ToolCallRecord) -> None:
        for status in STATUS_MARK:
            self.set_class(status == record.status, f"-{status}")
        self.record = record
        self.title = _title(record)  # type: ignore[assignment]
        self._details.update(details(record))

    @property
    def title_text(self) -> str:
        return _title(self.record).plain


def _title(record: ToolCallRecord) -> Content:
    return Content(clean(title_line(record)))


__all__ = ["ToolCallBlock", "details", "title_line"]
