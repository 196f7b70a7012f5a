"""A scriptable OpenAI-protocol server on 127.0.0.1 for tests.

Why: provider tests must drive the real `openai` client over real HTTP (no mocks), including
every way a server fails. Each chat request takes the next script from a queue; with the queue
empty the server answers "OK". Every request is recorded for assertions.

    server = OAIServer().start()
    server.script(text("Hello world", chunks=3), error(429, retry_after=0.1))
    ... base_url=server.base_url ...
    server.requests[0].body["model"]
    server.stop()

Streaming answers use chunked transfer encoding (HTTP/1.1), so a script that closes the
socket mid-answer is seen by the client as an incomplete body, as with a real dropped link.

Server-wide behaviours of real local servers (attributes, set before the request):
- `n_ctx`: a llama.cpp-style window, served at GET /props and enforced: a request whose
  prompt (counted more harshly than the app's estimate) plus max_tokens exceeds it fails the
  way `overflow` says — "stream" (an error event inside a 200 stream, llama.cpp), "400"
  (OpenAI's wording), "vllm" (vLLM's wording, with no window in /props) or "empty" (a 200
  stream that ends with no choices). `max_model_len` lists the window in /v1/models (vLLM).
- max_tokens is obeyed: a longer scripted answer is cut and ends with finish_reason "length".
- `ignore_tools`: `tools` are accepted and ignored (a tool-call script is answered as text).
- `refuse_streamed_tools`: a streamed request with `tools` gets a 400 (llama.cpp's
  function-calling template wants a named tool_choice and no streaming).
- `refuse_null_content` (on by default, as llama.cpp): a message whose content is null gets a
  500 with a pydantic validation dump.
- `send_usage=False`: usage is never sent, whatever stream_options asks (llama.cpp).
- a script's `pings`: `: ping` SSE comment lines before each chunk (keep-alives).
"""

from __future__ import annotations

import contextlib
import json
import math
import select
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

ScriptKind = Literal[
    "text", "error", "cut", "malformed", "empty_choices", "hang", "tool_calls", "raw"
]


@dataclass
class Script:
    """One scripted reply to one chat-completions request."""

    kind: ScriptKind
    pieces: list[str] = field(default_factory=list)  # content deltas, in order
    delay: float = 0.0  # seconds before each streamed chunk
    finish_reason: str = "stop"
    usage: tuple[int, int] = (11, 7)  # (prompt_tokens, completion_tokens)
    status: int = 200
    error_message: str = ""
    error_type: str = ""
    error_code: str | None = None
    retry_after: float | None = None
    hang_seconds: float = 0.0
    bad_line: str = "data: {this is not json"
    tool_calls: list[tuple[str, str]] = field(default_factory=list)  # (name, arguments json)
    raw_lines: list[str] = field(default_factory=list)  # "raw": SSE lines sent verbatim
    leading_empty: int = 0  # "empty_choices": chunks with `choices: []` before the answer
    tool_pieces: int = 3  # "tool_calls": fragments per call's arguments
    pings: int = 0  # `: ping` keep-alive comment lines before each streamed chunk


def _split(text: str, chunks: int) -> list[str]:
    """Split text into `chunks` non-empty pieces of near-equal size (fewer if text is short)."""
    chunks = max(1, min(chunks, len(text))) if text else 1
    size, extra = divmod(len(text), chunks)
    out: list[str] = []
    start = 0
    for i in range(chunks):
        end = start + size + (1 if i < extra else 0)
        out.append(text[start:end])
        start = end
    return out


def text(
    answer: str | list[str] = "OK",
    *,
    chunks: int = 1,
    delay: float = 0.0,
    finish_reason: str = "stop",
    usage: tuple[int, int] = (11, 7),
    pings: int = 0,
) -> Script:
    """A normal answer: a string split into `chunks` pieces, or an explicit list of pieces."""
    pieces = list(answer) if isinstance(answer, list) else _split(answer, chunks)
    return Script("text", pieces=pieces, delay=delay, finish_reason=finish_reason, usage=usage,
                  pings=pings)


_DEFAULT_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Bad request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to use this model.", "invalid_request_error", None),
    404: ("The model does not exist.", "invalid_request_error", "model_not_found"),
    429: ("Rate limit reached. Please try again later.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded.", "server_error", None),
}


def error(
    status: int,
    message: str | None = None,
    *,
    type: str | None = None,  # noqa: A002 - mirrors the OpenAI error body field
    code: str | None = None,
    retry_after: float | None = None,
) -> Script:
    """An HTTP error with an OpenAI-style JSON body, optionally with Retry-After (seconds)."""
    d_msg, d_type, d_code = _DEFAULT_ERRORS.get(status, ("Error.", "server_error", None))
    return Script(
        "error",
        status=status,
        error_message=message if message is not None else d_msg,
        error_type=type or d_type,
        error_code=code if code is not None else d_code,
        retry_after=retry_after,
    )


def cut(answer: str | list[str] = "partial answer", *, chunks: int = 2, delay: float = 0.0) -> Script:
    """Stream these pieces, then close the socket without finishing the body."""
    pieces = list(answer) if isinstance(answer, list) else _split(answer, chunks)
    return Script("cut", pieces=pieces, delay=delay)


def malformed(answer: str | list[str] = "before bad line", *, chunks: int = 1,
              bad_line: str = "data: {this is not json", then: str = " after") -> Script:
    """Stream pieces, then one line that is not valid JSON, then more text and [DONE]."""
    pieces = list(answer) if isinstance(answer, list) else _split(answer, chunks)
    return Script("malformed", pieces=pieces + [then], bad_line=bad_line)


def empty_choices(answer: str | list[str] = "", *, chunks: int = 1, leading: int = 2) -> Script:
    """`leading` chunks with `choices: []` first; then the answer (none when empty)."""
    pieces = (list(answer) if isinstance(answer, list) else _split(answer, chunks)) if answer else []
    return Script("empty_choices", pieces=pieces, leading_empty=leading)


def hang(seconds: float, *, after: str | list[str] = "", chunks: int = 1) -> Script:
    """Sleep `seconds` before answering at all, or after streaming `after` (a mid-answer stall)."""
    pieces = (list(after) if isinstance(after, list) else _split(after, chunks)) if after else []
    return Script("hang", pieces=pieces, hang_seconds=seconds)


def tool_calls(calls: list[tuple[str, str]], *, pieces: int = 3) -> Script:
    """Stream `delta.tool_calls` fragments: each call's arguments split into `pieces`."""
    return Script("tool_calls", tool_calls=list(calls), tool_pieces=pieces,
                  finish_reason="tool_calls")


def raw(lines: list[str], *, status: int = 200) -> Script:
    """Send these SSE lines verbatim (each followed by a blank line)."""
    return Script("raw", raw_lines=list(lines), status=status)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names, as received (nothing removed)
    body: Any  # parsed JSON, or the raw text when not JSON, or None
    disconnected: bool = False  # the client went away while we were answering


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
        return

    # --- request entry points -------------------------------------------------
    def do_GET(self) -> None:
        rec = self._record(None)
        owner = self.server.owner
        if self.path.rstrip("/") == "/props" and owner.n_ctx and owner.overflow != "vllm":
            self._send_json(200, {"default_generation_settings": {"n_ctx": owner.n_ctx},
                                  "total_slots": 1})
            return
        if self.path.rstrip("/").endswith("/models"):
            if owner.models_status != 200:
                self._send_json(owner.models_status, {"error": {"message": "no models here"}})
                return
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "test"}
                    for m in owner.models]
            if owner.max_model_len:
                for entry in data:
                    entry["max_model_len"] = owner.max_model_len
            self._send_json(200, {"object": "list", "data": data})
            return
        self._send_json(404, {"error": {"message": f"Unknown path {rec.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = raw_body.decode("utf-8", "replace")
        rec = self._record(body)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"Unknown path {self.path}"}})
            return
        if isinstance(body, dict) and _is_tool_probe(body):
            self._answer_probe(body)
            return
        refusal = self.server.owner.refusal(body if isinstance(body, dict) else {})
        if refusal is not None:
            self._refuse(refusal, body if isinstance(body, dict) else {})
            return
        script = self.server.owner.next_script()
        stream = isinstance(body, dict) and bool(body.get("stream"))
        try:
            self._answer(script, body if isinstance(body, dict) else {}, stream, rec)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            rec.disconnected = True
            self.server.owner.disconnected.set()
            self.close_connection = True

    # --- helpers -------------------------------------------------------------
    def _record(self, body: Any) -> RecordedRequest:
        rec = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        with self.server.owner.lock:
            self.server.owner.requests.append(rec)
        return rec

    def _send_json(self, status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _client_gone(self) -> bool:
        """True when the client closed its end (readable socket with nothing to read)."""
        sock = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            return sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _wait(self, seconds: float, rec: RecordedRequest) -> bool:
        """Sleep up to `seconds`, waking on server stop or client disconnect. False = stop now."""
        owner = self.server.owner
        deadline = time.monotonic() + seconds
        while True:
            if self._client_gone():
                rec.disconnected = True
                owner.disconnected.set()
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            if owner.stopping.wait(min(left, 0.02)):
                return False

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _sse(self, payload: Any) -> None:
        line = payload if isinstance(payload, str) else json.dumps(payload)
        self._write_chunk(f"data: {line}\n\n".encode())

    def _end_stream(self) -> None:
        self._sse("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, model: str, delta: dict[str, Any] | None, finish: str | None = None,
               usage: dict[str, int] | None = None, choices: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if choices else [],
        }
        if usage is not None:
            out["usage"] = usage
        return out

    def _answer_probe(self, body: dict[str, Any]) -> None:
        """The app's one-off "does this model call tools?" request: a forced call to `ping`,
        answered with that call (or with prose when this server ignores tools). It never takes
        a script, so tests script only the conversation."""
        owner = self.server.owner
        if owner.ignore_tools:
            message: dict[str, Any] = {"role": "assistant", "content": "Pong! How can I help?"}
        else:
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_ping", "type": "function",
                "function": {"name": "ping", "arguments": "{}"}}]}
        self._send_json(200, {
            "id": "chatcmpl-probe", "object": "chat.completion", "created": 0,
            "model": str(body.get("model") or "test-model"),
            "choices": [{"index": 0, "finish_reason": "tool_calls" if message.get("tool_calls")
                         else "stop", "message": message}],
        })

    def _refuse(self, refusal: tuple[str, str], body: dict[str, Any]) -> None:
        """Answer a request a real local server would not serve (see OAIServer.refusal)."""
        kind, message = refusal
        if kind == "null_content":
            self._send_json(500, {"error": {"message": message, "type": "internal_server_error"}})
        elif kind in ("400", "vllm"):
            self._send_json(400, {"error": {"message": message, "type": "invalid_request_error",
                                            "param": "messages", "code": "context_length_exceeded"}})
        else:  # "stream" or "empty": a 200 stream that fails inside
            self._start_stream()
            if kind == "stream":
                self._sse({"error": {"message": message, "type": "server_error", "code": 500}})
            self._end_stream()

    def _answer(self, s: Script, body: dict[str, Any], stream: bool, rec: RecordedRequest) -> None:
        model = str(body.get("model") or "test-model")
        owner = self.server.owner
        wants_usage = owner.send_usage and bool((body.get("stream_options") or {}).get("include_usage"))
        if s.kind == "tool_calls" and owner.ignore_tools:
            s = text("I reviewed the file and it looks fine.", chunks=3)
        limit = body.get("max_tokens")
        if isinstance(limit, int) and s.kind == "text" and owner.tokens("".join(s.pieces)) > limit:
            s = text(owner.cut_to(s.pieces, limit), chunks=max(1, len(s.pieces)),
                     finish_reason="length", usage=s.usage, pings=s.pings)
        usage = {"prompt_tokens": s.usage[0], "completion_tokens": s.usage[1],
                 "total_tokens": s.usage[0] + s.usage[1]}

        if s.kind == "error":
            err = {"error": {"message": s.error_message, "type": s.error_type,
                             "param": None, "code": s.error_code}}
            extra = {} if s.retry_after is None else {"Retry-After": f"{s.retry_after:g}"}
            self._send_json(s.status, err, extra)
            return

        if s.kind == "hang" and not s.pieces and not self._wait(s.hang_seconds, rec):
            self.close_connection = True
            return

        if not stream:
            content = "".join(s.pieces)
            self._send_json(200, {
                "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "finish_reason": s.finish_reason,
                             "message": {"role": "assistant", "content": content}}],
                "usage": usage,
            })
            return

        self._start_stream()
        if s.kind == "raw":
            for line in s.raw_lines:
                self._write_chunk(f"{line}\n\n".encode())
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return

        if s.kind == "empty_choices":
            for _ in range(s.leading_empty):
                self._sse(self._chunk(model, None, choices=False))
            if not s.pieces:
                if wants_usage:
                    self._sse(self._chunk(model, None, usage=usage, choices=False))
                self._end_stream()
                return

        if s.kind == "tool_calls":
            self._stream_tool_calls(s, model, usage if wants_usage else None)
            return

        self._sse(self._chunk(model, {"role": "assistant", "content": ""}))
        for i, piece in enumerate(s.pieces):
            for _ in range(s.pings):
                self._write_chunk(b": ping\n\n")
            if s.delay and not self._wait(s.delay, rec):
                self.close_connection = True
                return
            if s.kind == "malformed" and i == len(s.pieces) - 1:
                self._write_chunk(f"{s.bad_line}\n\n".encode())
            self._sse(self._chunk(model, {"content": piece}))
        if s.kind == "cut":
            # Drop the link: no terminating chunk, no [DONE].
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if s.kind == "hang" and not self._wait(s.hang_seconds, rec):
            self.close_connection = True
            return
        self._sse(self._chunk(model, {}, finish=s.finish_reason))
        if wants_usage:
            self._sse(self._chunk(model, None, usage=usage, choices=False))
        self._end_stream()

    def _stream_tool_calls(self, s: Script, model: str, usage: dict[str, int] | None) -> None:
        self._sse(self._chunk(model, {"role": "assistant", "content": None}))
        n = max(1, s.tool_pieces)
        for index, (name, args) in enumerate(s.tool_calls):
            self._sse(self._chunk(model, {"tool_calls": [{
                "index": index, "id": f"call_{index}", "type": "function",
                "function": {"name": name, "arguments": ""}}]}))
            for part in _split(args, n):
                self._sse(self._chunk(model, {"tool_calls": [{
                    "index": index, "function": {"arguments": part}}]}))
        self._sse(self._chunk(model, {}, finish=s.finish_reason))
        if usage is not None:
            self._sse(self._chunk(model, None, usage=usage, choices=False))
        self._end_stream()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: OAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up is a normal event here (cancel tests), not a stderr traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            self.owner.disconnected.set()
            return
        super().handle_error(request, client_address)


class OAIServer:
    """The server object a test talks to: `.base_url`, `.script(...)`, `.requests`."""

    def __init__(self, models: list[str] | None = None) -> None:
        self.models: list[str] = list(models or ["test-model", "gpt-4o-mini", "llama3"])
        self.models_status = 200  # set to e.g. 500 to make GET /models fail
        # Behaviours of real local servers (see the module docstring):
        self.n_ctx: int | None = None
        self.overflow: Literal["stream", "400", "vllm", "empty"] = "stream"
        self.max_model_len: int | None = None
        self.ignore_tools = False
        self.refuse_streamed_tools = False  # "auto" tool choice with streaming is refused (400)
        self.refuse_null_content = True
        self.send_usage = True
        self.largest_request = 0  # the biggest prompt + max_tokens seen (as this server counts)
        self.requests: list[RecordedRequest] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.disconnected = threading.Event()  # set when any client vanished mid-answer
        self._scripts: deque[Script] = deque()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The conversation's requests (the app's tool-support probe is in probe_requests)."""
        return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")
                and not (isinstance(r.body, dict) and _is_tool_probe(r.body))]

    @property
    def probe_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")
                and isinstance(r.body, dict) and _is_tool_probe(r.body)]

    def script(self, *scripts: Script) -> OAIServer:
        with self.lock:
            self._scripts.extend(scripts)
        return self

    # -- what a real server refuses ----------------------------------------------------------

    CHARS_PER_TOKEN = 3.5  # harsher than the app's 4: a real tokenizer may count more

    def tokens(self, value: str) -> int:
        return math.ceil(len(value) / self.CHARS_PER_TOKEN)

    def cut_to(self, pieces: list[str], tokens: int) -> str:
        return "".join(pieces)[: int(tokens * self.CHARS_PER_TOKEN)]

    def prompt_tokens(self, body: dict[str, Any]) -> int:
        """The request's prompt as this server counts it: every message's text and tool calls,
        8 tokens of template per message, and the tool definitions."""
        total = 0
        for message in body.get("messages") or []:
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            total += 8 + self.tokens(content if isinstance(content, str) else "")
            if message.get("tool_calls"):
                total += self.tokens(json.dumps(message["tool_calls"]))
        if body.get("tools"):
            total += self.tokens(json.dumps(body["tools"]))
        return total

    def refusal(self, body: dict[str, Any]) -> tuple[str, str] | None:
        """(how, message) when this request would fail on a real local server, else None."""
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        if self.refuse_streamed_tools and body.get("tools") and body.get("stream"):
            return ("400", "Automatic tool choice is not supported with streaming; "
                    "set tool_choice to a function name.")
        if self.refuse_null_content:
            for i, message in enumerate(messages):
                if "content" in message and message["content"] is None:
                    return ("null_content", "1 validation error for CreateChatCompletionRequest\n"
                            f"messages.{i}.content\n  Input should be a valid string "
                            "[type=string_type, input_value=None, input_type=NoneType]\n"
                            "    For further information visit https://errors.pydantic.dev")
        window = self.n_ctx or self.max_model_len
        if not window:
            return None
        prompt = self.prompt_tokens(body)
        answer = body.get("max_tokens") if isinstance(body.get("max_tokens"), int) else 0
        with self.lock:
            self.largest_request = max(self.largest_request, prompt + answer)
        if prompt + answer <= window:
            return None
        if self.overflow == "stream":
            return ("stream", f"Requested tokens ({prompt + answer}) exceed context window of {window}")
        if self.overflow == "400":
            return ("400", f"This model's maximum context length is {window} tokens. However, you "
                    f"requested {prompt + answer} tokens ({prompt} in the messages, {answer} in "
                    "the completion). Please reduce the length of the messages or completion.")
        if self.overflow == "vllm":
            return ("vllm", f"'max_tokens' or 'max_completion_tokens' is too large: {answer}. This "
                    f"model's maximum context length is {window} tokens and your request has "
                    f"{prompt} input tokens ({answer} > {window} - {prompt}).")
        return ("empty", "")

    def next_script(self) -> Script:
        with self.lock:
            return self._scripts.popleft() if self._scripts else text("OK")

    def start(self) -> OAIServer:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name="oai-test-server", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _is_tool_probe(body: dict[str, Any]) -> bool:
    choice = body.get("tool_choice")
    return (not body.get("stream") and isinstance(choice, dict)
            and (choice.get("function") or {}).get("name") == "ping")


def closed_port() -> int:
    """A 127.0.0.1 port with nothing listening (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StalledListener:
    """A 127.0.0.1 port whose accept queue is full, so new connections time out.

    It listens with backlog 0 and never accepts; it fills the queue with its own connections.
    Linux then drops further SYNs, which a client sees as a connect timeout.
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = int(self.sock.getsockname()[1])
        self._fillers: list[socket.socket] = []
        for _ in range(8):  # bounded: stop once a connect attempt itself stalls
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.settimeout(0.2)
            try:
                c.connect(("127.0.0.1", self.port))
            except OSError:
                c.close()
                break
            self._fillers.append(c)

    def close(self) -> None:
        for c in self._fillers:
            c.close()
        self.sock.close()

