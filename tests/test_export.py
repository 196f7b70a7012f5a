"""Exports: what a reader of the file sees, and that hostile content stays inert text."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from agent.export.json_export import import_json
from agent.export.render import ExportError, export_session, write_export
from agent.persona.models import (
    Checklist,
    ChecklistItem,
    DecisionOption,
    DecisionTree,
    Persona,
    Phase,
)
from agent.session.fold import fold
from agent.session.journal import Session
from agent.session.models import (
    ActivationChanged,
    CardsUsed,
    ChecklistChanged,
    PhaseChanged,
    PlaybookCard,
    SessionState,
    TreeHighlighted,
    Usage,
)

SCRIPT = "<script>alert(1)</script>"
MARKUP = "[bold red]x[/]"
CLIPBOARD = "\x1b]52;c;ZWNobyBvd25lZA==\x07"

PERSONA = Persona(
    name="backend",
    title="Backend Agent",
    phases=(Phase(name="PRD", role="Supporting"), Phase(name="Architecture", role="Primary")),
    checklists=(
        Checklist(
            id="security",
            title="Security Implementation Checklist",
            items=(
                ChecklistItem(id="security/authentication/jwt", area="Authentication", text="JWT"),
                ChecklistItem(id="security/authentication/oauth2", area="Authentication", text="OAuth2/OIDC"),
                ChecklistItem(id="security/authentication/rbac", area="Authentication", text="RBAC"),
                ChecklistItem(id="security/api/rate", area="API Security", text="Rate limiting"),
            ),
        ),
    ),
    decision_trees=(
        DecisionTree(
            id="technology-decision-tree",
            title="Technology Decision Tree",
            root="API Requirements",
            question="Data Complexity",
            options=(DecisionOption(node_id="E", condition="Real-time", recommendation="WebSocket"),),
        ),
    ),
)


@pytest.fixture
def state(tmp_path: Path) -> SessionState:
    """A real session: hostile content, every event kind, every answer status."""
    session = Session.create("backend", directory=tmp_path / "sessions")
    session.add_user_message(
        f"Build a chat API {SCRIPT} {MARKUP} {CLIPBOARD}", persona_active=False, phase="PRD"
    )
    session.append(
        ActivationChanged(persona="backend", active=True, reason="matched api", matches=["api"])
    )
    session.append(PhaseChanged(phase="Architecture", previous="PRD", role="Primary"))
    session.append(
        ChecklistChanged(item_id="security/authentication/jwt", state="done", by="user")
    )
    session.append(
        ChecklistChanged(
            item_id="security/authentication/oauth2",
            state="suggested",
            by="conversation",
            evidence="login with google",
        )
    )
    session.append(
        TreeHighlighted(
            tree_id="technology-decision-tree",
            node_id="E",
            recommendation="WebSocket",
            words=["real-time"],
            chosen=True,
        )
    )
    for status in ("complete", "stopped", "error"):
        answer = session.start_answer("openai", "gpt-4o", persona_active=True, phase="Architecture")
        if status == "complete":  # a user's card may have any title
            session.append(CardsUsed(id=answer, cards=[
                PlaybookCard(id="cors", title="CORS"),
                PlaybookCard(id="mine", title=f"My card {SCRIPT} {MARKUP}"),
            ]))
        session.append_chunk(answer, f"Answer {status}: <b onclick=\"x()\">hi</b> ")
        session.append_chunk(answer, "[link](javascript:alert(1)) ```code``` \x1b[31mred")
        session.finish(
            answer,
            status,  # type: ignore[arg-type]
            usage=Usage(prompt_tokens=5, completion_tokens=7) if status == "complete" else None,
            error="Rate limited; wait a minute and retry." if status == "error" else None,
        )
    session.start_answer("openai", "gpt-4o", persona_active=True, phase="Architecture")
    session.close()
    return Session.open(session.path).state  # the last answer reloads as interrupted


def test_markdown_keeps_content_literal(state: SessionState) -> None:
    md = export_session(state, "md", PERSONA)
    assert SCRIPT in md and MARKUP in md  # verbatim, inside a fenced block
    fence_open = md.index("```text\nBuild a chat API")
    assert md.index(SCRIPT) > fence_open
    assert "\x1b" not in md and "\x07" not in md
    # an answer is the model's Markdown, its raw HTML tags escaped so no viewer runs them
    assert 'Answer complete: \\<b onclick="x()">hi\\</b>' in md
    assert "<b onclick" not in md.replace("\\<b onclick", "")


ANSWER_MD = (
    "**Recommendation:** use REST.\n\n### Why\n\n- p99 latency \\<200ms\n"
    "- see [the RFC](https://www.rfc-editor.org/rfc/rfc9110) or [this](javascript:alert(1))\n\n"
    "```python\nif a < b: print('<b>')\n```\n"
)


def _answered(tmp_path: Path) -> SessionState:
    session = Session.create("backend", directory=tmp_path / "sessions")
    session.add_user_message("How should the API look?", persona_active=True, phase="PRD")
    answer = session.start_answer("openai", "gpt-4o", persona_active=True, phase="PRD")
    session.append_chunk(answer, ANSWER_MD)
    session.finish(answer, "complete")
    session.close()
    return Session.open(session.path, read_only=True).state


def test_markdown_export_keeps_answers_as_markdown_without_leaking_escapes(tmp_path: Path) -> None:
    from markdown_it import MarkdownIt

    md = export_session(_answered(tmp_path), "md")
    assert "\n**Recommendation:** use REST.\n" in md and "\n### Why\n" in md  # not in a fence
    assert "```text\n**Recommendation" not in md
    assert "if a < b: print('<b>')" in md  # code is left exactly as written
    shown = MarkdownIt("commonmark", {"html": False}).render(md)
    assert "&lt;200ms" in shown and "\\&lt;200ms" not in shown and "\\<200ms" not in shown
    assert "<strong>Recommendation:</strong>" in shown


def test_html_export_formats_answers_with_only_web_and_mail_links(tmp_path: Path) -> None:
    page = export_session(_answered(tmp_path), "html")
    assert "<strong>Recommendation:</strong> use REST." in page
    assert "<h3>Why</h3>" in page
    assert "p99 latency &lt;200ms" in page and "\\&lt;200ms" not in page
    assert '<a href="https://www.rfc-editor.org/rfc/rfc9110">the RFC</a>' in page
    assert "javascript:" not in page.replace("[this](javascript:alert(1))", "")
    assert "print(&#x27;&lt;b&gt;&#x27;)" in page or "print('&lt;b&gt;')" in page


def test_markdown_escapes_inline_text(tmp_path: Path) -> None:
    session = Session.create("backend", directory=tmp_path, title=f"{SCRIPT} {MARKUP}")
    md = export_session(session.state, "md")
    title_line = md.splitlines()[0]
    assert "<script>" not in title_line
    assert title_line == r"# \<script\>alert(1)\</script\> \[bold red\]x\[/\]"


def test_markdown_shows_transcript_timeline_checklist_and_tree(state: SessionState) -> None:
    md = export_session(state, "md", PERSONA)
    assert "### 1. You" in md
    assert "Assistant (openai gpt-4o)" in md
    assert "phase Architecture" in md and "persona on" in md
    for status in ("STOPPED", "ERROR", "INTERRUPTED"):
        assert f"**{status}**" in md
    assert "Error: Rate limited; wait a minute and retry." in md
    assert "Persona backend on (auto) — matched api; words: api" in md
    assert "Phase from PRD to Architecture (Primary)" in md
    assert "**Authentication** 1/3" in md
    assert "**API Security** 0/1" in md
    assert "- [x] JWT — done" in md
    assert "- [~] OAuth2/OIDC — suggested (login with google)" in md
    assert "- [ ] RBAC" in md
    assert "Data Complexity — Real-time -\\> WebSocket, chosen by you" in md


def test_exports_name_the_playbook_cards_an_answer_used(state: SessionState) -> None:
    text = export_session(state, "md", PERSONA)
    line = next(ln for ln in text.splitlines() if "playbook cards:" in ln)
    assert "playbook cards: CORS; My card \\<script\\>" in line  # escaped, shown as written
    assert text.count("playbook cards:") == 1  # only the answer that used cards
    page = export_session(state, "html", PERSONA)
    assert "playbook cards: CORS; My card &lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_markdown_without_persona_lists_recorded_items(state: SessionState) -> None:
    md = export_session(state, "md")
    assert "[x] jwt" in md and "[~] oauth2" in md
    assert "RBAC" not in md


def test_html_is_escaped_and_inert(state: SessionState) -> None:
    page = export_session(state, "html", PERSONA)
    lowered = page.lower()
    assert "<script" not in lowered
    assert not re.search(r"=\s*[\"']?\s*javascript:", lowered)  # only ever shown as text
    assert not re.search(r"<[^>]*\son\w+\s*=", page)  # no event-handler attributes
    assert not re.search(r"\b(src|href)\s*=", lowered)  # the fixture has no web link
    assert "@import" not in lowered and "url(" not in lowered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b onclick=&quot;x()&quot;&gt;" in page
    assert MARKUP in page
    assert "\x1b" not in page and "\x07" not in page
    assert "1/3" in page and "INTERRUPTED" in page


def test_json_round_trips_to_the_same_state(state: SessionState) -> None:
    text = export_session(state, "json", PERSONA)
    document = json.loads(text)
    assert document["format"] == "backend-copilot-session" and document["version"] == 1
    assert "\x1b" not in text  # escaped as \u001b, never a raw byte
    restored = fold(import_json(text))
    expected = state.model_dump(exclude={"skipped_lines"})
    assert restored.model_dump(exclude={"skipped_lines"}) == expected
    assert restored.messages[0].content.endswith(CLIPBOARD)  # the log's exact text survives


def test_import_rejects_other_documents() -> None:
    with pytest.raises(ExportError, match="line 1"):
        import_json("{not json")
    with pytest.raises(ExportError, match="format"):
        import_json('{"format": "something-else"}')
    with pytest.raises(ExportError, match="version"):
        import_json('{"format": "backend-copilot-session", "version": 9, "events": []}')
    bad = {"format": "backend-copilot-session", "version": 1, "events": [{"type": "message"}]}
    with pytest.raises(ExportError, match="Event 1"):
        import_json(json.dumps(bad))


def test_unknown_format_is_an_error(state: SessionState) -> None:
    with pytest.raises(ExportError, match="md, json, html"):
        export_session(state, "pdf")  # type: ignore[arg-type]


def test_write_export_default_path_is_private(
    state: SessionState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKEND_COPILOT_EXPORT_DIR", str(tmp_path / "exports"))
    for fmt in ("md", "json", "html"):
        path = write_export(state, fmt, persona=PERSONA)  # type: ignore[arg-type]
        assert path == tmp_path / "exports" / f"{state.id}.{fmt}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text() == export_session(state, fmt, PERSONA)  # type: ignore[arg-type]
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == sorted(
        f"{state.id}.{ext}" for ext in ("md", "json", "html")
    )


def test_write_export_to_a_file_or_folder(state: SessionState, tmp_path: Path) -> None:
    target = tmp_path / "mine.md"
    target.write_text("old")
    target.chmod(0o644)
    assert write_export(state, "md", target) == target
    assert target.read_text().startswith("# ")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert write_export(state, "html", tmp_path) == tmp_path / f"{state.id}.html"


def test_unwritable_path_suggests_default_folder(
    state: SessionState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKEND_COPILOT_EXPORT_DIR", str(tmp_path / "exports"))
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ExportError) as excinfo:
        write_export(state, "md", blocker / "out.md")
    message = str(excinfo.value)
    assert "out.md" in message and str(tmp_path / "exports") in message
    assert "\n" not in message


def _audited_state(tmp_path: Path, *, probed: bool = False) -> SessionState:
    """A real session log with a real audit of the Python fixture (and a probe) folded in."""
    from agent.audit.engine import run_audit
    from agent.audit.models import ProbeResult
    from agent.persona.persona import load_persona
    from agent.session.models import AuditRecorded, ProbeRecorded

    fixture = Path(__file__).resolve().parent / "fixtures" / "audit" / "python_api"
    report = run_audit(fixture, load_persona())
    with Session.create(directory=tmp_path, persona="backend") as session:
        session.add_user_message("what is left on the checklist?", persona_active=True, phase="")
        session.append(AuditRecorded(root="python_api", report=report))
        if probed:
            session.append(ProbeRecorded(result=ProbeResult(
                url="http://127.0.0.1:8000/health", requests=50, ok=50, errors=0,
                p50_ms=3.0, p95_ms=5.0, p99_ms=9.0, max_ms=9.5)))
        path = session.path
    with Session.open(path) as reopened:  # what a resumed session folds from the log
        return reopened.state


def test_exports_carry_the_audit_with_evidence(tmp_path: Path) -> None:
    from agent.export.brief import session_brief
    from agent.persona.persona import load_persona

    state = _audited_state(tmp_path)
    md = export_session(state, "md", load_persona())
    assert "## Project audit" in md
    assert "- [x] API Security · Rate limiting — done: app/main.py:19 limiter = Limiter(" in md
    assert "  - requirements.txt:5 slowapi==0.1.9" in md
    assert "- [ ] Authentication · RBAC — missing (looked in 4 Python files" in md
    assert "SQL built by string formatting or concatenation — app/db.py:9" in md
    page = export_session(state, "html", load_persona())
    assert "<code>app/main.py:19</code> limiter = Limiter(key_func=get_remote_address)" in page
    assert "<code>app/db.py:9</code> cur.execute(f&quot;SELECT" in page
    brief = session_brief(state, [load_persona()])
    assert "## Project audit" in brief and "Rate limiting — done: app/main.py:19" in brief
    assert "Encryption at rest" not in brief.split("## Project audit")[1]  # unknowns left out
    still_open = brief.split("### Still open")[1].split("## Project audit")[0]
    assert "API Security: Rate limiting (audit: found at app/main.py:19)" in still_open
    assert "Authentication: RBAC (audit: not found in code)" in still_open


def test_json_export_round_trips_the_audit_and_probe(tmp_path: Path) -> None:
    state = _audited_state(tmp_path, probed=True)
    api = next(i for i in state.audit.items if i.text == "API Response")
    assert api.status == "done" and api.evidence[0].path == "http://127.0.0.1:8000/health"
    restored = fold(import_json(export_session(state, "json", PERSONA)))
    assert restored.audit == state.audit and restored.probe == state.probe
