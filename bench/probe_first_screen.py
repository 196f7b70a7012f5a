"""Where the first screen's time goes: a timeline of one headless start, and optionally a profile.

Runs the app headless at 120x40 (App.run_test) in an isolated home, the way `backend-copilot`
starts it (a copilot factory, the library found later), and prints, in ms since this script
started (before any import), wall clock and this process's CPU time:
- the imports of the first frame (tui.app) and what the panels pull in after it;
- each step of the start: on_mount, the copilot built, the views mounted, render_all;
- every layout and every paint (compositor refresh) with its duration;
- the number of widgets on the screen when the whole screen is first painted.
Not a pass/fail bench: numbers to read next to `bench/bench_first_paint.py`.
Run: .venv/bin/python bench/probe_first_screen.py [--warm] [--profile]
"""

from __future__ import annotations

import time

T0 = time.perf_counter()
C0 = time.process_time()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import isolated_home  # noqa: E402

EVENTS: list[tuple[float, float, str]] = []


def mark(what: str, start: float | None = None) -> None:
    now = time.perf_counter()
    took = f" ({(now - start) * 1000:.1f} ms)" if start is not None else ""
    EVENTS.append(((now - T0) * 1000, (time.process_time() - C0) * 1000, what + took))


def wrap(owner: type, name: str, label: str, *, is_async: bool = False) -> None:
    original = getattr(owner, name)
    if is_async:
        async def timed_async(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            mark(f"{label} start")
            try:
                return await original(self, *args, **kwargs)
            finally:
                mark(f"{label} end", start)
        setattr(owner, name, timed_async)
    else:
        def timed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                mark(label, start)
        setattr(owner, name, timed)


def instrumented_app():  # type: ignore[no-untyped-def]
    """The app as `backend-copilot` builds it (the library found later), with its layouts,
    paints and start steps marked on the timeline."""
    from textual.screen import Screen

    from tui.app import CopilotApp

    mark("tui.app imported")
    wrap(Screen, "_refresh_layout", "layout")
    wrap(Screen, "_compositor_refresh", "paint")
    wrap(CopilotApp, "_attach", "attach", is_async=True)
    wrap(CopilotApp, "_mount_views", "mount views", is_async=True)
    wrap(CopilotApp, "render_all", "render_all", is_async=True)
    wrap(CopilotApp, "_show_remembered", "remembered screen drawn")

    def factory():  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        from agent.copilot import Copilot

        mark("agent.copilot imported", start)
        start = time.perf_counter()
        copilot = Copilot.start(cli={}, agent_paths=[], resume=None, strict=False,
                                discover=False)
        mark("Copilot.start", start)
        return copilot

    from tui.first_screen import RememberedScreen

    return CopilotApp(copilot_factory=factory, remembered=RememberedScreen({}, []))


async def one_start(profile: cProfile.Profile | None) -> int:
    app = instrumented_app()
    if profile is not None:
        profile.enable()
    async with app.run_test(size=(120, 40)) as pilot:
        mark("app running")
        while not app.ready:
            await asyncio.sleep(0.001)
        mark("app.ready")
        await pilot.pause()
        mark("settled")
        if profile is not None:
            profile.disable()
        count = len(list(app.screen.walk_children(with_self=False)))
    return count


def in_terminal(out: str) -> None:
    """The same timeline in a real terminal (run inside a tmux pane): the app quits by itself
    once the screen has been settled for a second, then the timeline goes to `out`."""
    app = instrumented_app()
    CopilotApp = type(app)
    original_display = CopilotApp._display

    def display(self, screen, renderable):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return original_display(self, screen, renderable)
        finally:
            if renderable is not None:
                mark("written to the terminal", start)

    CopilotApp._display = display  # type: ignore[method-assign]
    original_ready = CopilotApp.on_mount

    def on_mount(self):  # type: ignore[no-untyped-def]
        self.set_timer(3.0, self.exit)
        return original_ready(self)

    CopilotApp.on_mount = on_mount  # type: ignore[method-assign]
    app.run()
    with open(out, "w", encoding="utf-8") as fh:
        for at, cpu, what in EVENTS:
            fh.write(f"{at:8.1f} ({cpu:6.1f}) ms  {what}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the start")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--warm", action="store_true",
                        help="start once untimed first (the persona's parse cache written), "
                             "as every start after a user's first one is")
    parser.add_argument("--terminal", metavar="OUT",
                        help="run in this terminal (a tmux pane) and write the timeline to OUT")
    args = parser.parse_args()
    if args.terminal:
        in_terminal(args.terminal)
        return 0
    if os.environ.get("PROBE_SAME_HOME"):  # the --warm run before the timed one
        asyncio.run(one_start(None))
        return 0
    tmp, _env = isolated_home("probe-first-screen-")
    profile = cProfile.Profile() if args.profile else None
    try:
        if args.warm:
            import subprocess

            # Same home, another process: only the caches on disk carry over.
            subprocess.run([sys.executable, __file__], check=True, capture_output=True,
                           env={**os.environ, "PROBE_SAME_HOME": "1"})
        count = asyncio.run(one_start(profile))
    finally:
        tmp.cleanup()
    print("    wall   (cpu)   what")
    for at, cpu, what in EVENTS:
        print(f"{at:8.1f} ({cpu:6.1f}) ms  {what}")
    print(f"widgets on the screen: {count}")
    print(f"modules loaded: {len(sys.modules)}")
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
