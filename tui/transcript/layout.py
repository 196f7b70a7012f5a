"""The transcript's arithmetic, with no Textual in it: which entries to mount, how many rows
things take, where streamed text is cut and which frozen pieces come back near the view.

The widgets hand numbers in (heights and margins from the last layout) and act on the answer;
keeping the sums here lets tests check them without an app, and keeps the widgets short.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from agent.session.models import Message, SessionState
    from tui.text import TimelineEvent

    Entry = Message | TimelineEvent

# A message longer than this is shown in part, as plain text: parsing megabytes of Markdown
# (a large paste) blocks the UI for seconds. The session and exports keep the whole text.
PARTIAL_CHARS = 50_000


class Box(NamedTuple):
    """A widget in a vertical layout: its height and its top and bottom margins."""

    height: int
    top: int = 0
    bottom: int = 0


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
    from agent.session.models import Message  # loaded by then: entries come from a session

    if not isinstance(entry, Message):
        return 1
    width = max(20, width)
    text = entry.content[:PARTIAL_CHARS]
    lines = sum(len(line) // width + 1 for line in text.splitlines()) or 1
    return lines + 2  # the label line and the gap after the message


def newest_start(entries: Sequence[Entry], *, rows: int, width: int, max_mounted: int,
                 batch: int) -> int:
    """Where the mounted part of a session starts: about a screenful of its newest entries
    (at least one batch, at most `max_mounted`); a short session is mounted whole."""
    cut = len(entries) if len(entries) > max_mounted // 2 else 0
    filled = 0
    while cut > 0 and len(entries) - cut < max_mounted and (
            filled < rows or len(entries) - cut < batch):
        cut -= 1
        filled += estimated_rows(entries[cut], width)
    return cut


def pieces(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size` characters, cut after a newline where there is one."""
    found = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size) + 1 or size
        found.append(text[:cut])
        text = text[cut:]
    if text:
        found.append(text)
    return found


def split_source(source: str, line: int) -> tuple[str, str]:
    """Markdown source cut before a 0-based line: (the lines above, the rest)."""
    lines = source.splitlines(keepends=True)
    return "".join(lines[:line]), "".join(lines[line:])


def edge_margin(margin: tuple[int, int, int, int], *, top: bool,
                bottom: bool) -> tuple[int, int, int, int]:
    """A block's margin (top, right, bottom, left) with the outer edges of a message cut."""
    m_top, right, m_bottom, left = margin
    return (0 if top else m_top, right, 0 if bottom else m_bottom, left)


def rows_taken(boxes: Sequence[Box], following: Box) -> int:
    """Rows these siblings take in a vertical layout, each with the gap after it (Textual
    collapses two adjoining margins into the larger one). A box not laid out yet (height 0)
    counts as one line."""
    rows = 0
    for box, after in zip(boxes, [*boxes[1:], following], strict=True):
        rows += (box.height or 1) + max(box.bottom, after.top)
    return rows


def rows_dropped_above(dropped: Sequence[Box], kept: Box, *, earlier: Box,
                       earlier_shown: bool) -> int:
    """How far the first kept entry moves up when `dropped` (the entries above it) leave and
    the "earlier entries" line above them shows (it shows afterwards in any case)."""
    def top(first: Box, *, with_earlier: bool) -> int:
        if with_earlier:
            return earlier.top + rows_taken([earlier], first)
        return first.top

    return (top(dropped[0], with_earlier=earlier_shown) + rows_taken(dropped, kept)
            - top(kept, with_earlier=True))


def view_band(top: int, height: int) -> tuple[int, int]:
    """The rows (start, end) of the screen that count as near the view: the view itself,
    grown by half its height above and below."""
    margin = height // 2
    return top - margin, top + height + margin


Piece = tuple[str, int]  # a sealed part of an answer: its text and its height when frozen


def split_near(pieces_: Sequence[Piece], y: int,
               band: tuple[int, int] | None) -> tuple[list[Piece], list[Piece], list[Piece]]:
    """Frozen pieces starting at row `y`: (above the band, touching it, below it). With no
    band (no geometry yet) every piece counts as near."""
    before: list[Piece] = []
    near: list[Piece] = []
    after: list[Piece] = []
    for piece in pieces_:
        height = piece[1]
        if band is not None and y + height <= band[0]:
            before.append(piece)
        elif band is not None and y >= band[1]:
            after.append(piece)
        else:
            near.append(piece)
        y += height
    return before, near, after


def size_label(n_chars: int) -> str:
    return f"{n_chars // 1000} KB" if n_chars < 1_000_000 else f"{n_chars / 1_000_000:.1f} MB"
