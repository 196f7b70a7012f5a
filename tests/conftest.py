"""Shared pytest fixtures. Keep this file small: fixtures only, each with its own module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from oai_server import OAIServer, closed_port


@pytest.fixture
def oai_server() -> Iterator[OAIServer]:
    """A scriptable OpenAI-protocol server on 127.0.0.1 (see tests/oai_server.py)."""
    server = OAIServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def refused_base_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connections are refused."""
    return f"http://127.0.0.1:{closed_port()}/v1"


_PROVIDER_ENV = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENROUTER_API_KEY",
    "BACKEND_COPILOT_MODEL", "BACKEND_COPILOT_PROVIDER",
)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Every test gets its own data, config and export dirs, and no provider keys from outside."""
    root = tmp_path_factory.mktemp("copilot-home")
    dirs = {name: root / name for name in ("data", "config", "exports", "logs")}
    monkeypatch.setenv("BACKEND_COPILOT_DATA_DIR", str(dirs["data"]))
    monkeypatch.setenv("BACKEND_COPILOT_CONFIG_DIR", str(dirs["config"]))
    monkeypatch.setenv("BACKEND_COPILOT_EXPORT_DIR", str(dirs["exports"]))
    monkeypatch.setenv("BACKEND_COPILOT_LOG_DIR", str(dirs["logs"]))
    for name in _PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    return dirs
