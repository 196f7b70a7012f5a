"""/audit and /probe in the app: off the UI thread, one line in the transcript each."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tui_helpers import record_toasts, send, settle, toasts

from agent.copilot import Copilot
from tui.app import CopilotApp
from tui.transcript.window import ChatView

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "audit" / "go_service"


class _Fast(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _app() -> CopilotApp:
    app = CopilotApp(copilot_factory=lambda: Copilot.start(
        cli={"provider": "offline", "stream_delay": 0}, root=FIXTURE), theme="textual-dark")
    record_toasts(app)
    return app


async def test_probe_in_the_app_decides_api_response_after_an_audit() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fast)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/health"
    try:
        app = _app()
        async with app.run_test(size=(140, 44)) as pilot:
            await settle(pilot)
            await send(pilot, "/audit")
            await send(pilot, f"/probe {url} -n 8")
            state = app.copilot.state
            assert state.probe is not None and state.probe.requests == 8 and state.probe.ok == 8
            api = next(i for i in state.audit.items if i.text == "API Response")
            assert api.status == "done" and api.evidence[0].path == url
            assert any(t.startswith(f"{url}: 8 requests, 0 errors; p50 ") for t in toasts(app))
            notices = [n.text for n in state.timeline if getattr(n, "type", "") == "notice"]
            assert notices[0].startswith("Audit: 6 done, 5 missing, 6 unknown; 6 findings")
            assert notices[1].startswith(f"Probe: {url}: 8 requests")
            lines = [str(w.render()) for w in app.query_one(ChatView).children
                     if type(w).__name__ == "NoticeLine"]
            assert any("Audit: 6 done" in line for line in lines), lines
            bad = "/probe ftp://nowhere"
            await send(pilot, bad)
            assert app.copilot.state.probe.url == url  # refused before any request
    finally:
        server.shutdown()
        server.server_close()
