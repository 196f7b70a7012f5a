"""The scrolling baseline: a bare Textual app keeping a window of Markdown entries.

Header, a VerticalScroll of Markdown widgets, Input and Footer, nothing else. It does what
the co-pilot's transcript does when the reader reaches the top of a long session: mount a
batch of older entries above the others, drop as many from the bottom, and scroll so the
text the reader was looking at stays put. It is the fastest way stock Textual has to do
that step, so the co-pilot's step is measured against it.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Input, Markdown


class BareTranscript(App[None]):
    def __init__(self, texts: list[str], *, window: int, batch: int) -> None:
        super().__init__()
        self.texts = texts
        self.window = window
        self.batch = batch
        self.first = max(0, len(texts) - window)  # index of the oldest mounted entry

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="transcript"):
            for text in self.texts[self.first:]:
                yield Markdown(text)
        yield Input(placeholder="Bare baseline input")
        yield Footer()

    async def load_earlier(self) -> None:
        """A batch of older entries on top, as many newer ones out, the view kept still."""
        view = self.query_one("#transcript", VerticalScroll)
        start = max(0, self.first - self.batch)
        texts, self.first = self.texts[start:self.first], start
        anchor = view.children[0] if view.children else None  # the entry the reader saw first
        old_y = view.scroll_y
        added = [Markdown(t) for t in texts]
        with self.batch_update():
            await view.mount_all(added, before=0)
            extra = len(view.children) - self.window
            if extra > 0:
                await view.remove_children(list(view.children)[-extra:])

        def keep_position() -> None:
            # The new entries start where the anchor did: it moved down by their rows.
            if anchor is not None and anchor.parent is view and added:
                moved = anchor.virtual_region.y - added[0].virtual_region.y
                view.scroll_to(y=old_y + max(0, moved), animate=False, immediate=True)

        view.call_after_refresh(keep_position)


def entries_from(make_question: Callable[[int], str], make_answer: Callable[[int], str],
                 pairs: int) -> list[str]:
    """The same texts the co-pilot's session holds: question, answer, question, ..."""
    texts: list[str] = []
    for i in range(pairs):
        texts += [make_question(i), make_answer(i)]
    return texts
