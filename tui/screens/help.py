"""F1 / ?: every key and every slash command, in one scrollable list."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.text import plain

KEYS: list[tuple[str, str]] = [
    ("Enter", "send the message (or run a /command)"),
    ("Shift+Enter, Ctrl+J", "new line in the message"),
    ("↑ / ↓ (first/last line)", "recall earlier messages"),
    ("Tab", "complete a /command"),
    ("Esc", "stop the answer being written (the text so far is kept)"),
    ("Ctrl+B, F2", "show or hide the side panels"),
    ("F3", "persona: auto → pinned on → pinned off"),
    ("Ctrl+← / Ctrl+→", "previous / next workflow phase (outside the input)"),
    ("[ / ]", "previous / next phase (in the Workflow panel)"),
    ("Enter (decision tree)", "ask about that branch"),
    ("Space / x (checklist)", "tick or untick an item / clear a suggestion"),
    ("c (on a message)", "copy the message"),
    ("Ctrl+P", "command palette: export, sessions, theme, …"),
    ("Ctrl+S", "saved sessions"),
    ("F1, ?", "this help"),
    ("Ctrl+Q", "quit (the session is already saved)"),
]


def help_text(commands: list[tuple[str, str]]) -> Text:
    text = Text("Keys\n", style="bold underline")
    width = max(len(k) for k, _ in KEYS) + 2
    for key, what in KEYS:
        text.append(f"  {key:<{width}}", style="bold")
        text.append(f"{what}\n")
    text.append("\nSlash commands\n", style="bold underline")
    width = max((len(c) for c, _ in commands), default=10) + 2
    for command, what in commands:
        text.append_text(plain(f"  {command:<{width}}", "bold"))
        text.append_text(plain(f"{what}\n"))
    text.append("\nEsc closes this help.", style="dim")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close")]

    def __init__(self, commands: list[tuple[str, str]]) -> None:
        super().__init__()
        self.commands = commands

    def compose(self):
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Help"
            yield Static(help_text(self.commands), id="help-text")
