"""The permission modal: a tool wants to change something; the user allows or denies it.

Shows what the call would do (the diff for edit/write, else the arguments) and returns the
Approver's answer: "once", "session" or "deny". Esc denies — nothing is ever allowed by
default. Everything shown came from the model or a file, so it is plain text.
"""

from __future__ import annotations

import json

from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from agent.text import safe_text
from agent.tools import Decision, PermissionRequest


def diff_text(diff: str) -> Text:
    """A unified diff, escapes stripped, added lines green and removed lines red."""
    text = Text()
    for i, line in enumerate(safe_text(diff).splitlines()):
        if i:
            text.append("\n")
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        else:
            style = ""
        text.append(line, style=style)
    return text


def arguments_text(request: PermissionRequest) -> Text:
    try:
        shown = json.dumps(request.arguments, indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        shown = str(request.arguments)
    return Text(safe_text(shown))


def heading(request: PermissionRequest) -> Text:
    text = Text("Allow ", style="bold")
    text.append(safe_text(request.title or request.tool), style="bold reverse")
    text.append("?", style="bold")
    if request.server:
        text.append(f"\nfrom the MCP server {safe_text(request.server)}", style="italic")
    return text


class PermissionScreen(ModalScreen[Decision]):
    """Allow once · Allow for this session · Deny (Esc)."""

    BINDINGS = [
        Binding("escape,n", "deny", "Deny"),
        Binding("y,o", "choose('once')", "Allow once"),
        Binding("a,s", "choose('session')", "Allow for this session"),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]

    def __init__(self, request: PermissionRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self):
        request = self.request
        with Vertical(id="permission-box") as box:
            box.border_title = "Permission"
            yield Static(heading(request), id="permission-title")
            with VerticalScroll(id="permission-body"):
                if request.diff:
                    yield Static(diff_text(request.diff), id="permission-diff")
                else:
                    yield Static(arguments_text(request), id="permission-args")
            with Horizontal(id="permission-buttons"):
                yield Button("Allow once (y)", id="once", variant="primary")
                yield Button("Allow for this session (a)", id="session")
                yield Button("Deny (Esc)", id="deny", variant="error")

    def on_mount(self) -> None:
        # Deny has the focus: Enter by reflex never writes a file.
        self.query_one("#deny", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose(event.button.id or "deny")

    def action_choose(self, decision: str) -> None:
        self.dismiss(decision if decision in ("once", "session") else "deny")  # type: ignore[arg-type]

    def action_deny(self) -> None:
        self.dismiss("deny")


__all__ = ["PermissionScreen", "arguments_text", "diff_text", "heading"]
