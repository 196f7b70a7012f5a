"""Persona extraction: what the app shows and the prompt uses, read out of an agent file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.persona.activation_profile import profile_of
from agent.persona.agentfile import AgentFileError, parse_agent_text
from agent.persona.models import Persona
from agent.persona.persona import (
    DEFAULT_PERSONA_PATH,
    discover_agent_files,
    load_persona,
    persona_from_agent_file,
    persona_to_dict,
)

FIXTURES = Path(__file__).parent / "fixtures" / "agents"
SEED = (Path(__file__).parents[1] / "../shared/seeds/backend-agent.md").resolve()
needs_seed = pytest.mark.skipif(not SEED.exists(), reason="seed file not present")

PERSONA_FILES = [
    pytest.param(DEFAULT_PERSONA_PATH, id="bundled"),
    pytest.param(SEED, id="seed", marks=needs_seed),
]


def persona_of(text: str, path: str = "agents/custom.md") -> Persona:
    return persona_from_agent_file(parse_agent_text(text, path=path))


@pytest.mark.parametrize("path", PERSONA_FILES)
def test_backend_persona(path: Path) -> None:
    p = load_persona(path)
    assert p.model == "openrouter/anthropic/claude-sonnet-4"
    assert p.tools == ("read", "write", "edit", "grep", "glob")  # bash: false is not granted
    assert p.keywords == (
        "api",
        "database",
        "service",
        "backend",
        "microservice",
        "authentication",
        "security",
    )
    assert [(ph.name, ph.role) for ph in p.phases] == [
        ("PRD", "Supporting"),
        ("Architecture", "Primary"),
        ("Feature Breakdown", "Primary"),
        ("User Stories", "Supporting"),
        ("Implementation", "Supporting"),
    ]
    assert [ph.primary for ph in p.phases] == [False, True, True, False, False]
    assert p.phase("architecture") is not None and p.phase("architecture").contribution

    tree = p.decision_trees[0]  # the seed's API-style tree comes first in both files
    assert len(p.decision_trees) == (5 if path == DEFAULT_PERSONA_PATH else 1)
    assert (tree.id, tree.root, tree.question) == (
        "technology-decision-tree",
        "API Requirements",
        "Data Complexity",
    )
    assert [(o.condition, o.recommendation, o.use_case) for o in tree.options] == [
        ("Simple CRUD", "REST", "Standard CRUD operations"),
        ("Complex Relations", "GraphQL", "Complex data relationships"),
        ("Real-time", "WebSocket", "Real-time requirements"),
        ("High Performance", "gRPC", "High performance needs"),
    ]
    assert all(o.rationale for o in tree.options)

    (checklist,) = p.checklists
    assert checklist.id == "security-implementation-checklist"
    assert checklist.areas() == [
        "Authentication",
        "Input Validation",
        "Data Protection",
        "API Security",
    ]
    by_area = {a: [i.text for i in checklist.items if i.area == a] for a in checklist.areas()}
    assert by_area["Authentication"] == ["JWT", "OAuth2/OIDC", "RBAC"]
    assert [t.lower() for t in by_area["Input Validation"]] == [
        "server-side validation",
        "sanitization",
    ]
    assert [t.lower() for t in by_area["Data Protection"]] == [
        "encryption at rest/transit",
        "audit logging",
    ]
    assert [t.lower() for t in by_area["API Security"]] == [
        "rate limiting",
        "security headers",
        "cors",
    ]
    ids = [i.id for i in p.all_checklist_items()]
    assert "security-implementation-checklist/authentication/oauth2-oidc" in ids
    assert len(set(ids)) == len(ids)

    assert [(s.name, s.target) for s in p.standards] == [
        ("API Response", "<200ms"),
        ("Availability", "99.9%"),
        ("Data Integrity", "ACID compliance"),
        ("Security", "Zero-trust model"),
        ("Reliability", "99.9% availability, <200ms response time"),
        ("Security", "Zero-trust architecture, comprehensive validation"),
        ("Data Integrity", "ACID compliance, automated backups"),
    ]
    assert p.standards[0].note and p.standards[0].source == "Development Standards"
    assert [(name, role) for name, role, _ in p.mcp_servers] == [
        ("Context7", "Primary"),
        ("Sequential-Thinking", "Secondary"),
    ]
    assert all(purpose for _, _, purpose in p.mcp_servers)
    assert p.title.startswith("Backend") and p.prompt.startswith("# Backend")


def test_bundled_persona_has_a_tree_per_backend_decision_each_with_its_table() -> None:
    trees = {t.id: t for t in load_persona().decision_trees}
    assert list(trees) == [
        "technology-decision-tree", "database-by-access-pattern", "caching-strategy",
        "async-messaging", "authentication-method",
    ]
    picks = {tid: [o.recommendation for o in t.options] for tid, t in trees.items()}
    assert picks["database-by-access-pattern"][0] == "Relational"
    assert "Cache-Aside" in picks["caching-strategy"] and "Event Stream" in picks["async-messaging"]
    assert "OpenID Connect" in picks["authentication-method"]
    for tree in trees.values():  # every option found its row: a use case and a reason
        assert all(o.use_case and o.rationale for o in tree.options), tree.id


def test_bundled_persona_is_named_after_its_file_and_reads_as_a_prompt() -> None:
    p = load_persona()
    assert p.name == "backend"
    assert p.source_path == str(DEFAULT_PERSONA_PATH.resolve())
    assert "---" not in p.prompt.splitlines()[0]  # frontmatter is not part of the prompt
    assert p.description


@needs_seed
def test_bundled_persona_is_reworded_not_copied() -> None:
    bundled = DEFAULT_PERSONA_PATH.read_text().splitlines()
    seed = set(SEED.read_text().splitlines())
    prose = [
        ln for ln in bundled if len(ln) > 40 and not ln.startswith(("|", "`", "model", "    "))
    ]
    assert prose and not [ln for ln in prose if ln in seed]


def test_option_and_item_cues() -> None:
    p = load_persona()
    options = {o.recommendation: o for o in p.decision_trees[0].options}
    assert {"websocket", "realtime", "live", "push", "notifications", "streaming"} <= set(
        options["WebSocket"].cues
    )
    assert {"grpc", "low latency", "throughput", "binary"} <= set(options["gRPC"].cues)
    assert {"graphql", "nested", "relationships"} <= set(options["GraphQL"].cues)
    assert {"rest", "crud", "resource"} <= set(options["REST"].cues)
    assert "simple" not in options["REST"].cues and "operations" not in options["REST"].cues
    for option in options.values():
        assert all(c == c.lower() for c in option.cues)
    items = {i.text.lower(): i for i in p.all_checklist_items()}
    assert {"jwt", "token", "authentication", "auth"} <= set(items["jwt"].cues)
    assert {"oauth", "sso"} <= set(items["oauth2/oidc"].cues)
    assert {"roles", "permissions"} <= set(items["rbac"].cues)
    assert {"tls", "https"} <= set(items["encryption at rest/transit"].cues)
    assert "rest" not in items["encryption at rest/transit"].cues  # not the API style
    assert {"throttle", "rate limit"} <= set(items["rate limiting"].cues)
    assert "cross-origin" in items["cors"].cues


def test_claude_code_agent_has_empty_collections() -> None:
    p = load_persona(FIXTURES / "claude-reviewer.md")
    assert p.name == "code-reviewer"
    assert p.title == "code-reviewer"
    assert p.model == "sonnet"
    assert p.tools == ("read", "grep", "glob")
    assert p.description.startswith("Reviews changes")
    assert (p.keywords, p.phases, p.decision_trees, p.checklists, p.standards, p.mcp_servers) == (
        (),
        (),
        (),
        (),
        (),
        (),
    )
    assert p.prompt.startswith("You are a careful code reviewer.")


def test_opencode_permission_rules_adjust_tools() -> None:
    p = load_persona(FIXTURES / "opencode-permissions.md")
    # OpenCode: the map switches tools over the defaults (edit, grep, glob stay on); write:
    # deny removes it; webfetch: allow grants it; a bash map without "*": deny is no limit
    assert p.tools == ("read", "bash", "edit", "grep", "glob", "webfetch")
    assert p.bash_commands == ()
    assert (p.temperature, p.steps) == (0.1, 12)


REAL = Path(__file__).parent / "fixtures" / "agents_real"


def test_tool_grants_as_each_format_means_them() -> None:
    # Claude Code, no tools line: every tool
    assert load_persona(REAL / "postgres-expert.md").tools == (
        "read", "write", "edit", "bash", "grep", "glob",
    )
    # Claude Code list with Bash(pattern): bash limited to those commands
    reviewer = load_persona(REAL / "code-reviewer.md")
    assert reviewer.tools == ("read", "grep", "glob", "bash")
    assert reviewer.bash_commands == ("git diff*", "git log*")
    git = load_persona(REAL / "git-workflow.md")
    assert (git.tools, git.bash_commands) == (("read", "bash"), ("git *",))
    # a plain "Read, Grep, Glob" list: exactly those, bash not granted
    auditor = load_persona(REAL / "security-auditor.md")
    assert (auditor.tools, auditor.bash_commands) == (("read", "grep", "glob"), ())
    # OpenCode tools map {bash: false}: the rest stay on
    docs = load_persona(REAL / "api-docs-writer.md")
    assert docs.tools == ("edit", "write", "read", "grep", "glob")
    # OpenCode {write: false, edit: false} + bash {"psql *": ask, "*": deny}
    analyst = load_persona(REAL / "reporting-analyst.md")
    assert (analyst.tools, analyst.bash_commands) == (("read", "bash", "grep", "glob"), ("psql *",))
    assert analyst.allowed_without_asking == ()
    # OpenCode permission only: edit allow covers write too, webfetch deny, bash ask
    shell = load_persona(REAL / "shell-scripter.md")
    assert shell.tools == ("read", "write", "edit", "bash", "grep", "glob")
    assert shell.allowed_without_asking == ("edit", "write")


def test_opencode_permissions_list_and_a_star_switch() -> None:
    # OpenCode's newer `permissions:` list: edit and shell denied for every resource
    p = persona_of(
        "---\ndescription: Reviews changes\nmode: subagent\npermissions:\n"
        "  - action: edit\n    resource: '*'\n    effect: deny\n"
        "  - action: shell\n    resource: '*'\n    effect: deny\n---\nReview.\n"
    )
    assert p.tools == ("read", "grep", "glob")
    p = persona_of(
        "---\ndescription: x\npermissions:\n"
        "  - action: shell\n    resource: '*'\n    effect: deny\n"
        "  - action: shell\n    resource: 'git *'\n    effect: allow\n---\n"
    )
    assert "bash" in p.tools and p.bash_commands == ("git *",)
    assert persona_of("---\ntools:\n  '*': false\n  read: true\n---\n").tools == ("read",)


def test_checklists_phases_and_keywords_from_lists_and_steps() -> None:
    tf = load_persona(REAL / "terraform-engineer.md")
    (checklist,) = tf.checklists
    assert checklist.title == "Terraform checklist" and len(checklist.items) == 6
    assert checklist.items[0].text == "Provider and module versions pinned"
    assert [p.name for p in tf.phases] == ["Assessment", "Implementation", "Verification"]
    assert tf.phases[0].primary and "Inventory providers" in tf.phases[0].contribution

    docs = load_persona(REAL / "api-docs-writer.md")
    assert [p.name for p in docs.phases] == ["Audience", "Outline", "Draft", "Review"]
    assert [c.title for c in docs.checklists] == ["Docs checklist"]

    migration = load_persona(REAL / "migration-specialist.md")
    assert [p.name for p in migration.phases] == ["Expand", "Migrate", "Contract"]

    k8s = load_persona(REAL / "kubernetes-specialist.md")
    assert [p.name for p in k8s.phases] == [
        "Read the manifests and the…", "Check requests, limits and…",
        "Change one thing at a time and…", "Keep secrets in a secret store…",
    ]
    assert k8s.phases[1].contribution == "Check requests, limits and probes first; most " \
        "outages start there"
    assert [c.title for c in k8s.checklists] == ["Cluster readiness checklist"]
    assert [c.title for c in load_persona(REAL / "redis-caching.md").checklists] == [
        "Cache checklist"
    ]
    assert all(i.text and i.cues for i in k8s.all_checklist_items())

    sec = load_persona(REAL / "security-auditor.md")
    assert sec.keywords == ("OWASP", "vulnerability", "pentest", "threat model", "CVE")
    assert [p.name for p in sec.phases] == ["Scope", "Analysis", "Reporting"]
    gateway = load_persona(REAL / "api-gateway-keeper.md")
    assert gateway.keywords[:3] == ("kong", "envoy", "nginx") and "mtls" in gateway.keywords
    assert [p.name for p in gateway.phases] == ["Shadow", "Canary", "Promote"]


@pytest.mark.parametrize("path", sorted(REAL.glob("*.md")), ids=lambda p: p.stem)
def test_every_real_shaped_fixture_yields_something_to_show(path: Path) -> None:
    p = load_persona(path)
    assert p.description and p.tools
    assert any(f == "description" for _, f in profile_of(p).top(40))
    if path.stem != "git-workflow":  # rules and common tasks: no steps, no checklist
        assert p.checklists or p.phases, "neither a checklist nor workflow phases"


def test_name_falls_back_to_file_stem_and_title_to_h1() -> None:
    p = persona_of("# My Helper\n\ntext\n", path="somewhere/helper-bot.md")
    assert (p.name, p.title) == ("helper-bot", "My Helper")


def test_generic_tree_root_and_table_join_anywhere() -> None:
    text = """# Storage
## Choosing a store
```mermaid
flowchart LR
    S[Start] --> N[Needs] --> Q{Access pattern}
    Q -- Key lookups --> K[Redis]
    Q -->|Ad-hoc queries| P((Postgres))
    Q --> X[Unlisted]
```
## Notes
| Store | Good for | Why |
|---|---|---|
| redis | Hot keys | In memory |
| **Postgres** | Reporting | SQL |
"""
    (tree,) = persona_of(text).decision_trees
    assert (tree.id, tree.title, tree.root, tree.question) == (
        "choosing-a-store",
        "Choosing a store",
        "Start",
        "Access pattern",
    )
    got = [
        (o.node_id, o.condition, o.recommendation, o.use_case, o.rationale) for o in tree.options
    ]
    assert got == [
        ("K", "Key lookups", "Redis", "Hot keys", "In memory"),
        ("P", "Ad-hoc queries", "Postgres", "Reporting", "SQL"),
        ("X", "", "Unlisted", "", ""),
    ]
    assert {"key", "lookups", "redis", "hot", "keys"} <= set(tree.options[0].cues)


def test_diamond_as_root_and_charts_without_diamonds() -> None:
    text = "# A\n```mermaid\ngraph TD\nQ{Pick} -->|a| B\n```\n```mermaid\ngraph TD\nX --> Y\n```\n"
    (tree,) = persona_of(text).decision_trees
    assert (tree.root, tree.question) == ("Pick", "Pick")


def test_generic_checklist_keywords_and_phases() -> None:
    text = """# Ops
## Release Checklist
| Area | Items |
|---|---|
| **Build** | Reproducible builds, signed artifacts |
| Deploy | Blue/green, rollback plan |
## Trigger keywords
`deploy` `release` `deploy`
## Steps
| Phase | Role | Notes |
|---|---|---|
| Plan | **Primary** | decide |
"""
    p = persona_of(text)
    (checklist,) = p.checklists
    assert [(i.area, i.text) for i in checklist.items] == [
        ("Build", "Reproducible builds"),
        ("Build", "signed artifacts"),
        ("Deploy", "Blue/green"),
        ("Deploy", "rollback plan"),
    ]
    assert checklist.items[2].id == "release-checklist/deploy/blue-green"
    assert {"blue/green", "deploy"} <= set(checklist.items[2].cues)
    assert p.keywords == ("deploy", "release")
    assert [(ph.name, ph.role, ph.contribution) for ph in p.phases] == [
        ("Plan", "Primary", "decide")
    ]


def test_persona_to_dict_round_trips() -> None:
    p = load_persona()
    data = persona_to_dict(p)
    assert data["decision_trees"][0]["options"][2]["recommendation"] == "WebSocket"
    assert Persona.model_validate(data) == p


def test_load_persona_caches_and_rereads_edited_files(tmp_path: Path) -> None:
    assert load_persona() is load_persona(DEFAULT_PERSONA_PATH)
    agent = tmp_path / "mine.md"
    agent.write_text("---\nname: first\n---\n# One\n")
    assert load_persona(agent).name == "first"
    agent.write_text("---\nname: second-name\n---\n# Two\n")
    stat = agent.stat()
    os.utime(agent, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_persona(agent).name == "second-name"


def test_load_persona_errors_are_agent_file_errors(tmp_path: Path) -> None:
    with pytest.raises(AgentFileError, match="not found"):
        load_persona(tmp_path / "nope.md")
    with pytest.raises(AgentFileError) as info:
        load_persona(FIXTURES / "bad-mermaid.md")
    assert info.value.line == 11


def test_discover_agent_files(tmp_path: Path) -> None:
    cwd, config = tmp_path / "project", tmp_path / "config"
    files = [
        config / "agents" / "b.md",
        config / "agents" / "a.md",
        cwd / ".opencode" / "agent" / "oc.md",
        cwd / ".opencode" / "agents" / "oc2.md",
        cwd / ".claude" / "agents" / "cc.md",
    ]
    for f in files:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("# x\n")
    (cwd / ".claude" / "agents" / "notes.txt").write_text("not an agent")
    (cwd / ".claude" / "agents" / "folder.md").mkdir()
    (cwd / ".opencode" / "agents" / "same.md").symlink_to(files[2])  # the same file twice
    found = discover_agent_files(cwd, config)
    assert found == [files[1], files[0], files[2], files[3], files[4]]
    assert discover_agent_files(tmp_path / "empty", tmp_path / "none") == []


def test_discover_uses_the_app_config_dir_by_default(tmp_path: Path) -> None:
    config = Path(os.environ["BACKEND_COPILOT_CONFIG_DIR"])
    (config / "agents").mkdir(parents=True)
    (config / "agents" / "mine.md").write_text("# mine\n")
    assert discover_agent_files(tmp_path) == [config / "agents" / "mine.md"]
