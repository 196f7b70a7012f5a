"""Side panels: the persona's decision tree, checklist and workflow, drawn from session state.

Panels never change anything themselves: keys post messages that the app forwards to the
Copilot, and the resulting session events re-render the panels. They draw a PanelPersona
(plain rows) and the session's state; no state (None) is a session with nothing in it yet,
as a start drawn from the remembered first screen shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from tui.compat import SkipUnchangedSizes
from tui.text import one_line, plain
from tui.widgets.mcp import McpPanel
from tui.widgets.panel_view import ItemRow, OptionRow, PanelPersona, TreeRows

if TYPE_CHECKING:  # the panels are drawn before pydantic is imported (tui/first_screen.py)
    from agent.audit.models import AuditItem
    from agent.session.models import SessionState


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


def option_label(option: OptionRow, highlighted: bool, words: list[str]) -> Text:
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
    """root → question → options; the option the conversation points to is highlighted.

    Only the tree the talk is about is open (the first one until a branch is highlighted);
    the others stay folded under their question, so five trees fit a side panel.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel")
        self._branches: dict[str, TreeNode] = {}
        self._open_tree = ""
        self._option_nodes: dict[tuple[str, str], TreeNode] = {}
        self._option_data: dict[tuple[str, str], OptionRow] = {}
        self._persona_key = ""

    def compose(self):
        tree = DecisionTreeView(Text("Decisions"), id="decision-tree")
        tree.show_root = False
        yield tree
        yield Static("", id="tree-detail", classes="panel-detail")

    @property
    def tree(self) -> DecisionTreeView:
        return self.query_one(DecisionTreeView)

    def _build(self, persona: PanelPersona) -> None:
        tree = self.tree
        tree.clear()
        self._option_nodes.clear()
        self._option_data.clear()
        self._branches.clear()
        for i, dt in enumerate(persona.decision_trees):
            branch = tree.root.add(plain(f"{dt.root} → {dt.question}?", "bold"), expand=i == 0)
            self._branches[dt.id] = branch
        self._open_tree = persona.decision_trees[0].id if persona.decision_trees else ""
        for dt in persona.decision_trees:
            branch = self._branches[dt.id]
            for option in dt.options:
                key = (dt.id, option.node_id)
                self._option_data[key] = option
                self._option_nodes[key] = branch.add_leaf(option_label(option, False, []), data=key)
        self._persona_key = persona.key

    def show(self, persona: PanelPersona, state: SessionState | None) -> None:
        if self._persona_key != persona.key or not self._option_nodes:
            self._build(persona)
        hl = state.tree if state is not None else None
        hl_tree = _tree(persona, hl.tree_id) if hl is not None else None
        shown = hl_tree or (persona.decision_trees[0] if persona.decision_trees else None)
        self.border_title = Text(shown.title if shown is not None else "Decision tree")
        if shown is not None and shown.id != self._open_tree:
            for tree_id, branch in self._branches.items():
                if tree_id == shown.id:
                    branch.expand()
                else:
                    branch.collapse()
            self._open_tree = shown.id
        if not persona.decision_trees:
            self.query_one("#tree-detail", Static).update(
                Text("This persona has no decision tree.", style="dim")
            )
            return
        chosen = (hl.tree_id, hl.node_id) if hl is not None else None
        for key, node in self._option_nodes.items():
            words = hl.words if hl is not None and key == chosen else []
            node.set_label(option_label(self._option_data[key], key == chosen, words))
        detail = self.query_one("#tree-detail", Static)
        cards = _cards_line(state)
        if hl is None or chosen not in self._option_data:
            # In the shown persona's terms: its first tree's question, not backend's API.
            question = persona.decision_trees[0].question.rstrip("?")
            text = plain(f"No branch yet: talk about {question.lower()}, or Enter on an option.",
                         "dim")
            if cards:
                text.append("\n").append_text(cards)
            detail.update(text)
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
        if cards:
            text.append("\n").append_text(cards)
        detail.update(text)

    @property
    def highlighted_label(self) -> str:
        """The plain label of the highlighted option ('' when none) — for tests and a11y."""
        for node in self._option_nodes.values():
            if str(node.label).startswith("▶"):
                return str(node.label)
        return ""


def _cards_line(state: SessionState | None) -> Text | None:
    """The playbook cards the newest answer used, or None."""
    if state is None:
        return None
    answer = next((m for m in reversed(state.messages) if m.role == "assistant"), None)
    if answer is None or not answer.cards:
        return None
    return plain("Cards: " + " · ".join(c.title for c in answer.cards), "dim")


def _tree(persona: PanelPersona, tree_id: str) -> TreeRows | None:
    return next((t for t in persona.decision_trees if t.id == tree_id), None)


# -- checklist -------------------------------------------------------------------------


class ChecklistView(PlainTree):
    BINDINGS = [
        Binding("space", "toggle_item", "Tick/untick"),
        Binding("x,delete", "clear_item", "Clear suggestion"),
        Binding("enter", "evidence", "Evidence"),
    ]

    class Evidence(Message):
        """Enter on an item: its panel shows every piece of audit evidence."""

        def __init__(self, item_id: str) -> None:
            super().__init__()
            self.item_id = item_id

    def action_evidence(self) -> None:
        item_id = self._item_id()
        if item_id is not None:
            self.post_message(self.Evidence(item_id))
        elif self.cursor_node is not None:
            self.cursor_node.toggle()

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


AUDIT_MARKS = {"done": ("✔ ", "bold cyan"), "missing": ("✗ ", "bold red")}


def item_text(item: ItemRow, state: str, evidence: str,
              audited: AuditItem | None = None) -> Text:
    """A user's tick (☑) wins; else the audit's mark (✔ evidenced / ✗ missing), else a
    suggestion (◇), else open (☐)."""
    if state != "done" and audited is not None and audited.status in AUDIT_MARKS:
        mark, style = AUDIT_MARKS[audited.status]
        text = Text.assemble((mark, style))
        text.append_text(plain(item.text))
        if audited.status == "done" and audited.evidence:
            text.append_text(plain(f"  ← {one_line(audited.evidence[0].where, 28)}", "dim cyan"))
        else:
            text.append_text(plain("  not found in code", "dim red"))
        return text
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


def audit_detail(audited: AuditItem, *, full: bool) -> Text:
    """The audit's word on an item: the first evidence, or (after Enter) all of it."""
    if audited.status == "done" and audited.evidence:
        shown = audited.evidence if full else audited.evidence[:1]
        text = plain("Audit: found in the project", "bold cyan")
        for ev in shown:
            text.append("\n")
            text.append_text(plain(ev.where, "cyan"))
            if ev.text:
                text.append_text(plain(f"  {one_line(ev.text, 70)}", "dim"))
        hint = "Space ticks" if full else "Enter shows all evidence · Space ticks"
        text.append(f"\n{hint}", style="dim")
        return text
    if audited.status == "missing":
        text = plain("Audit: not found. ", "bold red")
        text.append_text(plain(one_line(audited.looked, 200 if full else 90), "dim"))
        return text
    text = plain("Audit: can't tell from code. ", "bold")
    text.append_text(plain(one_line(audited.looked, 120), "dim"))
    return text


class ChecklistPanel(Vertical):
    """Items grouped by area with progress; suggestions show where they came from."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel")
        self._item_nodes: dict[str, tuple[ItemRow, TreeNode]] = {}
        self._area_nodes: dict[tuple[str, str], TreeNode] = {}
        self._persona_key = ""
        self._state: SessionState | None = None
        self._evidence_for = ""  # the item whose full evidence the detail shows (after Enter)

    def compose(self):
        tree = ChecklistView(Text("Checklist"), id="checklist-tree")
        tree.show_root = False
        yield tree
        yield Static("", id="checklist-detail", classes="panel-detail")

    @property
    def tree(self) -> ChecklistView:
        return self.query_one(ChecklistView)

    def _build(self, persona: PanelPersona) -> None:
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
        self._persona_key = persona.key

    def show(self, persona: PanelPersona, state: SessionState | None) -> None:
        if self._persona_key != persona.key or not self._item_nodes:
            self._build(persona)
        self._state = state
        done_total = 0
        suggested = 0
        audit = state.audit if state is not None else None
        ticks = state.checklist if state is not None else {}
        audited_marks = {"done": 0, "missing": 0}
        for checklist in persona.checklists:
            for area in checklist.areas():
                items = [i for i in checklist.items if i.area == area]
                done = 0
                for item in items:
                    entry = ticks.get(item.id)
                    st = entry.state if entry else "open"
                    audited = audit.item(item.id) if audit is not None else None
                    if st != "done" and audited is not None and audited.status in audited_marks:
                        audited_marks[audited.status] += 1
                    done += st == "done" or (audited is not None and audited.status == "done")
                    suggested += st == "suggested"
                    self._item_nodes[item.id][1].set_label(
                        item_text(item, st, entry.evidence if entry else "", audited)
                    )
                done_total += done
                label = plain(area, "bold")
                label.append(f"  {done}/{len(items)}", style="dim")
                self._area_nodes[(checklist.id, area)].set_label(label)
        total = len(self._item_nodes)
        title = Text(f"Checklist {done_total}/{total}" if total else "Checklist")
        if suggested:
            title.append(f" · {suggested} suggested")
        if audit is not None:
            title.append(f" · audit ✔{audited_marks['done']} ✗{audited_marks['missing']}")
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
        audited = (state.audit.item(item_id) if state is not None and state.audit is not None
                   and item_id else None)
        if audited is not None and (entry is None or entry.state != "suggested"):
            detail.update(audit_detail(audited, full=self._evidence_for == item_id))
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
        self._evidence_for = ""
        self._show_detail()

    def on_checklist_view_evidence(self, message: ChecklistView.Evidence) -> None:
        message.stop()
        self._evidence_for = message.item_id
        self._show_detail()

    def detail_text(self) -> str:
        return str(self.query_one("#checklist-detail", Static).render())

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

    def show(self, persona: PanelPersona, current: str) -> None:
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

    def show(self, persona: PanelPersona, state: SessionState | None, phase: str) -> None:
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
