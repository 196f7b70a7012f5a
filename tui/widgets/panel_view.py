"""What the side panels show of a persona, as plain frozen data.

Why not the Persona model itself: the panels are on the first screen, and a start that
remembers the last one (tui/first_screen.py) draws them before pydantic is imported. The same
rows are drawn live and remembered, so both starts show the same panels by construction.
`from_data` checks every field's type: a remembered file is outside input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from agent.persona.models import Persona

Row = TypeVar("Row")
_TYPES = {"str": str, "bool": bool}


@dataclass(frozen=True, slots=True)
class PhaseRow:
    name: str
    primary: bool
    contribution: str = ""


@dataclass(frozen=True, slots=True)
class OptionRow:
    node_id: str
    condition: str
    recommendation: str
    use_case: str = ""
    rationale: str = ""


@dataclass(frozen=True, slots=True)
class TreeRows:
    id: str
    title: str
    root: str
    question: str
    options: tuple[OptionRow, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: str
    area: str
    text: str


@dataclass(frozen=True, slots=True)
class ChecklistRows:
    id: str
    title: str
    items: tuple[ItemRow, ...] = ()

    def areas(self) -> list[str]:
        """The items' areas in their first order."""
        return list(dict.fromkeys(item.area for item in self.items))


@dataclass(frozen=True, slots=True)
class PanelPersona:
    """The persona as the workflow, decision-tree and checklist panels draw it."""

    key: str  # which persona: a panel rebuilds its tree when this changes
    phases: tuple[PhaseRow, ...] = ()
    decision_trees: tuple[TreeRows, ...] = ()
    checklists: tuple[ChecklistRows, ...] = ()

    @classmethod
    def of(cls, persona: Persona) -> PanelPersona:
        return cls(
            key=persona.source_path + persona.name,
            phases=tuple(PhaseRow(p.name, p.primary, p.contribution) for p in persona.phases),
            decision_trees=tuple(
                TreeRows(t.id, t.title, t.root, t.question, tuple(
                    OptionRow(o.node_id, o.condition, o.recommendation, o.use_case, o.rationale)
                    for o in t.options))
                for t in persona.decision_trees),
            checklists=tuple(
                ChecklistRows(c.id, c.title, tuple(ItemRow(i.id, i.area, i.text) for i in c.items))
                for c in persona.checklists),
        )

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: Any) -> PanelPersona:
        """Raises ValueError when `data` is not what `to_data` wrote."""
        if not isinstance(data, dict) or not isinstance(data.get("key"), str):
            raise ValueError("not a panel persona")
        return cls(
            key=data["key"],
            phases=_rows(PhaseRow, data.get("phases")),
            decision_trees=tuple(
                TreeRows(**checked_fields(TreeRows, t, skip=("options",)),
                         options=_rows(OptionRow, t.get("options")))
                for t in _list(data.get("decision_trees"))),
            checklists=tuple(
                ChecklistRows(**checked_fields(ChecklistRows, c, skip=("items",)),
                              items=_rows(ItemRow, c.get("items")))
                for c in _list(data.get("checklists"))),
        )


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


def checked_fields(cls: type, data: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The str/bool fields of a dataclass read back from JSON, each checked against its
    declared type (ValueError when one is missing or of another type); `skip` names the
    fields the caller reads itself."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a {cls.__name__}")
    values = {}
    for field in fields(cls):
        if field.name in skip:
            continue
        value = data.get(field.name, field.default)
        if not isinstance(value, _TYPES[str(field.type)]):
            raise ValueError(f"{cls.__name__}.{field.name} is not a {field.type}")
        values[field.name] = value
    return values


def _rows(cls: type[Row], data: Any) -> tuple[Row, ...]:
    return tuple(cls(**checked_fields(cls, item)) for item in _list(data))


__all__ = ["ChecklistRows", "ItemRow", "OptionRow", "PanelPersona", "PhaseRow", "TreeRows",
           "checked_fields"]
