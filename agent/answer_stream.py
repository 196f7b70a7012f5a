"""The streamed answer: the model's rounds in, masked text to the reader and the session out
(and which playbook cards it drew on).

Out of the controller because it is the part with the hard rules: the configured key never
reaches the session or the screen (masked even when it arrives in pieces), the text reaches
the disk every FLUSH_EVERY seconds however the chunks stall, and a stop keeps every word the
user saw and closes the model's stream in order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from agent.key_mask import KeyMask
from agent.llm.base import StreamChunk, StreamEnd
from agent.session.journal import Session
from agent.session.models import CardsUsed, PlaybookCard, ToolCallFinished, ToolCallStarted

FLUSH_EVERY = 0.2  # seconds: streamed text on disk at least this often, even when chunks stall

Item = StreamChunk | StreamEnd | ToolCallStarted | ToolCallFinished


async def stream_answer(
    session: Session, answer_id: str, rounds: Callable[[], AsyncIterator[Item]], mask: KeyMask
) -> AsyncIterator[Item]:
    """Stream the answer `answer_id` (already started in the session) from `rounds()` (the
    model's stream, or the tool loop around it) and finish it in the session."""
    received = False
    # The key, echoed whole or in pieces or as base64, is masked before anything records it.
    masked = mask.stream()
    # Chunks may stall for seconds; the buffered text still reaches the disk every 0.2 s.
    flusher = asyncio.create_task(flush_every(session, FLUSH_EVERY))
    try:
        end = StreamEnd(finish_reason="error")
        # aclosing: a reader that goes away closes the model's stream here, in order,
        # never left to the loop's shutdown (which would close its layers all at once).
        with_rounds = contextlib.aclosing(rounds())
        async with with_rounds as items:
            async for item in items:
                if isinstance(item, StreamChunk):
                    received = True
                    text = masked.feed(item.text)
                    if text:
                        session.append_chunk(answer_id, text)
                        yield StreamChunk(text=text)
                elif isinstance(item, StreamEnd):
                    end = item
                else:
                    tail = masked.flush()  # the text before a tool call, in its place
                    if tail:
                        session.append_chunk(answer_id, tail)
                        yield StreamChunk(text=tail)
                    yield item  # a tool call started or finished (already in the session)
        tail = masked.flush()
        if tail:
            session.append_chunk(answer_id, tail)
            yield StreamChunk(text=tail)
    except (asyncio.CancelledError, GeneratorExit):
        tail = masked.flush()  # nothing the user saw is lost on a stop
        if tail:
            session.append_chunk(answer_id, tail)
        session.finish(answer_id, "stopped")
        raise
    finally:
        flusher.cancel()
    if end.error is not None:
        status = "stopped" if end.error.kind == "cancelled" else "error"
        session.finish(answer_id, status, usage=end.usage, error=end.error.message)
    else:
        session.finish(answer_id, "complete" if received else "error", usage=end.usage,
                       error=None if received else "The model sent an empty answer.",
                       cut_at_length=end.finish_reason == "length")
    yield end


def record_cards(session: Session, answer_id: str, playbook) -> None:  # playbook: Retrieval | None
    """Which playbook cards the answer `answer_id` drew on (and the nearest ones), if any."""
    if playbook is not None and (playbook.hits or playbook.nearest):
        def refs(hits) -> list[PlaybookCard]:
            return [PlaybookCard(id=h.card.id, title=h.card.title, score=h.score) for h in hits]

        session.append(CardsUsed(id=answer_id, cards=refs(playbook.hits),
                                 nearest=refs(playbook.nearest),
                                 follow_up=playbook.follow_up))


async def flush_every(session: Session, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        session.flush()
