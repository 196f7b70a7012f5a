"""Side panels: the persona's decision tree, checklist and workflow, drawn from session state.

Panels never change anything themselves: keys post messages that the app forwards to the
Copilot, and the resulting session events re-render the panels.
"""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from agent.persona.persona import ChecklistItem, DecisionOption, DecisionTree, Persona
from agent.session.models import SessionState
from tui.compat import SkipUnchangedSizes
from tui.text import one_line, plain
from tui.widgets.mcp import McpPanel


class PlainTree(SkipUnchangedSizes, Tree):
    """A Tree whose string labels are shown literally (no Rich markup).

    It also skips Textual's scrollbar update when its sizes have not changed (see
    tui/compat.py: a tree taller than its panel would arrange the whole screen again at every
    layout, 15-30 ms of each scroll step and each streamed flush with a long transcript).
    """

    def process_label(self, label: str | Text) -> Text:  # type: ignore[override]
        text = plain(label) if isinstance(label, str) else label
        return text.split()[0] if text.plain else text


# -- decision tree ---------------------------------------------------------------------


class DecisionTreeView(PlainTree):
    BINDINGS = [Binding("enter", "choose", "Ask this branch")]

    class BranchChosen(Message):
        def __init__(self, tree_id: str, node_id: str) -> None:
            super().__init__()
            self.tree_id = tree_id
            self.node_id = node_id

    def action_choose(self) -> None:
        node = self.cursor_node
        if node is not None and isinstance(node.data, tuple):
            self.post_message(self.BranchChosen(*node.data))
        elif node is not None:
            node.toggle()


def option_label(option: DecisionOption, highlighted: bool, words: list[str]) -> Text:
    text = Text()
    if highlighted:
        text.append("▶ ", style="bold")
        text.append_text(plain(f"{option.condition} → {option.recommendation}", "bold reverse"))
        if words:
            text.append_text(plain(f"  ← {', '.join(words)}", "italic"))
    else:
        text.append("  ")
        text.append_text(plain(f"{option.condition} → {option.recommendation}"))
    return text


class DecisionTreePanel(Vertical):
    """root → question → options; the option the conversation points to is highlighted."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel")
        self._option_nodes: dict[tuple[str, str], TreeNode] = {}
        self._option_data: dict[tuple[str, str], DecisionOption] = {}
        self._persona_key = ""

    def compose(self):
        tree = DecisionTreeView(Text("Decisions"), id="decision-tree")
        tree.show_root = False
        yield tree
        yield Static("", id="tree-detail", classes="panel-detail")

    @property
    def tree(self) -> DecisionTreeView:
        return self.query_one(DecisionTreeView)

    def _build(self, persona: Persona) -> None:
        tree = self.tree
        tree.clear()
        self._option_nodes.clear()
        self._option_data.clear()
        for dt in persona.decision_trees:
            branch = tree.root.add(plain(f"{dt.root} → {dt.question}?", "bold"), expand=True)
            for option in dt.options:
                key = (dt.id, option.node_id)
                self._option_data[key] = option
                self._option_nodes[key] = branch.add_leaf(option_label(option, False, []), data=key)
        self._persona_key = persona.source_path + persona.name

    def show(self, persona: Persona, state: SessionState) -> None:
        if self._persona_key != persona.source_path + persona.name or not self._option_nodes:
            self._build(persona)
        self.border_title = Text(
            persona.decision_trees[0].title if persona.decision_trees else "Decision tree"
        )
        if not persona.decision_trees:
            self.query_one("#tree-detail", Static).update(
                Text("This persona has no decision tree.", style="dim")
            )
            return
        hl = state.tree
        chosen = (hl.tree_id, hl.node_id) if hl is not None else None
        for key, node in self._option_nodes.items():
            words = hl.words if hl is not None and key == chosen else []
            node.set_label(option_label(self._option_data[key], key == chosen, words))
        detail = self.query_one("#tree-detail", Static)
        if hl is None or chosen not in self._option_data:
            detail.update(
                Text("No branch yet: talk about the API, or Enter on an option.", style="dim")
            )
            return
        option = self._option_data[chosen]
        tree = _tree(persona, hl.tree_id)
        text = Text()
        text.append_text(plain(option.recommendation, "bold"))
        if option.use_case:
            text.append_text(plain(f" — {option.use_case}"))
        if option.rationale:
            text.append_text(plain(f". {option.rationale}"))
        how = "chosen by you" if hl.chosen else "from your words"
        if hl.words:
            text.append_text(plain(f"\n{how}: {', '.join(hl.words)}", "italic"))
        elif tree is not None:
            text.append_text(plain(f"\n{how}", "italic"))
        detail.update(text)

    @property
    def highlighted_label(self) -> str:
        """The plain label of the highlighted option ('' when none) — for tests and a11y."""
        for node in self._option_nodes.values():
            if str(node.label).startswith("▶"):
                return str(node.label)
        return ""


def _tree(persona: Persona, tree_id: str) -> DecisionTree | None:
    return next((t for t in persona.decision_trees if t.id == tree_id), None)


# -- checklist -------------------------------------------------------------------------


class ChecklistView(PlainTree):
    BINDINGS = [
        Binding("space", "toggle_item", "Tick/untick"),
        Binding("x,delete", "clear_item", "Clear suggestion"),
    ]

    class ItemAction(Message):
        def __init__(self, item_id: str, action: Literal["toggle", "clear"]) -> None:
            super().__init__()
            self.item_id = item_id
            self.action = action

    def _item_id(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None and isinstance(node.data, str) else None

    def action_toggle_item(self) -> None:
        item_id = self._item_id()
        if item_id is not None:
            self.post_message(self.ItemAction(item_id, "toggle"))
        elif self.cursor_node is not None:
            self.cursor_node.toggle()

    def action_clear_item(self) -> None:
        item_id = self._item_id()
        if item_id is not None:
            self.post_message(self.ItemAction(item_id, "clear"))


def item_text(item: ChecklistItem, state: str, evidence: str) -> Text:
    if state == "done":
        text = Text.assemble(("☑ ", "bold green"))
        text.append_text(plain(item.text))
    elif state == "suggested":
        text = Text.assemble(("◇ ", "bold yellow"))
        text.append_text(plain(item.text, "italic yellow"))
        text.append_text(plain(f"  ← {one_line(evidence, 24)}" if evidence else "  suggested", "dim italic"))
    else:
        text = Text("☐ ")
        text.append_text(plain(item.text))
    return text


class ChecklistPanel(Vertical):
    """Items grouped by area with progress; suggestions show where they came from."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel")
        self._item_nodes: dict[str, tuple[ChecklistItem, TreeNode]] = {}
        self._area_nodes: dict[tuple[str, str], TreeNode] = {}
        self._persona_key = ""
        self._state: SessionState | None = None

    def compose(self):
        tree = ChecklistView(Text("Checklist"), id="checklist-tree")
        tree.show_root = False
        yield tree
        yield Static("", id="checklist-detail", classes="panel-detail")

    @property
    def tree(self) -> ChecklistView:
        return self.query_one(ChecklistView)

    def _build(self, persona: Persona) -> None:
        tree = self.tree
        tree.clear()
        self._item_nodes.clear()
        self._area_nodes.clear()
        for checklist in persona.checklists:
            parent = tree.root
            if len(persona.checklists) > 1:
                parent = tree.root.add(plain(checklist.title, "bold"), expand=True)
            for area in checklist.areas():
                node = parent.add(plain(area), expand=True)
                self._area_nodes[(checklist.id, area)] = node
                for item in checklist.items:
                    if item.area == area:
                        leaf = node.add_leaf(item_text(item, "open", ""), data=item.id)
                        self._item_nodes[item.id] = (item, leaf)
        self._persona_key = persona.source_path + persona.name

    def show(self, persona: Persona, state: SessionState) -> None:
        if self._persona_key != persona.source_path + persona.name or not self._item_nodes:
            self._build(persona)
        self._state = state
        done_total = 0
        suggested = 0
        for checklist in persona.checklists:
            for area in checklist.areas():
                items = [i for i in checklist.items if i.area == area]
                done = 0
                for item in items:
                    entry = state.checklist.get(item.id)
                    st = entry.state if entry else "open"
                    done += st == "done"
                    suggested += st == "suggested"
                    self._item_nodes[item.id][1].set_label(
                        item_text(item, st, entry.evidence if entry else "")
                    )
                done_total += done
                label = plain(area, "bold")
                label.append(f"  {done}/{len(items)}", style="dim")
                self._area_nodes[(checklist.id, area)].set_label(label)
        total = len(self._item_nodes)
        title = Text(f"Checklist {done_total}/{total}" if total else "Checklist")
        if suggested:
            title.append(f" · {suggested} suggested")
        self.border_title = title
        self.progress = (done_total, total)
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#checklist-detail", Static)
        item_id = self.tree._item_id()
        state = self._state
        entry = state.checklist.get(item_id) if state is not None and item_id else None
        if not self._item_nodes:
            detail.update(Text("This persona has no checklist.", style="dim"))
            return
        if entry is None or entry.state != "suggested":
            detail.update(Text("Space ticks · x clears a suggestion", style="dim"))
            return
        source = next((m for m in state.messages if m.id == entry.message_id), None) if state else None
        text = plain(f"Suggested by “{entry.evidence}”", "italic")
        if source is not None:
            text.append_text(plain(f" in: {one_line(source.content, 60)}", "dim"))
        text.append("\nSpace confirms · x clears", style="dim")
        detail.update(text)

    def on_tree_node_highlighted(self) -> None:
        self._show_detail()

    def item_state_label(self, item_id: str) -> str:
        return str(self._item_nodes[item_id][1].label)


# -- workflow --------------------------------------------------------------------------


class WorkflowPanel(Static, can_focus=True):
    """The phases as a stepper: current highlighted with its role and contribution."""

    BINDINGS = [
        Binding("right_square_bracket,right,down", "step('next')", "Next phase"),
        Binding("left_square_bracket,left,up", "step('prev')", "Prev phase"),
    ]

    class Step(Message):
        def __init__(self, target: str) -> None:
            super().__init__()
            self.target = target

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="panel")
        self.current = ""

    def action_step(self, target: str) -> None:
        self.post_message(self.Step(target))

    def show(self, persona: Persona, current: str) -> None:
        self.current = current
        names = [p.name for p in persona.phases]
        index = names.index(current) if current in names else -1
        title = Text("Workflow")
        if index >= 0:
            title.append(f"  {index + 1}/{len(names)}")
        self.border_title = title
        text = Text()
        width = max((len(p.name) for p in persona.phases), default=0) + 2
        for i, phase in enumerate(persona.phases):
            if i == index:
                mark, style = "▶", "bold reverse"
            elif i < index:
                mark, style = "✓", "dim"
            else:
                mark, style = "·", ""
            if i:
                text.append("\n")
            text.append(f"{mark} ", style="bold" if i == index else style)
            text.append_text(plain(phase.name, style))
            text.append(" " * (width - len(phase.name)))
            role = "Primary" if phase.primary else "Supporting"
            text.append(role, style="bold" if phase.primary and i == index else "dim")
        if 0 <= index < len(persona.phases) and persona.phases[index].contribution:
            text.append("\n")
            text.append_text(plain(persona.phases[index].contribution, "italic"))
        if not persona.phases:
            text = Text("This persona has no workflow phases.", style="dim")
        self.update(text)


class SidePanels(Vertical):
    """The panels stacked: workflow, decision tree, checklist, MCP servers."""

    def compose(self):
        yield WorkflowPanel(id="workflow")
        yield DecisionTreePanel(id="tree-panel")
        yield ChecklistPanel(id="checklist")
        yield McpPanel(id="mcp-panel")  # the app fills it: MCP status is not session state

    def show(self, persona: Persona, state: SessionState, phase: str) -> None:
        self.query_one(WorkflowPanel).show(persona, phase)
        self.query_one(DecisionTreePanel).show(persona, state)
        self.query_one(ChecklistPanel).show(persona, state)


__all__ = [
    "ChecklistPanel",
    "ChecklistView",
    "DecisionTreePanel",
    "DecisionTreeView",
    "SidePanels",
    "WorkflowPanel",
]
