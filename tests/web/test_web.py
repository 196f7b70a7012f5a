"""End to end: `backend-copilot --web` in headless Chromium — type, see the answer and the badge.

Skipped when Chromium is absent (`make test-web` installs it). The browser's only network is
127.0.0.1: the page's web-font request is blocked.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cdp_browser import Browser, find_chromium, plain

from agent.session.catalogue import list_sessions
from agent.session.journal import Session

ROOT = Path(__file__).resolve().parents[2]
# `make test-web` keeps the picture in screenshots/; a plain `make test` leaves the tree clean.
SCREENSHOT = Path(os.environ.get("WEB_SCREENSHOT") or tempfile.gettempdir()) / "web.png"
CHROMIUM = find_chromium()
QUESTION = "We need real-time updates pushed to the browser from our API"

pytestmark = [
    pytest.mark.web,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed (apt-get install chromium, or run `make test-web`)",
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _until(check: Callable[[], bool], what: str, deadline: float = 60) -> None:
    """Wait for a condition the app shows; fail naming it (a bound, not a speed assert)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline
    while not check():
        if loop.time() > give_up:
            pytest.fail(f"the browser never showed {what}")
        await asyncio.sleep(0.1)


def printed_url(process: subprocess.Popen[bytes]) -> str:
    """The address `--web` prints at start (the user opens it; it carries the token)."""
    assert process.stdout is not None
    for raw in process.stdout:
        line = raw.decode("utf-8", "replace")
        if "open http" in line:
            # keep reading what it logs later, so a full pipe never blocks the server
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return line.split("open ", 1)[1].split()[0]
    pytest.fail(f"--web printed no address: {process.stderr.read().decode()[-500:]}")


@pytest.fixture
def web_app(tmp_path: Path) -> Iterator[str]:
    """`backend-copilot --web` on a free loopback port, answering offline."""
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), BACKEND_COPILOT_PROVIDER="offline")
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--web", "--port", str(port), "--provider", "offline"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,  # its own group: the apps it starts per tab stop with it
    )
    try:
        url = printed_url(process)  # with this run's token: the page and socket need it
        for _ in range(300):
            if process.poll() is not None:
                pytest.fail(f"--web exited: {process.stderr.read().decode()[-500:]}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("--web never answered on its port")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def test_chat_in_the_browser(web_app: str) -> None:
    assert CHROMIUM is not None
    browser = Browser(CHROMIUM)
    frames: list[str] = []

    def on_event(method: str, params: dict) -> None:
        if method == "Network.webSocketFrameReceived":
            response = params["response"]
            data = response["payloadData"]
            if response.get("opcode") == 2:
                data = base64.b64decode(data).decode("utf-8", "replace")
            frames.append(data)

    def screen() -> str:
        return plain("".join(frames))

    try:
        await browser.connect()
        browser.on_event(on_event)
        await browser.send("Network.enable")
        await browser.send(
            "Network.setBlockedURLs", urls=["*://fonts.googleapis.com/*", "*://fonts.gstatic.com/*"]
        )
        await browser.send("Page.enable")
        await browser.send("Page.navigate", url=web_app)
        await _until(lambda: "backend · auto · idle" in screen(), "the idle persona badge")

        await browser.send(
            "Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()"
        )
        await browser.type_text(QUESTION)
        await browser.press_enter()

        await _until(lambda: "backend · auto · active" in screen(), "the active persona badge")
        await _until(lambda: "WebSocket" in screen(), "the streamed answer")

        def answered() -> bool:
            summaries = list_sessions()
            if not summaries:
                return False
            state = Session.open(summaries[0].id, read_only=True).state
            return any(m.role == "assistant" and m.status == "complete" for m in state.messages)

        await _until(answered, "a finished answer in the session log")
        state = Session.open(list_sessions()[0].id, read_only=True).state
        assert [m.content for m in state.messages if m.role == "user"] == [QUESTION]
        assert "WebSocket" in state.messages[-1].content and state.persona_active
        seen = len(frames)
        for _ in range(50):  # let the last frames paint before the picture
            await asyncio.sleep(0.1)
            if len(frames) == seen:
                break
            seen = len(frames)
        await browser.screenshot(SCREENSHOT)
        assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        await browser.close()
