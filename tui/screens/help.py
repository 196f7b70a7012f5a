"""F1 / ?: every key and every slash command, in one scrollable list."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.text import plain

KEYS: list[tuple[str, str]] = [
    ("Enter", "send the message (or run a /command)"),
    ("Shift+Enter · Ctrl+J", "new line in the message"),
    ("↑ / ↓", "recall earlier messages (on the first/last line)"),
    ("Tab", "complete a /command"),
    ("Esc", "stop the answer being written (the text so far is kept); back to the input"),
    ("Ctrl+R · F5", "retry: answer your last message again (after an error or a stop)"),
    ("Ctrl+Y · Ctrl+S · Esc", "permission prompt: allow once · allow for this session · deny (keys in its first half second are ignored)"),
    ("Enter", "on a tool call (⚙): show or hide its arguments and result"),
    ("Ctrl+B · F2", "show or hide the side panels"),
    ("F3", "persona: auto → pinned on → pinned off"),
    ("Ctrl+← / Ctrl+→", "previous / next workflow phase (outside the input)"),
    ("[ / ]", "previous / next phase (in the Workflow panel)"),
    ("Enter", "decision tree: ask about that branch"),
    ("Space · x", "checklist: tick or untick · clear a suggestion"),
    ("PgUp · Home · End", "in the transcript: older entries load as you reach them; End: the newest"),
    ("c", "on a message: copy it"),
    ("Ctrl+P", "command palette: export, sessions, theme, …"),
    ("Ctrl+S", "saved sessions"),
    ("F1 · ?", "this help"),
    ("Ctrl+Q", "quit (the session is already saved)"),
]


def _table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
    table.title = Text(title, style="bold")
    table.title_justify = "left"
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1)
    for key, what in rows:
        table.add_row(plain(key), plain(what))
    return table


def _files() -> list[tuple[str, str]]:
    from agent import paths

    return [
        ("Log", f"{paths.log_file()} (errors in full; keys masked)"),
        ("Config", str(paths.config_file())),
        ("Sessions", str(paths.sessions_dir())),
    ]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close")]

    def __init__(self, commands: list[tuple[str, str]]) -> None:
        super().__init__()
        self.commands = commands

    def compose(self):
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Help · Esc closes"
            yield Static(_table("Keys", KEYS), classes="help-table")
            yield Static(_table("Slash commands", self.commands), classes="help-table")
            yield Static(_table("Files", _files()), classes="help-table")
