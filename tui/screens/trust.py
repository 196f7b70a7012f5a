"""The trust question: this project's agent files ask for a shell or to act without asking.

Why: those files come with the repository, not from the user. Until the user trusts their
folder here (remembered per folder), they load as personas but never run shell commands and
every change they make asks first. The safe answer ("Not now") has the focus; trusting takes
a deliberate key (Ctrl+T) or the button, and type-ahead is ignored (see guarded.py).
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from agent.text import safe_text, visible_controls
from agent.trust import TrustRequest
from tui.screens.guarded import GuardedModal


def request_text(request: TrustRequest) -> Text:
    text = Text("Trust the agent files in ", style="bold")
    text.append(safe_text(request.folder), style="bold reverse")
    text.append("?\n\n", style="bold")
    for line in request.lines():
        text.append(f"  {visible_controls(line)}\n")
    text.append("\nUntil you trust this folder they run no shell commands and ask before every "
                "change. Your answer is remembered for this folder.")
    return text


class TrustScreen(GuardedModal[bool]):
    """Trust this folder (Ctrl+T) · Not now (Esc)."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", "Not now"),
        Binding("ctrl+t", "answer(True)", "Trust this folder"),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]

    def __init__(self, request: TrustRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self):
        with Vertical(id="permission-box") as box:
            box.border_title = "Project agent files"
            with VerticalScroll(id="permission-body"):
                yield Static(request_text(self.request), id="trust-text")
            with Horizontal(id="permission-buttons"):
                yield Button("Trust this folder (Ctrl+T)", id="trust")
                yield Button("Not now (Esc)", id="deny", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self.armed:
            self.dismiss(event.button.id == "trust")

    def action_answer(self, trust: bool) -> None:
        self.dismiss(trust)


__all__ = ["TrustScreen", "request_text"]
