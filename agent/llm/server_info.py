"""What a local server says about its context window, asked once before the first answer.

Each server family says it differently: llama.cpp's own server answers GET /props with
`default_generation_settings.n_ctx` (newer builds also `n_ctx` at the top), vLLM lists
`max_model_len` for each model in GET /v1/models, Ollama's POST /api/show has `num_ctx` among
a model's parameters (its runtime window, smaller than the model's trained length). Anything
else — no such route, a refusal, a timeout — is simply "unknown": the caller falls back to a
setting or a default. Short timeouts: this must never delay an answer noticeably.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import urllib.request
from typing import Any
from urllib.parse import urlsplit

PROBE_TIMEOUT = 2.0  # seconds per route
MAX_BODY = 4_000_000  # bytes read from a reply (a model list can be long; a window is not)
OLLAMA_DEFAULT_CTX = 2048  # Ollama's runtime window when a model sets no num_ctx
_NUM_CTX = re.compile(r"^\s*num_ctx\s+(\d+)", re.M)


def _root(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def window_from_props(data: Any) -> int | None:
    """llama.cpp /props."""
    if not isinstance(data, dict):
        return None
    settings = data.get("default_generation_settings")
    if isinstance(settings, dict) and _positive(settings.get("n_ctx")):
        return int(settings["n_ctx"])
    return _positive(data.get("n_ctx"))


def window_from_models(data: Any, model: str) -> int | None:
    """vLLM /v1/models: the chosen model's max_model_len (the only model's when not named)."""
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return None
    sized = [e for e in entries if isinstance(e, dict) and _positive(e.get("max_model_len"))]
    for entry in sized:
        if entry.get("id") == model:
            return int(entry["max_model_len"])
    return int(sized[0]["max_model_len"]) if len(sized) == 1 else None


def window_from_ollama_show(data: Any) -> int | None:
    if not isinstance(data, dict):
        return None
    match = _NUM_CTX.search(str(data.get("parameters") or ""))
    return int(match.group(1)) if match else OLLAMA_DEFAULT_CTX


def _get_json(url: str, headers: dict[str, str], payload: Any = None) -> Any:
    """GET (or POST `payload`) and parse JSON; None on any failure."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers={
        **headers, **({"Content-Type": "application/json"} if data else {})})
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as response:  # noqa: S310
            if response.status != 200:
                return None
            return json.loads(response.read(MAX_BODY))
    except (OSError, ValueError, http.client.HTTPException):
        return None


def _probe(base_url: str, model: str, api_key: str | None, provider_name: str) -> int | None:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    root = _root(base_url)
    if provider_name == "ollama":
        return window_from_ollama_show(_get_json(f"{root}/api/show", headers, {"model": model}))
    found = window_from_props(_get_json(f"{root}/props", headers))
    if found is None:
        found = window_from_models(_get_json(f"{base_url}/models", headers), model)
    return found


async def probe_window(base_url: str, model: str, api_key: str | None,
                       provider_name: str = "") -> int | None:
    """The server's context window, or None when it does not say. Runs in a worker thread
    (stdlib HTTP: no client library's pool to tie to this event loop)."""
    if not base_url.startswith(("http://", "https://")):
        return None
    return await asyncio.to_thread(_probe, base_url, model, api_key, provider_name)


def list_model_ids(base_url: str, api_key: str | None) -> list[str] | None:
    """The server's model ids (GET /models), sorted; None when it does not answer. Blocking,
    bounded by PROBE_TIMEOUT: for a slash command that must answer at once."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    data = _get_json(f"{base_url.rstrip('/')}/models", headers)
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return None
    return sorted(str(e["id"]) for e in entries if isinstance(e, dict) and e.get("id"))
