"""Hostile input: huge pastes, NUL and invalid UTF-8, terminal escapes, Rich markup, HTML.

Persona-file parsing under malformed, 10 MB and deeply nested input is covered at the parser
level in tests/test_agentfile.py (test_too_large_file, test_pathological_input_finishes_or_fails
_cleanly, test_arbitrary_text_only_raises_agent_file_error); here the same files go through the
real command. Config problems are covered in tests/test_config.py; here through the command.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oai_server import OAIServer, text
from rel_helpers import ESCAPES, FORBIDDEN_CONTROLS, MARKUP, WAIT, oai_args, run_cli

from agent.copilot import Copilot
from agent.export.render import export_session
from agent.llm.base import StreamEnd
from agent.session.journal import Session
from agent.session.models import Message, Notice, SessionState

PASTE = ("Our API must handle this log:\n" + "GET /v1/orders 200 12ms\n" * 250_000)[:5_000_000]


def _clean(data: str) -> bool:
    return not any(c in data for c in FORBIDDEN_CONTROLS)


# -- size ----------------------------------------------------------------------------------


async def test_a_5_mb_paste_through_the_controller(oai_server: OAIServer) -> None:
    oai_server.script(text("Summarised.", chunks=2))
    copilot = Copilot.start(cli={"provider": "openai", "base_url": oai_server.base_url,
                                 "model": "test-model"})
    items = [item async for item in copilot.ask(PASTE)]
    assert isinstance(items[-1], StreamEnd) and items[-1].error is None
    copilot.session.close()
    state = Session.open(copilot.state.id, read_only=True).state
    assert state.messages[0].content == PASTE
    assert state.messages[-1].content == "Summarised."


def test_a_5_mb_paste_through_the_command() -> None:
    result = run_cli("ask", "--provider", "offline", "-", input=PASTE.encode(), timeout=WAIT * 2)
    assert result.returncode == 0, result.stderr[-500:]
    assert b"Offline playbook" in result.stdout
    assert len(result.stdout) < 50_000  # the paste is not echoed back whole


# -- bytes that are not text ---------------------------------------------------------------


def test_nul_and_invalid_utf8_in_a_pasted_question() -> None:
    result = run_cli("ask", "--provider", "offline", "-",
                     input=b"design an api\x00 with \xff\xfe bad bytes \xed\xa0\x80")
    assert result.returncode == 0, result.stderr
    assert b"\x00" not in result.stdout
    state = Session.open(json_session_id(), read_only=True).state
    assert "\ufffd" in state.messages[0].content


def json_session_id() -> str:
    return json.loads(run_cli("sessions", "--json").stdout)[0]["id"]


@pytest.mark.parametrize(
    "content",
    [
        b"---\nname: x\n---\n# T\x00itle\n",
        b"---\nname: \xff\xfe\n---\n",
        b"# ok\n\ncaf\xe9\n",
        b"---\na: " + b"[" * 10_000 + b"\n---\n",  # deep YAML
        b"- " * 100_000 + b"x",  # deep list
        b"# Big\n" + b"x" * (10 * 1024 * 1024),  # 10 MB
        b"---\n: : :\n  - [\n---\n",
    ],
    ids=["nul", "bad-utf8-yaml", "latin1", "deep-yaml", "deep-list", "10mb", "bad-yaml"],
)
def test_broken_persona_files_are_one_line_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "agent.md"
    path.write_bytes(content)
    result = run_cli("persona", "show", str(path))
    err = result.stderr.decode()
    assert b"Traceback" not in result.stderr and "RecursionError" not in err
    if result.returncode != 0:
        assert result.returncode == 1 and err.startswith("backend-copilot: ")
        assert len(err.strip().splitlines()) == 1 and str(path) in err
    # The app's path (strict=False) falls back to the bundled persona with a problem line.
    copilot = Copilot.start(cli={"provider": "offline"}, agent_paths=[str(path)], strict=False)
    assert copilot.persona.name
    copilot.session.close()


def test_session_log_with_nul_and_invalid_utf8_lines_loads_the_rest() -> None:
    session = Session.create("backend")
    session.add_user_message("before\x00nul", persona_active=False, phase="")
    session.close()
    with session.path.open("ab") as fh:
        fh.write(b'{"type":"message","id":"z","role":"user","content":"\xff\xfe"}\n\x00\x00\n')
    result = run_cli("ask", "--resume", session.id, "--provider", "offline", "after")
    assert result.returncode == 0, result.stderr
    assert b"Skipped 2 damaged line" in result.stderr
    state = Session.open(session.id, read_only=True).state
    assert [m.content for m in state.messages if m.role == "user"] == ["before\x00nul", "after"]


def test_bad_config_is_one_line_each_and_the_app_starts_on_defaults(
    isolated_dirs: dict,
) -> None:
    config = isolated_dirs["config"]
    config.mkdir(parents=True)
    (config / "config.toml").write_text(
        'provider = 42\nmax_retries = "many"\nmystery = true\nread_timeout = -1\n'
    )
    result = run_cli("ask", "Design a REST API")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("backend-copilot: ") for line in lines)
    assert any("unknown key 'mystery'" in line for line in lines)
    assert b"Offline playbook" in result.stdout
    (config / "config.toml").write_bytes(b"\xff\xfe\x00 not toml")
    result = run_cli("ask", "Design a REST API")
    assert result.returncode == 0 and b"Traceback" not in result.stderr
    assert b"config.toml" in result.stderr


# -- escapes and markup from the model -----------------------------------------------------


def test_model_escapes_and_markup_are_inert_in_ask_and_exports(
    oai_server: OAIServer, isolated_dirs: dict
) -> None:
    hostile = ESCAPES + " " + " ".join(MARKUP) + " <script>alert(1)</script>"
    oai_server.script(text(hostile, chunks=7))  # sequences are split across chunks too
    result = run_cli("ask", *oai_args(oai_server.base_url), "paste: " + ESCAPES + MARKUP[0])
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert _clean(out)
    for markup in MARKUP:
        assert markup in out  # printed literally, not styled or turned into a link
    session_id = json_session_id()
    for fmt in ("md", "html", "json"):
        exported = run_cli("export", session_id, "-f", fmt)
        assert exported.returncode == 0, exported.stderr
    for path in isolated_dirs["exports"].iterdir():
        raw = path.read_text(encoding="utf-8")
        assert _clean(raw), path  # no raw escape, BEL or C1 byte in any export
        if path.suffix == ".md":
            assert all(markup in raw for markup in MARKUP)
        if path.suffix == ".html":
            assert "<script>" not in raw and "&lt;script&gt;" in raw
            assert "[link=file:///etc/passwd]x[/link]" in raw


# -- HTML export ---------------------------------------------------------------------------

ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "div",
                "b", "span", "pre", "ul", "li",
                # an answer's Markdown, formatted: no raw HTML, no image, links checked below
                "h4", "h5", "h6", "ol", "em", "strong", "code", "blockquote", "hr", "br", "a",
                "table", "thead", "tbody", "tr", "th", "td", "s", "details", "summary"}
LINK_SCHEMES = ("http:", "https:", "mailto:")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


HOSTILE_BITS = st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>',
    "<a href=\"javascript:alert(1)\">x</a>", "javascript:alert(1)", "</pre><script>",
    "[x](javascript:alert(1))", "<javascript:alert(1)>", "[x](data:text/html,<script>)",
    "![x](http://tracker.example/p.png)", "[ok](https://example.org/a?b=\"c\")", "\n\n",
    "[m](mailto:a@example.org)", "[x](JaVaScRiPt:alert(1))", "[x](//evil.example)", "`",
    "**", "# ", "| a | b |\n|---|---|\n", "[x]: javascript:alert(1)\n\n[x]",
    "<!--", "-->", "<![CDATA[", "&lt;script&gt;", "<style>", "'", '"', "&", "\x1b]8;;x\x07",
    "[link=javascript:alert(1)]x[/link]", "<iframe srcdoc='<script>'>", "<body onload=x>",
])
TS = "2026-01-01T00:00:00+00:00"
CONTENT = st.lists(st.one_of(HOSTILE_BITS, st.text(max_size=20)), max_size=8).map("".join)


@settings(max_examples=100, deadline=None)
@given(title=CONTENT, user=CONTENT, answer=CONTENT, error=CONTENT, notice=CONTENT)
def test_html_export_has_no_script_link_or_event_attribute(
    title: str, user: str, answer: str, error: str, notice: str
) -> None:
    state = SessionState(
        id="s1", title=title, persona="backend",
        messages=[
            Message(id="u", role="user", content=user, ts=TS),
            Message(id="a", role="assistant", content=answer, status="error", error=error,
                    provider=user, model=answer, ts=TS),
        ],
        timeline=[Notice(level="warning", text=notice, ts=TS)],
    )
    document = export_session(state, "html")
    parser = _Tags()
    parser.feed(document)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name not in ("src", "srcdoc", "action", "formaction"), (tag, name)
            if name == "href":  # only a link, and only to the web or to mail
                assert tag == "a" and (value or "").strip().lower().startswith(LINK_SCHEMES), (
                    tag, value)
            assert "javascript:" not in (value or "").lower()
            assert "data:" not in (value or "").lower()
    assert [t for t, _ in parser.tags].count("script") == 0
    assert _clean(document)
