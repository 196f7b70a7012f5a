"""Untrusted text never carries terminal control sequences to the screen or an export."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.text import safe_text, strip_terminal_escapes

# Printable text: no control characters (Cc) and no surrogates (Cs); newlines and tabs allowed.
printable = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cc", "Cs")),
        st.sampled_from(["\n", "\t"]),
    )
)


@given(st.text())
def test_output_never_has_escape_or_nul(s: str) -> None:
    out = safe_text(s)
    assert "\x1b" not in out
    assert "\x00" not in out
    assert not any(0x80 <= ord(c) <= 0x9F for c in out)
    out.encode("utf-8")  # no lone surrogates left


@given(st.text())
def test_strip_is_idempotent(s: str) -> None:
    once = safe_text(s)
    assert safe_text(once) == once


@given(printable)
def test_printable_text_is_unchanged(s: str) -> None:
    assert strip_terminal_escapes(s) == s
    assert safe_text(s) == s


@given(printable, printable)
def test_sequences_are_removed_without_eating_text(a: str, b: str) -> None:
    assert strip_terminal_escapes(a + "\x1b[1;31m" + b + "\x1b[0m") == a + b


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b[2J\x1b[Hcleared", "cleared"),
        ("copy\x1b]52;c;ZWNobyBwd25lZA==\x07 done", "copy done"),
        ("copy\x1b]52;c;ZWNobyBwd25lZA==\x1b\\ done", "copy done"),
        ("\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"),
        ("\x1b]0;window title\x07text", "text"),
        ("\x1bPq#0;2;0;0;0\x1b\\after", "after"),
        ("\x1b_apc payload\x1b\\after", "after"),
        ("\x1b^pm payload\x1b\\after", "after"),
        ("\x1b(Bplain", "plain"),
        ("\x1bcreset", "reset"),
        ("lone\x1b", "lone"),
        ("a\x00b\x07c\x08d", "abcd"),
        ("\x9b31mC1 csi", "C1 csi"),
        ("x\x85y", "xy"),
        ("line1\r\nline2", "line1\nline2"),
        ("progress 10%\rprogress 90%", "progress 10%\nprogress 90%"),
        ("tab\there\nnext", "tab\there\nnext"),
        ("[bold red]x[/] <script>", "[bold red]x[/] <script>"),
    ],
)
def test_known_sequences(raw: str, expected: str) -> None:
    assert strip_terminal_escapes(raw) == expected


def test_unterminated_osc_keeps_following_lines() -> None:
    assert strip_terminal_escapes("\x1b]52;c;AAAA\nsecond line") == "\nsecond line"


def test_safe_text_replaces_lone_surrogates_and_joins_pairs() -> None:
    assert safe_text("a\ud800b") == "a\ufffdb"
    assert safe_text("\ud83d\ude00") == "\U0001f600"
