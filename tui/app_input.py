"""The app's input: what the user types becomes an answer to stream, stopped or retried.

A mixin of CopilotApp (tui/app.py); here `self` is the app. The submit handler itself stays in
the app class (Textual takes @on(...) handlers only from there); this holds what it starts.
"""

from __future__ import annotations

import contextlib

from textual import events, work
from textual.css.query import NoMatches
from textual.widgets import TextArea

from tui.widgets.composer import PromptHelp, PromptInput


class AppInput:
    """CopilotApp's prompt: the answer worker, Esc and retry, and typing sent to the input."""

    def on_text_area_changed(self, event: PromptInput.Changed) -> None:
        if not isinstance(event.text_area, PromptInput):
            return
        found = event.text_area.matches()
        with contextlib.suppress(NoMatches):  # a change that reaches the app as it closes
            help_line = self.query_one(PromptHelp)
            if found:
                help_line.show_matches(found)
            else:
                help_line.show_idle(self.busy)

    def ask(self, text: str) -> bool:
        """Start an answer; False (with a hint) while another one is still being written."""
        if self.busy:
            self.query_one(PromptHelp).show_hint(
                "Still answering — press Esc to stop it, or wait. Your text stays here."
            )
            return False
        self.busy = True
        self._ask_worker = self._stream_answer(text)
        return True

    @work(group="ask", exclusive=True)
    async def _stream_answer(self, text: str | None) -> None:
        from agent.llm.base import StreamEnd

        try:
            # The answer's text reaches the transcript through the session (the bridge).
            stream = self.copilot.ask(text) if text is not None else self.copilot.retry()
            async for item in stream:
                if (
                    isinstance(item, StreamEnd)
                    and item.error is not None
                    and item.error.kind != "cancelled"
                ):
                    # An overflow fails the same way again: /compact or /new is the way on.
                    hint = "" if item.error.kind == "overflow" else (
                        " — Ctrl+R or /retry tries again.")
                    self.say(f"{item.error.message}{hint}", severity="error", timeout=8)
        finally:
            self.busy = False

    def _focus_input_for(self, event: events.Key) -> None:
        """Typing goes to the input wherever the focus is, unless the key means something
        there (`c` copies a focused message, space ticks a checklist item) or a text field
        has the focus; Esc brings the focus back to the input (and still stops an answer).

        Decided as each key arrives, before Textual hands it to the focused widget: keys
        that come in one burst (a fast typist, a paste-like send) all follow the first."""
        if self.screen is not self.screen_stack[0]:
            return  # a dialog's keys are its own
        from textual.widgets import Input  # first needed at the first key, not at first paint

        focused = self.focused
        if isinstance(focused, TextArea | Input):
            return
        if event.key == "escape" or (
                event.is_printable and event.key not in self.active_bindings):
            with contextlib.suppress(NoMatches):  # not composed yet, or closing
                self.screen.set_focus(self.query_one(PromptInput))

    def watch_busy(self, busy: bool) -> None:
        with contextlib.suppress(NoMatches):  # an answer stopped as the app closes
            self.query_one(PromptHelp).show_idle(busy)
            # On the input, not the app: a class on the app restyles every widget on the
            # screen, 0.5-1 s when a long answer's blocks are mounted (each answer ends by
            # clearing it).
            self.query_one(PromptInput).set_class(busy, "-busy")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.busy
        if action == "retry":
            return self.can_retry
        return True

    @property
    def can_retry(self) -> bool:
        """After an error or a stop (or a question left unanswered), not while answering."""
        if self._copilot is None or self.busy:
            return False
        messages = self.copilot.state.messages
        if not any(m.role == "user" for m in messages):
            return False
        last = messages[-1]
        return last.role == "user" or last.status in ("error", "stopped", "interrupted")

    def action_cancel(self) -> None:
        """Esc: stop the answer; the Copilot keeps the partial text marked 'stopped'."""
        if self._ask_worker is not None and self.busy:
            self._ask_worker.cancel()

    def action_retry(self) -> None:
        """Ctrl+R / F5 / `/retry`: answer the last message again; the user's text is kept."""
        if self._copilot is None or self.busy:
            return
        self.busy = True
        self._ask_worker = self._stream_answer(None)
