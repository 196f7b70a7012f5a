"""The request for the next answer: the window's budget, the tools offered, the messages.

Everything the model is sent is decided here from the session's state, the shown persona and
the budget; the controller only gathers those and sends the result. Also the one probe that
asks whether a model calls tools at all (once per model).
"""

from __future__ import annotations

from collections.abc import Callable

from agent.audit.summary import prompt_summary
from agent.llm.base import ChatRequest, PromptContext, Provider
from agent.llm.context_budget import Budget, json_tokens, plan
from agent.llm.prompt import build_messages
from agent.llm.tool_support import NO_TOOLS_NOTICE
from agent.persona.insight import point_tree
from agent.persona.models import Persona
from agent.persona.workflow import Workflow
from agent.session.journal import Session
from agent.session.models import SessionState, TreeHighlighted
from agent.tools import Toolbox

TOOL_RESULT_ROOM = 512  # tokens kept free for an answer's tool results (they are cut to fit)


async def window_budget(provider: Provider, max_tokens: int | None) -> Budget | None:
    """The window plan for the next request (None for the offline playbook). The first
    call asks the server for its window; later calls reuse what it said."""
    window_of = getattr(provider, "context_window", None)
    if window_of is None:
        return None
    window, source = await window_of()
    return plan(window, max_tokens, source)


def tool_definitions(
    toolbox: Callable[[], Toolbox], budget: Budget | None, *, offers_tools: bool,
    persona_active: bool, no_tools: bool,
) -> list[dict]:
    """The tools offered with this request: none while no persona is on (a plain chat),
    none for a model that cannot call them (`no_tools`: the probe said so; `toolbox` is built only when needed), none when their
    definitions alone would crowd the window (a 2,048-token server)."""
    if not offers_tools or not persona_active:
        return []
    if no_tools:  # the probe said: it does not call tools
        return []
    definitions = toolbox().definitions()
    if budget is not None and json_tokens(definitions) > budget.tools_limit:
        return []
    return definitions


async def check_tool_support(
    provider: Provider, session: Session, no_tools: dict[str, bool], *, offers_tools: bool
) -> None:
    """Before the first answer that would offer tools: does this model call them? If not,
    say so once and send no `tools` from then on (`no_tools`: model -> calls none)."""
    probe = getattr(provider, "tool_support", None)
    if probe is None or not offers_tools or not session.state.persona_active:
        return
    model = provider.model
    if model in no_tools:
        return
    supported = await probe()
    no_tools[model] = supported is False
    if supported is False:
        session.notice(f"{model}: {NO_TOOLS_NOTICE}", "info")


def build_request(
    state: SessionState,
    shown: Persona,
    workflow: Workflow,
    *,
    playbook=None,  # Retrieval | None
    budget: Budget | None = None,
    tools: list[dict],
    instructions: str,
    token_budget: int,
    model: str,
) -> ChatRequest:
    """The messages, tools and limits for the next answer. `shown` is the persona on screen:
    its prompt goes in only while it is on; `instructions` are the project's (AGENTS.md)."""
    active = state.persona_active
    persona = shown if active else None
    tree_hint = ""
    if active and state.tree is not None and tree_still_current(state, shown, playbook):
        tree_hint = tree_hint_text(shown, state.tree)
    context = PromptContext(
        persona=persona,
        phase=workflow.current_name,
        checklist=dict(state.checklist),
        tree_hint=tree_hint,
        audit=state.audit,
        playbook=playbook,
    )
    audit_summary = prompt_summary(state.audit) if state.audit is not None else ""
    reference = ""
    if playbook is not None and playbook.hits:
        from agent.playbook.reference import reference_text

        reference = reference_text(playbook.cards, workflow.current_name if active else "")
    # A failed or crash-cut answer is not sent back: the model would build on broken text.
    history = [m for m in state.messages if m.role in ("user", "assistant") and m.content
               and not (m.role == "assistant" and m.status in ("error", "interrupted"))]
    sections: list[str] = []
    if state.compacted is not None:  # /compact: the summary stands in for older turns
        ids = [m.id for m in state.messages]  # upto may be a failed answer, not in history
        if state.compacted.upto in ids:
            newer = set(ids[ids.index(state.compacted.upto) + 1:])
            history = [m for m in history if m.id in newer]
        sections.append(compact_section(state.compacted.summary))
    if instructions:
        sections.append(instructions)
    # Tool definitions and room for this answer's tool results are kept out of the history.
    reserved = json_tokens(tools) + (min(budget.prompt // 4, TOOL_RESULT_ROOM)
                                     if tools and budget else 0)
    messages = build_messages(
        persona=persona,
        phase=workflow.current if active else None,
        checklist=state.checklist,
        tree_hint=tree_hint,
        history=history,
        token_budget=token_budget,
        budget=budget,
        sections=[*sections, audit_summary, reference],
        reserved=reserved,
    )
    return ChatRequest(
        messages=messages,
        context=context,
        model=model,
        temperature=shown.temperature if active else None,
        max_tokens=budget.answer if budget else None,
        prompt_budget=budget.prompt if budget else None,
        tools=tools,
    )


def tree_still_current(state: SessionState, persona: Persona, playbook) -> bool:
    """Whether the highlighted branch belongs to the newest question.

    A branch the user chose stays; otherwise the newest message must point into the trees
    itself, or be a follow-up the playbook answered with the message before it. A new
    question about something else does not inherit an earlier message's branch.
    """
    if state.tree is None or state.tree.chosen:
        return state.tree is not None
    if playbook is not None and playbook.follow_up:
        return True
    newest = next((m.content for m in reversed(state.messages) if m.role == "user"), "")
    return point_tree(persona, [newest]) is not None


def compact_section(summary: str) -> str:
    return f"Summary of the earlier conversation (it was compacted):\n{summary.strip()}"


def tree_hint_text(persona: Persona, highlight: TreeHighlighted) -> str:
    for tree in persona.decision_trees:
        if tree.id != highlight.tree_id:
            continue
        for option in tree.options:
            if option.node_id == highlight.node_id:
                words = ", ".join(highlight.words)
                why = f" — {option.use_case}" if option.use_case else ""
                return (
                    f"{tree.question}: {option.condition} -> {option.recommendation}{why}"
                    + (f" (the user's words: {words})" if words else "")
                )
    return highlight.recommendation
