"""The browser test's marker: `pytest -m web` runs only it, `-m "not web"` leaves it out."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "web: drives the app in headless Chromium (--web)")
