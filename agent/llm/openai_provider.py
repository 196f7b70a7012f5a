"""Answers from any OpenAI-compatible chat server, streamed, with failures as actionable lines.

Why this shape:
- `openai` costs ~1.4 s to import, so it is imported on the first request (in a worker thread,
  so the event loop keeps painting) and the client is built then, never at import time.
- The SDK's own retries are off (`max_retries=0`): we retry 429/5xx ourselves, honouring
  Retry-After, and retry connection failures only while no text has reached the user — a
  half-shown answer is never silently restarted.
- Every failure ends the stream with `StreamEnd(error=ProviderError(...))`; nothing raises to
  the caller except `CancelledError`, which closes the HTTP stream on the way out.

Decisions worth knowing:
- A malformed SSE line ends the answer with kind `bad_response` (the text before it is kept):
  the SDK's stream cannot continue past a line it failed to decode, and guessing would hide a
  wrong OPENAI_BASE_URL.
- Chunks with an empty `choices` list are skipped (Azure and usage-only chunks); if the whole
  answer had none, it ends with `bad_response` "The server sent no choices".
- Timeouts are not retried (each already cost the user the full wait). A Retry-After longer
  than `max_retry_wait` is not waited out: we stop at once and report it.
- A context overflow (any wording, as a 4xx/5xx, inside a 200 stream, or an empty stream after
  a long prompt) and a validation refusal are never retried: the same request fails the same
  way. An overflow that names the window teaches it to `window`, so the next request fits.
- When the server reports no usage, it is estimated from the text and marked `estimated`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from collections.abc import AsyncIterator
from typing import Any

from pydantic import SecretStr

from agent.llm import errors as E
from agent.llm import tool_support as T
from agent.llm.base import ChatRequest, ProviderError, StreamChunk, StreamEnd
from agent.llm.context_budget import default_window
from agent.llm.sdk_errors import (
    connect_reason,
    exception_chain,
    mentions_stream_options,
    refused,
    refuses_tools,
    retry_after_seconds,
    server_text,
)
from agent.llm.server_info import probe_window
from agent.llm.stream_results import add_tool_delta, assembled_calls, estimated_usage, prompt_tokens
from agent.session.models import Usage

DEFAULT_BASE_URL = "https://api.openai.com/v1"
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
MODELS_TIMEOUT = 5.0  # seconds for the GET /models made to explain a 404
COMMON_WINDOWS = (2048, 4096, 8192, 16384, 32768)  # the sizes local servers start with
EMPTY_MEANS_OVERFLOW = 0.75  # an empty stream after a prompt this full of the window = overflow


class OpenAIProvider:
    """A Provider for OpenAI and every server speaking its chat-completions protocol."""

    supports_tools = True  # function calling: request.tools in, StreamEnd.tool_calls out

    def __init__(
        self,
        *,
        name: str,
        model: str,
        base_url: str | None,
        api_key: str | None,
        connect_timeout: float = 10,
        read_timeout: float = 60,
        max_retries: int = 3,
        key_env: str = "OPENAI_API_KEY",
        temperature: float | None = None,
        backoff_base: float = 0.5,
        max_retry_wait: float = 30.0,
        context_window: int | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_retries = max(0, max_retries)
        self.key_env = key_env
        self.temperature = temperature
        self.backoff_base = backoff_base
        self.max_retry_wait = max_retry_wait
        self._api_key = SecretStr(api_key) if api_key else None
        self._client: Any = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._openai: Any = None
        self._include_usage = True  # turned off for good once a server rejects stream_options
        # The model's context window: the user's setting, else what the server says (asked
        # once), else learned from an overflow error, else a default by host.
        self.window: int | None = context_window
        self.window_source = "setting" if context_window else ""
        self._window_probed = context_window is not None
        self.url_hint = E.url_hint(name)
        self._tool_support: dict[str, bool | None] = {}  # model -> calls tools? (None: unknown)

    def __repr__(self) -> str:
        return f"OpenAIProvider(name={self.name!r}, model={self.model!r}, base_url={self.base_url!r})"

    # -- set-up ----------------------------------------------------------------------------

    def _key(self) -> str | None:
        if self._api_key is not None:
            return self._api_key.get_secret_value()
        return os.environ.get(self.key_env) or None

    @property
    def _secrets(self) -> tuple[str | None, ...]:
        return (self._key(),)

    def _error(self, kind: Any, message: str, *, status: int | None = None,
               retryable: bool = False) -> ProviderError:
        return E.make_error(kind, message, status=status, retryable=retryable,
                            secrets=self._secrets)

    async def _ensure_client(self) -> ProviderError | None:
        """Import openai and build the client once per event loop; problems come back as errors.

        A client's connection pool belongs to the loop it was built on, so a caller that runs
        several `asyncio.run`s (the CLI) gets a fresh client in each.
        """
        loop = asyncio.get_running_loop()
        if self._client is not None and self._client_loop is loop:
            return None
        key = self._key()
        if not key:
            if self.base_url == DEFAULT_BASE_URL:
                return self._error("config", E.missing_key_message(self.key_env))
            key = "no-key"  # local servers (Ollama, llama.cpp, vLLM) usually need none
        try:
            if self._openai is None:
                self._openai = await asyncio.to_thread(importlib.import_module, "openai")
            openai = self._openai
            timeout = openai.Timeout(
                connect=self.connect_timeout, read=self.read_timeout,
                write=self.read_timeout, pool=self.connect_timeout,
            )
            self._client = openai.AsyncOpenAI(
                api_key=key, base_url=self.base_url, timeout=timeout, max_retries=0,
            )
        except ImportError:
            return self._error("config", "The `openai` package is not installed; run "
                               "`pip install openai` (or `make run`), or use the offline playbook.")
        except Exception as exc:  # noqa: BLE001 - a bad setting must become one line, not a crash
            return self._error("config", f"Could not set up the {self.name} client for "
                               f"{E.display_url(self.base_url)}: {E.detail(str(exc), self._secrets)}")
        self._client_loop = loop
        return None

    async def aclose(self) -> None:
        """Close the HTTP connection pool (optional; the pool also dies with the process)."""
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(Exception):  # its loop may be gone already
                await client.close()

    # -- models ----------------------------------------------------------------------------

    async def list_models(self) -> list[str]:
        """The server's model ids, sorted. Raises ProviderFailure with an actionable line."""
        problem = await self._ensure_client()
        if problem is not None:
            raise E.ProviderFailure(problem)
        openai = self._openai
        try:
            page = await self._client.models.list()
            return sorted(str(m.id) for m in page.data)
        except openai.APIStatusError as exc:
            raise E.ProviderFailure(self._status_error(exc, tries=1, model=None)) from None
        except openai.APIConnectionError as exc:
            raise E.ProviderFailure(self._connection_error(exc, partial=False)) from None
        except (openai.OpenAIError, ValueError, AttributeError, TypeError) as exc:
            raise E.ProviderFailure(self._error(
                "bad_response", f"Could not read the model list from {E.host_of(self.base_url)}: "
                f"{E.detail(str(exc), self._secrets)}")) from None

    async def _models_or_none(self) -> list[str] | None:
        try:
            return await asyncio.wait_for(self.list_models(), MODELS_TIMEOUT)
        except (E.ProviderFailure, TimeoutError):
            return None

    # -- the context window ------------------------------------------------------------------

    async def context_window(self) -> tuple[int, str]:
        """(window in tokens, where it came from). Asks the server once (llama.cpp /props,
        vLLM max_model_len, Ollama's num_ctx); never fails — a default stands in."""
        if not self._window_probed:
            self._window_probed = True
            found = await probe_window(self.base_url, self.model, self._key(), self.name)
            if found is not None and self.window is None:
                self.window, self.window_source = found, "server"
        if self.window is not None:
            return self.window, self.window_source
        return default_window(self.base_url), "default"

    def _learn_window(self, window: int | None) -> None:
        if window and window > 0 and self.window_source != "setting":
            self.window, self.window_source = window, "learned from an error"

    def _overflow(self, server_text: str, *, status: int | None = None) -> ProviderError | None:
        """The one-line overflow error when the server's words say so, else None."""
        is_overflow, window = E.overflow_window(server_text)
        if not is_overflow:
            return None
        self._learn_window(window)
        return self._error("overflow", E.overflow_message(window or self.window), status=status)

    # -- tool support ------------------------------------------------------------------------

    async def tool_support(self) -> bool | None:
        """Does the model call tools? Probed once per server and model, remembered on disk;
        None when the probe could not tell (the server unreachable): tools are then offered."""
        model = self.model
        if model in self._tool_support:
            return self._tool_support[model]
        known = T.remembered(self.base_url, model)
        if known is None:
            known = await self._probe_tools(model)
            if known is not None:
                T.remember(self.base_url, model, known)
        self._tool_support[model] = known
        return known

    async def _probe_tools(self, model: str) -> bool | None:
        if not model or await self._ensure_client() is not None:
            return None
        openai = self._openai
        try:
            response = await asyncio.wait_for(self._client.chat.completions.create(
                model=model, messages=T.PROBE_MESSAGES, tools=[T.PING_TOOL],
                tool_choice={"type": "function", "function": {"name": "ping"}},
                max_tokens=T.PROBE_MAX_TOKENS, stream=False,
            ), self.read_timeout)
        except openai.APIStatusError as exc:
            # A request refused for its tools means no tools; auth, model or load problems
            # prove nothing (the real request will report them).
            if exc.status_code in (400, 422, 500, 501) and "tool" in server_text(exc).lower():
                return False
            return None
        except (openai.OpenAIError, TimeoutError, ValueError):
            return None
        return T.called_a_tool(response)

    # -- streaming -------------------------------------------------------------------------

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk | StreamEnd]:
        """Yield text chunks, then exactly one StreamEnd; failures become StreamEnd.error."""
        problem = await self._ensure_client()
        if problem is not None:
            yield StreamEnd(finish_reason="error", error=problem)
            return
        model = request.model or self.model
        if not model:
            yield StreamEnd(finish_reason="error", error=self._error(
                "config", "No model chosen. Set BACKEND_COPILOT_MODEL or --model."))
            return
        openai = self._openai
        temperature = request.temperature if request.temperature is not None else self.temperature
        messages: list[dict[str, Any]] = [
            {"role": m.role, "content": m.content} for m in request.messages
        ]
        messages.extend(request.tool_turns)
        sent_text = False
        attempt = 0
        while True:
            attempt += 1
            kwargs: dict[str, Any] = {"model": model, "messages": messages, "stream": True}
            if temperature is not None:
                kwargs["temperature"] = temperature
            if request.max_tokens:
                kwargs["max_tokens"] = request.max_tokens
            if request.tools and self._tool_support.get(model) is not False:
                kwargs["tools"] = request.tools
            if self._include_usage:
                kwargs["stream_options"] = {"include_usage": True}

            # 1. Send the request and get the response headers.
            try:
                response = await self._client.chat.completions.create(**kwargs)
            except openai.APIStatusError as exc:
                if exc.status_code in (400, 422) and self._include_usage and mentions_stream_options(exc):
                    self._include_usage = False
                    attempt -= 1  # not a real try: the server just lacks that option
                    continue
                if "tools" in kwargs and refuses_tools(exc):
                    # e.g. llama.cpp's function-calling template: "auto" + streaming refused.
                    # Answer without tools rather than not at all, and remember it.
                    self._tool_support[model] = False
                    T.remember(self.base_url, model, False)
                    attempt -= 1  # not a real try
                    continue
                refusal = self._refusal(exc)
                if refusal is not None:
                    yield StreamEnd(finish_reason="error", error=refusal)
                    return
                wait = self._retry_wait(exc, attempt)
                if wait is not None:
                    await asyncio.sleep(wait)
                    continue
                error = self._status_error(exc, tries=attempt, model=model)
                if error.kind == "not_found":
                    error = self._error("not_found", E.not_found_message(
                        model, self.base_url, await self._models_or_none()), status=404)
                yield StreamEnd(finish_reason="error", error=error)
                return
            except openai.APIConnectionError as exc:
                if not isinstance(exc, openai.APITimeoutError) and attempt <= self.max_retries:
                    await asyncio.sleep(self._backoff(attempt))
                    continue
                yield StreamEnd(finish_reason="error",
                                error=self._connection_error(exc, partial=False))
                return
            except openai.OpenAIError as exc:
                yield StreamEnd(finish_reason="error", error=self._error(
                    "other", f"The request failed: {E.detail(str(exc), self._secrets)}"))
                return

            # 2. Read the stream.
            usage: Usage | None = None
            finish_reason: str | None = None
            saw_choices = False
            error: ProviderError | None = None
            retry = False
            calls: dict[int, dict[str, Any]] = {}  # index -> id, name, argument pieces
            text_parts: list[str] = []
            try:
                async for chunk in response:
                    chunk_usage = getattr(chunk, "usage", None)
                    if chunk_usage is not None:
                        usage = Usage(
                            prompt_tokens=getattr(chunk_usage, "prompt_tokens", None),
                            completion_tokens=getattr(chunk_usage, "completion_tokens", None),
                        )
                    choices = getattr(chunk, "choices", None) or []
                    if not choices:
                        continue
                    saw_choices = True
                    choice = choices[0]
                    finish_reason = getattr(choice, "finish_reason", None) or finish_reason
                    delta = getattr(choice, "delta", None)
                    content = getattr(delta, "content", None)
                    if isinstance(content, str) and content:
                        sent_text = True
                        text_parts.append(content)
                        yield StreamChunk(text=content)
                    for piece in getattr(delta, "tool_calls", None) or ():
                        add_tool_delta(calls, piece)
            except openai.APITimeoutError as exc:
                error = self._connection_error(exc, partial=sent_text)
            except openai.APIConnectionError:
                if not sent_text and attempt <= self.max_retries:
                    retry = True
                else:
                    error = self._error("stream_cut", E.stream_cut_message(self.base_url, sent_text),
                                        retryable=True)
            except openai.APIError as exc:  # an {"error": ...} event inside the stream
                error = self._overflow(server_text(exc)) or self._error(
                    "server", f"The server reported an error mid-answer: "
                    f"{E.detail(exc.message, self._secrets)}", retryable=True)
            except ValueError:  # json.JSONDecodeError: a malformed SSE data line
                error = self._error("bad_response", E.malformed_message(self.base_url, sent_text))
            finally:
                await _close_quietly(response)

            if retry:
                await asyncio.sleep(self._backoff(attempt))
                continue
            if error is not None:
                yield StreamEnd(finish_reason="error", usage=usage, error=error)
            elif not saw_choices:
                yield StreamEnd(finish_reason="error", usage=usage,
                                error=self._empty_stream_error(request))
            elif calls:
                yield StreamEnd(finish_reason="tool_calls", usage=usage or estimated_usage(
                    request, "".join(arg for c in calls.values() for arg in c["arguments"])),
                    tool_calls=assembled_calls(calls))
            else:
                yield StreamEnd(finish_reason=finish_reason or "stop",
                                usage=usage or estimated_usage(request, "".join(text_parts)))
            return

    # -- failure handling ------------------------------------------------------------------

    def _refusal(self, exc: Any) -> ProviderError | None:
        """An overflow or a validation refusal: errors that retrying cannot cure."""
        status = int(exc.status_code)
        if status < 400 or status in (401, 403, 404, 429):
            return None
        text = server_text(exc)
        overflow = self._overflow(text, status=status)
        if overflow is not None:
            return overflow
        if status in (408, 409, 502, 503, 504) or not E.is_validation_error(text):
            return None
        return self._error("invalid", E.validation_message(status, E.scrub_lines(
            text, self._secrets)), status=status)

    def _empty_stream_error(self, request: ChatRequest) -> ProviderError:
        """No choices at all: after a prompt that nearly fills the window, that is an overflow
        some servers report only by ending the stream."""
        asked = prompt_tokens(request) + (request.max_tokens or 0)
        if self.window is not None:
            if asked >= self.window * EMPTY_MEANS_OVERFLOW:
                return self._error("overflow", E.overflow_message(self.window))
            return self._error("bad_response", E.no_choices_message(self.base_url))
        # The window is unknown (llama-cpp-python says it nowhere, and its stream just ends
        # when the prompt does not fit): past the smallest common window, take the silence
        # for an overflow and budget the next request to the largest common size below it.
        guess = max((w for w in COMMON_WINDOWS if w < asked), default=None)
        if guess is None or asked < COMMON_WINDOWS[0] * EMPTY_MEANS_OVERFLOW:
            return self._error("bad_response", E.no_choices_message(self.base_url))
        self.window, self.window_source = guess, "guessed from an empty answer"
        return self._error("overflow", E.overflow_message(None))

    # -- retries ------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_base * (2 ** (attempt - 1)), self.max_retry_wait)

    def _retry_wait(self, exc: Any, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None to give up now."""
        if exc.status_code not in RETRYABLE_STATUS or attempt > self.max_retries:
            return None
        after = retry_after_seconds(exc.response.headers)
        if after is None:
            return self._backoff(attempt)
        return None if after > self.max_retry_wait else after

    def _status_error(self, exc: Any, *, tries: int, model: str | None) -> ProviderError:
        status = int(exc.status_code)
        said = E.detail(server_text(exc), self._secrets)
        if status in (401, 403):
            return self._error("auth", E.auth_message(status, self.key_env), status=status)
        if status == 404:
            if model is None:  # GET /models itself
                return self._error("not_found", f"{E.display_url(self.base_url)}/models was not "
                                   "found. Check OPENAI_BASE_URL (it usually ends in /v1).",
                                   status=404)
            return self._error("not_found", E.not_found_message(model, self.base_url, None),
                               status=404)
        if status == 429:
            return self._error("rate_limit", E.rate_limit_message(
                self.base_url, tries, retry_after_seconds(exc.response.headers)),
                status=429, retryable=True)
        if status >= 500 or status in RETRYABLE_STATUS:
            return self._error("server", E.server_message(self.base_url, status, tries, said),
                               status=status, retryable=True)
        return self._error("other", E.bad_request_message(status, said), status=status)

    def _connection_error(self, exc: BaseException, *, partial: bool) -> ProviderError:
        names = {type(e).__name__ for e in exception_chain(exc)}
        if "ConnectTimeout" in names:
            return self._error("timeout", E.connect_timeout_message(
                self.base_url, self.connect_timeout, self.url_hint), retryable=True)
        if "ReadTimeout" in names or (type(exc).__name__ == "APITimeoutError"
                                      and "ConnectError" not in names):
            return self._error("timeout", E.read_timeout_message(
                self.base_url, self.read_timeout, partial), retryable=True)
        if partial:
            return self._error("stream_cut", E.stream_cut_message(self.base_url, True),
                               retryable=True)
        if refused(exc):
            return self._error("connection", E.refused_message(self.base_url, self.url_hint),
                               retryable=True)
        return self._error("connection", E.connect_failed_message(
            self.base_url, connect_reason(exc, self._secrets), self.url_hint), retryable=True)


# -- small helpers ---------------------------------------------------------------------------


async def _close_quietly(response: Any) -> None:
    with contextlib.suppress(Exception):  # closing must not mask the real outcome
        await response.close()
