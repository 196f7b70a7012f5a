"""The overall limit on one model reply (agent/llm/deadline.py): a stalled model is stopped
with a timeout that keeps what came, a stop from the reader stays a stop, and the task is
left as it was found. (The real server case: test_low_edges.py, the drip-feeding server.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agent.llm.base import StreamEnd
from agent.llm.deadline import DeadlineProvider


class Model:
    """A provider whose stream yields `pieces`, then waits for ever (a stalled server)."""

    name = "fake"

    def __init__(self, *pieces: str) -> None:
        self.pieces = pieces
        self.closed = False

    async def stream(self, request: Any) -> AsyncIterator[str]:
        try:
            for piece in self.pieces:
                yield piece
            await asyncio.Event().wait()
        finally:
            self.closed = True


async def test_a_stalled_model_ends_with_a_timeout_and_keeps_what_came() -> None:
    model = Model("first ", "second")
    got = [item async for item in DeadlineProvider(model, 0.05).stream(None)]
    assert got[:2] == ["first ", "second"]
    end = got[2]
    assert isinstance(end, StreamEnd) and end.error is not None
    assert end.error.kind == "timeout" and "answer_timeout" in end.error.message
    assert model.closed  # the model's stream was closed, in order
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0  # nothing of the timeout is left


async def test_a_stop_from_the_reader_is_a_stop_not_a_timeout() -> None:
    model = Model("first ")
    got: list[Any] = []
    started = asyncio.Event()

    async def read() -> None:
        async for item in DeadlineProvider(model, 30).stream(None):
            got.append(item)
            started.set()

    reader = asyncio.create_task(read())
    await started.wait()
    reader.cancel()  # Esc while the model is silent
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert got == ["first "] and model.closed


async def test_time_the_reader_takes_past_the_deadline_ends_the_reply_at_the_next_wait() -> None:
    model = Model("first ", "second", "third")
    got: list[Any] = []
    async for item in DeadlineProvider(model, 0.05).stream(None):
        got.append(item)
        if len(got) == 1:
            await asyncio.sleep(0.1)  # the reader is busy while the deadline passes
    assert got[0] == "first "
    assert isinstance(got[-1], StreamEnd) and got[-1].error is not None
    assert got[-1].error.kind == "timeout"
    assert "third" not in got
