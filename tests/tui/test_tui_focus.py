"""Where keys and the view go: quitting mid-send, following new messages, typing anywhere."""

from __future__ import annotations

from textual import events
from tui_helpers import QUESTION, make_app, send, settle, views

from tui.transcript.window import ChatView
from tui.widgets.composer import PromptInput
from tui.widgets.panels import DecisionTreeView


def newest_in_view(app) -> bool:  # type: ignore[no-untyped-def]
    """The newest message's last row is on screen in the transcript."""
    chat = app.query_one(ChatView)
    last = views(app)[-1]
    region = last.region
    return bool(region.height) and chat.region.contains(region.x, region.bottom - 1)


async def _scroll_up_with_history(pilot, app) -> ChatView:  # type: ignore[no-untyped-def]
    await settle(pilot)
    for i in range(3):
        await send(pilot, f"{QUESTION} ({i})")
    chat = app.query_one(ChatView)
    assert chat.max_scroll_y > 10
    return chat


async def test_quitting_right_after_sending_is_clean() -> None:
    """Ctrl+Q while the answer's first pieces are on their way: no error, exit code 0."""
    for pauses in range(4):  # quit after 0..3 turns of the event loop
        app = make_app(stream_delay=0.01)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await send(pilot, QUESTION, wait=False)
            for _ in range(pauses):
                await pilot.pause()
            await pilot.press("ctrl+q")
        assert app.return_code == 0, f"after {pauses} pauses"


async def test_sending_after_focusing_a_message_brings_the_newest_into_view() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await _scroll_up_with_history(pilot, app)
        prompt = app.query_one(PromptInput)
        # Shift+Tab from the input to a message, `c` copies it, Tab goes back to the input.
        await pilot.press("shift+tab")
        focused = app.focused
        assert focused in views(app)
        await pilot.press("c")
        assert app.clipboard == focused.message.content
        await pilot.press("tab")
        await settle(pilot)
        assert prompt.has_focus
        await send(pilot, "And what about rate limiting?")
        assert views(app)[-1].message.role == "assistant"
        assert "rate limiting" in views(app, "user")[-1].message.content
        assert chat.scroll_y == chat.max_scroll_y
        assert newest_in_view(app)


async def test_asking_a_tree_branch_brings_the_newest_into_view() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await _scroll_up_with_history(pilot, app)
        chat.scroll_home(animate=False, immediate=True)
        await settle(pilot)
        tree = app.query_one(DecisionTreeView)
        tree.focus()
        tree.cursor_line = 1
        await pilot.press("enter")
        await settle(pilot)
        assert "REST" in views(app, "user")[-1].message.content
        assert views(app)[-1].message.status == "complete"
        assert chat.scroll_y == chat.max_scroll_y
        assert newest_in_view(app)


async def test_typing_outside_the_input_goes_to_the_input() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, QUESTION)
        prompt = app.query_one(PromptInput)
        views(app)[-1].focus()
        await pilot.pause()
        await pilot.press("w", "h", "y", "space", "n", "o", "t")
        assert prompt.has_focus
        assert prompt.text == "why not"
        # A key bound where the focus is keeps its meaning: `c` on a message copies it.
        views(app)[-1].focus()
        await pilot.press("c")
        assert prompt.text == "why not"
        assert app.clipboard == app.copilot.state.messages[-1].content
        # From a panel tree too.
        app.query_one(DecisionTreeView).focus()
        await pilot.press("exclamation_mark")
        assert prompt.has_focus and prompt.text == "why not!"
        # Keys that arrive in one burst (as a terminal delivers fast typing) all land there.
        views(app)[-1].focus()
        await pilot.pause()
        for char in " and cursors?":
            key = {" ": "space", "?": "question_mark"}.get(char, char)
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert prompt.text == "why not! and cursors?"


async def test_escape_returns_the_focus_to_the_input() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, QUESTION)
        prompt = app.query_one(PromptInput)
        for target in (views(app)[-1], app.query_one(DecisionTreeView)):
            target.focus()
            await pilot.pause()
            assert not prompt.has_focus
            await pilot.press("escape")
            assert prompt.has_focus
