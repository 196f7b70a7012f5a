"""One channel from the session to the screen: in order, pieces batched, and the transcript
showing what the saved session says."""

from __future__ import annotations

import asyncio
import threading

from tui_helpers import make_app, settle, views

from agent.session.journal import Session
from agent.session.models import (
    AnswerDelta,
    AnswerStarted,
    MessageAdded,
    Notice,
    ToolCallFinished,
    ToolCallStarted,
)
from tui.bridge import SessionBridge, SessionUpdate


async def test_pieces_are_batched_and_nothing_overtakes() -> None:
    posted: list[SessionUpdate] = []
    bridge = SessionBridge(posted.append, loop=asyncio.get_running_loop())
    bridge(AnswerStarted(id="a"))  # posted at once
    for text in ("one ", "two ", "three"):
        bridge(AnswerDelta(id="a", text=text))
    assert len(posted) == 1  # the pieces wait for company
    bridge(Notice(text="after the pieces"))  # takes the waiting pieces along, in order
    assert len(posted) == 2
    kinds = [type(e).__name__ for e in posted[1].events]
    assert kinds == ["AnswerDelta", "Notice"]
    assert posted[1].events[0].text == "one two three"
    bridge(AnswerDelta(id="a", text="more"))
    for _ in range(50):  # the waiting pieces go on their own, soon
        await asyncio.sleep(0.01)
        if len(posted) == 3:
            break
    assert len(posted) == 3 and posted[2].only_pieces
    assert posted[2].events[0].text == "more"


async def test_events_from_another_thread_are_posted_in_order() -> None:
    posted: list[SessionUpdate] = []
    bridge = SessionBridge(posted.append, loop=asyncio.get_running_loop())

    def from_a_thread() -> None:
        for i in range(20):
            bridge(Notice(text=str(i)))

    thread = threading.Thread(target=from_a_thread)
    thread.start()
    thread.join()
    texts = [e.text for update in posted for e in update.events]
    assert texts == [str(i) for i in range(20)]


async def test_tool_calls_on_screen_agree_with_the_saved_session() -> None:
    """Servers may reuse a call id; whichever call an end belongs to, the screen, the state
    and the session read back from its file show the same calls."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        session = app.copilot.session
        session.append(MessageAdded(id="q1", role="user", content="read two files"))
        answer = session.start_answer("offline", "", persona_active=False, phase="")
        session.append_chunk(answer, "Reading them now.\n\n")
        session.append(ToolCallStarted(id=answer, call_id="c1", name="read", summary="read a"))
        session.append(ToolCallStarted(id=answer, call_id="c1", name="read", summary="read b"))
        session.append(ToolCallFinished(id=answer, call_id="c1", status="ok",
                                        summary="read b, 3 lines"))
        # A second end for the reused id: the newest call with it takes it (the fold's rule).
        session.append(ToolCallFinished(id=answer, call_id="c1", status="error",
                                        summary="read failed"))
        await settle(pilot)

        def calls() -> tuple[list, list, list]:
            shown = [(b.record.summary, b.record.status) for b in views(app)[-1].tool_blocks]
            state = [(c.summary, c.status) for c in app.copilot.state.messages[-1].tool_calls]
            session.flush()
            saved = Session.open(session.path, read_only=True).state.messages[-1].tool_calls
            return shown, state, [(c.summary, c.status) for c in saved]

        # While the answer is still being written (a saved unfinished answer reads back as
        # interrupted, its running calls as stopped).
        shown, state, saved = calls()
        assert shown == state == [("read a", "running"), ("read failed", "error")]
        assert saved == [("read a", "cancelled"), ("read failed", "error")]
        session.append_chunk(answer, "Done.")
        session.finish(answer, "complete")
        await settle(pilot)
        shown, state, saved = calls()
        assert shown == state == saved == [("read a", "running"), ("read failed", "error")]
        assert views(app)[-1].shown_text == "Reading them now.\n\nDone."
