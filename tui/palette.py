"""The command palette (Ctrl+P): every action the app has, findable by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import CopilotApp


def palette_entries(app: CopilotApp) -> list[tuple[str, str, Callable[[], object]]]:
    """(name, help, callback): the registry's slash commands, then the app's own actions."""
    from agent.commands import palette_entries as command_entries

    run = app.run_line
    slash = [(e.title, e.help, partial(run, e.line)) for e in command_entries()]
    return [
        *slash,
        *_persona_entries(app),
        ("Toggle side panels", "Show or hide decision tree, checklist, workflow", app.action_toggle_panels),
        ("Toggle dark / light theme", "Switch between textual-dark and textual-light", app.action_toggle_dark),
        ("Help: keys and commands", "Every key and slash command", app.action_help),
    ]


def _persona_entries(app: CopilotApp) -> list[tuple[str, str, Callable[[], object]]]:
    """'Persona: pin devops' for each loaded persona, with its keywords and current score."""
    copilot = app._copilot
    if copilot is None:
        return []
    entries = []
    for info in copilot.persona_overview():
        words = ", ".join(info.keywords[:6]) or "no keywords"
        state = " · on" if info.active else ""
        entries.append((
            f"Persona: pin {info.name}",
            f"{info.title}{state} · score {info.score:g} · {words}",
            partial(app.run_line, f"/persona {info.name}"),
        ))
    return entries


class CopilotCommands(Provider):
    """Palette hits for the co-pilot's actions."""

    def _entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        # Duck-typed, not isinstance: importing the app here would make the two import each other.
        app = self.app
        return palette_entries(app) if hasattr(app, "copilot") else []  # type: ignore[arg-type]

    async def discover(self) -> Hits:
        for name, help_text, callback in self._entries():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
