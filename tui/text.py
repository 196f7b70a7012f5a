"""Turn untrusted strings into Rich Text, and session events into one-line notices.

Everything a model, a file or a user wrote goes through `plain`: escapes stripped and no
markup parsing, so `[bold red]x[/]` shows literally instead of turning red.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from agent.text import safe_text

# The header and the input use this module before the first paint, so the pydantic models
# (agent.persona.persona, agent.session.models) load only when a timeline event is described.
if TYPE_CHECKING:
    from agent.persona.persona import Persona
    from agent.session.models import (
        ActivationChanged,
        ChecklistChanged,
        Notice,
        PhaseChanged,
        TreeHighlighted,
    )

    TimelineEvent = (
        ActivationChanged | PhaseChanged | ChecklistChanged | TreeHighlighted | Notice
    )


def __getattr__(name: str) -> Any:
    """`TimelineEvent` on first use (PEP 562), so importing this module stays cheap."""
    if name == "TimelineEvent":
        from agent.session.models import (
            ActivationChanged,
            ChecklistChanged,
            Notice,
            PhaseChanged,
            TreeHighlighted,
        )

        return ActivationChanged | PhaseChanged | ChecklistChanged | TreeHighlighted | Notice
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def clean(s: str) -> str:
    """Escapes and control characters removed."""
    return safe_text(s)


def plain(s: str, style: str = "") -> Text:
    """A Text that shows `s` literally (no markup), escapes stripped."""
    return Text(safe_text(s), style=style)


def one_line(s: str, limit: int = 80) -> str:
    """First line of `s`, shortened with an ellipsis: for notices and labels."""
    s = " ".join(safe_text(s).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def item_label(persona: Persona, item_id: str) -> str:
    """'Authentication · JWT' for a checklist item id (read from the id if another persona's)."""
    for item in persona.all_checklist_items():
        if item.id == item_id:
            return f"{item.area} · {item.text}"
    parts = item_id.split("/")
    if len(parts) >= 3:  # checklist/area/item slugs, as agent.persona.persona builds them
        return f"{parts[-2].replace('-', ' ').capitalize()} · {parts[-1].replace('-', ' ')}"
    return item_id


def describe(event: TimelineEvent, persona: Persona) -> tuple[str, str]:
    """(icon, sentence) for a timeline event shown as a quiet line in the chat."""
    from agent.session.models import (
        ActivationChanged,
        ChecklistChanged,
        PhaseChanged,
        TreeHighlighted,
    )

    if isinstance(event, ActivationChanged):
        state = "on" if event.active else "off"
        how = {"auto": "auto", "on": "pinned on", "off": "pinned off"}[event.mode]
        why = f": {event.reason}" if event.reason else ""
        return ("◆" if event.active else "◇", f"Persona {event.persona} {state} ({how}){why}")
    if isinstance(event, PhaseChanged):
        role = f" — {event.role}" if event.role else ""
        before = f" (was {event.previous})" if event.previous else ""
        return ("▸", f"Phase: {event.phase}{role}{before}")
    if isinstance(event, ChecklistChanged):
        label = item_label(persona, event.item_id)
        if event.state == "done":
            return ("☑", f"Checked {label}")
        if event.state == "suggested":
            why = f" (from “{event.evidence}”)" if event.evidence else ""
            return ("☐", f"Suggested {label}{why}")
        return ("☐", f"Unchecked {label}")
    if isinstance(event, TreeHighlighted):
        how = "Chosen" if event.chosen else "Points to"
        words = f" (words: {', '.join(event.words)})" if event.words else ""
        return ("↳", f"{how} {event.recommendation}{words}")
    icon = {"info": "ℹ", "warning": "⚠", "error": "✖"}[event.level]
    return (icon, event.text)


def usage_line(usage: Any) -> str:
    """'tokens: 11 in · 7 out': the token counts of an answer (the CLI prints it on stderr,
    so piping the answer stays clean; the transcript shows it after the answer's label)."""
    def count(value: int | None) -> str:
        return "?" if value is None else str(value)

    return f"tokens: {count(usage.prompt_tokens)} in · {count(usage.completion_tokens)} out"
