"""The slash commands' handlers: what each command does to the Copilot.

Apart from the registry (commands.py), which lists the commands and dispatches to these; a
handler returns a typed result (command_results.py) and the front end acts on its type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.command_results import (
    CommandResult,
    Deliver,
    Exported,
    NewSession,
    OpenSessions,
    RetryLast,
    RunAudit,
    RunProbe,
    ShowPersonas,
    refused,
)
from agent.errors import ExportError, WorkflowError
from agent.persona.library import PersonaInfo
from agent.persona.workflow import Workflow

if TYPE_CHECKING:
    from agent.copilot import Copilot


def phase(copilot: Copilot, args: list[str]) -> CommandResult:
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


def persona(copilot: Copilot, args: list[str]) -> CommandResult:
    choice = (args[0].lower() if args else "")
    if choice in ("on", "off", "auto"):
        copilot.set_persona_mode(choice)  # type: ignore[arg-type]
        return CommandResult(message=f"Persona {copilot.persona.name}: {choice}")
    if choice == "list":
        lines = [persona_line(info) for info in copilot.persona_overview()]
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


def persona_line(info: PersonaInfo) -> tuple[str, str]:
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


def check(copilot: Copilot, args: list[str]) -> CommandResult:
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


def export(copilot: Copilot, args: list[str]) -> CommandResult:
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


def new(copilot: Copilot, args: list[str]) -> CommandResult:
    copilot.new_session()
    return NewSession(message="New session started.")


def retry(copilot: Copilot, args: list[str]) -> CommandResult:
    """Only checks there is something to answer; the front end runs `copilot.retry()`."""
    if not any(m.role == "user" for m in copilot.state.messages):
        return refused("Nothing to retry yet: ask something first.")
    return RetryLast(message="Answering your last message again.")


def deliver(copilot: Copilot, args: list[str]) -> CommandResult:
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


def resource(copilot: Copilot, args: list[str]) -> CommandResult:
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


def audit(copilot: Copilot, args: list[str]) -> CommandResult:
    """Only says what will be audited; the front end runs it off the UI thread."""
    return RunAudit(message=f"Auditing {copilot.root.path} against {copilot.persona.name}…")


def probe(copilot: Copilot, args: list[str]) -> CommandResult:
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


def compact(copilot: Copilot, args: list[str]) -> CommandResult:
    event = copilot.compact()
    if event is None:
        return refused("Nothing to compact yet: the last exchanges are "
                             "always sent whole.")
    return CommandResult(message=f"Compacted {event.replaced} earlier messages into a "
                         "digest; the model now gets it instead of them.")


def model(copilot: Copilot, args: list[str]) -> CommandResult:
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


def undo(copilot: Copilot, args: list[str]) -> CommandResult:
    from agent.tools.checkpoints import undo

    event = undo(copilot.state, copilot.root)
    if event is None:
        return refused("Nothing to undo: the agent has changed no files "
                             "in this session (or every change is undone already).")
    copilot.session.append(event)
    restored = ", ".join(event.files) or "no files"
    failed = f" Could not restore: {', '.join(event.failed)}." if event.failed else ""
    return CommandResult(ok=not event.failed, message=f"Undone: {restored}.{failed}")


def deliver_lines(copilot: Copilot) -> list[str]:
    return ["/deliver", *(f"/deliver {p.name}" for p in copilot.persona.phases)]


def title(copilot: Copilot, args: list[str]) -> CommandResult:
    title = " ".join(" ".join(args).split())
    if not title:
        now = copilot.state.title or "untitled"
        return refused(f"Usage: /title <new title> (now: {now})")
    copilot.session.set_title(title)
    return CommandResult(message=f"Title: {title}")


def sessions(copilot: Copilot, args: list[str]) -> CommandResult:
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


def phase_lines(copilot: Copilot) -> list[str]:
    return ["/phase next", "/phase prev", *(f"/phase {p.name}" for p in copilot.persona.phases)]


def persona_lines(copilot: Copilot) -> list[str]:
    fixed = ["/persona on", "/persona off", "/persona auto", "/persona list"]
    return fixed + [f"/persona {p.name}" for p in copilot.library.personas]


def check_lines(copilot: Copilot) -> list[str]:
    return [f"/check {item.text}" for item in copilot.persona.all_checklist_items()]


def export_lines(copilot: Copilot) -> list[str]:
    return ["/export md", "/export json", "/export html", "/export brief"]
