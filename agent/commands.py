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

from pydantic import BaseModel, Field

from agent.errors import ExportError, WorkflowError
from agent.persona.library import PersonaInfo
from agent.persona.workflow import Workflow

if TYPE_CHECKING:
    from agent.copilot import Copilot


# -- results: the front end acts on the type ------------------------------------------------


class CommandResult(BaseModel):
    """Done; `message` (if any) is shown as a hint. ok=False: refused, `message` says why."""

    ok: bool = True
    message: str = ""


class Exported(CommandResult):
    path: str


class NewSession(CommandResult):
    pass


class RetryLast(CommandResult):
    pass


class OpenSessions(CommandResult):
    pass


class ShowHelp(CommandResult):
    lines: list[tuple[str, str]] = Field(default_factory=list)


class ShowPersonas(CommandResult):
    lines: list[tuple[str, str]] = Field(default_factory=list)


class Quit(CommandResult):
    pass


class RunAudit(CommandResult):
    """The front end runs the project audit off the UI thread."""


class RunProbe(CommandResult):
    """The front end probes `url` with `requests` GETs off the UI thread."""

    url: str
    requests: int


class Deliver(CommandResult):
    """The front end runs `copilot.deliver(phase)` in a worker (it may ask to overwrite)."""

    phase: str = ""  # the phase named ("" = every phase reached)


def refused(message: str) -> CommandResult:
    return CommandResult(ok=False, message=message)


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


# -- handlers -------------------------------------------------------------------------------


def _free_text(line: str) -> bool:
    """Commands whose argument is prose (an apostrophe is not a quote there)."""
    return line.strip().lower().split(maxsplit=1)[0] in ("/title",) if line.strip() else False


def _phase(copilot: Copilot, args: list[str]) -> CommandResult:
    if not args:
        names = " | ".join(p.name for p in copilot.persona.phases)
        return refused(f"Usage: /phase next|prev|<name> ({names})")
    if not copilot.persona.phases:
        return refused("This persona defines no workflow phases.")
    try:
        phase = copilot.set_phase(" ".join(args))
    except WorkflowError as exc:
        return refused(str(exc))
    return CommandResult(message=f"Phase: {phase}")


def _persona(copilot: Copilot, args: list[str]) -> CommandResult:
    choice = (args[0].lower() if args else "")
    if choice in ("on", "off", "auto"):
        copilot.set_persona_mode(choice)  # type: ignore[arg-type]
        return CommandResult(message=f"Persona {copilot.persona.name}: {choice}")
    if choice == "list":
        lines = [_persona_line(info) for info in copilot.persona_overview()]
        message = "\n".join(f"{name} — {about}" for name, about in lines)
        return ShowPersonas(lines=lines, message=message)
    wanted = " ".join(args)
    if wanted and copilot.library.get(wanted) is not None:
        copilot.set_persona_mode("on", wanted)
        return CommandResult(message=f"Persona {copilot.persona.name}: on (pinned)")
    names = ", ".join(copilot.library.names)
    if wanted:
        return refused(f"No persona named '{wanted}'; loaded: {names}.")
    return refused(f"Usage: /persona on|off|auto|list|<name> ({names})")


def _persona_line(info: PersonaInfo) -> tuple[str, str]:
    """('devops · on, pinned', 'score 2.5 · deploy, kubernetes · 3 phases, 1 tree, 0 checklists')"""
    marks = ["on" if info.active else "shown" if info.shown else ""]
    marks += ["pinned" if info.pinned else "", "default" if info.default else ""]
    marked = ", ".join(m for m in marks if m)
    head = f"{info.name} · {marked}" if marked else info.name
    words = ", ".join(info.keywords) if info.keywords else "no keywords (pin it by name)"
    shape = (
        f"{info.phases} phases, {info.trees} tree{'s' if info.trees != 1 else ''}, "
        f"{info.checklists} checklist{'s' if info.checklists != 1 else ''}"
    )
    return head, f"score {info.score:g} · {words} · {shape}"


def _check(copilot: Copilot, args: list[str]) -> CommandResult:
    wanted = " ".join(args).strip().lower()
    if not wanted:
        return refused("Usage: /check <item>, e.g. /check JWT")
    items = copilot.persona.all_checklist_items()
    exact = [i for i in items if wanted in (i.id.lower(), i.text.lower())]
    found = exact or [i for i in items if wanted in i.text.lower() or wanted in i.id.lower()]
    if not found:
        return refused(f"No checklist item matches '{wanted}'.")
    if len(found) > 1:
        options = ", ".join(i.text for i in found[:6])
        return refused(f"'{wanted}' matches several items: {options}.")
    item = found[0]
    copilot.toggle_item(item.id)
    state = copilot.state.checklist.get(item.id)
    done = state is not None and state.state == "done"
    return CommandResult(message=f"{item.area} · {item.text}: {'done' if done else 'open'}")


def _export(copilot: Copilot, args: list[str]) -> CommandResult:
    fmt = args[0].lower() if args else "md"
    if fmt not in ("md", "json", "html", "brief"):
        return CommandResult(
            ok=False, message=f"Unknown format '{fmt}'. Use /export md|json|html|brief [PATH]"
        )
    try:
        path = copilot.export(fmt, args[1] if len(args) > 1 else None)  # type: ignore[arg-type]
    except ExportError as exc:
        return refused(str(exc))
    return Exported(path=str(path), message=f"Exported to {path}")


def _title(copilot: Copilot, args: list[str]) -> CommandResult:
    title = " ".join(" ".join(args).split())
    if not title:
        now = copilot.state.title or "untitled"
        return CommandResult(ok=False, message=f"Usage: /title <new title> (now: {now})")
    copilot.session.set_title(title)
    return CommandResult(ok=True, message=f"Title: {title}")


def _sessions(copilot: Copilot, args: list[str]) -> CommandResult:
    """No words: the sessions screen. `rename ID TITLE` / `delete ID`: done here."""
    from agent.session.catalogue import delete_session, rename_session
    from agent.session.journal import SessionError

    if not args:
        return CommandResult(ok=True, action="sessions")
    verb, rest = args[0].lower(), args[1:]
    usage = "Usage: /sessions, /sessions rename ID TITLE or /sessions delete ID"
    if verb not in ("rename", "delete") or not rest or (verb == "rename" and len(rest) < 2):
        return CommandResult(ok=False, message=usage)
    session_id = rest[0]
    try:
        if verb == "delete":
            if session_id in (copilot.state.id, str(copilot.session.path)):
                return CommandResult(
                    ok=False, message="That is the session open here: /new first, then delete it."
                )
            delete_session(session_id)
            return CommandResult(ok=True, message=f"Deleted session {session_id}.")
        title = rename_session(session_id, " ".join(rest[1:]))
    except SessionError as exc:
        return CommandResult(ok=False, message=str(exc))
    return CommandResult(ok=True, message=f"Session {session_id}: {title}")


def _new(copilot: Copilot, args: list[str]) -> CommandResult:
    copilot.new_session()
    return NewSession(message="New session started.")


def _retry(copilot: Copilot, args: list[str]) -> CommandResult:
    """Only checks there is something to answer; the front end runs `copilot.retry()`."""
    if not any(m.role == "user" for m in copilot.state.messages):
        return refused("Nothing to retry yet: ask something first.")
    return RetryLast(message="Answering your last message again.")


def _deliver(copilot: Copilot, args: list[str]) -> CommandResult:
    """Checks the phase name; the front end runs `copilot.deliver()` (it may ask to overwrite)."""
    named = " ".join(args).strip()
    if not copilot.persona.phases:
        return refused("This persona defines no workflow phases.")
    if named:
        try:
            named = Workflow(copilot.persona.phases).jump(named).name
        except WorkflowError as exc:
            return refused(str(exc))
    what = named or "every phase reached"
    return Deliver(phase=named, message=f"Writing the documents of {what} into "
                                        f"{copilot.root.path / copilot.settings.docs_dir}")


def _resource(copilot: Copilot, args: list[str]) -> CommandResult:
    from agent.export.deliverables.models import OPERATIONS

    if not args:
        return refused("Usage: /resource NAME [list create get update delete], "
                       "e.g. /resource orders list create")
    ops = [a.lower() for a in args[1:]]
    unknown = [o for o in ops if o not in OPERATIONS]
    if unknown:
        return refused(f"Unknown operation(s) {', '.join(unknown)}; use {', '.join(OPERATIONS)}.")
    try:
        name = copilot.add_resource(args[0], ops)
    except ValueError as exc:
        return refused(str(exc))
    shown = ", ".join(ops) if ops else "all operations"
    return CommandResult(message=f"Resource /{name}: {shown} (in the API contract "
                                 "and stories on the next /deliver)")


def _audit(copilot: Copilot, args: list[str]) -> CommandResult:
    """Only says what will be audited; the front end runs it off the UI thread."""
    return RunAudit(message=f"Auditing {copilot.root.path} against {copilot.persona.name}…")


def _probe(copilot: Copilot, args: list[str]) -> CommandResult:
    from agent.audit.probe import MAX_REQUESTS, ProbeError, check_url

    usage = f"Usage: /probe URL [-n N] (N from 1 to {MAX_REQUESTS}, default 50)"
    if not args:
        return refused(usage)
    url, n = args[0], 50
    rest = args[1:]
    if rest:
        if len(rest) != 2 or rest[0] != "-n" or not rest[1].isdigit():
            return refused(usage)
        n = int(rest[1])
    if not 1 <= n <= MAX_REQUESTS:
        return refused(usage)
    try:
        check_url(url)
    except ProbeError as exc:
        return refused(str(exc))
    return RunProbe(url=url, requests=n, message=f"Probing {url} with {n} requests…")


def _compact(copilot: Copilot, args: list[str]) -> CommandResult:
    event = copilot.compact()
    if event is None:
        return refused("Nothing to compact yet: the last exchanges are "
                             "always sent whole.")
    return CommandResult(message=f"Compacted {event.replaced} earlier messages into a "
                         "digest; the model now gets it instead of them.")


def _model(copilot: Copilot, args: list[str]) -> CommandResult:
    provider = copilot.provider
    base_url = getattr(provider, "base_url", None)
    if not base_url:
        return refused("The offline playbook has no models; connect a "
                             "model first (see `backend-copilot config`).")
    if args:
        name = " ".join(args).strip()
        provider.model = name  # this session only; config.toml and the environment are untouched
        return CommandResult(message=f"Model: {name} (for this session).")
    from agent.llm.server_info import list_model_ids

    key = getattr(provider, "_key", lambda: None)()
    models = list_model_ids(base_url, key)
    if models is None:
        return refused(f"The server did not list its models; the model is "
                             f"{provider.model}. Switch with /model NAME.")
    shown = ", ".join(f"{m} (current)" if m == provider.model else m for m in models[:30])
    return CommandResult(message=f"Models: {shown}. Switch with /model NAME.")


def _undo(copilot: Copilot, args: list[str]) -> CommandResult:
    from agent.tools.checkpoints import undo

    event = undo(copilot.state, copilot.root)
    if event is None:
        return refused("Nothing to undo: the agent has changed no files "
                             "in this session (or every change is undone already).")
    copilot.session.append(event)
    restored = ", ".join(event.files) or "no files"
    failed = f" Could not restore: {', '.join(event.failed)}." if event.failed else ""
    return CommandResult(ok=not event.failed, message=f"Undone: {restored}.{failed}")


def _deliver_lines(copilot: Copilot) -> list[str]:
    return ["/deliver", *(f"/deliver {p.name}" for p in copilot.persona.phases)]


def _title(copilot: Copilot, args: list[str]) -> CommandResult:
    title = " ".join(" ".join(args).split())
    if not title:
        now = copilot.state.title or "untitled"
        return refused(f"Usage: /title <new title> (now: {now})")
    copilot.session.set_title(title)
    return CommandResult(message=f"Title: {title}")


def _sessions(copilot: Copilot, args: list[str]) -> CommandResult:
    """No words: the sessions screen. `rename ID TITLE` / `delete ID`: done here."""
    from agent.session.catalogue import delete_session, rename_session
    from agent.session.journal import SessionError

    if not args:
        return OpenSessions()
    verb, rest = args[0].lower(), args[1:]
    usage = "Usage: /sessions, /sessions rename ID TITLE or /sessions delete ID"
    if verb not in ("rename", "delete") or not rest or (verb == "rename" and len(rest) < 2):
        return refused(usage)
    session_id = rest[0]
    try:
        if verb == "delete":
            if session_id in (copilot.state.id, str(copilot.session.path)):
                return refused("That is the session open here: /new first, then delete it.")
            delete_session(session_id)
            return CommandResult(message=f"Deleted session {session_id}.")
        title = rename_session(session_id, " ".join(rest[1:]))
    except SessionError as exc:
        return refused(str(exc))
    return CommandResult(message=f"Session {session_id}: {title}")




def _help(copilot: Copilot, args: list[str]) -> CommandResult:
    return ShowHelp(lines=help_lines())


def _quit(copilot: Copilot, args: list[str]) -> CommandResult:
    return Quit()


def _phase_lines(copilot: Copilot) -> list[str]:
    return ["/phase next", "/phase prev", *(f"/phase {p.name}" for p in copilot.persona.phases)]


def _persona_lines(copilot: Copilot) -> list[str]:
    fixed = ["/persona on", "/persona off", "/persona auto", "/persona list"]
    return fixed + [f"/persona {p.name}" for p in copilot.library.personas]


def _check_lines(copilot: Copilot) -> list[str]:
    return [f"/check {item.text}" for item in copilot.persona.all_checklist_items()]


def _export_lines(copilot: Copilot) -> list[str]:
    return ["/export md", "/export json", "/export html", "/export brief"]


P = PaletteEntry
COMMANDS: tuple[Command, ...] = (
    Command("phase", "/phase next|prev|<name>",
            "move through PRD → Architecture → … → Implementation", _phase,
            palette=(P("Phase: next", "Move the workflow to the next phase", "/phase next"),
                     P("Phase: previous", "Move the workflow to the previous phase", "/phase prev")),
            completions=_phase_lines),
    Command("persona", "/persona on|off|auto",
            "pin the persona on or off, or let the keywords decide", _persona,
            palette=(
                P("Persona: automatic",
                  "Let the keywords pick the persona and switch it on and off", "/persona auto"),
                P("Persona: pin on", "Keep the persona shown now on", "/persona on"),
                P("Persona: pin off", "Keep every persona off", "/persona off"),
                P("Persona: list all",
                  "Every loaded persona with its keywords and current score", "/persona list"),
            ),
            completions=_persona_lines,
            extra_help=(
                ("/persona <name>",
                 "pin that persona on (its panels, its prompt); /persona auto unpins"),
                ("/persona list", "the loaded personas with their keywords and current scores"),
            )),
    Command("check", "/check <item>", "tick or untick a checklist item (by its words)", _check,
            completions=_check_lines),
    Command("audit", "/audit",
            "tick the checklist from the project's own code, with evidence (path:line)", _audit,
            palette=(P("Audit the project",
                       "Tick the checklist from the project's own code, with path:line evidence",
                       "/audit"),)),
    Command("probe", "/probe URL [-n N]",
            "measure one endpoint's latency (p50/p95/p99) for API Response", _probe,
            completions=lambda copilot: ["/probe "]),
    Command("export", "/export md|json|html [PATH]", "write the whole session to a file", _export,
            palette=(
                P("Export session as Markdown", "Write the whole session to a .md file", "/export md"),
                P("Export session as JSON", "Write the whole session to a .json file", "/export json"),
                P("Export session as HTML", "Write the whole session to an .html file", "/export html"),
                P("Export a brief",
                  "A short Markdown summary for a PR: decisions, open items, phase", "/export brief"),
            ),
            completions=_export_lines,
            extra_help=(("/export brief [PATH]",
                         "a short Markdown brief: decisions, open checklist items, phase"),)),
    Command("deliver", "/deliver [PHASE]",
            "write the phases' documents into docs/ (asks before overwriting)", _deliver,
            palette=(P("Deliver the phases' documents",
                       "Write PRD, ADRs, OpenAPI, stories and plan into docs/ "
                       "(asks before overwriting)", "/deliver"),),
            completions=_deliver_lines),
    Command("resource", "/resource NAME [OPS]",
            "add an API resource by hand (ops: list create get update delete)", _resource,
            completions=lambda copilot: ["/resource "]),
    Command("retry", "/retry", "answer your last message again (after an error or a stop)", _retry,
            palette=(P("Retry the last message", "Ask the last question again", "/retry"),)),
    Command("compact", "/compact",
            "send the model a digest of the older turns instead of the turns themselves",
            _compact,
            palette=(P("Compact the conversation",
                       "Send the model a digest of the older turns instead of them", "/compact"),)),
    Command("undo", "/undo",
            "put back the files the agent changed in its last answer (again: further back)",
            _undo,
            palette=(P("Undo the agent's file changes",
                       "Put back the files the last answer changed (again: further back)",
                       "/undo"),)),
    Command("model", "/model [NAME]",
            "list the server's models, or switch to NAME for this session", _model,
            palette=(P("List the server's models",
                       "Show the models the server offers (/model NAME switches)", "/model"),),
            completions=lambda copilot: ["/model", "/model "]),
    Command("new", "/new", "start a new session", _new,
            palette=(P("New session", "Start a fresh conversation (this one stays saved)", "/new"),)),
    Command("title", "/title <new title>", "rename this session", _title,
            completions=lambda copilot: ["/title "]),
    Command("sessions", "/sessions", "open, rename (r) or delete (d) a saved session", _sessions,
            palette=(P("Resume a session", "Open, rename or delete a saved session",
                       "/sessions"),),
            completions=lambda copilot: ["/sessions", "/sessions rename ", "/sessions delete "],
            extra_help=(("/sessions rename|delete ID [TITLE]",
                         "rename or delete a saved session by its id"),)),
    Command("help", "/help", "this list", _help),
    Command("quit", "/quit", "leave (the session is already saved)", _quit),
)
_BY_NAME = {command.name: command for command in COMMANDS}
