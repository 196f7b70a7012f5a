"""Settings -> the provider to answer with. Building one is cheap: no network, no openai import."""

from __future__ import annotations

from agent.config import Settings
from agent.llm.base import Provider
from agent.llm.offline import PlaybookProvider

CONNECT_HINT = (
    "Offline playbook — connect a model: set OPENAI_API_KEY (and OPENAI_BASE_URL for a "
    "compatible server), or see `backend-copilot config`."
)


def make_provider(settings: Settings, *, temperature: float | None = None) -> Provider:
    if settings.provider == "offline":
        return PlaybookProvider(delay=settings.stream_delay)
    from agent.llm.openai_provider import OpenAIProvider

    return OpenAIProvider(
        name=settings.provider,
        model=settings.model or "",
        base_url=settings.base_url,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_retries=settings.max_retries,
        key_env=settings.key_env,
        temperature=temperature,
        context_window=settings.context_window,
    )
