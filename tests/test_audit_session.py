"""The audit and the probe inside a session: the prompt a model gets, /audit and /probe, and
`backend-copilot probe` against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from oai_server import OAIServer, closed_port

from agent.audit.actions import compute_audit, compute_probe, record_audit, record_probe
from agent.audit.probe import ProbeError, percentile, probe
from agent.command_results import RunAudit, RunProbe
from agent.copilot import Copilot

ROOT = Path(__file__).resolve().parents[1]
PYTHON_API = ROOT / "tests" / "fixtures" / "audit" / "python_api"


class _Endpoint(BaseHTTPRequestHandler):
    """/ok answers 200, /fail answers 500; every request is counted."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.server.hits += 1  # type: ignore[attr-defined]
        status = 500 if self.path.startswith("/fail") else 200
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    server.hits = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _url(server: ThreadingHTTPServer, path: str = "/ok") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True,
                          text=True, env=dict(os.environ), cwd=ROOT, timeout=120)


# -- probe --------------------------------------------------------------------------------


def test_probe_cli_reports_latency_of_a_local_server(endpoint: ThreadingHTTPServer) -> None:
    result = run_cli("probe", _url(endpoint), "-n", "20", "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["requests"] == 20 and record["ok"] == 20 and record["errors"] == 0
    assert 0 < record["p50_ms"] <= record["p95_ms"] <= record["p99_ms"] <= record["max_ms"]
    assert endpoint.hits == 20  # exactly the number asked for, no more

    text = run_cli("probe", _url(endpoint), "-n", "5")
    assert text.returncode == 0
    assert text.stdout.startswith(f"{_url(endpoint)}: 5 requests, 0 errors; p50 ")
    assert "p95" in text.stdout and "p99" in text.stdout and "(target <200 ms: met)" in text.stdout


def test_probe_counts_errors_and_refused_connections(endpoint: ThreadingHTTPServer) -> None:
    failing = probe(_url(endpoint, "/fail"), 4, concurrency=2)
    assert (failing.ok, failing.errors, failing.error_samples) == (0, 4, ["HTTP 500"])
    assert not failing.met
    refused = probe(f"http://127.0.0.1:{closed_port()}/", 3)
    assert refused.errors == 3 and refused.error_samples[0].startswith("ConnectionRefusedError")


def test_probe_stays_bounded_and_asks_for_one_url() -> None:
    for bad in (0, 1001):
        with pytest.raises(ProbeError, match="between 1 and 1000"):
            probe("http://127.0.0.1:1/", bad)
    with pytest.raises(ProbeError, match="concurrency"):
        probe("http://127.0.0.1:1/", 5, concurrency=50)
    with pytest.raises(ProbeError, match="not an http"):
        probe("127.0.0.1", 5)
    result = run_cli("probe", "http://127.0.0.1:1/", "-n", "5000")
    assert result.returncode == 2 and "between 1 and 1000" in result.stderr
    assert result.stderr.count("\n") == 1


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50, 95, 99)
    assert percentile([7.0], 99) == 7.0 and percentile([], 50) == 0.0


def test_a_probe_in_a_session_decides_the_api_response_standard(
    endpoint: ThreadingHTTPServer,
) -> None:
    copilot = Copilot.start(cli={"provider": "offline"}, root=PYTHON_API)
    probe = copilot.run_command(f"/probe {_url(endpoint)} -n 10")
    assert isinstance(probe, RunProbe) and (probe.url, probe.requests) == (_url(endpoint), 10)
    assert not copilot.run_command("/probe ftp://example -n 10").ok
    assert not copilot.run_command(f"/probe {_url(endpoint)} -n 5000").ok
    record_audit(copilot, *compute_audit(copilot))
    api = next(i for i in copilot.state.audit.items if i.text == "API Response")
    assert api.status == "unknown" and "probe" in api.looked
    record_probe(copilot, compute_probe(copilot, _url(endpoint), 10))
    api = next(i for i in copilot.state.audit.items if i.text == "API Response")
    assert api.status == "done"
    assert api.evidence[0].path == _url(endpoint) and "10 requests, 0 errors" in api.evidence[0].text
    record_probe(copilot, compute_probe(copilot, _url(endpoint, "/fail"), 3))
    api = next(i for i in copilot.state.audit.items if i.text == "API Response")
    assert api.status == "missing" and "3 errors" in api.evidence[0].text


# -- the audit in a session ----------------------------------------------------------------


def test_slash_audit_is_a_command_the_front_end_runs() -> None:
    copilot = Copilot.start(cli={"provider": "offline"}, root=PYTHON_API)
    result = copilot.run_command("/audit")
    assert isinstance(result, RunAudit) and str(PYTHON_API) in result.message
    assert "/audit" in copilot.command_names()


async def test_with_a_model_the_audit_summary_goes_into_the_prompt(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    copilot = Copilot.start(cli={"base_url": oai_server.base_url, "model": "m", "max_retries": 0},
                            root=PYTHON_API)
    record_audit(copilot, *compute_audit(copilot))
    async for _ in copilot.ask("What is still open on our API's security?"):
        pass
    prompt = oai_server.chat_requests[0].body["messages"][0]["content"]
    assert "Project audit (from the user's own code" in prompt
    assert "API Security · Rate limiting (app/main.py:19)" in prompt
    assert "Missing: " in prompt and "Authentication · RBAC" in prompt
    assert "SQL built by string formatting or concatenation at app/db.py:9" in prompt


async def test_offline_the_answer_uses_the_audit() -> None:
    copilot = Copilot.start(cli={"provider": "offline", "stream_delay": 0}, root=PYTHON_API)
    copilot.set_persona_mode("on")
    record_audit(copilot, *compute_audit(copilot))
    async for _ in copilot.ask("How should we rate limit our API?"):
        pass
    answer = copilot.state.messages[-1].content
    assert "From the project audit: you already have" in answer
    assert "rate limiting in app/main.py:19" in answer
    assert "The open items are:" in answer
    copilot.session.close()
