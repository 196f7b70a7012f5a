"""The Copilot controller answering through the real `openai` client and a loopback server.

What the TUI relies on: the prompt follows the panels, history is trimmed to the budget,
retry answers the same message again, and a cancelled answer is kept, marked and closed.
The session is checked as it is on disk, since that is what resume and export read.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from oai_server import OAIServer, cut, hang, text

from agent.copilot import Copilot
from agent.llm.base import StreamChunk, StreamEnd
from agent.llm.errors import scrub
from agent.session.fold import fold, parse_lines
from agent.session.models import SessionState

ON_TOPIC = "We need real-time updates pushed to the browser from our API"


@dataclass
class Answer:
    pieces: list[str] = field(default_factory=list)
    ends: list[StreamEnd] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def end(self) -> StreamEnd:
        assert len(self.ends) == 1, "exactly one StreamEnd"
        return self.ends[0]


async def collect(stream: Any) -> Answer:
    answer = Answer()
    async for item in stream:
        if isinstance(item, StreamChunk):
            answer.pieces.append(item.text)
        else:
            answer.ends.append(item)
    return answer


def start(server: OAIServer, monkeypatch: pytest.MonkeyPatch, **cli: Any) -> Copilot:
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    settings = {"base_url": server.base_url, "model": "test-model", "max_retries": 0, **cli}
    copilot = Copilot.start(cli=settings)
    assert copilot.provider.name == "openai" and not copilot.problems
    return copilot


def on_disk(copilot: Copilot) -> SessionState:
    """The session as saved: the JSONL file under the data dir, folded."""
    files = list((Path(os.environ["BACKEND_COPILOT_DATA_DIR"]) / "sessions").glob("*.jsonl"))
    path = next(f for f in files if f.stem == copilot.state.id)
    return fold(parse_lines(path.read_bytes())[0], path.stem)


def messages(body: dict) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in body["messages"]]


# -- what is sent ----------------------------------------------------------------------------


async def test_prompt_follows_the_phase_checklist_and_tree_the_user_sees(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oai_server.n_ctx = 32768  # a window with room for the whole persona text (llama.cpp /props)
    copilot = start(oai_server, monkeypatch)
    copilot.set_phase("next")
    jwt = next(i for i in copilot.persona.all_checklist_items() if i.text == "JWT")
    copilot.toggle_item(jwt.id)
    answer = await collect(copilot.ask(ON_TOPIC))
    assert answer.text == "OK" and answer.end.error is None

    prompt = oai_server.chat_requests[0].body["messages"][0]["content"]
    assert prompt.startswith("# Backend Engineer")
    assert "Current workflow phase: Architecture — your role: Primary" in prompt
    assert "You lead this phase." in prompt
    assert "- Done: Authentication: JWT" in prompt
    assert "Real-time -> WebSocket" in prompt and "the user's words: real-time" in prompt


async def test_history_is_sent_and_trimmed_oldest_first(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_question = "Tell me about lorem ipsum. " + "lorem ipsum dolor " * 120  # ~570 tokens
    for budget in (12000, 500):
        copilot = start(oai_server, monkeypatch, token_budget=budget)
        await collect(copilot.ask(long_question))
        await collect(copilot.ask("And in one word?"))
    roomy, tight = oai_server.chat_requests[1].body, oai_server.chat_requests[3].body
    assert messages(roomy)[1:] == [("user", long_question), ("assistant", "OK"),
                                   ("user", "And in one word?")]
    # Over budget: the old turn goes, the system prompt and the newest question stay.
    assert [role for role, _ in messages(tight)] == ["system", "user"]
    assert messages(tight)[-1] == ("user", "And in one word?")
    assert copilot.state.messages[0].content == long_question  # trimmed from the request only


# -- retry -----------------------------------------------------------------------------------


async def test_retry_after_an_error_answers_the_same_message_once(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oai_server.script(cut(["Half an "]), text("A whole answer."))
    copilot = start(oai_server, monkeypatch)
    failed = await collect(copilot.ask(ON_TOPIC))
    assert failed.text == "Half an "
    assert failed.end.error is not None and failed.end.error.kind == "stream_cut"

    retried = await collect(copilot.retry())
    assert retried.text == "A whole answer." and retried.end.error is None
    first, second = oai_server.chat_requests
    # The same question again, once, without the broken partial answer.
    assert messages(second.body) == messages(first.body)
    assert messages(second.body)[-1] == ("user", ON_TOPIC)

    saved = on_disk(copilot).messages
    assert [(m.role, m.content, m.status) for m in saved] == [
        ("user", ON_TOPIC, "complete"),
        ("assistant", "Half an ", "error"),
        ("assistant", "A whole answer.", "complete"),
    ]
    assert saved[1].error is not None and "closed mid-answer" in saved[1].error


async def test_a_failed_partial_answer_is_not_sent_as_history_later(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oai_server.script(cut(["Half an "]), text("A whole answer."), text("Yes."))
    copilot = start(oai_server, monkeypatch)
    await collect(copilot.ask(ON_TOPIC))
    await collect(copilot.retry())
    await collect(copilot.ask("Does that scale?"))
    follow_up = messages(oai_server.chat_requests[2].body)
    assert follow_up[1:] == [("user", ON_TOPIC), ("assistant", "A whole answer."),
                             ("user", "Does that scale?")]


# -- cancel ----------------------------------------------------------------------------------


async def test_cancel_keeps_the_partial_answer_as_stopped_and_closes_the_stream(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oai_server.script(hang(30, after="The first part "))
    copilot = start(oai_server, monkeypatch)
    first_chunk = asyncio.Event()

    async def consume() -> None:
        async for item in copilot.ask(ON_TOPIC):
            if isinstance(item, StreamChunk):
                first_chunk.set()

    task = asyncio.create_task(consume())
    await first_chunk.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(oai_server.disconnected.wait, 10)
    user, answer = on_disk(copilot).messages
    assert user.content == ON_TOPIC
    assert (answer.status, answer.content) == ("stopped", "The first part ")


# -- keys in messages ------------------------------------------------------------------------


def test_a_short_key_is_masked_as_a_word_not_inside_model_names() -> None:
    line = scrub("Incorrect API key provided: test. Available: test-model, llama3.", ["test"])
    assert line == "Incorrect API key provided: ***. Available: test-model, llama3."
    long_key = "sk-proj-abcdef123456"
    assert long_key not in scrub(f"key={long_key}x", [long_key])
