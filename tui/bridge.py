"""Session events into the app: one Textual message type, in order, streamed pieces batched.

The Session calls its subscribers for every event it folds, from whichever task or thread
made it. The bridge queues them and posts one `SessionUpdate` holding all queued events; the
app refreshes the header and panels from the state once per update and hands the update to
the transcript, which renders each event's entry from the SessionState by id. One queue for
every kind of event keeps them in order (a streamed piece can never overtake the answer it
belongs to), and batching keeps a fast model's thousands of pieces from costing one message
dispatch each.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from textual.message import Message as TMessage

# Streamed pieces wait this long for company before they are posted (the transcript shows
# text every 50 ms anyway); any other event is posted at once, with the pieces before it.
PIECES_WAIT = 0.02


class SessionUpdate(TMessage, bubble=False):
    """Session events since the last update, in the order they happened."""

    def __init__(self, events: list[Any]) -> None:
        super().__init__()
        self.events = events

    @property
    def only_pieces(self) -> bool:
        """Nothing but streamed text (headers and panels have nothing new to show)."""
        from agent.session.models import AnswerDelta

        return all(isinstance(e, AnswerDelta) for e in self.events)


def _batched(events: list[Any]) -> list[Any]:
    """Neighbouring pieces of one answer become one piece."""
    from agent.session.models import AnswerDelta

    out: list[Any] = []
    run: list[str] = []
    for event in events:
        if (isinstance(event, AnswerDelta) and out and isinstance(out[-1], AnswerDelta)
                and out[-1].id == event.id):
            if not run:
                run.append(out[-1].text)
            run.append(event.text)
            continue
        if run:
            out[-1] = out[-1].model_copy(update={"text": "".join(run)})
            run = []
        out.append(event)
    if run:
        out[-1] = out[-1].model_copy(update={"text": "".join(run)})
    return out


class SessionBridge:
    """A Session subscriber that posts SessionUpdates through `post` (thread-safe)."""

    def __init__(self, post: Callable[[SessionUpdate], object], *,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._post_message = post
        self._loop = loop
        self._thread = threading.get_ident()
        self._lock = threading.Lock()
        self._events: list[Any] = []
        self._waiting: asyncio.TimerHandle | None = None

    def __call__(self, event: Any) -> None:
        from agent.session.models import AnswerDelta

        with self._lock:
            self._events.append(event)
            piece = isinstance(event, AnswerDelta)
            if piece and self._waiting is not None:
                return  # a post is on its way and takes this one along
        if piece and self._loop is not None and threading.get_ident() == self._thread:
            self._waiting = self._loop.call_later(PIECES_WAIT, self.post)
        else:
            self.post()

    def post(self) -> None:
        """Post everything queued as one SessionUpdate (nothing when the queue is empty)."""
        with self._lock:
            if self._waiting is not None:
                self._waiting.cancel()
                self._waiting = None
            events, self._events = self._events, []
            if events:  # posted under the lock: two threads' updates keep their order
                self._post_message(SessionUpdate(_batched(events)))

    def clear(self) -> None:
        """Drop what is queued: the state it led to is about to be shown whole (/new, resume)."""
        with self._lock:
            if self._waiting is not None:
                self._waiting.cancel()
                self._waiting = None
            self._events = []


__all__ = ["PIECES_WAIT", "SessionBridge", "SessionUpdate"]
