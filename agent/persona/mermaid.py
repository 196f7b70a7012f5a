"""Mermaid flowchart text -> Graph.

Only the flowchart subset agent files use: `graph`/`flowchart` with a direction, node shapes,
labelled edges and chains. Anything else raises AgentFileError naming the line.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import ConfigDict

from agent.errors import AgentFileError
from agent.lazy_model import LazyModel

NodeShape = Literal["rect", "diamond", "round", "circle", "flag", "plain"]
EdgeStyle = Literal["arrow", "line", "dotted", "thick"]
Direction = Literal["TD", "TB", "LR", "RL", "BT"]


class Node(LazyModel):
    model_config = ConfigDict(frozen=True)
    id: str
    label: str  # the id itself when the node never gets a label
    shape: NodeShape = "plain"


class Edge(LazyModel):
    model_config = ConfigDict(frozen=True)
    source: str
    target: str
    label: str | None = None
    style: EdgeStyle = "arrow"


class Graph(LazyModel):
    model_config = ConfigDict(frozen=True)
    direction: Direction = "TD"
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    line: int = 0  # 1-based line in the agent file where the fence opened

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def out_edges(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id]

    def roots(self) -> list[Node]:
        targets = {e.target for e in self.edges}
        return [n for n in self.nodes if n.id not in targets]


# --- parser ---------------------------------------------------------------------------------
# A hand-written scanner: every step moves forward through the line, every search is either
# bounded or stops at the first hit, so the cost is linear in the input and nothing recurses.

MAX_ELEMENTS = 20_000  # nodes or edges; agent-file charts have dozens, so more is a mistake
_DIRECTIONS: frozenset[str] = frozenset({"TD", "TB", "LR", "RL", "BT"})
_ID = re.compile(r"\w+")
_CLASS_SUFFIX = re.compile(r":::[\w-]+")
# Lines that only style a chart; they change nothing we show, so they are skipped.
_STYLE_KEYWORDS: frozenset[str] = frozenset({"style", "classdef", "class", "linkstyle", "click"})
# Closing marks for the text form of an edge: `-- label -->`, `-. label .->`, `== label ==>`.
_TEXT_EDGE_END = {
    "-": (re.compile(r"--+>|---+"), "arrow", "line"),
    ".": (re.compile(r"\.-+>|\.-+"), "dotted", "dotted"),
    "=": (re.compile(r"==+>|===+"), "thick", "thick"),
}
_SHAPES: tuple[tuple[str, str, NodeShape], ...] = (
    ("((", "))", "circle"),
    ("([", "])", "round"),  # stadium
    ("[[", "]]", "rect"),  # subroutine
    ("[(", ")]", "rect"),  # database
    ("{{", "}}", "rect"),  # hexagon
    ("(", ")", "round"),
    ("[", "]", "rect"),
    ("{", "}", "diamond"),
    (">", "]", "flag"),
)


class _LineError(Exception):
    """Raised inside one line; turned into AgentFileError with the file's line number."""


def _show(text: str, at: int) -> str:
    """A short, escaped view of what the parser found, for the error message."""
    found = text[at : at + 20]
    if not found:
        return "the end of the line"
    return repr(found)


def _split_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _skip_ws(s: str, i: int) -> int:
    n = len(s)
    while i < n and s[i] in " \t":
        i += 1
    return i


def _clean_label(raw: str) -> str:
    label = raw.strip()
    if len(label) >= 2 and label[0] == label[-1] == '"':
        label = label[1:-1].strip()
    return label


def _parse_node(s: str, i: int) -> tuple[str, str | None, NodeShape, int]:
    """Read `id` plus an optional shape; return (id, label or None, shape, next index)."""
    m = _ID.match(s, i)
    if m is None:
        raise _LineError(f"expected a node id (letters, digits, _), found {_show(s, i)}")
    node_id = m.group()
    i = m.end()
    for opener, closer, shape in _SHAPES:
        if not s.startswith(opener, i):
            continue
        start = i + len(opener)
        if s.startswith('"', start):  # quoted label may hold the closing bracket
            quote_end = s.find('"', start + 1)
            if quote_end < 0:
                raise _LineError(f"expected a closing '\"' in the label of node {node_id!r}")
            end = s.find(closer, quote_end + 1)
        else:
            end = s.find(closer, start)
        if end < 0:
            raise _LineError(f"expected {closer!r} to close the label of node {node_id!r}")
        label = _clean_label(s[start:end])
        i = end + len(closer)
        cls = _CLASS_SUFFIX.match(s, i)
        if cls:
            i = cls.end()
        return node_id, label, shape, i
    cls = _CLASS_SUFFIX.match(s, i)
    if cls:
        i = cls.end()
    return node_id, None, "plain", i


def _run(s: str, i: int, ch: str) -> int:
    """Index just past a run of ch starting at i."""
    n = len(s)
    while i < n and s[i] == ch:
        i += 1
    return i


def _parse_edge(s: str, i: int) -> tuple[EdgeStyle, str | None, int] | None:
    """Read an edge operator at i (plus a |label|); None when there is no edge here."""
    label: str | None = None
    style: EdgeStyle
    if s.startswith("-.", i):
        j = _run(s, i + 1, ".")
        if s.startswith("-", j):
            j = _run(s, j, "-")
            if s.startswith(">", j):
                j += 1
            style, i = "dotted", j
        else:  # `-. label .->`
            style, label, i = _text_edge(s, i + 2, ".")
    elif s.startswith("--", i):
        j = _run(s, i, "-")
        if s.startswith(">", j):
            style, i = "arrow", j + 1
        elif j - i >= 3:
            style, i = "line", j
        else:  # `-- label -->`
            style, label, i = _text_edge(s, j, "-")
    elif s.startswith("==", i):
        j = _run(s, i, "=")
        if s.startswith(">", j):
            style, i = "thick", j + 1
        elif j - i >= 3:
            style, i = "thick", j
        else:  # `== label ==>`
            style, label, i = _text_edge(s, j, "=")
    else:
        return None
    j = _skip_ws(s, i)
    if s.startswith("|", j):
        end = s.find("|", j + 1)
        if end < 0:
            raise _LineError("expected a closing '|' after the edge label")
        if label is not None:
            raise _LineError("expected one edge label, found both `-- text --` and `|text|`")
        label = _clean_label(s[j + 1 : end])
        i = end + 1
    return style, (label or None), i


def _text_edge(s: str, start: int, kind: str) -> tuple[EdgeStyle, str, int]:
    pattern, arrow_style, line_style = _TEXT_EDGE_END[kind]
    m = pattern.search(s, start)
    if m is None or not s[start : m.start()].strip():
        raise _LineError(
            f"expected an edge like '-->', '---', '-.->' or '==>', found {_show(s, start - 2)}"
        )
    style: EdgeStyle = arrow_style if m.group().endswith(">") else line_style  # type: ignore[assignment]
    return style, _clean_label(s[start : m.start()]), m.end()


class _Builder:
    """Collects nodes (first label wins, a later label fills an unlabelled node) and edges."""

    def __init__(self) -> None:
        self.nodes: dict[str, tuple[str | None, NodeShape]] = {}
        self.edges: list[Edge] = []

    def add_node(self, node_id: str, label: str | None, shape: NodeShape) -> None:
        known = self.nodes.get(node_id)
        if known is None and len(self.nodes) >= MAX_ELEMENTS:
            raise _LineError(f"expected at most {MAX_ELEMENTS} nodes in one flowchart")
        if known is None or (known[0] is None and label is not None):
            self.nodes[node_id] = (label, shape)

    def graph(self, direction: Direction, line: int) -> Graph:
        nodes = tuple(
            Node(id=nid, label=label if label is not None else nid, shape=shape)
            for nid, (label, shape) in self.nodes.items()
        )
        return Graph(direction=direction, nodes=nodes, edges=tuple(self.edges), line=line)


def _parse_statements(s: str, builder: _Builder) -> None:
    """One line: chains `A --> B -- x --> C` separated by ';', up to a `%%` comment."""
    i, n = 0, len(s)
    while True:
        i = _skip_ws(s, i)
        while i < n and s[i] == ";":
            i = _skip_ws(s, i + 1)
        if i >= n or s.startswith("%%", i):
            return
        source, label, shape, i = _parse_node(s, i)
        builder.add_node(source, label, shape)
        while True:
            i = _skip_ws(s, i)
            if i >= n or s[i] == ";" or s.startswith("%%", i):
                break
            edge = _parse_edge(s, i)
            if edge is None:
                raise _LineError(
                    f"expected an edge like '-->' or the end of the line, found {_show(s, i)}"
                )
            style, edge_label, i = edge
            i = _skip_ws(s, i)
            target, label, shape, i = _parse_node(s, i)
            builder.add_node(target, label, shape)
            if len(builder.edges) >= MAX_ELEMENTS:
                raise _LineError(f"expected at most {MAX_ELEMENTS} edges in one flowchart")
            builder.edges.append(Edge(source=source, target=target, label=edge_label, style=style))
            source = target


def _header_direction(line: str) -> Direction | None:
    """`graph TD` / `flowchart LR` (direction optional, `;` allowed) -> direction."""
    words = line.replace(";", " ").split()
    if not words or words[0].lower() not in ("graph", "flowchart"):
        return None
    if len(words) == 1:
        return "TD"
    if len(words) == 2 and words[1].upper() in _DIRECTIONS:
        return words[1].upper()  # type: ignore[return-value]
    raise _LineError(f"expected a direction (TD, TB, LR, RL or BT) after {words[0]!r}")


def parse_flowchart(text: str, *, path: str = "<text>", first_line: int = 1) -> Graph:
    """Parse one mermaid flowchart (the fence body). Raises AgentFileError with path:line.

    first_line is the file line of the body's first line, so errors point into the real
    file; Graph.line is the line before it (where the fence opened), 0 for bare text.
    """

    builder = _Builder()
    direction: Direction | None = None
    lineno = first_line
    try:
        for offset, raw in enumerate(_split_lines(text)):
            lineno = first_line + offset
            line = raw.strip()
            if not line or line.startswith("%%"):
                continue
            if direction is None:
                direction = _header_direction(line)
                if direction is None:
                    raise _LineError(
                        f"expected 'graph' or 'flowchart' with a direction, found {_show(line, 0)}"
                    )
                continue
            first_word = line.split(None, 1)[0].lower()
            if first_word in _STYLE_KEYWORDS:
                continue
            if first_word in ("subgraph", "end", "direction"):
                continue  # groups are flattened: their nodes and edges still count
            _parse_statements(line, builder)
    except _LineError as exc:
        raise AgentFileError(path, lineno, str(exc)) from None
    if direction is None:
        raise AgentFileError(
            path,
            first_line,
            "expected 'graph' or 'flowchart' with a direction, found an empty diagram",
        )
    return builder.graph(direction, max(first_line - 1, 0))
