"""Streaming Markdown into a message: `write()` pieces as they come, `finish()` with the text.

The shape of Textual's `MarkdownStream` (write, then stop), with what a long answer needs on
top: the text reaches the Markdown in small batches (FLUSH_EVERY, FLUSH_CHARS), the answer is
split into parts as it grows (only the open part is laid out again per flush), and parts far
from the view are frozen to their text and height (their blocks leave the DOM). See
docs/PERFORMANCE.md for why each of these is there and what it cost without it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.geometry import Region
from textual.timer import Timer
from textual.widget import MountError, Widget

from tui.compat import remove_markdown_blocks
from tui.text import clean
from tui.transcript.layout import Piece, pieces, split_near, split_source, view_band
from tui.transcript.parts import FrozenPart, MessageBody, Part, blocks_of, flush_top

if TYPE_CHECKING:
    from textual.widgets.markdown import MarkdownBlock

# A streamed answer is split into parts of about this many blocks: every new line re-lays out
# only the open part, not the whole answer (one growing Markdown costs O(length) per frame).
SEAL_BLOCKS = 6
# Sealing makes the open part's last two blocks again in the new part. It waits (up to
# SEAL_BLOCKS_MAX blocks) for a cut where those two are small, e.g. a paragraph and the next
# heading, not a table of 27 widgets: with the earliest cut, a 20k-token answer made 500
# widgets twice (bench/bench_streaming.py).
SEAL_BLOCKS_MAX = 3 * SEAL_BLOCKS
SEAL_CHEAP_WIDGETS = 4
# Streamed text reaches the Markdown at most this often, in pieces of at most FLUSH_CHARS.
# Every flush is one layout and repaint of the screen (15-30 ms here), and a key pressed
# meanwhile waits for it: many small flushes keep keys answered within 50 ms even while a
# model streams at full speed (bench/bench_streaming.py), where few large ones took 100+ ms.
FLUSH_EVERY = 0.05
FLUSH_CHARS = 800
# A model faster than the screen leaves text waiting (a local model, a fast server): then
# flushes come sooner and take a quarter of what waits (up to CATCH_UP_MAX), so the screen
# catches up instead of writing the rest at the end. Measured with bench/bench_streaming.py
# (20k tokens at full speed): the text left for the end fell from ~30 kB to ~2 kB and its
# final write from 2-3 s to 0.2-0.4 s; keys p95 stayed at 10-14 ms.
CATCH_UP_EVERY = 0.02
CATCH_UP_SHARE = 4
CATCH_UP_MAX = 3200
# While an answer streams, its newest parts stay as they are (the open one, and the one
# sealed last, which may still be settling).
STREAMING_KEEP = 2
# A fit that froze or thawed parts is checked again once laid out, at most this many times
# in a row.
MAX_REFITS = 3


def widgets_in(blocks: list[MarkdownBlock]) -> int:
    """How many widgets making `blocks` again would create."""
    return sum(1 + sum(1 for _ in block.walk_children()) for block in blocks)


def parts_of(host: Widget) -> list[Part]:
    return [c for c in host.children if isinstance(c, MessageBody | FrozenPart)]


def in_parts(host: Widget) -> bool:
    """Shown in parts: more than one, or one frozen part (a whole answer far from view)."""
    found = parts_of(host)
    return len(found) > 1 or any(isinstance(part, FrozenPart) for part in found)


class AnswerStream:
    """The Markdown parts of one message in `host` (its MessageView), written while it
    streams and kept fitted to the view afterwards (thawed near it, frozen away from it)."""

    def __init__(self, host: Widget) -> None:
        self.host = host
        self._live: MessageBody | None = None  # the open part while streaming
        self._pending: list[str] = []  # streamed text not yet given to the Markdown
        self._flush_timer: Timer | None = None
        self._flush_lock = asyncio.Lock()
        self._fit_lock = asyncio.Lock()
        self._refits = 0  # fits in a row that froze or thawed parts (at most MAX_REFITS)
        self.streaming = False

    # -- writing ---------------------------------------------------------------------------

    def write(self, text: str) -> None:
        """Queue streamed text; it is shown with the next flush (within FLUSH_EVERY)."""
        if not self.streaming:
            self.streaming = True
            bodies = [p for p in parts_of(self.host) if isinstance(p, MessageBody)]
            if not bodies:
                return  # the message is being taken down (the app closing): nothing to show
            self._live = bodies[-1]
        self._pending.append(text)
        if self._flush_timer is None and self.host.is_attached:
            self._flush_timer = self.host.set_timer(FLUSH_EVERY, self._flush)

    async def _flush(self, *, everything: bool = False) -> None:
        """Append the queued text to the open part: FLUSH_CHARS now, the rest later (or all
        of it, piece by piece, when the answer is done: parts are sealed as they fill).

        This is `Markdown.append`, the engine of Textual's `MarkdownStream`, awaited here
        directly: the text is already batched, and one batch_update over the append and any
        sealing means one layout per flush instead of one per mounted block.
        """
        async with self._flush_lock:
            self._flush_timer = None
            waiting = clean("".join(self._pending))
            size = max(FLUSH_CHARS, min(CATCH_UP_MAX, len(waiting) // CATCH_UP_SHARE))
            found = pieces(waiting, size)
            self._pending.clear()
            if not everything and len(found) > 1:  # behind the model: catch up
                self._pending.append("".join(found[1:]))
                found = found[:1]
                self._flush_timer = self.host.set_timer(CATCH_UP_EVERY, self._flush)
            # The app may close while a flush waits: then the parts have no place to mount.
            with self.host.app.batch_update(), contextlib.suppress(MountError, NoMatches):
                for piece in found:
                    live = self._live
                    if live is None or not live.is_attached:
                        return
                    await live.append(piece)
                    await self._seal(live)

    async def _seal(self, live: MessageBody) -> None:
        """Once the open part has SEAL_BLOCKS blocks, seal all but its last two: those start
        a new part. The cut is before the second-to-last block, never the last: the last one
        is still growing and may yet change kind (two backticks become a code fence)."""
        blocks = blocks_of(live)
        if len(blocks) < max(SEAL_BLOCKS, 3):
            return
        first_kept: MarkdownBlock = blocks[-2]
        if first_kept.source_range is None or not flush_top(first_kept):
            return
        if len(blocks) < SEAL_BLOCKS_MAX and widgets_in(blocks[-2:]) > SEAL_CHEAP_WIDGETS:
            return
        sealed, rest = split_source(live.source, first_kept.source_range[0])
        await remove_markdown_blocks(live, blocks[-2:])
        live.seal(sealed)
        part = MessageBody("", continued=True)
        await self.host.mount(part, after=live)
        self._live = part
        await part.append(rest)
        await self.fit_to_view()

    async def finish(self, final: str, *, replace: Widget | None = None) -> None:
        """Stop streaming and show `final` (the message's whole text) with one full update of
        the open part; `replace`: a widget to show instead of the Markdown (a huge answer).

        Sealed parts hold whole top-level blocks of the final text already (checked: their
        text must begin it); otherwise the whole message is rendered again from the text.
        """
        if self._flush_timer is not None:
            self._flush_timer.stop()
        await self._flush(everything=True)
        live, self._live = self._live, None
        self.streaming = False
        parts = parts_of(self.host)
        sealed = "".join(part.sealed_text or "" for part in parts[:-1])
        if (replace is None and len(parts) > 1 and parts[-1] is live and live is not None
                and all(p.sealed_text is not None for p in parts[:-1])
                and final.startswith(sealed)):
            await live.update(final[len(sealed):])
            # The last part is sealed too: out of view, it is frozen like the others (kept
            # whole, every finished long answer left 70-130 widgets for every later layout).
            live.seal(final[len(sealed):], ends=True)
        elif replace is None:
            if len(parts) == 1 and isinstance(parts[0], MessageBody):
                parts[0].sealed_text = None
                await parts[0].update(final)
            else:
                await self.replace_parts(MessageBody(final))
        else:
            await self.replace_parts(replace)
        if self.has_parts:
            await self.fit_to_view()

    async def replace_parts(self, body: Widget) -> None:
        """The message's text shown by `body` alone (every part and partial view goes)."""
        host = self.host
        old = [*parts_of(host), *host.query(".msg-partial")]
        with host.app.batch_update():
            anchor = [c for c in host.children
                      if c.has_class("msg-tools") or c.has_class("msg-label")]
            await host.mount(body, after=anchor[-1])
            if old:
                await host.remove_children(old)

    # -- what is on show ---------------------------------------------------------------------

    @property
    def shown_text(self) -> str:
        """The Markdown text on show, across all parts of a long answer."""
        return "".join(
            part.source if isinstance(part, MessageBody) and part.sealed_text is None
            else part.sealed_text or ""
            for part in parts_of(self.host)
        )

    @property
    def has_parts(self) -> bool:
        """A long streamed answer, shown in parts (some of which may be frozen)."""
        return in_parts(self.host)

    # -- freezing and thawing ----------------------------------------------------------------

    async def fit_to_view(self) -> None:
        """Thaw the sealed parts near the view and freeze the ones far from it, so a long
        answer keeps only what can be seen in the DOM. While it streams, its newest
        STREAMING_KEEP parts are left as they are (the newest sealed one may be settling)."""
        keep_last = STREAMING_KEEP if self._live is not None else 0
        async with self._fit_lock:  # a scroll and a seal may both ask at once
            changed = False
            found = parts_of(self.host)
            for part in found[: len(found) - keep_last]:
                if part.parent is not self.host:
                    continue  # merged into a frozen neighbour by this pass
                near = self._near_view(part)
                if isinstance(part, FrozenPart) and near:
                    await self._thaw(part)
                    changed = True
                elif isinstance(part, MessageBody) and part.sealed_text is not None and not near:
                    await self._freeze(part)
                    changed = True
        # Thawed text takes its real height, not the estimate it was frozen with, and a freeze
        # merges neighbours into a part with no place on screen yet: once laid out, what is
        # near the view is checked again (a part that came into view this way stayed frozen,
        # a blank gap, until the next scroll).
        # (Not while streaming: each seal fits the parts again anyway.)
        if changed and self._live is None and self._refits < MAX_REFITS:
            self._refits += 1
            self.host.call_after_refresh(self.fit_to_view)
        else:
            self._refits = 0

    async def refit_after_resize(self) -> None:
        """Frozen heights were measured at the old width: they stay as estimates until their
        parts come into view and are laid out again (thawing all would render the whole
        answer, seconds for a long one, on every toggle of the side panels)."""
        if self.has_parts:
            await self.fit_to_view()

    async def _freeze(self, part: MessageBody) -> None:
        host = self.host
        if part.parent is not host or part.sealed_text is None:
            return
        if not part.outer_size.height:
            return  # not laid out yet: its height is not known, so it cannot keep its place
        piece = [(part.sealed_text, part.outer_size.height)]
        found = parts_of(host)
        index = found.index(part)
        above = found[index - 1] if index > 0 else None
        below = found[index + 1] if index + 1 < len(found) else None
        with host.app.batch_update():
            if isinstance(above, FrozenPart):
                above.merge(piece)
                above.ends = part.ends
                if isinstance(below, FrozenPart):
                    above.merge(below.pieces)
                    above.ends = below.ends
                    await below.remove()
            elif isinstance(below, FrozenPart):
                below.merge(piece, at_start=True)
                below.continued = part.continued
            else:
                await host.mount(FrozenPart(piece, continued=part.continued, ends=part.ends),
                                 after=part)
            await part.remove()

    async def _thaw(self, part: FrozenPart) -> None:
        """The pieces of a frozen part near the view get their blocks back; the rest stay
        frozen (before and after them)."""
        host = self.host
        if part.parent is not host:
            return
        band = self._view_band()
        try:
            y = part.region.y
        except Exception:  # NoWidget: no geometry yet, so thaw it all
            band = None
            y = 0
        before, near, after = split_near(
            part.pieces, y, None if band is None else (band.y, band.bottom))
        if not near:
            return
        widgets: list[Widget] = []
        if before:
            widgets.append(FrozenPart(before, continued=part.continued))
        for i, (text, _) in enumerate(near):
            body = MessageBody(text, continued=part.continued or bool(before) or i > 0)
            body.seal(text, ends=part.ends and not after and i == len(near) - 1)
            widgets.append(body)
        if after:
            widgets.append(FrozenPart(after, continued=True, ends=part.ends))
        with host.app.batch_update():
            await host.mount_all(widgets, after=part)
            await part.remove()

    def _view_band(self) -> Region | None:
        """The transcript on screen, grown by half its height above and below."""
        chat = self.host.parent
        if not isinstance(chat, Widget):
            return None
        view = chat.region
        top, bottom = view_band(view.y, view.height)
        return Region(view.x, top, view.width, bottom - top)

    def _near_view(self, part: Widget) -> bool:
        """On screen, or within half a screen of it (scrolling shows text, not a gap)."""
        band = self._view_band()
        if band is None:
            return False
        try:
            return part.region.overlaps(band)
        except Exception:  # NoWidget: not laid out yet
            return True


__all__ = [
    "CATCH_UP_EVERY", "CATCH_UP_MAX", "CATCH_UP_SHARE", "FLUSH_CHARS", "FLUSH_EVERY",
    "SEAL_BLOCKS", "SEAL_BLOCKS_MAX", "SEAL_CHEAP_WIDGETS", "AnswerStream", "Piece", "in_parts",
    "parts_of",
]
