"""`backend-copilot`: the TUI with no command (or in a browser with --web); ask, detect, persona,
sessions, export, import, config.

Imports stay lazy: the TUI path must not pay for openai, and the quick commands must not pay
for Textual.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from tui.text import usage_line

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

    detect = sub.add_parser("detect", parents=[common], help="show the persona activation for TEXT")
    detect.add_argument("text", nargs="+")
    detect.add_argument("--json", action="store_true")

    persona = sub.add_parser("persona", parents=[common], help="persona commands")
    persona_sub = persona.add_subparsers(dest="persona_command", metavar="show", required=True)
    show = persona_sub.add_parser("show", parents=[common], help="print the parsed persona")
    show.add_argument("path", nargs="?", help="an agent file (default: the bundled persona)")
    show.add_argument("--json", action="store_true")

    sessions = sub.add_parser("sessions", parents=[common], help="list saved sessions")
    sessions.add_argument("--json", action="store_true")

    export = sub.add_parser("export", parents=[common], help="export a saved session")
    export.add_argument("session_id", metavar="ID")
    export.add_argument("--format", "-f", choices=["md", "json", "html", "brief"], default="md",
                        help="brief: a short Markdown summary for a pull request or design doc")
    export.add_argument("-o", "--output", metavar="FILE", help="where to write it")

    imported = sub.add_parser("import", parents=[common],
                              help="make a saved session from a JSON export (resume it after)")
    imported.add_argument("file", metavar="FILE.json")

    sub.add_parser("config", parents=[common], help="print the effective settings (keys masked)")

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
        return EXIT_OK
    except _UserFacingErrors() as exc:  # one line, never a traceback
        print(f"backend-copilot: {exc}", file=sys.stderr)
        return EXIT_FAIL


def _UserFacingErrors() -> tuple[type[BaseException], ...]:
    from agent.export.render import ExportError
    from agent.persona.agentfile import AgentFileError
    from agent.session.journal import SessionError

    return (AgentFileError, ExportError, SessionError, LookupError, OSError)


def _dispatch(args: argparse.Namespace, cli: dict[str, Any], agents: list[str]) -> int:
    command = args.command
    if args.web:
        if command is not None:
            print("backend-copilot: --web serves the app; leave out the command.", file=sys.stderr)
            return EXIT_USAGE
        from tui.web import serve

        return serve(args.raw_argv, host=args.host, port=args.port)
    if command is None:
        from tui.app import run_tui

        return run_tui(cli=cli, agent_paths=agents, resume=args.resume) or EXIT_OK
    if command == "ask":
        return _ask(_question(args.text), cli, agents, as_json=args.json,
                    root=getattr(args, "root", None), yes=args.yes, resume=args.resume)
    if command == "detect":
        return _detect(" ".join(args.text), agents, as_json=args.json)
    if command == "persona":
        return _persona_show(args.path or (agents[0] if agents else None), as_json=args.json)
    if command == "sessions":
        return _sessions(as_json=args.json)
    if command == "export":
        return _export(args.session_id, args.format, args.output, agents)
    if command == "import":
        return _import(args.file)
    if command == "config":
        return _config(cli)
    if command == "mcp":
        from tui.cli_tools import mcp_list

        return mcp_list(cli, as_json=args.json)
    return EXIT_USAGE


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _question(words: list[str]) -> str:
    """The words, or all of standard input for `ask -` (a paste too big for an argument)."""
    if words == ["-"]:
        return sys.stdin.buffer.read().decode("utf-8", "replace")
    return " ".join(words)


def _ask(text: str, cli: dict[str, Any], agents: list[str], *, as_json: bool,
         root: str | None = None, yes: bool = False, resume: str | None = None) -> int:
    from agent.copilot import Copilot
    from agent.llm.base import StreamChunk, StreamEnd
    from agent.text import safe_text
    from tui.cli_tools import (
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
    for problem in copilot.problems:
        print(f"backend-copilot: {problem}", file=sys.stderr)
    parts: list[str] = []
    end: StreamEnd | None = None

    async def run() -> None:
        nonlocal end
        try:
            await prepare_tools(copilot)
            async for item in copilot.ask(text):
                if isinstance(item, StreamChunk):
                    parts.append(item.text)
                    if not as_json:
                        _out(safe_text(item.text))
                elif isinstance(item, StreamEnd):
                    end = item
                elif not as_json:
                    show_tool_event(item)
        finally:
            await copilot.aclose()

    warned = len(copilot.session.warnings)  # those are among the problems printed above
    interrupted = False
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        interrupted = True
    for warning in copilot.session.warnings[warned:]:  # e.g. the disk filled up mid-answer
        print(f"backend-copilot: {warning}", file=sys.stderr)
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
        elif answer is not None and answer.usage is not None:
            print(usage_line(answer.usage), file=sys.stderr)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAIL if end is not None and end.error is not None else EXIT_OK


def _last_activation_reason(state: Any) -> str:
    from agent.session.models import ActivationChanged

    for event in reversed(state.timeline):
        if isinstance(event, ActivationChanged):
            return event.reason
    return ""


def _detect(text: str, agents: list[str], *, as_json: bool) -> int:
    """Score every persona the app would load (bundled, discovered, --agent) on TEXT."""
    from agent.persona.library import PersonaLibrary
    from keywords import detect

    problems: list[str] = []
    library, found = PersonaLibrary.initial(agents, problems, strict=True).with_discovered()
    for problem in problems + found:
        print(f"backend-copilot: {problem}", file=sys.stderr)
    keywords = library.keywords()
    if len(keywords) == 1:
        name, words = next(iter(keywords.items()))
        result = detect(text, words, persona=name)
    else:
        result = detect(text, keywords)
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"{result.persona}: {'active' if result.active else 'idle'} — {result.reason}")
        for m in result.matches:
            print(f"  {m.keyword!s:16} '{m.text}' at {m.start}-{m.end}")
    return EXIT_OK


def _persona_show(path: str | None, *, as_json: bool) -> int:
    from agent.persona.persona import load_persona

    persona = load_persona(path) if path else load_persona()
    if as_json:
        print(persona.model_dump_json(indent=2))
        return EXIT_OK
    print(f"{persona.title} ({persona.name}) — {persona.source_path}")
    print(f"model: {persona.model or '(none)'}   tools: {', '.join(persona.tools) or '(none)'}")
    print(f"keywords: {', '.join(persona.keywords) or '(none)'}")
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
    from agent.session.journal import list_sessions

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
    for key, value in describe(settings):
        print(f"{key:16} {value}")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
