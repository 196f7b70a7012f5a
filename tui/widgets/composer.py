"""The input: a multi-line TextArea where Enter sends and slash commands complete."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Static, TextArea

from agent.text import safe_text
from tui.compat import replace_as_typed
from tui.text import plain

IDLE_HINT = "Enter send · Shift+Enter/Ctrl+J newline · ↑↓ history · / commands · F1 help"
DEFAULT_PLACEHOLDER = "Ask about APIs, databases, auth… or type / for commands"


def placeholder_for(keywords: list[str] | tuple[str, ...], title: str, *, bundled: bool) -> str:
    """The empty input's invitation in the shown persona's own terms (not backend's)."""
    if bundled:
        return DEFAULT_PLACEHOLDER
    if keywords:
        return f"Ask about {', '.join(safe_text(k) for k in keywords[:3])}… or type / for commands"
    return f"Ask {safe_text(title)} anything… or type / for commands"


def matching_commands(text: str, names: list[str]) -> list[str]:
    """Commands that start with what was typed (case-insensitive), in their given order."""
    if not text.startswith("/") or "\n" in text:
        return []
    typed = text.lower()
    return [n for n in names if n.lower().startswith(typed) and n.lower() != typed]


# A paste above either limit becomes a token in the input: a multi-megabyte TextArea makes
# every key slow, while the token expands to the whole text on Enter.
PASTE_TOKEN_CHARS = 20_000
PASTE_TOKEN_LINES = 200


def human_size(n_chars: int) -> str:
    """Characters as a short size ("812 B", "48 KB", "5.0 MB"), decimal units like the note."""
    if n_chars < 1000:
        return f"{n_chars} B"
    if n_chars < 1_000_000:
        return f"{n_chars // 1000} KB"
    return f"{n_chars / 1_000_000:.1f} MB"


def paste_token(number: int, text: str) -> str:
    """The compact stand-in shown in the input for a large paste."""
    lines = text.count("\n") + 1
    return f"[pasted text #{number} · {human_size(len(text))} · {lines} line{'s' * (lines != 1)}]"


class PromptInput(TextArea):
    """Enter sends; Shift+Enter or Ctrl+J add a line; ↑/↓ on the first/last line recall."""

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, commands: Callable[[], list[str]], *, id: str | None = None,
                 mentions: Callable[[str], list[str]] | None = None) -> None:
        super().__init__(
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            compact=True,
            placeholder=DEFAULT_PLACEHOLDER,
            id=id,
        )
        self._commands = commands
        self._mentions = mentions  # text ending in "@pa" -> whole texts with a file path
        self.sent_history: list[str] = []
        self._recall_index: int | None = None
        self._recall_draft = ""
        # token -> pasted text; kept for the widget's life so history recall and undo still
        # expand (a token the user edited no longer matches and simply stays typed text).
        self._pastes: dict[str, str] = {}
        self._last_submit: tuple[str, str] | None = None  # (expanded, as typed)

    def show_persona(self, keywords: list[str] | tuple[str, ...], title: str, *,
                     bundled: bool) -> None:
        wanted = placeholder_for(keywords, title, bundled=bundled)
        if self.placeholder != wanted:
            self.placeholder = wanted

    # -- large pastes ----------------------------------------------------------------

    def expanded(self, text: str | None = None) -> str:
        """The input's text (or `text`) with every intact paste token replaced by its paste."""
        text = self.text if text is None else text
        for token, pasted in self._pastes.items():
            if token in text:
                text = text.replace(token, pasted)
        return text

    async def on_paste(self, event: events.Paste) -> None:
        """Insert small pastes as text, large ones as a token; escapes are stripped first.
        (Runs before TextArea's own paste handling, which prevent_default skips.)"""
        # Stop here: a paste posted to this widget would otherwise bubble to the App, which
        # forwards unforwarded pastes to the focused widget, pasting it a second time.
        event.stop()
        event.prevent_default()
        if self.read_only:
            return
        text = safe_text(event.text)
        if len(text) > PASTE_TOKEN_CHARS or text.count("\n") >= PASTE_TOKEN_LINES:
            token = paste_token(len(self._pastes) + 1, text)
            self._pastes[token] = text
            text = token
        if result := replace_as_typed(self, text, *self.selection):
            self.move_cursor(result.end_location)
            self.focus()

    # -- completion ------------------------------------------------------------------

    def matches(self) -> list[str]:
        if self._mentions is not None and "@" in self.text and not self.text.startswith("/"):
            return self._mentions(self.text)
        return matching_commands(self.text, self._commands())

    def update_suggestion(self) -> None:
        found = self.matches()
        at_end = self.cursor_location == self.document.end
        self.suggestion = found[0][len(self.text) :] if found and at_end else ""

    def complete(self) -> bool:
        """Complete to the first matching command; True when something was inserted."""
        found = self.matches()
        if not found:
            return False
        target = found[0]
        if len(found) > 1:
            # Complete only the part every match shares, like a shell.
            prefix = found[0]
            for other in found[1:]:
                while not other.lower().startswith(prefix.lower()):
                    prefix = prefix[:-1]
            target = prefix if len(prefix) > len(self.text) else found[0]
        self.load_text(target)
        self.move_cursor(self.document.end)
        return True

    # -- history ---------------------------------------------------------------------

    def remember(self, text: str) -> None:
        """Keep a sent line for ↑ recall; a sent paste is kept as its token, not megabytes."""
        if self._last_submit is not None:
            full, typed = self._last_submit
            if text == full or text == full.strip():
                text = typed if text == full else typed.strip()
            self._last_submit = None
        if text.strip() and (not self.sent_history or self.sent_history[-1] != text):
            self.sent_history.append(text)
        self._recall_index = None

    def _recall(self, step: int) -> bool:
        if not self.sent_history:
            return False
        if self._recall_index is None:
            if step > 0:
                return False
            self._recall_draft = self.text
            index = len(self.sent_history) - 1
        else:
            index = self._recall_index + step
        if index >= len(self.sent_history):
            self._recall_index = None
            self.load_text(self._recall_draft)
        else:
            self._recall_index = max(0, index)
            self.load_text(self.sent_history[self._recall_index])
        self.move_cursor(self.document.end)
        return True

    def action_cursor_up(self, select: bool = False) -> None:
        if not select and self.cursor_at_first_line and self._recall(-1):
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        if not select and self.cursor_at_last_line and self._recall(+1):
            return
        super().action_cursor_down(select)

    # -- keys ------------------------------------------------------------------------

    async def on_key(self, event: events.Key) -> None:
        """Enter sends, Shift+Enter breaks the line, Tab completes; any other key goes on to
        TextArea's own handling (which runs after this unless prevent_default stops it)."""
        key = event.key
        if key == "enter":
            event.stop()
            event.prevent_default()
            if self.text.strip():
                full = self.expanded()
                self._last_submit = (full, self.text)
                self.post_message(self.Submitted(full))
            return
        if key in ("shift+enter", "ctrl+j", "alt+enter"):
            event.stop()
            event.prevent_default()
            start, end = self.selection
            replace_as_typed(self, "\n", start, end)
            return
        if key == "tab" and self.complete():
            event.stop()
            event.prevent_default()
            return


class PromptHelp(Static):
    """One line under the input: matching commands, a hint, or what is happening."""

    _shown: Text | None = None

    def _show(self, text: Text) -> None:
        # Every key typed lands here: an unchanged line is not redrawn, and a changed one
        # never needs a layout (always one row), which would re-lay out the whole screen.
        if text != self._shown:
            self._shown = text
            self.update(text, layout=False)

    def show_idle(self, busy: bool = False) -> None:
        hint = "answering… Esc stops · your text stays here" if busy else IDLE_HINT
        self._show(Text(hint, style="dim"))

    def show_matches(self, found: list[str]) -> None:
        text = Text.assemble(("Tab: ", "bold"))
        text.append_text(plain("  ".join(found[:8])))
        if len(found) > 8:
            text.append(f"  +{len(found) - 8} more", style="dim")
        self._show(text)

    def show_hint(self, message: str) -> None:
        self._show(plain(message))
