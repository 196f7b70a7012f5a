"""What a phase's document still lacks: shown as a warning when the workflow moves on."""

from __future__ import annotations

from agent.export.deliverables.context import DeliveryContext
from agent.export.deliverables.models import DocumentKind
from agent.export.deliverables.openapi import security_schemes

MAX_NAMED = 4


def _open_security(ctx: DeliveryContext) -> str:
    still = ctx.items("open", "suggested")
    if not still:
        return ""
    names = ", ".join(e.item.text for e in still[:MAX_NAMED])
    more = f" and {len(still) - MAX_NAMED} more" if len(still) > MAX_NAMED else ""
    return f"{len(still)} open security item{'s' if len(still) != 1 else ''} ({names}{more})"


def gaps(ctx: DeliveryContext, kind: DocumentKind) -> list[str]:
    out: list[str] = []
    if kind == "prd" and not ctx.user_words:
        out.append("the problem is not stated yet")
    if kind == "adr":
        # A tree the talk points to but nobody settled is a gap; trees nobody talked about are
        # not (a persona may carry many), unless no decision at all has been made yet.
        any_decided = any(d.history for d in ctx.decisions)
        for index, d in enumerate(ctx.decisions):
            if d.history or not (d.current or (index == 0 and not any_decided)):
                continue
            pointed = (f" (the talk points to {d.current.option.recommendation})"
                       if d.current else "")
            out.append(f"no decision chosen yet for {d.tree.question}{pointed}")
    if kind in ("openapi", "stories") and not ctx.resources:
        out.append("no resource named (say e.g. 'customers create orders', or /resource NAME)")
    if kind == "openapi" and not security_schemes(ctx):
        out.append("no security scheme settled (JWT or OAuth2/OIDC on the checklist)")
    if kind in ("adr", "plan"):
        still = _open_security(ctx)
        if still:
            out.append(still)
    return out
