"""Every place this app reaches into Textual's private parts, in one file.

Each function or mixin below stands in for something Textual does not offer publicly (as of
Textual 8.2); the comment says what, and what to use instead once it does. When upgrading
Textual, this file is the list to check: tests/tui covers each use.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual.geometry import Size

if TYPE_CHECKING:
    from textual.await_remove import AwaitRemove
    from textual.document._edit import EditResult
    from textual.widget import Widget
    from textual.widgets import Markdown, TextArea
    from textual.widgets.markdown import MarkdownBlock


def anchor_released(widget: Widget) -> bool:
    """True once the reader scrolled an anchored widget away from its end.

    Textual keeps this as `Widget._anchor_released` (set by `release_anchor`, cleared when
    the view is back at the end) and offers only `is_anchored`, which stays True while the
    anchor is released. Upstream equivalent wanted: a public "is following" property.
    """
    return bool(getattr(widget, "_anchor_released", False))


def replace_as_typed(area: TextArea, text: str, start: Any, end: Any) -> EditResult | None:
    """Replace the text between `start` and `end` as if typed: one undoable edit that a
    read-only area refuses and that moves the cursor like typing.

    `TextArea.replace` is public but skips the read-only check and the typing path; Textual's
    own paste and key handling use `_replace_via_keyboard` for exactly this.
    """
    return area._replace_via_keyboard(text, start, end)


def remove_markdown_blocks(markdown: Markdown, blocks: Iterable[MarkdownBlock]) -> AwaitRemove:
    """Take a Markdown's last blocks out so their text can start a new Markdown.

    A Markdown's blocks are its own children, built by its parser; nothing public removes
    some of them. `MarkdownStream` has no way to split a growing document either, which a
    long answer needs (see tui/transcript/stream.py: sealing). The Markdown's source still
    holds their text; the part is sealed right after and never appended to again.
    """
    return markdown.remove_children(list(blocks))


class SkipUnchangedSizes:
    """A ScrollView mixin: no scrollbar update when its sizes have not changed.

    `ScrollView._size_updated` compares the widget's virtual size with the one the layout
    hands it (the viewport's), so a tree taller than its panel takes the "changed" path at
    every layout of the screen, and refreshing its scrollbar then makes Textual arrange every
    widget once more: 15-30 ms of each scroll step and each streamed flush with a long
    transcript (docs/PERFORMANCE.md). Upstream equivalent wanted: compare like with like.
    """

    _sizes_seen: tuple[Size, Size, Size] | None = None

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        sizes = (size, self.virtual_size, container_size)  # type: ignore[attr-defined]
        if sizes == self._sizes_seen:
            return False  # nothing moved: no scrollbar update, no Resize event
        self._sizes_seen = sizes
        return super()._size_updated(  # type: ignore[misc]
            size, virtual_size, container_size, layout)


class GrowsInPlace:
    """A Markdown list mixin: a streamed list that grows keeps the items it has on screen.

    `Markdown.append` parses the open block again with the new text and hands the fresh
    block to the mounted one's `_update_from_block`. Paragraphs, fences and tables update in
    place there; a list is removed and mounted again whole, on every flush while it is the
    last block (a four-item list is 17 widgets; 700 widgets made twice per 20k-token answer).
    Only the last item can have grown, since a new item closes the one before: that one is
    replaced and the new ones are mounted after it. When the bullets differ (an ordered list
    reaching 10 items widens every number) all items are made again, as upstream does.
    Upstream equivalent wanted: an in-place `MarkdownList._update_from_block`.
    """

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        if type(block) is not type(self):
            await super()._update_from_block(block)  # type: ignore[misc]
            return
        mounted = list(self.children)  # type: ignore[attr-defined]
        same_bullets = _first_bullet(mounted) == _first_symbol(block)  # before compose empties it
        fresh = list(block.compose())  # one Horizontal(bullet, Vertical(blocks)) per item
        keep = len(mounted) - 1 if same_bullets and 0 < len(mounted) <= len(fresh) else 0
        self._copy_context(block)  # type: ignore[attr-defined]
        await self.remove_children(mounted[keep:])  # type: ignore[attr-defined]
        await self.mount_all(fresh[keep:])  # type: ignore[attr-defined]


def _first_bullet(items: list[Widget]) -> str | None:
    from textual.widgets._markdown import MarkdownBullet

    first = items[0].children[0] if items and items[0].children else None
    return first.symbol if isinstance(first, MarkdownBullet) else None


def _first_symbol(block: MarkdownBlock) -> str | None:
    """The first item's bullet as `compose` will make it (Textual 8.2's rule; if upstream
    changes it, bullets never match and every item is made again: slower, never wrong)."""
    from textual.widgets._markdown import MarkdownListItem, MarkdownOrderedList

    items = [b for b in block._blocks if isinstance(b, MarkdownListItem)]
    if not items:
        return None
    if not isinstance(block, MarkdownOrderedList):
        return items[0].bullet
    try:
        start = int(items[0].bullet)
    except ValueError:
        start = 1
    width = max(len(f"{number}. ") for number in range(start, start + len(items)))
    return f"{start}. ".rjust(width + 1)


class HeadingInPlace:
    """A Markdown heading mixin: a heading still being streamed takes its new text in place
    (as upstream's paragraphs do) instead of being removed and mounted again. It keeps the id
    it was mounted with; nothing here uses the table of contents those ids serve."""

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        if type(block) is not type(self):
            await super()._update_from_block(block)  # type: ignore[misc]
            return
        self._copy_context(block)  # type: ignore[attr-defined]
        self.set_content(block._content)  # type: ignore[attr-defined]


@functools.cache
def growing_blocks() -> dict[str, type[MarkdownBlock]]:
    """Markdown.BLOCKS entries for lists that grow in place (`GrowsInPlace`) and headings that
    update in place (`HeadingInPlace`). Made on first use: Textual's Markdown module is not
    imported before the first message is shown."""
    from textual.widgets import _markdown as md

    class GrowingBulletList(GrowsInPlace, md.MarkdownBulletList):
        """A bullet list that keeps its items while a streamed answer adds to it."""

    class GrowingOrderedList(GrowsInPlace, md.MarkdownOrderedList):
        """A numbered list that keeps its items while a streamed answer adds to it."""

    headings = {
        f"h{level}": type(f"StreamedH{level}", (HeadingInPlace, base), {})
        for level, base in enumerate(
            (md.MarkdownH1, md.MarkdownH2, md.MarkdownH3, md.MarkdownH4, md.MarkdownH5,
             md.MarkdownH6), start=1)
    }
    return {"bullet_list_open": GrowingBulletList, "ordered_list_open": GrowingOrderedList,
            **headings}


def paint_now(app: Any) -> None:
    """Lay out and paint the screen at once, as Textual does on its next refresh (benches
    time a frame with it). `Screen._on_timer_update` is the refresh timer's callback."""
    app.screen._on_timer_update()


__all__ = [
    "GrowsInPlace",
    "HeadingInPlace",
    "SkipUnchangedSizes",
    "anchor_released",
    "growing_blocks",
    "paint_now",
    "remove_markdown_blocks",
    "replace_as_typed",
]
