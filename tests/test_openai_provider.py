"""The openai provider against a real loopback server, with the real `openai` client."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from oai_server import (
    OAIServer,
    StalledListener,
    cut,
    empty_choices,
    error,
    hang,
    malformed,
    raw,
    text,
    tool_calls,
)

from agent.llm.base import ChatMessage, ChatRequest, StreamChunk, StreamEnd
from agent.llm.errors import ProviderFailure, scrub
from agent.llm.openai_provider import OpenAIProvider
from agent.llm.sdk_errors import retry_after_seconds

ROOT = Path(__file__).resolve().parents[1]
FAKE_KEY = "sk-test-DISTINCTIVE-7f3a9c2e51b4d8"
SYSTEM = "You are a careful backend engineer."


def make(base_url: str | None, **kw: object) -> OpenAIProvider:
    args: dict[str, object] = {
        "name": "openai", "model": "test-model", "base_url": base_url, "api_key": FAKE_KEY,
        "connect_timeout": 2.0, "read_timeout": 5.0, "max_retries": 3, "backoff_base": 0.01,
    }
    args.update(kw)
    return OpenAIProvider(**args)  # type: ignore[arg-type]


def request(question: str = "How should I paginate?", **kw: object) -> ChatRequest:
    return ChatRequest(messages=[ChatMessage(role="system", content=SYSTEM),
                                 ChatMessage(role="user", content=question)], **kw)  # type: ignore[arg-type]


async def run(provider: OpenAIProvider, req: ChatRequest | None = None) -> tuple[list[str], StreamEnd]:
    pieces: list[str] = []
    ends: list[StreamEnd] = []
    async for item in provider.stream(req or request()):
        if isinstance(item, StreamChunk):
            assert not ends, "text after the end"
            pieces.append(item.text)
        else:
            ends.append(item)
    assert len(ends) == 1, "exactly one StreamEnd"
    return pieces, ends[0]


def failed(end: StreamEnd) -> str:
    """The error message, checked for the rules every error follows."""
    assert end.error is not None
    assert end.finish_reason == "error"
    message = end.error.message
    assert FAKE_KEY not in message and "DISTINCTIVE" not in message
    assert "\n" not in message and "Traceback" not in message
    return message


# -- answers ---------------------------------------------------------------------------------


async def test_streams_text_in_order_and_in_pieces(oai_server: OAIServer) -> None:
    oai_server.script(text("Use cursor pagination for large tables.", chunks=4))
    pieces, end = await run(make(oai_server.base_url))
    assert len(pieces) == 4
    assert "".join(pieces) == "Use cursor pagination for large tables."
    assert end.error is None and end.finish_reason == "stop"
    assert end.usage is not None
    assert (end.usage.prompt_tokens, end.usage.completion_tokens) == (11, 7)


async def test_request_carries_model_messages_temperature_and_stream_options(
    oai_server: OAIServer,
) -> None:
    await run(make(oai_server.base_url, model="gpt-4o-mini"), request(temperature=0.2))
    (sent,) = oai_server.chat_requests
    assert sent.body["model"] == "gpt-4o-mini"
    assert sent.body["messages"][0] == {"role": "system", "content": SYSTEM}
    assert sent.body["messages"][-1]["content"] == "How should I paginate?"
    assert sent.body["temperature"] == 0.2
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"


async def test_request_model_and_provider_temperature_defaults(oai_server: OAIServer) -> None:
    await run(make(oai_server.base_url, temperature=0.7), request(model="llama3"))
    await run(make(oai_server.base_url))
    first, second = oai_server.chat_requests
    assert first.body["model"] == "llama3" and first.body["temperature"] == 0.7
    assert "temperature" not in second.body


async def test_server_rejecting_stream_options_is_asked_again_without(oai_server: OAIServer) -> None:
    oai_server.script(
        error(400, "Unrecognized request argument supplied: stream_options"),
        text("fine", usage=(1, 1)),
        text("again"),
    )
    provider = make(oai_server.base_url)
    pieces, end = await run(provider)
    assert "".join(pieces) == "fine" and end.error is None
    # The server was not asked for usage the second time, so the count is the app's estimate.
    assert end.usage is not None and end.usage.estimated is True
    await run(provider)
    bodies = [r.body for r in oai_server.chat_requests]
    assert "stream_options" in bodies[0]
    assert "stream_options" not in bodies[1] and "stream_options" not in bodies[2]


async def test_finish_reason_length_is_reported(oai_server: OAIServer) -> None:
    oai_server.script(text("cut short by max tokens", finish_reason="length"))
    _, end = await run(make(oai_server.base_url))
    assert end.finish_reason == "length" and end.error is None


async def test_tool_call_deltas_end_cleanly_without_text(oai_server: OAIServer) -> None:
    oai_server.script(tool_calls([("lookup", '{"table": "users"}')]))
    pieces, end = await run(make(oai_server.base_url))
    assert pieces == [] and end.error is None and end.finish_reason == "tool_calls"


async def test_leading_empty_choices_are_skipped(oai_server: OAIServer) -> None:
    oai_server.script(empty_choices("Hello after empties", chunks=2, leading=3))
    pieces, end = await run(make(oai_server.base_url))
    assert "".join(pieces) == "Hello after empties" and end.error is None


def test_one_provider_serves_several_event_loops(oai_server: OAIServer) -> None:
    """The CLI runs `asyncio.run` more than once with the same provider."""
    provider = make(oai_server.base_url)
    oai_server.script(text("first"), text("second"))
    first = asyncio.run(run(provider))
    second = asyncio.run(run(provider))
    assert "".join(first[0]) == "first" and "".join(second[0]) == "second"
    assert second[1].error is None


# -- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_key_names_the_variable_and_hides_the_key(
    oai_server: OAIServer, status: int
) -> None:
    oai_server.script(error(status, f"Incorrect API key provided: {FAKE_KEY}"))
    _, end = await run(make(oai_server.base_url, key_env="OPENROUTER_API_KEY"))
    message = failed(end)
    assert end.error is not None and end.error.kind == "auth" and end.error.status == status
    assert f"rejected the API key ({status})" in message
    assert "OPENROUTER_API_KEY" in message and "backend-copilot config" in message
    assert len(oai_server.chat_requests) == 1  # never retried


async def test_unknown_model_lists_the_servers_models(oai_server: OAIServer) -> None:
    oai_server.script(error(404, "The model `nope` does not exist"))
    _, end = await run(make(oai_server.base_url, model="nope"))
    message = failed(end)
    assert end.error is not None and end.error.kind == "not_found"
    assert message == (
        f"Model 'nope' not found at {oai_server.base_url}. "
        "Available: gpt-4o-mini, llama3, test-model. Set BACKEND_COPILOT_MODEL or --model."
    )


async def test_unknown_model_without_a_model_list_points_at_the_base_url(
    oai_server: OAIServer,
) -> None:
    oai_server.models_status = 500
    oai_server.script(error(404))
    _, end = await run(make(oai_server.base_url, model="nope"))
    message = failed(end)
    assert "Model 'nope' not found" in message and "OPENAI_BASE_URL" in message


async def test_rate_limit_is_retried_then_succeeds(oai_server: OAIServer) -> None:
    oai_server.script(error(429, retry_after=0.01), error(429, retry_after=0.01), text("done"))
    pieces, end = await run(make(oai_server.base_url))
    assert "".join(pieces) == "done" and end.error is None
    assert len(oai_server.chat_requests) == 3


async def test_rate_limit_gives_up_after_the_retries(oai_server: OAIServer) -> None:
    oai_server.script(*[error(429, retry_after=0.02) for _ in range(3)], text("too late"))
    _, end = await run(make(oai_server.base_url, max_retries=2))
    message = failed(end)
    assert end.error is not None and end.error.kind == "rate_limit" and end.error.retryable
    assert message == (f"Rate limited by 127.0.0.1:{oai_server.port} after 3 tries; "
                       "wait and retry (Retry-After: 0.02s).")
    assert len(oai_server.chat_requests) == 3


async def test_a_retry_after_beyond_the_cap_is_not_waited_out(oai_server: OAIServer) -> None:
    oai_server.script(error(429, retry_after=120))
    _, end = await run(make(oai_server.base_url, max_retry_wait=30))
    assert "Retry-After: 120s" in failed(end)
    assert len(oai_server.chat_requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retried_then_reported(oai_server: OAIServer, status: int) -> None:
    oai_server.script(error(status), error(status))
    _, end = await run(make(oai_server.base_url, max_retries=1))
    message = failed(end)
    assert end.error is not None and end.error.kind == "server" and end.error.status == status
    assert f"127.0.0.1:{oai_server.port} failed with {status} after 2 tries" in message
    assert "Try again later" in message
    assert len(oai_server.chat_requests) == 2


async def test_a_passing_server_error_is_recovered(oai_server: OAIServer) -> None:
    oai_server.script(error(503), text("recovered"))
    pieces, end = await run(make(oai_server.base_url))
    assert "".join(pieces) == "recovered" and end.error is None


async def test_connection_refused_says_what_to_check(refused_base_url: str) -> None:
    _, end = await run(make(refused_base_url, max_retries=1))
    message = failed(end)
    assert end.error is not None and end.error.kind == "connection"
    assert message == (f"Could not connect to {refused_base_url}: connection refused. "
                       "Is the server running? Check OPENAI_BASE_URL.")


async def test_connect_timeout_is_told_apart() -> None:
    listener = StalledListener()
    try:
        base_url = f"http://127.0.0.1:{listener.port}/v1"
        _, end = await run(make(base_url, connect_timeout=0.3))
    finally:
        listener.close()
    message = failed(end)
    assert end.error is not None and end.error.kind == "timeout"
    assert message.startswith(f"Timed out connecting to {base_url} after 0.3s")


async def test_read_timeout_before_any_text(oai_server: OAIServer) -> None:
    oai_server.script(hang(10))
    _, end = await run(make(oai_server.base_url, read_timeout=0.3))
    message = failed(end)
    assert end.error is not None and end.error.kind == "timeout"
    assert "sent nothing for 0.3s (read timeout)" in message
    assert "partial" not in message
    assert len(oai_server.chat_requests) == 1  # a timeout is not retried


async def test_read_timeout_mid_answer_keeps_the_partial_text(oai_server: OAIServer) -> None:
    oai_server.script(hang(10, after="The first half"))
    pieces, end = await run(make(oai_server.base_url, read_timeout=0.3))
    assert "".join(pieces) == "The first half"
    assert end.error is not None and end.error.kind == "timeout"
    assert "partial answer is kept" in failed(end)


async def test_stream_cut_mid_answer_keeps_the_partial_text(oai_server: OAIServer) -> None:
    oai_server.script(cut("Half an answ", chunks=2))
    pieces, end = await run(make(oai_server.base_url))
    assert pieces == ["Half a", "n answ"]
    assert end.error is not None and end.error.kind == "stream_cut"
    assert "closed mid-answer; the partial answer is kept" in failed(end)
    assert len(oai_server.chat_requests) == 1  # shown text is never silently restarted


async def test_stream_cut_before_any_text_is_retried(oai_server: OAIServer) -> None:
    oai_server.script(cut([]), text("second try"))
    pieces, end = await run(make(oai_server.base_url))
    assert "".join(pieces) == "second try" and end.error is None
    assert len(oai_server.chat_requests) == 2


async def test_malformed_sse_line_ends_with_bad_response(oai_server: OAIServer) -> None:
    oai_server.script(malformed("Before the bad line"))
    pieces, end = await run(make(oai_server.base_url))
    assert "".join(pieces) == "Before the bad line"
    assert end.error is not None and end.error.kind == "bad_response"
    assert "not valid JSON; the partial answer is kept" in failed(end)


async def test_answer_without_any_choices_is_a_bad_response(oai_server: OAIServer) -> None:
    oai_server.script(empty_choices(leading=2))
    pieces, end = await run(make(oai_server.base_url))
    assert pieces == []
    assert end.error is not None and end.error.kind == "bad_response"
    assert failed(end).startswith("The server sent no choices")


async def test_error_event_inside_the_stream(oai_server: OAIServer) -> None:
    oai_server.script(raw([f'data: {{"error": {{"message": "overloaded, key {FAKE_KEY}"}}}}']))
    _, end = await run(make(oai_server.base_url))
    assert end.error is not None and end.error.kind == "server"
    assert "overloaded" in failed(end)


async def test_missing_key_for_openai_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    _, end = await run(make(None, api_key=None))
    assert end.error is not None and end.error.kind == "config"
    assert "OPENAI_API_KEY" in end.error.message


async def test_key_comes_from_the_providers_variable(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", FAKE_KEY)
    await run(make(oai_server.base_url, api_key=None, key_env="GROQ_API_KEY"))
    assert oai_server.chat_requests[0].headers["authorization"] == f"Bearer {FAKE_KEY}"


# -- cancellation ----------------------------------------------------------------------------


async def test_cancel_mid_stream_closes_the_connection(oai_server: OAIServer) -> None:
    oai_server.script(text([f"word{i} " for i in range(200)], delay=0.05))
    first = asyncio.Event()
    received: list[str] = []

    async def consume() -> None:
        async for item in make(oai_server.base_url).stream(request()):
            if isinstance(item, StreamChunk):
                received.append(item.text)
                first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(oai_server.disconnected.wait, 10)
    assert oai_server.chat_requests[0].disconnected
    assert 0 < len(received) < 200


async def test_leaving_the_loop_early_closes_the_connection(oai_server: OAIServer) -> None:
    oai_server.script(text([f"w{i} " for i in range(200)], delay=0.05))
    stream = make(oai_server.base_url).stream(request())
    async for item in stream:
        assert isinstance(item, StreamChunk)
        break
    await stream.aclose()  # type: ignore[attr-defined]
    assert await asyncio.to_thread(oai_server.disconnected.wait, 10)


# -- models, import cost, message hygiene ----------------------------------------------------


async def test_list_models(oai_server: OAIServer) -> None:
    assert await make(oai_server.base_url).list_models() == ["gpt-4o-mini", "llama3", "test-model"]


async def test_list_models_failure_is_one_actionable_line(refused_base_url: str) -> None:
    with pytest.raises(ProviderFailure) as caught:
        await make(refused_base_url).list_models()
    assert caught.value.error.kind == "connection"
    assert "connection refused" in caught.value.error.message


def test_importing_the_provider_does_not_import_openai() -> None:
    code = "import agent.llm.openai_provider, sys; print('openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_provider_repr_hides_the_key() -> None:
    provider = make("http://127.0.0.1:9/v1")
    assert FAKE_KEY not in repr(provider) and FAKE_KEY not in str(vars(provider))


def test_scrub_masks_keys_and_escapes() -> None:
    line = scrub(f"bad key {FAKE_KEY}\nAuthorization: Bearer abc.def \x1b]52;c;aGk=\x07 gsk_0123456789",
                 secrets=["abc.def"])
    assert "DISTINCTIVE" not in line and "abc.def" not in line and "0123456789" not in line
    assert "\x1b" not in line and "\n" not in line


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"retry-after": "2"}) == 2
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert retry_after_seconds({}) is None
