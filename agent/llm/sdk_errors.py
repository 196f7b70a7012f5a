"""Reading the OpenAI SDK's exceptions without importing `openai`: the server's own error
text, Retry-After, the cause chain (refused, host not found), and the refusals the provider
answers by changing its request (no tools, no stream_options).

Why a module: these look at an exception's attributes only, so they are plain functions the
provider's failure handling shares (and tests can call directly).
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

from agent.llm import errors as E


def retry_after_seconds(headers: Any) -> float | None:
    """Retry-After (seconds or an HTTP date) or retry-after-ms, in seconds; None when absent."""
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
    except (AttributeError, ValueError):
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def refuses_tools(exc: Any) -> bool:
    text = server_text(exc).lower()
    return exc.status_code in (400, 422, 500, 501) and ("tool" in text or "function" in text) \
        and not E.overflow_window(text)[0]


def mentions_stream_options(exc: Any) -> bool:
    return "stream_options" in server_text(exc) or "include_usage" in server_text(exc)


def server_text(exc: Any) -> str:
    """The server's own error message from an OpenAI-style body, else the SDK's message."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(inner, str):
            return inner
    if isinstance(body, str):
        return body
    return str(getattr(exc, "message", "") or "")


def exception_chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(out) < 20:
        out.append(current)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return out


def refused(exc: BaseException) -> bool:
    for e in exception_chain(exc):
        if isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == 111:
            return True
        if "refused" in str(e).lower():
            return True
    return False


def connect_reason(exc: BaseException, secrets: tuple[str | None, ...]) -> str:
    """The deepest cause's text, e.g. 'Name or service not known'."""
    for e in reversed(exception_chain(exc)):
        text = E.detail(str(e), secrets)
        if text:
            if "name or service not known" in text.lower() or "nodename nor servname" in text.lower():
                return "host not found"
            return text
    return "connection failed"
