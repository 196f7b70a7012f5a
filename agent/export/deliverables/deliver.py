"""One delivery: the phases' drafts built from the session, maybe redrafted by a model, written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from agent.export.deliverables import adr, openapi, plan, prd, stories, stubs
from agent.export.deliverables.context import DeliveryContext, build_context
from agent.export.deliverables.drafting import Check, model_drafts
from agent.export.deliverables.gaps import gaps
from agent.export.deliverables.models import DeliveryReport, Draft
from agent.export.deliverables.phases import NAMES, kind_for, phases_to_deliver
from agent.export.deliverables.writer import write_drafts
from agent.llm.base import Provider
from agent.persona.models import Persona, Phase
from agent.session.models import DeliverablesWritten, DeliveredFile, SessionState
from agent.tools.base import Approver
from agent.tools.root import ProjectRoot

DEFAULT_FOLDER = "docs"

def _checks(ctx: DeliveryContext) -> dict[str, Check]:
    return {
        "prd": lambda text, draft: prd.check(text, ctx),
        "adr": lambda text, draft: adr.check(text, draft),
        "openapi": lambda text, draft: openapi.check(text, ctx),
        "stories": lambda text, draft: stories.check(text, ctx),
        "plan": lambda text, draft: plan.check(text, ctx),
    }


def build_drafts(ctx: DeliveryContext, phases: Sequence[Phase], folder: str,
                 root: Path) -> list[Draft]:
    drafts: list[Draft] = []
    for phase in phases:
        kind = kind_for(phase.name)
        if kind == "prd":
            drafts.append(prd.draft(ctx, phase.name, folder))
        elif kind == "adr":
            drafts.extend(adr.draft(ctx, phase.name, folder, root))
        elif kind == "openapi":
            drafts.append(openapi.draft(ctx, phase.name, folder))
            drafts.extend(stubs.drafts(ctx, phase.name, folder))
        elif kind == "stories":
            drafts.append(stories.draft(ctx, phase.name, folder))
        elif kind == "plan":
            drafts.append(plan.draft(ctx, phase.name, folder))
    return drafts


def phase_warning(state: SessionState, persona: Persona, phase: str) -> str:
    """'' when the phase's document lacks nothing, else one line saying what it lacks."""
    kind = kind_for(phase)
    if kind is None:
        return ""
    missing = gaps(build_context(state, persona), kind)
    if not missing:
        return ""
    return (f"Moving on from {phase} — still missing from its {NAMES[kind]}: "
            f"{'; '.join(missing)}. "
            f"Going on anyway — /phase prev goes back, /deliver {phase} writes what there is.")


def _folder(folder: str) -> str:
    cleaned = "/".join(p for p in folder.replace("\\", "/").split("/") if p not in ("", "."))
    return cleaned or "."


async def deliver(*, state: SessionState, persona: Persona, root: ProjectRoot,
                  phase: str | None = None, folder: str = DEFAULT_FOLDER,
                  provider: Provider | None = None,
                  approver: Approver | None = None) -> DeliveryReport:
    """Draft and write the documents. Raises WorkflowError for an unknown phase name."""
    phases = phases_to_deliver(persona.phases, state.phase, phase)
    ctx = build_context(state, persona)
    folder = _folder(folder)
    report = DeliveryReport(root=str(root.path), phases=[p.name for p in phases])
    drafts = build_drafts(ctx, phases, folder, root.path)
    for p in phases:
        kind = kind_for(p.name)
        if kind is None:
            report.problems.append(f"{p.name}: this phase has no document to write.")
        elif kind == "adr" and not any(d.kind == "adr" for d in drafts):
            report.problems.append(f"{p.name}: no decision record yet — no branch of a "
                                   "decision tree was chosen or pointed to.")
    if drafts and provider is not None and getattr(provider, "name", "offline") != "offline":
        drafts = await model_drafts(provider, drafts, ctx, _checks(ctx))
    report.files = await write_drafts(drafts, root, approver)
    return report


def record(report: DeliveryReport) -> DeliverablesWritten:
    """The session event for a delivery."""
    return DeliverablesWritten(
        root=report.root, phases=report.phases,
        files=[DeliveredFile(**f.model_dump()) for f in report.files],
    )
