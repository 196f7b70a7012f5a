"""The built-in tools on a real temp project: confined to the root, honest about what they cut."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agent.persona.persona import load_persona
from agent.tools import BUILTIN, PermissionRequest, ProjectRoot, Toolbox, tools_for

SEED = Path(__file__).resolve().parents[1] / ".." / "shared" / "seeds" / "backend-agent.md"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "api").mkdir(parents=True)
    (root / "api" / "routes.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n@router.get('/users')\n"
        "def list_users():\n    return []\n"
    )
    (root / "notes.txt").write_text("remember the migration\n")
    (root / "build").mkdir()
    (root / "build" / "out.py").write_text("router = 'generated'\n")
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "debug.log").write_text("router log line\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("router = in git\n")
    (root / "logo.png").write_bytes(b"\x89PNG\x00\x00router")
    return root


def box(root: Path, names: tuple[str, ...] = ("read", "grep", "glob", "edit", "write")) -> Toolbox:
    return Toolbox(ProjectRoot(root), [s for s in BUILTIN if s.name in names])


async def call(tb: Toolbox, name: str, approver=None, allowed: set[str] | None = None, **args):
    return await tb.run(name, json.dumps(args), approver=approver, allowed=allowed if allowed is not None else set())


def test_backend_persona_gets_exactly_its_granted_tools() -> None:
    assert sorted(t.name for t in tools_for(load_persona())) == ["edit", "glob", "grep", "read", "write"]


@pytest.mark.skipif(not SEED.exists(), reason="seed not beside this checkout")
def test_seed_persona_never_gets_bash() -> None:
    names = [t.name for t in tools_for(load_persona(str(SEED.resolve())))]
    assert sorted(names) == ["edit", "glob", "grep", "read", "write"]


async def test_read_with_line_range(project: Path) -> None:
    out = await call(box(project), "read", path="api/routes.py", offset=5, limit=2)
    assert out.status == "ok"
    assert "@router.get('/users')" in out.content and "def list_users" in out.content
    assert "APIRouter()" not in out.content
    assert out.summary == "read api/routes.py, lines 5-6 of 7"


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "api/../../outside.txt"])
async def test_paths_outside_the_root_are_refused(project: Path, path: str) -> None:
    out = await call(box(project), "read", path=path)
    assert out.status == "error"
    assert "outside the project root" in out.content
    assert "root:" not in out.content


async def test_symlink_out_of_the_root_is_refused(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret\n")
    os.symlink(secret, project / "link.txt")
    out = await call(box(project), "read", path="link.txt")
    assert out.status == "error" and "outside the project root" in out.content
    assert "top secret" not in out.content


async def test_binary_file_is_not_shown(project: Path) -> None:
    out = await call(box(project), "read", path="logo.png")
    assert out.status == "error" and "binary" in out.content


async def test_grep_skips_git_ignored_and_binary(project: Path) -> None:
    out = await call(box(project), "grep", pattern="router")
    assert out.status == "ok"
    assert "api/routes.py:3: router = APIRouter()" in out.content
    for hidden in ("build/out.py", "debug.log", ".git/config", "logo.png"):
        assert hidden not in out.content
    everything = await call(box(project), "grep", pattern="router", include_ignored=True)
    assert "build/out.py" in everything.content and "debug.log" in everything.content
    assert ".git/config" not in everything.content


async def test_grep_include_glob_and_bad_regex(project: Path) -> None:
    out = await call(box(project), "grep", pattern="migration", include="*.py")
    assert "No matches" in out.content
    bad = await call(box(project), "grep", pattern="(unclosed")
    assert bad.status == "error" and "Invalid regular expression" in bad.content


async def test_glob_lists_by_pattern(project: Path) -> None:
    out = await call(box(project), "glob", pattern="**/*.py")
    assert out.content.splitlines() == ["api/routes.py"]
    top = await call(box(project), "glob", pattern="*.txt")
    assert top.content.splitlines() == ["notes.txt"]


async def test_huge_output_is_cut_with_a_note(project: Path) -> None:
    (project / "big.txt").write_text("x" * 100 + "\n" + ("y" * 1000 + "\n") * 100)
    out = await call(box(project), "read", path="big.txt")
    assert "[output cut:" in out.content
    assert len(out.content) < 31_000


async def test_edit_allowed_changes_file_and_shows_diff(project: Path) -> None:
    asked: list[PermissionRequest] = []

    async def allow(request: PermissionRequest):
        asked.append(request)
        return "once"

    out = await call(box(project), "edit", approver=allow, path="notes.txt",
                     old_string="migration", new_string="rollback")
    assert out.status == "ok" and out.decision == "once"
    assert (project / "notes.txt").read_text() == "remember the rollback\n"
    assert "-remember the migration" in asked[0].diff and "+remember the rollback" in asked[0].diff


async def test_edit_denied_leaves_file_untouched(project: Path) -> None:
    async def deny(request: PermissionRequest):
        return "deny"

    out = await call(box(project), "edit", approver=deny, path="notes.txt",
                     old_string="migration", new_string="rollback")
    assert out.status == "denied" and "denied" in out.content
    assert (project / "notes.txt").read_text() == "remember the migration\n"


async def test_without_an_approver_changes_are_denied(project: Path) -> None:
    out = await call(box(project), "write", approver=None, path="new.txt", content="hi\n")
    assert out.status == "denied"
    assert not (project / "new.txt").exists()


async def test_allow_for_session_is_remembered_per_tool(project: Path) -> None:
    asked: list[str] = []

    async def session_allow(request: PermissionRequest):
        asked.append(request.tool)
        return "session"

    allowed: set[str] = set()
    tb = box(project)
    first = await call(tb, "write", approver=session_allow, allowed=allowed, path="a.txt", content="1\n")
    second = await call(tb, "write", approver=session_allow, allowed=allowed, path="b.txt", content="2\n")
    assert (first.decision, second.decision) == ("session", "remembered")
    assert asked == ["write"]
    assert (project / "b.txt").read_text() == "2\n"


async def test_edit_needs_a_unique_match(project: Path) -> None:
    (project / "dup.txt").write_text("a\na\n")

    async def allow(request: PermissionRequest):
        return "once"

    many = await call(box(project), "edit", approver=allow, path="dup.txt", old_string="a", new_string="b")
    none = await call(box(project), "edit", approver=allow, path="dup.txt", old_string="zzz", new_string="b")
    assert many.status == "error" and "2 times" in many.content
    assert none.status == "error" and "not found" in none.content
    assert (project / "dup.txt").read_text() == "a\na\n"


async def test_write_outside_root_refused_before_asking(project: Path, tmp_path: Path) -> None:
    asked: list[str] = []

    async def allow(request: PermissionRequest):
        asked.append(request.tool)
        return "once"

    out = await call(box(project), "write", approver=allow, path="../escape.txt", content="x")
    assert out.status == "error" and "outside the project root" in out.content
    assert asked == [] and not (tmp_path / "escape.txt").exists()


async def test_malformed_arguments_and_unknown_tool(project: Path) -> None:
    tb = box(project)
    bad = await tb.run("read", '{"path": "notes.txt"', approver=None, allowed=set())
    assert bad.status == "error" and "not valid JSON" in bad.content
    unknown = await tb.run("bash", '{"command": "ls"}', approver=None, allowed=set())
    assert unknown.status == "error" and "Unknown tool 'bash'" in unknown.content


async def test_bash_when_granted_runs_in_root(project: Path) -> None:
    async def allow(request: PermissionRequest):
        return "once"

    out = await call(box(project, ("bash",)), "bash", approver=allow, command="cat notes.txt")
    assert out.status == "ok" and "remember the migration" in out.content


REAL_AGENTS = Path(__file__).parent / "fixtures" / "agents_real"


async def test_bash_limited_by_the_agent_file_runs_only_its_commands(project: Path) -> None:
    # Claude Code `Bash(git diff:*), Bash(git log:*)`: only those commands, each still asked
    persona = load_persona(REAL_AGENTS / "code-reviewer.md")
    tb = Toolbox(ProjectRoot(project), tools_for(persona))
    asked: list[str] = []

    async def yes(request: PermissionRequest) -> str:
        asked.append(request.title)
        return "once"

    ran = await call(tb, "bash", approver=yes, command="git log --oneline -1")
    assert ran.decision == "once" and "[exit code" in ran.content
    assert asked == ["run: git log --oneline -1"]
    for command in ("touch pwned", "git log; touch pwned", "git diff $(touch pwned)",
                    "git log > pwned", "git log\ntouch pwned"):
        out = await call(tb, "bash", approver=yes, command=command)
        assert out.status == "error" and "limits bash to git diff*, git log*" in out.content
    assert asked == ["run: git log --oneline -1"]  # refused before anyone was asked
    assert not (project / "pwned").exists()
    spec = next(s for s in tb.specs() if s.name == "bash")
    assert "git diff*, git log*" in spec.description  # the model is told its limits


def test_bash_without_a_pattern_is_the_plain_tool() -> None:
    persona = load_persona(REAL_AGENTS / "kubernetes-specialist.md")
    assert next(s for s in tools_for(persona) if s.name == "bash") is BUILTIN[-1]


async def test_a_bash_limit_holds_even_when_the_file_also_allows_bash_without_asking(
    project: Path,
) -> None:
    from agent.persona.agentfile import parse_agent_text
    from agent.persona.persona import persona_from_agent_file

    persona = persona_from_agent_file(parse_agent_text(
        "---\nname: x\ntools: Read, Bash(git status)\npermission:\n  bash: allow\n---\n"
    ))
    assert persona.allowed_without_asking == ("bash",) and persona.bash_commands == ("git status",)
    tb = Toolbox(ProjectRoot(project), tools_for(persona))
    out = await tb.run("bash", json.dumps({"command": "touch pwned"}), approver=None,
                       allowed=set(), preapproved=frozenset(persona.allowed_without_asking))
    assert out.status == "error" and "limits bash to git status" in out.content
    assert not (project / "pwned").exists()
