"""One entry of the transcript: a message (label, tool calls, Markdown, error line) or a
timeline event as one quiet line. Both show what the session holds; neither keeps state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from tui.text import clean, describe, one_line, plain
from tui.transcript.layout import PARTIAL_CHARS, size_label
from tui.widgets.tools import ToolCallBlock

if TYPE_CHECKING:  # the session's models load with the co-pilot, after the first screen
    from agent.persona.models import Persona
    from agent.session.models import Message, ToolCallRecord
    from tui.text import TimelineEvent
    from tui.transcript.stream import AnswerStream

# The Markdown parts and the streaming engine are imported when the first message is shown:
# they bring Textual's Markdown, markdown-it and pygments (about 45 ms), and the first screen
# of a new session shows no message at all (docs/PERFORMANCE.md, the whole first screen).

# Shown as -stopped etc. Not "streaming": no rule styles it, and a class change restyles the
# message and every block in it, so an answer's end restyled all its blocks for nothing.
STATUS_CLASSES = ("stopped", "interrupted", "error")
RETRY_HINT = "Ctrl+R or /retry tries again (your message is kept)."


def partial_view(content: str, limit: int = PARTIAL_CHARS) -> Text | None:
    """The start of a huge message as plain text plus a note; None when it is not huge."""
    if len(content) <= limit:
        return None
    text = plain(content[:limit])
    text.append(
        f"\n… showing {size_label(limit)} of {size_label(len(content))}; "
        "the whole text is saved and in every export",
        style="dim italic",
    )
    return text


class MessageView(Vertical, can_focus=True):
    """One message of the session: a label line (who, status) above its Markdown body.

    `message` is the session's own Message (the one fold keeps it up to date); a streaming
    answer shows its text through an AnswerStream, `written` characters of it so far.
    """

    BINDINGS = [Binding("c", "copy", "Copy message")]

    status: reactive[str] = reactive("complete", init=False)

    def __init__(self, message: Message, persona_name: str) -> None:
        # The status class and reactive are set here, not on mount: the label composed from
        # the message is already right, and updating it again on mount asks Textual for
        # the new widget's region, which arranges the whole screen once per entry mounted.
        status_class = f" -{message.status}" if message.status in STATUS_CLASSES else ""
        super().__init__(classes=f"message {message.role}{status_class}")
        self.set_reactive(MessageView.status, message.status)
        self.message = message
        self.persona_name = persona_name
        # A streaming answer starts empty and catches up with the session's text by writes.
        self.written = 0 if message.status == "streaming" else len(message.content)
        self._stream: AnswerStream | None = None
        # A copy of the calls on show: the session's records change in place as calls end.
        self._shown_tools: list[ToolCallRecord] = [r.model_copy() for r in message.tool_calls]

    def compose(self):
        # The tool calls' box and the error line exist only when there is something to show:
        # most messages have neither, and every widget costs at each layout of the transcript.
        yield Static(self._label(), classes="msg-label")
        if self._shown_tools:
            yield self._tools_box()
        content = self.message.content[: self.written]
        partial = partial_view(content)
        if partial is None:
            from tui.transcript.parts import MessageBody

            yield MessageBody(clean(content))
        else:
            yield Static(partial, classes="msg-body msg-partial")
        if self.message.error:
            yield Static(self._error_text(), classes="msg-error")

    def _tools_box(self) -> Vertical:
        """Tool calls sit between the label and the text: compact lines, Enter/click expands."""
        return Vertical(*(ToolCallBlock(r) for r in self._shown_tools), classes="msg-tools")

    def _label(self) -> Text:
        m = self.message
        if m.role == "user":
            text = Text.assemble(("You", "bold"))
        elif m.role == "system":
            text = Text.assemble(("System", "bold"))
        else:
            text = Text.assemble(("Co-pilot", "bold"))
            if m.persona_active:
                text.append(f" · {m.persona or self.persona_name}")
            if m.phase and m.persona_active:
                text.append(f" · {m.phase}")
        extra = {
            "streaming": "  answering… (Esc stops)",
            "stopped": "  ■ stopped",
            "interrupted": "  ■ interrupted",
            "error": "  ✖ error",
        }.get(self.status, "")
        if extra:
            text.append(extra, style="italic")
        if m.cut_at_length and self.status != "streaming":
            text.append("  ✂ cut at the length limit", style="italic")
        if m.usage is not None and m.role == "assistant" and self.status != "streaming":
            from agent.session.models import usage_line

            text.append(f"  {usage_line(m.usage)}", style="dim")
        return text

    def _error_text(self) -> Text:
        if not self.message.error:
            return Text()
        from agent.llm.context_budget import OVERFLOW_PREFIX

        text = plain(self.message.error)
        # An overflow is not helped by retrying: its own line says what does help.
        if self.status == "error" and not self.message.error.startswith(OVERFLOW_PREFIX):
            text.append(f" — {RETRY_HINT}", style="italic")
        return text

    def watch_status(self, status: str) -> None:
        for name in STATUS_CLASSES:
            self.set_class(status == name, f"-{name}")
        self.query_one(".msg-label", Static).update(self._label())
        errors = self.query(".msg-error")
        if errors:
            error = errors.first(Static)
            error.update(self._error_text())
            error.display = bool(self.message.error)
        elif self.message.error:
            self.mount(Static(self._error_text(), classes="msg-error"))

    # -- tool calls ------------------------------------------------------------------------

    @property
    def tool_blocks(self) -> list[ToolCallBlock]:
        return list(self.query(ToolCallBlock))

    async def show_tools(self) -> None:
        """The message's tool calls as the session folded them, matched by position (servers
        may reuse call ids per round); only the calls that changed are shown again."""
        records = self.message.tool_calls
        if records == self._shown_tools:
            return
        boxes = self.query(".msg-tools")
        if not boxes:
            await self.mount(Vertical(classes="msg-tools"), after=self.query_one(".msg-label"))
            boxes = self.query(".msg-tools")
        tools = boxes.first(Vertical)
        blocks = self.tool_blocks
        for block, record in zip(blocks, records, strict=False):
            if block.record != record:
                block.show(record.model_copy())
        if len(records) > len(blocks):
            await tools.mount_all([ToolCallBlock(r.model_copy()) for r in records[len(blocks):]])
        self._shown_tools = [r.model_copy() for r in records]
        tools.display = bool(records)

    # -- streamed text -----------------------------------------------------------------------

    @property
    def stream(self) -> AnswerStream:
        if self._stream is None:
            from tui.transcript.stream import AnswerStream

            self._stream = AnswerStream(self)
        return self._stream

    def catch_up(self) -> None:
        """Write what the session's text holds beyond what this view has been given."""
        content = self.message.content
        if len(content) > self.written:
            text, self.written = content[self.written:], len(content)
            self.stream.write(text)

    @property
    def shown_text(self) -> str:
        """The Markdown text on show, across all parts of a long answer."""
        return self.stream.shown_text

    @property
    def has_parts(self) -> bool:
        from tui.transcript.stream import in_parts

        return in_parts(self)

    async def fit_parts_to_view(self) -> None:
        await self.stream.fit_to_view()

    async def on_resize(self) -> None:
        width, self._width = self._width, self.size.width
        if width and width != self.size.width and self._stream is not None:
            await self._stream.refit_after_resize()

    _width = 0

    async def finish(self) -> None:
        """The answer ended: its final text (from the session) replaces the streamed one, and
        the label, tool calls and error line show how it ended."""
        message = self.message
        self.catch_up()
        final = clean(message.content)
        partial = partial_view(message.content)
        replace = None if partial is None else Static(partial, classes="msg-body msg-partial")
        if self._stream is not None or replace is not None or (
                self.shown_text != final):
            await self.stream.finish(final, replace=replace)
        await self.show_tools()
        self.status = message.status
        self.watch_status(message.status)

    def on_click(self) -> None:
        self.focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.message.content)
        self.app.notify("Message copied to the clipboard.", timeout=2)


class NoticeLine(Static):
    """A timeline event as one quiet line."""

    def __init__(self, event: TimelineEvent, persona: Persona) -> None:
        icon, sentence = describe(event, persona)
        text = Text.assemble((f"{icon} ", "bold"))
        text.append_text(plain(one_line(sentence, 160)))
        super().__init__(text, classes=f"notice notice-{event.type}")
        if event.type == "notice":
            self.add_class(f"-{event.level}")
        self.event = event


__all__ = ["MessageView", "NoticeLine", "partial_view"]
