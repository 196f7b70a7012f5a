"""Does this model call tools? Asked once per server and model, and remembered on disk.

Why ask: many local setups accept `tools` and ignore them (llama.cpp with a model's own chat
template), and the model then invents what a tool would have said. The probe is one small
non-streamed request that *forces* a call to a harmless `ping` tool (`tool_choice` naming it,
which function-calling templates need): a model that still answers in prose does not call
tools. Connection failures prove nothing and are not remembered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent import paths
from agent.atomic import write_atomic

PROBE_MAX_TOKENS = 48
PING_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "ping",
        "description": "Answer a ping. Call it whenever asked to ping.",
        "parameters": {"type": "object", "properties": {}, "required": []},
    },
}
PROBE_MESSAGES = [
    {"role": "system", "content": "You can call tools. When the user says ping, call `ping`."},
    {"role": "user", "content": "ping"},
]
NO_TOOLS_NOTICE = "this model does not call tools: answers only"


def store_path() -> Path:
    return paths.data_dir() / "tool_support.json"


def _key(base_url: str, model: str) -> str:
    return f"{base_url.rstrip('/')}|{model}"


def _load() -> dict[str, bool]:
    try:
        data = json.loads(store_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, bool)} if isinstance(data, dict) else {}


def remembered(base_url: str, model: str) -> bool | None:
    return _load().get(_key(base_url, model))


def remember(base_url: str, model: str, supported: bool) -> None:
    """Write atomically; a read-only data folder only costs a probe next time."""
    data = _load()
    data[_key(base_url, model)] = supported
    try:
        paths.data_dir(create=True)
        write_atomic(store_path(), json.dumps(data, indent=1, sort_keys=True),
                     mode=paths.FILE_MODE)
    except OSError:
        return


def called_a_tool(response: Any) -> bool:
    """True when a non-streamed completion holds at least one tool call."""
    for choice in getattr(response, "choices", None) or []:
        message = getattr(choice, "message", None)
        if getattr(message, "tool_calls", None):
            return True
    return False
