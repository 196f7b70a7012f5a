"""The controller the TUI and CLI talk to: one message in, events and a streamed answer out.

It ties the keyword engine, the session log, the workflow, the prompt and the provider
together. It owns no state the Session does not hold: everything here can be rebuilt from
the log, which is what resume does.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Literal

from agent.answer_stream import record_cards, stream_answer
from agent.config import Settings, load_settings
from agent.key_mask import KeyMask
from agent.llm.base import ChatRequest, Provider, StreamChunk, StreamEnd
from agent.llm.context_budget import Budget
from agent.llm.deadline import DeadlineProvider
from agent.llm.factory import make_provider
from agent.llm.project_context import load_instructions
from agent.llm.request import build_request, check_tool_support, tool_definitions, window_budget
from agent.llm.tool_loop import run_tool_loop
from agent.panel_actions import choose_branch, set_phase
from agent.panel_hints import consult_playbook, note_insights
from agent.persona.library import PersonaInfo, PersonaLibrary, explain
from agent.persona.models import Persona
from agent.persona.persona import load_persona
from agent.persona.workflow import Workflow
from agent.session.catalogue import SessionSummary, list_sessions
from agent.session.journal import Session
from agent.session.models import (
    ActivationChanged,
    ChecklistChanged,
    Compacted,
    ResourceAdded,
    SessionEvent,
    SessionState,
    ToolCallFinished,
    ToolCallStarted,
)
from agent.tools import Approver, ProjectRoot, Toolbox, tools_for
from agent.tools.mcp import McpManager
from agent.trust import ToolGrant, TrustPolicy, TrustRequest

PersonaMode = Literal["auto", "on", "off"]
Listener = Callable[[SessionEvent], None]

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
        trust: TrustPolicy | None = None,
    ) -> None:
        # Every persona it can switch to; `persona` alone makes a library of one.
        self.library = library or PersonaLibrary([persona or load_persona()])
        # Which persona files may widen what tools do (a persona handed in here is explicit).
        self.trust = trust or TrustPolicy(explicit=[persona.source_path] if persona else ())
        self._lock = threading.RLock()  # a new message vs. load_library's swap (a worker)
        self._library_lock = threading.Lock()
        self._workflow: Workflow | None = None
        self._workflow_for: Persona | None = None
        self.settings = settings
        # No provider-wide temperature: the persona's applies per request, only while it is active.
        # Each reply has an overall time limit (answer_timeout), however slowly a server drips.
        self.provider = DeadlineProvider(provider or make_provider(settings),
                                         settings.answer_timeout)
        self.problems = list(problems)
        # Tools act inside this folder only (the working directory unless --root).
        self.root = ProjectRoot(root if root is not None else Path.cwd())
        if self.root.broad and self.offers_tools:
            self.problems.append(
                f"The tools' root is {self.root.path}, your home folder or the whole disk: every "
                "tool call asks first. Start in a project folder, or pass --root PROJECT.")
        # Asked before edit/write/bash and non-read-only MCP tools. The TUI sets its modal
        # here; None means every such call is denied (never an automatic yes).
        self.approver: Approver | None = approver
        # MCP servers from config.toml; nothing starts until start_mcp() (after first paint).
        self.mcp = McpManager(settings.mcp, root=self.root.path)
        self._no_tools: dict[str, bool] = {}  # model -> the probe found it calls no tools
        # AGENTS.md, CLAUDE.md, .github/copilot-instructions.md: in the prompt, never permissions.
        self.instructions = load_instructions(self.root.path)
        self._listeners: list[Listener] = []
        self._playbook_problems: set[str] = set()  # broken cards already noticed
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
        trust = TrustPolicy(explicit=agent_paths)
        if trust.store.problem:
            problems.append(trust.store.problem)
        persona = library.default
        if resume is not None:
            session = _open_resumed(resume, problems)
        else:
            session = Session.create(persona.name)
        problems.extend(session.warnings)  # damaged lines skipped, kept in memory only, ...
        copilot = cls(
            session=session, settings=settings, provider=provider, problems=problems,
            root=root, library=library, trust=trust,
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
        from agent.tools.attach import attach

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
        text = self.key_mask().mask(text)  # a pasted key is not kept (nor sent on) either
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
                        matches=sorted({m.keyword for m in result.matches}
                                       | {word for word, _ in result.terms})
                        if result.active else [],
                        previous=before if now != before else "",
                        runner_up=result.runner_up or "",
                        scores={k: round(v, 2) for k, v in result.scores.items()},
                    )
                )
        if result.active:
            note_insights(self.session, self.persona, message.id)
        return message.id

    # -- the request ------------------------------------------------------------------------

    def consult_playbook(self, message_id: str = ""):  # -> Retrieval | None
        """The playbook's cards for the newest user message, and what they change on screen
        (agent.panel_hints.consult_playbook); loaded at the first answer, never before."""
        return consult_playbook(self.session, self.persona, message_id,
                                problems=self.problems, noticed=self._playbook_problems)

    async def budget(self) -> Budget | None:
        """The window plan for the next request (None for the offline playbook). The first
        call asks the server for its window; later calls reuse what it said."""
        return await window_budget(self.provider, self.settings.max_tokens)

    def tool_definitions(self, budget: Budget | None) -> list[dict]:
        """The tools offered with this request (none without a persona on, for a model that
        cannot call them, or when their definitions alone would crowd the window)."""
        return tool_definitions(self.toolbox, budget, offers_tools=self.offers_tools,
                                persona_active=self.state.persona_active,
                                no_tools=bool(self._no_tools.get(self.provider.model)))

    def build_request(
        self, playbook=None, budget: Budget | None = None  # playbook: Retrieval | None
    ) -> ChatRequest:
        return build_request(self.state, self.persona, self.workflow, playbook=playbook,
                             budget=budget, tools=self.tool_definitions(budget),
                             instructions=self.instructions.text,
                             token_budget=self.settings.token_budget, model=self.provider.model)

    # -- tools ----------------------------------------------------------------------------

    def grant(self) -> ToolGrant:
        """What the shown persona may do here: its file's tools, less what trust withholds."""
        return self.trust.grant(self.persona)

    def toolbox(self, grant: ToolGrant | None = None) -> Toolbox:
        """The persona's granted built-in tools plus the tools of connected MCP servers."""
        offered = {name.lower() for name in (grant or self.grant()).tools}
        specs = [spec for spec in tools_for(self.persona) if spec.name in offered]
        key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
        return Toolbox(self.root, specs, more=self.mcp.tool_specs, secrets=(key,),
                       mask=self.key_mask().mask)

    def key_mask(self) -> KeyMask:
        """Masks the configured key (and its base64) in text about to be recorded."""
        key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
        return KeyMask([key])

    def trust_requests(self) -> list[TrustRequest]:
        """Untrusted project folders whose agent files ask for bash or to act without asking."""
        return self.trust.requests(self.library.personas)

    def trust_folder(self, folder: str) -> None:
        """The user's answer: trust the agent files of `folder` from now on (OSError if the
        data dir cannot be written; then nothing changes)."""
        self.trust.trust(folder)

    @property
    def offers_tools(self) -> bool:
        """Only a model can call tools; the offline playbook never gets any."""
        return bool(getattr(self.provider, "supports_tools", False))

    def _rounds(
        self, request: ChatRequest, answer_id: str
    ) -> AsyncIterator[StreamChunk | StreamEnd | ToolCallStarted | ToolCallFinished]:
        if not request.tools:
            return self.provider.stream(request)
        grant = self.grant()
        return run_tool_loop(
            self.provider, request, session=self.session, answer_id=answer_id,
            toolbox=self.toolbox(grant), approver=self.approver, allowed=self.allowed_tools,
            preapproved=grant.preapproved,
            max_steps=self.persona.steps,
        )

    async def start_mcp(self) -> None:
        """Start the configured MCP servers in the background (call after first paint)."""
        await self.mcp.start()

    async def aclose(self) -> None:
        """Stop MCP servers (the app and the CLI call this on the way out)."""
        await self.mcp.aclose()

    async def _answer(self, message_id: str) -> AsyncIterator[StreamChunk | StreamEnd]:
        playbook = self.consult_playbook(message_id)
        # Before the first answer that would offer tools: does this model call them at all?
        await check_tool_support(self.provider, self.session, self._no_tools,
                                 offers_tools=self.offers_tools)
        request = self.build_request(playbook, await self.budget())
        answer_id = self.session.start_answer(
            self.provider.name,
            self.provider.model,
            persona_active=self.state.persona_active,
            phase=self.workflow.current_name,
            persona=self.persona.name if self.state.persona_active else "",
        )
        record_cards(self.session, answer_id, playbook)
        # aclosing: a reader that goes away stops the answer (and the model's stream) here.
        answer = stream_answer(self.session, answer_id, lambda: self._rounds(request, answer_id),
                               self.key_mask())
        async with contextlib.aclosing(answer) as items:
            async for item in items:
                yield item

    # -- panels and commands ------------------------------------------------------------

    def set_phase(self, target: str) -> str:
        """Move the workflow ('next', 'prev' or a phase name); returns the phase now current
        (a warning per phase left behind whose document still lacks something)."""
        return set_phase(self.session, self.workflow, self.persona, target)

    async def deliver(self, phase: str | None = None, folder: str | None = None):
        """Write the phases' documents under the project root (`docs_dir`, asking before
        overwrites) and record what was written; returns the DeliveryReport. Raises
        WorkflowError for an unknown phase name."""
        from agent.export.deliverables.deliver import deliver, record

        report = await deliver(state=self.state, persona=self.persona, root=self.root,
                               phase=phase, folder=folder or self.settings.docs_dir,
                               provider=self.provider,
                               approver=self.approver)
        if report.files:
            self.session.append(record(report))
        return report

    def add_resource(self, name: str, operations: Sequence[str] = ()) -> str:
        """Name an API resource by hand; returns its path name ("order" -> "orders")."""
        from agent.export.deliverables.extract import resource_name

        path_name = resource_name(name)
        if not path_name:
            raise ValueError(f"'{name}' is not a resource name (letters and digits).")
        self.session.append(ResourceAdded(name=path_name, operations=list(operations)))
        return path_name

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

    def compact(self) -> Compacted | None:
        """Replace the older turns, in what the model is sent, by a digest (a session event,
        so resume and export show it). None when there is nothing older to compact."""
        from agent.session.compact import compaction

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
        return choose_branch(self.session, self.persona, tree_id, node_id)

    def export(
        self, fmt: Literal["md", "json", "html", "brief"], path: str | None = None
    ) -> Path:
        from agent.export.render import write_export  # loaded at the first export, not at start

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


def _open_resumed(resume: str, problems: list[str]) -> Session:
    if resume in ("", "latest"):
        # The newest conversation: a session without a message is nothing to go back to.
        summaries = [s for s in list_sessions(problems=problems) if s.messages]
        if not summaries:
            raise LookupError("There is no saved session to resume yet.")
        return Session.open(summaries[0].path)
    return Session.open(resume)
