"""The one-line header: app name, session title, persona badge, provider and model."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.containers import Horizontal
from textual.widgets import Static

from tui.text import one_line, plain

APP_NAME = "Backend Co-pilot"


def provider_label(name: str, model: str) -> str:
    """'offline playbook' or 'openai · gpt-4o'."""
    if name == "offline" or not name:
        return "offline playbook"
    return f"{name} · {model}" if model else name


def badge_text(persona: str, mode: str, active: bool) -> str:
    """'backend · auto · active' — how the persona is switched and whether it is on."""
    how = "auto" if mode == "auto" else f"pinned {mode}"
    return f"{persona} · {how} · {'active' if active else 'idle'}"


class CopilotHeader(Horizontal):
    """Everything here is content from files or the model, so all of it is plain Text."""

    def compose(self):
        yield Static(Text(APP_NAME, style="bold"), id="app-name")
        yield Static("", id="session-title")
        yield Static("", id="persona-badge")
        yield Static("", id="provider")

    def show(
        self, *, title: str, persona: str, mode: str, active: bool, provider: str, model: str,
        instructions: tuple[str, ...] = (),
    ) -> None:
        self.query_one("#session-title", Static).update(plain(one_line(title or "New session", 60)))
        badge = self.query_one("#persona-badge", Static)
        badge.update(plain(f" {badge_text(persona, mode, active)} "))
        badge.set_class(active, "-active")
        badge.set_class(mode != "auto", "-pinned")
        label = provider_label(provider, model)
        if instructions:  # the project's AGENTS.md & co. are in the prompt
            label += " · +" + ", ".join(Path(name).name for name in instructions)
        self.query_one("#provider", Static).update(plain(label))

    @property
    def badge(self) -> str:
        return str(self.query_one("#persona-badge", Static).content).strip()
