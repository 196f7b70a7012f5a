"""`backend-copilot`: the TUI with no command (or in a browser with --web); ask, detect, persona,
sessions, export, import, config.

Imports stay lazy: the TUI path must not pay for openai, and the quick commands must not pay
for Textual.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after the command name."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--agent", action="append", metavar="PATH", default=argparse.SUPPRESS,
                        help="an agent file to load (repeatable)")
    common.add_argument("--provider", default=argparse.SUPPRESS,
                        help="offline, openai, openrouter, ollama or custom")
    common.add_argument("--model", default=argparse.SUPPRESS, help="the model name")
    common.add_argument("--base-url", default=argparse.SUPPRESS,
                        help="an OpenAI-compatible endpoint, e.g. http://localhost:11434/v1")
    common.add_argument("--root", default=argparse.SUPPRESS, metavar="PATH",
                        help="the project folder tools may read and change (default: here)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="backend-copilot",
        description="A terminal co-pilot for backend work. With no command, opens the app.",
        parents=[common],
    )
    parser.add_argument("--resume", nargs="?", const="latest", default=None, metavar="ID",
                        help="reopen a saved session (the newest when no ID is given)")
    parser.add_argument("--web", action="store_true",
                        help="serve the app to a browser (textual-serve) instead of this terminal")
    parser.add_argument("--host", default="127.0.0.1",
                        help="with --web: the address to listen on (default: 127.0.0.1 only)")
    parser.add_argument("--port", type=int, default=8000, help="with --web: the port (8000)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser("ask", parents=[common], help="answer one question in the terminal")
    ask.add_argument("text", nargs="+", help="the question ('-' reads it from standard input)")
    ask.add_argument("--resume", metavar="ID", default=argparse.SUPPRESS,
                     help="continue a saved session ('latest' for the newest)")
    ask.add_argument("--json", action="store_true", help="print one machine-readable record")
    ask.add_argument("--yes", action="store_true",
                     help="allow every edit/write/tool call without asking (never the default)")
    ask.add_argument("--phase", metavar="NAME", default=None,
                     help="answer for this workflow phase (PRD, Architecture, ...; a prefix will do)")

    detect = sub.add_parser("detect", parents=[common], help="show the persona activation for TEXT")
    detect.add_argument("text", nargs="+")
    detect.add_argument("--json", action="store_true")

    persona = sub.add_parser("persona", parents=[common], help="persona commands")
    persona_sub = persona.add_subparsers(dest="persona_command", metavar="show", required=True)
    show = persona_sub.add_parser("show", parents=[common], help="print the parsed persona")
    show.add_argument("path", nargs="?", help="an agent file (default: the bundled persona)")
    show.add_argument("--json", action="store_true")

    sessions = sub.add_parser("sessions", parents=[common],
                              help="list saved sessions; delete or rename one")
    sessions.add_argument("--json", action="store_true")
    sessions_sub = sessions.add_subparsers(dest="sessions_command", metavar="delete|rename")
    delete = sessions_sub.add_parser("delete", parents=[common], help="delete a saved session")
    delete.add_argument("session_id", metavar="ID")
    rename = sessions_sub.add_parser("rename", parents=[common], help="give a session a title")
    rename.add_argument("session_id", metavar="ID")
    rename.add_argument("title", nargs="+")

    export = sub.add_parser("export", parents=[common], help="export a saved session")
    export.add_argument("session_id", metavar="ID")
    export.add_argument("--format", "-f", choices=["md", "json", "html", "brief"], default="md",
                        help="brief: a short Markdown summary for a pull request or design doc")
    export.add_argument("-o", "--output", metavar="FILE", help="where to write it")

    imported = sub.add_parser("import", parents=[common],
                              help="make a saved session from a JSON export (resume it after)")
    imported.add_argument("file", metavar="FILE.json")

    deliver = sub.add_parser("deliver", parents=[common],
                             help="write the phases' documents (PRD, ADRs, OpenAPI, stories, "
                                  "plan) from a saved session into the project")
    deliver.add_argument("session_id", metavar="ID", nargs="?", default="latest",
                         help="the session (default: latest)")
    deliver.add_argument("--phase", metavar="NAME",
                         help="only this phase's document (default: every phase reached)")
    deliver.add_argument("--dir", default=None, metavar="DIR",
                         help="the folder under the project root (default: docs_dir, docs)")
    deliver.add_argument("--yes", action="store_true",
                         help="overwrite changed documents without asking (never the default)")

    sub.add_parser("config", parents=[common], help="print the effective settings (keys masked)")

    audit = sub.add_parser("audit", parents=[common],
                           help="tick the persona's checklist from the project's code (--root)")
    audit.add_argument("--json", action="store_true", help="print the report as JSON")
    probe = sub.add_parser("probe", parents=[common],
                           help="measure one endpoint's latency (p50/p95/p99) with N requests")
    probe.add_argument("url", help="the endpoint to request (only this URL, never others)")
    probe.add_argument("-n", type=int, default=50, help="how many requests (default 50, max 1000)")
    probe.add_argument("-c", "--concurrency", type=int, default=1,
                       help="requests at once (default 1, max 4)")
    probe.add_argument("--json", action="store_true")

    mcp = sub.add_parser("mcp", parents=[common], help="MCP server commands")
    mcp_sub = mcp.add_subparsers(dest="mcp_command", metavar="list", required=True)
    mcp_list = mcp_sub.add_parser("list", parents=[common],
                                  help="start the configured MCP servers; print status and tools")
    mcp_list.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.raw_argv = list(sys.argv[1:] if argv is None else argv)  # --web serves these again
    options = vars(args)
    cli = {k: options[k] for k in ("provider", "model", "base_url") if k in options}
    agents: list[str] = options.get("agent", [])
    try:
        return _dispatch(args, cli, agents)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except _UserFacingErrors() as exc:  # one line, never a traceback
        print(f"backend-copilot: {safe_line(str(exc))}", file=sys.stderr)
        return EXIT_FAIL
    except Exception as exc:  # a bug: one line here, the traceback in the log file
        from agent import log, paths

        log.log_exception(f"backend-copilot {' '.join(args.raw_argv)[:200]}", exc)
        print(f"backend-copilot: unexpected error ({type(exc).__name__}: "
              f"{safe_line(str(exc))[:200]}); the details are in {paths.log_file()}",
              file=sys.stderr)
        return EXIT_FAIL


def safe_line(text: str) -> str:
    """Text from a file or a model, made safe for a terminal and folded onto one line."""
    from agent.text import safe_text

    return " ".join(safe_text(text).split())


def _UserFacingErrors() -> tuple[type[BaseException], ...]:
    from agent.errors import CopilotError

    return (CopilotError, LookupError, OSError)


def _dispatch(args: argparse.Namespace, cli: dict[str, Any], agents: list[str]) -> int:
    command = args.command
    if args.web:
        if command is not None:
            print("backend-copilot: --web serves the app; leave out the command.", file=sys.stderr)
            return EXIT_USAGE
        from tui.web import serve

        return serve(args.raw_argv, host=args.host, port=args.port)
    if command is not None:
        from agent.safe_output import make_output_safe

        make_output_safe()  # text from files and models never reaches the terminal raw
    if command is None:
        from tui.gc_pause import hold_for_start

        hold_for_start()  # the app starts the collector again once its first screen is drawn
        from tui.app import run_tui

        return run_tui(cli=cli, agent_paths=agents, resume=args.resume) or EXIT_OK
    if command == "ask":
        return _ask(_question(args.text), cli, agents, as_json=args.json,
                    root=getattr(args, "root", None), yes=args.yes, resume=args.resume,
                    phase=args.phase)
    if command == "detect":
        return _detect(" ".join(args.text), agents, as_json=args.json)
    if command == "persona":
        return _persona_show(args.path or (agents[0] if agents else None), as_json=args.json)
    if command == "sessions":
        if getattr(args, "sessions_command", None) == "delete":
            from agent.session.catalogue import delete_session

            print(f"Deleted {delete_session(args.session_id)}")  # the path: ours, not user text
            return EXIT_OK
        if getattr(args, "sessions_command", None) == "rename":
            from agent.session.catalogue import rename_session
            from agent.text import safe_text

            title = rename_session(args.session_id, " ".join(args.title))
            print(f"Renamed {safe_text(args.session_id)}: {safe_text(title)}")
            return EXIT_OK
        return _sessions(as_json=args.json)
    if command == "export":
        return _export(args.session_id, args.format, args.output, agents)
    if command == "import":
        return _import(args.file)
    if command == "deliver":
        return _deliver(args.session_id, cli, agents, phase=args.phase, folder=args.dir,
                        root=getattr(args, "root", None), yes=args.yes)
    if command == "config":
        return _config(cli)
    if command == "audit":
        from agent.audit.command import audit_main

        return audit_main(getattr(args, "root", None), agents, as_json=args.json)
    if command == "probe":
        from agent.audit.command import probe_main

        return probe_main(args.url, args.n, args.concurrency, as_json=args.json)
    if command == "mcp":
        from tui.cli_tools import mcp_list

        return mcp_list(cli, as_json=args.json)
    return EXIT_USAGE


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _question(words: list[str]) -> str:
    """The words, or all of standard input for `ask -` (a paste too big for an argument)."""
    if words == ["-"]:
        return sys.stdin.buffer.read().decode("utf-8", "replace")
    return " ".join(words)


def _ask(text: str, cli: dict[str, Any], agents: list[str], *, as_json: bool,
         root: str | None = None, yes: bool = False, resume: str | None = None,
         phase: str | None = None) -> int:
    from agent.copilot import Copilot
    from agent.llm.base import StreamChunk, StreamEnd
    from agent.text import safe_text
    from tui.cli_tools import (
        ask_trust,
        check_root,
        prepare_tools,
        show_tool_event,
        terminal_approver,
        tool_calls_record,
    )

    root_problem = check_root(root)
    if root_problem is not None:
        print(f"backend-copilot: {root_problem}", file=sys.stderr)
        return EXIT_USAGE
    copilot = Copilot.start(cli=cli, agent_paths=agents, strict=True, root=root, resume=resume)
    copilot.approver = terminal_approver(yes=yes)
    if phase:
        from agent.persona.workflow import WorkflowError

        try:
            copilot.set_phase(phase)
        except WorkflowError as exc:
            print(f"backend-copilot: {exc}", file=sys.stderr)
            return EXIT_USAGE
    for problem in copilot.problems:
        print(f"backend-copilot: {problem}", file=sys.stderr)
    ask_trust(copilot)
    parts: list[str] = []
    end: StreamEnd | None = None

    reader_gone = False

    async def run() -> None:
        nonlocal end, reader_gone
        try:
            await prepare_tools(copilot)
            # aclosing: when the reader goes away the answer is closed here, in order (the
            # session records it as stopped), not torn down half-running at exit.
            async with contextlib.aclosing(copilot.ask(text)) as answer:
                async for item in answer:
                    if isinstance(item, StreamChunk):
                        parts.append(item.text)
                        if not as_json:
                            _out(safe_text(item.text))
                    elif isinstance(item, StreamEnd):
                        end = item
                    elif not as_json:
                        show_tool_event(item)
        except BrokenPipeError:  # `ask ... | head -c 100`: the reader has all it wanted
            reader_gone = True
            _silence_stdout()
        finally:
            await copilot.aclose()

    warned = len(copilot.session.warnings)  # those are among the problems printed above
    interrupted = False
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        interrupted = True
    if reader_gone:
        return EXIT_OK
    for warning in copilot.session.warnings[warned:]:  # e.g. the disk filled up mid-answer
        print(f"backend-copilot: {warning}", file=sys.stderr)
    copilot.session.close()  # flushed, and the lock file is removed (none is left behind)
    state = copilot.state
    answer = state.messages[-1] if state.messages and state.messages[-1].role == "assistant" else None
    if as_json:
        record = {
            "answer": safe_text("".join(parts)),
            "status": answer.status if answer else "error",
            "error": answer.error if answer else None,
            "usage": answer.usage.model_dump() if answer and answer.usage else None,
            "activation": {"active": state.persona_active, "mode": state.persona_mode,
                           "persona": copilot.persona.name,
                           "reason": _last_activation_reason(state)},
            "phase": copilot.workflow.current_name,
            "tree": state.tree.model_dump(mode="json") if state.tree else None,
            "cards": [c.model_dump(mode="json") for c in answer.cards] if answer else [],
            "provider": copilot.provider.name,
            "model": copilot.provider.model,
            "session": state.id,
            "tool_calls": tool_calls_record(answer),
        }
        print(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        if parts and not parts[-1].endswith("\n"):
            _out("\n")
        if interrupted:
            print("[stopped — the partial answer is saved]", file=sys.stderr)
        elif end is not None and end.error is not None:
            print(f"backend-copilot: {end.error.message}", file=sys.stderr)
        elif answer is not None and answer.status == "error":  # e.g. an empty answer
            print(f"backend-copilot: {answer.error or 'the answer failed'}", file=sys.stderr)
        else:
            from agent.session.models import CUT_AT_LENGTH, usage_line

            if answer is not None and answer.cut_at_length:
                print(f"backend-copilot: {CUT_AT_LENGTH} (raise max_tokens to allow longer "
                      "answers)", file=sys.stderr)
            if answer is not None and answer.usage is not None:
                print(usage_line(answer.usage), file=sys.stderr)
    if interrupted:
        return EXIT_INTERRUPTED
    failed = (end is not None and end.error is not None) or (
        answer is not None and answer.status == "error")
    return EXIT_FAIL if failed else EXIT_OK


def _last_activation_reason(state: Any) -> str:
    from agent.session.models import ActivationChanged

    for event in reversed(state.timeline):
        if isinstance(event, ActivationChanged):
            return event.reason
    return ""


def _detect(text: str, agents: list[str], *, as_json: bool) -> int:
    """Score every persona the app would load (bundled, discovered, --agent) on TEXT."""
    from agent.persona.library import PersonaLibrary
    from agent.text import safe_text

    problems: list[str] = []
    library, found = PersonaLibrary.initial(agents, problems, strict=True).with_discovered()
    for problem in problems + found:
        print(f"backend-copilot: {safe_text(problem)}", file=sys.stderr)
    result = library.detect(text)  # keywords and every persona's activation profile
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        state = "active" if result.active else "idle"
        print(safe_text(f"{result.persona}: {state} — {result.reason}"))
        for m in result.matches:
            print(safe_text(f"  {m.keyword!s:16} '{m.text}' at {m.start}-{m.end}"))
        if result.runner_up:
            print(safe_text(f"  runner-up {result.runner_up} "
                            f"({round(result.scores.get(result.runner_up, 0.0), 2)})"))
    return EXIT_OK


def _persona_show(path: str | None, *, as_json: bool) -> int:
    from agent.persona.activation_profile import profile_of
    from agent.persona.persona import load_persona
    from agent.text import safe_text

    persona = load_persona(path) if path else load_persona()
    profile = profile_of(persona).top(16)
    if as_json:
        data = persona.model_dump(mode="json")
        data["activation_profile"] = [{"term": t, "from": f} for t, f in profile]
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return EXIT_OK
    for warning in persona.warnings:
        print(f"backend-copilot: {safe_text(warning)}", file=sys.stderr)
    print(safe_text(f"{persona.title} ({persona.name}) — {persona.source_path}"))
    tools = ", ".join(persona.tools) or "(none)"
    if persona.bash_commands:
        tools += f" (bash only: {', '.join(persona.bash_commands)})"
    print(safe_text(f"model: {persona.model or '(none)'}   tools: {tools}"))
    print(safe_text(f"keywords: {', '.join(persona.keywords) or '(none)'}"))
    by_field: dict[str, list[str]] = {}
    for term, field in profile:
        by_field.setdefault(field, []).append(term)
    derived = "; ".join(f"{', '.join(terms)} (from its {field})" for field, terms in by_field.items())
    print(safe_text(f"activation profile: {derived or '(empty)'}"))
    for i, phase in enumerate(persona.phases, 1):
        print(f"phase {i}: {phase.name} — {phase.role}: {phase.contribution}")
    for tree in persona.decision_trees:
        print(f"tree: {tree.root} → {tree.question}")
        for option in tree.options:
            print(f"  {option.condition} → {option.recommendation}: {option.use_case}")
    for checklist in persona.checklists:
        print(f"checklist: {checklist.title}")
        for area in checklist.areas():
            items = [i.text for i in checklist.items if i.area == area]
            print(f"  {area}: {', '.join(items)}")
    for standard in persona.standards:
        print(f"standard: {standard.name} {standard.target}")
    return EXIT_OK


def _sessions(*, as_json: bool) -> int:
    from agent.session.catalogue import list_sessions

    problems: list[str] = []
    summaries = list_sessions(problems=problems)
    for problem in problems:
        print(f"backend-copilot: {problem}", file=sys.stderr)
    if as_json:
        print(json.dumps([s.model_dump(mode="json") for s in summaries], indent=2))
        return EXIT_OK
    if not summaries:
        print("No saved sessions yet. Start one with `backend-copilot`.")
    for s in summaries:
        print(f"{s.id}  {s.messages:4d} messages  {s.updated[:16]}  {s.title}")
    return EXIT_OK


def _export(session_id: str, fmt: str, output: str | None, agents: list[str]) -> int:
    from pathlib import Path

    from agent.export.render import write_export
    from agent.persona.library import PersonaLibrary
    from agent.session.journal import Session

    state = Session.open(session_id, read_only=True).state  # works while another app writes
    # Every persona the session may have switched on, to name its trees and checklists.
    library, _ = PersonaLibrary.initial(agents, [], strict=True).with_discovered()
    persona = library.get(state.persona) or library.default
    path = write_export(state, fmt, Path(output) if output else None, persona=persona,
                        library=library.personas)
    print(path)
    return EXIT_OK


def _deliver(session_id: str, cli: dict[str, Any], agents: list[str], *, phase: str | None,
             folder: str | None, root: str | None, yes: bool) -> int:
    """Write the documents of a saved session; overwrites ask at a terminal, or need --yes."""
    from agent.copilot import Copilot
    from agent.text import safe_text
    from tui.cli_tools import check_root, terminal_approver

    root_problem = check_root(root)
    if root_problem is not None:
        print(f"backend-copilot: {root_problem}", file=sys.stderr)
        return EXIT_USAGE
    copilot = Copilot.start(cli=cli, agent_paths=agents, strict=True, root=root,
                            resume=session_id)
    copilot.approver = terminal_approver(yes=yes)
    for problem in copilot.problems:
        print(f"backend-copilot: {problem}", file=sys.stderr)

    async def run() -> Any:
        try:
            return await copilot.deliver(phase, folder=folder)
        finally:
            await copilot.aclose()
            aclose = getattr(copilot.provider, "aclose", None)
            if aclose is not None:
                await aclose()

    try:
        report = asyncio.run(run())
    finally:
        copilot.session.close()
    for f in report.files:
        print(safe_text(f"{f.status:9} {f.path}" + (" (drafted by the model)"
                                                    if f.source == "model" else "")))
        if f.note:
            print(f"backend-copilot: {f.path}: {safe_text(f.note)}", file=sys.stderr)
    for problem in report.problems:
        print(f"backend-copilot: {safe_text(problem)}", file=sys.stderr)
    if any(f.status == "denied" for f in report.files) and not yes:
        print("backend-copilot: changed documents were kept as they are; answer the prompt at "
              "a terminal, or pass --yes to overwrite them.", file=sys.stderr)
    return EXIT_FAIL if any(f.status == "failed" for f in report.files) else EXIT_OK


def _import(file: str) -> int:
    from agent.session.importer import import_session

    session = import_session(file)
    state = session.state
    session.close()
    print(f"Imported session {state.id} ({len(state.messages)} messages): {session.path}")
    print(f"Resume it with: backend-copilot --resume {state.id}")
    return EXIT_OK


def _config(cli: dict[str, Any]) -> int:
    from agent.config import describe, load_settings

    settings, problems = load_settings(cli)
    from agent import paths

    for key, value in describe(settings):
        print(f"{key:16} {value}")
    print(f"{'log file':16} {paths.log_file()}")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
