"""Pilot helpers shared by the TUI tests: build the app on a real Copilot, wait for it."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tui.app import CopilotApp
from tui.transcript.message import MessageView
from tui.transcript.window import ChatView
from tui.widgets.composer import PromptInput

QUESTION = "Our REST API needs authentication and real-time notifications"


def make_copilot(**cli: Any):  # -> Copilot
    """A real Copilot answering with the offline playbook (no key, no network)."""
    from agent.copilot import Copilot

    return Copilot.start(cli={"provider": "offline", "stream_delay": 0, **cli})


def make_app(**cli: Any) -> CopilotApp:
    app = CopilotApp(copilot_factory=lambda: make_copilot(**cli), theme="textual-dark")
    record_toasts(app)
    return app


def record_toasts(app: CopilotApp) -> None:
    """Keep every toast's text: a live toast times out, and a loaded machine outruns it."""
    said: list[str] = []
    notify = app.notify

    def recording_notify(message: str, *args: Any, **kwargs: Any) -> None:
        said.append(str(message))
        notify(message, *args, **kwargs)

    app.notify = recording_notify  # type: ignore[method-assign]
    app._said_toasts = said  # type: ignore[attr-defined]


async def settle(pilot: Pilot, rounds: int = 400) -> None:
    """Until the copilot is attached and no answer is being written (bounded, not timed)."""
    app = pilot.app
    assert isinstance(app, CopilotApp)
    for _ in range(rounds):
        await pilot.pause()
        if app.ready and not app.busy:
            break
    await app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()


async def send(pilot: Pilot, text: str, *, wait: bool = True) -> None:
    """Put text in the input and press Enter, as a user would."""
    prompt = pilot.app.query_one(PromptInput)
    prompt.focus()
    prompt.load_text(text)
    prompt.move_cursor(prompt.document.end)
    await pilot.press("enter")
    if wait:
        await settle(pilot)


async def until(pilot: Pilot, condition: Any, rounds: int = 3000) -> None:
    """Pause until `condition()` holds; bounded by rounds, never by a timed assert."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.01)
    assert condition()


def views(app: CopilotApp, role: str | None = None) -> list[MessageView]:
    found = app.query_one(ChatView).message_views()
    return [v for v in found if role is None or v.message.role == role]


def toasts(app: CopilotApp) -> list[str]:
    said = getattr(app, "_said_toasts", None)
    return list(said) if said is not None else [n.message for n in app._notifications]
