"""Playbook cards: Markdown files with YAML frontmatter, bundled and the user's own.

A card is read with the agent-file parser, so it fails the same way an agent file does: a
broken card becomes one problem line ("path:line: what") and every other card still loads.
A user card with the same file name as a bundled one replaces it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ConfigDict

from agent.lazy_model import LazyModel
from agent.persona.agentfile import AgentFile, AgentFileError, load_agent_file, plain_text

BUNDLED_CARDS = Path(__file__).parent / "cards"
USER_FOLDER = "playbook"  # under the config dir

# Section titles (lower case) -> the part of the card they hold.
SECTION_KEYS = {
    "when it applies": "when",
    "how to do it": "how",
    "pitfalls": "pitfalls",
    "how to check it": "check",
    "by phase": "phases",
    "sketch": "sketch",
}
_PHASE_LINE = re.compile(r"^\s*[-*]\s+\*\*(?P<phase>[^*]{1,60})\*\*\s*:\s*(?P<note>.+)$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")


class Card(LazyModel):
    """One card: what to do about one backend topic, with notes per workflow phase."""

    model_config = ConfigDict(frozen=True)
    id: str  # the file name without .md
    title: str
    tags: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()  # checklist item texts it covers ("Rate limiting")
    trees: tuple[str, ...] = ()  # decision-tree ids it relates to
    decides: str = ""  # the tree whose decision this card is about, if any
    when: str = ""
    how: tuple[str, ...] = ()  # list items, markup kept
    pitfalls: tuple[str, ...] = ()
    check: tuple[str, ...] = ()
    phases: dict[str, str] = {}  # lower-case phase name -> note
    sketch: str = ""  # a fenced code block, as written
    source: str = ""  # the file it came from
    bundled: bool = True

    def phase_note(self, phase: str) -> str:
        return self.phases.get(phase.strip().lower(), "")


def _texts(value: Any, key: str, path: str, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or any(isinstance(v, dict | list) for v in value):
        raise AgentFileError(path, line, f"{key} must be a list such as [caching, redis]")
    return tuple(str(v).strip() for v in value if v is not None and str(v).strip())


def _items(text: str) -> tuple[str, ...]:
    """List items of a section (a continuation line joins its item); prose as one item."""
    items: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if _LIST_ITEM.match(line):
            items.append(_LIST_ITEM.sub("", line, count=1).strip())
        elif items:
            items[-1] += " " + line.strip()
        else:
            items.append(line.strip())
    return tuple(items)


def card_from_agent_file(agent_file: AgentFile, *, bundled: bool) -> Card:
    """The card a parsed file describes; AgentFileError when it is not a usable card."""
    path = agent_file.path
    extra = agent_file.frontmatter.extra
    title = extra.get("title") or agent_file.frontmatter.name
    if not isinstance(title, str) or not title.strip():
        raise AgentFileError(path, 1, "a playbook card needs a 'title: ...' line in its frontmatter")
    parts: dict[str, str] = {}
    for section in agent_file.all_sections():
        key = SECTION_KEYS.get(section.title.strip().lower())
        if key is not None:
            parts[key] = section.text.strip()
    if "how" not in parts:
        raise AgentFileError(path, None, "a playbook card needs a '## How to do it' section")
    phases: dict[str, str] = {}
    for line in parts.get("phases", "").splitlines():
        match = _PHASE_LINE.match(line)
        if match:
            phases[plain_text(match["phase"]).strip().lower()] = match["note"].strip()
    decides = extra.get("decides") or ""
    if not isinstance(decides, str):
        raise AgentFileError(path, 1, "decides must be one decision-tree id")
    return Card(
        id=Path(path).stem,
        title=title.strip(),
        tags=_texts(extra.get("tags"), "tags", path, 1),
        checklist=_texts(extra.get("checklist"), "checklist", path, 1),
        trees=_texts(extra.get("trees"), "trees", path, 1),
        decides=decides.strip(),
        when=" ".join(parts.get("when", "").split()),
        how=_items(parts["how"]),
        pitfalls=_items(parts.get("pitfalls", "")),
        check=_items(parts.get("check", "")),
        phases=phases,
        sketch=parts.get("sketch", ""),
        source=path,
        bundled=bundled,
    )


def load_card(path: str | Path, *, bundled: bool = False) -> Card:
    """Read one card; AgentFileError (one line: path, line, what) when it is broken."""
    return card_from_agent_file(load_agent_file(path), bundled=bundled)


def _files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.glob("*.md") if p.is_file())
    except OSError:
        return []


def load_cards(
    folders: Sequence[Path] | None = None, *, user_folder: Path | None = None,
    problems: list[str] | None = None,
) -> list[Card]:
    """The bundled cards (or `folders`), then the user's; broken files become problem lines."""
    found: dict[str, Card] = {}
    sources = [(f, True) for f in (folders if folders is not None else [BUNDLED_CARDS])]
    if user_folder is not None:
        sources.append((user_folder, False))
    for folder, bundled in sources:
        for file in _files(folder):
            try:
                card = load_card(file, bundled=bundled)
            except AgentFileError as exc:
                if problems is not None:
                    problems.append(f"playbook card {exc}")
                continue
            found[card.id] = card  # a user card replaces the bundled one of the same name
    return list(found.values())
