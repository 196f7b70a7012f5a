"""The commands on saved sessions: `sessions` (the list), `export`, `import` and `deliver`.

Split out of tui/cli.py, which parses the command line and forwards here (it deletes and
renames sessions itself, in a line each); the core loads inside the commands.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from tui.cli_exit import EXIT_FAIL, EXIT_OK, EXIT_USAGE


def sessions(*, as_json: bool) -> int:
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


def export(session_id: str, fmt: str, output: str | None, agents: list[str]) -> int:
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


def deliver(session_id: str, cli: dict[str, Any], agents: list[str], *, phase: str | None,
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


def import_file(file: str) -> int:
    from agent.session.importer import import_session

    session = import_session(file)
    state = session.state
    session.close()
    print(f"Imported session {state.id} ({len(state.messages)} messages): {session.path}")
    print(f"Resume it with: backend-copilot --resume {state.id}")
    return EXIT_OK
