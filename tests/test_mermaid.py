"""Mermaid flowchart parsing: shapes, edges, labels, chains, errors that point at the line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.persona.agentfile import AgentFileError
from agent.persona.mermaid import parse_flowchart


def chart(*lines: str) -> str:
    return "\n".join(["graph TD", *lines])


@pytest.mark.parametrize(
    ("text", "label", "shape"),
    [
        ("A[Box]", "Box", "rect"),
        ("A{Question}", "Question", "diamond"),
        ("A(Rounded)", "Rounded", "round"),
        ("A((Circle))", "Circle", "circle"),
        ("A>Flag]", "Flag", "flag"),
        ("A", "A", "plain"),
        ('A["Quoted [label]"]', "Quoted [label]", "rect"),
    ],
)
def test_node_shapes(text: str, label: str, shape: str) -> None:
    graph = parse_flowchart(chart(text))
    assert graph.node("A").label == label
    assert graph.node("A").shape == shape


@pytest.mark.parametrize(
    ("edge", "style"),
    [("-->", "arrow"), ("---", "line"), ("-.->", "dotted"), ("==>", "thick"), ("--->", "arrow")],
)
def test_edge_styles(edge: str, style: str) -> None:
    graph = parse_flowchart(chart(f"A {edge} B"))
    assert [(e.source, e.target, e.style, e.label) for e in graph.edges] == [
        ("A", "B", style, None)
    ]


@pytest.mark.parametrize(
    ("line", "style"),
    [
        ("A -->|yes please| B", "arrow"),
        ("A --> |yes please| B", "arrow"),
        ("A -- yes please --> B", "arrow"),
        ("A -.->|yes please| B", "dotted"),
        ("A -. yes please .-> B", "dotted"),
        ("A ==>|yes please| B", "thick"),
        ("A == yes please ==> B", "thick"),
        ("A -- yes please --- B", "line"),
    ],
)
def test_edge_label_forms(line: str, style: str) -> None:
    graph = parse_flowchart(chart(line))
    assert len(graph.edges) == 1
    assert graph.edges[0].label == "yes please"
    assert graph.edges[0].style == style


@pytest.mark.parametrize("direction", ["TD", "TB", "LR", "RL", "BT"])
def test_directions_and_flowchart_keyword(direction: str) -> None:
    assert parse_flowchart(f"graph {direction}\nA-->B").direction == direction
    assert parse_flowchart(f"flowchart {direction}\nA-->B").direction == direction


def test_chains_make_one_edge_per_link() -> None:
    graph = parse_flowchart(chart("A[Start] --> B{Pick} -->|left| C[Left] --- D"))
    assert [(e.source, e.target) for e in graph.edges] == [("A", "B"), ("B", "C"), ("C", "D")]
    assert graph.edges[1].label == "left"
    assert [n.id for n in graph.nodes] == ["A", "B", "C", "D"]


def test_comments_and_semicolons() -> None:
    graph = parse_flowchart(
        "graph LR;\n%% a whole-line comment\nA --> B; B --> C %% trailing note\n\n C --> D;"
    )
    assert [(e.source, e.target) for e in graph.edges] == [("A", "B"), ("B", "C"), ("C", "D")]


def test_same_node_before_and_after_its_label() -> None:
    graph = parse_flowchart(chart("A --> B", "B[Named later]", "A[First] --> C", "A[Second]"))
    assert graph.node("B").label == "Named later"
    assert graph.node("B").shape == "rect"
    assert graph.node("A").label == "First"  # first label wins
    assert len(graph.nodes) == 3


def test_roots_and_out_edges() -> None:
    graph = parse_flowchart(chart("A --> B{Q}", "B -->|x| C", "B -->|y| D"))
    assert [n.id for n in graph.roots()] == ["A"]
    assert [e.target for e in graph.out_edges("B")] == ["C", "D"]


def test_styling_lines_are_ignored() -> None:
    graph = parse_flowchart(
        chart("A --> B", "classDef hot fill:#f00", "class A hot", "style B fill:#0f0")
    )
    assert len(graph.edges) == 1


def test_bad_line_names_file_and_real_line() -> None:
    text = chart("A --> B", "", "A -> B")
    with pytest.raises(AgentFileError) as info:
        parse_flowchart(text, path="agents/x.md", first_line=20)
    err = info.value
    assert err.line == 23
    assert str(err).startswith("agents/x.md:23: expected")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", 5),
        ("A --> B", 5),
        ("graph SIDEWAYS\nA-->B", 5),
        ("graph TD\nA[never closed", 6),
        ("graph TD\nA -->", 6),
        ("graph TD\nA -- dangling", 6),
        ("graph TD\nA -->|open label B", 6),
        ("graph TD\n--> B", 6),
    ],
)
def test_malformed_charts_raise_with_line(text: str, line: int) -> None:
    with pytest.raises(AgentFileError) as info:
        parse_flowchart(text, path="f.md", first_line=5)
    assert info.value.line == line
    assert "expected" in info.value.message


def test_huge_chart_fails_or_finishes() -> None:
    big = "graph TD\n" + "A-->" * 2_500_000 + "B"  # 10 MB on one line
    with pytest.raises(AgentFileError):
        parse_flowchart(big)
    unclosed = "graph TD\n" + "A[" * 5_000_000
    with pytest.raises(AgentFileError):
        parse_flowchart(unclosed)
    labels = "graph TD\n" + "A -- x " * 1_000_000  # text-form edge that never closes
    with pytest.raises(AgentFileError):
        parse_flowchart(labels)


MERMAID_BITS = st.sampled_from(
    [
        "graph TD",
        "flowchart LR",
        "graph",
        "A",
        "B1",
        "[",
        "]",
        "(",
        ")",
        "((",
        "))",
        "{",
        "}",
        ">",
        "|",
        "|x|",
        "-->",
        "---",
        "-.->",
        "-.",
        ".->",
        "==>",
        "==",
        "--",
        "-",
        "%%",
        ";",
        " ",
        '"',
        "Label",
        ":::cls",
        "subgraph",
        "end",
        "style",
        "&",
        "\t",
    ]
)
MERMAID_LINES = st.lists(st.lists(MERMAID_BITS, max_size=12).map("".join), max_size=12).map(
    "\n".join
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), MERMAID_LINES, MERMAID_LINES.map(lambda t: "graph TD\n" + t)))
def test_arbitrary_text_only_raises_agent_file_error(text: str) -> None:
    try:
        graph = parse_flowchart(text, path="p.md", first_line=3)
    except AgentFileError as err:
        assert err.line is not None and err.line >= 3
        assert str(err).startswith("p.md:")
    else:
        ids = {n.id for n in graph.nodes}
        assert all(e.source in ids and e.target in ids for e in graph.edges)
