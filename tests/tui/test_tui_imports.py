"""What the first screen pays for, checked in a fresh interpreter: neither openai, mcp nor
the playbook, no Markdown for an empty session, and no schema for a model nobody uses yet."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

READY_APP = """
import asyncio, json, sys
from tui.app import CopilotApp

def factory():  # as run_tui builds it: the default settings, offline
    from agent.copilot import Copilot
    return Copilot.start(cli={{}}, strict=False, discover=False)

async def main():
    app = CopilotApp(copilot_factory=factory)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(400):
            await pilot.pause()
            if app.ready:
                break
        assert app.ready, "the app never became ready"
{check}

asyncio.run(main())
"""


def once_ready(check: str) -> object:
    """Start the app in a new interpreter; `check` runs once it is ready and prints one JSON
    value, returned here."""
    script = READY_APP.format(check=textwrap.indent(textwrap.dedent(check), " " * 8))
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_first_paint_and_ready_app_import_neither_openai_nor_mcp() -> None:
    loaded = once_ready("""
        print(json.dumps([m for m in ("openai", "mcp", "agent.playbook") if m in sys.modules]))
    """)
    assert loaded == []


def test_the_whole_first_screen_pays_for_no_markdown_and_no_unused_model_schemas() -> None:
    """An empty session shows no Markdown, and only the models in use have their schemas."""
    seen = once_ready("""
        from agent.config import Settings
        from agent.session import models
        # (markdown-it may load: a first start parses the persona file with it)
        loaded = [m for m in ("textual.widgets._markdown", "agent.export.render")
                  if m in sys.modules]
        built = [name for name in ("ToolCallStarted", "AuditRecorded", "CardsUsed",
                                   "SessionState")
                 if getattr(models, name).__pydantic_complete__]
        print(json.dumps({"loaded": loaded, "built": built,
                          "settings_built": Settings.__pydantic_complete__}))
    """)
    assert isinstance(seen, dict)
    assert seen["loaded"] == []
    # Event models nobody has used yet, and the new session's state (never validated).
    assert seen["built"] == []
    assert seen["settings_built"] is True  # the settings are validated: built on demand


def test_the_first_screen_builds_no_tool_argument_schema() -> None:
    """The tools' argument models are built at the first request that offers tools, not
    before: the first screen offers none."""
    built = once_ready("""
        from agent.tools import arguments
        names = [m.__name__ for m in arguments.ToolArgs.__subclasses__()]
        print(json.dumps({"models": names,
                          "built": [m.__name__ for m in arguments.ToolArgs.__subclasses__()
                                    if m.__pydantic_complete__],
                          "schemas": arguments.args_schema.cache_info().currsize}))
    """)
    assert isinstance(built, dict)
    assert built["models"]  # loaded (here, if not before): the check below means something
    assert built["built"] == [] and built["schemas"] == 0
