"""The `backend-copilot` command as a user runs it: a real process, real files, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = (ROOT / ".." / "shared" / "seeds" / "backend-agent.md").resolve()


def run_cli(*args: str, env_extra: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout,
    )


def test_ask_recommends_websocket_offline() -> None:
    result = run_cli("ask", "We need real-time updates pushed to the browser from our API")
    assert result.returncode == 0, result.stderr
    assert "WebSocket" in result.stdout
    assert "offline" in result.stdout.lower()


def test_ask_json_record_explains_activation_and_phase() -> None:
    result = run_cli("ask", "--json", "Our REST API needs authentication and real-time notifications")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["provider"] == "offline"
    assert record["status"] == "complete"
    assert record["activation"]["active"] is True
    assert "api" in record["activation"]["reason"]
    assert record["phase"] == "PRD"
    assert record["tree"]["recommendation"] == "WebSocket"
    assert "WebSocket" in record["answer"]


def test_ask_phase_sets_the_phase_of_a_headless_answer() -> None:
    question = "How do we stop SQL injection in queries built from user input?"
    result = run_cli("ask", "--json", "--phase", "impl", question)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["phase"] == "Implementation"
    assert [c["id"] for c in record["cards"]][:1] == ["injection"]
    assert "**Steps:**" in record["answer"] and "Questions to settle" not in record["answer"]
    prd = json.loads(run_cli("ask", "--json", "--phase", "PRD", question).stdout)
    assert prd["phase"] == "PRD" and "Questions to settle" in prd["answer"]


def test_ask_with_an_unknown_phase_is_one_line_and_exit_2() -> None:
    result = run_cli("ask", "--phase", "deploy", "How should we hash passwords?")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "backend-copilot: Unknown phase 'deploy'; valid phases: PRD, Architecture, "
        "Feature Breakdown, User Stories, Implementation."
    ]
    assert result.stdout == ""


def test_detect_json_explains_itself() -> None:
    result = run_cli("detect", "--json", "Our REST API needs authentication")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["active"] is True
    assert {m["keyword"] for m in data["matches"]} >= {"api", "authentication"}
    assert data["threshold"] > 0 and data["score"] >= data["threshold"]


def test_detect_does_not_fire_inside_words() -> None:
    data = json.loads(run_cli("detect", "--json", "rapid capital growth").stdout)
    assert data["active"] is False
    assert data["matches"] == []


@pytest.mark.skipif(not SEED.exists(), reason="the seed agent file is not beside this checkout")
def test_persona_show_seed() -> None:
    result = run_cli("persona", "show", str(SEED), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["keywords"]) == 7
    assert [p["role"] for p in data["phases"]] == [
        "Supporting", "Primary", "Primary", "Supporting", "Supporting"
    ]
    options = [o["recommendation"] for o in data["decision_trees"][0]["options"]]
    assert options == ["REST", "GraphQL", "WebSocket", "gRPC"]
    security = next(c for c in data["checklists"] if "Security" in c["title"])
    assert "JWT" in [i["text"] for i in security["items"]]


def test_persona_show_bundled_has_the_same_facts() -> None:
    data = json.loads(run_cli("persona", "show", "--json").stdout)
    assert len(data["keywords"]) == 7
    assert len(data["phases"]) == 5
    assert [o["recommendation"] for o in data["decision_trees"][0]["options"]] == [
        "REST", "GraphQL", "WebSocket", "gRPC"
    ]


def test_bad_arguments_print_usage_and_exit_2() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_missing_agent_file_is_one_line_exit_1(tmp_path: Path) -> None:
    missing = tmp_path / "nope.md"
    result = run_cli("persona", "show", str(missing))
    assert result.returncode == 1
    assert str(missing) in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_ask_then_sessions_then_export(tmp_path: Path) -> None:
    assert run_cli("ask", "How should our service store passwords?").returncode == 0
    listed = json.loads(run_cli("sessions", "--json").stdout)
    assert len(listed) == 1 and listed[0]["messages"] == 2
    out = tmp_path / "s.md"
    result = run_cli("export", listed[0]["id"], "--format", "md", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "How should our service store passwords?" in text


def test_sessions_rename_and_delete(tmp_path: Path) -> None:
    assert run_cli("ask", "How should our service store passwords?").returncode == 0
    [session] = json.loads(run_cli("sessions", "--json").stdout)
    renamed = run_cli("sessions", "rename", session["id"], "Password", "storage")
    assert renamed.returncode == 0, renamed.stderr
    assert "Password storage" in run_cli("sessions").stdout
    deleted = run_cli("sessions", "delete", session["id"])
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(run_cli("sessions", "--json").stdout) == []
    again = run_cli("sessions", "delete", session["id"])
    assert again.returncode == 1 and "No saved session" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_a_session_open_in_another_process_is_not_deleted() -> None:
    code = (
        "import sys; from agent.session.journal import Session; s = Session.create('backend');"
        "s.add_user_message('busy', persona_active=False, phase=''); print(s.id, flush=True);"
        "sys.stdin.read()"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        session_id = holder.stdout.readline().strip()
        refused = run_cli("sessions", "delete", session_id)
        assert refused.returncode == 1 and "Not deleted" in refused.stderr
        assert [s["id"] for s in json.loads(run_cli("sessions", "--json").stdout)] == [session_id]
    finally:
        holder.kill()
        holder.wait()


def test_config_masks_the_key() -> None:
    secret = "sk-test-cli-9f8e7d6c5b4a"
    result = run_cli("config", env_extra={"OPENAI_API_KEY": secret})
    assert result.returncode == 0, result.stderr
    assert secret not in result.stdout + result.stderr
    assert "openai" in result.stdout


def test_core_imports_neither_openai_nor_textual() -> None:
    code = (
        "import sys, tui.cli, agent.copilot, agent.llm.factory, keywords;"
        "print(sorted(m for m in ('openai', 'textual') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "[]", result.stderr


def test_detect_scores_every_persona_the_app_would_load(tmp_path: Path) -> None:
    agents = tmp_path / ".opencode" / "agent"
    agents.mkdir(parents=True)
    (agents / "devops.md").write_text((ROOT / "tests/fixtures/library/devops.md").read_text())
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "detect", "--json",
         "we deploy to kubernetes with a rollback plan"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["persona"] == "devops" and data["active"] is True
    assert data["scores"]["devops"] > data["scores"].get("backend", 0)


def _capped_memory() -> None:  # runs in the child before exec: 1 GB of address space at most
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_persona_show_on_a_yaml_alias_bomb_is_one_line(tmp_path: Path) -> None:
    lines = ["---", "name: bomb", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":  # 9**9 strings once expanded, from a few hundred bytes
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    lines += [f"tools: *{prev}", "---", "# Bomb", ""]
    bomb = tmp_path / "bomb.md"
    bomb.write_text("\n".join(lines))
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "persona", "show", str(bomb)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, preexec_fn=_capped_memory,
    )
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert str(bomb) in result.stderr and "alias" in result.stderr


def test_persona_show_on_a_huge_agent_file_is_one_line(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_text("---\nname: big\n---\n# Big\n\n" + ("- a checklist item\n" * 400_000))
    result = run_cli("persona", "show", str(big))
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert str(big) in result.stderr and "too large" in result.stderr


REAL_AGENTS = ROOT / "tests" / "fixtures" / "agents_real"


def _project_with_real_agents(root: Path) -> Path:
    agents = root / ".claude" / "agents"
    agents.mkdir(parents=True)
    for name in ("terraform-engineer", "api-docs-writer", "e2e-test-engineer", "ci-cd-engineer",
                 "kubernetes-specialist", "postgres-expert"):
        (agents / f"{name}.md").write_text((REAL_AGENTS / f"{name}.md").read_text())
    return root


def _detect_in(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "detect", *args],
        capture_output=True, text=True, cwd=root, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_detect_json_explains_a_pick_made_from_a_description(tmp_path: Path) -> None:
    root = _project_with_real_agents(tmp_path)
    # no keywords section anywhere: "api" alone must not hand this to the bundled backend
    result = _detect_in(root, "--json", "Write the API reference for the billing endpoints")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["persona"], data["active"]) == ("api-docs-writer", True)
    assert {"word": "reference", "from": "description"} in data["terms"]
    assert "reference" in data["reason"] and "from its description" in data["reason"]
    assert data["scores"]["api-docs-writer"] > data["scores"]["backend"]
    assert data["runner_up"] in data["scores"] and data["scores"][data["runner_up"]] > 0

    data = json.loads(_detect_in(
        root, "--json", "Move our Terraform remote state backend to S3 with DynamoDB locking"
    ).stdout)
    assert (data["persona"], data["active"]) == ("terraform-engineer", True)
    assert data["scores"]["terraform-engineer"] > data["scores"]["backend"]

    chat = json.loads(_detect_in(root, "--json", "Good morning! How was your day?").stdout)
    assert chat["active"] is False and chat["runner_up"] is None and chat["terms"] == []


def test_persona_show_prints_the_derived_activation_profile() -> None:
    path = REAL_AGENTS / "e2e-test-engineer.md"
    result = run_cli("persona", "show", str(path))
    assert result.returncode == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("activation profile:"))
    assert "playwright" in line and "cypress" in line and "(from its description)" in line
    assert "bash only: npx playwright *" in result.stdout
    assert "checklist: E2E checklist" in result.stdout
    data = json.loads(run_cli("persona", "show", str(path), "--json").stdout)
    assert {"term": "playwright", "from": "description"} in data["activation_profile"]
    assert data["bash_commands"] == ["npx playwright *"]
