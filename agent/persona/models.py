"""The persona's domain objects: what the panels show and the prompt uses.

Frozen pydantic models: a Persona crosses from the parser to the Copilot, the TUI, the
prompt, the exports and the cache, and none of them may change it.
"""

from __future__ import annotations

from pydantic import ConfigDict

from agent.lazy_model import LazyModel


class Phase(LazyModel):
    model_config = ConfigDict(frozen=True)
    name: str  # "Architecture"
    role: str  # "Primary" | "Supporting" (as written, markup stripped)
    contribution: str = ""

    @property
    def primary(self) -> bool:
        return self.role.lower().startswith("primary")


class DecisionOption(LazyModel):
    model_config = ConfigDict(frozen=True)
    node_id: str
    condition: str  # the edge label, e.g. "Real-time"
    recommendation: str  # the target node's label, e.g. "WebSocket"
    use_case: str = ""  # from the table row naming the recommendation
    rationale: str = ""
    cues: tuple[str, ...] = ()  # lower-case words/phrases that point the talk here


class DecisionTree(LazyModel):
    model_config = ConfigDict(frozen=True)
    id: str  # slug of title
    title: str  # section title, e.g. "Technology Decision Tree"
    root: str  # root node label, e.g. "API Requirements"
    question: str  # decision node label, e.g. "Data Complexity"
    options: tuple[DecisionOption, ...] = ()


class ChecklistItem(LazyModel):
    model_config = ConfigDict(frozen=True)
    id: str  # stable slug "security-implementation-checklist/authentication/jwt"
    area: str  # "Authentication"
    text: str  # "JWT"
    cues: tuple[str, ...] = ()  # lower-case words/phrases that show the talk covers it


class Checklist(LazyModel):
    model_config = ConfigDict(frozen=True)
    id: str
    title: str
    items: tuple[ChecklistItem, ...] = ()

    def areas(self) -> list[str]:
        seen: list[str] = []
        for item in self.items:
            if item.area not in seen:
                seen.append(item.area)
        return seen


class Standard(LazyModel):
    model_config = ConfigDict(frozen=True)
    name: str  # "API Response"
    target: str  # "<200ms"
    note: str = ""
    source: str = ""  # section title it came from


class Persona(LazyModel):
    model_config = ConfigDict(frozen=True)
    name: str  # frontmatter name, else the file stem ("backend")
    title: str  # the H1, else the name
    description: str = ""
    model: str | None = None
    temperature: float | None = None
    steps: int | None = None
    tools: tuple[str, ...] = ()  # granted tool names, in file order
    # tools the file's `permission` map sets to "allow": they run without asking (OpenCode's
    # meaning); every other tool that changes things asks
    allowed_without_asking: tuple[str, ...] = ()
    # commands bash may run when the file limits it (Claude Code `Bash(git *)`, OpenCode
    # `permission: {bash: {"git *": allow, "*": deny}}`); empty: any command (still asked)
    bash_commands: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()  # every section title, for the activation profile
    phases: tuple[Phase, ...] = ()
    decision_trees: tuple[DecisionTree, ...] = ()
    checklists: tuple[Checklist, ...] = ()
    standards: tuple[Standard, ...] = ()
    mcp_servers: tuple[tuple[str, str, str], ...] = ()  # (name, role e.g. "Primary", purpose)
    prompt: str = ""  # the body, used as the system prompt
    source_path: str = ""
    warnings: tuple[str, ...] = ()  # "path:line: ..." about what was read leniently

    def all_checklist_items(self) -> list[ChecklistItem]:
        return [i for c in self.checklists for i in c.items]

    def phase(self, name: str) -> Phase | None:
        return next((p for p in self.phases if p.name.lower() == name.lower()), None)
