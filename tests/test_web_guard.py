"""`--web` opens its door only to the page with this run's token, from its own origin.

The real `backend-copilot --web` process on a free loopback port; aiohttp (which comes with
textual-serve) plays both the right page and a foreign web page. The browser test
(tests/web/) checks that the real page still works with the token.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--web", "--port", str(port), "--provider", "offline"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        url = ""
        for raw in process.stdout:
            line = raw.decode()
            if "open http" in line:
                url = line.split("open ", 1)[1].split()[0]
                break
        assert url, process.stderr.read().decode()[-500:]
        threading.Thread(target=process.stdout.read, daemon=True).start()
        deadline = time.monotonic() + 60
        while True:  # until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "--web never listened"
                time.sleep(0.05)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _parts(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.query.removeprefix("token=")


async def _status(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(url) as response:
        return response.status


async def _upgrade(session: aiohttp.ClientSession, url: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin is not None else {}
    try:
        async with session.ws_connect(url, headers=headers) as ws:
            await ws.close()
            return 101
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status


async def test_the_page_and_socket_need_the_token_and_the_servers_own_origin(served: str) -> None:
    base, token = _parts(served)
    assert len(token) >= 24
    ws_base = base.replace("http://", "ws://")
    async with aiohttp.ClientSession() as session:
        assert await _status(session, f"{base}/") == 403
        assert await _status(session, f"{base}/?token=wrong") == 403
        async with session.get(served) as response:
            assert response.status == 200
            page = await response.text()
        assert f"/ws/{token}" in page  # the page talks to the guarded socket
        # A foreign web page: right token or not, its Origin is not ours.
        assert await _upgrade(session, f"{ws_base}/ws/{token}", "http://evil.example") == 403
        assert await _upgrade(session, f"{ws_base}/ws/{token}", None) == 403
        assert await _upgrade(session, f"{ws_base}/ws/wrong", base) == 403
        assert await _upgrade(session, f"{ws_base}/ws", base) == 403  # textual-serve's own
        assert await _upgrade(session, f"{ws_base}/ws/{token}?width=80&height=24", base) == 101
