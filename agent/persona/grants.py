"""Which tools an agent file grants, as Claude Code and OpenCode each mean its lines.

Claude Code: no `tools:` line = every tool; `Bash(git *)` = bash for those commands only.
OpenCode: the `tools:` map switches tools off over the defaults; `permission` maps
allow / ask / deny. Trust (what a project's own file may never grant) is applied on top, in
the tools layer, not here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.persona.agentfile import AgentFile

# What an agent may use when its file names no tools: our built-ins (Claude Code gives every
# tool when `tools:` is missing; OpenCode's `tools:` map only switches some off).
DEFAULT_TOOLS: tuple[str, ...] = ("read", "write", "edit", "bash", "grep", "glob")
# OpenCode's `edit` permission covers every change to a file.
_PERMISSION_COVERS: dict[str, tuple[str, ...]] = {"edit": ("edit", "write")}
_TOOL_PATTERN = re.compile(r"^([\w-]+)\((.*)\)$", re.DOTALL)


def _command_pattern(raw: str) -> str:
    """Claude Code's `git diff:*` (a prefix) -> the glob `git diff*`."""
    raw = raw.strip()
    return raw[:-2] + "*" if raw.endswith(":*") else raw


class _Grants:
    """Tool names in order, the refused ones, and per-tool command patterns."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.refused: set[str] = set()
        self.patterns: dict[str, list[str]] = {}
        self.unlimited: set[str] = set()

    def add(self, name: str) -> None:
        if name.lower() not in {n.lower() for n in self.names}:
            self.names.append(name)

    def remove(self, key: str) -> None:
        self.names = [n for n in self.names if n.lower() != key]


def grants_of(agent_file: AgentFile) -> _Grants:
    """Granted tools as each format means them, then `permission` (deny removes; allow and ask
    grant; a bash map ending in `"*": deny` limits bash to its other patterns)."""
    fm = agent_file.frontmatter
    grants = _Grants()
    if fm.tools_form == "list":  # Claude Code: exactly these
        for entry, on in fm.tools.items():
            m = _TOOL_PATTERN.match(entry)
            name = m.group(1).lower() if m else entry.lower()
            if not on or not name:
                continue
            grants.add(name)
            pattern = _command_pattern(m.group(2)) if m else ""
            if not m or pattern in ("", "*"):
                grants.unlimited.add(name)
            else:
                grants.patterns.setdefault(name, []).append(pattern)
    else:  # OpenCode map, or no tools line: the defaults, with the map's switches
        for name, on in fm.tools.items():
            if on:
                grants.add(name)
            else:
                grants.refused.add(name.lower())
        if "*" not in grants.refused:  # `"*": false` switches every default off
            for name in DEFAULT_TOOLS:
                if name not in grants.refused:
                    grants.add(name)
        grants.names = [n for n in grants.names if n != "*"]
        grants.unlimited.update(n.lower() for n in grants.names)
    for tool, rule in [*fm.permission.items(), *_permission_list(fm.extra.get("permissions"))]:
        key = tool.lower()
        covered = _PERMISSION_COVERS.get(key, (key,))
        if isinstance(rule, dict):
            rules = {str(p): str(r).strip().lower() for p, r in rule.items()}
            if rules.get("*") == "deny":
                allowed = [_command_pattern(p) for p, r in rules.items()
                           if p != "*" and r in ("allow", "ask")]
                if not allowed:
                    for k in covered:
                        grants.remove(k)
                else:
                    grants.unlimited.discard(key)
                    grants.patterns[key] = allowed
            continue
        if not isinstance(rule, str):
            continue
        rule = rule.strip().lower()
        for k in covered:
            if rule == "deny":
                grants.remove(k)
            elif rule in ("allow", "ask") and k not in grants.refused:
                grants.add(k)
    return grants


# OpenCode's newer `permissions:` list names actions; map them to our tool names.
_ACTIONS = {"shell": "bash", "edit": "edit", "read": "read", "write": "write", "grep": "grep",
            "glob": "glob", "list": "glob", "webfetch": "webfetch"}


def _permission_list(value: Any) -> list[tuple[str, Any]]:
    """`permissions: [{action: edit, resource: "*", effect: deny}, ...]` -> (tool, rule) pairs.

    A rule for every resource ("*") acts on the whole tool; a shell rule for a command pattern
    becomes a bash pattern rule, as in the `permission: {bash: {...}}` map.
    """
    if not isinstance(value, list):
        return []
    shell: dict[str, str] = {}
    out: list[tuple[str, Any]] = []
    for entry in value:
        if not isinstance(entry, dict):
            continue
        tool = _ACTIONS.get(str(entry.get("action", "")).strip().lower())
        effect = str(entry.get("effect", "")).strip().lower()
        resource = str(entry.get("resource", "*")).strip() or "*"
        if tool is None or effect not in ("allow", "ask", "deny"):
            continue
        if tool == "bash":
            shell[resource] = effect
        elif resource == "*":
            out.append((tool, effect))
    if list(shell) == ["*"]:
        out.append(("bash", shell["*"]))
    elif shell:
        out.append(("bash", shell))
    return out


def allowed_without_asking(agent_file: AgentFile, tools: tuple[str, ...]) -> tuple[str, ...]:
    """Granted `tools` whose `permission` rule is the plain string "allow".

    A rule naming a tool itself beats one that covers it (`edit: allow` with `write: ask`:
    edit runs unasked, write still asks).
    """
    granted = {name.lower() for name in tools}
    rules = {
        tool.lower(): rule.strip().lower()
        for tool, rule in agent_file.frontmatter.permission.items()
        if isinstance(rule, str)
    }
    out: list[str] = []
    for tool, rule in agent_file.frontmatter.permission.items():
        if isinstance(rule, str) and rule.strip().lower() == "allow":
            for k in _PERMISSION_COVERS.get(tool.lower(), (tool.lower(),)):
                if k != tool.lower() and rules.get(k, "allow") != "allow":
                    continue  # its own rule says otherwise
                name = k if k != tool.lower() else tool
                if name.lower() in granted and name not in out:
                    out.append(name)
    return tuple(out)
