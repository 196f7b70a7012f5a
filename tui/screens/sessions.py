"""Saved sessions: Enter resumes one, r renames it, d (twice) deletes it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from agent.session.catalogue import SessionSummary
from tui.text import one_line, plain

HINT = "Enter opens · r renames · d deletes · Esc closes"
# (session file) -> None when done, else the one line saying why not
DeleteAction = Callable[[Path], "str | None"]
RenameAction = Callable[[Path, str], "str | None"]


def short_time(iso: str) -> str:
    """'2025-01-31 14:05' from an ISO timestamp (as written, no clock lookups)."""
    return iso[:16].replace("T", " ")


class SessionsScreen(ModalScreen[str | None]):
    """Dismisses with the chosen session id, or None."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("r", "rename", "Rename"),
        Binding("d", "delete", "Delete"),
    ]

    def __init__(
        self,
        sessions: list[SessionSummary],
        current: str = "",
        *,
        delete: DeleteAction | None = None,
        rename: RenameAction | None = None,
    ) -> None:
        super().__init__()
        self.sessions = {s.id: s for s in sessions}
        self.current = current
        self._delete = delete
        self._rename = rename
        self._armed = ""  # the session id a first `d` asked about

    def compose(self):
        with Vertical(id="sessions-box") as box:
            box.border_title = "Saved sessions"
            yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
            yield Input(id="sessions-rename", placeholder="New title · Enter saves · Esc cancels")
            yield Static(Text(HINT, style="dim"), id="sessions-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self._title_column, _, _ = table.add_columns("Title", "Updated", "Msgs")
        for s in self.sessions.values():
            table.add_row(self._title_cell(s), Text(short_time(s.updated)),
                          Text(str(s.messages)), key=s.id)
        self.query_one("#sessions-rename", Input).display = False
        if not self.sessions:
            self._hint("No saved sessions yet. Esc closes.")
        table.focus()

    def _title_cell(self, s: SessionSummary) -> Text:
        title = plain(one_line(s.title or "(untitled)", 50))
        if s.id == self.current:
            title.append(" (open)", style="dim")
        return title

    def _hint(self, message: str, *, plain_text: bool = False) -> None:
        self.query_one("#sessions-hint", Static).update(
            plain(message) if plain_text else Text(message, style="dim")
        )

    def _selected(self) -> SessionSummary | None:
        table = self.query_one(DataTable)
        if not self.sessions or table.cursor_row < 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return self.sessions.get(key or "")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(event.row_key.value)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self._armed and event.row_key.value != self._armed:
            self._armed = ""
            self._hint(HINT)

    # -- delete ------------------------------------------------------------------------

    def action_delete(self) -> None:
        chosen = self._selected()
        if chosen is None or self._delete is None or self._renaming:
            return
        if self._armed != chosen.id:
            self._armed = chosen.id
            title = one_line(chosen.title or "(untitled)", 40)
            self._hint(f"Press d again to delete “{title}” for good; any other row keeps it.",
                       plain_text=True)
            return
        self._armed = ""
        problem = self._delete(chosen.path)
        if problem:
            self._hint(problem, plain_text=True)
            return
        del self.sessions[chosen.id]
        self.query_one(DataTable).remove_row(chosen.id)
        self._hint(f"Deleted “{one_line(chosen.title or '(untitled)', 40)}”.", plain_text=True)

    # -- rename ------------------------------------------------------------------------

    @property
    def _renaming(self) -> bool:
        return bool(self.query_one("#sessions-rename", Input).display)

    def action_rename(self) -> None:
        chosen = self._selected()
        if chosen is None or self._rename is None or self._renaming:
            return
        self._armed = ""
        field = self.query_one("#sessions-rename", Input)
        field.value = chosen.title
        field.display = True
        field.focus()
        self._hint(f"Renaming “{one_line(chosen.title or '(untitled)', 40)}”", plain_text=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        chosen = self._selected()
        if chosen is None or self._rename is None:
            return
        problem = self._rename(chosen.path, event.value)
        if problem:
            self._hint(problem, plain_text=True)
            return
        chosen.title = " ".join(event.value.split())
        self.query_one(DataTable).update_cell(chosen.id, self._title_column,
                                              self._title_cell(chosen))
        self._close_rename(f"Renamed to “{one_line(chosen.title, 40)}”.")

    def _close_rename(self, message: str = HINT) -> None:
        field = self.query_one("#sessions-rename", Input)
        field.display = False
        self.query_one(DataTable).focus()
        self._hint(message, plain_text=message != HINT)

    def action_dismiss_none(self) -> None:
        if self._renaming:
            self._close_rename()
            return
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Typing a title: r and d are letters, not commands.
        return not (action in ("rename", "delete") and self._renaming)
