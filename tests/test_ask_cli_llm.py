"""`backend-copilot ask` against a real OpenAI-protocol server on 127.0.0.1, as a user runs it.

Each run is a real process with the real `openai` client (no mocks): what it prints, its exit
code, the request the server received and the session file it leaves behind are what a user
would see. The failure cases run concurrently in one batch (each with its own server and data
dir) because every process pays the openai import.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from oai_server import (
    OAIServer,
    Script,
    StalledListener,
    closed_port,
    cut,
    empty_choices,
    error,
    hang,
    malformed,
    text,
)

from agent.session.fold import fold, parse_lines
from agent.session.models import SessionState

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "agent" / "persona" / "bundled" / "backend.md"
PROVIDER_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENROUTER_API_KEY",
                "BACKEND_COPILOT_MODEL", "BACKEND_COPILOT_PROVIDER")
LEAK_KEY = "sk-test-LEAKCHECK-123456"
ON_TOPIC = "We need real-time updates pushed to the browser from our API"
TIMEOUT = 60  # a guard against a hung process, not a speed check


# -- helpers ---------------------------------------------------------------------------------


def make_env(dirs: dict[str, Path], **extra: str) -> dict[str, str]:
    # No PYTHONUNBUFFERED: streaming must come from the CLI's own flushing.
    env = {k: v for k, v in os.environ.items() if k not in (*PROVIDER_ENV, "PYTHONUNBUFFERED")}
    env.update({
        "BACKEND_COPILOT_DATA_DIR": str(dirs["data"]),
        "BACKEND_COPILOT_CONFIG_DIR": str(dirs["config"]),
        "BACKEND_COPILOT_EXPORT_DIR": str(dirs["exports"]),
    })
    env.update(extra)
    return env


def llm_env(dirs: dict[str, Path], base_url: str, key: str = "test", **extra: str) -> dict[str, str]:
    return make_env(dirs, OPENAI_BASE_URL=base_url, OPENAI_API_KEY=key, **extra)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", *args]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=TIMEOUT)


def write_config(dirs: dict[str, Path], body: str) -> Path:
    dirs["config"].mkdir(parents=True, exist_ok=True)
    path = dirs["config"] / "config.toml"
    path.write_text(body)
    return path


def sessions(data_dir: Path) -> list[SessionState]:
    """Every session file under the data dir, folded from the bytes on disk."""
    files = sorted((data_dir / "sessions").glob("*.jsonl"))
    return [fold(parse_lines(f.read_bytes())[0], f.stem) for f in files]


def only_session(data_dir: Path) -> SessionState:
    found = sessions(data_dir)
    assert len(found) == 1, f"expected one session file, found {len(found)}"
    return found[0]


def stderr_line(stderr: str) -> str:
    """The one line the user sees, checked for what every failure line must be."""
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("backend-copilot: ")
    assert ".." not in lines[0]  # no doubled full stop after the server's own words
    return lines[0].removeprefix("backend-copilot: ")


def system_prompt(body: dict) -> str:
    first = body["messages"][0]
    assert first["role"] == "system"
    return str(first["content"])


def persona_with_temperature(tmp_path: Path, temperature: float) -> Path:
    """The user's own copy of the bundled persona (same name: it replaces it) with a
    temperature added to its frontmatter."""
    source = BUNDLED.read_text()
    assert source.startswith("---\n")
    path = tmp_path / "backend-warm.md"
    path.write_text(f"---\nname: backend\ntemperature: {temperature}\n"
                    + source.removeprefix("---\n"))
    return path


def read_until(proc: subprocess.Popen[bytes], wanted: bytes) -> bytes:
    """Read the process's stdout as it arrives until `wanted` shows up (or it exits)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf = b""
    while wanted not in buf:
        ready, _, _ = select.select([fd], [], [], TIMEOUT)
        assert ready, f"no output; got {buf!r} so far"
        data = os.read(fd, 4096)
        if not data:
            break
        buf += data
    return buf


@pytest.fixture
def dirs(isolated_dirs: dict) -> dict[str, Path]:
    return {k: Path(v) for k, v in isolated_dirs.items()}


# -- a streamed answer -----------------------------------------------------------------------


def test_ask_streams_chunks_to_stdout_as_they_arrive(oai_server: OAIServer, dirs: dict) -> None:
    # The server sends the first piece, then holds the rest for a second.
    oai_server.script(text(["Use a WebSocket ", "for the live feed."], delay=1.0))
    proc = subprocess.Popen(command("ask", "--model", "test-model", ON_TOPIC),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env=llm_env(dirs, oai_server.base_url))
    try:
        first = read_until(proc, b"Use a WebSocket ")
        assert b"for the live feed." not in first  # shown before the rest was even sent
        rest, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert (first + rest).decode() == "Use a WebSocket for the live feed.\n"
    assert stderr.decode().strip() == "tokens: 11 in · 7 out"  # usage on stderr, stdout clean
    saved = only_session(dirs["data"]).messages
    assert [(m.role, m.content, m.status) for m in saved] == [
        ("user", ON_TOPIC, "complete"),
        ("assistant", "Use a WebSocket for the live feed.", "complete"),
    ]


def test_ask_sends_persona_prompt_phase_checklist_and_tree_hint(
    oai_server: OAIServer, dirs: dict
) -> None:
    oai_server.n_ctx = 32768  # a window with room for the whole persona text (llama.cpp /props)
    result = run_cli("ask", "--model", "test-model", ON_TOPIC,
                     env=llm_env(dirs, oai_server.base_url))
    assert result.returncode == 0, result.stderr
    body = oai_server.chat_requests[0].body
    assert body["model"] == "test-model"
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    prompt = system_prompt(body)
    assert "Backend Engineer" in prompt  # the persona's own text
    assert "Current workflow phase: PRD — your role: Supporting" in prompt
    assert "Checklist status:" in prompt and "Authentication: JWT" in prompt
    assert "Decision tree: the conversation points to" in prompt and "WebSocket" in prompt
    assert body["messages"][-1] == {"role": "user", "content": ON_TOPIC}
    assert "temperature" not in body  # the bundled persona sets none


def test_ask_uses_the_personas_temperature_only_while_it_is_active(
    oai_server: OAIServer, dirs: dict, tmp_path: Path
) -> None:
    agent = str(persona_with_temperature(tmp_path, 0.3))
    env = llm_env(dirs, oai_server.base_url, BACKEND_COPILOT_MODEL="test-model")
    on = run_cli("ask", "--agent", agent, ON_TOPIC, env=env)
    off = run_cli("ask", "--agent", agent, "What rhymes with orange?", env=env)
    assert on.returncode == 0 and off.returncode == 0, on.stderr + off.stderr
    on_body, off_body = (r.body for r in oai_server.chat_requests)
    assert on_body["temperature"] == 0.3
    assert "Backend Engineer" in system_prompt(on_body)
    # Off topic the persona is idle: the generic prompt and the server's own temperature.
    assert "temperature" not in off_body
    off_prompt = system_prompt(off_body)
    assert "Backend Engineer" not in off_prompt and "Decision tree" not in off_prompt


def test_ask_json_includes_usage(oai_server: OAIServer, dirs: dict) -> None:
    oai_server.script(text("Cursor pagination.", usage=(21, 4)))
    result = run_cli("ask", "--json", "--model", "test-model", ON_TOPIC,
                     env=llm_env(dirs, oai_server.base_url))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["answer"] == "Cursor pagination."
    assert record["usage"] == {"prompt_tokens": 21, "completion_tokens": 4, "estimated": False}
    assert (record["provider"], record["model"], record["status"]) == ("openai", "test-model", "complete")


# -- every failure: one line, exit 1, the message and any partial answer kept -----------------


@dataclass
class Case:
    says: tuple[str, ...]  # fragments of the line; {url} and {host} are filled in
    scripts: list[Script] = field(default_factory=list)
    config: str = ""
    target: str = "server"  # "server" | "refused" | "stalled"
    model: str = "test-model"
    partial: str = ""  # text streamed before the failure, kept on stdout and in the session
    chat_requests: int | None = None  # requests the server should have seen (retries)


CASES: dict[str, Case] = {
    "401": Case(("rejected the API key (401)", "Set OPENAI_API_KEY"), [error(401)],
                chat_requests=1),
    "403": Case(("rejected the API key (403)", "Set OPENAI_API_KEY"), [error(403)]),
    "404": Case(("Model 'no-such-model' not found at {url}",
                 "Available: gpt-4o-mini, llama3, test-model", "BACKEND_COPILOT_MODEL"),
                [error(404)], model="no-such-model"),
    "429": Case(("Rate limited by {host} after 3 tries", "(Retry-After: 0.05s)"),
                [error(429, retry_after=0.05) for _ in range(3)] + [text("too late")],
                config="max_retries = 2\n", chat_requests=3),
    **{
        str(status): Case((f"The server at {{host}} failed with {status} after 2 tries",
                           "Try again later"),
                          [error(status, retry_after=0.01) for _ in range(2)] + [text("late")],
                          config="max_retries = 1\n", chat_requests=2)
        for status in (500, 502, 503)
    },
    "refused": Case(("Could not connect to {url}: connection refused", "OPENAI_BASE_URL"),
                    config="max_retries = 0\n", target="refused"),
    "connect_timeout": Case(("Timed out connecting to {url} after 0.5s", "OPENAI_BASE_URL"),
                            config="connect_timeout = 0.5\nmax_retries = 0\n", target="stalled"),
    "read_timeout": Case(("{host} sent nothing for 0.5s (read timeout)",
                          "raise read_timeout in config.toml", "The partial answer is kept"),
                         [hang(30, after="Start with a ")], config="read_timeout = 0.5\n",
                         partial="Start with a "),
    "stream_cut": Case(("closed mid-answer; the partial answer is kept", "{host}"),
                       [cut(["Use cursor ", "pagination"])], partial="Use cursor pagination"),
    "malformed_sse": Case(("not valid JSON; the partial answer is kept", "OPENAI_BASE_URL"),
                          [malformed("Before the bad line")], partial="Before the bad line"),
    "empty_choices": Case(("The server sent no choices", "{host}"), [empty_choices()]),
}


@dataclass
class Outcome:
    question: str
    url: str
    host: str
    result: subprocess.CompletedProcess[str]
    data_dir: Path
    server: OAIServer | None


@pytest.fixture(scope="module")
def failures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Run `ask` once per case, all at the same time, each against its own server."""
    servers: list[OAIServer] = []
    stalled = StalledListener()
    launched: list[tuple[str, subprocess.Popen[str], str, Path, OAIServer | None, str]] = []
    try:
        for name, case in CASES.items():
            root = tmp_path_factory.mktemp(f"fail-{name}")
            case_dirs = {k: root / k for k in ("data", "config", "exports")}
            server: OAIServer | None = None
            if case.target == "server":
                server = OAIServer().start()
                servers.append(server)
                server.script(*case.scripts)
                url = server.base_url
            elif case.target == "refused":
                url = f"http://127.0.0.1:{closed_port()}/v1"
            else:
                url = f"http://127.0.0.1:{stalled.port}/v1"
            write_config(case_dirs, case.config)
            question = f"How should the orders API paginate? ({name})"
            proc = subprocess.Popen(
                command("ask", "--model", case.model, question), stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, cwd=ROOT, env=llm_env(case_dirs, url),
            )
            launched.append((name, proc, url, case_dirs["data"], server, question))
        outcomes: dict[str, Outcome] = {}
        for name, proc, url, data_dir, server, question in launched:
            try:
                stdout, stderr = proc.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                stdout, stderr = proc.communicate()
            result = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
            host = url.split("//", 1)[1].split("/", 1)[0]
            outcomes[name] = Outcome(question, url, host, result, data_dir, server)
        yield outcomes
    finally:
        for _, proc, *_ in launched:
            if proc.poll() is None:
                proc.kill()
        for server in servers:
            server.stop()
        stalled.close()


@pytest.mark.parametrize("name", list(CASES))
def test_failure_is_one_actionable_line_and_nothing_is_lost(
    failures: dict[str, Outcome], name: str
) -> None:
    case, outcome = CASES[name], failures[name]
    result = outcome.result
    assert result.returncode == 1, (result.stdout, result.stderr)
    line = stderr_line(result.stderr)
    for fragment in case.says:
        assert fragment.format(url=outcome.url, host=outcome.host) in line, line
    assert result.stdout == (case.partial + "\n" if case.partial else "")
    if case.chat_requests is not None:
        assert outcome.server is not None
        assert len(outcome.server.chat_requests) == case.chat_requests

    user, answer = only_session(outcome.data_dir).messages
    assert (user.role, user.content) == ("user", outcome.question)
    assert answer.role == "assistant"
    assert (answer.status, answer.content, answer.error) == ("error", case.partial, line)


# -- ctrl+c ----------------------------------------------------------------------------------


def test_ctrl_c_stops_at_once_and_keeps_the_partial_answer(
    oai_server: OAIServer, dirs: dict
) -> None:
    # The server streams one piece and then would take half a minute for the rest.
    oai_server.script(hang(30, after="The first part "))
    proc = subprocess.Popen(command("ask", "--model", "test-model", ON_TOPIC),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env=llm_env(dirs, oai_server.base_url))
    try:
        first = read_until(proc, b"The first part ")
        proc.send_signal(signal.SIGINT)
        rest, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert (first + rest).decode().startswith("The first part ")
    assert "Traceback" not in stderr.decode()
    assert "stopped" in stderr.decode()
    assert oai_server.disconnected.wait(10)  # the stream was closed, not left hanging
    user, answer = only_session(dirs["data"]).messages
    assert user.content == ON_TOPIC
    assert (answer.status, answer.content) == ("stopped", "The first part ")


# -- configuration ---------------------------------------------------------------------------


def test_model_precedence_file_then_env_then_flag(oai_server: OAIServer, dirs: dict) -> None:
    write_config(dirs, 'model = "file-model"\nconnect_timeout = 3\n')
    base = llm_env(dirs, oai_server.base_url)
    with_env = dict(base, BACKEND_COPILOT_MODEL="env-model")

    def shown_model(env: dict[str, str], *flags: str) -> str:
        result = run_cli("config", *flags, env=env)
        assert result.returncode == 0 and result.stderr == "", result.stderr
        rows = dict(line.split(None, 1) for line in result.stdout.splitlines() if " " in line)
        assert rows["connect_timeout"].strip() == "3 s"  # a file-only key still applies
        return rows["model"].strip()

    assert shown_model(base) == "file-model"
    assert shown_model(with_env) == "env-model"
    assert shown_model(with_env, "--model", "flag-model") == "flag-model"

    runs = [subprocess.Popen(command("ask", *flags, f"question {i}"), env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i, (env, flags) in enumerate([(base, ()), (with_env, ()),
                                              (with_env, ("--model", "flag-model"))])]
    for proc in runs:
        _, stderr = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, stderr
    sent = {r.body["messages"][-1]["content"]: r.body["model"] for r in oai_server.chat_requests}
    assert sent == {"question 0": "file-model", "question 1": "env-model",
                    "question 2": "flag-model"}


def test_base_url_flag_overrides_env(oai_server: OAIServer, dirs: dict) -> None:
    refused = f"http://127.0.0.1:{closed_port()}/v1"
    result = run_cli("ask", "--model", "test-model", "--base-url", oai_server.base_url, "hello",
                     env=llm_env(dirs, refused))
    assert result.returncode == 0, result.stderr
    assert len(oai_server.chat_requests) == 1


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('read_timeout = "slow"\n', ("read_timeout", "'slow'", "use a number of seconds")),
        ('modle = "gpt-4o"\n', ("unknown key 'modle'", "valid keys: provider, model")),
        ('model = "gpt-4o\n', ("TOML syntax error", "line 1", "fix that line or delete the file")),
    ],
    ids=["bad-type", "unknown-key", "toml-syntax"],
)
def test_invalid_config_still_answers_offline_and_says_what_to_fix(
    dirs: dict, body: str, says: tuple[str, ...]
) -> None:
    path = write_config(dirs, body)
    result = run_cli("ask", ON_TOPIC, env=make_env(dirs))
    assert result.returncode == 0, result.stderr
    assert "WebSocket" in result.stdout and "offline" in result.stdout.lower()
    assert "Traceback" not in result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("backend-copilot: ")]
    assert len(problems) == 1, result.stderr
    assert str(path) in problems[0]
    for fragment in says:
        assert fragment in problems[0]
    shown = run_cli("config", env=make_env(dirs))
    assert shown.returncode == 0 and "problem: " in shown.stderr


# -- the key never leaks ---------------------------------------------------------------------


def test_api_key_never_reaches_files_or_output(oai_server: OAIServer, dirs: dict) -> None:
    write_config(dirs, "max_retries = 0\n")
    env = llm_env(dirs, oai_server.base_url, key=LEAK_KEY, BACKEND_COPILOT_MODEL="test-model")
    oai_server.script(
        text("Put the token in an Authorization header.", chunks=3),
        error(401, f"Incorrect API key provided: {LEAK_KEY}. Find yours on the dashboard."),
        error(500, f"Upstream refused the key {LEAK_KEY}"),  # this text reaches the message
    )
    outputs: list[subprocess.CompletedProcess[str]] = [
        run_cli("ask", ON_TOPIC, env=env),
        run_cli("ask", "--json", "And how do we rotate it?", env=env),
        run_cli("ask", "And when it leaks?", env=env),
        run_cli("config", env=env),
    ]
    assert [r.returncode for r in outputs] == [0, 1, 1, 0]
    assert "failed with 500 after 1 try: Upstream refused the key ***" in outputs[2].stderr
    # The key really was in play: sent to the server and echoed back in its error bodies.
    assert all(r.headers["authorization"] == f"Bearer {LEAK_KEY}" for r in oai_server.chat_requests)
    listed = run_cli("sessions", "--json", env=env)
    outputs.append(listed)
    ids = [s["id"] for s in json.loads(listed.stdout)]
    assert len(ids) == 3
    for session_id in ids:
        for fmt in ("md", "json", "html"):
            exported = run_cli("export", session_id, "--format", fmt, env=env)
            assert exported.returncode == 0, exported.stderr
            outputs.append(exported)

    for out in outputs:
        assert "Traceback" not in out.stderr
        assert LEAK_KEY not in out.stdout + out.stderr
        assert "LEAKCHECK" not in out.stdout + out.stderr
    written = [p for d in (dirs["data"], dirs["exports"]) for p in d.rglob("*") if p.is_file()]
    assert len([p for p in written if p.parent == dirs["exports"]]) == 9
    for path in written:
        content = path.read_bytes()
        assert b"LEAKCHECK" not in content, path
    errors = sorted(m.error for s in sessions(dirs["data"]) for m in s.messages if m.error)
    assert len(errors) == 2 and "rejected the API key (401)" in errors[1]
