"""With a model connected, the playbook's cards go into the prompt and onto the answer.

The real `openai` client talks to the loopback server (tests/oai_server.py); what the server
received is the request the model would see. The session is checked as saved on disk.
"""

from __future__ import annotations

import pytest
from oai_server import OAIServer, text
from test_llm_integration import collect, on_disk, start

QUESTION = "Which algorithm should we use to hash user passwords for our backend API?"


async def test_the_prompt_carries_the_chosen_cards_and_the_answer_records_them(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oai_server.n_ctx = 32768  # a window with room for the whole persona text (llama.cpp /props)
    oai_server.script(text("Use argon2id. Cards used: Password hashing — argon2id, bcrypt"))
    copilot = start(oai_server, monkeypatch)
    copilot.set_phase("Implementation")
    answer = await collect(copilot.ask(QUESTION))
    assert answer.end.error is None

    system = oai_server.chat_requests[0].body["messages"][0]["content"]
    assert system.startswith("# Backend Engineer")  # the persona comes first, the cards after
    assert "Playbook reference:" in system and "Cards used:" in system
    assert "### Card: Password hashing — argon2id, bcrypt" in system
    assert "argon2id (RFC 9106)" in system  # the card's own guidance, not just its name
    assert "In the Implementation phase: Use a maintained library" in system

    saved = on_disk(copilot).messages[-1]
    assert [c.id for c in saved.cards][0] == "password-hashing"


async def test_an_off_topic_question_sends_no_cards(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    copilot = start(oai_server, monkeypatch)
    copilot.set_persona_mode("on")
    await collect(copilot.ask("How long should I boil an egg?"))
    system = oai_server.chat_requests[0].body["messages"][0]["content"]
    assert "Playbook reference" not in system and "### Card:" not in system
    assert on_disk(copilot).messages[-1].cards == []


async def test_a_new_question_does_not_send_an_earlier_questions_branch(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    copilot = start(oai_server, monkeypatch)
    await collect(copilot.ask("We need real-time updates pushed to the browser from our API"))
    await collect(copilot.ask(
        "A client retried a POST to our API after a timeout and the customer was charged twice."))
    first, second = (r.body["messages"][0]["content"] for r in oai_server.chat_requests)
    assert "Real-time -> WebSocket" in first
    assert "Decision tree:" not in second
    assert "### Card: Idempotency keys for safe retries" in second
