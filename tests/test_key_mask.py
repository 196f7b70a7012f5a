"""The configured key reaches no file: not when an answer echoes it in pieces, not as base64,
not in a command's output."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from oai_server import OAIServer, text, tool_calls

from agent.copilot import Copilot
from agent.key_mask import KeyMask

KEY = "sk-proj-Zt8Q2mX9vL4kR7wN1pB6cY3hJ5dF0gA"
SHELL_AGENT = """---
name: shell
tools:
  bash: true
permission:
  bash: allow
---

# Shell

Runs commands.
"""


def test_a_key_split_anywhere_in_a_stream_is_masked() -> None:
    encoded = [base64.b64encode((p + KEY).encode()).decode() for p in ("", "x", "xy")]
    encoded.append(base64.urlsafe_b64encode(b"Bearer " + KEY.encode()).decode())
    answer = f"the key is {KEY}. as base64: " + " / ".join(encoded) + " end"
    mask = KeyMask([KEY])
    for cut in range(1, len(answer)):
        for second in (cut + 1, cut + 7, cut + 40):
            stream = mask.stream()
            pieces = [answer[:cut], answer[cut:second], answer[second:]]
            out = "".join(stream.feed(p) for p in pieces) + stream.flush()
            assert KEY not in out and not any(e in out for e in encoded), (cut, second)
            assert out.startswith("the key is ***. as base64: ") and out.endswith(" end")
    assert KeyMask([""]).mask("plain") == "plain"


async def test_nothing_recorded_holds_the_key(oai_server: OAIServer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    agent = tmp_path / "shell.md"
    agent.write_text(SHELL_AGENT)
    pieces = ["Your key: sk-proj-Zt8Q", "2mX9vL4kR7wN1pB6", "cY3hJ5dF0gA, and b64 ",
              base64.b64encode(KEY.encode()).decode()[:20],
              base64.b64encode(KEY.encode()).decode()[20:], " done."]
    command = f"printf '%s' '{KEY}' | base64; echo {KEY}"
    oai_server.script(tool_calls([("bash", json.dumps({"command": command}))]), text(pieces))
    copilot = Copilot.start(cli={"provider": "openai", "base_url": oai_server.base_url,
                                 "model": "test-model"},
                            agent_paths=[str(agent)], root=tmp_path)
    copilot.set_persona_mode("on", "shell")  # tools come with a persona that is on
    shown = []
    async for item in copilot.ask(f"show me; my key is {KEY}"):
        shown.append(getattr(item, "text", ""))
    copilot.session.close()
    answer = copilot.state.messages[-1]
    assert answer.status == "complete" and answer.content.startswith("Your key: ***, and b64 ")
    assert "".join(shown) == answer.content  # what the screen got is what was recorded
    b64 = base64.b64encode(KEY.encode()).decode()
    for path in Path(os.environ["BACKEND_COPILOT_DATA_DIR"]).rglob("*"):
        if path.is_file():
            data = path.read_text(errors="replace")
            assert KEY not in data and b64[4:-4] not in data, path
    assert copilot.state.messages[0].content == "show me; my key is ***"  # a pasted key too
    # the command's output went back to the model masked too
    tool_message = next(m for m in oai_server.chat_requests[1].body["messages"] if m["role"] == "tool")
    assert KEY not in tool_message["content"] and "***" in tool_message["content"]
