"""What the model is told: persona, phase, checklist, tree branch, and history within budget."""

from __future__ import annotations

from agent.llm.prompt import (
    GENERIC_PROMPT,
    build_messages,
    estimate_tokens,
    format_checklist,
    format_phase,
    message_tokens,
    system_prompt,
)
from agent.persona.models import Checklist, ChecklistItem, Persona, Phase
from agent.persona.persona import load_persona
from agent.session.models import ChecklistEntry, Message

ARCH = Phase(name="Architecture", role="Primary", contribution="Own the API design")
PRD = Phase(name="PRD", role="Supporting", contribution="Size up complexity")
PERSONA = Persona(
    name="backend",
    title="Backend",
    prompt="You are a backend specialist. Reliability first.",
    phases=(PRD, ARCH),
    checklists=(Checklist(id="sec", title="Security", items=(
        ChecklistItem(id="sec/jwt", area="Authentication", text="JWT"),
        ChecklistItem(id="sec/rbac", area="Authentication", text="RBAC"),
        ChecklistItem(id="sec/rate", area="Protection", text="Rate limiting"),
    )),),
)


def msg(i: int, role: str, content: str) -> Message:
    return Message(id=f"m{i}", role=role, content=content, ts="2025-01-01T00:00:00Z")  # type: ignore[arg-type]


def test_system_prompt_has_persona_phase_checklist_and_tree() -> None:
    checklist = {"sec/jwt": ChecklistEntry(state="done"),
                 "sec/rate": ChecklistEntry(state="suggested", by="conversation")}
    messages = build_messages(
        persona=PERSONA, phase=ARCH, checklist=checklist,
        tree_hint="Real-time -> WebSocket (words: real-time)",
        history=[msg(1, "user", "How do I push live updates?")], token_budget=4000,
    )
    system = messages[0]
    assert system.role == "system"
    assert system.content.startswith("You are a backend specialist. Reliability first.")
    assert ("Current workflow phase: Architecture — your role: Primary — "
            "contribution: Own the API design.") in system.content
    assert "- Done: Authentication: JWT" in system.content
    assert "not confirmed: Protection: Rate limiting" in system.content
    assert "- Still open: Authentication: RBAC" in system.content
    assert "points to Real-time -> WebSocket (words: real-time)" in system.content
    assert [m.role for m in messages] == ["system", "user"]
    assert messages[-1].content == "How do I push live updates?"


def test_without_a_persona_the_prompt_is_generic() -> None:
    messages = build_messages(persona=None, phase=None, checklist={}, tree_hint="",
                              history=[msg(1, "user", "hi")], token_budget=1000)
    assert messages[0].content == GENERIC_PROMPT
    assert "phase" not in messages[0].content.lower()


def test_supporting_phase_says_so() -> None:
    text = format_phase(PRD)
    assert text.startswith("Current workflow phase: PRD — your role: Supporting")
    assert "support the lead" in text
    assert format_phase(None) == ""


def test_checklist_lines_are_taken_as_given() -> None:
    assert format_checklist(None, ["Auth: JWT — done", "  "]) == "Checklist status:\n- Auth: JWT — done"
    assert format_checklist(None, []) == ""
    assert format_checklist(None, {"x": ChecklistEntry(state="done")}) == ""


def test_bundled_persona_prompt_carries_its_body() -> None:
    persona = load_persona()
    text = system_prompt(persona=persona, phase=persona.phases[0], checklist={})
    assert persona.prompt.strip()[:80] in text
    assert f"Current workflow phase: {persona.phases[0].name}" in text
    assert "Still open:" in text


def test_token_estimate_is_a_quarter_of_the_characters_rounded_up() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2
    assert message_tokens("abcd") == 5


def test_history_is_trimmed_oldest_first() -> None:
    history = [msg(i, "user" if i % 2 == 0 else "assistant", f"{i:02d}" + "x" * 38)
               for i in range(10)]  # 10 turns of 40 chars = 14 tokens each
    history.append(msg(10, "user", "newest question"))
    system_cost = message_tokens(system_prompt(persona=None))
    budget = system_cost + message_tokens("newest question") + 3 * 14
    messages = build_messages(persona=None, history=history, token_budget=budget)
    kept = [m.content[:2] for m in messages[1:-1]]
    # The 3 newest older turns fit (07, 08, 09); 07 is an assistant turn, so it is dropped
    # rather than open the history without its question.
    assert kept == ["08", "09"]
    assert messages[-1].content == "newest question"
    total = sum(message_tokens(m.content) for m in messages)
    assert total <= budget


def test_everything_fits_in_a_large_budget() -> None:
    history = [msg(0, "user", "q1"), msg(1, "assistant", "a1"), msg(2, "user", "q2")]
    messages = build_messages(persona=PERSONA, history=history, token_budget=100_000)
    assert [(m.role, m.content) for m in messages[1:]] == [
        ("user", "q1"), ("assistant", "a1"), ("user", "q2")]


def test_newest_user_message_is_kept_whole_even_over_budget() -> None:
    huge = "explain this log:\n" + "line\n" * 5000
    history = [msg(0, "user", "earlier"), msg(1, "assistant", "answer"), msg(2, "user", huge)]
    messages = build_messages(persona=PERSONA, phase=ARCH, history=history, token_budget=100)
    assert [m.role for m in messages] == ["system", "user"]
    assert messages[0].content.startswith("You are a backend specialist")
    assert messages[1].content == huge


def test_a_long_old_turn_stops_the_window() -> None:
    history = [msg(0, "user", "old short"), msg(1, "assistant", "y" * 4000),
               msg(2, "user", "recent")]
    budget = message_tokens(GENERIC_PROMPT) + message_tokens("recent") + message_tokens("old short")
    messages = build_messages(persona=None, history=history, token_budget=budget)
    assert [m.content for m in messages[1:]] == ["recent"]


def test_trailing_answer_after_the_newest_question_is_dropped() -> None:
    history = [msg(0, "user", "q"), msg(1, "assistant", "half an answ"),
               msg(2, "system", "note"), msg(3, "assistant", "")]
    messages = build_messages(persona=None, history=history, token_budget=1000)
    assert [(m.role, m.content) for m in messages[1:]] == [("user", "q")]


def test_no_user_message_gives_only_the_system_prompt() -> None:
    messages = build_messages(persona=None, history=[], token_budget=1000)
    assert [m.role for m in messages] == ["system"]
