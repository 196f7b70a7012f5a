"""What crosses the deliverables' boundaries: resources, drafts, and what a delivery wrote.

Drafts are built in memory (offline from the session, or by a model and then checked) and
only then written; the report says per file what happened, so the CLI, the app and the
session event all tell the same story.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from agent.lazy_model import LazyModel

Operation = Literal["list", "create", "get", "update", "delete"]
OPERATIONS: tuple[Operation, ...] = ("list", "create", "get", "update", "delete")
DocumentKind = Literal["prd", "adr", "openapi", "asyncapi", "proto", "stories", "plan"]


class Resource(LazyModel):
    """A REST resource the user named, with the operations they named on it."""

    model_config = ConfigDict(frozen=True)
    name: str  # plural, lower case: "orders"
    operations: tuple[Operation, ...] = ()
    actor: str = ""  # who does it, when the words said ("customers")
    words: str = ""  # the words it came from, for the documents' traceability


class Draft(LazyModel):
    """One file a phase delivers, ready to be written."""

    kind: DocumentKind
    phase: str  # the workflow phase it belongs to
    path: str  # relative to the project root, '/' separators
    text: str
    title: str = ""
    source: Literal["offline", "model"] = "offline"
    fallback: str = ""  # why the model's draft was not used ("" when it was, or offline)


FileStatus = Literal["created", "updated", "unchanged", "denied", "failed"]


class FileOutcome(LazyModel):
    path: str
    kind: DocumentKind
    phase: str
    status: FileStatus
    source: Literal["offline", "model"] = "offline"
    note: str = ""  # the fallback reason, or why a write failed


class DeliveryReport(LazyModel):
    """Everything one `deliver` did, in order."""

    root: str
    phases: list[str] = Field(default_factory=list)
    files: list[FileOutcome] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)  # one line each

    @property
    def written(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status in ("created", "updated")]

    def lines(self) -> list[str]:
        """One line per file and problem, for the terminal and the app."""
        out = []
        for f in self.files:
            how = " (drafted by the model)" if f.source == "model" else ""
            note = f" — {f.note}" if f.note else ""
            out.append(f"{f.status} {f.path}{how}{note}")
        out.extend(self.problems)
        return out
