"""Architecture phase: one decision record (MADR shape) per decision the session settled on.

Numbered in `docs/adr/`: a record already there under the same name keeps its number, a new one
takes the next free number (the project's own records are never renumbered or overwritten).
When the user chose another branch later, the earlier record is marked superseded by the newer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from agent.export.deliverables.context import Choice, Decision, DeliveryContext
from agent.export.deliverables.models import Draft
from agent.export.deliverables.text import inline, missing_headings, quote
from agent.persona.vocabulary import slug

FOLDER = "adr"
SECTIONS = ("Context and Problem Statement", "Considered Options", "Decision Outcome",
            "Consequences")
_NUMBERED = re.compile(r"^(\d{4})-(.+)\.md$")


def existing_records(folder: Path) -> dict[str, int]:
    """slug -> number of the records already in the folder ("0003-data-complexity-rest.md")."""
    out: dict[str, int] = {}
    try:
        names = [p.name for p in folder.iterdir() if p.is_file()]
    except OSError:
        return out
    for name in names:
        match = _NUMBERED.match(name)
        if match:
            out.setdefault(match.group(2), int(match.group(1)))
    return out


class _Record:
    def __init__(self, decision: Decision, choice: Choice, key: str) -> None:
        self.decision, self.choice, self.key = decision, choice, key
        self.number = 0
        self.superseded_by: _Record | None = None
        self.supersedes: _Record | None = None

    @property
    def file(self) -> str:
        return f"{self.number:04d}-{self.key}.md"

    @property
    def status(self) -> str:
        if self.superseded_by is not None:
            return f"superseded by ADR-{self.superseded_by.number:04d}"
        return "accepted" if self.choice.chosen else "proposed"


def _records(ctx: DeliveryContext, existing: dict[str, int]) -> list[_Record]:
    records: list[_Record] = []
    used_keys: set[str] = set()
    for decision in ctx.settled():
        chain = list(decision.history) or [decision.current]
        previous: _Record | None = None
        for choice in chain:
            assert choice is not None
            key = slug(f"{decision.tree.question} {choice.option.recommendation}")
            n = 2
            base = key
            while key in used_keys:
                key, n = f"{base}-{n}", n + 1
            used_keys.add(key)
            record = _Record(decision, choice, key)
            if previous is not None:
                previous.superseded_by, record.supersedes = record, previous
            records.append(record)
            previous = record
    taken = set(existing.values())
    next_free = max(taken, default=0) + 1
    for record in records:
        if record.key in existing:
            record.number = existing[record.key]
        else:
            while next_free in taken:
                next_free += 1
            record.number = next_free
            taken.add(next_free)
    return records


def _day(ts: str) -> str:
    try:
        return datetime.fromisoformat(ts).date().isoformat()
    except ValueError:
        return datetime.now(UTC).date().isoformat()


def _text(record: _Record, ctx: DeliveryContext, phase: str) -> str:
    tree, choice = record.decision.tree, record.choice
    chosen = choice.option
    out = [f"# {record.number}. {inline(tree.question)}: use {inline(chosen.recommendation)}\n\n"]
    out.append(f"- Status: {record.status}\n- Date: {_day(choice.ts)}\n")
    if record.supersedes is not None:
        out.append(f"- Supersedes: [ADR-{record.supersedes.number:04d}]"
                   f"({record.supersedes.file})\n")
    if record.superseded_by is not None:
        out.append(f"- Superseded by: [ADR-{record.superseded_by.number:04d}]"
                   f"({record.superseded_by.file})\n")
    out.append(f"- Drafted from session {inline(ctx.session_id)} (phase {inline(phase)}) "
               f"by backend-copilot, from the persona's {inline(tree.title)}\n\n")
    out.append("## Context and Problem Statement\n\n")
    out.append(f"{inline(tree.root)}: the question is {inline(tree.question)}, and each branch "
               "of the tree leads to a different API style.\n\n")
    if choice.quote:
        out.append("The user's words that led here:\n\n" + quote(choice.quote) + "\n")
    if choice.words:
        out.append(f"Words that point to this branch: {inline(', '.join(choice.words))}.\n\n")
    drivers = [s for s in ctx.standards if s.target]
    if drivers:
        out.append("## Decision Drivers\n\n")
        out.extend(f"- {inline(s.name)}: {inline(s.target)}\n" for s in drivers)
        out.append("\n")
    out.append("## Considered Options\n\n")
    for option in tree.options:
        out.append(f"- **{inline(option.recommendation)}** — {inline(option.condition)}"
                   f"{': ' + inline(option.use_case) if option.use_case else ''}\n")
    out.append("\n## Decision Outcome\n\n")
    how = "chosen by the user" if choice.chosen else (
        "pointed to by the conversation; not yet confirmed by the user")
    out.append(f"Chosen option: **{inline(chosen.recommendation)}** ({how}), because the need is "
               f"{inline(chosen.condition)}"
               f"{' — ' + inline(chosen.use_case) if chosen.use_case else ''}.\n\n")
    out.append("### Consequences\n\n")
    if chosen.rationale:
        out.append(f"- Good, because: {inline(chosen.rationale)}.\n")
    others = [o for o in tree.options if o.node_id != chosen.node_id]
    for option in others:
        gives_up = option.rationale or option.use_case
        out.append(f"- Bad, because {inline(option.recommendation)}'s strength is given up"
                   f"{': ' + inline(gives_up) if gives_up else ''}.\n")
    still_open = ctx.items("open", "suggested")
    if still_open:
        names = ", ".join(f"{i.item.area} · {i.item.text}" for i in still_open)
        out.append(f"- Still to settle before this is done: {inline(names)}.\n")
    out.append("\n## Pros and Cons of the Options\n")
    for option in tree.options:
        out.append(f"\n### {inline(option.recommendation)}\n\n")
        if option.rationale:
            out.append(f"- Good, because: {inline(option.rationale)}\n")
        if option.use_case:
            out.append(f"- Fits: {inline(option.use_case)}\n")
        if option.node_id != chosen.node_id:
            out.append(f"- Not chosen: the need here is {inline(chosen.condition)}, "
                       f"not {inline(option.condition)}\n")
    return "".join(out)


def draft(ctx: DeliveryContext, phase: str, folder: str, root: Path) -> list[Draft]:
    """One draft per settled decision; none when the session settled nothing."""
    existing = existing_records(root / folder / FOLDER)
    return [
        Draft(kind="adr", phase=phase, path=f"{folder}/{FOLDER}/{record.file}",
              text=_text(record, ctx, phase),
              title=f"ADR-{record.number:04d}: {record.choice.option.recommendation}")
        for record in _records(ctx, existing)
    ]


def check(text: str, expected: Draft) -> str | None:
    """A model's record must keep the sections, the status and every option it compares."""
    missing = missing_headings(text, SECTIONS)
    if missing:
        return f"the decision record lacks the section(s): {', '.join(missing)}"
    if not re.search(r"^\s*-?\s*status\s*:", text, re.IGNORECASE | re.MULTILINE):
        return "the decision record has no status line"
    outcome = text.lower().split("decision outcome", 1)[-1]
    names = re.findall(r"^- \*\*(.+?)\*\* —", expected.text, re.MULTILINE)
    chosen = re.search(r"Chosen option: \*\*(.+?)\*\*", expected.text)
    if chosen and chosen.group(1).lower() not in outcome:
        return f"the decision record does not name the chosen option {chosen.group(1)}"
    missing_options = [n for n in names if n.lower() not in text.lower()]
    if missing_options:
        return f"the decision record leaves out option(s): {', '.join(missing_options)}"
    return None
