"""`make screenshots`: SVGs of the app for the README, made with the offline playbook.

Runs in a throw-away data directory so it never touches (or shows) a real session.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "screenshots"
QUESTION = "Our REST API needs authentication and real-time notifications"
SIZE = (120, 40)


async def _settle(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """Wait until the app has loaded and no answer is streaming."""
    for _ in range(400):
        await pilot.pause()
        if app.ready and not app.busy:
            break
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def shoot(out: Path = OUT) -> list[Path]:
    from agent.copilot import Copilot
    from tui.app import CopilotApp

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def make() -> Copilot:
        return Copilot.start(cli={"provider": "offline", "stream_delay": 0})

    # 1. An empty session.
    app = CopilotApp(copilot_factory=make, theme="textual-dark")
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot, app)
        written.append(Path(app.save_screenshot("empty-session.svg", path=str(out))))

    # 2. The persona active mid-conversation, all three panels showing its effect.
    app = CopilotApp(copilot_factory=make, theme="textual-dark")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _settle(pilot, app)
        app.query_one("#prompt").load_text(QUESTION)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await _settle(pilot, app)
        app.copilot.set_phase("Architecture")
        first = next(iter(app.copilot.persona.all_checklist_items()), None)
        if first is not None:
            app.copilot.toggle_item(first.id)
        app.clear_notifications()
        await _settle(pilot, app)
        written.append(Path(app.save_screenshot("persona-active.svg", path=str(out))))

        # 3. Export done: the toast names the file.
        app.run_line("/export md")
        await _settle(pilot, app)
        written.append(Path(app.save_screenshot("export-done.svg", path=str(out))))
    return written


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="copilot-shots-") as tmp:
        for name in ("DATA", "CONFIG", "EXPORT"):
            os.environ[f"BACKEND_COPILOT_{name}_DIR"] = str(Path(tmp) / name.lower())
        for var in ("OPENAI_API_KEY", "OPENROUTER_API_KEY", "BACKEND_COPILOT_PROVIDER"):
            os.environ.pop(var, None)
        for path in asyncio.run(shoot()):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
