"""The transcript window: the session's entries, at most about `max_mounted` in the DOM.

It renders what the session says (SessionUpdates from tui/bridge.py, each entry looked up in
the SessionState by id); the only state it keeps is which entries are mounted. Older entries
wait in `_hidden` and newer ones in `_later`, mounted again when the reader scrolls to that
end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message as TMessage
from textual.widget import MountError, Widget
from textual.widgets import Static

from tui.bridge import SessionUpdate
from tui.compat import anchor_released
from tui.text import plain
from tui.transcript.layout import Box, merged_entries, newest_start, rows_dropped_above
from tui.transcript.message import MessageView, NoticeLine

if TYPE_CHECKING:
    # The session's models load with the co-pilot: a remembered first screen (see
    # tui/first_screen.py) shows this window before pydantic is imported.
    from agent.persona.models import Persona
    from agent.session.models import Message, SessionState
    from tui.text import TimelineEvent

    Entry = Message | TimelineEvent
WELCOME = (
    "Ask a backend question: APIs, databases, authentication, services.\n\n"
    "The backend persona switches on by itself when the talk turns to backend work "
    "(F3 pins it on or off). Its decision tree, checklist and workflow sit on the right "
    "(Ctrl+B) and follow the conversation.\n\n"
    "Type / for commands, Ctrl+P for the palette, F1 for every key."
)
TIMELINE_TYPES = ("activation", "phase", "checklist", "tree", "notice", "compact")


def _box(widget: Widget) -> Box:
    """A widget's size from the last layout (asking Textual for its region instead would
    make it arrange the whole screen again)."""
    margin = widget.styles.margin
    return Box(widget.outer_size.height, margin.top, margin.bottom)


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

    def on_resize(self) -> None:
        # Anchored: growth keeps the view at the bottom until the user scrolls away;
        # scrolling back to the bottom re-anchors (Textual's own near-bottom follow).
        # Only once the first layout has sized the window: Textual places an anchored
        # window's content as if the window were 0 rows tall until then, so the first frame
        # showed the welcome scrolled out of view. Until then the CSS (align bottom) puts a
        # short transcript where the anchor would.
        if not self.is_anchored:
            self.anchor()

    def _show_empty(self) -> None:
        self.query_one("#chat-empty").display = (
            not self._hidden and not self._later and not self.entry_widgets()
        )

    # -- entries ---------------------------------------------------------------------

    def _make(self, entry: Entry) -> Widget:
        from agent.session.models import Message

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
        following = self.is_anchored and not anchor_released(self)
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
        cut = newest_start(
            entries,
            rows=self.size.height or self.app.size.height,  # not laid out yet on start
            width=self.size.width or self.app.size.width,
            max_mounted=self.max_mounted, batch=self.batch,
        )
        self._hidden, self._later = entries[:cut], []
        widgets = [self._make(e) for e in entries[cut:]]
        if widgets:
            # One layout for them all: a mount resolves once each body's Markdown is built.
            with self.app.batch_update():
                await self.mount_all(widgets, before=self._later_line)
        if self._streaming is not None:  # its view was made again: it catches up from the start
            self._streaming = self._view_of(self._streaming.message.id)
            if self._streaming is not None:
                self._streaming.catch_up()
        self._show_ends()
        self.call_after_refresh(self._fill_screen)

    def show_no_session(self, hint: str = "") -> None:
        """The welcome alone, as a new session shows it (a remembered first screen, drawn
        before the session is loaded: tui/first_screen.py)."""
        self.show_welcome(hint)
        self._show_ends()

    def _show_ends(self) -> None:
        self._show_counts()
        self._show_empty()
        self.scroll_end(animate=False, immediate=False)

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
                gone = rows_dropped_above([_box(w) for w in drop], _box(keep),
                                          earlier=_box(self._earlier),
                                          earlier_shown=bool(self._earlier.display))
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
                await view.fit_parts_to_view()

    @on(MoreEntries.Pressed)
    async def _on_more_pressed(self, message: MoreEntries.Pressed) -> None:
        if isinstance(message.source, LoadLater):
            await self.load_later()
        else:
            await self.load_earlier()

    # -- live events -----------------------------------------------------------------

    @on(SessionUpdate)
    async def _on_session_update(self, update: SessionUpdate) -> None:
        """Each event's entry, looked up in the session's state by id and shown from it."""
        from agent.session.models import (
            AnswerDelta,
            AnswerFinished,
            AnswerStarted,
            MessageAdded,
            ToolCallFinished,
            ToolCallStarted,
        )

        touched: dict[str, MessageView] = {}  # streaming answers with new text
        for event in update.events:
            if isinstance(event, AnswerDelta):
                view = self._view_of(event.id)
                if view is not None:
                    touched[event.id] = view
            elif isinstance(event, MessageAdded | AnswerStarted):
                message = self.lookup(event.id)
                if message is None:
                    continue
                if message.role == "user":
                    await self.follow()  # a question sent: the newest comes into view
                view = self._make(message)
                await self.append([view])
                if isinstance(event, AnswerStarted):
                    self._streaming = view  # type: ignore[assignment]
                    touched[event.id] = view  # type: ignore[assignment]
            elif isinstance(event, AnswerFinished):
                touched.pop(event.id, None)
                await self._finish(event.id)
            elif isinstance(event, ToolCallStarted | ToolCallFinished):
                view = self._view_of(event.id)
                if view is not None:
                    view.catch_up()  # the text before the call first
                    await view.show_tools()
            elif getattr(event, "type", "") in TIMELINE_TYPES:
                await self.append([self._make(event)])
        for view in touched.values():
            view.catch_up()

    @property
    def writing_answer(self) -> bool:
        """An answer is still being written on screen: streaming, or (after a model faster
        than the screen) catching up with text the session already holds."""
        return self._streaming is not None

    def _view_of(self, message_id: str) -> MessageView | None:
        view = self._streaming
        if view is not None and view.message.id == message_id and view.parent is self:
            return view
        return next((v for v in self.message_views() if v.message.id == message_id), None)

    async def _finish(self, message_id: str) -> None:
        view = self._view_of(message_id)
        if view is not None:
            await view.finish()
        if view is self._streaming:
            self._streaming = None
        # Earlier long answers scrolled away while this one streamed: freeze their parts.
        self.call_after_refresh(self._fit_parts_to_view)

    async def follow(self) -> None:
        """Back to the newest entry and following it again, wherever the reader was (the
        anchor is let go when a message is focused or the view scrolled up)."""
        if self._later:
            mounted = [self._entry_of(w) for w in self.entry_widgets()]
            await self._show_newest([*self._hidden, *mounted, *self._later])
        self.anchor()
