"""Write drafts into the project: confined to the root, asking before any overwrite.

The same permission flow as the edit tool: the approver sees the unified diff and answers
once / session / deny. A new file is written without asking (the user asked for the
documents); an existing one with other content is replaced only on "once" or "session", and a
denied or failed one is left exactly as it was. No approver (no terminal, no --yes) denies.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.atomic import write_atomic
from agent.export.deliverables.models import Draft, FileOutcome
from agent.text import safe_text
from agent.tools.base import Approver, PermissionRequest
from agent.tools.edit_tools import unified_diff
from agent.tools.root import ProjectRoot, ToolError


def _outcome(draft: Draft, status, note: str = "") -> FileOutcome:
    return FileOutcome(path=draft.path, kind=draft.kind, phase=draft.phase, status=status,
                       source=draft.source, note=note or draft.fallback)


async def write_drafts(drafts: Sequence[Draft], root: ProjectRoot,
                       approver: Approver | None) -> list[FileOutcome]:
    outcomes: list[FileOutcome] = []
    allow_rest = False
    for draft in drafts:
        try:
            target = root.resolve(draft.path)
            if root.in_git_dir(target):
                raise ToolError(f"'{draft.path}' is inside .git/; refused.")
        except ToolError as exc:
            outcomes.append(_outcome(draft, "failed", str(exc)))
            continue
        shown = root.rel(target)
        text = safe_text(draft.text)
        old: str | None = None
        if target.exists():
            try:
                old = target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or "not UTF-8 text"
                outcomes.append(_outcome(draft, "failed", f"cannot read the file there ({reason});"
                                         " left as it is"))
                continue
            if old == text:
                outcomes.append(_outcome(draft, "unchanged"))
                continue
            if not allow_rest:
                if approver is None:
                    outcomes.append(_outcome(draft, "denied", "exists and differs; not "
                                             "overwritten (answer the prompt, or pass --yes)"))
                    continue
                request = PermissionRequest(
                    tool="deliver", title=f"overwrite {shown}", path=shown,
                    arguments={"path": shown}, diff=unified_diff(old, text, shown))
                decision = await approver(request)
                if decision == "deny":
                    outcomes.append(_outcome(draft, "denied", "you kept the file as it is"))
                    continue
                allow_rest = decision == "session"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)  # docs/adr/ on first use
            write_atomic(target, text)
        except OSError as exc:
            outcomes.append(_outcome(draft, "failed",
                                     f"cannot write ({exc.strerror or type(exc).__name__})"))
            continue
        outcomes.append(_outcome(draft, "created" if old is None else "updated"))
    return outcomes
