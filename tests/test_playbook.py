"""The offline playbook: a streamed, labelled answer built from the cards the question is about."""

from __future__ import annotations

import asyncio
import re

import pytest
from test_insight import small_persona

from agent.llm.base import (
    ChatMessage,
    ChatRequest,
    PromptContext,
    Provider,
    StreamChunk,
    StreamEnd,
)
from agent.llm.offline import (
    CONNECT_LINE,
    HEADER,
    PlaybookProvider,
    chunk_text,
    compose_answer,
)
from agent.persona.models import Persona
from agent.persona.persona import load_persona
from agent.session.models import ChecklistEntry

REALTIME = "We need real-time updates pushed to the browser from our API"


def request(
    *texts: str,
    persona: Persona | None = None,
    phase: str = "",
    checklist: dict[str, ChecklistEntry] | None = None,
) -> ChatRequest:
    messages = [ChatMessage(role="system", content="You are a backend engineer.")]
    for i, text in enumerate(texts):
        messages.append(ChatMessage(role="user", content=text))
        if i < len(texts) - 1:
            messages.append(ChatMessage(role="assistant", content="Noted."))
    context = PromptContext(persona=persona, phase=phase, checklist=checklist or {})
    return ChatRequest(messages=messages, context=context)


async def collect(provider: PlaybookProvider, req: ChatRequest) -> tuple[list[str], list[StreamEnd]]:
    chunks: list[str] = []
    ends: list[StreamEnd] = []
    async for item in provider.stream(req):
        if isinstance(item, StreamChunk):
            assert not ends, "no chunk may follow the StreamEnd"
            chunks.append(item.text)
        else:
            ends.append(item)
    return chunks, ends


async def test_realtime_push_recommends_websocket_in_several_chunks() -> None:
    provider = PlaybookProvider(delay=0)
    chunks, ends = await collect(provider, request(REALTIME, persona=small_persona(),
                                                   phase="Architecture"))
    answer = "".join(chunks)
    assert len(chunks) > 5
    assert answer.startswith(HEADER)
    assert "**WebSocket**" in answer
    assert "Real-time requirements" in answer  # the use case
    assert "Bidirectional communication" in answer  # why
    assert answer.rstrip().endswith(CONNECT_LINE)
    assert [e.finish_reason for e in ends] == ["stop"]
    # in PRD the decision is only named, with the branch the words point to
    prd = compose_answer(request(REALTIME, persona=small_persona(), phase="PRD"))
    assert "your words point to **WebSocket** (Real-time)" in prd
    assert "Bidirectional communication" not in prd


async def test_names_the_cards_their_checklist_items_and_the_phase() -> None:
    persona = small_persona()
    jwt = persona.all_checklist_items()[0].id
    req = request(
        "Our REST API needs authentication and real-time notifications",
        persona=persona,
        phase="Architecture",
        checklist={jwt: ChecklistEntry(state="done")},
    )
    answer = "".join((await collect(PlaybookProvider(delay=0), req))[0])
    # the authentication card links JWT and OAuth2/OIDC; their states come from the panel
    assert "These cards cover: JWT (Authentication, done), OAuth2/OIDC (Authentication, open)" in answer
    assert "Your message touches: OAuth2/OIDC, RBAC." in answer  # JWT is done, not repeated
    assert "### Phase: Architecture — Primary role" in answer
    assert "Own the API design" in answer
    used = next(line for line in answer.splitlines() if line.startswith("*Playbook cards used:"))
    assert "WebSocket and SSE" in used and "authentication method" in used


async def test_tree_uses_history_when_the_newest_message_has_no_match_of_its_own() -> None:
    req = request("The dashboard must show live prices", "What do you suggest?", persona=small_persona())
    answer = "".join((await collect(PlaybookProvider(delay=0), req))[0])
    assert "**WebSocket**" in answer
    assert "with your earlier message" in answer


async def test_a_new_question_does_not_keep_the_branch_of_an_earlier_one() -> None:
    req = request(
        REALTIME,
        "A client retried a POST after a timeout and the customer was charged twice. How do we stop that?",
        persona=small_persona(),
    )
    answer = "".join((await collect(PlaybookProvider(delay=0), req))[0])
    assert "### Idempotency keys for safe retries" in answer
    assert "WebSocket" not in answer


async def test_a_decision_question_without_a_branch_lists_the_options() -> None:
    req = request("Which API style should we pick for our new product?", persona=small_persona(),
                  phase="Architecture")
    answer = "".join((await collect(PlaybookProvider(delay=0), req))[0])
    assert "which fits?" in answer
    for name in ("REST", "GraphQL", "WebSocket", "gRPC"):
        assert f"**{name}**" in answer


async def test_off_topic_says_there_is_no_entry_and_names_the_nearest_cards() -> None:
    req = request("Which running shoes are best for beginners?", persona=load_persona())
    answer = "".join((await collect(PlaybookProvider(delay=0), req))[0])
    assert "No playbook entry for this; nearest: Long-running operations" in answer
    assert "Recommendation" not in answer and "Playbook cards used" not in answer


async def test_a_database_question_gets_the_database_tree_not_an_api_style() -> None:
    req = request("Which database for an orders service with complex relations?",
                  persona=load_persona(), phase="Architecture")
    answer = "".join((await collect(PlaybookProvider(delay=0), req))[0])
    assert "### Choosing a database by access pattern" in answer
    assert "→ **Relational**" in answer
    assert "GraphQL" not in answer


def _words(text: str) -> set[str]:
    body = text.split("> You wrote:")[1]  # the header and the echo are the same in both
    return {w for w in re.findall(r"[a-z0-9]+", body.lower()) if len(w) > 2}


@pytest.mark.parametrize("question", [
    "Which algorithm should we use to hash user passwords?",
    "How do we stop SQL injection in queries built from user input?",
    "Two users booked the same hotel room at the same moment. How do we prevent double booking?",
])
async def test_prd_and_implementation_answers_differ(question: str) -> None:
    persona = load_persona()
    prd = compose_answer(request(question, persona=persona, phase="PRD"))
    impl = compose_answer(request(question, persona=persona, phase="Implementation"))
    assert "Questions to settle before design" in prd and "**Steps:**" not in prd
    assert "**Steps:**" in impl and "Checks and tests" in impl
    a, b = _words(prd), _words(impl)
    assert len(a & b) / len(a | b) < 0.4


async def test_with_the_persona_idle_a_backend_question_is_still_answered_from_cards() -> None:
    answer = compose_answer(request("Which algorithm should we use to hash user passwords?"))
    assert "### Password hashing — argon2id, bcrypt" in answer
    assert "**How to do it:**" in answer  # no phase given: the general layout
    assert "argon2id" in answer and "No persona is on" in answer


async def test_idle_persona_says_which_words_switch_it_on() -> None:
    provider = PlaybookProvider(delay=0, idle_keywords=["api", "database"])
    answer = "".join((await collect(provider, request("What's for lunch?")))[0])
    assert answer.startswith(HEADER)
    assert "No persona is on" in answer
    assert "`api`, `database`" in answer
    assert "WebSocket" not in answer
    assert CONNECT_LINE in answer


async def test_user_text_is_echoed_as_plain_text() -> None:
    hostile = "[bold red]boom[/] **x** <img src=x> `code` \x1b]52;c;aGk=\x07 # head"
    answer = "".join((await collect(PlaybookProvider(delay=0), request(hostile)))[0])
    echo = next(line for line in answer.splitlines() if line.startswith("> You wrote:"))
    assert "\x1b" not in answer and "\x07" not in answer
    assert "\\[bold red\\]" in echo
    assert "\\*\\*x\\*\\*" in echo
    assert "\\<img src=x\\>" in echo
    assert "\\`code\\`" in echo


async def test_cancel_mid_stream_raises_cancelled_error() -> None:
    provider = PlaybookProvider(delay=0)
    req = request(REALTIME, persona=small_persona())
    received: list[str] = []
    started = asyncio.Event()

    async def consume() -> None:
        async for item in provider.stream(req):
            if isinstance(item, StreamChunk):
                received.append(item.text)
                if len(received) == 2:
                    started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 2 <= len(received) < len(chunk_text(compose_answer(req)))


def test_chunks_join_back_exactly() -> None:
    text = "one two  three\nfour\n\n- five six seven "
    pieces = chunk_text(text, words=2)
    assert "".join(pieces) == text
    assert len(pieces) > 2


def test_playbook_satisfies_the_provider_protocol() -> None:
    provider: Provider = PlaybookProvider()
    assert (provider.name, provider.model) == ("offline", "")


async def test_bundled_persona_recommends_websocket() -> None:
    answer = "".join(
        (await collect(PlaybookProvider(delay=0), request(REALTIME, persona=load_persona())))[0]
    )
    assert "**WebSocket**" in answer
    assert answer.startswith(HEADER)


async def test_idle_explanation_states_the_rule_the_engine_applies() -> None:
    """Every claim of the sentence, checked against the engine itself, keyword by keyword."""
    from keywords.activation import Activator

    keywords = list(load_persona().keywords)
    answer = "".join((await collect(PlaybookProvider(delay=0), request("What's for lunch?")))[0])
    rule = next(line for line in answer.splitlines() if "switches on" in line)
    parts = rule.split(";")

    def claim(word: str) -> str:
        [part] = [p for p in parts if f"`{word}`" in p]
        return part

    def activates(*messages: str) -> bool:
        engine = Activator({"backend": keywords})
        return [engine.feed(m).active for m in messages][-1]

    for word in keywords:
        alone = activates(f"lunch and {word} today")
        assert ("alone" in claim(word)) == alone, (word, claim(word))
        if not alone:
            other = next(k for k in keywords if k != word and "alone" not in claim(k))
            assert activates(f"{word} and {other}") and "2 different ones" in claim(word)
            in_a_row = activates(f"the {word} today", f"the {other} tomorrow")
            assert ("two messages in a row" in claim(word)) == in_a_row
