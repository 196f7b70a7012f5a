"""`backend-copilot`: the TUI with no command (or in a browser with --web); ask, detect, persona,
sessions, export, import, config.

Imports stay lazy: the TUI path must not pay for openai, and the quick commands must not pay
for Textual. This module parses and dispatches; the bigger commands live in tui/cli_ask.py,
tui/cli_persona.py and tui/cli_sessions.py, their exit codes in tui/cli_exit.py.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from tui.cli_exit import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, silence_stdout


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
        silence_stdout()
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
        from tui.cli_ask import ask, question

        return ask(question(args.text), cli, agents, as_json=args.json,
                   root=getattr(args, "root", None), yes=args.yes, resume=args.resume,
                   phase=args.phase)
    if command == "detect":
        from tui.cli_persona import detect

        return detect(" ".join(args.text), agents, as_json=args.json)
    if command == "persona":
        from tui.cli_persona import persona_show

        return persona_show(args.path or (agents[0] if agents else None), as_json=args.json)
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
        from tui.cli_sessions import sessions

        return sessions(as_json=args.json)
    if command == "export":
        from tui.cli_sessions import export

        return export(args.session_id, args.format, args.output, agents)
    if command == "import":
        from tui.cli_sessions import import_file

        return import_file(args.file)
    if command == "deliver":
        from tui.cli_sessions import deliver

        return deliver(args.session_id, cli, agents, phase=args.phase, folder=args.dir,
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
