"""Quitting right after sending, in a real terminal: Ctrl+Q 0.1-1 s after Enter, N times.

Each try opens the app in a fresh tmux pane (offline playbook, an isolated home), types a
question, presses Enter, waits a little, presses Ctrl+Q, and reads the app's exit status and
what the pane showed. A try passes when the app exits 0 with no traceback.
Not a bench_* script (make bench does not run it).
Run: .venv/bin/python bench/tmux_quit_after_send.py [--tries 20]
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import isolated_home, verdict  # noqa: E402
from bench_first_paint import BIN, tmux  # noqa: E402

QUESTION = "Our REST API needs authentication and real-time notifications"


def wait_for(socket: str, name: str, marker: str, timeout: float = 60.0) -> bool:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        pane = tmux(socket, "capture-pane", "-p", "-t", name).stdout
        if marker in pane:
            return True
        time.sleep(0.05)
    return False


def one_try(socket: str, name: str, env: dict[str, str], delay: float, status: Path) -> str:
    """'' when the app quit cleanly, else what went wrong."""
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    # Textual draws on stderr: it stays on the pane, where a traceback would show after exit.
    command = f"env {exports} {BIN / 'backend-copilot'}; echo $? > {status}; sleep 100000"
    tmux(socket, "new-session", "-d", "-s", name, "-x", "120", "-y", "40", command)
    try:
        if not wait_for(socket, name, "Ask a backend question"):
            return "the app did not open"
        time.sleep(0.5)  # the copilot attaches right after the first paint
        tmux(socket, "send-keys", "-t", name, "-l", QUESTION)
        tmux(socket, "send-keys", "-t", name, "Enter")
        time.sleep(delay)
        tmux(socket, "send-keys", "-t", name, "C-q")
        start = time.perf_counter()
        while not status.exists() or not status.read_text().strip():
            if time.perf_counter() - start > 30:
                return "the app did not quit"
            time.sleep(0.05)
        code = status.read_text().strip()
        pane = tmux(socket, "capture-pane", "-p", "-S", "-200", "-t", name).stdout
        if code != "0" or "Traceback" in pane or "Error" in pane:
            line = next((x for x in pane.splitlines() if "Error" in x), "")
            return f"exit {code}: {line.strip()[:120]}"
        return ""
    finally:
        tmux(socket, "kill-session", "-t", name)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=20)
    args = parser.parse_args()
    tmp, env = isolated_home("quit-after-send-")
    socket = f"quit-after-send-{os.getpid()}"
    tmux(socket, "-f", "/dev/null", "new-session", "-d", "-s", "keep-alive", "sleep 100000")
    tmux(socket, "set-option", "-g", "exit-empty", "off")
    failures = []
    try:
        for i in range(args.tries):
            delay = 0.1 + 0.9 * i / max(1, args.tries - 1)  # 0.1 s .. 1 s
            problem = one_try(socket, f"try-{i}", env, delay, Path(tmp.name) / f"status-{i}")
            print(f"  try {i + 1:2d}: Ctrl+Q {delay:.2f} s after Enter: {problem or 'clean'}")
            if problem:
                failures.append(problem)
    finally:
        tmux(socket, "kill-server")
        tmp.cleanup()
    clean = args.tries - len(failures)
    print(f"quit right after sending: {clean} of {args.tries} clean "
          f"(target {args.tries} of {args.tries}) {verdict(not failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
