"""`/persona list`: every loaded persona in a table — name, file, keywords, score now.

Enter pins the highlighted persona on; Esc closes. Names, paths and keywords come from
agent files, so every cell is plain Text (no markup).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from agent.persona.library import PersonaInfo
from tui.text import one_line, plain


def short_path(path: str, width: int = 40) -> str:
    """The file relative to here (or with ~ for home), cut from the left: the name shows."""
    if not path:
        return "(bundled)"
    here, home = str(Path.cwd()), str(Path.home())
    if path.startswith(here + "/"):
        path = path[len(here) + 1 :]
    elif home != "/" and path.startswith(home + "/"):
        path = "~" + path[len(home) :]
    return path if len(path) <= width else "…" + path[-(width - 1) :]


def state_marks(info: PersonaInfo) -> str:
    marks = ["on" if info.active else "shown" if info.shown else ""]
    marks += ["pinned" if info.pinned else "", "default" if info.default else ""]
    return ", ".join(m for m in marks if m)


class PersonaListScreen(ModalScreen[str | None]):
    """Dismisses with the name of the persona to pin on, or None."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close")]

    def __init__(self, personas: list[PersonaInfo], threshold: float | None = None) -> None:
        super().__init__()
        self.personas = personas
        self.threshold = threshold

    def compose(self):
        with Vertical(id="personas-box") as box:
            box.border_title = "Personas"
            yield DataTable(id="personas-table", cursor_type="row", zebra_stripes=True)
            on_at = f" · a persona comes on at score {self.threshold:g}" if self.threshold else ""
            yield Static(Text(f"Enter pins it on · Esc closes{on_at}", style="dim"),
                         id="personas-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "Source file", "Keywords", "Score now")
        for info in self.personas:
            name = plain(info.name)
            marks = state_marks(info)
            if marks:
                name.append(f" ({marks})", style="dim")
            words = ", ".join(info.keywords) if info.keywords else "none: pin it by name"
            table.add_row(
                name,
                plain(one_line(short_path(info.source), 40)),  # one_line strips escapes
                plain(one_line(words, 50)),
                Text(f"{info.score:g}", justify="right"),
                key=info.name,
            )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(event.row_key.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
