"""The app against a real model on a real server (llama-cpp-python + SmolLM2-135M, 127.0.0.1).

What the loopback server imitates is checked here against the real thing: streaming, a long
conversation inside a small window, cancel, a server killed mid-answer, an overflow explained.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from real_server import ROOT, RealServer

from agent.copilot import Copilot
from agent.llm.base import StreamChunk, StreamEnd

QUESTIONS = [
    "How should our API paginate the orders list?",
    "Which database index helps that query?",
    "How do we cache the first page?",
    "What status code for a missing order?",
    "How do we version the API?",
    "Where do we validate the input?",
    "How do we rate limit the endpoint?",
    "What do we log for each request?",
    "How do we test the pagination?",
    "How do we deploy the service safely?",
    "What metrics matter for this endpoint?",
    "Summarise the plan in one line.",
]


def cli_env(server: RealServer, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "BACKEND_COPILOT_"))}
    env.update({
        "BACKEND_COPILOT_DATA_DIR": str(home / "data"),
        "BACKEND_COPILOT_CONFIG_DIR": str(home / "config"),
        "BACKEND_COPILOT_EXPORT_DIR": str(home / "exports"),
        "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "local",
        "BACKEND_COPILOT_MODEL": "smollm2", "PYTHONPATH": str(ROOT),
    })
    return env


def copilot(server: RealServer, **cli: Any) -> Copilot:
    os.environ["OPENAI_API_KEY"] = "local"
    return Copilot.start(cli={"base_url": server.base_url, "model": "smollm2",
                              "read_timeout": 300, **cli})


async def answer(c: Copilot, question: str) -> tuple[str, StreamEnd]:
    pieces: list[str] = []
    end: StreamEnd | None = None
    async for item in c.ask(question):
        if isinstance(item, StreamChunk):
            pieces.append(item.text)
        elif isinstance(item, StreamEnd):
            end = item
    assert end is not None
    return "".join(pieces), end


def test_ask_streams_an_answer_from_the_real_model(real_server: RealServer, tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("max_tokens = 48\n")
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "ask", "Say hello in one short sentence."],
        capture_output=True, text=True, env=cli_env(real_server, tmp_path), cwd=ROOT,
        timeout=300, stdin=subprocess.DEVNULL)
    print("stdout:", result.stdout.strip()[:300])
    print("stderr:", result.stderr.strip()[:300])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "tokens:" in result.stderr


async def test_twelve_turns_in_a_small_window_never_fail_for_length(
    real_server: RealServer,
) -> None:
    """The window set as llama-cpp-python users set it (it reports none); each prompt is
    budgeted to it, so the server never refuses one, however long the talk grows."""
    c = copilot(real_server, context_window=real_server.n_ctx, max_tokens=48)
    c.set_persona_mode("on")  # the persona's prompt goes with every turn, whatever is asked
    for turn, question in enumerate(QUESTIONS, 1):
        text, end = await answer(c, question)
        print(f"turn {turn}: {end.finish_reason} {len(text)} chars, usage {end.usage}")
        assert end.error is None, (turn, end.error)
    assert c.state.persona_active
    assert all(m.status == "complete" for m in c.state.messages if m.role == "assistant")
    await c.aclose()


async def test_an_overflowing_prompt_is_explained_in_one_line(real_server: RealServer) -> None:
    c = copilot(real_server, max_retries=2)  # no window set: the server's refusal must do
    question = "Review this API design. " + "The orders endpoint returns every field. " * 160
    _, end = await answer(c, question)
    print("overflow:", end.error)
    assert end.error is not None and end.error.kind == "overflow"
    assert end.error.message.startswith("The conversation no longer fits the model's")
    assert "/compact" in end.error.message
    await c.aclose()


async def test_cancel_keeps_the_partial_answer_as_stopped(real_server: RealServer) -> None:
    """What Esc does in the app: the answer task is cancelled mid-stream."""
    c = copilot(real_server, max_tokens=200)
    first = asyncio.Event()

    async def consume() -> None:
        async for item in c.ask("Write a long list of API design tips."):
            if isinstance(item, StreamChunk):
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 300)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    message = c.state.messages[-1]
    print("stopped after:", repr(message.content[:80]))
    assert message.status == "stopped" and message.content
    await c.aclose()


def test_ctrl_c_stops_ask_and_keeps_the_partial_answer(real_server: RealServer,
                                                       tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("max_tokens = 300\n")
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "tui.cli", "ask", "Write a long list of API design tips."],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(real_server, tmp_path),
        cwd=ROOT, stdin=subprocess.DEVNULL)
    assert process.stdout is not None
    first = process.stdout.read1(64)  # blocks until the first streamed text
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    print("ctrl+c:", process.returncode, repr(first + out[:60]), err.decode()[-200:])
    assert first
    assert process.returncode == 130
    assert b"partial answer is saved" in err and b"Traceback" not in err


async def test_killing_the_server_mid_answer_keeps_the_partial_text(own_server: RealServer) -> None:
    c = copilot(own_server, max_tokens=300, max_retries=0)
    pieces: list[str] = []
    end: StreamEnd | None = None
    async for item in c.ask("Write a long list of API design tips."):
        if isinstance(item, StreamChunk):
            pieces.append(item.text)
            if len(pieces) == 3:
                own_server.process.kill()
        elif isinstance(item, StreamEnd):
            end = item
    message = c.state.messages[-1]
    print("after the kill:", end.error if end else None)
    assert end is not None and end.error is not None
    assert "partial answer is kept" in end.error.message
    assert message.status == "error" and message.content.startswith("".join(pieces[:3]))
    await c.aclose()
