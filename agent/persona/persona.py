"""AgentFile -> Persona: the domain objects the app shows and the prompt uses."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent import paths
from agent.persona.grants import allowed_without_asking, grants_of
from agent.persona.mermaid import Graph
from agent.persona.models import (
    Checklist,
    ChecklistItem,
    DecisionOption,
    DecisionTree,
    Persona,
    Phase,
    Standard,
)
from agent.persona.vocabulary import item_cues, option_cues, slug, unique
from agent.start_inputs import BUNDLED_PERSONA_PATH

if TYPE_CHECKING:
    from agent.persona.agentfile import AgentFile, MdList, Table

# The agent-file parser (markdown-it, the frontmatter reader) is imported where a file is
# parsed: a persona served from the parse cache (every start but the first) never needs it.

_BACKTICKED = re.compile(r"`([^`\n]{1,100})`")
_PURPOSE = re.compile(r"^\s*purpose\s*:\s*(.+)$", re.IGNORECASE)
_QUOTED = re.compile(r"(?<!\w)[\"'“‘](\w[\w .+#/-]{0,40}?)[\"'”’](?!\w)")
_TRIGGERS = re.compile(r"(?:triggers? on|keywords?|activates? on)\s*:\s*(.+)$", re.IGNORECASE)

DEFAULT_PERSONA_PATH = BUNDLED_PERSONA_PATH  # named in agent/start_inputs.py, with the others
BUNDLED_DIR = DEFAULT_PERSONA_PATH.parent


# --- builders -------------------------------------------------------------------------------


def _plain(text: str) -> str:
    from agent.persona.agentfile import plain_text

    return plain_text(text)


def _keywords(agent_file: AgentFile) -> tuple[str, ...]:
    """Backticked or quoted words of a keywords section, and a description's "Triggers on:"."""
    found: list[str] = []
    section = agent_file.find_section("Activation Keywords") or agent_file.find_section("keywords")
    if section is not None:
        found += _BACKTICKED.findall(section.text) or _QUOTED.findall(section.text)
    trigger = _TRIGGERS.search(agent_file.frontmatter.description or "")
    if trigger:
        found += _QUOTED.findall(trigger.group(1))
    return unique([w.strip() for w in found])


def _phases(agent_file: AgentFile) -> tuple[Phase, ...]:
    def phase_table(tables: list[Table] | tuple[Table, ...]) -> Table | None:
        return next(
            (t for t in tables if t.column("Phase") is not None and t.column("Role") is not None),
            None,
        )

    workflow = agent_file.find_section("Workflow")
    table = (phase_table(workflow.tables) if workflow else None) or phase_table(agent_file.tables)
    if table is None:
        return _step_phases(agent_file)
    name_col, role_col = table.column("Phase"), table.column("Role")
    assert name_col is not None and role_col is not None
    extra_cols = [i for i in range(len(table.header)) if i not in (name_col, role_col)]
    phases = []
    for row in table.rows:
        if not row[name_col]:
            continue
        contribution = row[extra_cols[0]] if extra_cols else ""
        phases.append(Phase(name=row[name_col], role=row[role_col], contribution=contribution))
    return tuple(phases)


_PROCESS = re.compile(
    r"\b(workflow|process|approach|methodology|phases|steps|how you work|lifecycle|rollout)\b",
    re.IGNORECASE,
)
_STEP_PREFIX = re.compile(
    r"^\s*(?:(?:phase|step|stage)\s*\d+\s*[:.)\-–—]?|\d+\s*[.)]|\d+\s*[:\-–—])\s*",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"\s+[-–—]\s+|:\s+|\.\s+")
MAX_PHASE_NAME = 32


def _step_name(text: str) -> str:
    """ "Phase 1: Expand" -> "Expand"; "Read the manifests - and ..." -> "Read the manifests"."""
    name = _STEP_PREFIX.sub("", text, count=1).strip()
    name = _CLAUSE.split(name, maxsplit=1)[0].split(" (", 1)[0].strip(" .:,;")
    if len(name) > MAX_PHASE_NAME:
        name = name[:MAX_PHASE_NAME].rsplit(" ", 1)[0].rstrip(",;") + "…"
    return name


def _step_phases(agent_file: AgentFile) -> tuple[Phase, ...]:
    """Phases from the steps of a workflow/process/approach section, when it has no table.

    Its numbered subsections ("### 1. Analysis", "### Phase 2: Migrate") come first;
    else its first ordered list ("1. **Design** - ..."), each item named by its bold head or
    its first clause, the rest of the item kept as what the phase contributes.
    """
    for section in agent_file.all_sections():
        if not _PROCESS.search(section.title):
            continue
        steps = [c for c in section.children if _STEP_PREFIX.match(c.title)]
        if len(steps) >= 2:
            return tuple(
                Phase(name=_step_name(c.title), role="Primary",
                      contribution=_plain(c.text.strip().split("\n", 1)[0]))
                for c in steps
            )
        ordered = next((lst for lst in section.lists if lst.ordered and len(lst.items) >= 2), None)
        if ordered is not None:
            return tuple(
                Phase(name=item.head or _step_name(item.text), role="Primary",
                      contribution=item.text)
                for item in ordered.items if item.text
            )
    return ()


def _root_feeding(graph: Graph, node_id: str) -> str:
    """Walk back along in-edges to a node nothing points to; the diamond itself if none."""
    incoming: dict[str, str] = {}
    for e in graph.edges:
        incoming.setdefault(e.target, e.source)
    current, seen = node_id, {node_id}
    while current in incoming and incoming[current] not in seen:
        current = incoming[current]
        seen.add(current)
    return graph.node(current).label


def _row_for(name: str, tables: list[Table]) -> tuple[str, ...] | None:
    wanted = name.strip().lower()
    return next((r for t in tables for r in t.rows if r and r[0].strip().lower() == wanted), None)


def _decision_trees(agent_file: AgentFile) -> tuple[DecisionTree, ...]:
    trees: list[DecisionTree] = []
    used_ids: set[str] = set()
    for section in agent_file.all_sections():
        for graph in section.flowcharts:
            labels = {n.id: n.label for n in graph.nodes}
            for diamond in (n for n in graph.nodes if n.shape == "diamond"):
                options = []
                for edge in graph.out_edges(diamond.id):
                    target = labels[edge.target]
                    row = _row_for(target, list(section.tables)) or _row_for(
                        target, agent_file.tables
                    )
                    use_case = row[1] if row and len(row) > 1 else ""
                    rationale = row[2] if row and len(row) > 2 else ""
                    condition = edge.label or ""
                    options.append(
                        DecisionOption(
                            node_id=edge.target,
                            condition=condition,
                            recommendation=target,
                            use_case=use_case,
                            rationale=rationale,
                            cues=option_cues(target, condition, use_case),
                        )
                    )
                if not options:
                    continue
                tree_id = base = slug(section.title)
                n = 2
                while tree_id in used_ids:
                    tree_id, n = f"{base}-{n}", n + 1
                used_ids.add(tree_id)
                trees.append(
                    DecisionTree(
                        id=tree_id,
                        title=section.title,
                        root=_root_feeding(graph, diamond.id),
                        question=diamond.label,
                        options=tuple(options),
                    )
                )
    return tuple(trees)


def _split_items(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(",") if part.strip()]


def _list_checklists(agent_file: AgentFile, used: set[str]) -> list[Checklist]:
    """Checklists from lists: under a checklist heading, after a line naming a checklist
    ("Backend development checklist:"), or made of checkboxes ("- [ ] ...")."""
    found: list[tuple[str, MdList]] = []
    for lst in agent_file.intro_lists:
        found.append(("", lst))
    for section in agent_file.all_sections():
        found.extend((section.title, lst) for lst in section.lists)
    out: dict[str, list[ChecklistItem]] = {}
    titles: dict[str, str] = {}
    for heading, lst in found:
        lead = lst.lead.strip().rstrip(":").strip()
        heading = heading.strip().rstrip(":").strip()
        boxes = all(item.checked is not None for item in lst.items)
        if "checklist" in lead.lower():
            title = lead
        elif "checklist" in heading.lower() or (boxes and heading):
            title = heading
        elif boxes and lead:
            title = lead
        else:
            continue
        checklist_id = slug(title)[:60]
        if checklist_id in used:
            continue  # a table already made this one
        area = lead if lead and lead != title else title
        items = out.setdefault(checklist_id, [])
        titles[checklist_id] = title
        seen = {i.id for i in items}
        for item in lst.items:
            if not item.text:
                continue
            item_id = f"{checklist_id}/{slug(area)[:40]}/{slug(item.text)[:60]}"
            if item_id not in seen:
                seen.add(item_id)
                items.append(ChecklistItem(id=item_id, area=area, text=item.text,
                                           cues=item_cues(area, item.text)))
    return [Checklist(id=k, title=titles[k], items=tuple(v)) for k, v in out.items() if v]


def _checklists(agent_file: AgentFile) -> tuple[Checklist, ...]:
    checklists = _table_checklists(agent_file)
    used = {c.id for c in checklists}
    return tuple(checklists + _list_checklists(agent_file, used))


def _table_checklists(agent_file: AgentFile) -> list[Checklist]:
    checklists = []
    for section in agent_file.all_sections():
        if "checklist" not in section.title.lower():
            continue
        table = next((t for t in section.tables if len(t.header) >= 2), None)
        if table is None:
            continue
        checklist_id = slug(section.title)
        items: list[ChecklistItem] = []
        seen: set[str] = set()
        for row in table.rows:
            area = row[0]
            if not area:
                continue
            for text in _split_items(row[1]):
                item_id = f"{checklist_id}/{slug(area)}/{slug(text)}"
                if item_id in seen:
                    continue
                seen.add(item_id)
                items.append(
                    ChecklistItem(id=item_id, area=area, text=text, cues=item_cues(area, text))
                )
        checklists.append(Checklist(id=checklist_id, title=section.title, items=tuple(items)))
    return checklists


def _standards(agent_file: AgentFile) -> tuple[Standard, ...]:
    out = []
    for section in agent_file.all_sections():
        for table in section.tables:
            if table.column("Standard") is None:
                continue
            name_col = table.column("Standard")
            target_col = table.column("Target")
            if target_col is None:
                target_col = table.column("Requirement")
            if name_col is None or target_col is None:
                continue
            note_col = next(
                (i for i in range(len(table.header)) if i not in (name_col, target_col)), None
            )
            for row in table.rows:
                if row[name_col]:
                    out.append(
                        Standard(
                            name=row[name_col],
                            target=row[target_col],
                            note=row[note_col] if note_col is not None else "",
                            source=section.title,
                        )
                    )
    return tuple(out)


def _mcp_servers(agent_file: AgentFile) -> tuple[tuple[str, str, str], ...]:
    section = agent_file.find_section("MCP")
    if section is None:
        return ()
    servers = []
    for child in section.children:
        role, sep, name = child.title.partition(":")
        if not sep or not name.strip():
            continue
        purpose = ""
        for line in child.text.splitlines():
            m = _PURPOSE.match(_plain(line))
            if m:
                purpose = m.group(1).strip()
                break
        servers.append((name.strip(), role.strip(), purpose))
    return tuple(servers)


def persona_from_agent_file(agent_file: AgentFile) -> Persona:
    """Read the persona's knowledge out of whatever tables and charts the file has."""
    fm = agent_file.frontmatter
    name = fm.name or Path(agent_file.path).stem or "agent"
    grants = grants_of(agent_file)
    tools = tuple(grants.names)
    bash_commands = () if "bash" in grants.unlimited else tuple(grants.patterns.get("bash", ()))
    return Persona(
        name=name,
        title=agent_file.title or name,
        description=fm.description or "",
        model=fm.model,
        temperature=fm.temperature,
        steps=fm.steps,
        tools=tools,
        allowed_without_asking=allowed_without_asking(agent_file, tools),
        bash_commands=bash_commands if "bash" in {t.lower() for t in tools} else (),
        keywords=_keywords(agent_file),
        headings=tuple(s.title for s in agent_file.all_sections() if s.title),
        phases=_phases(agent_file),
        decision_trees=_decision_trees(agent_file),
        checklists=_checklists(agent_file),
        standards=_standards(agent_file),
        mcp_servers=_mcp_servers(agent_file),
        prompt=agent_file.body,
        source_path=agent_file.path,
        warnings=agent_file.warnings,
    )


def persona_to_dict(persona: Persona) -> dict[str, Any]:
    """JSON-ready form, as `persona show --json` prints it."""
    return persona.model_dump(mode="json")


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, stamp: tuple[int, int] | None) -> Persona:
    # stamp (mtime_ns, size) is part of the key so an edited file is read again.
    from agent.persona.agentfile import load_agent_file

    return persona_from_agent_file(load_agent_file(path))


def load_persona(path: str | Path | None = None) -> Persona:
    """The persona at path, or the bundled backend persona. Raises AgentFileError."""
    file = Path(path) if path is not None else DEFAULT_PERSONA_PATH
    try:
        st = file.stat()
    except OSError:
        from agent.persona.agentfile import load_agent_file

        return persona_from_agent_file(load_agent_file(file))  # raises the clear error
    return _load_cached(str(file.resolve()), (st.st_mtime_ns, st.st_size))


def discover_agent_files(cwd: Path | None = None, config_dir: Path | None = None) -> list[Path]:
    """User agent files: <config>/agents/, ./.opencode/agent(s)/, ./.claude/agents/ (*.md)."""
    cwd = cwd if cwd is not None else Path.cwd()
    if config_dir is None:
        config_dir = paths.config_dir()  # platformdirs, or BACKEND_COPILOT_CONFIG_DIR
    folders = [
        config_dir / "agents",
        cwd / ".opencode" / "agent",
        cwd / ".opencode" / "agents",
        cwd / ".claude" / "agents",
    ]
    found: list[Path] = []
    seen: set[Path] = set()
    for folder in folders:
        try:
            files = sorted(p for p in folder.glob("*.md") if p.is_file())
        except OSError:
            continue
        for file in files:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                found.append(file)
    return found
