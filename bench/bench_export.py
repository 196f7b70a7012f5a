"""Export speed: a 5,000-message session to Markdown, JSON and HTML, each under 1 s.

Prints the measured time, its ratio to the target and PASS/FAIL; exits 1 on any FAIL.
Run: .venv/bin/python bench/bench_export.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.export.render import export_session  # noqa: E402
from agent.session.models import (  # noqa: E402
    ActivationChanged,
    ChecklistChanged,
    ChecklistEntry,
    Message,
    PhaseChanged,
    SessionState,
    Usage,
)

MESSAGES = 5_000
TARGET_S = 1.0
REPEATS = 3


def build_state() -> SessionState:
    """A long session with realistic, partly hostile content (markup, HTML, escapes)."""
    answer = (
        "Use **REST** for CRUD; add `ETag` caching.\n\n```python\n@app.get('/orders/{id}')\n"
        "def get(id): ...\n```\n<script>alert(1)</script> [bold]x[/] \x1b[31mred\x1b[0m\n" * 3
    )
    messages = []
    for i in range(MESSAGES):
        user = i % 2 == 0
        messages.append(
            Message(
                id=f"m{i}",
                role="user" if user else "assistant",
                content=f"Question {i}: how do I secure the orders API with JWT?" if user else answer,
                ts=f"2026-11-25T10:{(i // 60) % 60:02d}:{i % 60:02d}.000+00:00",
                persona_active=True,
                phase="Architecture",
                status="complete" if i % 97 else "stopped",
                provider="" if user else "openai",
                model="" if user else "gpt-4o",
                usage=None if user else Usage(prompt_tokens=900, completion_tokens=120),
            )
        )
    timeline = []
    for i in range(0, MESSAGES, 50):
        ts = f"2026-11-25T10:{(i // 60) % 60:02d}:{i % 60:02d}.500+00:00"
        timeline.append(ActivationChanged(persona="backend", active=True, reason="api", ts=ts))
        timeline.append(PhaseChanged(phase="Architecture", previous="PRD", role="Primary", ts=ts))
        timeline.append(ChecklistChanged(item_id=f"sec/auth/item{i}", state="suggested", ts=ts))
    return SessionState(
        id="20261125-100000-beef",
        title="Orders API",
        persona="backend",
        created=messages[0].ts,
        updated=messages[-1].ts,
        messages=messages,
        timeline=timeline,
        persona_active=True,
        phase="Architecture",
        checklist={f"sec/auth/item{i}": ChecklistEntry(state="suggested") for i in range(0, MESSAGES, 50)},
    )


def main() -> int:
    state = build_state()
    failed = False
    for fmt in ("md", "json", "html"):
        best = float("inf")
        size = 0
        for _ in range(REPEATS):
            start = time.perf_counter()
            text = export_session(state, fmt)  # type: ignore[arg-type]
            best = min(best, time.perf_counter() - start)
            size = len(text)
        ratio = best / TARGET_S
        verdict = "PASS" if best < TARGET_S else "FAIL"
        failed = failed or verdict == "FAIL"
        print(
            f"export {fmt:<4} {MESSAGES} messages: {best * 1000:7.1f} ms "
            f"({size / 1e6:.1f} MB)  ratio {ratio:.2f} of {TARGET_S:.0f} s target  {verdict}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
