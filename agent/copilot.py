"""The controller the TUI and CLI talk to: one message in, events and a streamed answer out.

It ties the keyword engine, the session log, the workflow, the prompt and the provider
together. It owns no state the Session does not hold: everything here can be rebuilt from
the log, which is what resume does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Literal

from agent.config import Settings, load_settings
from agent.context_budget import Budget, json_tokens, plan
from agent.export import write_export
from agent.insight import point_tree, suggest_checklist
from agent.library import PersonaInfo, PersonaLibrary, explain
from agent.mcp_client import McpManager
from agent.persona import Persona, load_persona
from agent.project_context import load_instructions
from agent.prompt import build_messages
from agent.providers.base import ChatRequest, PromptContext, Provider, StreamChunk, StreamEnd
from agent.providers.factory import make_provider
from agent.providers.tool_support import NO_TOOLS_NOTICE
from agent.session import Session, SessionSummary, list_sessions
from agent.session_models import (
    ActivationChanged,
    ChecklistChanged,
    Compacted,
    PhaseChanged,
    SessionEvent,
    SessionState,
    ToolCallFinished,
    ToolCallStarted,
    TreeHighlighted,
)
from agent.tool_loop import run_tool_loop
from agent.tools import Approver, ProjectRoot, Toolbox, tools_for
from agent.workflow import Workflow

PersonaMode = Literal["auto", "on", "off"]
Listener = Callable[[SessionEvent], None]
TOOL_RESULT_ROOM = 512  # tokens kept free for an answer's tool results (they are cut to fit)
FLUSH_EVERY = 0.2  # seconds: streamed text on disk at least this often, even when chunks stall


class Copilot:
    def __init__(
        self,
        *,
        persona: Persona | None = None,
        session: Session,
        settings: Settings,
        provider: Provider | None = None,
        problems: Sequence[str] = (),
        root: str | Path | None = None,
        approver: Approver | None = None,
        library: PersonaLibrary | None = None,
    ) -> None:
        # Every persona it can switch to; `persona` alone makes a library of one.
        self.library = library or PersonaLibrary([persona or load_persona()])
        self._lock = threading.RLock()  # a new message vs. load_library's swap (a worker)
        self._library_lock = threading.Lock()
        self._workflow: Workflow | None = None
        self._workflow_for: Persona | None = None
        self.settings = settings
        # No provider-wide temperature: the persona's applies per request, only while it is active.
        self.provider = provider or make_provider(settings)
        self.problems = list(problems)
        # Tools act inside this folder only (the working directory unless --root).
        self.root = ProjectRoot(root if root is not None else Path.cwd())
        # Asked before edit/write/bash and non-read-only MCP tools. The TUI sets its modal
        # here; None means every such call is denied (never an automatic yes).
        self.approver: Approver | None = approver
        # MCP servers from config.toml; nothing starts until start_mcp() (after first paint).
        self.mcp = McpManager(settings.mcp, root=self.root.path)
        self._no_tools: dict[str, bool] = {}  # model -> the probe found it calls no tools
        # AGENTS.md, CLAUDE.md, .github/copilot-instructions.md: in the prompt, never permissions.
        self.instructions = load_instructions(self.root.path)
        self._listeners: list[Listener] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._attach(session)

    # -- construction -----------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        cli: dict | None = None,
        agent_paths: Sequence[str] = (),
        resume: str | None = None,
        strict: bool = True,
        provider: Provider | None = None,
        root: str | Path | None = None,
        discover: bool = True,
    ) -> Copilot:
        """Build from settings, persona files and (optionally) a saved session. No network.

        strict=False (the TUI) turns a broken `--agent` file into a problem line and goes on
        with the other personas; strict=True (the CLI) lets AgentFileError reach the caller.
        discover=False leaves the user's other agent files for `load_library()` (the TUI calls
        it from a worker after the first paint).
        """
        settings, problems = load_settings(cli or {})
        library = PersonaLibrary.initial(agent_paths, problems, strict=strict)
        persona = library.default
        if resume is not None:
            session = _open_resumed(resume, problems)
        else:
            session = Session.create(persona.name)
        problems.extend(session.warnings)  # damaged lines skipped, kept in memory only, ...
        copilot = cls(
            session=session, settings=settings, provider=provider, problems=problems,
            root=root, library=library,
        )
        if discover:
            copilot.load_library()
        return copilot

    def _attach(self, session: Session) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        previous = getattr(self, "session", None)
        if previous is not None and previous is not session:
            previous.close()  # flushes and gives its lock back
        self.session = session
        self.allowed_tools: set[str] = set()  # "allow for this session" answers, per tool
        state = session.state
        self._workflow_for = None
        if state.persona and self.library.get(state.persona) is None:
            if not self.library.discovered:
                self.load_library()  # a resumed session's persona lives in the user's files
            if self.library.get(state.persona) is None:
                self.problems.append(
                    f"This session was with the persona '{state.persona}', which is not loaded "
                    f"now; showing {self.library.default.name}."
                )
        with self._lock:
            self.activator = self.library.activator_for(state)
        self._unsubscribe = session.subscribe(self._forward)

    def _forward(self, event: SessionEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def subscribe(self, callback: Listener) -> Callable[[], None]:
        """Observe every session event; survives new_session and resume."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    @property
    def state(self) -> SessionState:
        return self.session.state

    @property
    def persona_active(self) -> bool:
        return self.state.persona_active

    @property
    def persona(self) -> Persona:
        """The persona whose panels are shown: the one on, else the last one on, else the default."""
        return self.library.get(self.state.persona) or self.library.default

    @property
    def workflow(self) -> Workflow:
        """The shown persona's phases at the session's phase (its first if it has no such one)."""
        persona = self.persona
        if self._workflow is None or self._workflow_for is not persona:
            self._workflow = Workflow(persona.phases, current=self.state.phase or None)
            self._workflow_for = persona
        return self._workflow

    # -- the persona library --------------------------------------------------------------

    def load_library(self) -> list[str]:
        """Discover and load the user's other agent files; returns the new problem lines.

        Slow (file reads), so the TUI runs it in a worker after the first paint; the swap at
        the end is atomic. A second call does nothing.
        """
        with self._library_lock:
            if self.library.discovered:
                return []
            library, problems = self.library.with_discovered()
            with self._lock:
                self.library = library
                self._workflow_for = None
                self.activator = library.activator_for(self.state)
            self.problems.extend(problems)
        return problems

    def persona_overview(self) -> list[PersonaInfo]:
        """Every persona with its keywords and current score (for /persona list and a palette)."""
        state = self.state
        return self.library.overview(
            self.activator, shown=self.persona.name, active=state.persona_active,
            mode=state.persona_mode,
        )

    # -- a message ----------------------------------------------------------------------

    async def ask(self, text: str) -> AsyncIterator[StreamChunk | StreamEnd]:
        """Record the user's message and its effects, then stream the answer. `@path` attaches
        that file (inside the root) to the message; a problem with one is a notice."""
        from agent.attach import attach

        attached = attach(text, self.root) if "@" in text else None
        for problem in attached.problems if attached else ():
            self.session.notice(problem)
        message_id = self._record_user_message(text, attached.text if attached else None)
        async for item in self._answer(message_id):
            yield item

    async def retry(self) -> AsyncIterator[StreamChunk | StreamEnd]:
        """Answer the last user message again (after an error or a stop)."""
        last_user = next((m for m in reversed(self.state.messages) if m.role == "user"), None)
        if last_user is None:
            yield StreamEnd(finish_reason="error")
            return
        async for item in self._answer(last_user.id):
            yield item

    def _record_user_message(self, text: str, recorded: str | None = None) -> str:
        """`text` drives the persona's keywords; `recorded` (text plus attachments) is saved."""
        with self._lock:
            before, was_active = self.persona.name, self.state.persona_active
            result = self.activator.feed(text)
            message = self.session.add_user_message(
                recorded or text, persona_active=result.active, phase=self.workflow.current_name
            )
            now = result.persona if result.active and result.persona else before
            if result.active != was_active or now != before:
                self.session.append(
                    ActivationChanged(
                        persona=now,
                        active=result.active,
                        pinned=result.mode != "auto",
                        mode=result.mode,
                        reason=explain(result, before if now != before else ""),
                        matches=sorted({m.keyword for m in result.matches})
                        if result.active else [],
                        previous=before if now != before else "",
                        runner_up=result.runner_up or "",
                        scores={k: round(v, 2) for k, v in result.scores.items()},
                    )
                )
        if result.active:
            self._note_insights(message.id)
        return message.id

    def _note_insights(self, message_id: str) -> None:
        user_texts = [m.content for m in self.state.messages if m.role == "user"][-4:]
        hint = point_tree(self.persona, user_texts)
        current = self.state.tree
        if hint is not None and (current is None or current.node_id != hint.node_id):
            self.session.append(
                TreeHighlighted(
                    tree_id=hint.tree_id,
                    node_id=hint.node_id,
                    recommendation=hint.recommendation,
                    words=list(hint.words),
                    message_id=message_id,
                )
            )
        for suggestion in suggest_checklist(self.persona, user_texts[-1]):
            entry = self.state.checklist.get(suggestion.item_id)
            if entry is None or entry.state == "open":
                self.session.append(
                    ChecklistChanged(
                        item_id=suggestion.item_id,
                        state="suggested",
                        by="conversation",
                        evidence=", ".join(suggestion.evidence),
                        message_id=message_id,
                    )
                )

    async def budget(self) -> Budget | None:
        """The window plan for the next request (None for the offline playbook). The first
        call asks the server for its window; later calls reuse what it said."""
        window_of = getattr(self.provider, "context_window", None)
        if window_of is None:
            return None
        window, source = await window_of()
        return plan(window, self.settings.max_tokens, source)

    def tool_definitions(self, budget: Budget | None) -> list[dict]:
        """The tools offered with this request: none while no persona is on (a plain chat),
        none for a model that cannot call them, none when their definitions alone would
        crowd the window (a 2,048-token server)."""
        if not self.offers_tools or not self.state.persona_active:
            return []
        if self._no_tools.get(self.provider.model):  # the probe said: it does not call tools
            return []
        definitions = self.toolbox().definitions()
        if budget is not None and json_tokens(definitions) > budget.tools_limit:
            return []
        return definitions

    async def _check_tool_support(self) -> None:
        """Before the first answer that would offer tools: does this model call them? If not,
        say so once and send no `tools` from then on."""
        probe = getattr(self.provider, "tool_support", None)
        if probe is None or not self.offers_tools or not self.state.persona_active:
            return
        model = self.provider.model
        if model in self._no_tools:
            return
        supported = await probe()
        self._no_tools[model] = supported is False
        if supported is False:
            self.session.notice(f"{model}: {NO_TOOLS_NOTICE}", "info")

    def build_request(self, budget: Budget | None = None) -> ChatRequest:
        state = self.state
        active = state.persona_active
        persona = self.persona if active else None
        tree_hint = ""
        if active and state.tree is not None:
            tree_hint = _tree_hint_text(self.persona, state.tree)
        context = PromptContext(
            persona=persona,
            phase=self.workflow.current_name,
            checklist=dict(state.checklist),
            tree_hint=tree_hint,
        )
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
        if self.instructions.text:
            sections.append(self.instructions.text)
        tools = self.tool_definitions(budget)
        # Tool definitions and room for this answer's tool results are kept out of the history.
        reserved = json_tokens(tools) + (min(budget.prompt // 4, TOOL_RESULT_ROOM)
                                         if tools and budget else 0)
        messages = build_messages(
            persona=persona,
            phase=self.workflow.current if active else None,
            checklist=state.checklist,
            tree_hint=tree_hint,
            history=history,
            token_budget=self.settings.token_budget,
            budget=budget,
            sections=sections,
            reserved=reserved,
        )
        return ChatRequest(
            messages=messages,
            context=context,
            model=self.provider.model,
            temperature=self.persona.temperature if active else None,
            max_tokens=budget.answer if budget else None,
            prompt_budget=budget.prompt if budget else None,
            tools=tools,
        )

    # -- tools ----------------------------------------------------------------------------

    def toolbox(self) -> Toolbox:
        """The persona's granted built-in tools plus the tools of connected MCP servers."""
        return Toolbox(self.root, tools_for(self.persona), more=self.mcp.tool_specs)

    @property
    def offers_tools(self) -> bool:
        """Only a model can call tools; the offline playbook never gets any."""
        return bool(getattr(self.provider, "supports_tools", False))

    def _rounds(
        self, request: ChatRequest, answer_id: str
    ) -> AsyncIterator[StreamChunk | StreamEnd | ToolCallStarted | ToolCallFinished]:
        if not request.tools:
            return self.provider.stream(request)
        return run_tool_loop(
            self.provider, request, session=self.session, answer_id=answer_id,
            toolbox=self.toolbox(), approver=self.approver, allowed=self.allowed_tools,
            preapproved=frozenset(self.persona.allowed_without_asking),
            max_steps=self.persona.steps,
        )

    async def start_mcp(self) -> None:
        """Start the configured MCP servers in the background (call after first paint)."""
        await self.mcp.start()

    async def aclose(self) -> None:
        """Stop MCP servers (the app and the CLI call this on the way out)."""
        await self.mcp.aclose()

    async def _answer(self, message_id: str) -> AsyncIterator[StreamChunk | StreamEnd]:
        await self._check_tool_support()
        request = self.build_request(await self.budget())
        answer_id = self.session.start_answer(
            self.provider.name,
            self.provider.model,
            persona_active=self.state.persona_active,
            phase=self.workflow.current_name,
            persona=self.persona.name if self.state.persona_active else "",
        )
        received = False
        # Chunks may stall for seconds; the buffered text still reaches the disk every 0.2 s.
        flusher = asyncio.create_task(_flush_every(self.session, FLUSH_EVERY))
        try:
            end = StreamEnd(finish_reason="error")
            async for item in self._rounds(request, answer_id):
                if isinstance(item, StreamChunk):
                    received = True
                    self.session.append_chunk(answer_id, item.text)
                    yield item
                elif isinstance(item, StreamEnd):
                    end = item
                else:
                    yield item  # a tool call started or finished (already in the session)
        except (asyncio.CancelledError, GeneratorExit):
            self.session.finish(answer_id, "stopped")
            raise
        finally:
            flusher.cancel()
        if end.error is not None:
            status = "stopped" if end.error.kind == "cancelled" else "error"
            self.session.finish(answer_id, status, usage=end.usage, error=end.error.message)
        else:
            self.session.finish(answer_id, "complete" if received else "error", usage=end.usage,
                                error=None if received else "The model sent an empty answer.",
                                cut_at_length=end.finish_reason == "length")
        yield end

    # -- panels and commands ------------------------------------------------------------

    def set_phase(self, target: str) -> str:
        """Move the workflow ('next', 'prev' or a phase name); returns the phase now current."""
        previous = self.workflow.current_name
        if target == "next":
            self.workflow.next()
        elif target in ("prev", "previous"):
            self.workflow.prev()
        else:
            self.workflow.jump(target)
        if self.workflow.current_name != previous:
            self.session.append(
                PhaseChanged(
                    phase=self.workflow.current_name,
                    previous=previous,
                    role=self.workflow.current.role if self.workflow.current else "",
                )
            )
        return self.workflow.current_name

    def set_persona_mode(self, mode: PersonaMode, persona: str | None = None) -> None:
        """Pin on ("on", this persona or the one shown), pin off, or let the keywords decide.

        Raises KeyError for a persona name that is not loaded.
        """
        with self._lock:
            before = self.persona.name
            chosen = self.library.get(persona) if persona else self.persona
            if chosen is None:
                raise KeyError(persona)
            result = self.activator.pin(mode, chosen.name if mode == "on" else None)
            name = result.persona if mode == "auto" and result.active and result.persona else (
                chosen.name
            )
            reason = {"on": "pinned on by you", "off": "pinned off by you"}.get(
                mode, "automatic: follows the conversation's keywords"
            )
            self.session.append(
                ActivationChanged(
                    persona=name, active=result.active, pinned=mode != "auto", mode=mode,
                    reason=reason, previous=before if name != before else "",
                    scores={k: round(v, 2) for k, v in result.scores.items()},
                )
            )

    def activator_active(self) -> bool:
        return bool(self.activator.state().get("active", self.state.persona_active))

    def compact(self) -> Compacted | None:
        """Replace the older turns, in what the model is sent, by a digest (a session event,
        so resume and export show it). None when there is nothing older to compact."""
        from agent.compact import compaction

        event = compaction(self.state, self.persona, self.workflow.current_name)
        if event is not None:
            self.session.append(event)
        return event

    def toggle_item(self, item_id: str) -> None:
        """open/suggested -> done -> open: the user's word always wins over a suggestion."""
        entry = self.state.checklist.get(item_id)
        new_state = "open" if entry is not None and entry.state == "done" else "done"
        self.session.append(ChecklistChanged(item_id=item_id, state=new_state, by="user"))

    def clear_item(self, item_id: str) -> None:
        self.session.append(ChecklistChanged(item_id=item_id, state="open", by="user"))

    def choose_branch(self, tree_id: str, node_id: str) -> str:
        tree = next((t for t in self.persona.decision_trees if t.id == tree_id), None)
        if tree is None:
            raise KeyError(tree_id)
        option = next(o for o in tree.options if o.node_id == node_id)
        self.session.append(
            TreeHighlighted(
                tree_id=tree_id,
                node_id=node_id,
                recommendation=option.recommendation,
                words=[option.condition],
                chosen=True,
            )
        )
        return (
            f"{tree.question}: {option.condition}. Should we use {option.recommendation}? "
            f"Walk me through the trade-offs for our case."
        )

    def export(
        self, fmt: Literal["md", "json", "html", "brief"], path: str | None = None
    ) -> Path:
        target = Path(path).expanduser() if path else None
        return write_export(
            self.state, fmt, target, persona=self.persona, library=self.library.personas
        )

    def new_session(self) -> None:
        self._attach(Session.create(self.library.default.name))

    def resume(self, session_id: str) -> None:
        """Continue a saved session; SessionError (in use, damaged, missing) leaves us as we were."""
        if session_id in (self.state.id, str(self.session.path)):
            return
        problems: list[str] = []
        self._attach(_open_resumed(session_id, problems))
        for problem in problems:
            self.session.notice(problem)

    def list_sessions(self) -> list[SessionSummary]:
        """Saved sessions; files that are not session logs are moved aside and noted here."""
        problems: list[str] = []
        summaries = list_sessions(problems=problems)
        for problem in problems:
            self.session.notice(problem)
        return summaries

    def run_command(self, line: str):  # -> CommandResult (agent.commands)
        from agent.commands import run_command

        return run_command(self, line)

    def command_names(self) -> list[str]:
        from agent.commands import command_names

        return command_names(self)


def compact_section(summary: str) -> str:
    return f"Summary of the earlier conversation (it was compacted):\n{summary.strip()}"


def _tree_hint_text(persona: Persona, highlight: TreeHighlighted) -> str:
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


async def _flush_every(session: Session, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        session.flush()


def _open_resumed(resume: str, problems: list[str]) -> Session:
    if resume in ("", "latest"):
        summaries = list_sessions(problems=problems)
        if not summaries:
            raise LookupError("There is no saved session to resume yet.")
        return Session.open(summaries[0].id)
    return Session.open(resume)
