"""The transcript: messages as Markdown, timeline events as quiet one-line notices.

It renders what the session says; the only state it keeps is which entries are mounted.
Long sessions keep a window of about `max_mounted` entries in the DOM; older ones wait in
`_hidden` and newer ones in `_later`, mounted again when the reader scrolls to that end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable

from rich.text import Text
from textual import on
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.geometry import Region, Spacing
from textual.message import Message as TMessage
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import MountError, Widget
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownBlock

from agent.persona.persona import Persona
from agent.session.models import (
    AnswerFinished,
    AnswerStarted,
    Message,
    MessageAdded,
    SessionState,
    ToolCallFinished,
    ToolCallRecord,
    ToolCallStarted,
)
from tui.cli import usage_line
from tui.text import TimelineEvent, clean, describe, one_line, plain
from tui.widgets.tools import ToolCallBlock, finished, record_from

Entry = Message | TimelineEvent
WELCOME = (
    "Ask a backend question: APIs, databases, authentication, services.\n\n"
    "The backend persona switches on by itself when the talk turns to backend work "
    "(F3 pins it on or off). Its decision tree, checklist and workflow sit on the right "
    "(Ctrl+B) and follow the conversation.\n\n"
    "Type / for commands, Ctrl+P for the palette, F1 for every key."
)
STATUS_CLASSES = ("streaming", "stopped", "interrupted", "error")  # shown as -streaming etc.
TIMELINE_TYPES = ("activation", "phase", "checklist", "tree", "notice")
# A streamed answer is split into parts of about this many blocks: every new line re-lays out
# only the open part, not the whole answer (one growing Markdown costs O(length) per frame).
SEAL_BLOCKS = 6
# Streamed text reaches the Markdown at most this often, in pieces of at most FLUSH_CHARS.
# Every flush is one layout and repaint of the screen (15-30 ms here), and a key pressed
# meanwhile waits for it: many small flushes keep keys answered within 50 ms even while a
# model streams at full speed (bench/bench_streaming.py), where few large ones took 100+ ms.
FLUSH_EVERY = 0.05
FLUSH_CHARS = 800
RETRY_HINT = "Ctrl+R or /retry tries again (your message is kept)."
# A message longer than this is shown in part, as plain text: parsing megabytes of Markdown
# (a large paste) blocks the UI for seconds. The session and exports keep the whole text.
PARTIAL_CHARS = 50_000


def _size(n_chars: int) -> str:
    return f"{n_chars // 1000} KB" if n_chars < 1_000_000 else f"{n_chars / 1_000_000:.1f} MB"


def partial_view(content: str, limit: int = PARTIAL_CHARS) -> Text | None:
    """The start of a huge message as plain text plus a note; None when it is not huge."""
    if len(content) <= limit:
        return None
    text = plain(content[:limit])
    text.append(
        f"\n… showing {_size(limit)} of {_size(len(content))}; "
        "the whole text is saved and in every export",
        style="dim italic",
    )
    return text


def merged_entries(state: SessionState) -> list[Entry]:
    """Messages and timeline events in the order they happened.

    Both lists are in order already; they are merged by time. Messages keep their own order
    even when their times are equal (times are in milliseconds, and two quick turns can share
    one); at equal times an event goes after a user's message and before an answer.
    """
    events = state.timeline
    merged: list[Entry] = []
    j = 0
    for message in state.messages:
        key = (message.ts, 0 if message.role == "user" else 2)
        while j < len(events) and (events[j].ts, 1) < key:
            merged.append(events[j])
            j += 1
        merged.append(message)
    merged.extend(events[j:])
    return merged


def estimated_rows(entry: Entry, width: int) -> int:
    """About how many rows an entry takes at this width, from its text alone (rarely more:
    long lines count as wrapped at the full width, Markdown decorations count nothing)."""
    if not isinstance(entry, Message):
        return 1
    width = max(20, width)
    text = entry.content[:PARTIAL_CHARS]
    lines = sum(len(line) // width + 1 for line in text.splitlines()) or 1
    return lines + 2  # the label line and the gap after the message


def _pieces(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size` characters, cut after a newline where there is one."""
    pieces = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size) + 1 or size
        pieces.append(text[:cut])
        text = text[cut:]
    if text:
        pieces.append(text)
    return pieces


def _trim(block: Widget, *, top: bool, bottom: bool) -> None:
    """A message's first block loses its top margin and its last block its bottom one.

    Set as inline rules, not classes: a class change re-applies the stylesheet to the block
    and everything in it (10 ms for a list). And a layout refresh without a repaint: a
    repaint asks for the block's region, which (for a block not laid out yet) makes Textual
    arrange every widget on the screen, 30 ms per entry mounted with a long transcript.
    """
    styles = block.styles
    before = styles.get_rule("margin")
    styles.clear_rule("margin")
    if top or bottom:
        margin = styles.margin
        styles.set_rule("margin", Spacing(
            0 if top else margin.top, margin.right, 0 if bottom else margin.bottom, margin.left,
        ))
    if styles.get_rule("margin") != before:
        block.refresh(layout=True, repaint=False)


def _rows_taken(widgets: list[Widget], following: Widget) -> int:
    """Rows these siblings take in a vertical layout, each with the gap after it (Textual
    collapses two adjoining margins into the larger one). From the sizes of the last layout:
    asking Textual for their regions instead would make it arrange the whole screen again."""
    rows = 0
    for widget, after in zip(widgets, [*widgets[1:], following], strict=True):
        height = widget.outer_size.height or 1  # not laid out yet: a one-line widget
        rows += height + max(widget.styles.margin.bottom, after.styles.margin.top)
    return rows


def _flush_top(block: Widget) -> bool:
    """A block with no top margin (paragraph, list, table, rule) may start a new part and
    look exactly as it will in the finished text (headers and code fences keep a gap)."""
    return block.styles.margin.top == 0


class MessageBody(Markdown):
    """A message's Markdown, or one part of a long streaming answer.

    It trims the outer margins of its first and last blocks itself (`_trim`) instead of CSS
    :first-child/:last-child, which would restyle every block on each streamed addition.
    """

    def __init__(self, markdown: str, *, continued: bool = False) -> None:
        super().__init__(markdown, classes="msg-body")
        self.continued = continued  # a later part of an answer: its first block is not first
        self.sealed_text: str | None = None  # set once the part is sealed
        self._edges: tuple[Widget | None, Widget | None] = (None, None)

    def update(self, markdown: str) -> AwaitComplete:
        done = super().update(markdown)

        async def then_mark() -> None:
            await done
            self._mark_edges()

        return AwaitComplete(then_mark())

    def append(self, markdown: str) -> AwaitComplete:
        done = super().append(markdown)

        async def then_mark() -> None:
            await done
            self._mark_edges()

        return AwaitComplete(then_mark())

    def _mark_edges(self) -> None:
        blocks = [c for c in self.children if isinstance(c, MarkdownBlock)]
        first = None if self.continued or not blocks else blocks[0]
        last = None if self.sealed_text is not None or not blocks else blocks[-1]
        old_first, old_last = self._edges
        self._edges = (first, last)
        for block in {old_first, old_last, first, last} - {None}:
            _trim(block, top=block is first, bottom=block is last)  # type: ignore[arg-type]

    def seal(self, text: str) -> None:
        """No more text comes to this part (`text` is its source); later parts follow it."""
        self.sealed_text = text
        self._mark_edges()


class FrozenPart(Widget):
    """Sealed parts of a long answer, out of view: their texts and heights, not their blocks.

    Every layout walks every widget in the DOM, so the blocks of parts nobody can see must
    not be there. Swapping the whole part (rather than emptying it) lets Textual free its
    blocks, and neighbouring frozen parts merge, so an answer far out of view is one widget.
    """

    def __init__(self, pieces: list[tuple[str, int]], *, continued: bool) -> None:
        super().__init__(classes="msg-body msg-frozen")
        self.pieces = pieces  # (sealed text, height at freezing) of each part, in order
        self.continued = continued
        self.styles.height = sum(height for _, height in pieces)

    @property
    def sealed_text(self) -> str:
        return "".join(text for text, _ in self.pieces)

    def merge(self, pieces: list[tuple[str, int]], *, at_start: bool = False) -> None:
        self.pieces = [*pieces, *self.pieces] if at_start else [*self.pieces, *pieces]
        self.styles.height = sum(height for _, height in self.pieces)


Part = MessageBody | FrozenPart


class MessageView(Vertical, can_focus=True):
    """One message: a label line (who, status) above its Markdown body."""

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
        self._live: MessageBody | None = None  # the open part of a streaming answer
        self._pending: list[str] = []  # streamed text not yet given to the Markdown
        self._flush_timer: Timer | None = None
        self._flush_lock = asyncio.Lock()
        self._fit_lock = asyncio.Lock()

    def compose(self):
        # The tool calls' box and the error line exist only when there is something to show:
        # most messages have neither, and every widget costs at each layout of the transcript.
        yield Static(self._label(), classes="msg-label")
        if self.message.tool_calls:
            yield self._tools_box()
        partial = partial_view(self.message.content)
        if partial is None:
            yield MessageBody(clean(self.message.content))
        else:
            yield Static(partial, classes="msg-body msg-partial")
        if self.message.error:
            yield Static(self._error_text(), classes="msg-error")

    def _tools_box(self) -> Vertical:
        """Tool calls sit between the label and the text: compact lines, Enter/click expands."""
        return Vertical(*(ToolCallBlock(r) for r in self.message.tool_calls), classes="msg-tools")

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
        }.get(m.status, "")
        if extra:
            text.append(extra, style="italic")
        if m.usage is not None and m.role == "assistant" and m.status != "streaming":
            text.append(f"  {usage_line(m.usage)}", style="dim")
        return text

    def _error_text(self) -> Text:
        if not self.message.error:
            return Text()
        text = plain(self.message.error)
        if self.message.status == "error":
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

    @property
    def tool_blocks(self) -> list[ToolCallBlock]:
        return list(self.query(ToolCallBlock))

    async def show_tools(self, records: list[ToolCallRecord]) -> None:
        """Blocks for these calls, matched by position (servers may reuse call ids per round)."""
        boxes = self.query(".msg-tools")
        if not boxes:
            if not records:
                return
            await self.mount(Vertical(classes="msg-tools"), after=self.query_one(".msg-label"))
            boxes = self.query(".msg-tools")
        tools = boxes.first(Vertical)
        blocks = self.tool_blocks
        for block, record in zip(blocks, records, strict=False):
            block.show(record)
        if len(records) > len(blocks):
            await tools.mount_all([ToolCallBlock(r) for r in records[len(blocks):]])
        self.message = self.message.model_copy(update={"tool_calls": list(records)})
        tools.display = bool(records)

    async def tool_event(self, event: ToolCallStarted | ToolCallFinished) -> None:
        """A call started (a new block) or finished (the newest running block with its id)."""
        records = list(self.message.tool_calls)
        if isinstance(event, ToolCallStarted):
            records.append(record_from(event))
        else:
            index = next((i for i in reversed(range(len(records)))
                          if records[i].call_id == event.call_id
                          and records[i].status == "running"), None)
            if index is None:
                return
            records[index] = finished(records[index], event)
        await self.show_tools(records)

    @property
    def shown_text(self) -> str:
        """The Markdown text on show, across all parts of a long answer."""
        return "".join(
            part.source if isinstance(part, MessageBody) and part.sealed_text is None
            else part.sealed_text or ""
            for part in self._parts()
        )

    def _parts(self) -> list[Part]:
        return [c for c in self.children if isinstance(c, MessageBody | FrozenPart)]

    def write(self, chunk: str) -> None:
        """Queue a streamed chunk; it is shown with the next flush (within FLUSH_EVERY)."""
        if self._live is None:
            self._live = self.query(MessageBody).last()
        self._pending.append(chunk)
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(FLUSH_EVERY, self._flush)

    async def _flush(self, *, everything: bool = False) -> None:
        """Append the queued text to the open part: FLUSH_CHARS now, the rest later (or all
        of it, piece by piece, when the answer is done: parts are sealed as they fill).

        This is `Markdown.append`, the engine of Textual's `MarkdownStream`, awaited here
        directly: the text is already batched, and one batch_update over the append and any
        sealing means one layout per flush instead of one per mounted block.
        """
        async with self._flush_lock:
            self._flush_timer = None
            pieces = _pieces(clean("".join(self._pending)), FLUSH_CHARS)
            self._pending.clear()
            if not everything and len(pieces) > 1:
                self._pending.append("".join(pieces[1:]))
                pieces = pieces[:1]
                self._flush_timer = self.set_timer(FLUSH_EVERY, self._flush)
            with self.app.batch_update():
                for piece in pieces:
                    live = self._live
                    if live is None:
                        return
                    await live.append(piece)
                    await self._seal(live)

    async def _seal(self, live: MessageBody) -> None:
        """Once the open part has SEAL_BLOCKS blocks, seal all but its last two: those start
        a new part. The cut is before the second-to-last block, never the last: the last one
        is still growing and may yet change kind (two backticks become a code fence)."""
        blocks = [c for c in live.children if isinstance(c, MarkdownBlock)]
        if len(blocks) < max(SEAL_BLOCKS, 3):
            return
        first_kept = blocks[-2]
        if first_kept.source_range is None or not _flush_top(first_kept):
            return
        lines = live.source.splitlines(keepends=True)
        cut = first_kept.source_range[0]
        await live.remove_children(blocks[-2:])
        live.seal("".join(lines[:cut]))
        part = MessageBody("", continued=True)
        await self.mount(part, after=live)
        self._live = part
        await part.append("".join(lines[cut:]))
        await self.fit_parts_to_view(keep_last=2)

    async def fit_parts_to_view(self, *, keep_last: int = 0) -> None:
        """Thaw the sealed parts near the view and freeze the ones far from it, so a long
        answer keeps only what can be seen in the DOM. `keep_last`: the newest parts of an
        answer still streaming, left as they are (the newest sealed one may be settling)."""
        async with self._fit_lock:  # a scroll and a seal may both ask at once
            parts = self._parts()
            for part in parts[: len(parts) - keep_last]:
                near = self._near_view(part)
                if isinstance(part, FrozenPart) and near:
                    await self._thaw(part)
                elif isinstance(part, MessageBody) and part.sealed_text is not None and not near:
                    await self._freeze(part)

    async def _freeze(self, part: MessageBody) -> None:
        if part.parent is not self or part.sealed_text is None:
            return
        if not part.outer_size.height:
            return  # not laid out yet: its height is not known, so it cannot keep its place
        piece = [(part.sealed_text, part.outer_size.height)]
        parts = self._parts()
        index = parts.index(part)
        above = parts[index - 1] if index > 0 else None
        below = parts[index + 1] if index + 1 < len(parts) else None
        with self.app.batch_update():
            if isinstance(above, FrozenPart):
                above.merge(piece)
                if isinstance(below, FrozenPart):
                    above.merge(below.pieces)
                    await below.remove()
            elif isinstance(below, FrozenPart):
                below.merge(piece, at_start=True)
                below.continued = part.continued
            else:
                await self.mount(FrozenPart(piece, continued=part.continued), after=part)
            await part.remove()

    async def _thaw(self, part: FrozenPart) -> None:
        """The pieces of a frozen part near the view get their blocks back; the rest stay
        frozen (before and after them)."""
        if part.parent is not self:
            return
        band = self._view_band()
        try:
            y = part.region.y
        except Exception:  # NoWidget: no geometry yet, so thaw it all
            band = None
            y = 0
        before: list[tuple[str, int]] = []
        near: list[tuple[str, int]] = []
        after: list[tuple[str, int]] = []
        for piece in part.pieces:
            height = piece[1]
            if band is not None and y + height <= band.y:
                before.append(piece)
            elif band is not None and y >= band.bottom:
                after.append(piece)
            else:
                near.append(piece)
            y += height
        if not near:
            return
        widgets: list[Widget] = []
        if before:
            widgets.append(FrozenPart(before, continued=part.continued))
        for i, (text, _) in enumerate(near):
            body = MessageBody(text, continued=part.continued or bool(before) or i > 0)
            body.seal(text)
            widgets.append(body)
        if after:
            widgets.append(FrozenPart(after, continued=True))
        with self.app.batch_update():
            await self.mount_all(widgets, after=part)
            await part.remove()

    def _view_band(self) -> Region | None:
        """The transcript on screen, grown by half its height above and below."""
        chat = self.parent
        if not isinstance(chat, Widget):
            return None
        view = chat.region
        margin = view.height // 2
        return view.grow((margin, 0, margin, 0))

    def _near_view(self, part: Widget) -> bool:
        """On screen, or within half a screen of it (scrolling shows text, not a gap)."""
        band = self._view_band()
        if band is None:
            return False
        try:
            return part.region.overlaps(band)
        except Exception:  # NoWidget: not laid out yet
            return True

    @property
    def has_parts(self) -> bool:
        """A long streamed answer, shown in parts (some of which may be frozen)."""
        return len(self._parts()) > 1

    _width = 0

    async def on_resize(self) -> None:
        # Frozen heights were measured at the old width: they stay as estimates until their
        # parts come into view and are laid out again (thawing all would render the whole
        # answer, seconds for a long one, on every toggle of the side panels).
        width, self._width = self._width, self.size.width
        if width and width != self.size.width and self.has_parts:
            await self.fit_parts_to_view(keep_last=2 if self._live is not None else 0)

    async def _replace_body(self, body: Widget) -> None:
        """The message's text shown by `body` alone (every part and partial view goes)."""
        old = [*self._parts(), *self.query(".msg-partial")]
        with self.app.batch_update():
            anchor = [c for c in self.children
                      if c.has_class("msg-tools") or c.has_class("msg-label")]
            await self.mount(body, after=anchor[-1])
            if old:
                await self.remove_children(old)

    async def finish(self, message: Message) -> None:
        """Stop streaming and show the final text with one full update of the open part.

        Sealed parts hold whole top-level blocks of the final text already (checked: their
        text must begin it); otherwise the whole message is rendered again from the text.
        """
        if self._flush_timer is not None:
            self._flush_timer.stop()
        await self._flush(everything=True)
        live, self._live = self._live, None
        self.message = message
        parts = self._parts()
        partial = partial_view(message.content)
        final = clean(message.content)
        sealed = "".join(part.sealed_text or "" for part in parts[:-1])
        if (partial is None and len(parts) > 1 and parts[-1] is live and live is not None
                and all(p.sealed_text is not None for p in parts[:-1])
                and final.startswith(sealed)):
            await live.update(final[len(sealed):])
        elif partial is None:
            if len(parts) == 1 and isinstance(parts[0], MessageBody):
                parts[0].sealed_text = None
                await parts[0].update(final)
            else:
                await self._replace_body(MessageBody(final))
        else:  # a huge answer: plain text in part instead of its Markdown
            await self._replace_body(Static(partial, classes="msg-body msg-partial"))
        await self.show_tools(message.tool_calls)
        self.status = message.status
        self.watch_status(message.status)
        if self.has_parts:
            await self.fit_parts_to_view()

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


class MoreEntries(Static, can_focus=True):
    """The affordance at one end of the mounted window: entries wait there to be loaded."""

    TEMPLATE = "{count} entries"

    class Pressed(TMessage):
        def __init__(self, source: MoreEntries) -> None:
            super().__init__()
            self.source = source

    shown: int | None = None  # the count on show (None: never shown)

    def show_count(self, count: int) -> None:
        if count != self.shown:
            # The same length of text keeps the same height: a repaint, not a layout.
            same_length = self.shown is not None and len(str(count)) == len(str(self.shown))
            self.shown = count
            self.update(Text(self.TEMPLATE.format(count=count)), layout=not same_length)
        self.display = count > 0

    def on_click(self) -> None:
        self.post_message(self.Pressed(self))

    def action_load(self) -> None:
        self.post_message(self.Pressed(self))


class LoadEarlier(MoreEntries):
    """At the top of a pruned transcript."""

    BINDINGS = [Binding("enter", "load", "Load earlier")]
    TEMPLATE = "↑ {count} earlier entries — scroll up or press Enter to load"


class LoadLater(MoreEntries):
    """At the bottom of a transcript scrolled far up: newer entries wait."""

    BINDINGS = [Binding("enter", "load", "Load newer")]
    TEMPLATE = "↓ {count} newer entries — scroll down or press Enter to load"


class ChatView(VerticalScroll):
    """The scrolling transcript: a window of mounted entries over the whole session.

    At most about `max_mounted` entries are in the DOM. Older ones wait in `_hidden`, newer
    ones (once the reader has scrolled far up) in `_later`; each side mounts a batch when
    the reader scrolls to its end, and the other side gives a batch back.
    """

    # It does not bubble: one dispatch, not five up to the app.
    class SessionEventMsg(TMessage, bubble=False):
        """A session event, routed here so transcript updates keep their order."""

        def __init__(self, event: object) -> None:
            super().__init__()
            self.event = event

    def __init__(
        self,
        persona: Persona | None,
        lookup: Callable[[str], Message | None],
        *,
        max_mounted: int = 30,
        batch: int = 5,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.persona = persona
        self.lookup = lookup
        self.max_mounted = max_mounted
        self.batch = batch
        self._hidden: list[Entry] = []
        self._later: list[Entry] = []
        self._streaming: MessageView | None = None
        self._early: list[str] = []  # chunks that came before their AnswerStarted was shown
        self._loading = False
        # The two ends of the window, kept at hand: a query for the last child walks every
        # block of every entry before it.
        self._earlier = LoadEarlier(id="load-earlier")
        self._later_line = LoadLater(id="load-later")

    def compose(self):
        yield self._earlier
        yield Static(Text(WELCOME), id="chat-empty")
        yield self._later_line

    def show_welcome(self, hint: str = "") -> None:
        """The welcome text, with one line on how to connect a model when none is."""
        text = Text(WELCOME)
        if hint:
            text.append("\n\n")
            text.append_text(plain(hint, "bold"))
        self.query_one("#chat-empty", Static).update(text)

    def on_mount(self) -> None:
        self._earlier.show_count(0)
        self._later_line.show_count(0)
        # Anchored: growth keeps the view at the bottom until the user scrolls away;
        # scrolling back to the bottom re-anchors (Textual's own near-bottom follow).
        self.anchor()

    def _show_empty(self) -> None:
        self.query_one("#chat-empty").display = (
            not self._hidden and not self._later and not self.entry_widgets()
        )

    # -- entries ---------------------------------------------------------------------

    def _make(self, entry: Entry) -> Widget:
        assert self.persona is not None, "load() a session first"
        if isinstance(entry, Message):
            return MessageView(entry, self.persona.name)
        return NoticeLine(entry, self.persona)

    def entry_widgets(self) -> list[Widget]:
        return [w for w in self.children if isinstance(w, MessageView | NoticeLine)]

    @property
    def hidden_count(self) -> int:
        return len(self._hidden)

    @property
    def later_count(self) -> int:
        return len(self._later)

    @staticmethod
    def _entry_of(widget: Widget) -> Entry:
        return widget.message if isinstance(widget, MessageView) else widget.event  # type: ignore[attr-defined]

    def message_views(self) -> list[MessageView]:
        # The direct children, not a query: a query walks every block of every entry, and
        # this runs after each scroll.
        return [w for w in self.children if isinstance(w, MessageView)]

    @property
    def at_bottom(self) -> bool:
        """The reader is at the end: following new text (anchored) or scrolled there."""
        following = self.is_anchored and not getattr(self, "_anchor_released", False)
        return following or self.max_scroll_y - self.scroll_y <= 1

    async def load(self, state: SessionState, persona: Persona) -> None:
        """Show a whole session (after start, /new or resume): only the newest entries."""
        self.persona = persona
        self._streaming = None
        await self._show_newest(merged_entries(state))

    async def _show_newest(self, entries: list[Entry]) -> None:
        await self.remove_children(MessageView)
        await self.remove_children(NoticeLine)
        # Only about a screenful is mounted now (its height estimated from the texts; more
        # are loaded below if that fell short): a resumed session paints its newest entries
        # without building older ones nobody sees yet, and every entry mounted costs in
        # each of the layouts Textual needs to settle new widgets.
        rows = self.size.height or self.app.size.height  # not laid out yet on start
        width = self.size.width or self.app.size.width
        cut = len(entries) if len(entries) > self.max_mounted // 2 else 0  # short: all of it
        filled = 0
        while cut > 0 and len(entries) - cut < self.max_mounted and (
                filled < rows or len(entries) - cut < self.batch):
            cut -= 1
            filled += estimated_rows(entries[cut], width)
        self._hidden, self._later = entries[:cut], []
        widgets = [self._make(e) for e in entries[cut:]]
        if widgets:
            # One layout for them all: a mount resolves once each body's Markdown is built.
            with self.app.batch_update():
                await self.mount_all(widgets, before=self._later_line)
        self._show_counts()
        self._show_empty()
        self.scroll_end(animate=False, immediate=False)
        self.call_after_refresh(self._fill_screen)

    async def _fill_screen(self) -> None:
        """Short entries that do not fill the screen: one more batch, checked again after
        the next layout (no scrolling up is possible while everything fits)."""
        if (self._hidden and self.size.height and self.virtual_size.height <= self.size.height
                and len(self.entry_widgets()) + self.batch <= self.max_mounted
                and await self.load_earlier()):
            self.call_after_refresh(self._fill_screen)

    def _show_counts(self, *, after_refresh: bool = False) -> None:
        """How many entries wait at each end. `after_refresh` (in a scroll step): only an
        end line that appears or goes is changed now, and the counts once the step is laid
        out (`_show_counts_near`), for the ends in view then. Updated sooner, an end line
        makes Textual arrange every widget on the screen once more (15-30 ms of a step with
        a full window); updated later, it is one line repainted."""
        for widget, count in ((self._earlier, len(self._hidden)),
                              (self._later_line, len(self._later))):
            if not after_refresh:
                widget.show_count(count)
            elif widget.display != (count > 0):
                widget.display = count > 0
        if after_refresh:
            self.call_after_refresh(self._show_counts_near)

    def _show_counts_near(self) -> None:
        """The count at an end the reader has come near is brought up to date (a load
        under way shows its own when it is done)."""
        if self._loading:
            return
        top = self.scroll_y < self.size.height
        bottom = self.scroll_y > self.max_scroll_y - self.size.height
        for widget, count, near in ((self._earlier, len(self._hidden), top),
                                    (self._later_line, len(self._later), bottom)):
            if near and widget.shown != count:
                widget.show_count(count)

    async def append(self, widgets: Iterable[Widget]) -> None:
        """Mount new entries. Following the bottom is the anchor's job (done at layout,
        so a reader who just scrolled up is never yanked back by a deferred scroll)."""
        widgets = list(widgets)
        if self._later:  # scrolled far up: the newest entries come back first, then these
            mounted = [self._entry_of(w) for w in self.entry_widgets()]
            await self._show_newest([*self._hidden, *mounted, *self._later])
        follow = self.at_bottom
        await self.mount_all(widgets, before=self._later_line)
        self._show_empty()
        if follow:
            await self._prune()

    async def _prune(self) -> None:
        """Drop the oldest entries from the DOM once there are too many (only at the bottom)."""
        mounted = self.entry_widgets()
        if len(mounted) <= self.max_mounted + self.batch:
            return
        drop = [w for w in mounted[: len(mounted) - self.max_mounted] if w is not self._streaming]
        self._hidden.extend(self._entry_of(w) for w in drop)
        await self.remove_children(drop)
        self._show_counts()

    async def load_earlier(self) -> int:
        """Mount the next batch of older entries above the current ones; keep the view still."""
        if not self._hidden or self._loading:
            return 0
        self._loading = True
        try:
            batch = self._hidden[-self.batch :]
            del self._hidden[-self.batch :]
            # The view stays on the entry the reader saw first: it moves down by exactly the
            # rows the new entries take (newer ones leaving at the bottom change nothing).
            # The new entries start where it started, unless the line above them goes (this
            # batch is the last): only then is its old place looked up, as that lookup makes
            # Textual arrange the whole screen once more.
            anchor = next(iter(self.entry_widgets()), None)
            last = not self._hidden  # nothing older left: the "earlier" line goes
            before = anchor.virtual_region.y if anchor is not None and last else None
            old_y = self.scroll_y
            widgets = [self._make(e) for e in batch]
            with self.app.batch_update():  # one layout for the whole step
                await self.mount_all(widgets, after=self._earlier)
                # Below the view, the newest entries give the DOM back as many (not while
                # an answer streams into the last one).
                mounted = self.entry_widgets()
                extra = len(mounted) - self.max_mounted
                if extra > 0 and self._streaming is None:
                    drop = mounted[-extra:]
                    self._later[:0] = [self._entry_of(w) for w in drop]
                    await self.remove_children(drop)
                self._show_counts(after_refresh=True)

            def keep_position() -> None:
                if anchor is not None and anchor.parent is self and widgets[0].parent is self:
                    start = widgets[0].virtual_region.y if before is None else before
                    moved = anchor.virtual_region.y - start
                    self.scroll_to(y=old_y + max(0, moved), animate=False, immediate=True)

            self.call_after_refresh(keep_position)
            return len(batch)
        finally:
            self._loading = False

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new != old:
            self.call_after_refresh(self._after_scroll)
        if new <= 0 < old and self._hidden:
            self.run_worker(self._quietly(self.load_earlier()), exclusive=True, group="load-earlier")
        elif new >= self.max_scroll_y > old and self._later:
            self.run_worker(self._quietly(self.load_later()), exclusive=True, group="load-later")

    @staticmethod
    async def _quietly(load: Awaitable[int]) -> None:
        """A load started by scrolling, run as a worker: when the app closes meanwhile, the
        transcript's children go first, and the load finds no place to mount (not an error)."""
        with contextlib.suppress(NoMatches, MountError):
            await load

    async def load_later(self) -> int:
        """Mount the next batch of newer entries below; the oldest mounted ones give the DOM
        back as many, and the view stays on the text the reader was looking at."""
        if not self._later or self._loading:
            return 0
        self._loading = True
        try:
            batch = self._later[: self.batch]
            del self._later[: self.batch]
            with self.app.batch_update():
                await self.mount_all([self._make(e) for e in batch],
                                     before=self._later_line)
            mounted = self.entry_widgets()
            extra = len(mounted) - self.max_mounted
            if extra > 0:
                drop, keep = mounted[:extra], mounted[extra]
                # The view goes back by as many rows as the first kept entry moves up, so
                # the text stays put: the rows the dropped ones took, less the "earlier"
                # line's if it appears now (after this, older entries wait above).
                earlier = self._earlier

                def top(first: Widget, *, with_earlier: bool) -> int:
                    if with_earlier:
                        return earlier.styles.margin.top + _rows_taken([earlier], first)
                    return first.styles.margin.top

                gone = (top(drop[0], with_earlier=bool(earlier.display)) + _rows_taken(drop, keep)
                        - top(keep, with_earlier=True))
                self._hidden.extend(self._entry_of(w) for w in drop)
                await self.remove_children(drop)
                if gone:
                    self.scroll_to(y=max(0, self.scroll_y - gone), animate=False,
                                   immediate=True)
            self._show_counts(after_refresh=True)
            self.call_after_refresh(self._more_if_at_bottom)
            return len(batch)
        finally:
            self._loading = False

    async def action_scroll_end(self) -> None:
        """End goes to the newest entry, also from far up, where newer entries wait outside
        the window (scrolling down brings them a batch at a time)."""
        if self._later:
            mounted = [self._entry_of(w) for w in self.entry_widgets()]
            await self._show_newest([*self._hidden, *mounted, *self._later])
        else:
            super().action_scroll_end()

    def _more_if_at_bottom(self) -> None:
        """Still at the bottom with newer entries waiting (the batch was short): the next."""
        if self._later and self.scroll_y >= self.max_scroll_y - 1:
            self.run_worker(self._quietly(self.load_later()), exclusive=True, group="load-later")

    async def _after_scroll(self) -> None:
        """Once a scroll is laid out: the end counts in view, and the parts of long answers
        thawed near the view and frozen away from it."""
        self._show_counts_near()
        await self._fit_parts_to_view()

    async def _fit_parts_to_view(self) -> None:
        for view in self.message_views():
            if view.has_parts:
                await view.fit_parts_to_view(keep_last=2 if view is self._streaming else 0)

    @on(MoreEntries.Pressed)
    async def _on_more_pressed(self, message: MoreEntries.Pressed) -> None:
        if isinstance(message.source, LoadLater):
            await self.load_later()
        else:
            await self.load_earlier()

    # -- live events -----------------------------------------------------------------

    @on(SessionEventMsg)
    async def _on_session_event(self, message: SessionEventMsg) -> None:
        event = message.event
        if isinstance(event, MessageAdded):
            entry = Message(
                id=event.id, role=event.role, content=event.content, ts=event.ts,
                persona_active=event.persona_active, phase=event.phase, status=event.status,
            )
            await self.append([self._make(entry)])
        elif isinstance(event, AnswerStarted):
            entry = Message(
                id=event.id, role="assistant", content="", ts=event.ts,
                persona_active=event.persona_active, phase=event.phase, status="streaming",
                provider=event.provider, model=event.model, persona=event.persona,
            )
            view = self._make(entry)
            assert isinstance(view, MessageView)
            await self.append([view])
            self._streaming = view
            for chunk in self._early:
                view.write(chunk)
            self._early.clear()
        elif isinstance(event, AnswerFinished):
            view = self._streaming
            if view is None or view.message.id != event.id:
                view = next((v for v in self.message_views() if v.message.id == event.id), None)
            final = self.lookup(event.id)
            if view is not None and final is not None:
                await view.finish(final)
            if view is self._streaming:
                self._streaming = None
            self._early.clear()
            # Earlier long answers scrolled away while this one streamed: freeze their parts.
            self.call_after_refresh(self._fit_parts_to_view)
        elif isinstance(event, ToolCallStarted | ToolCallFinished):
            await self._on_tool_event(event)
        elif getattr(event, "type", "") in TIMELINE_TYPES:
            await self.append([self._make(event)])  # type: ignore[arg-type]

    async def _on_tool_event(self, event: ToolCallStarted | ToolCallFinished) -> None:
        view = self._streaming
        if view is None or view.message.id != event.id:
            view = next((v for v in self.message_views() if v.message.id == event.id), None)
        if view is not None:
            await view.tool_event(event)

    def feed(self, text: str) -> None:
        """A streamed chunk, called by the answer worker (same event loop). Not a message:
        a fast model sends thousands of them, and one dispatch each cost seconds. Chunks that
        arrive before their AnswerStarted event has been handled wait for it."""
        if self._streaming is not None:
            self._streaming.write(text)
        else:
            self._early.append(text)
