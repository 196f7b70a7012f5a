"""The `audit` and `probe` console commands (tui/cli.py only parses and forwards)."""

from __future__ import annotations

import sys
from pathlib import Path

from agent.text import safe_text


def user_rules_dir() -> Path:
    from agent import paths

    return paths.config_dir() / "audit"


def audit_main(root: str | None, agents: list[str], *, as_json: bool) -> int:
    from agent.audit.engine import run_audit
    from agent.audit.summary import report_lines
    from agent.persona.persona import load_persona

    persona = load_persona(agents[0]) if agents else load_persona()
    folder = Path(root or ".")
    if not folder.is_dir():
        print(f"backend-copilot: {safe_text(str(folder))} is not a folder to audit", file=sys.stderr)
        return 1
    report = run_audit(folder, persona, user_rules_dir=user_rules_dir())
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(report_lines(report)) + "\n")
    return 0


def probe_main(url: str, n: int, concurrency: int, *, as_json: bool) -> int:
    from agent.audit.probe import ProbeError, probe

    try:
        result = probe(url, n, concurrency=concurrency)
    except ProbeError as exc:
        print(f"backend-copilot: {safe_text(str(exc))}", file=sys.stderr)
        return 2
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        print(safe_text(result.line()))
        for sample in result.error_samples:
            print(f"  error: {safe_text(sample)}")
    return 0 if result.ok else 1
