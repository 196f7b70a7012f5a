"""The project audit on fixture projects: each item, finding and bad input as a user sees it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.audit.engine import run_audit
from agent.audit.summary import audit_answer_lines, prompt_summary, report_lines
from agent.persona.persona import load_persona

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "audit"
PROJECTS = ["python_api", "node_api", "go_service", "java_api", "ruby_app", "rust_service"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True,
                          text=True, env=dict(os.environ), cwd=ROOT, timeout=120)


@pytest.mark.parametrize("project", PROJECTS)
def test_audit_json_matches_the_expected_report_exactly(project: str) -> None:
    result = run_cli("audit", "--root", str(FIXTURES / project), "--json")
    assert result.returncode == 0, result.stderr
    expected = json.loads((FIXTURES / "expected" / f"{project}.json").read_text())
    assert json.loads(result.stdout) == expected


def _audit(project: str):
    return run_audit(FIXTURES / project, load_persona())


def _status(report, text: str) -> tuple[str, list[str]]:
    item = next(i for i in report.items if i.text == text)
    return item.status, [e.where for e in item.evidence]


def _findings(report) -> set[tuple[str, str]]:
    return {(f.finding, f.where) for f in report.findings}


def test_python_fixture_items_and_findings_point_at_the_right_lines() -> None:
    report = _audit("python_api")
    assert _status(report, "Rate limiting") == (
        "done", ["app/main.py:19", "app/main.py:24", "requirements.txt:5"])
    assert _status(report, "CORS") == ("done", ["app/main.py:12"])
    assert _status(report, "Server-side validation")[1][0] == "app/models.py:4"
    assert _status(report, "Data Integrity") == ("done", ["app/db.py:22"])
    for absent in ("OAuth2/OIDC", "RBAC", "sanitization", "audit logging", "security headers"):
        status, _ = _status(report, absent)
        assert status == "missing", absent
    assert _status(report, "Encryption at rest/transit") == ("unknown", [])
    assert _findings(report) == {
        ("hard-coded-secret", "app/auth.py:5"),
        ("jwt-unverified", "app/auth.py:13"),
        ("jwt-no-algorithms", "app/auth.py:17"),
        ("fast-password-hash", "app/auth.py:21"),  # sha256 of a blob at :25 is not a password
        ("sql-string-formatting", "app/db.py:9"),
        ("sql-string-formatting", "app/db.py:14"),  # the bound text() query at :18 is fine
        ("tls-verification-off", "app/db.py:27"),
        ("cors-wildcard-credentials", "app/main.py:12"),
        ("debug-mode", "app/main.py:32"),
    }


def test_missing_items_say_where_the_audit_looked() -> None:
    item = next(i for i in _audit("python_api").items if i.text == "security headers")
    assert item.looked.startswith("looked in 4 Python files for security headers set")
    assert "requirements.txt for django-csp, flask-talisman, secure" in item.looked


def test_node_fixture() -> None:
    report = _audit("node_api")
    assert _status(report, "audit logging") == ("done", ["src/routes.js:22"])
    assert _status(report, "security headers")[1] == ["src/server.js:8", "package.json:7"]
    assert _status(report, "Rate limiting")[0] == "missing"
    assert _findings(report) == {
        ("hard-coded-secret", "src/auth.ts:5"),
        ("jwt-unverified", "src/auth.ts:12"),
        ("jwt-no-algorithms", "src/auth.ts:16"),
        ("fast-password-hash", "src/auth.ts:20"),
        ("tls-verification-off", "src/auth.ts:23"),
        ("sql-string-formatting", "src/routes.js:12"),  # the $1/$2 insert at :20 is fine
        ("cors-wildcard-credentials", "src/server.js:9"),
    }


def test_go_fixture() -> None:
    report = _audit("go_service")
    assert _status(report, "Rate limiting") == ("done", ["cmd/server/main.go:16", "go.mod:8"])
    assert _status(report, "Data Integrity") == ("done", ["internal/store/store.go:22"])
    assert _status(report, "security headers")[0] == "missing"
    assert _findings(report) == {
        ("hard-coded-secret", "cmd/server/main.go:13"),
        ("cors-wildcard-credentials", "cmd/server/main.go:19"),
        ("tls-verification-off", "cmd/server/main.go:24"),
        ("sql-string-formatting", "internal/store/store.go:12"),
        ("sql-string-formatting", "internal/store/store.go:17"),
        ("fast-password-hash", "internal/store/store.go:37"),
    }


def test_java_fixture() -> None:
    report = _audit("java_api")
    path = "src/main/java/com/example/shop/OrderController.java"
    assert _status(report, "RBAC") == ("done", [f"{path}:24"])
    assert _status(report, "Rate limiting")[0] == "missing"
    assert _findings(report) == {
        ("cors-wildcard-credentials", f"{path}:14"),
        ("hard-coded-secret", f"{path}:16"),
        ("sql-string-formatting", f"{path}:33"),
        ("fast-password-hash", f"{path}:38"),
    }


@pytest.mark.parametrize("project", PROJECTS)
def test_ignored_vendored_and_build_files_are_not_audited(project: str) -> None:
    report = _audit(project)
    paths = {f.path for f in report.findings} | {e.path for i in report.items for e in i.evidence}
    assert not any(p.split("/")[0] in {"node_modules", "build", "dist", "vendor", "target"}
                   or p == "local_settings.py" for p in paths), paths


def test_bad_input_is_one_line_each_and_the_audit_goes_on(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text('import hashlib\nh = hashlib.md5(password)\n')
    (tmp_path / "huge.py").write_bytes(b"x = 1\n" * 200_000)  # 1.2 MB
    (tmp_path / "blob.py").write_bytes(b"\x00\x01\x02 not python")
    os.mkfifo(tmp_path / "pipe.py")  # would block a naive reader forever
    (tmp_path / "requirements.txt").write_text("slowapi\n")
    (tmp_path / "package.json").write_text("{ not json")
    report = run_audit(tmp_path, load_persona())
    assert sorted(report.problems) == [
        "blob.py: skipped: binary file",
        "huge.py: skipped: 1.2 MB, over the 1 MB limit",
        "package.json: broken manifest, not valid JSON (Expecting property name enclosed in "
        "double quotes at line 1); its dependencies were not read",
        "pipe.py: skipped: not a regular file",
    ]
    assert _findings(report) == {("fast-password-hash", "app.py:2")}
    assert _status(report, "Rate limiting") == ("done", ["requirements.txt:1"])


def test_gitignore_negation_and_nested_files(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("gen/\n*.py\n!keep.py\n")
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "x.js").write_text('const apiKey = "generated-key-1234";\n')
    (tmp_path / "drop.py").write_text('API_KEY = "dropped-key-1234"\n')
    (tmp_path / "keep.py").write_text('API_KEY = "kept-key-12345"\n')
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / ".gitignore").write_text("old.js\n")
    (tmp_path / "web" / "old.js").write_text('const apiKey = "old-key-12345";\n')
    (tmp_path / "web" / "new.js").write_text('const apiKey = "new-key-12345";\n')
    report = run_audit(tmp_path, load_persona())
    assert {f.path for f in report.findings} == {"keep.py", "web/new.js"}


def test_user_rules_extend_the_audit_and_a_broken_rule_file_is_one_line(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "store.py").write_text("from cryptography.fernet import Fernet\nbox = Fernet(key)\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "crypto.yaml").write_text(
        "name: python\nrules:\n"
        "  - id: mine/fernet\n    title: Fernet encryption\n"
        "    targets: [Encryption at rest/transit]\n    code: {pattern: Fernet($$$)}\n"
        "  - id: mine/bad\n    title: nothing\n    targets: [JWT]\n"
    )
    (rules / "broken.yaml").write_text("name: [unclosed\n")
    (rules / "wrong.yaml").write_text(
        "name: python\nrules:\n  - id: mine/not-ast-grep\n    title: t\n    finding: x\n"
        "    code: {kind: 12}\n"
    )
    report = run_audit(project, load_persona(), user_rules_dir=rules)
    assert _status(report, "Encryption at rest/transit") == ("done", ["store.py:2"])
    assert len(report.problems) == 3
    assert any("broken.yaml: rule file is not valid YAML at line" in p for p in report.problems)
    assert any("rule mine/bad skipped (Value error, needs 'dependencies' or 'code')" in p
               for p in report.problems)
    assert any(p.startswith("rule mine/not-ast-grep: not a valid ast-grep rule") for p in report.problems)


def test_an_agent_files_own_checklist_is_audited_by_matching_item_texts(tmp_path: Path) -> None:
    agent = tmp_path / "api-guard.md"
    agent.write_text(
        "---\ndescription: guards APIs\n---\n# API Guard\n\n### Security Implementation Checklist\n\n"
        "| Layer | Requirements |\n|---|---|\n| **Edge** | Rate-limiting, request signing |\n"
    )
    report = run_audit(FIXTURES / "python_api", load_persona(agent))
    assert {i.text: i.status for i in report.items} == {
        "Rate-limiting": "done", "request signing": "unknown"}


def test_text_report_prompt_summary_and_offline_answer_lines() -> None:
    report = _audit("python_api")
    text = "\n".join(report_lines(report))
    assert "✓ done    API Security · Rate limiting — app/main.py:19" in text
    assert "high   SQL built by string formatting or concatenation — app/db.py:9" in text
    summary = prompt_summary(report)
    assert "API Security · Rate limiting (app/main.py:19)" in summary
    assert "Missing: " in summary and "Authentication · RBAC" in summary

    class State:  # the one attribute audit_answer_lines reads from a SessionState
        audit = report

    lines = audit_answer_lines(State(), load_persona())
    assert lines[0].startswith("From the project audit: you already have jwt in app/auth.py:9")
    assert "rate limiting in app/main.py:19" in lines[0]
    assert lines[1].startswith("The open items are: Authentication · OAuth2/OIDC")
    assert "SQL built by string formatting or concatenation (app/db.py:9)" in lines[2]
    assert audit_answer_lines(type("Empty", (), {"audit": None})(), None) == []


def test_escapes_in_project_files_never_reach_the_report(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('API_KEY = "abc\x1b]52;c;ZXZpbA==\x07defghij"\n')
    result = run_cli("audit", "--root", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "a.py:1" in result.stdout


def test_fast_matching_finds_exactly_what_ast_grep_finds_on_every_fixture_file() -> None:
    """The Python-side regex check and the word gate are speed-ups only: for every rule and
    every fixture source file, the lines found equal ast-grep's own `find_all` of the rule."""
    from ast_grep_py import SgRoot

    from agent.audit.matcher import find
    from agent.audit.rules import load_ecosystems

    ecosystems, problems = load_ecosystems()
    assert not problems
    compared = 0
    for ecosystem in ecosystems:
        by_ext = ecosystem.extension_map()
        for path in sorted(FIXTURES.rglob("*")):
            language = by_ext.get(path.suffix)
            if language is None or b"\x00" in path.read_bytes():
                continue
            text = path.read_text()
            root = SgRoot(text, language).root()
            for rule in ecosystem.rules:
                if rule.code is None:
                    continue
                reference = {n.range().start.line for n in root.find_all(rule.sg_config())}
                fast = {n.range().start.line for n in find(root, rule.code, None, rule.skeleton())}
                assert fast == reference, (rule.id, str(path))
                if reference:
                    assert rule.wanted_in(text.lower()), (rule.id, str(path))
                    compared += 1
    assert compared >= 45  # the fixtures exercise most rules


def test_ruby_and_rust_projects_from_gemfile_cargo_and_code() -> None:
    rb = _audit("ruby_app")
    assert rb.ecosystems == ["ruby"]
    assert _status(rb, "Rate limiting") == ("done", ["Gemfile:3"])
    assert _status(rb, "Server-side validation") == ("done", ["app/models/user.rb:2"])
    assert _status(rb, "Data Integrity") == ("done", ["app/models/user.rb:13"])
    assert _findings(rb) == {("sql-string-formatting", "app/models/user.rb:5")}  # not :9
    rs = _audit("rust_service")
    assert _status(rs, "Rate limiting") == ("done", ["Cargo.toml:7"])
    assert _findings(rs) == {("sql-string-formatting", "src/main.rs:2"),  # not :3
                             ("tls-verification-off", "src/main.rs:7")}
    assert rs.problems == ["tools/Cargo.toml: broken manifest, not valid TOML (Expected ']' at "
                           "the end of a table declaration (at line 1, column 14)); its "
                           "dependencies were not read"]


def test_unreadable_files_and_folders_are_one_line_each() -> None:
    """Permissions do not bind root: as root the audit runs in a new user namespace
    (`unshare -U`), where root's override of file modes does not reach these files."""
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="audit-perm-"))
    try:
        os.chmod(base, 0o755)
        (base / "ok.py").write_text('API_KEY = "readable-key-123"\n')
        (base / "secret.py").write_text('API_KEY = "unreadable-key-123"\n')
        (base / "locked").mkdir()
        (base / "locked" / "inner.py").write_text('API_KEY = "locked-key-12345"\n')
        os.chmod(base / "secret.py", 0o000)
        os.chmod(base / "locked", 0o000)
        env = {**os.environ, "BACKEND_COPILOT_CONFIG_DIR": str(base / "no-config")}
        command = [sys.executable, "-m", "tui.cli", "audit", "--root", str(base), "--json"]
        if os.geteuid() == 0:
            unshare = shutil.which("unshare")
            if unshare is None:
                pytest.skip("running as root without unshare: file modes cannot bind")
            command = [unshare, "-U", *command]
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert sorted(report["problems"]) == [
            "locked/: folder unreadable (Permission denied); skipped",
            "secret.py: unreadable: Permission denied",
        ]
        assert [(f["finding"], f["path"]) for f in report["findings"]] == [
            ("hard-coded-secret", "ok.py")]
    finally:
        os.chmod(base / "locked", 0o755)
        shutil.rmtree(base)


def test_audit_of_a_missing_folder_is_one_line_and_exit_1() -> None:
    result = run_cli("audit", "--root", str(FIXTURES / "no-such-project"))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().endswith("no-such-project is not a folder to audit")
    assert result.stderr.count("\n") == 1


def test_a_root_too_big_stops_at_the_file_limit_with_one_line() -> None:
    report = run_audit(FIXTURES / "python_api", load_persona(), max_files=3)
    assert report.files_scanned == 3
    assert report.problems[-1] == ("stopped after 3 files: the rest was not read; "
                                   "audit a smaller folder (--root)")


def test_manifest_readers_name_each_dependency_with_its_line() -> None:
    from agent.audit import manifests as mf

    def pairs(reader, text: str) -> list[tuple[str, int]]:
        return [(d.name, d.line) for d in reader(text)]

    assert pairs(mf.read_requirements,
                 "# pinned\nFlask[async]>=3 ; python_version>'3.8'\n-r base.txt\n\nslowapi==0.1.9  # limits\n"
                 ) == [("flask", 2), ("slowapi", 5)]
    assert pairs(mf.read_pyproject,
                 '[project]\nname = "x"\ndependencies = [\n  "pydantic>=2",\n]\n'
                 '[project.optional-dependencies]\nauth = ["PyJWT[crypto]"]\n'
                 '[tool.poetry.dependencies]\npython = "^3.11"\nbleach = "*"\n'
                 ) == [("pydantic", 4), ("pyjwt", 7), ("bleach", 10)]
    assert pairs(mf.read_package_json,
                 '{\n "dependencies": {"express": "4"},\n "devDependencies": {\n  "helmet": "7"\n }\n}\n'
                 ) == [("express", 2), ("helmet", 4)]
    assert pairs(mf.read_go_mod,
                 "module x\n\nrequire github.com/rs/cors v1.11.0\nrequire (\n\tgolang.org/x/time v0.6.0 // indirect\n)\n"
                 ) == [("github.com/rs/cors", 3), ("golang.org/x/time", 5)]
    assert pairs(mf.read_pom,
                 '<project xmlns="http://maven.apache.org/POM/4.0.0"><dependencies>\n<dependency>\n'
                 "<groupId>com.bucket4j</groupId>\n<artifactId>bucket4j-core</artifactId>\n"
                 "</dependency></dependencies></project>\n") == [("com.bucket4j:bucket4j-core", 4)]
    assert pairs(mf.read_gradle,
                 "dependencies {\n  implementation 'io.jsonwebtoken:jjwt-api:0.12.6'\n"
                 '  implementation("com.bucket4j:bucket4j-core:8.10.1")\n}\n'
                 ) == [("io.jsonwebtoken:jjwt-api", 2), ("com.bucket4j:bucket4j-core", 3)]
    assert pairs(mf.read_gemfile, "source 'x'\ngem 'rack-attack'\n  gem \"pundit\", '~> 2'\n"
                 ) == [("rack-attack", 2), ("pundit", 3)]
    assert pairs(mf.read_cargo, '[package]\nname = "x"\n[dependencies]\nammonia = "4"\n'
                 ) == [("ammonia", 4)]
    for reader, broken in ((mf.read_pyproject, "[project"), (mf.read_package_json, "{"),
                           (mf.read_go_mod, "require x v1"), (mf.read_pom, "<project>"),
                           (mf.read_cargo, "[dependencies")):
        with pytest.raises(mf.ManifestError):
            reader(broken)


def test_an_item_is_missing_only_where_a_rule_could_look(tmp_path: Path) -> None:
    """A Gemfile alone: dependency rules looked (missing), code-only rules could not (unknown)."""
    (tmp_path / "Gemfile").write_text('source "https://rubygems.org"\ngem "rails"\n')
    report = run_audit(tmp_path, load_persona())
    validation = next(i for i in report.items if i.text == "Server-side validation")
    assert validation.status == "missing"
    assert validation.looked == "looked in Gemfile for activemodel, dry-schema, dry-validation"
    integrity = next(i for i in report.items if i.text == "Data Integrity")
    assert (integrity.status, integrity.looked) == ("unknown", "no rule for the files found here")
