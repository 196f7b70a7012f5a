"""PRD phase: the backend assessment — the problem as stated, complexity, open questions, standards."""

from __future__ import annotations

from agent.export.deliverables.context import DeliveryContext
from agent.export.deliverables.models import Draft
from agent.export.deliverables.text import header, inline, missing_headings, quote
from keywords import KeywordSet

PATH = "prd.md"
HEADINGS = ("Problem", "Backend complexity", "Open questions", "Standards that apply")
MAX_QUOTES = 5

# What each dimension of backend complexity sounds like in a user's words.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "Data": ("database", "sql", "postgres", "postgresql", "mysql", "mongodb", "transaction",
             "schema", "migration", "acid", "consistency", "storage", "relational", "nosql",
             "redis", "cache", "history", "records", "report", "analytics"),
    "Integrations": ("integration", "webhook", "third-party", "third party", "stripe",
                     "payment", "email", "sms", "partner", "external", "queue", "kafka",
                     "rabbitmq", "import", "export", "sync"),
    "Real-time": ("real-time", "realtime", "real time", "live", "push", "notification",
                  "websocket", "streaming", "subscribe", "chat"),
    "Scale": ("scale", "scaling", "million", "thousand", "traffic", "load", "concurrent",
              "peak", "throughput", "latency", "requests per second", "rps", "global", "region"),
}


def complexity(texts: list[str]) -> dict[str, list[str]]:
    """Per dimension, the words the user used that show it (as written, lower case)."""
    out: dict[str, list[str]] = {}
    for name, cues in DIMENSIONS.items():
        found: dict[str, None] = {}
        keyword_set = KeywordSet(cues)
        for text in texts:
            for match in keyword_set.find(text):
                found.setdefault(match.text.lower(), None)
        out[name] = list(found)
    return out


def open_questions(ctx: DeliveryContext) -> list[str]:
    questions = []
    for decision in ctx.decisions:
        if decision.current is None:
            names = ", ".join(o.recommendation for o in decision.tree.options)
            questions.append(f"{decision.tree.question}: which branch applies ({names})?")
        elif not decision.history:
            questions.append(f"{decision.tree.question}: the talk points to "
                             f"{decision.current.option.recommendation}; confirm or choose another.")
    if not ctx.resources:
        questions.append("Which resources does the API expose, and what can be done to each?")
    for entry in ctx.items("open", "suggested"):
        note = " (mentioned, not settled)" if entry.state == "suggested" else ""
        questions.append(f"{entry.item.area}: how is {entry.item.text} handled?{note}")
    return questions


def draft(ctx: DeliveryContext, phase: str, folder: str) -> Draft:
    out = [header(f"Backend assessment — {ctx.title or 'untitled'}", phase, ctx.session_id)]
    out.append("## Problem, in the user's words\n\n")
    if ctx.user_words:
        out.extend(quote(t) + "\n" for t in ctx.user_words[:MAX_QUOTES])
        if len(ctx.user_words) > MAX_QUOTES:
            out.append(f"({len(ctx.user_words) - MAX_QUOTES} later messages not quoted)\n\n")
    else:
        out.append("Not stated yet: the session has no message from the user.\n\n")
    out.append("## Backend complexity\n\n| Dimension | What the session shows |\n|---|---|\n")
    for name, words in complexity(ctx.user_words).items():
        shown = "mentioned: " + ", ".join(words) if words else "not mentioned"
        out.append(f"| {name} | {inline(shown)} |\n")
    if ctx.resources:
        out.append("\nResources named:\n\n")
        for r in ctx.resources:
            who = f" by {inline(r.actor)}" if r.actor else ""
            out.append(f"- {inline(r.name)}: {', '.join(r.operations)}{who}\n")
    out.append("\n## Open questions\n\n")
    questions = open_questions(ctx)
    out.extend(f"- {inline(q)}\n" for q in questions)
    if not questions:
        out.append("None: every decision is settled and the checklist is done.\n")
    out.append("\n## Standards that apply\n\n")
    for s in ctx.standards:
        note = f" — {inline(s.note)}" if s.note else ""
        out.append(f"- **{inline(s.name)}**: {inline(s.target)}{note}\n")
    if not ctx.standards:
        out.append("The persona names no standards.\n")
    if ctx.cards:
        out.append("\n## Playbook cards used\n\n")
        out.extend(f"- {inline(c.title)}{': ' + inline(c.summary) if c.summary else ''}\n"
                   for c in ctx.cards)
    return Draft(kind="prd", phase=phase, path=f"{folder}/{PATH}", text="".join(out),
                 title="Backend assessment")


def check(text: str, ctx: DeliveryContext) -> str | None:
    missing = missing_headings(text, HEADINGS)
    if missing:
        return f"the assessment lacks the section(s): {', '.join(missing)}"
    return None
