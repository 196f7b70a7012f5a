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
