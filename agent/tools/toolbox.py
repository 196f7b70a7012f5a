"""Runs one model tool call: parse its arguments, ask when the tool changes things, run it.

The permission rules (as OpenCode's `permission` ask/allow): read/grep/glob and MCP tools a
server marks read-only run without asking; everything else asks the approver — allow once,
allow for this session (remembered per tool), or deny. With no approver the answer is deny,
never yes. Every failure becomes a result the model reads; nothing here raises except
CancelledError.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import ConfigDict

from agent.lazy_model import LazyModel
from agent.tools.base import Approver, PermissionRequest, ToolContext, ToolSpec
from agent.tools.root import ProjectRoot, ToolError

ToolStatus = Literal["ok", "error", "denied"]
DecisionTaken = Literal["auto", "once", "session", "remembered", "agent file", "deny"]


class ToolCallOutcome(LazyModel):
    model_config = ConfigDict(frozen=True)
    status: ToolStatus
    decision: DecisionTaken
    summary: str  # one line for the chat block
    content: str  # what the model receives as the tool message


def parse_arguments(raw: str) -> dict[str, Any]:
    """The call's JSON arguments as a dict; ToolError (seen by the model) when malformed."""
    if raw is None or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        shown = raw if len(raw) <= 200 else raw[:200] + "..."
        raise ToolError(f"The arguments were not valid JSON ({exc}): {shown!r}. Send one JSON "
                        "object matching the tool's parameters.") from None
    if not isinstance(value, dict):
        raise ToolError("The arguments must be a JSON object matching the tool's parameters.")
    return value


class Toolbox:
    """The tools offered in one answer: the persona's built-ins plus any connected MCP tools."""

    def __init__(
        self,
        root: ProjectRoot,
        specs: Sequence[ToolSpec] = (),
        more: Callable[[], Sequence[ToolSpec]] | None = None,
        *,
        secrets: Sequence[str] = (),
        mask: Callable[[str], str] | None = None,
    ) -> None:
        self.root = root
        self.secrets = tuple(s for s in secrets if s)
        self._mask = mask  # the configured key out of every result (it is recorded)
        self._specs = list(specs)
        self._more = more

    def specs(self) -> list[ToolSpec]:
        extra = list(self._more()) if self._more is not None else []
        names = {s.name for s in self._specs}
        return self._specs + [s for s in extra if s.name not in names]

    def definitions(self) -> list[dict[str, Any]]:
        return [spec.definition() for spec in self.specs()]

    def get(self, name: str) -> ToolSpec | None:
        return next((s for s in self.specs() if s.name == name), None)

    def describe(self, name: str, raw_arguments: str) -> str:
        """The one line shown while a call runs, e.g. "read notes.txt"."""
        spec = self.get(name)
        try:
            args = parse_arguments(raw_arguments)
        except ToolError:
            return f"{name} (unreadable arguments)"
        if spec is None:
            return f"{name} (unknown tool)"
        try:
            return spec.describe(args, ToolContext(self.root, self.secrets))
        except Exception:  # noqa: BLE001 - a label must never end the answer
            return name

    def mask(self, text: str) -> str:
        """`text` with the configured key masked (for anything about a call that is recorded)."""
        return self._mask(text) if self._mask is not None else text

    async def run(self, name: str, raw_arguments: str, **kwargs: Any) -> ToolCallOutcome:
        """Run one call (see `_run`); what it returns has the configured key masked."""
        outcome = await self._run(name, raw_arguments, **kwargs)
        if self._mask is None:
            return outcome
        return outcome.model_copy(update={"content": self._mask(outcome.content),
                                          "summary": self._mask(outcome.summary)})

    async def _run(
        self,
        name: str,
        raw_arguments: str,
        *,
        approver: Approver | None,
        allowed: set[str],
        preapproved: frozenset[str] = frozenset(),
    ) -> ToolCallOutcome:
        """Run one call. `allowed` holds tools the user allowed for this session (updated);
        `preapproved`, tools the agent file's `permission` map allows without asking."""
        spec = self.get(name)
        if spec is None:
            offered = ", ".join(s.name for s in self.specs()) or "none"
            return _error(f"Unknown tool '{name}'. Tools offered: {offered}.",
                          f"{name}: unknown tool")
        ctx = ToolContext(self.root, self.secrets)
        try:
            args = parse_arguments(raw_arguments)
        except ToolError as exc:
            return _error(str(exc), f"{name}: arguments were not valid JSON")
        decision: DecisionTaken = "auto"
        # With the root at $HOME or /, reading asks too: that much of the disk is not a project.
        if spec.needs_approval or (self.root.broad and not spec.server):
            if name in preapproved:
                decision = "agent file"
            elif name in allowed:
                decision = "remembered"
            else:
                try:
                    # In a thread: the preview reads the file, which must never stall the
                    # screen (a slow disk, a huge file).
                    request = (await asyncio.to_thread(spec.preview, args, ctx)
                               if spec.preview is not None
                               else PermissionRequest(tool=name, arguments=args,
                                                      title=spec.describe(args, ctx),
                                                      server=spec.server))
                except ToolError as exc:  # e.g. edit's old_string not found: no need to ask
                    return _error(str(exc), f"{spec.describe(args, ctx)}: {exc}")
                if approver is None:
                    return ToolCallOutcome(
                        status="denied", decision="deny",
                        summary=f"{request.title}: denied (no one to ask; run in a terminal "
                        "to be asked, or pass --yes)",
                        content=f"The user's permission was needed for {name} and could not be "
                        "asked (no interactive terminal), so the call was denied. Do not retry "
                        "it; say what you would change instead.",
                    )
                answer = await approver(request)
                if answer == "session":
                    allowed.add(name)
                    decision = "session"
                elif answer == "once":
                    decision = "once"
                else:
                    return ToolCallOutcome(
                        status="denied", decision="deny", summary=f"{request.title}: denied",
                        content=f"The user denied this {name} call; nothing was changed. Do "
                        "not retry it; ask the user or continue without it.",
                    )
        try:
            result = await spec.run(args, ctx)
        except ToolError as exc:
            return _error(str(exc), f"{spec.describe(args, ctx)}: {exc}", decision=decision)
        except Exception as exc:  # noqa: BLE001 - a broken tool is a result, not a crash
            return _error(f"The {name} tool failed: {type(exc).__name__}: {exc}",
                          f"{name}: failed ({type(exc).__name__})", decision=decision)
        return ToolCallOutcome(status="ok" if result.ok else "error", decision=decision,
                               summary=result.summary, content=result.content)


def _error(content: str, summary: str, *, decision: DecisionTaken = "auto") -> ToolCallOutcome:
    if len(summary) > 160:
        summary = summary[:157] + "..."
    return ToolCallOutcome(status="error", decision=decision, summary=summary,
                           content=f"Error: {content}")
