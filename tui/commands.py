"""The command palette (Ctrl+P): every action the app has, findable by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import CopilotApp


def palette_entries(app: CopilotApp) -> list[tuple[str, str, Callable[[], object]]]:
    """(name, help, callback) for each action; slash commands go through the Copilot."""
    run = app.run_line
    return [
        ("Export session as Markdown", "Write the whole session to a .md file", partial(run, "/export md")),
        ("Export session as JSON", "Write the whole session to a .json file", partial(run, "/export json")),
        ("Export session as HTML", "Write the whole session to an .html file", partial(run, "/export html")),
        ("Export a brief", "A short Markdown summary for a PR: decisions, open items, phase", partial(run, "/export brief")),
        ("New session", "Start a fresh conversation (this one stays saved)", partial(run, "/new")),
        ("Resume a session", "Open a saved session", app.action_sessions),
        ("Toggle side panels", "Show or hide decision tree, checklist, workflow", app.action_toggle_panels),
        ("Persona: automatic", "Let the keywords pick the persona and switch it on and off", partial(run, "/persona auto")),
        ("Persona: pin on", "Keep the persona shown now on", partial(run, "/persona on")),
        ("Persona: pin off", "Keep every persona off", partial(run, "/persona off")),
        ("Persona: list all", "Every loaded persona with its keywords and current score", partial(run, "/persona list")),
        *_persona_entries(app),
        ("Phase: next", "Move the workflow to the next phase", partial(run, "/phase next")),
        ("Phase: previous", "Move the workflow to the previous phase", partial(run, "/phase prev")),
        ("Retry the last message", "Ask the last question again", app.action_retry),
        ("Compact the conversation", "Send the model a digest of the older turns instead of them", partial(run, "/compact")),
        ("Undo the agent's file changes", "Put back the files the last answer changed (again: further back)", partial(run, "/undo")),
        ("List the server's models", "Show the models the server offers (/model NAME switches)", partial(run, "/model")),
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
        from tui.app import CopilotApp

        app = self.app
        return palette_entries(app) if isinstance(app, CopilotApp) else []

    async def discover(self) -> Hits:
        for name, help_text, callback in self._entries():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
