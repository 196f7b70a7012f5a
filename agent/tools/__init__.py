"""Tools the agent file grants: read, grep, glob, edit, write, bash — confined to a root."""

from __future__ import annotations

from agent.persona.models import Persona
from agent.tools.base import (
    Approver,
    Decision,
    PermissionRequest,
    ToolContext,
    ToolResult,
    ToolSpec,
)
from agent.tools.builtin import BUILTIN
from agent.tools.root import ProjectRoot, ToolError
from agent.tools.shell import bash_limited_to
from agent.tools.toolbox import Toolbox, ToolCallOutcome, parse_arguments

__all__ = [
    "BUILTIN", "Approver", "Decision", "PermissionRequest", "ProjectRoot", "ToolCallOutcome",
    "ToolContext", "ToolError", "ToolResult", "ToolSpec", "Toolbox", "parse_arguments",
    "tools_for",
]


def tools_for(persona: Persona) -> list[ToolSpec]:
    """Exactly the built-in tools the persona's file grants (names compared case-blind:
    Claude Code writes 'Read, Grep'); names we do not implement are left out."""
    granted = {name.lower() for name in persona.tools}
    specs = [spec for spec in BUILTIN if spec.name in granted]
    if persona.bash_commands:  # `Bash(git *)`: bash only for those commands
        specs = [bash_limited_to(persona.bash_commands) if s.name == "bash" else s for s in specs]
    return specs
