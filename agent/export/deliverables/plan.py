"""Implementation phase: ordered tasks, each with the checklist items it must satisfy.

Evidence comes from the checklist: the words that ticked or suggested an item. SEAM: the
project audit (agent/audit/) will add file-level evidence to checklist entries; it shows here
with no change, through `ItemState.evidence`.
"""

from __future__ import annotations

import re

from agent.export.deliverables.context import DeliveryContext, ItemState
from agent.export.deliverables.models import Draft
from agent.export.deliverables.text import header, inline

PATH = "plan.md"
_MARK = {"done": "x", "suggested": " ", "open": " "}


def _item_line(entry: ItemState) -> str:
    state = {"done": "done", "suggested": "suggested, not settled", "open": "open"}[entry.state]
    evidence = f"; evidence: {entry.evidence}" if entry.evidence else ""
    return (f"- [{_MARK[entry.state]}] {inline(entry.item.area)} · {inline(entry.item.text)} "
            f"({inline(state + evidence)})\n")


def draft(ctx: DeliveryContext, phase: str, folder: str) -> Draft:
    tasks: list[tuple[str, str, list[ItemState]]] = []
    by_area: dict[str, list[ItemState]] = {}
    for entry in ctx.checklist:
        by_area.setdefault(entry.item.area.lower(), []).append(entry)

    def area(*names: str) -> list[ItemState]:
        return [e for name in names for e in by_area.get(name, [])]

    unsettled = [d for d in ctx.decisions if not d.history]
    if unsettled:
        names = "; ".join(d.tree.question for d in unsettled)
        tasks.append(("Settle the open decisions", f"Choose a branch for: {names}; record it "
                      "as an ADR (docs/adr/).", []))
    resources = ", ".join(r.name for r in ctx.resources) or "the resources (none named yet)"
    tasks.append(("Data model and storage", f"Tables or collections for {resources}, with "
                  "migrations; writes that touch several records run in one transaction.",
                  area("data protection")))
    tasks.append(("Authentication and authorization", "Verify identity on every request and "
                  "check roles before any business rule.", area("authentication")))
    for r in ctx.resources:
        tasks.append((f"Endpoints for {r.name}", f"{', '.join(r.operations)} as in the contract "
                      "(docs/api/openapi.yaml), with cursor pagination and problem-details "
                      "errors.", area("input validation")))
    tasks.append(("API protection", "Rate limits, security headers and CORS at the edge.",
                  area("api security")))
    targets = "; ".join(f"{s.name} {s.target}" for s in ctx.standards)
    tasks.append(("Observability and reliability", "Metrics, logs and alerts that show the "
                  f"targets are met{': ' + targets if targets else ''}.", []))
    tasks.append(("Contract and acceptance tests", "Test every story's Given/When/Then "
                  "(docs/stories.md) against the running service.", []))
    out = [header(f"Implementation plan — {ctx.title or 'untitled'}", phase, ctx.session_id)]
    out.append("Tasks in order; each lists the checklist items it must satisfy.\n")
    for number, (title, what, items) in enumerate(tasks, start=1):
        out.append(f"\n## {number}. {inline(title)}\n\n{inline(what)}\n")
        if items:
            out.append("\nMust satisfy:\n\n")
            out.extend(_item_line(e) for e in items)
    return Draft(kind="plan", phase=phase, path=f"{folder}/{PATH}", text="".join(out),
                 title="Implementation plan")


def check(text: str, ctx: DeliveryContext) -> str | None:
    if len(re.findall(r"^##\s+\d+\.", text, re.MULTILINE)) < 2:
        return "the plan has fewer than two numbered tasks ('## 1. ...')"
    return None
