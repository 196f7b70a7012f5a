"""A long answer streamed from a real model: split into parts while it streams, the parts out
of view frozen, and in the end it reads exactly as the same text rendered in one piece."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from oai_server import OAIServer, text
from textual.pilot import Pilot
from textual.widgets.markdown import MarkdownBlock
from tui_helpers import until

from agent.copilot import Copilot
from tui.app import CopilotApp
from tui.transcript.message import MessageView
from tui.transcript.parts import FrozenPart, MessageBody
from tui.transcript.stream import parts_of
from tui.transcript.window import ChatView

SIZE = (100, 30)


def long_answer(sections: int = 24) -> str:
    parts = []
    for n in range(1, sections + 1):
        parts.append(
            f"## Part {n}: caching\n\n"
            f"Cache the **orders** page {n} for thirty seconds and invalidate it on write; "
            "the `ETag` header lets clients skip unchanged pages.\n\n"
            f"- key by `(tenant, page {n})`\n- store in Redis\n\n"
            f"```python\nrows = db.fetch(after=cursor_{n}, limit=50)\n```\n\n"
            f"| option | p95 |\n|---|---|\n| redis | {n} ms |\n| none | {n * 9} ms |\n\n"
        )
    return "".join(parts)


def app_for(server: OAIServer, monkeypatch: pytest.MonkeyPatch, resume: str | None = None,
            ) -> CopilotApp:
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    # The answer is long on purpose: room for it (the server obeys max_tokens, as real ones do).
    server.n_ctx = 32768
    cli: dict[str, Any] = {"provider": "custom", "base_url": server.base_url,
                           "model": "test-model", "max_retries": 0, "max_tokens": 4096}
    return CopilotApp(
        copilot_factory=lambda: Copilot.start(cli=cli, resume=resume, strict=False),
        theme="textual-dark",
    )




def answer_view(app: CopilotApp) -> MessageView:
    return [v for v in app.query_one(ChatView).message_views()
            if v.message.role == "assistant"][-1]


async def top_of_chat(app: CopilotApp, pilot: Pilot, *, end: bool = False) -> list[str]:
    """The transcript's lines on screen after scrolling to the very top (or `end`), as plain
    text, and its whole height."""
    chat = app.query_one(ChatView)
    if end:
        chat.scroll_end(animate=False, immediate=True)
    else:
        chat.scroll_home(animate=False, immediate=True)
    for _ in range(10):
        await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    region = chat.region
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    # The last line is the transcript's whole height: a seam that adds or drops a blank line
    # anywhere in the answer moves the scrollbar's thumb, which is in these lines too.
    return [line[region.x:region.right] for line in lines[region.y:region.bottom]] + [
        f"height {chat.virtual_size.height}"]


async def test_a_long_streamed_answer_is_frozen_out_of_view_and_reads_as_one(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    answer = long_answer(sections=36)
    oai_server.script(text(answer, chunks=400, delay=0.004))
    app = app_for(oai_server, monkeypatch)
    frozen_while_streaming = False
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.ready)
        prompt = app.query_one("#prompt")
        prompt.load_text("How should the orders API cache its pages?")
        await pilot.press("enter")
        await until(pilot, lambda: app.busy)

        def streamed_and_frozen() -> bool:
            nonlocal frozen_while_streaming
            views = [v for v in app.query_one(ChatView).message_views()
                     if v.message.role == "assistant"]
            if views and app.busy and any(isinstance(c, FrozenPart) for c in views[-1].children):
                frozen_while_streaming = True
            return frozen_while_streaming or not app.busy

        await until(pilot, streamed_and_frozen)
        # The parts above the screen had left the DOM while the answer streamed.
        assert frozen_while_streaming
        await until(pilot, lambda: not app.busy and not app.query_one(ChatView).writing_answer)
        view = answer_view(app)
        assert app.copilot.state.messages[-1].content == answer
        parts = [c for c in view.children if isinstance(c, MessageBody | FrozenPart)]
        # The parts far from the view are frozen and merged: a few widgets, not one per part.
        frozen = [p for p in parts if isinstance(p, FrozenPart)]
        assert len(parts) <= 4 and sum(len(p.pieces) for p in frozen) > 3
        # Nothing lost or doubled at the seams: the parts hold the answer, in order.
        assert view.shown_text == answer
        streamed_top = await top_of_chat(app, pilot)
        # Its last part left the DOM too, far below the view: a finished answer keeps no
        # blocks out of sight for every later layout to walk.
        assert isinstance(parts_of(answer_view(app))[-1], FrozenPart)
        # Scrolled to the top, the first part is back with its blocks: "## Part 1" heads it.
        first = parts_of(answer_view(app))[0]
        assert isinstance(first, MessageBody)
        blocks = [c for c in first.children if isinstance(c, MarkdownBlock)]
        assert blocks and "Part 1" in str(blocks[0]._content)
        # Back at the end, the last part has its blocks again, the message's end trimmed.
        streamed_end = await top_of_chat(app, pilot, end=True)
        assert isinstance(parts_of(answer_view(app))[-1], MessageBody)
        session_id = app.copilot.session.id

    # The same session resumed shows the answer rendered in one piece: the same lines.
    resumed = app_for(oai_server, monkeypatch, resume=session_id)
    async with resumed.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: resumed.ready)
        await until(pilot, lambda: len(parts_of(answer_view(resumed))) == 1)
        resumed_top = await top_of_chat(resumed, pilot)
        resumed_end = await top_of_chat(resumed, pilot, end=True)
    assert any("Part 1: caching" in line for line in streamed_top)
    assert streamed_top == resumed_top
    assert any("Part 36: caching" in line for line in streamed_end)
    assert streamed_end == resumed_end


async def test_text_waiting_behind_a_fast_model_is_caught_up_in_fewer_larger_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model faster than the screen leaves text waiting: the screen takes a share of it per
    write instead of the usual small piece, so it keeps up (and little is left for the end)."""
    from tui_helpers import make_app, settle

    from agent.session.models import Message
    from tui.transcript import stream as streaming

    flushes: list[int] = []
    flush = streaming.AnswerStream._flush

    async def counted(self: streaming.AnswerStream, *, everything: bool = False) -> None:
        flushes.append(sum(len(p) for p in self._pending))
        await flush(self, everything=everything)

    monkeypatch.setattr(streaming.AnswerStream, "_flush", counted)
    waiting = long_answer(sections=40)[:12_000]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        message = Message(id="fast", role="assistant", content="", status="streaming",
                          ts="2026-01-01T00:00:00+00:00")
        view = MessageView(message, "backend")
        await app.query_one(ChatView).mount(view)
        message.content = waiting
        view.catch_up()  # all 12,000 characters arrive at once
        await until(pilot, lambda: bool(flushes) and view.shown_text == waiting)
    # FLUSH_CHARS (800) at a time would take 15 writes; catching up takes at most 10.
    assert len(flushes) <= 10, flushes
    assert flushes[0] == len(waiting)
