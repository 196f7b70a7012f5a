"""Large pastes: a token in the input, the whole text on send, a partial view in the chat."""

from __future__ import annotations

from textual import events
from textual.widgets import Markdown, Static
from tui_helpers import make_app, settle, views

from agent.text import safe_text
from tui.transcript.layout import PARTIAL_CHARS
from tui.widgets.composer import PASTE_TOKEN_CHARS, PromptInput
from tui.widgets.panels import SidePanels

UNIT = "Our API handles \x1b]52;c;SGVsbG8=\x07 [bold red]x[/] payloads. "


async def paste(pilot, text: str) -> PromptInput:
    """Paste as a terminal would deliver it to the focused input."""
    prompt = pilot.app.query_one(PromptInput)
    prompt.focus()
    prompt.post_message(events.Paste(text))
    await pilot.pause()
    await pilot.pause()
    return prompt


async def test_a_5_mb_paste_is_a_token_sent_whole_and_shown_in_part() -> None:
    big = (UNIT * 90_000)[:5_000_000]
    expected = safe_text(big)
    assert "\x1b" not in expected and len(big) == 5_000_000
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt = await paste(pilot, big)
        # The input holds a short token, not megabytes (and the paste arrived once).
        assert prompt.text == "[pasted text #1 · 3.6 MB · 1 line]"
        assert prompt.expanded() == expected

        await pilot.press("enter")
        await settle(pilot)
        sent = [m for m in app.copilot.state.messages if m.role == "user"]
        assert len(sent) == 1
        assert sent[0].content == expected  # byte for byte, OSC 52 stripped
        assert "[bold red]x[/]" in sent[0].content
        assert prompt.text == ""

        # The chat shows the start as plain text with a note, not a 5 MB Markdown.
        (view,) = views(app, "user")
        assert not view.query(Markdown)
        shown = str(view.query_one(".msg-partial", Static).content)
        assert shown.startswith("Our API handles  [bold red]x[/] payloads.")
        assert "… showing 50 KB of 3.6 MB; the whole text is saved and in every export" in shown
        assert len(shown) < PARTIAL_CHARS + 200

        # The app still answers keys.
        panels = app.query_one(SidePanels)
        before = panels.display
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert panels.display is not before


async def test_a_small_paste_is_inserted_as_text_once_with_escapes_stripped() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt = await paste(pilot, UNIT * 3)
        assert prompt.text == safe_text(UNIT * 3)
        assert "[bold red]x[/]" in prompt.text and "\x1b" not in prompt.text


async def test_a_paste_of_many_short_lines_is_a_token_too() -> None:
    lines = "\n".join(f"row {i}" for i in range(300))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt = await paste(pilot, lines)
        assert prompt.text.startswith("[pasted text #1 · ") and "· 300 lines]" in prompt.text
        assert prompt.expanded() == lines


async def test_editing_the_token_drops_the_paste_and_history_recalls_it() -> None:
    big = "x" * (PASTE_TOKEN_CHARS + 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt = await paste(pilot, big)
        token = prompt.text
        await pilot.press("backspace")  # the token is no longer intact: no paste is sent
        assert prompt.expanded() == token[:-1]

        prompt.clear()
        await paste(pilot, big)
        prompt.insert("Review this: ", (0, 0))
        await pilot.press("enter")
        await settle(pilot)
        sent = [m.content for m in app.copilot.state.messages if m.role == "user"]
        assert sent == ["Review this: " + big]
        # ↑ recalls the token (not 20 KB in the input); it still expands to the whole text.
        await pilot.press("up")
        assert prompt.text == "Review this: [pasted text #2 · 20 KB · 1 line]"
        assert prompt.expanded() == "Review this: " + big
