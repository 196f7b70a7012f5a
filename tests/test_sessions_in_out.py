"""Sessions in and out: JSON export -> import resumes exactly; the Markdown brief for a PR."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.command_results import OpenSessions
from agent.copilot import Copilot
from agent.export.render import ExportError, export_session
from agent.session.importer import import_session
from agent.session.journal import Session

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = Path(__file__).parent / "fixtures" / "library"


def _copilot() -> Copilot:
    return Copilot.start(cli={"provider": "offline", "stream_delay": 0})


async def _say(copilot: Copilot, text: str) -> None:
    async for _ in copilot.ask(text):
        pass


async def _worked_session() -> Copilot:
    """A session with a bit of everything: answers, a phase move, ticks, a chosen branch."""
    copilot = _copilot()
    await _say(copilot, "Our REST API needs authentication and real-time notifications")
    copilot.set_phase("Architecture")
    jwt = next(i for i in copilot.persona.all_checklist_items() if i.text == "JWT")
    copilot.toggle_item(jwt.id)
    tree = copilot.persona.decision_trees[0]
    ws = next(o for o in tree.options if o.recommendation == "WebSocket")
    await _say(copilot, copilot.choose_branch(tree.id, ws.node_id))
    return copilot


async def test_export_json_then_import_resumes_exactly(tmp_path):
    copilot = await _worked_session()
    original = copilot.state.model_copy(deep=True)
    exported = tmp_path / "session.json"
    exported.write_text(export_session(original, "json"), encoding="utf-8")

    # the original, untouched since, already holds it: nothing is written, the error says where
    with pytest.raises(ExportError, match=f"already imported as session {original.id}"):
        import_session(exported)

    # once the original went on, the import gets an id and a file of its own
    await _say(copilot, "One more question about the database")
    imported = import_session(exported)
    assert imported.id == f"{original.id}-imported" and imported.path.exists()
    imported.close()
    again = Session.open(imported.id).state
    assert again.model_dump(exclude={"id"}) == original.model_dump(exclude={"id"})
    # and the same export a second time says so instead of making a third copy
    with pytest.raises(ExportError, match=f"already imported as session {imported.id}"):
        import_session(exported)
    assert len(list(copilot.session.path.parent.glob("*.jsonl"))) == 2

    # on a machine without the original, it keeps its id
    copilot.session.close()
    copilot.session.path.unlink()
    same = import_session(exported)
    assert same.id == original.id
    assert same.state.model_dump() == original.model_dump()
    same.close()

    # and the app resumes it where it was: the phase, the ticks, the chosen branch
    resumed = Copilot.start(cli={"provider": "offline"}, resume=original.id)
    assert resumed.workflow.current_name == "Architecture"
    assert resumed.state.tree is not None and resumed.state.tree.recommendation == "WebSocket"
    assert resumed.state.checklist == original.checklist


def test_import_refuses_what_is_not_an_export(tmp_path):
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(ExportError, match="Not a session export"):
        import_session(bad)
    with pytest.raises(ExportError, match="No file"):
        import_session(tmp_path / "missing.json")


async def test_cli_import_prints_how_to_resume(tmp_path):
    copilot = await _worked_session()
    exported = tmp_path / "s.json"
    exported.write_text(export_session(copilot.state, "json"), encoding="utf-8")
    copilot.session.close()
    copilot.session.path.unlink()  # as on another machine

    def cli_import() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "tui.cli", "import", str(exported)],
            capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), timeout=60,
        )

    result = cli_import()
    assert result.returncode == 0, result.stderr
    new_id = result.stdout.split()[2]
    assert f"--resume {new_id}" in result.stdout
    assert Session.open(new_id, read_only=True).state.messages == copilot.state.messages
    twice = cli_import()  # the same file again: one line naming the session it already is
    assert twice.returncode == 1 and twice.stdout == ""
    assert twice.stderr.strip() == (
        f"backend-copilot: s.json is already imported as session {new_id}; "
        f"resume it with: backend-copilot --resume {new_id}"
    )


async def test_brief_lists_decisions_open_items_and_phase(tmp_path):
    copilot = await _worked_session()
    path = copilot.export("brief", str(tmp_path))
    assert path.name == f"{copilot.state.id}-brief.md"
    brief = path.read_text()
    assert brief.startswith("# ") and "— brief" in brief
    assert "Phase reached: Architecture (Primary role for backend)" in brief
    assert "Personas: backend (on now)" in brief
    assert "**WebSocket**" in brief and "Real-time → WebSocket, chosen" in brief
    assert "Security Implementation Checklist**: 1/10 done" in brief
    open_part = brief.split("### Still open", 1)[1]
    assert "RBAC" in open_part and "JWT" not in open_part  # ticked, so not open
    assert "Transcript" not in brief and len(brief.splitlines()) < 40


async def test_brief_names_every_persona_that_was_on(tmp_path, monkeypatch):
    folder = tmp_path / ".opencode" / "agent"
    folder.mkdir(parents=True)
    shutil.copy(LIBRARY / "devops.md", folder / "devops.md")
    monkeypatch.chdir(tmp_path)
    copilot = _copilot()
    await _say(copilot, "We need to design the REST API for orders, with authentication.")
    await _say(copilot, "Now plan the deployment: a kubernetes rollout with a rollback plan.")
    result = copilot.run_command("/export brief")
    assert result.ok, result.message
    brief = Path(result.path).read_text()
    assert "Personas: backend, devops (on now)" in brief
    assert "Release Readiness Checklist" in brief and "Security Implementation Checklist" in brief
    assert "Deployment Strategy Decision Tree" in brief


async def test_cli_export_brief(tmp_path):
    copilot = await _worked_session()
    copilot.session.close()
    out = tmp_path / "brief.md"
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "export", copilot.state.id, "--format", "brief",
         "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Still open" in out.read_text()


def test_web_serves_this_program_with_the_same_flags_minus_the_web_ones():
    from tui.cli import build_parser
    from tui.web import app_arguments, served_command

    argv = ["--web", "--host", "127.0.0.1", "--port=8123", "--agent", "x y.md", "--provider",
            "offline"]
    assert app_arguments(argv) == ["--agent", "x y.md", "--provider", "offline"]
    command = served_command(argv)
    assert command.startswith(sys.executable) and "-m tui.cli" in command
    assert "'x y.md'" in command and "--web" not in command and "8123" not in command
    defaults = build_parser().parse_args(["--web"])
    assert (defaults.host, defaults.port) == ("127.0.0.1", 8000)


async def test_brief_gives_the_furthest_phase_and_the_branch_the_session_settled_on(tmp_path):
    from agent.session.models import TreeHighlighted

    copilot = _copilot()
    await _say(copilot, "Our REST API needs authentication")
    for phase in ("Architecture", "Feature Breakdown", "Architecture"):  # on, then back
        copilot.set_phase(phase)
    tree = copilot.persona.decision_trees[0]
    node = {o.recommendation: o.node_id for o in tree.options}
    for name, chosen in (("REST", False), ("WebSocket", True), ("gRPC", False)):
        copilot.session.append(TreeHighlighted(tree_id=tree.id, node_id=node[name],
                                               recommendation=name, chosen=chosen))
    brief = copilot.export("brief", str(tmp_path)).read_text()
    assert "Phase reached: Feature Breakdown" in brief and "now back at Architecture" in brief
    decisions = brief.split("## Decisions", 1)[1].split("##", 1)[0]
    bullets = [line for line in decisions.splitlines() if line.startswith("- ")]
    assert len(bullets) == 1  # one per tree: the branch the user chose stands
    assert bullets[0].startswith("- **WebSocket**") and ", chosen" in bullets[0]
    assert "also considered: REST, gRPC" in bullets[0]


async def test_sessions_command_renames_and_deletes_by_id():
    from agent.session.catalogue import list_sessions

    old = _copilot()
    await _say(old, "Tell me a joke about cats")
    old_id = old.state.id
    old.session.close()
    copilot = _copilot()
    await _say(copilot, "Design the orders API")
    assert copilot.run_command(f"/sessions rename {old_id} Cats, briefly").ok
    assert {s.id: s.title for s in list_sessions()}[old_id] == "Cats, briefly"
    here = copilot.run_command(f"/sessions delete {copilot.state.id}")
    assert not here.ok and "open here" in here.message
    assert copilot.run_command(f"/sessions delete {old_id}").ok
    assert [s.id for s in list_sessions()] == [copilot.state.id]
    assert isinstance(copilot.run_command("/sessions"), OpenSessions)
    assert not copilot.run_command("/sessions rename").ok
