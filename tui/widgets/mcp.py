"""The MCP section of the side panels: the persona's MCP roles beside the servers running.

One line per role from the persona's file (Context7 primary, Sequential-Thinking secondary)
with the matching configured server's status, then any other configured server. A server that
fails is a line here with its reason, never a crash. Everything shown is plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

from tui.text import plain

if TYPE_CHECKING:  # drawn before pydantic is imported on a remembered start
    from agent.persona.models import Persona
    from agent.tools.mcp import McpRole, ServerStatus

MARK = {
    "connected": ("●", "green"),
    "starting": ("◐", "yellow"),
    "not started": ("○", "dim"),
    "failed": ("✖", "red"),
    "stopped": ("■", "dim"),
    "disabled": ("○", "dim"),
    "not configured": ("◌", "dim"),
}
HINT = "Add [mcp.<name>] to config.toml to connect one."


@dataclass(frozen=True, slots=True)
class McpRow:
    """One line of the panel, as plain data (what a remembered first screen keeps)."""

    name: str
    role: str
    purpose: str = ""
    state: str = "not configured"
    detail: str = ""

    @classmethod
    def of(cls, role: McpRole) -> McpRow:
        return cls(role.name, role.role, role.purpose, role.state, role.detail)

    @classmethod
    def from_data(cls, data: Any) -> McpRow:
        """Raises ValueError unless `data` holds this row's fields, all strings."""
        from tui.widgets.panel_view import checked_fields

        return cls(**checked_fields(cls, data))


def role_rows(persona: Persona, statuses: list[ServerStatus]) -> list[McpRole]:
    """The persona's roles, then configured servers no role names (role "other")."""
    from agent.tools.mcp import McpRole, mcp_roles

    roles = mcp_roles(persona, statuses)
    matched = {r.server for r in roles if r.server}
    others = [
        McpRole(name=s.name, role="other", server=s.name, state=s.state, detail=s.line)
        for s in statuses if s.name not in matched
    ]
    return roles + others


def row_text(role: McpRow) -> str:
    """'Context7 (primary): connected, 3 tools' — the text of one line."""
    detail = "not configured" if role.state == "not configured" else role.detail or role.state
    return f"{role.name} ({role.role.lower()}): {detail}"


class McpPanel(Static):
    """Rows of `role_rows`; the app calls `show` at start and on every status change."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="panel")
        self.border_title = "MCP servers"
        self.rows: list[str] = []
        self.shown: tuple[McpRow, ...] = ()

    def show(self, persona: Persona, statuses: list[ServerStatus]) -> None:
        self.show_rows([McpRow.of(role) for role in role_rows(persona, statuses)])

    def show_rows(self, roles: Sequence[McpRow]) -> None:
        self.shown = tuple(roles)
        self.rows = [row_text(r) for r in roles]
        text = Text()
        for i, (role, row) in enumerate(zip(roles, self.rows, strict=True)):
            mark, style = MARK.get(role.state, ("·", ""))
            if i:
                text.append("\n")
            text.append(f"{mark} ", style=style)
            text.append_text(plain(row, "red" if role.state == "failed" else ""))
        if any(r.state == "not configured" for r in roles):
            text.append("\n")
            text.append_text(plain(HINT, "dim italic"))
        if not roles:
            text = Text("This persona names no MCP servers; none configured.", style="dim")
        self.tooltip = "\n".join(
            f"{r.name}: {r.purpose}" for r in roles if r.purpose
        ) or None
        self.update(text)


__all__ = ["HINT", "McpPanel", "McpRow", "role_rows", "row_text"]
