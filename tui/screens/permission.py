"""The permission modal: a tool wants to change something; the user allows or denies it.

Shows what the call would do (the diff for edit/write, else the arguments) and returns the
Approver's answer: "once", "session" or "deny". Esc denies — nothing is ever allowed by
default. Everything shown came from the model or a file, so it is plain text.

Allowing takes a deliberate key (Ctrl+Y once, Ctrl+S for the session, or the buttons), never
a letter that could be part of a sentence; keys in the first half second are ignored (see
guarded.py). A diff taller than the box is never approved unseen: the first approval scrolls
it to the end and says so; the next one counts.
"""

from __future__ import annotations

import json

from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from agent.text import safe_text, visible_controls
from agent.tools import Decision, PermissionRequest
from tui.screens.guarded import GuardedModal


def diff_text(diff: str) -> Text:
    """A unified diff, escapes stripped, added lines green and removed lines red."""
    text = Text()
    for i, line in enumerate(visible_controls(diff).splitlines()):
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
    text.append(visible_controls(request.title or request.tool), style="bold reverse")
    text.append("?", style="bold")
    if request.server:
        text.append(f"\nfrom the MCP server {safe_text(request.server)}", style="italic")
    return text


class PermissionScreen(GuardedModal[Decision]):
    """Allow once (Ctrl+Y) · Allow for this session (Ctrl+S) · Deny (Esc)."""

    BINDINGS = [
        Binding("escape,n", "deny", "Deny"),
        Binding("ctrl+y", "choose('once')", "Allow once"),
        Binding("ctrl+s", "choose('session')", "Allow for this session"),
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
                yield Button("Allow once (Ctrl+Y)", id="once", variant="primary")
                yield Button("Allow for this session (Ctrl+S)", id="session")
                yield Button("Deny (Esc)", id="deny", variant="error")

    # Deny gets the focus once the guard has passed (GuardedModal.SAFE_BUTTON): Enter by
    # reflex never writes a file.

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self.armed:
            self.action_choose(event.button.id or "deny")

    @property
    def unseen(self) -> bool:
        """Part of what would be approved is still below the visible part of the box."""
        body = self.query_one("#permission-body", VerticalScroll)
        return body.max_scroll_y > 0 and body.scroll_y < body.max_scroll_y

    def action_choose(self, decision: str) -> None:
        if decision not in ("once", "session"):
            self.dismiss("deny")
            return
        if self.unseen:
            self.query_one("#permission-body", VerticalScroll).scroll_end(animate=False)
            self.notify("Shown to the end now: read it, then allow again.", timeout=4)
            return
        self.dismiss(decision)  # type: ignore[arg-type]

    def action_deny(self) -> None:
        self.dismiss("deny")


__all__ = ["PermissionScreen", "arguments_text", "diff_text", "heading"]
