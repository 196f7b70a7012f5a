"""Agent-file loading: frontmatter, sections, tables, flowcharts, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.persona.agentfile import AgentFileError, load_agent_file, parse_agent_text
from agent.persona.persona import DEFAULT_PERSONA_PATH

FIXTURES = Path(__file__).parent / "fixtures" / "agents"
EDGE = Path(__file__).parent / "fixtures" / "agents_edge"
SEED = (Path(__file__).parents[1] / "../shared/seeds/backend-agent.md").resolve()

PERSONA_FILES = [
    pytest.param(DEFAULT_PERSONA_PATH, id="bundled"),
    pytest.param(
        SEED,
        id="seed",
        marks=pytest.mark.skipif(not SEED.exists(), reason="seed file not present"),
    ),
]


@pytest.mark.parametrize("path", PERSONA_FILES)
def test_backend_agent_files_load(path: Path) -> None:
    agent = load_agent_file(path)
    fm = agent.frontmatter
    assert fm.model == "openrouter/anthropic/claude-sonnet-4"
    assert fm.tools == {
        "read": True,
        "write": True,
        "edit": True,
        "bash": False,
        "grep": True,
        "glob": True,
    }
    assert agent.title and agent.title.startswith("Backend")
    # the H1 holds everything; subsections nest under their H2
    assert len(agent.sections) == 1 and agent.sections[0].level == 1
    tree = agent.find_section("Technology Decision Tree")
    assert tree is not None and tree.level == 3
    parent = next(s for s in agent.all_sections() if tree in s.children)
    assert parent.level == 2
    # the chart belongs to its section; the fence line is the real file line
    (graph,) = tree.flowcharts
    assert path.read_text().splitlines()[graph.line - 1].strip() == "```mermaid"
    assert graph.node("B").shape == "diamond"
    (table,) = tree.tables
    assert table.header[:2] == ("Pattern", "Use Case")
    assert [r[0] for r in table.rows] == ["REST", "GraphQL", "WebSocket", "gRPC"]  # bold gone
    assert "|" in path.read_text().splitlines()[table.line - 1]
    # the seed's four charts; the bundled file adds one per decision tree it adds
    assert len(agent.flowcharts) == (8 if path == DEFAULT_PERSONA_PATH else 4)
    assert "`api`" in (agent.find_section("Activation Keywords") or tree).text


def test_frontmatter_unknown_keys_and_typed_fields() -> None:
    agent = load_agent_file(FIXTURES / "opencode-permissions.md")
    fm = agent.frontmatter
    assert (fm.name, fm.mode, fm.temperature, fm.steps) == ("reviewer", "subagent", 0.1, 12)
    assert fm.extra == {"color": "#44BA81"}
    assert fm.permission["write"] == "deny"
    assert agent.title is None
    assert agent.intro_text == "Review code without changing it."


def test_claude_code_tools_string_and_no_body_structure() -> None:
    agent = load_agent_file(FIXTURES / "claude-reviewer.md")
    assert agent.frontmatter.tools == {"read": True, "grep": True, "glob": True}
    assert agent.frontmatter.model == "sonnet"
    assert agent.sections == () and agent.tables == [] and agent.flowcharts == []
    assert agent.body.startswith("You are a careful code reviewer.")


def test_no_frontmatter_is_fine() -> None:
    agent = parse_agent_text("# Just a title\n\nSome words.\n")
    assert agent.frontmatter.model_dump() == {
        "name": None,
        "description": None,
        "model": None,
        "mode": None,
        "temperature": None,
        "steps": None,
        "tools": {},
        "tools_form": "",
        "permission": {},
        "extra": {},
    }
    assert agent.title == "Just a title"
    assert agent.sections[0].text == "Some words."


def test_tables_strip_markup_skip_separator_and_fix_ragged_rows() -> None:
    text = "\n".join(
        [
            "## Things",
            "| **Name** | Kind | Note |",
            "|:--|:-:|--:|",
            "| **Bold** | *em* | `code` and [a link](https://example.com) |",
            "| short |",
            "| a | b | c | extra | more |",
            "| pipe \\| kept | x | y |",
            "",
            "after the table",
        ]
    )
    (table,) = parse_agent_text(text).tables
    assert table.header == ("Name", "Kind", "Note")
    assert table.rows == (
        ("Bold", "em", "code and a link"),
        ("short", "", ""),
        ("a", "b", "c"),
        ("pipe | kept", "x", "y"),
    )
    assert table.line == 2
    assert table.column("kind") == 1 and table.column("missing") is None


def test_headings_inside_code_fences_are_not_sections() -> None:
    text = "# Top\n\n```markdown\n# Not a heading\n## Nor this\n```\n\n## Real\n"
    agent = parse_agent_text(text)
    assert [s.title for s in agent.all_sections()] == ["Top", "Real"]


def test_section_text_stops_at_first_subsection() -> None:
    agent = parse_agent_text("# A\nintro of A\n## B\ntext of B\n# C\ntext of C\n")
    a, c = agent.sections
    assert a.text == "intro of A"
    assert a.children[0].text == "text of B"
    assert c.text == "text of C" and c.children == ()


def test_other_mermaid_diagrams_are_skipped() -> None:
    text = (
        "# S\n```mermaid\nsequenceDiagram\n  A->>B: hi\n```\n```mermaid\nflowchart LR\nX-->Y\n```\n"
    )
    agent = parse_agent_text(text)
    (graph,) = agent.flowcharts
    assert graph.direction == "LR" and graph.line == 6


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("bad-yaml.md", 4, "YAML"),
        ("bad-mermaid.md", 11, "expected an edge"),
    ],
)
def test_broken_files_name_path_and_line(name: str, line: int, words: str) -> None:
    path = FIXTURES / name
    with pytest.raises(AgentFileError) as info:
        load_agent_file(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert words in str(info.value)


def test_an_unclosed_fence_runs_to_the_end_of_the_file_as_commonmark_says() -> None:
    agent = load_agent_file(FIXTURES / "unclosed-fence.md")
    assert agent.sections[0].title == "Unclosed"
    assert agent.sections[0].text.endswith('print("never closed")')
    edge = load_agent_file(EDGE / "long-fence.md")
    checklist = edge.find_section("Checklist")
    assert checklist is not None and [i.text for i in checklist.lists[0].items] == [
        "First item", "Second item",
    ]
    assert [s.title for s in edge.all_sections()] == ["Long fence", "Checklist", "Example"]


def test_a_value_with_a_colon_is_read_as_text_with_a_warning_as_opencode_does() -> None:
    agent = load_agent_file(EDGE / "colon-description.md")
    fm = agent.frontmatter
    assert fm.description == "Helps with dependency upgrades. Triggers on: 'renovate', " \
        "'dependabot', 'upgrade'"
    assert fm.model == "sonnet" and fm.name == "colon-description"
    (warning,) = agent.warnings
    assert warning.startswith(f"{EDGE / 'colon-description.md'}:3: ") and "quotes" in warning
    # still an error when quoting does not help, at the line YAML stopped on
    with pytest.raises(AgentFileError) as info:
        parse_agent_text("---\nname: x: y\ntools: [read\n---\n", path="b.md")
    assert str(info.value).startswith("b.md:") and "YAML" in str(info.value)


def test_a_template_placeholder_name_is_the_one_rejected_shape() -> None:
    with pytest.raises(AgentFileError) as info:
        load_agent_file(EDGE / "placeholder.md")
    assert info.value.line == 2 and "placeholder" in str(info.value)


def test_lists_with_their_lead_line_checkboxes_and_bold_heads() -> None:
    text = (
        "Intro line.\n\nBackend checklist:\n- [ ] Tests pass\n- [x] Docs\n- plain\n\n"
        "## Workflow\n\n1. **Design** - sketch it\n2. **Build** - write it\n"
        "   - nested detail\n"
    )
    agent = parse_agent_text(text)
    (intro,) = agent.intro_lists
    assert intro.lead == "Backend checklist:" and not intro.ordered
    assert [(i.text, i.checked) for i in intro.items] == [
        ("Tests pass", False), ("Docs", True), ("plain", None),
    ]
    steps, nested = agent.sections[0].lists
    assert steps.ordered and [(i.head, i.text) for i in steps.items] == [
        ("Design", "Design - sketch it"), ("Build", "Build - write it"),
    ]
    assert steps.items[0].line == 10
    assert nested.lead == "Build - write it" and nested.items[0].text == "nested detail"


def test_frontmatter_type_errors_point_at_the_key() -> None:
    with pytest.raises(AgentFileError) as info:
        parse_agent_text("---\nname: x\ntemperature: hot\n---\n", path="a.md")
    assert str(info.value) == "a.md:3: temperature must be a number such as 0.2"
    with pytest.raises(AgentFileError, match="tools.read must be true or false"):
        parse_agent_text("---\ntools:\n  read: sometimes\n---\n")
    with pytest.raises(AgentFileError, match="never closed"):
        parse_agent_text("---\nname: x\n")


def test_unreadable_paths(tmp_path: Path) -> None:
    with pytest.raises(AgentFileError, match="is a directory"):
        load_agent_file(tmp_path)
    with pytest.raises(AgentFileError, match="not found"):
        load_agent_file(tmp_path / "missing.md")
    latin = tmp_path / "latin.md"
    latin.write_bytes(b"# ok\n\ncaf\xe9\n")
    with pytest.raises(AgentFileError) as info:
        load_agent_file(latin)
    assert info.value.line == 3 and "UTF-8" in str(info.value)


def test_too_large_file(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_text("# Big\n" + "x" * (10 * 1024 * 1024))
    with pytest.raises(AgentFileError, match="too large"):
        load_agent_file(big)
    with pytest.raises(AgentFileError, match="too large"):
        parse_agent_text(big.read_text())


@pytest.mark.parametrize(
    "text",
    [
        "- " * 10_000 + "x",  # 10,000 nested list levels
        "> " * 10_000 + "x",  # nested quotes
        "\n".join("#" * (i % 6 + 1) + f" h{i}" for i in range(10_000)),  # heading ladder
        "\n".join("  " * i + "- x" for i in range(2_000)),  # indented nested list
        "---\na: " + "[" * 10_000 + "\n---\n",  # deep YAML
        "---\na: " + "{b: " * 10_000 + "\n---\n",
        "| a |\n|---|\n" + "| " + "[" * 1_000_000 + " |\n",
        "# T\n| " + "**x " * 500_000 + "|\n|---|\n",
        "```mermaid\ngraph TD\n" + "A-->" * 100_000 + "B\n```\n",
        "```\n" * 10_001,
    ],
    ids=[
        "nested-list",
        "nested-quote",
        "heading-ladder",
        "indented-list",
        "yaml-seq",
        "yaml-map",
        "brackets-cell",
        "bold-header",
        "long-chain",
        "fences",
    ],
)
def test_pathological_input_finishes_or_fails_cleanly(text: str) -> None:
    try:
        agent = parse_agent_text(text)
    except AgentFileError:
        return
    assert agent.body or agent.frontmatter is not None


MD_BITS = st.sampled_from(
    [
        "---",
        "name: x",
        "tools: Read, Grep",
        "tools:\n  read: true",
        "temperature: 0.5",
        "steps: x",
        "a: [",
        "```mermaid",
        "```",
        "~~~",
        "graph TD",
        "A --> B",
        "A{x} -->|y| B[z]",
        "B => C",
        "| a | b |",
        "|---|---|",
        "| **x** | [y](z) |",
        "# Title",
        "## Sub",
        "####### no",
        "`kw`",
        "**Purpose**: x",
        "sequenceDiagram",
        "text",
        "",
        "  ",
        "\t",
        "\r",
        "\ufeff",
    ]
)
MARKDOWN = st.lists(st.one_of(MD_BITS, st.text(max_size=10)), max_size=30).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), MARKDOWN))
def test_arbitrary_text_only_raises_agent_file_error(text: str) -> None:
    try:
        agent = parse_agent_text(text, path="fuzz.md")
    except AgentFileError as err:
        assert str(err).startswith("fuzz.md")
    else:
        for table in agent.tables:
            assert all(len(row) == len(table.header) for row in table.rows)


def _alias_bomb() -> str:
    """Nine levels of nine aliases each: 9**9 (387 million) strings once expanded."""
    lines = ["---", "name: bomb", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    lines += [f"tools: *{prev}", "---", "# Bomb", ""]
    return "\n".join(lines)


def test_a_yaml_alias_bomb_is_refused_at_its_first_alias(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.md"
    bomb.write_text(_alias_bomb())
    assert bomb.stat().st_size < 600
    with pytest.raises(AgentFileError) as info:
        load_agent_file(bomb)
    message = str(info.value)
    assert message.startswith(f"{bomb}:4: ") and "alias" in message and "\n" not in message


def test_a_plain_alias_is_refused_too() -> None:
    with pytest.raises(AgentFileError, match="alias"):
        parse_agent_text("---\nx: &t read\ntools: *t\n---\n", path="a.md")
