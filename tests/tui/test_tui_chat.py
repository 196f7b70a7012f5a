"""The chat: sending, streaming, stopping, input behaviour, text safety, long sessions."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Markdown, Static
from tui_helpers import QUESTION, make_app, send, settle, toasts, until, views

from tui.transcript.message import MessageView
from tui.transcript.window import ChatView, LoadEarlier, LoadLater
from tui.widgets.composer import PromptHelp, PromptInput
from tui.widgets.header import CopilotHeader


async def small_window(pilot, app, *, questions: int) -> ChatView:
    """The transcript keeps 6 entries (batches of 3), after this many questions.

    The questions are on topic so each answer is a full playbook answer (taller than a few
    rows), as every offline answer was before answers followed the question: with answers
    of "no entry" size the 6 kept entries can fit the view, a case these tests do not cover.
    """
    await settle(pilot)
    chat = app.query_one(ChatView)
    chat.max_mounted, chat.batch = 6, 3
    for i in range(questions):
        await send(pilot, f"question {i} about the database schema and its indexes")
    return chat


async def test_send_streams_an_offline_answer_into_the_chat() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "How should I design pagination for a REST API?")
        user, answer = views(app, "user"), views(app, "assistant")
        assert [v.message.content for v in user] == ["How should I design pagination for a REST API?"]
        assert len(answer) == 1
        final = app.copilot.state.messages[-1]
        assert final.role == "assistant" and final.status == "complete" and final.content
        # The widget shows the final text from the session (one full update at the end).
        assert answer[0].shown_text == final.content
        assert app.query_one(PromptInput).text == ""


async def test_esc_stops_the_answer_and_keeps_the_partial_text() -> None:
    app = make_app(stream_delay=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, QUESTION, wait=False)
        for _ in range(500):  # until some of the answer has arrived
            await pilot.pause()
            msgs = app.copilot.state.messages
            if msgs[-1].role == "assistant" and len(msgs[-1].content) > 20:
                break
        assert app.busy
        await pilot.press("escape")
        await settle(pilot)
        last = app.copilot.state.messages[-1]
        assert last.status == "stopped"
        assert len(last.content) > 20
        view = views(app, "assistant")[-1]
        assert view.has_class("-stopped")
        assert "stopped" in str(view.query_one(".msg-label", Static).content)
        assert view.shown_text == last.content
        assert not app.busy


async def test_sending_while_answering_keeps_the_typed_text() -> None:
    # Slow enough that the answer is still being written after two sends (Esc ends it).
    app = make_app(stream_delay=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, QUESTION, wait=False)
        await pilot.pause()
        assert app.busy
        await send(pilot, "and what about caching?", wait=False)
        assert app.query_one(PromptInput).text == "and what about caching?"
        assert "Esc" in str(app.query_one(PromptHelp).content)
        await pilot.press("escape")
        await settle(pilot)
        assert [m.content for m in app.copilot.state.messages if m.role == "user"] == [QUESTION]


async def test_markup_in_content_shows_literally() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "[bold red]x[/] \x1b]52;c;ZXZpbA==\x07 api")
        title = app.query_one(CopilotHeader).query_one("#session-title", Static)
        assert "[bold red]x[/]" in str(title.content)
        assert "\x1b" not in str(title.content)
        body = views(app, "user")[0].query_one(Markdown).source
        assert "[bold red]x[/]" in body and "\x1b" not in body
        # A command hint echoes what was typed, literally.
        await send(pilot, "/check [bold red]x[/]")
        assert "[bold red]x[/]" in str(app.query_one(PromptHelp).content)


async def test_unknown_command_is_a_one_line_hint_and_keeps_the_text() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/frobnicate")
        assert app.query_one(PromptInput).text == "/frobnicate"
        assert "Unknown command" in str(app.query_one(PromptHelp).content)
        assert any("Unknown command" in t for t in toasts(app))
        assert len(app.screen_stack) == 1  # no dialog


async def test_input_newlines_history_and_completion() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt = app.query_one(PromptInput)
        prompt.focus()
        await pilot.press("a", "shift+enter", "b", "ctrl+j", "c")
        assert prompt.text == "a\nb\nc"
        await pilot.press("enter")
        await settle(pilot)
        assert prompt.text == ""
        await pilot.press("up")
        assert prompt.text == "a\nb\nc"
        await pilot.press("down", "down", "down")
        assert prompt.text == ""
        await pilot.press("slash", "p", "h")
        assert "/phase next" in str(app.query_one(PromptHelp).content)
        await pilot.press("tab")
        assert prompt.text == "/phase "
        await pilot.press("n", "tab")
        assert prompt.text == "/phase next"
        assert prompt.has_focus


async def test_copy_a_message_with_a_key() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "What is a good database index strategy?")
        answer = views(app, "assistant")[0]
        answer.focus()
        await pilot.press("c")
        assert app.clipboard == app.copilot.state.messages[-1].content


async def test_long_sessions_keep_only_the_newest_entries_mounted() -> None:
    app = make_app()
    app._max_mounted = 6
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await small_window(pilot, app, questions=6)
        assert len(chat.entry_widgets()) <= 6 + 3
        assert chat.hidden_count > 0
        assert app.query_one(LoadEarlier).display
        before = chat.hidden_count
        oldest = views(app, "user")[0].message.content
        chat.scroll_home(animate=False, immediate=True)
        await settle(pilot)
        assert chat.hidden_count < before
        texts = [v.message.content for v in views(app, "user")]
        assert texts[0] < oldest  # an older question came in at the top
        assert len(chat.entry_widgets()) <= 6 + 3


async def test_provider_error_is_one_line_on_the_message(refused_base_url: str) -> None:
    app = make_app(provider="openai", model="gpt-4o", base_url=refused_base_url,
                   api_key="sk-test-secret-123", max_retries=0, connect_timeout=2)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "openai · gpt-4o" in str(app.query_one("#provider", Static).content)
        await send(pilot, "How do I version a REST API?")
        answer = views(app, "assistant")[-1]
        assert answer.message.status == "error"
        error = str(answer.query_one(".msg-error", Static).content)
        assert error and "\n" not in error and "Traceback" not in error
        assert "sk-test-secret-123" not in error
        assert any(error[:20] in t for t in toasts(app))
        assert app.query_one(PromptInput).text == ""
        assert not app.busy


async def test_streaming_follows_the_bottom_only_when_the_user_is_there() -> None:
    app = make_app(stream_delay=0.04)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        chat = app.query_one(ChatView)
        await send(pilot, QUESTION)
        assert chat.max_scroll_y > 0
        assert chat.scroll_y == chat.max_scroll_y  # followed the answer while at the bottom
        await send(pilot, "And how do I store the sessions in the database?", wait=False)
        for _ in range(500):  # until the new answer shows some text
            await pilot.pause()
            answers = views(app, "assistant")
            if len(answers) == 2 and len(answers[-1].shown_text) > 10:
                break
        assert app.busy
        chat.scroll_to(y=3, animate=False, immediate=True)
        await settle(pilot)
        assert chat.scroll_y == 3  # the reader was left where they were
        assert chat.max_scroll_y > 3 and not chat.at_bottom
        chat.scroll_end(animate=False, immediate=True)
        await send(pilot, "What about rate limiting the API?")
        assert chat.scroll_y == chat.max_scroll_y  # back at the bottom: following again


async def test_a_resumed_long_session_mounts_one_screenful_first() -> None:
    from agent.copilot import Copilot
    from agent.session.journal import Session
    from tui.app import CopilotApp

    session = Session.create("backend")
    for i in range(300):
        session.add_user_message(f"q{i}", persona_active=False, phase="")
        answer_id = session.start_answer("offline", "", persona_active=False, phase="",
                                         persona="backend")
        session.append_chunk(answer_id, f"a{i}")
        session.finish(answer_id, "complete")
    session_id = session.id
    session.close()
    app = CopilotApp(
        copilot_factory=lambda: Copilot.start(cli={"provider": "offline"}, resume=session_id,
                                              strict=False),
        theme="textual-dark",
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chat = app.query_one(ChatView)
        mounted = len(chat.entry_widgets())
        # 600 entries: the newest ones fill the screen; the rest wait to be scrolled to.
        assert chat.virtual_size.height > chat.size.height
        assert mounted < chat.max_mounted
        assert chat.hidden_count == 600 - mounted
        assert views(app)[-1].message.content == "a299"


async def test_scrolling_far_up_keeps_a_window_and_comes_back_down() -> None:
    app = make_app()
    app._max_mounted = 6
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await small_window(pilot, app, questions=8)
        for _ in range(4):  # up to the oldest entries, a batch at a time
            first = chat.entry_widgets()[0]
            row = first.virtual_region.y  # its screen row (from the view's top) once at the top
            chat.scroll_home(animate=False, immediate=True)
            await settle(pilot)
            # The reader stays where they were: the entry they saw first has not moved, the
            # older ones came in above it (also when newer ones left the window below).
            assert first.parent is chat
            assert first.region.y - chat.content_region.y == row
        # The newest entries left the DOM as older ones came in: the window stays small.
        assert len(chat.entry_widgets()) <= 6
        assert chat.later_count > 0
        later = app.query_one(LoadLater)
        assert later.display
        # Near the bottom (not at it: nothing loads), the line there counts what waits below.
        chat.scroll_to(y=chat.max_scroll_y - 1, animate=False, immediate=True)
        await settle(pilot)
        assert chat.later_count > 0
        assert f"{chat.later_count} newer entries" in str(later.content)
        # Loading newer entries keeps the reader on the text they see: the last entry on
        # screen stays on its row while older ones leave the window above.
        chat.scroll_to(y=chat.max_scroll_y - 1, animate=False, immediate=True)
        await settle(pilot)
        last = chat.entry_widgets()[-1]
        row = last.region.y
        assert await chat.load_later()
        await settle(pilot)
        assert last.parent is chat and last.region.y == row
        for _ in range(8):  # back down to the newest
            chat.scroll_end(animate=False, immediate=True)
            await settle(pilot)
            if not chat.later_count:
                break
        assert chat.later_count == 0 and len(chat.entry_widgets()) <= 6
        texts = [v.message.content for v in views(app, "user")]
        assert texts[-1] == "question 7 about the database schema and its indexes"
        # Back near the top (not at it: nothing loads), the line there counts what waits above
        # it now, after the trip down sent entries back up.
        chat.scroll_to(y=1, animate=False, immediate=True)
        await settle(pilot)
        earlier = app.query_one(LoadEarlier)
        assert f"{chat.hidden_count} earlier entries" in str(earlier.content)
        # Scrolled far up again, sending a message brings the newest entries back with it.
        for _ in range(3):
            chat.scroll_home(animate=False, immediate=True)
            await settle(pilot)
        assert chat.later_count > 0
        await send(pilot, "one more about indexes")
        assert chat.later_count == 0
        texts = [v.message.content for v in views(app, "user")]
        assert texts[-2:] == ["question 7 about the database schema and its indexes", "one more about indexes"]


async def test_the_loaded_session_is_left_out_of_full_collections_until_the_app_closes() -> None:
    import gc

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # Frozen once the session is loaded: full collections no longer walk its messages.
        assert gc.get_freeze_count() > 0
    # Closed: everything it froze can be collected again (many apps run in one process).
    assert gc.get_freeze_count() == 0


def test_turns_in_the_same_millisecond_keep_their_order() -> None:
    from agent.session.models import Message, Notice, SessionState
    from tui.transcript.layout import merged_entries

    ts = "2026-11-25T06:00:00.000+00:00"
    turns = [Message(id=f"m{i}", role="user" if i % 2 == 0 else "assistant",
                     content=f"turn {i}", ts=ts) for i in range(4)]
    earlier = Notice(ts="2026-11-25T05:59:59.000+00:00", text="before everything")
    between = Notice(ts=ts, text="between a question and its answer")
    later = Notice(ts="2026-11-25T06:00:01.000+00:00", text="after everything")
    state = SessionState(id="s", messages=turns, timeline=[earlier, between, later])
    shown = [getattr(e, "content", None) or e.text for e in merged_entries(state)]
    assert shown == ["before everything", "turn 0", "between a question and its answer",
                     "turn 1", "turn 2", "turn 3", "after everything"]


async def test_end_goes_to_the_newest_entry_from_far_up() -> None:
    app = make_app()
    app._max_mounted = 6
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await small_window(pilot, app, questions=8)
        for _ in range(4):
            chat.scroll_home(animate=False, immediate=True)
            await settle(pilot)
        assert chat.later_count > 0
        chat.focus()
        await pilot.press("end")
        await settle(pilot)
        # One key, not a batch per key: the newest entry is mounted and on screen again.
        assert chat.later_count == 0
        assert views(app, "user")[-1].message.content == "question 7 about the database schema and its indexes"
        assert chat.scroll_y == chat.max_scroll_y
        assert chat.entry_widgets()[-1].region.overlaps(chat.region)


async def test_no_full_collection_while_the_transcript_still_writes_a_finished_answer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A model faster than the screen is done before the text is: the app is no longer busy,
    yet a full collection then (hundreds of ms) would stall the text still being written."""
    import asyncio
    import gc

    from tui.gc_pause import OVERDUE

    release = asyncio.Event()
    finish = MessageView.finish

    async def held_finish(self: MessageView) -> None:
        await release.wait()  # the transcript is still writing this answer
        await finish(self)

    monkeypatch.setattr(MessageView, "finish", held_finish)
    full: list[int] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt = app.query_one(PromptInput)
        prompt.load_text(QUESTION)
        prompt.move_cursor(prompt.document.end)
        # Enter as the terminal sends it (Pilot's press would wait for the held transcript).
        app._driver.send_message(events.Key("enter", None))
        chat = app.query_one(ChatView)
        for _ in range(2000):  # not pilot.pause: it waits for the held transcript
            await asyncio.sleep(0.01)
            if not app.busy and chat.writing_answer:
                break
        assert not app.busy and chat.writing_answer
        gc.callbacks.append(record)
        try:
            for _ in range(OVERDUE):
                gc.collect(1)  # so much garbage that a collection is overdue
            app._collect_if_idle()
            assert full == []
            release.set()
            for _ in range(2000):
                await pilot.pause(0.01)
                if not chat.writing_answer:
                    break
            app._collect_if_idle()
            assert full == [1]  # the answer is on screen: now it runs
        finally:
            gc.callbacks.remove(record)
            release.set()  # a failed check must not leave the app unable to close


async def test_an_answer_that_ends_normally_restyles_none_of_its_blocks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A class change restyles a widget and everything in it: an answer's end must not
    restyle its message (a long answer's blocks, hundreds of widgets, after the text is in)."""
    from textual.app import App

    restyled: list[object] = []
    update_styles = App.update_styles

    def recording(self: App, node, animate: bool = True) -> None:
        restyled.append(node)
        update_styles(self, node, animate)

    monkeypatch.setattr(App, "update_styles", recording)
    app = make_app(stream_delay=0.01)  # the answer is on screen while it streams
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, QUESTION, wait=False)
        await until(pilot, lambda: bool(views(app, "assistant"))
                    and views(app, "assistant")[-1].message.status == "streaming")
        answer = views(app, "assistant")[-1]
        await until(pilot, lambda: not app.busy and not app.query_one(ChatView).writing_answer)
        assert answer.message.status == "complete" and answer.message.content
    assert answer not in restyled


async def test_a_prompt_change_or_an_answer_ending_as_the_app_closes_raises_nothing() -> None:
    """While the app closes its screen goes first: a text change still on its way to the app,
    or an answer stopped by the closing, must not end the app with a traceback."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.query_one(PromptHelp).remove()  # as when the screen is taken down
        app.query_one(PromptInput).load_text("/he")  # its Changed reaches the app after
        app.busy = True
        app.busy = False
        await pilot.pause()
