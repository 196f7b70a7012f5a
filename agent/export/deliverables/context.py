"""Everything the documents are built from, read once from the session and the persona.

Offline, a document holds only what the session holds: the user's words, the decision-tree
branches chosen or pointed to, the checklist state, the standards and the playbook cards used.
Nothing is invented; what is missing shows up as an open question.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ConfigDict, Field

from agent.export.deliverables.extract import extract_resources, resource_name
from agent.export.deliverables.models import OPERATIONS, Resource
from agent.lazy_model import LazyModel
from agent.persona.models import ChecklistItem, DecisionOption, DecisionTree, Persona, Standard
from agent.session.models import SessionState, TreeHighlighted


class CardRef(LazyModel):
    """A playbook card the session used (title and a line of what it says)."""

    model_config = ConfigDict(frozen=True)
    title: str
    summary: str = ""


class Choice(LazyModel):
    """One branch of a tree the session landed on, with the user's words that led there."""

    model_config = ConfigDict(frozen=True)
    option: DecisionOption
    chosen: bool  # the user chose it (else the conversation pointed to it)
    words: tuple[str, ...] = ()
    quote: str = ""  # the user's message that pointed there, when known
    ts: str = ""


class Decision(LazyModel):
    """A decision tree with every branch, and the branches settled on in order (newest last)."""

    model_config = ConfigDict(frozen=True)
    tree: DecisionTree
    history: tuple[Choice, ...] = ()  # chosen branches, in order; each later one supersedes
    pointed: Choice | None = None  # the newest branch the talk pointed to (not chosen)

    @property
    def current(self) -> Choice | None:
        return self.history[-1] if self.history else self.pointed


class ItemState(LazyModel):
    model_config = ConfigDict(frozen=True)
    item: ChecklistItem
    state: str  # done | suggested | open
    evidence: str = ""


class DeliveryContext(LazyModel):
    """The session as the documents see it."""

    title: str = ""
    session_id: str = ""
    persona: str = ""
    phase: str = ""
    user_words: list[str] = Field(default_factory=list)  # the user's messages, oldest first
    decisions: list[Decision] = Field(default_factory=list)
    checklist: list[ItemState] = Field(default_factory=list)
    standards: list[Standard] = Field(default_factory=list)
    resources: list[Resource] = Field(default_factory=list)
    cards: list[CardRef] = Field(default_factory=list)

    def items(self, *states: str) -> list[ItemState]:
        return [i for i in self.checklist if i.state in states]

    def settled(self) -> list[Decision]:
        return [d for d in self.decisions if d.current is not None]


def playbook_cards(state: SessionState) -> list[CardRef]:
    """The playbook cards the session's answers used (Message.cards), first use first."""
    out: list[CardRef] = []
    for message in state.messages:
        for card in message.cards:
            if card.title and all(c.title != card.title for c in out):
                out.append(CardRef(title=card.title, summary=""))
    return out


def manual_resources(state: SessionState) -> list[Resource]:
    """Resources added by hand with /resource (folded into `state.resources`)."""
    out = []
    for added in getattr(state, "resources", None) or ():
        name = resource_name(added.name)
        if name:
            out.append(Resource(name=name, operations=tuple(added.operations) or OPERATIONS,
                                words=f"/resource {added.name}"))
    return out


def merge_resources(*groups: Sequence[Resource]) -> list[Resource]:
    """One entry per name: operations joined, the first actor and words kept."""
    merged: dict[str, Resource] = {}
    for group in groups:
        for r in group:
            old = merged.get(r.name)
            if old is None:
                merged[r.name] = r
                continue
            ops = tuple(op for op in OPERATIONS if op in old.operations or op in r.operations)
            merged[r.name] = old.model_copy(update={"operations": ops,
                                                    "actor": old.actor or r.actor})
    return list(merged.values())


def _decisions(state: SessionState, persona: Persona) -> list[Decision]:
    users = [m for m in state.messages if m.role == "user"]
    messages = {m.id: m.content for m in users}

    def said_before(ts: str) -> str:
        """The user's last message at or before `ts` (a branch chosen on the panel has none)."""
        return next((m.content for m in reversed(users) if m.ts <= ts), "")

    events = [e for e in state.timeline if isinstance(e, TreeHighlighted)]
    out = []
    for tree in persona.decision_trees:
        options = {o.node_id: o for o in tree.options}
        history: list[Choice] = []
        pointed: Choice | None = None
        for event in events:
            option = options.get(event.node_id) if event.tree_id == tree.id else None
            if option is None:
                continue
            choice = Choice(option=option, chosen=event.chosen, words=tuple(event.words),
                            quote=messages.get(event.message_id, "") or said_before(event.ts),
                            ts=event.ts)
            if event.chosen:
                if not history or history[-1].option.node_id != option.node_id:
                    history.append(choice)
            else:
                pointed = choice
        out.append(Decision(tree=tree, history=tuple(history), pointed=pointed))
    return out


def build_context(state: SessionState, persona: Persona) -> DeliveryContext:
    users = [m.content for m in state.messages if m.role == "user" and m.content.strip()]
    checklist = []
    for item in persona.all_checklist_items():
        entry = state.checklist.get(item.id)
        checklist.append(ItemState(item=item, state=entry.state if entry else "open",
                                   evidence=entry.evidence if entry else ""))
    standards: list[Standard] = []
    for standard in persona.standards:
        if all((s.name, s.target) != (standard.name, standard.target) for s in standards):
            standards.append(standard)
    return DeliveryContext(
        title=state.title,
        session_id=state.id,
        persona=persona.name,
        phase=state.phase,
        user_words=users,
        decisions=_decisions(state, persona),
        checklist=checklist,
        standards=standards,
        resources=merge_resources(extract_resources(users), manual_resources(state)),
        cards=playbook_cards(state),
    )
