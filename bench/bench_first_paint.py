"""First paint: spawn `backend-copilot` in a real terminal vs a bare Textual app, same way.

Each program is started in its own tmux pane (120x40) and `tmux capture-pane -p` is polled.
Two moments are timed in the same run:
- input: the input's placeholder is on screen (the user can type);
- whole screen: everything a user looks at is drawn — for the app the input, the workflow,
  decision-tree, checklist and MCP panels filled and the footer's bindings; for the bare app
  (Header + Input + Footer) its input and its footer.
Runs are interleaved (the order alternates) so both see the same machine load; each figure is
the ratio of the medians. Targets: input <= 1.2x, whole screen <= 1.5x the bare app.
Exits 1 on FAIL.

The timed starts are a user's every start but the first: an untimed start before them (left
running until it has settled) writes the persona's parse cache and the remembered first
screen (tui/first_screen.py). The same rounds also time a start with nothing remembered (its
file removed before each run, as after any change to the app, the settings or the persona):
printed for comparison, without a target.
Run: .venv/bin/python bench/bench_first_paint.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, isolated_home, median, verdict  # noqa: E402

from tui.first_screen import SCREEN_FILE  # noqa: E402

TARGET_INPUT = 1.2
TARGET_WHOLE = 1.5
WIDTH, HEIGHT = 120, 40
TIMEOUT_S = 60.0
SETTLE_S = 1.5  # how long a start is left running to write what the next one reads
BIN = Path(sys.executable).parent
# (command, input marker, markers that together mean the whole screen is drawn)
COPILOT = (str(BIN / "backend-copilot"), "Ask about APIs",
           ("▶ PRD", "API Requirements", "☐ ", "MCP servers", "^q Quit"))
BARE = (f"{shlex.quote(sys.executable)} {shlex.quote(str(ROOT / 'bench' / 'bare_app.py'))}",
        "Bare baseline input", ("^p palette",))


# The panes run the programs the way a user's shell does: with Python's bytecode cache. A
# shell that sets PYTHONDONTWRITEBYTECODE (some CI and sandbox setups do) would have every
# run of ours compile this project's ~60 modules from source, while Textual's were compiled
# at install time: 0.2-0.3 s of the gap measured was that. The untimed warm-up run writes them.
PANE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def tmux(socket: str, *args: str) -> subprocess.CompletedProcess[str]:
    # The tmux server keeps the environment of the client that started it.
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True,
                          env=PANE_ENV)


def first_paint(socket: str, name: str, command: str, marker: str, whole: tuple[str, ...],
                env: dict[str, str], *, keep: bool = False) -> tuple[float, float]:
    """Seconds from spawning `command` in a fresh pane to `marker` showing, and to every one
    of `whole` showing too. The pane is killed after, unless `keep` (the caller kills it)."""
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    shell = f"env {exports} {command}"
    start = time.perf_counter()
    done = tmux(socket, "new-session", "-d", "-s", name, "-x", str(WIDTH), "-y", str(HEIGHT),
                shell)
    if done.returncode != 0:
        raise RuntimeError(f"tmux new-session failed: {done.stderr.strip()}")
    screen = ""
    seen_input: float | None = None
    try:
        while time.perf_counter() - start < TIMEOUT_S:
            screen = tmux(socket, "capture-pane", "-p", "-t", name).stdout
            now = time.perf_counter() - start
            if seen_input is None and marker in screen:
                seen_input = now
            if seen_input is not None and all(m in screen for m in whole):
                return seen_input, now
            time.sleep(0.005)
        missing = [m for m in (marker, *whole) if m not in screen]
        raise RuntimeError(f"{missing!r} never showed in {TIMEOUT_S:.0f} s; screen:\n{screen}")
    finally:
        if not keep:
            tmux(socket, "kill-session", "-t", name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("first paint: tmux is not installed (apt-get install tmux) FAIL")
        return 1
    tmp, env = isolated_home("bench-first-paint-")
    env = {**env, "TERM": "xterm-256color", "COLORTERM": "truecolor",
           "PATH": os.environ.get("PATH", "")}
    socket = f"bench-first-paint-{os.getpid()}"
    # tmux's server keeps the environment of the client that started it; start it clean.
    # A session that lives until the end keeps the server up between runs (a bare
    # start-server may exit before the first run's new-session reaches it).
    tmux(socket, "-f", "/dev/null", "new-session", "-d", "-s", "keep-alive", "sleep 100000")
    tmux(socket, "set-option", "-g", "exit-empty", "off")
    times: dict[str, list[tuple[float, float]]] = {"copilot": [], "bare": [], "first": []}
    remembered = Path(env["BACKEND_COPILOT_DATA_DIR"]) / SCREEN_FILE
    try:
        # One untimed run each: the first spawn pays for cold file caches and .pyc writes
        # (a user's first start after installing does the same, once). The app's is left
        # running a moment: a start writes what the next one reads once its screen is drawn.
        for kind, spec in (("copilot", COPILOT), ("bare", BARE)):
            first_paint(socket, f"warm-{kind}", *spec, env, keep=kind == "copilot")
        time.sleep(SETTLE_S)
        tmux(socket, "kill-session", "-t", "warm-copilot")
        if not remembered.exists():
            raise RuntimeError(f"the untimed start wrote no {remembered}")
        for run in range(args.runs):
            order = [("copilot", COPILOT), ("bare", BARE), ("first", COPILOT)]
            if run % 2:
                order.reverse()
            for kind, spec in order:
                if kind != "first":
                    times[kind].append(first_paint(socket, f"{kind}-{run}", *spec, env))
                    continue
                # Nothing remembered; left running until it has remembered its screen again.
                kept = remembered.read_bytes()
                remembered.unlink()
                times[kind].append(first_paint(socket, f"{kind}-{run}", *spec, env, keep=True))
                time.sleep(SETTLE_S)
                tmux(socket, "kill-session", "-t", f"{kind}-{run}")
                if remembered.read_bytes() != kept:
                    raise RuntimeError("a start with nothing remembered remembered "
                                       "another screen than the last one")
    finally:
        tmux(socket, "kill-server")
        tmp.cleanup()
    fmt = ", ".join
    failed = False
    for index, what, target in ((0, "input", TARGET_INPUT), (1, "whole screen", TARGET_WHOLE)):
        ours = median([t[index] for t in times["copilot"]])
        base = median([t[index] for t in times["bare"]])
        ratio = ours / base
        ok = ratio <= target
        failed |= not ok
        print(f"first paint ({what}) backend-copilot runs (s): "
              f"{fmt(f'{t[index]:.2f}' for t in times['copilot'])}")
        print(f"first paint ({what}) bare Textual runs (s):    "
              f"{fmt(f'{t[index]:.2f}' for t in times['bare'])}")
        print(
            f"first paint ({what}): backend-copilot {ours:.2f} s, bare Textual app {base:.2f} s "
            f"(medians of {args.runs}, tmux {WIDTH}x{HEIGHT}) -> ratio {ratio:.2f} "
            f"(target <= {target}) {verdict(ok)}"
        )
        first = median([t[index] for t in times["first"]])
        print(f"first paint ({what}), nothing remembered (no target): {first:.2f} s -> ratio "
              f"{first / base:.2f}; runs: {fmt(f'{t[index]:.2f}' for t in times['first'])}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
