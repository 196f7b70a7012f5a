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
    # asyncio.timeout_at arms one timer handle around each wait for the next piece (no task
    # per piece: a streamed answer has tens of thousands). Only the time spent waiting for the
    # model counts; what the reader does with a piece does not. The inner stream is closed here,
    # in this task, after it has stopped: never while it is still running.
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    items = stream.__aiter__()
    try:
        while True:
            try:
                async with asyncio.timeout_at(end):
                    item = await items.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                yield StreamEnd(finish_reason="error", error=ProviderError(
                    kind="timeout",
                    message=(f"The model's reply took longer than {seconds:g} s in all and was "
                             "stopped (the text so far is kept). Try again, or raise "
                             "answer_timeout in config.toml.")))
                return
            yield item
    finally:
        closer = getattr(items, "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()
