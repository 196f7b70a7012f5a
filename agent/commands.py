"""Slash commands, parsed once here so the TUI and any other front end only forward lines."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from agent.export import ExportError
from agent.library import PersonaInfo
from agent.workflow import WorkflowError

if TYPE_CHECKING:
    from agent.copilot import Copilot

Action = Literal[
    "none", "ask", "export", "new", "sessions", "help", "quit", "persona_list", "retry"
]

HELP: list[tuple[str, str]] = [
    ("/phase next|prev|<name>", "move through PRD → Architecture → … → Implementation"),
    ("/persona on|off|auto", "pin the persona on or off, or let the keywords decide"),
    ("/persona <name>", "pin that persona on (its panels, its prompt); /persona auto unpins"),
    ("/persona list", "the loaded personas with their keywords and current scores"),
    ("/check <item>", "tick or untick a checklist item (by its words)"),
    ("/export md|json|html [PATH]", "write the whole session to a file"),
    ("/export brief [PATH]", "a short Markdown brief: decisions, open checklist items, phase"),
    ("/retry", "answer your last message again (after an error or a stop)"),
    ("/model [NAME]", "list the server's models, or switch to NAME for this session"),
    ("/undo", "put back the files the agent changed in its last answer (again: further back)"),
    ("/compact", "send the model a digest of the older turns instead of the turns themselves"),
    ("/new", "start a new session"),
    ("/sessions", "open a saved session"),
    ("/help", "this list"),
    ("/quit", "leave (the session is already saved)"),
]


class CommandResult(BaseModel):
    ok: bool
    message: str = ""
    action: Action = "none"
    ask_text: str = ""
    path: str = ""
    help_lines: list[tuple[str, str]] = Field(default_factory=list)


def command_names(copilot: Copilot) -> list[str]:
    """Every complete command line worth offering in completion, in a stable order."""
    names = ["/phase next", "/phase prev"]
    names += [f"/phase {p.name}" for p in copilot.persona.phases]
    names += ["/persona on", "/persona off", "/persona auto", "/persona list"]
    names += [f"/persona {p.name}" for p in copilot.library.personas]
    names += [f"/check {item.text}" for item in copilot.persona.all_checklist_items()]
    names += ["/export md", "/export json", "/export html", "/export brief"]
    names += ["/retry", "/compact", "/undo", "/model", "/new", "/sessions", "/help", "/quit"]
    return names


def run_command(copilot: Copilot, line: str) -> CommandResult:
    try:
        words = shlex.split(line.strip())
    except ValueError as exc:
        return CommandResult(ok=False, message=f"Could not read that command ({exc}); check the quotes.")
    if not words or not words[0].startswith("/"):
        return CommandResult(ok=False, message="Commands start with '/'. Type /help for the list.")
    name, args = words[0][1:].lower(), words[1:]
    handler = _HANDLERS.get(name)
    if handler is None:
        close = [c for c in _HANDLERS if c.startswith(name[:2])] if name else []
        hint = f" Did you mean /{close[0]}?" if close else ""
        return CommandResult(ok=False, message=f"Unknown command /{name}.{hint} Type /help for the list.")
    return handler(copilot, args)


def _phase(copilot: Copilot, args: list[str]) -> CommandResult:
    if not args:
        names = " | ".join(p.name for p in copilot.persona.phases)
        return CommandResult(ok=False, message=f"Usage: /phase next|prev|<name> ({names})")
    if not copilot.persona.phases:
        return CommandResult(ok=False, message="This persona defines no workflow phases.")
    try:
        phase = copilot.set_phase(" ".join(args))
    except WorkflowError as exc:
        return CommandResult(ok=False, message=str(exc))
    return CommandResult(ok=True, message=f"Phase: {phase}")


def _persona(copilot: Copilot, args: list[str]) -> CommandResult:
    choice = (args[0].lower() if args else "")
    if choice in ("on", "off", "auto"):
        copilot.set_persona_mode(choice)  # type: ignore[arg-type]
        return CommandResult(ok=True, message=f"Persona {copilot.persona.name}: {choice}")
    if choice == "list":
        lines = [_persona_line(info) for info in copilot.persona_overview()]
        message = "\n".join(f"{name} — {about}" for name, about in lines)
        return CommandResult(ok=True, action="persona_list", help_lines=lines, message=message)
    wanted = " ".join(args)
    if wanted and copilot.library.get(wanted) is not None:
        copilot.set_persona_mode("on", wanted)
        return CommandResult(ok=True, message=f"Persona {copilot.persona.name}: on (pinned)")
    names = ", ".join(copilot.library.names)
    if wanted:
        return CommandResult(ok=False, message=f"No persona named '{wanted}'; loaded: {names}.")
    return CommandResult(ok=False, message=f"Usage: /persona on|off|auto|list|<name> ({names})")


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
        return CommandResult(ok=False, message="Usage: /check <item>, e.g. /check JWT")
    items = copilot.persona.all_checklist_items()
    exact = [i for i in items if wanted in (i.id.lower(), i.text.lower())]
    found = exact or [i for i in items if wanted in i.text.lower() or wanted in i.id.lower()]
    if not found:
        return CommandResult(ok=False, message=f"No checklist item matches '{wanted}'.")
    if len(found) > 1:
        options = ", ".join(i.text for i in found[:6])
        return CommandResult(ok=False, message=f"'{wanted}' matches several items: {options}.")
    item = found[0]
    copilot.toggle_item(item.id)
    state = copilot.state.checklist.get(item.id)
    done = state is not None and state.state == "done"
    return CommandResult(ok=True, message=f"{item.area} · {item.text}: {'done' if done else 'open'}")


def _export(copilot: Copilot, args: list[str]) -> CommandResult:
    fmt = args[0].lower() if args else "md"
    if fmt not in ("md", "json", "html", "brief"):
        return CommandResult(
            ok=False, message=f"Unknown format '{fmt}'. Use /export md|json|html|brief [PATH]"
        )
    try:
        path = copilot.export(fmt, args[1] if len(args) > 1 else None)  # type: ignore[arg-type]
    except ExportError as exc:
        return CommandResult(ok=False, message=str(exc))
    return CommandResult(ok=True, action="export", path=str(path), message=f"Exported to {path}")


def _new(copilot: Copilot, args: list[str]) -> CommandResult:
    copilot.new_session()
    return CommandResult(ok=True, action="new", message="New session started.")


def _retry(copilot: Copilot, args: list[str]) -> CommandResult:
    """Only checks there is something to answer; the front end runs `copilot.retry()`."""
    if not any(m.role == "user" for m in copilot.state.messages):
        return CommandResult(ok=False, message="Nothing to retry yet: ask something first.")
    return CommandResult(ok=True, action="retry", message="Answering your last message again.")


def _compact(copilot: Copilot, args: list[str]) -> CommandResult:
    event = copilot.compact()
    if event is None:
        return CommandResult(ok=False, message="Nothing to compact yet: the last exchanges are "
                             "always sent whole.")
    return CommandResult(ok=True, message=f"Compacted {event.replaced} earlier messages into a "
                         "digest; the model now gets it instead of them.")


def _model(copilot: Copilot, args: list[str]) -> CommandResult:
    provider = copilot.provider
    base_url = getattr(provider, "base_url", None)
    if not base_url:
        return CommandResult(ok=False, message="The offline playbook has no models; connect a "
                             "model first (see `backend-copilot config`).")
    if args:
        name = " ".join(args).strip()
        provider.model = name  # this session only; config.toml and the environment are untouched
        return CommandResult(ok=True, message=f"Model: {name} (for this session).")
    from agent.providers.server_info import list_model_ids

    key = getattr(provider, "_key", lambda: None)()
    models = list_model_ids(base_url, key)
    if models is None:
        return CommandResult(ok=False, message=f"The server did not list its models; the model is "
                             f"{provider.model}. Switch with /model NAME.")
    shown = ", ".join(f"{m} (current)" if m == provider.model else m for m in models[:30])
    return CommandResult(ok=True, message=f"Models: {shown}. Switch with /model NAME.")


def _undo(copilot: Copilot, args: list[str]) -> CommandResult:
    from agent.checkpoints import undo

    event = undo(copilot.state, copilot.root)
    if event is None:
        return CommandResult(ok=False, message="Nothing to undo: the agent has changed no files "
                             "in this session (or every change is undone already).")
    copilot.session.append(event)
    restored = ", ".join(event.files) or "no files"
    failed = f" Could not restore: {', '.join(event.failed)}." if event.failed else ""
    return CommandResult(ok=not event.failed, message=f"Undone: {restored}.{failed}")


def _simple(action: Action, message: str = ""):
    def handler(copilot: Copilot, args: list[str]) -> CommandResult:
        return CommandResult(ok=True, action=action, message=message,
                             help_lines=HELP if action == "help" else [])

    return handler


_HANDLERS = {
    "phase": _phase,
    "persona": _persona,
    "check": _check,
    "export": _export,
    "new": _new,
    "retry": _retry,
    "compact": _compact,
    "model": _model,
    "undo": _undo,
    "sessions": _simple("sessions"),
    "help": _simple("help"),
    "quit": _simple("quit"),
}
