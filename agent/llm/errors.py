"""Provider failures -> one line a person can act on.

Pure functions (no openai import), so every message can be unit-tested and so the rules hold
everywhere: one line, no terminal escapes, capped length, and never an API key — the known key
is replaced, and anything shaped like a key (`sk-...`, `Bearer ...`) is masked as well, because
servers echo keys back in their error bodies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from agent.errors import CopilotError
from agent.llm.base import ErrorKind, ProviderError
from agent.llm.context_budget import OVERFLOW_PREFIX
from agent.text import KEY_SHAPED, strip_terminal_escapes

MAX_DETAIL = 200  # characters of server-supplied text kept in a message
MAX_MODELS_LISTED = 12
MIN_SUBSTRING_SECRET = 12  # shorter secrets are masked as whole words only

_SPACE = re.compile(r"\s+")


def host_of(base_url: str) -> str:
    """'http://127.0.0.1:8080/v1' -> '127.0.0.1:8080' (the whole string when unparsable)."""
    netloc = urlsplit(base_url).netloc
    return netloc.rsplit("@", 1)[-1] or base_url


def display_url(base_url: str) -> str:
    """The URL without user:password@ or a query string (either may carry a secret)."""
    parts = urlsplit(base_url)
    if not parts.netloc:
        return base_url
    return f"{parts.scheme}://{host_of(base_url)}{parts.path}"


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """One safe line: secrets and key-shaped words masked, escapes stripped, whitespace folded.

    A short secret (a placeholder such as `test` for a local server) is masked only where it
    stands alone, so the model name `test-model` is not shown as `***-model`.
    """
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        if len(secret) >= MIN_SUBSTRING_SECRET:
            text = text.replace(secret, "***")
        else:
            text = re.sub(rf"(?<![\w\-.]){re.escape(secret)}(?![\w\-])", "***", text)
    text = KEY_SHAPED.sub("***", text)
    text = strip_terminal_escapes(text)
    return _SPACE.sub(" ", text).strip()


def scrub_lines(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Like scrub, but keeps the line breaks (a validation dump is read line by line)."""
    return "\n".join(scrub(line, secrets) for line in text.splitlines())


def detail(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Server-supplied text, scrubbed and cut to MAX_DETAIL characters."""
    clean = scrub(text, secrets)
    return clean if len(clean) <= MAX_DETAIL else clean[: MAX_DETAIL - 1].rstrip() + "…"


def make_error(kind: ErrorKind, message: str, *, status: int | None = None,
               retryable: bool = False, secrets: Iterable[str | None] = ()) -> ProviderError:
    """The one constructor every provider error goes through, so scrubbing is never skipped."""
    return ProviderError(kind=kind, message=scrub(message, secrets), status=status,
                         retryable=retryable)


def key_hint(key_env: str) -> str:
    if key_env == "OPENAI_API_KEY":
        return "Set OPENAI_API_KEY to a valid key, or run `backend-copilot config`."
    return (f"Set OPENAI_API_KEY (or the provider's variable: {key_env}) to a valid key, "
            "or run `backend-copilot config`.")


def auth_message(status: int, key_env: str) -> str:
    return f"The server rejected the API key ({status}). {key_hint(key_env)}"


def missing_key_message(key_env: str) -> str:
    return f"No API key found. {key_hint(key_env)}"


def not_found_message(model: str, base_url: str, available: list[str] | None) -> str:
    if available:
        shown = ", ".join(available[:MAX_MODELS_LISTED])
        more = len(available) - MAX_MODELS_LISTED
        if more > 0:
            shown += f" (and {more} more)"
        return (f"Model '{model}' not found at {display_url(base_url)}. Available: {shown}. "
                "Set BACKEND_COPILOT_MODEL or --model.")
    return (f"Model '{model}' not found at {display_url(base_url)}, and the server did not list its models. "
            "Check the model name (BACKEND_COPILOT_MODEL or --model) and OPENAI_BASE_URL "
            "(it usually ends in /v1).")


def rate_limit_message(base_url: str, tries: int, retry_after: float | None) -> str:
    after = f" (Retry-After: {retry_after:g}s)" if retry_after is not None else ""
    return f"Rate limited by {host_of(base_url)} after {tries} tries; wait and retry{after}."


def _said(server_text: str) -> str:
    """': the server's words' without its final full stop (ours follows)."""
    text = server_text.rstrip(". ")
    return f": {text}" if text else ""


def server_message(base_url: str, status: int, tries: int, server_text: str = "") -> str:
    said = _said(server_text)
    return (f"The server at {host_of(base_url)} failed with {status} after {tries} "
            f"{'try' if tries == 1 else 'tries'}{said}. Try again later.")


def bad_request_message(status: int, server_text: str) -> str:
    said = _said(server_text)
    return f"The server refused the request ({status}){said}."


DEFAULT_URL_HINT = "Check OPENAI_BASE_URL"
# Ollama's address comes from config.toml or --base-url; OPENAI_BASE_URL is ignored for it by
# design, so naming that variable would send the user to the wrong knob.
OLLAMA_URL_HINT = ("Is Ollama running (`ollama serve`)? OPENAI_BASE_URL is not used for ollama/ "
                   "models: set base_url in config.toml or --base-url")


def url_hint(provider_name: str) -> str:
    """What to check when the server cannot be reached, for this provider."""
    return OLLAMA_URL_HINT if provider_name == "ollama" else DEFAULT_URL_HINT


def refused_message(base_url: str, hint: str = DEFAULT_URL_HINT) -> str:
    if hint == DEFAULT_URL_HINT:
        return (f"Could not connect to {display_url(base_url)}: connection refused. "
                f"Is the server running? {hint}.")
    return f"Could not connect to {display_url(base_url)}: connection refused. {hint}."


def connect_failed_message(base_url: str, reason: str, hint: str = DEFAULT_URL_HINT) -> str:
    return f"Could not connect to {display_url(base_url)}: {reason}. {hint} and your network."


def connect_timeout_message(base_url: str, seconds: float, hint: str = DEFAULT_URL_HINT) -> str:
    return (f"Timed out connecting to {display_url(base_url)} after {seconds:g}s. "
            f"{hint} and your network.")


def read_timeout_message(base_url: str, seconds: float, partial: bool) -> str:
    kept = " The partial answer is kept." if partial else ""
    return (f"{host_of(base_url)} sent nothing for {seconds:g}s (read timeout); the model may be "
            f"busy. Try again, or raise read_timeout in config.toml.{kept}")


def stream_cut_message(base_url: str, partial: bool) -> str:
    if partial:
        return (f"The connection to {host_of(base_url)} closed mid-answer; the partial answer "
                "is kept. Try again.")
    return f"The connection to {host_of(base_url)} closed before any answer arrived. Try again."


def malformed_message(base_url: str, partial: bool) -> str:
    kept = "; the partial answer is kept" if partial else ""
    return (f"The server at {host_of(base_url)} sent a line that is not valid JSON{kept}. "
            "Is OPENAI_BASE_URL an OpenAI-compatible endpoint?")


def no_choices_message(base_url: str) -> str:
    return (f"The server sent no choices ({host_of(base_url)} answered, but with no text). "
            "Check the model name and try again.")


# -- context overflow -----------------------------------------------------------------------
# Each server words "the prompt is longer than my window" its own way; the number, when given,
# is the window, which the app then budgets to.
_WINDOW_NUMBER = (
    re.compile(r"exceeds? (?:the )?context window of (\d+)", re.I),  # llama.cpp
    re.compile(r"maximum context length is (\d+)", re.I),  # OpenAI, vLLM, llama-cpp-python
    re.compile(r"context (?:length|window|size)(?: of| is|:)? (\d+)", re.I),
    re.compile(r"n_ctx(?:_slot)?\s*[=:]\s*(\d+)", re.I),
)
_OVERFLOW_WORDS = re.compile(
    r"context[_ ]length[_ ]exceeded|exceeds? (?:the )?(?:available )?context|maximum context "
    r"length|context window|prompt is too long|too many tokens|input is too long|"
    r"requested tokens|n_ctx", re.I)


def overflow_window(server_text: str) -> tuple[bool, int | None]:
    """(is this a context overflow?, the window it names or None)."""
    if not _OVERFLOW_WORDS.search(server_text):
        return False, None
    for pattern in _WINDOW_NUMBER:
        match = pattern.search(server_text)
        if match:
            return True, int(match.group(1))
    return True, None


def overflow_message(window: int | None) -> str:
    size = f"{window:,}-token window" if window else "context window"
    return (f"{OVERFLOW_PREFIX} {size}: /compact to summarise it, "
            "/new to start fresh, or raise the server's context size.")


# -- request validation ------------------------------------------------------------------------
# A server that rejects the request's shape answers the same way every time (some with a 500
# and a pydantic dump); retrying only makes the user wait for the same refusal.
_VALIDATION = re.compile(
    r"validation error|Input should be|field required|Field required|is not valid under|"
    r"Invalid value|invalid_request_error|unsupported|not supported|Extra inputs are not permitted",
)
_VALIDATION_LINE = re.compile(r"Input should be[^\n\[]*|[Ff]ield required|Extra inputs are "
                              r"not permitted|not supported[^\n]*|unsupported[^\n]*")


def is_validation_error(server_text: str) -> bool:
    return bool(_VALIDATION.search(server_text))


def validation_message(status: int, server_text: str) -> str:
    """The useful line of a validation dump: which field, and what the server wanted."""
    lines = [ln.strip() for ln in server_text.splitlines() if ln.strip()]
    useful = ""
    for i, line in enumerate(lines):
        found = _VALIDATION_LINE.search(line)
        if found:
            where = lines[i - 1] if i > 0 and " " not in lines[i - 1] else ""
            useful = f"{where}: {found.group(0).strip()}" if where else found.group(0).strip()
            break
    if not useful:
        useful = lines[0] if lines else ""
    said = _said(useful[:MAX_DETAIL])
    return f"The server refused the request as invalid ({status}){said}. Retrying would not help."


class ProviderFailure(CopilotError):
    """Raised by the few provider calls that return data (e.g. list_models) when they fail."""

    title = "Model"

    def __init__(self, error: ProviderError) -> None:
        super().__init__(error.message)
        self.error = error
