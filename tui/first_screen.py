"""The first screen of the last new session, remembered so the next start draws it at once.

Why: a new session's screen needs the co-pilot (settings, persona, session), and loading it
imports pydantic and the agent's models, about 100 ms after the first frame. That screen
depends only on the inputs `agent.start_inputs.first_screen_key` hashes (code, settings,
persona files, project files), so when the key is the same as last time, the panels, the
header and the welcome are drawn from what was shown then, and the co-pilot loads after
that paint and draws the same screen again from the session. A different key, a missing or
damaged file: nothing is drawn from it, and the start is as without it.

The file holds what the screen showed (persona rows, header fields, MCP rows), never a
message or a key; it lives in the data folder, 0600, written whole or not at all. Its fields
are plain data checked by hand (no pydantic here: avoiding it is the point).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent import paths
from agent.atomic import write_atomic
from tui.widgets.mcp import McpRow
from tui.widgets.panel_view import PanelPersona, checked_fields

SCREEN_FILE = "first-screen.json"
FORMAT = 1
MAX_BYTES = 2 * 1024 * 1024  # a persona's panels are tens of kB; anything far larger is not ours
_NESTED = ("instructions", "keywords", "panels", "mcp")  # the fields that are not str/bool


@dataclass(frozen=True, slots=True)
class FirstScreen:
    """What a new session's start draws: the header's fields, the input's persona hint, the
    side panels, the MCP rows, the welcome's connect hint and the theme."""

    theme: str
    title: str
    persona: str
    mode: str
    active: bool
    provider: str
    model: str
    keywords: tuple[str, ...]
    persona_title: str
    bundled: bool
    phase: str
    hint: str
    instructions: tuple[str, ...] = ()
    panels: PanelPersona = field(default_factory=lambda: PanelPersona(key=""))
    mcp: tuple[McpRow, ...] = ()

    def header_fields(self) -> dict[str, Any]:
        """The arguments of CopilotHeader.show."""
        return {"title": self.title, "persona": self.persona, "mode": self.mode,
                "active": self.active, "provider": self.provider, "model": self.model,
                "instructions": self.instructions}

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: Any) -> FirstScreen:
        """Raises ValueError when `data` is not what `to_data` wrote."""
        values = checked_fields(cls, data, skip=_NESTED)
        for name in ("instructions", "keywords"):
            value = data.get(name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{name} is not a list of strings")
            values[name] = tuple(value)
        if not isinstance(data.get("mcp"), list):
            raise ValueError("mcp is not a list")
        return cls(**values, panels=PanelPersona.from_data(data.get("panels")),
                   mcp=tuple(McpRow.from_data(row) for row in data["mcp"]))


class RememberedScreen:
    """The remembered screen of one way of starting (these arguments, in this folder)."""

    def __init__(self, cli: Mapping[str, Any], agent_paths: Sequence[str], *,
                 file: Path | None = None) -> None:
        self.cli = dict(cli)
        self.agent_paths = list(agent_paths)
        self.file = file if file is not None else paths.data_dir() / SCREEN_FILE
        self.key = ""
        self.loaded: FirstScreen | None = None

    def load(self) -> FirstScreen | None:
        """The screen remembered under this start's key, or None. Never raises."""
        from agent.start_inputs import first_screen_key
        from tui.prefs import prefs_path

        # Taken before the co-pilot reads its inputs: a file changed meanwhile is saved under
        # the older key, which the next start (reading the newer file) does not match.
        self.key = first_screen_key(self.cli, self.agent_paths, more_files=(prefs_path(),))
        try:
            if self.file.stat().st_size > MAX_BYTES:
                return None
            data = json.loads(self.file.read_text(encoding="utf-8"))
            if (not isinstance(data, dict) or data.get("format") != FORMAT
                    or data.get("key") != self.key):
                return None
            self.loaded = FirstScreen.from_data(data.get("screen"))
        except (OSError, ValueError, UnicodeError, TypeError, RecursionError):
            return None
        return self.loaded

    def save(self, screen: FirstScreen) -> str | None:
        """Remember `screen` for the next start with the same key (nothing when it is what
        was loaded). None when done, else one line saying why not."""
        if not self.key or screen == self.loaded:
            return None
        text = json.dumps({"format": FORMAT, "key": self.key, "screen": screen.to_data()},
                          ensure_ascii=False)
        try:
            paths.ensure_dir(self.file.parent)
            write_atomic(self.file, text, mode=paths.FILE_MODE)
        except OSError as exc:
            return f"Could not remember the first screen in {self.file} ({exc.strerror or exc})."
        self.loaded = screen
        return None


__all__ = ["FORMAT", "SCREEN_FILE", "FirstScreen", "RememberedScreen"]
