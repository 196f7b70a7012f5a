"""Workflow phase state: which phase the work is in and the persona's role there.

Pure and I/O-free: the Session records PhaseChanged events, this only answers "where are we
and where can we go".
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from agent.errors import WorkflowError
from agent.persona.models import Phase
from agent.session.models import PhaseChanged


class Workflow:
    def __init__(self, phases: Sequence[Phase], current: str | None = None) -> None:
        """Start at `current` (a phase name), else the first phase.

        A saved name that no longer matches (the persona file changed) falls back to the first
        phase rather than refusing to resume.
        """
        self.phases: tuple[Phase, ...] = tuple(phases)
        self._index = 0 if self.phases else -1
        if current:
            with contextlib.suppress(WorkflowError):
                self._index = self._find(current)

    # -- reading ---------------------------------------------------------------------------

    @property
    def current(self) -> Phase | None:
        return self.phases[self._index] if self._index >= 0 else None

    @property
    def current_name(self) -> str:
        return self.current.name if self.current else ""

    @property
    def index(self) -> int:
        """0-based position of the current phase; -1 when there are no phases."""
        return self._index

    @property
    def role(self) -> str:
        """The persona's role in the current phase ("Primary", "Supporting"), or ""."""
        return self.current.role if self.current else ""

    @property
    def at_start(self) -> bool:
        return self._index <= 0

    @property
    def at_end(self) -> bool:
        return self._index >= len(self.phases) - 1

    # -- moving ----------------------------------------------------------------------------

    def next(self) -> Phase | None:
        """Move one phase on; None (and no move) when already at the last phase."""
        if self.at_end:
            return None
        self._index += 1
        return self.current

    def prev(self) -> Phase | None:
        """Move one phase back; None (and no move) when already at the first phase."""
        if self.at_start:
            return None
        self._index -= 1
        return self.current

    def jump(self, name: str) -> Phase:
        """Go to a phase by name: case-insensitive, a unique prefix is enough ("arch")."""
        self._index = self._find(name)
        current = self.current
        assert current is not None
        return current

    def phase_event(self, previous: Phase | str | None = None) -> PhaseChanged:
        """The event recording a move from `previous` to the current phase."""
        if self.current is None:
            raise WorkflowError("This persona defines no workflow phases.")
        before = previous.name if isinstance(previous, Phase) else (previous or "")
        return PhaseChanged(phase=self.current.name, previous=before, role=self.current.role)

    # -- internals -------------------------------------------------------------------------

    def _find(self, name: str) -> int:
        if not self.phases:
            raise WorkflowError("This persona defines no workflow phases.")
        wanted = " ".join(name.split()).lower()
        names = [p.name.lower() for p in self.phases]
        if wanted in names:
            return names.index(wanted)
        matches = [i for i, n in enumerate(names) if wanted and n.startswith(wanted)]
        if len(matches) == 1:
            return matches[0]
        valid = ", ".join(p.name for p in self.phases)
        if matches:
            options = ", ".join(self.phases[i].name for i in matches)
            raise WorkflowError(f"Phase '{name}' is ambiguous ({options}); valid phases: {valid}.")
        raise WorkflowError(f"Unknown phase '{name}'; valid phases: {valid}.")
