"""The one command registry: /help, F1, the palette and Tab completion all read it."""

from __future__ import annotations

import pytest

from agent import commands
from agent.command_results import CommandResult, Exported, OpenSessions, ShowHelp
from agent.commands import COMMANDS, help_lines, palette_entries
from agent.copilot import Copilot


@pytest.fixture
def copilot():
    copilot = Copilot.start(cli={"provider": "offline", "stream_delay": 0})
    yield copilot
    copilot.session.close()


def test_every_command_is_in_help_and_completion_and_runs(copilot):
    usages = [usage for usage, _ in help_lines()]
    names = copilot.command_names()
    for command in COMMANDS:
        assert command.usage in usages
        assert any(n == f"/{command.name}" or n.startswith(f"/{command.name} ") for n in names)
        result = copilot.run_command(f"/{command.name}")
        assert "Unknown command" not in result.message


def test_every_palette_entry_runs_a_registered_command(copilot):
    entries = palette_entries()
    assert {e.title for e in entries} >= {"Export session as Markdown", "Phase: next", "New session"}
    for entry in entries:
        assert entry.line.split()[0][1:] in {c.name for c in COMMANDS}


def test_results_are_typed(copilot, tmp_path):
    assert isinstance(copilot.run_command("/help"), ShowHelp)
    assert isinstance(copilot.run_command("/sessions"), OpenSessions)
    copilot._record_user_message("hello")
    exported = copilot.run_command(f"/export md {tmp_path / 'out.md'}")
    assert isinstance(exported, Exported) and (tmp_path / "out.md").exists()


def test_unknown_command_suggests_a_close_one(copilot):
    result = copilot.run_command("/expor md")
    assert not result.ok and "/export" in result.message


def test_a_registered_command_appears_everywhere(copilot, monkeypatch):
    extra = commands.Command(
        "ping", "/ping", "answer pong", lambda c, a: CommandResult(message="pong"),
        palette=(commands.PaletteEntry("Ping", "say pong", "/ping"),),
    )
    monkeypatch.setattr(commands, "COMMANDS", (*commands.COMMANDS, extra))
    monkeypatch.setattr(commands, "_BY_NAME", {**commands._BY_NAME, "ping": extra})
    assert ("/ping", "answer pong") in help_lines()
    assert "/ping" in copilot.command_names()
    assert any(e.title == "Ping" for e in palette_entries())
    assert copilot.run_command("/ping").message == "pong"
