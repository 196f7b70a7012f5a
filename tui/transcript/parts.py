"""The Markdown of one message, in parts: live ones (blocks mounted) and frozen ones (text
and height only), so a long answer keeps in the DOM only what can be seen."""

from __future__ import annotations

from textual.await_complete import AwaitComplete
from textual.geometry import Spacing
from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock

from tui.compat import growing_blocks
from tui.transcript.layout import Piece, edge_margin


def trim(block: Widget, *, top: bool, bottom: bool) -> None:
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
        styles.set_rule("margin", Spacing(*edge_margin(tuple(margin), top=top, bottom=bottom)))
    if styles.get_rule("margin") != before:
        block.refresh(layout=True, repaint=False)


def flush_top(block: Widget) -> bool:
    """A block with no top margin (paragraph, list, table, rule) may start a new part and
    look exactly as it will in the finished text (headers and code fences keep a gap)."""
    return block.styles.margin.top == 0


def blocks_of(body: Markdown) -> list[MarkdownBlock]:
    return [c for c in body.children if isinstance(c, MarkdownBlock)]


class MessageBody(Markdown):
    """A message's Markdown, or one part of a long streaming answer.

    It trims the outer margins of its first and last blocks itself (`trim`) instead of CSS
    :first-child/:last-child, which would restyle every block on each streamed addition.
    """

    BLOCKS = {**Markdown.BLOCKS, **growing_blocks()}

    def __init__(self, markdown: str, *, continued: bool = False) -> None:
        super().__init__(markdown, classes="msg-body")
        self.continued = continued  # a later part of an answer: its first block is not first
        self.sealed_text: str | None = None  # set once the part is sealed
        self.ends = False  # the message's last part: its last block is the message's last
        self._edges: tuple[Widget | None, Widget | None] = (None, None)

    def on_markdown_table_of_contents_updated(self, message: Markdown.TableOfContentsUpdated,
                                              ) -> None:
        # Posted after every append that brings a heading; nothing here shows a table of
        # contents, and each one travelled up to the App (about 100 per long answer).
        message.stop()

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
        blocks = blocks_of(self)
        first = None if self.continued or not blocks else blocks[0]
        last = None if (self.sealed_text is not None and not self.ends) or not blocks \
            else blocks[-1]
        old_first, old_last = self._edges
        self._edges = (first, last)
        for block in {old_first, old_last, first, last} - {None}:
            trim(block, top=block is first, bottom=block is last)  # type: ignore[arg-type]

    def seal(self, text: str, *, ends: bool = False) -> None:
        """No more text comes to this part (`text` is its source); later parts follow it,
        unless it `ends` the message (then it may be frozen like the others)."""
        self.sealed_text = text
        self.ends = ends
        self._mark_edges()


class FrozenPart(Widget):
    """Sealed parts of a long answer, out of view: their texts and heights, not their blocks.

    Every layout walks every widget in the DOM, so the blocks of parts nobody can see must
    not be there. Swapping the whole part (rather than emptying it) lets Textual free its
    blocks, and neighbouring frozen parts merge, so an answer far out of view is one widget.
    """

    def __init__(self, pieces: list[Piece], *, continued: bool, ends: bool = False) -> None:
        super().__init__(classes="msg-body msg-frozen")
        self.pieces = pieces  # (sealed text, height at freezing) of each part, in order
        self.continued = continued
        self.ends = ends  # its last piece is the message's last part
        self.styles.height = sum(height for _, height in pieces)

    @property
    def sealed_text(self) -> str:
        return "".join(text for text, _ in self.pieces)

    def merge(self, pieces: list[Piece], *, at_start: bool = False) -> None:
        self.pieces = [*pieces, *self.pieces] if at_start else [*self.pieces, *pieces]
        self.styles.height = sum(height for _, height in self.pieces)


Part = MessageBody | FrozenPart
