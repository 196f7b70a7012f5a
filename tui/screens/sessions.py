"""Saved sessions: pick one with Enter to resume it."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from agent.session.journal import SessionSummary
from tui.text import one_line, plain


def short_time(iso: str) -> str:
    """'2025-01-31 14:05' from an ISO timestamp (as written, no clock lookups)."""
    return iso[:16].replace("T", " ")


class SessionsScreen(ModalScreen[str | None]):
    """Dismisses with the chosen session id, or None."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close")]

    def __init__(self, sessions: list[SessionSummary], current: str = "") -> None:
        super().__init__()
        self.sessions = sessions
        self.current = current

    def compose(self):
        with Vertical(id="sessions-box") as box:
            box.border_title = "Saved sessions"
            yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
            yield Static(Text("Enter opens · Esc closes", style="dim"), id="sessions-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Title", "Updated", "Msgs")
        for s in self.sessions:
            title = plain(one_line(s.title or "(untitled)", 50))
            if s.id == self.current:
                title.append(" (open)", style="dim")
            table.add_row(title, Text(short_time(s.updated)), Text(str(s.messages)), key=s.id)
        if not self.sessions:
            self.query_one("#sessions-hint", Static).update(
                Text("No saved sessions yet. Esc closes.", style="dim")
            )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(event.row_key.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
