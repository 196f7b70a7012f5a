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
    # Each step of the inner stream runs as a task held here, so whatever ends this generator
    # (the deadline, a cancel, the reader going away) first stops that step and only then
    # closes the inner stream: never while it is still running.
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    items = stream.__aiter__()
    step: asyncio.Future[Any] | None = None
    try:
        while True:
            step = asyncio.ensure_future(items.__anext__())
            done, _ = await asyncio.wait({step}, timeout=max(end - loop.time(), 0))
            if not done:
                yield StreamEnd(finish_reason="error", error=ProviderError(
                    kind="timeout",
                    message=(f"The model's reply took longer than {seconds:g} s in all and was "
                             "stopped (the text so far is kept). Try again, or raise "
                             "answer_timeout in config.toml.")))
                return
            try:
                item = step.result()
            except StopAsyncIteration:
                return
            step = None
            yield item
    finally:
        if step is not None and not step.done():
            step.cancel()
            with contextlib.suppress(BaseException):
                await step
        closer = getattr(items, "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()
