"""`backend-copilot --web`: the same app in a browser, served by textual-serve.

textual-serve starts one copy of the terminal app per browser tab, as a shell command. That
command is this very program with the flags it was given, minus the web ones, so `--web
--agent x.md --provider offline` serves exactly what `--agent x.md --provider offline` opens.
textual-serve is imported only here, only on this path.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
_WEB_FLAGS = ("--web",)
_WEB_OPTIONS = ("--host", "--port")  # each takes a value


def app_arguments(argv: Sequence[str]) -> list[str]:
    """argv without --web, --host VALUE and --port VALUE (also the --host=VALUE forms)."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in _WEB_FLAGS or ("=" in arg and arg.split("=", 1)[0] in _WEB_OPTIONS):
            continue
        if arg in _WEB_OPTIONS:
            skip = True
            continue
        out.append(arg)
    return out


def served_command(argv: Sequence[str]) -> str:
    """The shell command each browser tab runs: this Python, this program, the same flags."""
    return shlex.join([sys.executable, "-m", "tui.cli", *app_arguments(argv)])


def serve(argv: Sequence[str], host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Serve until Ctrl+C. Binds to loopback unless told otherwise, and says so when not.

    Only the page opened with this run's token gets the app: the token is in the printed
    address, and the socket that drives the app needs it in its path and an Origin header
    naming this very server (see tui/web_guard.py).
    """
    try:
        from tui.web_guard import GuardedServer as Server
    except ImportError:
        print(
            "backend-copilot: --web needs the textual-serve package; "
            "install it with `pip install textual-serve`.",
            file=sys.stderr,
        )
        return 1
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"backend-copilot: serving on {host}: anyone who can reach port {port} can use the "
            "app (and the API key it runs with).",
            file=sys.stderr,
        )
    server = Server(served_command(argv), host=host, port=port, title="Backend Co-pilot")
    print(f"backend-copilot: open {server.page_url} (the token in it is this run's key to the "
          "app; keep it private)", flush=True)
    server.serve()
    return 0
