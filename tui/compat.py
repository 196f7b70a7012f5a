"""Every place this app reaches into Textual's private parts, in one file.

Each function or mixin below stands in for something Textual does not offer publicly (as of
Textual 8.2); the comment says what, and what to use instead once it does. When upgrading
Textual, this file is the list to check: tests/tui covers each use.
"""

from __future__ import annotations

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


def paint_now(app: Any) -> None:
    """Lay out and paint the screen at once, as Textual does on its next refresh (benches
    time a frame with it). `Screen._on_timer_update` is the refresh timer's callback."""
    app.screen._on_timer_update()


__all__ = [
    "SkipUnchangedSizes",
    "anchor_released",
    "paint_now",
    "remove_markdown_blocks",
    "replace_as_typed",
]
