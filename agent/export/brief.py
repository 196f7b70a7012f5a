"""A short Markdown brief of a session, for a pull request or a design doc.

Not the transcript: what was decided (decision-tree branches chosen or pointed to), where the
checklist stands and what is still open, the phase reached and the persona(s) that were on.
Every piece of text is escaped the way the Markdown export escapes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent.audit.export_parts import audit_markdown, audit_note
from agent.export.common import deliverable_lines, md_inline, when
from agent.persona.models import DecisionTree, Persona
from agent.session.models import ActivationChanged, PhaseChanged, SessionState, TreeHighlighted


@dataclass
class _Decision:
    tree: str
    question: str
    condition: str
    recommendation: str
    chosen: bool
    words: list[str]
    also: list[str]


def personas_on(state: SessionState) -> list[str]:
    """Names of the personas that were on at some point, in the order they first came on."""
    names: dict[str, None] = {}
    for event in state.timeline:
        if isinstance(event, ActivationChanged) and event.active and event.persona:
            names.setdefault(event.persona, None)
    return list(names)


def _decisions(state: SessionState, personas: Sequence[Persona]) -> list[_Decision]:
    """One decision per tree: the branch the session settled on.

    That is the branch the user chose last; without a choice, the one the conversation
    pointed to last. Branches pointed to before and left are named as also considered.
    """
    trees: dict[str, DecisionTree] = {}
    for persona in personas:
        for tree in persona.decision_trees:
            trees.setdefault(tree.id, tree)
    settled: dict[str, TreeHighlighted] = {}
    seen: dict[str, list[str]] = {}
    for event in state.timeline:
        if not isinstance(event, TreeHighlighted):
            continue
        names = seen.setdefault(event.tree_id, [])
        if event.recommendation not in names:
            names.append(event.recommendation)
        current = settled.get(event.tree_id)
        if current is None or event.chosen or not current.chosen:
            settled[event.tree_id] = event
    found: list[_Decision] = []
    for tree_id, event in settled.items():
        tree = trees.get(tree_id)
        option = next((o for o in tree.options if o.node_id == event.node_id), None) if tree else None
        found.append(_Decision(
            tree=tree.title if tree else tree_id,
            question=tree.question if tree else "",
            condition=option.condition if option else "",
            recommendation=event.recommendation,
            chosen=event.chosen,
            words=list(event.words),
            also=[n for n in seen[tree_id] if n != event.recommendation],
        ))
    return found


def furthest_phase(state: SessionState, persona: Persona) -> str:
    """The furthest of the persona's phases the session reached ("" if none of them)."""
    order = [p.name for p in persona.phases]
    reached = {state.phase} | {
        name for e in state.timeline if isinstance(e, PhaseChanged) for name in (e.phase, e.previous)
    }
    indices = [order.index(name) for name in reached if name in order]
    return order[max(indices)] if indices else ""


def session_brief(state: SessionState, personas: Sequence[Persona] = ()) -> str:
    """The brief as Markdown. `personas`: the loaded ones, to name trees and list checklists."""
    known = {p.name: p for p in personas}
    on = personas_on(state)
    involved = [known[n] for n in on if n in known]
    if not involved and state.persona in known:
        involved = [known[state.persona]]
    out = [f"# {md_inline(state.title or 'Untitled session')} — brief\n\n"]
    users = sum(m.role == "user" for m in state.messages)
    last = f", last {md_inline(when(state.updated))}" if state.updated else ""
    asked = f"{users} question{'' if users == 1 else 's'}"
    out.append(f"- Session: {md_inline(state.id)} ({asked}{last})\n")
    if on:
        current = state.persona if state.persona_active else ""
        named = [f"{md_inline(n)}{' (on now)' if n == current else ''}" for n in on]
        out.append(f"- Personas: {', '.join(named)}\n")
    else:
        out.append("- Personas: none switched on\n")
    if state.phase:
        reached, role = state.phase, ""
        for persona in involved:
            furthest = furthest_phase(state, persona)
            phase = persona.phase(furthest) if furthest else None
            if phase is not None:
                reached = furthest
                role = f" ({md_inline(phase.role)} role for {md_inline(persona.name)})"
                break
        now = f"; now back at {md_inline(state.phase)}" if reached != state.phase else ""
        out.append(f"- Phase reached: {md_inline(reached)}{role}{now}\n")
    else:
        first = next((p.phases[0] for p in involved if p.phases), None)
        start = f"{md_inline(first.name)} (the first; never moved on)" if first else "none"
        out.append(f"- Phase reached: {start}\n")

    out.append("\n## Decisions\n\n")
    decisions = _decisions(state, personas)
    if not decisions:
        out.append("No decision-tree branch was chosen or pointed to.\n")
    for d in decisions:
        how = "chosen" if d.chosen else "pointed to by the conversation"
        branch = f"{d.question}: {d.condition} → " if d.question and d.condition else ""
        words = f"(words: {', '.join(d.words)})" if d.words and not d.chosen else ""
        also = f"; also considered: {', '.join(d.also)}" if d.also else ""
        out.append(
            f"- **{md_inline(d.recommendation)}** — {md_inline(d.tree)}: "
            f"{md_inline(branch + d.recommendation)}, {how}{' ' + md_inline(words) if words else ''}"
            f"{md_inline(also)}\n"
        )

    out.append("\n## Checklist\n")
    still_open: list[str] = []
    groups = _groups(state, involved)
    for title, areas in groups:
        total = sum(len(items) for _, items in areas)
        done = sum(st == "done" for _, items in areas for _, st in items)
        out.append(f"\n**{md_inline(title)}**: {done}/{total} done\n\n")
        for area, items in areas:
            ticked = [text for text, st in items if st == "done"]
            still_open += [
                (f"{area}: {text} (suggested)" if st == "suggested" else f"{area}: {text}")
                + audit_note(state.audit, area, text)
                for text, st in items
                if st != "done"
            ]
            shown = ", ".join(ticked) if ticked else "nothing yet"
            out.append(f"- {md_inline(area)} {len(ticked)}/{len(items)} done: {md_inline(shown)}\n")
    if not groups:
        out.append("\nNo checklist in play.\n")
    elif still_open:
        out.append("\n### Still open\n\n")
        out.extend(f"- [ ] {md_inline(item)}\n" for item in still_open)
    else:
        out.append("\nEverything on the checklist is done.\n")
    delivered = deliverable_lines(state)
    if delivered:
        out.append("\n## Deliverables written\n\n")
        out.extend(f"- {md_inline(line)}\n" for line in delivered)
    out.append(audit_markdown(state.audit, state.audit_root, md_inline, brief=True))
    return "".join(out)


Area = tuple[str, list[tuple[str, str]]]  # (area, [(item text, state)])


def _groups(state: SessionState, involved: Sequence[Persona]) -> list[tuple[str, list[Area]]]:
    """The involved personas' checklists with each item's state; then items no persona names."""
    groups: list[tuple[str, list[Area]]] = []
    known: set[str] = set()
    seen: set[str] = set()
    for persona in involved:
        for checklist in persona.checklists:
            if checklist.id in seen:
                continue
            seen.add(checklist.id)
            areas: dict[str, list[tuple[str, str]]] = {}
            for item in checklist.items:
                known.add(item.id)
                entry = state.checklist.get(item.id)
                areas.setdefault(item.area, []).append((item.text, entry.state if entry else "open"))
            groups.append((checklist.title, list(areas.items())))
    others: dict[str, list[tuple[str, str]]] = {}
    for item_id, entry in state.checklist.items():
        if item_id not in known:
            area, _, text = item_id.rpartition("/")
            others.setdefault(area or "Other", []).append((text or item_id, entry.state))
    if others:
        groups.append(("Other items", list(others.items())))
    return groups
