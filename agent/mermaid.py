"""Mermaid flowchart text -> Graph.

Only the flowchart subset agent files use: `graph`/`flowchart` with a direction, node shapes,
labelled edges and chains. Anything else raises AgentFileError naming the line.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

NodeShape = Literal["rect", "diamond", "round", "circle", "flag", "plain"]
EdgeStyle = Literal["arrow", "line", "dotted", "thick"]
Direction = Literal["TD", "TB", "LR", "RL", "BT"]


class Node(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    label: str  # the id itself when the node never gets a label
    shape: NodeShape = "plain"


class Edge(BaseModel):
    model_config = ConfigDict(frozen=True)
    source: str
    target: str
    label: str | None = None
    style: EdgeStyle = "arrow"


class Graph(BaseModel):
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


def parse_flowchart(text: str, *, path: str = "<text>", first_line: int = 1) -> Graph:
    """Parse one mermaid flowchart (the fence body). Raises AgentFileError with path:line."""
    raise NotImplementedError
