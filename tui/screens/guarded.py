"""A modal that ignores type-ahead: keys that arrive just after it opens do nothing.

Why: a modal that asks for permission can open while the user is still typing their next
message. Without this, a `y` or an Enter meant for the prompt would answer the question.
Every key whose event was made less than GUARD_SECONDS after the modal mounted answers
nothing (keys queued before it opened are older still, so they are caught too); printable
ones go on into the prompt they were typed for (nothing typed is lost). Its buttons stay
disabled until the guard has passed, so a stray click does nothing either.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual import events
from textual.screen import ModalScreen
from textual.widgets import Button

ResultType = TypeVar("ResultType")


class GuardedModal(ModalScreen[ResultType]):
    GUARD_SECONDS: ClassVar[float] = 0.5
    # The button that gets the focus once the guard has passed: the safe answer.
    SAFE_BUTTON: ClassVar[str] = "#deny"

    _opened_at: float | None = None
    _armed: bool = False

    def on_mount(self, event: events.Mount) -> None:
        self._opened_at = event.time
        for button in self.query(Button):
            button.disabled = True
        self.set_timer(self.GUARD_SECONDS, self._arm)

    @property
    def armed(self) -> bool:
        """True once keys and clicks count."""
        return self._armed

    def _arm(self) -> None:
        self._armed = True
        for button in self.query(Button):
            button.disabled = False
        safe = self.query(self.SAFE_BUTTON)
        if safe:
            safe.first().focus()

    def _too_early(self, event: events.Event) -> bool:
        opened = self._opened_at
        return not self._armed or opened is None or event.time < opened + self.GUARD_SECONDS

    def on_key(self, event: events.Key) -> None:
        # Keys bubble from the focused widget to here before any binding runs (bindings are
        # checked by the app after the bubble), so stopping them here drops them entirely.
        if self._too_early(event):
            event.stop()
            event.prevent_default()
            # It was meant for the message being typed: it goes there, not into the answer.
            if event.is_printable and event.character:
                keep = getattr(self.app, "keep_typed", None)
                if keep is not None:
                    keep(event.character)
