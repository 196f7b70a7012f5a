"""The transcript's arithmetic (tui/transcript/layout.py), checked without Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agent.session.models import Message, Notice, SessionState
from tui.transcript.layout import (
    Box,
    edge_margin,
    estimated_rows,
    merged_entries,
    newest_start,
    pieces,
    rows_dropped_above,
    rows_taken,
    split_near,
    split_source,
    view_band,
)

ROOT = Path(__file__).resolve().parents[1]


def _message(i: int, role: str = "user", content: str = "hi", ts: str = "") -> Message:
    return Message(id=f"m{i}", role=role, content=content, ts=ts or f"2026-01-01T00:00:{i:02d}")


def test_the_layout_module_loads_without_textual() -> None:
    code = "import sys, tui.transcript.layout; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_entries_merge_in_order_and_same_millisecond_turns_keep_theirs() -> None:
    same = "2026-01-01T00:00:05"
    messages = [_message(1, ts=same), _message(2, "assistant", ts=same),
                _message(3, ts=same), _message(4, "assistant", ts=same)]
    early = Notice(text="early", ts="2026-01-01T00:00:01")
    tie = Notice(text="tie", ts=same)
    late = Notice(text="late", ts="2026-01-01T00:00:09")
    state = SessionState(id="s", messages=messages, timeline=[early, tie, late])
    merged = merged_entries(state)
    names = [getattr(e, "id", None) or e.text for e in merged]  # type: ignore[union-attr]
    # Questions and answers alternate as sent; an event at the same time goes after a
    # question and before its answer.
    assert names == ["early", "m1", "tie", "m2", "m3", "m4", "late"]


def test_estimated_rows_count_wrapped_lines_label_and_gap() -> None:
    assert estimated_rows(_message(1, content="short"), 80) == 1 + 2
    assert estimated_rows(_message(1, content="x" * 200), 80) == 3 + 2  # wraps twice
    assert estimated_rows(_message(1, content="a\nb\nc"), 80) == 3 + 2
    assert estimated_rows(Notice(text="a notice"), 80) == 1


def test_the_newest_screenful_is_mounted_and_a_short_session_whole() -> None:
    short = [_message(i) for i in range(10)]
    assert newest_start(short, rows=5, width=80, max_mounted=30, batch=5) == 0
    long = [_message(i, content="line") for i in range(100)]  # 3 rows each
    start = newest_start(long, rows=40, width=80, max_mounted=30, batch=5)
    assert start == 100 - 14  # 14 entries * 3 rows >= 40 rows
    # Never fewer than a batch, never more than the window.
    assert newest_start(long, rows=1, width=80, max_mounted=30, batch=5) == 95
    assert newest_start(long, rows=10_000, width=80, max_mounted=30, batch=5) == 70


def test_pieces_cut_after_a_newline_and_keep_every_character() -> None:
    text = "para one\n" * 30 + "x" * 500
    found = pieces(text, 100)
    assert "".join(found) == text
    assert all(len(p) <= 100 for p in found)
    assert all(p.endswith("\n") for p in found[:-6])  # lines end where a newline was near
    assert pieces("", 10) == []


def test_split_source_cuts_before_a_line() -> None:
    assert split_source("a\nb\nc\n", 2) == ("a\nb\n", "c\n")
    assert split_source("a\nb", 0) == ("", "a\nb")


def test_edge_margins_drop_only_the_outer_edges() -> None:
    assert edge_margin((1, 2, 1, 3), top=True, bottom=False) == (0, 2, 1, 3)
    assert edge_margin((1, 2, 1, 3), top=False, bottom=True) == (1, 2, 0, 3)
    assert edge_margin((1, 2, 1, 3), top=False, bottom=False) == (1, 2, 1, 3)


def test_rows_taken_collapse_adjoining_margins() -> None:
    # 3 rows + gap max(1, 2) + 4 rows + gap max(0, 1)
    assert rows_taken([Box(3, 0, 1), Box(4, 2, 0)], following=Box(5, 1, 0)) == 3 + 2 + 4 + 1
    assert rows_taken([Box(0, 0, 0)], following=Box(1)) == 1  # not laid out: one line


def test_rows_dropped_above_count_the_earlier_line_that_appears() -> None:
    dropped = [Box(3, 1, 1), Box(2, 1, 1)]
    kept = Box(4, 1, 1)
    earlier = Box(1, 1, 1)
    # Without the "earlier" line before: the dropped rows and their gaps, less the line
    # (with its gap) that now shows above the kept entry.
    moved = rows_dropped_above(dropped, kept, earlier=earlier, earlier_shown=False)
    assert moved == (1 + 3 + 1 + 2 + 1) - (1 + 1 + 1)
    # With it already shown: only the dropped entries' rows.
    assert rows_dropped_above(dropped, kept, earlier=earlier, earlier_shown=True) == 3 + 1 + 2 + 1


def test_frozen_pieces_split_around_the_band_near_the_view() -> None:
    band = view_band(100, 40)
    assert band == (80, 160)
    parts = [("a", 50), ("b", 40), ("c", 60), ("d", 30), ("e", 50)]  # rows 0, 50, 90, 150, 180
    before, near, after = split_near(parts, 0, band)
    assert [p[0] for p in before] == ["a"]
    assert [p[0] for p in near] == ["b", "c", "d"]
    assert [p[0] for p in after] == ["e"]
    assert split_near(parts, 0, None) == ([], parts, [])
