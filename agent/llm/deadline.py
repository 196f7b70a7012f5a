"""An overall time limit on one model reply, whatever the server does.

Why: read_timeout limits the gap between two bytes, so a server that sends one byte every
few seconds keeps an answer open for ever. This wraps a provider so each stream (one reply,
one round of the tool loop) ends with a timeout error after `seconds`; the text already
received is kept like any other error. Time spent asking the user is between rounds, so it
never counts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from agent.llm.base import ProviderError, StreamEnd


class DeadlineProvider:
    """The same provider, each `stream()` stopped after `seconds`."""

    def __init__(self, inner: Any, seconds: float) -> None:
        self._inner = inner
        self.seconds = seconds

    def __getattr__(self, name: str) -> Any:  # name, model, supports_tools, ...
        return getattr(self._inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        # `/model NAME` sets the model on the provider that talks to the server.
        if name in ("_inner", "seconds"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._inner, name, value)

    def stream(self, request: Any) -> AsyncIterator[Any]:
        return _limited(self._inner.stream(request), self.seconds)


async def _limited(stream: AsyncIterator[Any], seconds: float) -> AsyncIterator[Any]:
    # One timer for the whole reply. When it fires while this waits for the model's next
    # piece, the wait is cancelled (as asyncio.timeout does, told apart from any other
    # cancellation by the task's cancel count); while the reader handles a piece, the reply
    # ends at the next wait. (A timeout around each wait armed and cancelled a timer per
    # piece: half this wrapper's cost over a 20,000-piece answer.) The inner stream is
    # closed here, in this task, after it has stopped: never while it is still running.
    loop = asyncio.get_running_loop()
    items = stream.__aiter__()
    waiting: asyncio.Task[Any] | None = None  # the task waiting for a piece, if any
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        if waiting is not None:
            waiting.cancel()

    timer = loop.call_at(loop.time() + seconds, expire)
    try:
        while not expired:
            task = asyncio.current_task()
            assert task is not None
            cancelling = task.cancelling()
            waiting = task
            try:
                item = await items.__anext__()
            except StopAsyncIteration:
                return
            except asyncio.CancelledError:
                if not expired or task.uncancel() > cancelling:
                    raise  # not ours: a stop from the reader or the app
                break
            finally:
                waiting = None
            yield item
        yield StreamEnd(finish_reason="error", error=ProviderError(
            kind="timeout",
            message=(f"The model's reply took longer than {seconds:g} s in all and was "
                     "stopped (the text so far is kept). Try again, or raise "
                     "answer_timeout in config.toml.")))
    finally:
        timer.cancel()
        closer = getattr(items, "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()
