"""Slash commands: the one registry every front end reads.

Each command is declared once in COMMANDS (its usage, help, handler, palette entries and
completions); /help, the command palette, F1 and Tab completion are all derived from it, so a
new command shows up everywhere without touching the front end. A handler returns a typed
result; the front end does what the result's type says.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent import command_handlers as h
from agent.command_results import CommandResult, Quit, ShowHelp, refused

if TYPE_CHECKING:
    from agent.copilot import Copilot


# -- the registry ---------------------------------------------------------------------------

Handler = Callable[["Copilot", list[str]], CommandResult]


@dataclass(frozen=True)
class PaletteEntry:
    title: str  # what the palette lists, e.g. "Export session as Markdown"
    help: str
    line: str  # the slash command it runs


@dataclass(frozen=True)
class Command:
    name: str  # "phase" for /phase
    usage: str  # "/phase next|prev|<name>"
    help: str
    handler: Handler
    palette: tuple[PaletteEntry, ...] = ()
    # complete lines worth offering for Tab; the usage's fixed words when left out
    completions: Callable[[Copilot], list[str]] | None = None
    extra_help: tuple[tuple[str, str], ...] = ()  # more usage lines shown in /help


def help_lines() -> list[tuple[str, str]]:
    """(usage, help) for /help and F1, in registry order."""
    lines: list[tuple[str, str]] = []
    for command in COMMANDS:
        lines.append((command.usage, command.help))
        lines.extend(command.extra_help)
    return lines


def palette_entries() -> list[PaletteEntry]:
    return [entry for command in COMMANDS for entry in command.palette]


def command_names(copilot: Copilot) -> list[str]:
    """Every complete command line worth offering in completion, in a stable order."""
    names: list[str] = []
    for command in COMMANDS:
        if command.completions is not None:
            names += command.completions(copilot)
        else:
            names.append(f"/{command.name}")
    return names


def run_command(copilot: Copilot, line: str) -> CommandResult:
    try:
        words = line.split() if _free_text(line) else shlex.split(line.strip())
    except ValueError as exc:
        return refused(f"Could not read that command ({exc}); check the quotes.")
    if not words or not words[0].startswith("/"):
        return refused("Commands start with '/'. Type /help for the list.")
    name, args = words[0][1:].lower(), words[1:]
    command = _BY_NAME.get(name)
    if command is None:
        close = [c for c in _BY_NAME if c.startswith(name[:2])] if name else []
        hint = f" Did you mean /{close[0]}?" if close else ""
        return refused(f"Unknown command /{name}.{hint} Type /help for the list.")
    return command.handler(copilot, args)


# -- the registry's own commands and parsing --------------------------------------------


def _free_text(line: str) -> bool:
    """Commands whose argument is prose (an apostrophe is not a quote there)."""
    return line.strip().lower().split(maxsplit=1)[0] in ("/title",) if line.strip() else False


def _help(copilot: Copilot, args: list[str]) -> CommandResult:
    return ShowHelp(lines=help_lines())


def _quit(copilot: Copilot, args: list[str]) -> CommandResult:
    return Quit()


P = PaletteEntry
COMMANDS: tuple[Command, ...] = (
    Command("phase", "/phase next|prev|<name>",
            "move through PRD → Architecture → … → Implementation", h.phase,
            palette=(P("Phase: next", "Move the workflow to the next phase", "/phase next"),
                     P("Phase: previous", "Move the workflow to the previous phase", "/phase prev")),
            completions=h.phase_lines),
    Command("persona", "/persona on|off|auto",
            "pin the persona on or off, or let the keywords decide", h.persona,
            palette=(
                P("Persona: automatic",
                  "Let the keywords pick the persona and switch it on and off", "/persona auto"),
                P("Persona: pin on", "Keep the persona shown now on", "/persona on"),
                P("Persona: pin off", "Keep every persona off", "/persona off"),
                P("Persona: list all",
                  "Every loaded persona with its keywords and current score", "/persona list"),
            ),
            completions=h.persona_lines,
            extra_help=(
                ("/persona <name>",
                 "pin that persona on (its panels, its prompt); /persona auto unpins"),
                ("/persona list", "the loaded personas with their keywords and current scores"),
            )),
    Command("check", "/check <item>", "tick or untick a checklist item (by its words)", h.check,
            completions=h.check_lines),
    Command("audit", "/audit",
            "tick the checklist from the project's own code, with evidence (path:line)", h.audit,
            palette=(P("Audit the project",
                       "Tick the checklist from the project's own code, with path:line evidence",
                       "/audit"),)),
    Command("probe", "/probe URL [-n N]",
            "measure one endpoint's latency (p50/p95/p99) for API Response", h.probe,
            completions=lambda copilot: ["/probe "]),
    Command("export", "/export md|json|html [PATH]", "write the whole session to a file", h.export,
            palette=(
                P("Export session as Markdown", "Write the whole session to a .md file", "/export md"),
                P("Export session as JSON", "Write the whole session to a .json file", "/export json"),
                P("Export session as HTML", "Write the whole session to an .html file", "/export html"),
                P("Export a brief",
                  "A short Markdown summary for a PR: decisions, open items, phase", "/export brief"),
            ),
            completions=h.export_lines,
            extra_help=(("/export brief [PATH]",
                         "a short Markdown brief: decisions, open checklist items, phase"),)),
    Command("deliver", "/deliver [PHASE]",
            "write the phases' documents into docs/ (asks before overwriting)", h.deliver,
            palette=(P("Deliver the phases' documents",
                       "Write PRD, ADRs, OpenAPI, stories and plan into docs/ "
                       "(asks before overwriting)", "/deliver"),),
            completions=h.deliver_lines),
    Command("resource", "/resource NAME [OPS]",
            "add an API resource by hand (ops: list create get update delete)", h.resource,
            completions=lambda copilot: ["/resource "]),
    Command("retry", "/retry", "answer your last message again (after an error or a stop)", h.retry,
            palette=(P("Retry the last message", "Ask the last question again", "/retry"),)),
    Command("compact", "/compact",
            "send the model a digest of the older turns instead of the turns themselves",
            h.compact,
            palette=(P("Compact the conversation",
                       "Send the model a digest of the older turns instead of them", "/compact"),)),
    Command("undo", "/undo",
            "put back the files the agent changed in its last answer (again: further back)",
            h.undo,
            palette=(P("Undo the agent's file changes",
                       "Put back the files the last answer changed (again: further back)",
                       "/undo"),)),
    Command("model", "/model [NAME]",
            "list the server's models, or switch to NAME for this session", h.model,
            palette=(P("List the server's models",
                       "Show the models the server offers (/model NAME switches)", "/model"),),
            completions=lambda copilot: ["/model", "/model "]),
    Command("new", "/new", "start a new session", h.new,
            palette=(P("New session", "Start a fresh conversation (this one stays saved)", "/new"),)),
    Command("title", "/title <new title>", "rename this session", h.title,
            completions=lambda copilot: ["/title "]),
    Command("sessions", "/sessions", "open, rename (r) or delete (d) a saved session", h.sessions,
            palette=(P("Resume a session", "Open, rename or delete a saved session",
                       "/sessions"),),
            completions=lambda copilot: ["/sessions", "/sessions rename ", "/sessions delete "],
            extra_help=(("/sessions rename|delete ID [TITLE]",
                         "rename or delete a saved session by its id"),)),
    Command("help", "/help", "this list", _help),
    Command("quit", "/quit", "leave (the session is already saved)", _quit),
)
_BY_NAME = {command.name: command for command in COMMANDS}
