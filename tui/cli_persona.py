"""`backend-copilot detect` and `persona show`: the personas the app would load, as text or JSON.

Split out of tui/cli.py, which parses the command line and forwards here; the persona modules
load inside the commands.
"""

from __future__ import annotations

import json
import sys

from tui.cli_exit import EXIT_OK


def detect(text: str, agents: list[str], *, as_json: bool) -> int:
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


def persona_show(path: str | None, *, as_json: bool) -> int:
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
