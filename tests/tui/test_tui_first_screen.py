"""A start with the same inputs as the last one draws the screen remembered from it, before
the co-pilot loads (tui/first_screen.py): the same screen, to the character, that the
co-pilot then draws from the session; never a stale one; nothing secret kept."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from textual._compositor import CompositorUpdate
from tui_helpers import record_toasts, settle, toasts, until

from tui.app import CopilotApp
from tui.first_screen import SCREEN_FILE, FirstScreen, RememberedScreen
from tui.widgets.header import CopilotHeader
from tui.widgets.panels import ChecklistPanel, DecisionTreePanel

ROOT = Path(__file__).resolve().parents[2]


def factory():  # as run_tui builds it: the settings of the moment, the library later
    from agent.copilot import Copilot

    return Copilot.start(cli={}, strict=False, discover=False)


class HeldApp(CopilotApp):
    """The app as `backend-copilot` starts it, whose co-pilot loads only once released (unless `go`)."""

    CSS_PATH = str(ROOT / "tui" / "app.tcss")  # (a relative path is the subclass's folder)

    def __init__(self, *, go: bool = False) -> None:
        super().__init__(copilot_factory=factory, remembered=RememberedScreen({}, []))
        self.held = not go
        self.waiting = False
        record_toasts(self)

    async def _attach_live(self) -> None:
        # Not awaited here: the app handles nothing else while one of its callbacks waits.
        if self.held:
            self.waiting = True
            return
        await super()._attach_live()

    def release(self) -> None:
        self.held = False
        if self.waiting:
            self.call_next(super()._attach_live)


def remembered_file(dirs: dict) -> Path:
    return dirs["data"] / SCREEN_FILE


def screenshot(app: CopilotApp) -> str:
    """The screen as an SVG, less the ids Textual makes up for each export."""
    return re.sub(r"terminal-\d+", "terminal", app.export_screenshot())


async def start_once(dirs: dict) -> str:
    """A start with nothing remembered: it draws from the co-pilot and remembers."""
    app = HeldApp(go=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: remembered_file(dirs).exists())
        assert app._remembered is not None and app._remembered.loaded is not None
        return screenshot(app)


async def test_the_next_start_draws_the_remembered_screen_first_and_the_same_screen_after(
        isolated_dirs: dict) -> None:
    live = await start_once(isolated_dirs)
    app = HeldApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.query(ChecklistPanel)))
        await pilot.pause()
        assert app._copilot is None  # drawn before the co-pilot is loaded
        remembered = screenshot(app)
        app.release()
        await settle(pilot)
        assert app._copilot is not None
        after = screenshot(app)
    assert remembered == live  # header, panels, welcome, footer: what the last start showed
    assert after == remembered  # and the co-pilot draws nothing different


async def test_a_changed_setting_is_drawn_from_the_co_pilot_and_remembered_anew(
        isolated_dirs: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    await start_once(isolated_dirs)
    monkeypatch.setenv("BACKEND_COPILOT_PROVIDER", "ollama")  # no key needed, no network at start
    app = HeldApp(go=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app._remembered is not None
        await until(pilot, lambda: app._remembered.loaded is not None)  # saved again
        provider = str(app.query_one("#provider").render())
    assert "ollama" in provider
    saved = json.loads(remembered_file(isolated_dirs).read_text(encoding="utf-8"))
    assert saved["screen"]["provider"] == "ollama"


async def test_the_remembered_screen_holds_no_api_key(
        isolated_dirs: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-never-in-a-file-4242"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing is sent at start
    await start_once(isolated_dirs)
    data = remembered_file(isolated_dirs).read_bytes()
    assert b'"provider": "openai"' in data
    assert secret.encode() not in data and b"sk-test" not in data


@pytest.mark.parametrize("damage", ["not json at all", "wrong types", "another format"])
async def test_a_damaged_remembered_screen_is_not_drawn_and_is_replaced(
        isolated_dirs: dict, damage: str) -> None:
    await start_once(isolated_dirs)
    path = remembered_file(isolated_dirs)
    data = json.loads(path.read_text(encoding="utf-8"))
    if damage == "not json at all":
        path.write_text("{\"format\": 1, \"key\": ", encoding="utf-8")
    elif damage == "wrong types":
        data["screen"]["panels"]["phases"][0]["primary"] = "yes"
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        data["format"] = 999
        path.write_text(json.dumps(data), encoding="utf-8")
    app = HeldApp(go=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: app._remembered is not None
                    and app._remembered.loaded is not None)
        assert app.query_one(CopilotHeader).badge.startswith("backend")
    FirstScreen.from_data(json.loads(path.read_text(encoding="utf-8"))["screen"])  # whole again


async def test_keys_on_the_remembered_panels_before_the_co_pilot_loads_say_so(
        isolated_dirs: dict) -> None:
    await start_once(isolated_dirs)
    app = HeldApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.query(ChecklistPanel)))
        checklist = app.query_one(ChecklistPanel).tree
        checklist.focus()
        checklist.cursor_line = 1  # the first item under its area
        await pilot.press("space")
        tree = app.query_one(DecisionTreePanel).tree
        tree.focus()
        tree.cursor_line = 1  # the first option of the open tree
        await pilot.press("enter")
        await until(pilot, lambda: len([t for t in toasts(app) if "Still loading" in t]) == 2)
        app.release()
        await settle(pilot)
        assert app.copilot.state.checklist == {}  # nothing ticked behind the user's back
        assert not app.copilot.state.messages  # no question sent


REMEMBERED_START = """
import asyncio, json, sys
from textual._compositor import CompositorUpdate

from tui.app import CopilotApp
from tui.first_screen import RememberedScreen

class Held(CopilotApp):
    CSS_PATH = {css!r}

    async def _attach_live(self):
        pass  # the co-pilot never loads in this run

def factory():
    raise AssertionError("not called")

async def main():
    app = Held(copilot_factory=factory, remembered=RememberedScreen({}, []))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(400):
            await pilot.pause()
            if app.query("#checklist-tree"):
                break
        await pilot.pause()
        print(json.dumps({
            "pydantic": [m for m in sys.modules if m.split(".")[0] in ("pydantic", "agent.copilot")],
            "panels": str(app.query_one("#workflow").render()),
        }))
        app.exit()

asyncio.run(main())
"""


async def test_a_remembered_start_draws_its_screen_before_pydantic_is_imported(
        isolated_dirs: dict) -> None:
    """What makes it fast: nothing on the way to the remembered screen imports pydantic."""
    await start_once(isolated_dirs)
    script = REMEMBERED_START.replace("{css!r}", repr(str(ROOT / "tui" / "app.tcss")))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert "PRD" in seen["panels"]  # the workflow panel is drawn
    assert seen["pydantic"] == []


async def test_the_first_frame_that_shows_the_transcript_has_its_welcome_in_view(
        isolated_dirs: dict) -> None:
    """Textual placed an anchored view as if it were 0 rows tall until its first layout: the
    first frame with the transcript had the welcome scrolled out of sight (one frame later
    it was there). Checked on what the app hands its terminal, frame by frame."""
    await start_once(isolated_dirs)
    app = HeldApp()
    frames: list[str] = []
    display = app._display

    def record(screen, renderable) -> None:  # type: ignore[no-untyped-def]
        if isinstance(renderable, CompositorUpdate):
            text = renderable.render_segments(app.console)
            frames.append(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text))
        display(screen, renderable)

    app._display = record  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: any("Workflow" in frame for frame in frames))
        await pilot.pause()
    first = next(frame for frame in frames if "Workflow" in frame)
    assert "Ask a backend question" in first
