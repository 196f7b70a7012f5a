"""`backend-copilot ask`: one question answered in the terminal, streamed or as one JSON record.

Split out of tui/cli.py, which parses the command line and forwards here. Imports stay lazy:
the core and openai load when a question is asked, not when the parser is built.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

from tui.cli_exit import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, silence_stdout


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def question(words: list[str]) -> str:
    """The words, or all of standard input for `ask -` (a paste too big for an argument)."""
    if words == ["-"]:
        return sys.stdin.buffer.read().decode("utf-8", "replace")
    return " ".join(words)


def ask(text: str, cli: dict[str, Any], agents: list[str], *, as_json: bool,
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
            silence_stdout()
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
