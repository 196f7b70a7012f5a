"""Fixtures for the real-model tests (see real_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from real_server import RealServer, start_server, unavailable


@pytest.fixture(scope="session")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    server = start_server(tmp_path_factory.mktemp("llama"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[RealServer]:
    """A server of this test's own (the test kills it)."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    server = start_server(tmp_path)
    try:
        yield server
    finally:
        server.stop()
