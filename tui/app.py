"""The Textual app: renders the Copilot's session and forwards what the user does to it.

The app keeps no conversation state. It subscribes to the Copilot's session events and
re-renders from `copilot.state`; answers stream in an async worker that Esc cancels.
The Copilot is built after the first paint, so the screen appears before any file work:
the first frame is the header, the input and the footer (light modules only); the transcript
and the side panels (pydantic models, Markdown, persona parsing) mount right after it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message as TMessage
from textual.reactive import reactive
from textual.widgets import TextArea
from textual.worker import Worker

from tui.bridge import SessionBridge, SessionUpdate
from tui.gc_pause import (
    IdleFullCollections,
    collect_long_lived_again,
    hold_for_start,
    leave_long_lived_alone,
    start_done,
)
from tui.text import clean, one_line
from tui.widgets.composer import PromptHelp, PromptInput
from tui.widgets.footer import CopilotFooter
from tui.widgets.header import CopilotHeader

if TYPE_CHECKING:
    from textual.command import Provider

    from agent.command_results import CommandResult
    from agent.copilot import Copilot
    from agent.session.models import Message
    from agent.tools import Decision, PermissionRequest
    from agent.tools.mcp import ServerStatus
    from tui.transcript.window import ChatView
    from tui.widgets.panels import (
        ChecklistView,
        DecisionTreeView,
        WorkflowPanel,
    )

NARROW = 100  # below this many columns the side panels fold away
PERSONA_CYCLE = {"auto": "on", "on": "off", "off": "auto"}


def _copilot_commands() -> type[Provider]:
    """The palette's provider, imported when the palette first opens (not before first paint)."""
    from tui.palette import CopilotCommands

    return CopilotCommands


class CopilotApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "Backend Co-pilot"
    COMMANDS = App.COMMANDS | {_copilot_commands}
    BINDINGS = [
        Binding("escape", "cancel", "Stop answer"),
        Binding("ctrl+r,f5", "retry", "Retry"),
        Binding("ctrl+b,f2", "toggle_panels", "Panels"),
        Binding("f3", "cycle_persona", "Persona mode"),
        Binding("ctrl+right", "phase('next')", "Next phase", show=False),
        Binding("ctrl+left", "phase('prev')", "Prev phase", show=False),
        Binding("ctrl+s", "sessions", "Sessions"),
        Binding("f1,question_mark", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    busy: reactive[bool] = reactive(False, init=False)
    panels_visible: reactive[bool] = reactive(True, init=False)

    class McpChanged(TMessage):
        """MCP servers connected, failed or stopped."""

        def __init__(self, statuses: list[ServerStatus]) -> None:
            super().__init__()
            self.statuses = statuses

    def __init__(
        self,
        copilot: Copilot | None = None,
        *,
        copilot_factory: Callable[[], Copilot] | None = None,
        max_mounted: int = 30,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        if copilot is None and copilot_factory is None:
            raise ValueError("CopilotApp needs a copilot or a copilot_factory")
        self._copilot = copilot
        self._factory = copilot_factory
        self._max_mounted = max_mounted
        self._ask_worker: Worker | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._bridge: SessionBridge | None = None
        self._mcp_unsubscribe: Callable[[], None] | None = None
        self._panels_forced: bool | None = None
        self.ready = False
        self.last_export = ""
        self.last_delivery: Any = None  # the last /deliver's DeliveryReport
        self._full_collections = IdleFullCollections()
        self._theme_given = theme is not None
        if theme:
            self.theme = theme

    # -- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield CopilotHeader(id="header")
        with Horizontal(id="body"):
            with Vertical(id="main"):
                # Placeholders hold the places of the transcript and the panels in the first
                # frame; _mount_views swaps the real widgets in right after it.
                yield Vertical(id="chat", classes="placeholder")
                yield PromptInput(self._command_names, id="prompt", mentions=self._mentions)
                yield PromptHelp("", id="prompt-help")
            yield Vertical(id="panels", classes="placeholder")
        yield CopilotFooter()

    def on_mount(self) -> None:
        # No garbage collection until the whole first screen is drawn (_start_background);
        # after that, full collections wait for a pause of the user's, checked twice a second.
        hold_for_start()
        self._full_collections.start()
        self.set_interval(0.5, self._collect_if_idle)
        self.query_one(PromptHelp).show_idle()
        self.query_one(PromptInput).focus()
        self._fit_panels(self.size.width)
        # The copilot (persona file, session log) loads after the first frame is on screen.
        self.call_after_refresh(self._attach)

    def _collect_if_idle(self) -> None:
        self._full_collections.tick(busy=self.busy)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseEvent | events.Paste):
            self._full_collections.note_input()
            if isinstance(event, events.Key) and not event.is_forwarded:
                self._focus_input_for(event)
        await super().on_event(event)

    @property
    def copilot(self) -> Copilot:
        if self._copilot is None:
            raise RuntimeError("the copilot is not loaded yet")
        return self._copilot

    async def _mount_views(self) -> None:
        """The transcript and the side panels take their placeholders' places."""
        from tui.transcript.window import ChatView
        from tui.widgets.panels import SidePanels

        if isinstance(self.query_one("#chat"), ChatView):
            return
        await self.query_one("#chat").remove()
        await self.query_one("#panels").remove()
        chat = ChatView(None, self._lookup, max_mounted=self._max_mounted, id="chat")
        await self.query_one("#main").mount(chat, before=self.query_one(PromptInput))
        panels = SidePanels(id="panels")
        panels.display = self.panels_visible
        await self.query_one("#body").mount(panels)

    def _chat(self) -> ChatView:
        from tui.transcript.window import ChatView

        return self.query_one("#chat", ChatView)

    async def _attach(self) -> None:
        # The views, the copilot and the session's newest entries come in one update: one
        # layout for all of them, not one per mounted piece.
        with self.batch_update():
            await self._attach_copilot()
        if self._copilot is None:
            return
        copilot = self.copilot
        for problem in copilot.problems:
            self.say(problem, severity="warning", timeout=10)
        self.ready = True
        # The rest starts once the whole screen is on it, so that none of it competes with
        # the layout and paint of the panels (the library's thread holds the GIL too).
        self.call_after_refresh(self._start_background)

    def _start_background(self) -> None:
        start_done()
        if self._copilot is None or not self.is_running:
            return
        # Every other agent file the user has: found and parsed in a thread.
        self.run_worker(self._load_library, thread=True, group="library", exit_on_error=False)
        # MCP servers connect in the background; failures are status lines.
        self.run_worker(self.copilot.start_mcp(), group="mcp", exit_on_error=False)

    async def _attach_copilot(self) -> None:
        await self._mount_views()
        if self._copilot is None and self._factory is not None:
            try:
                self._copilot = self._factory()
            except Exception as exc:  # one line for the user, never a traceback
                from agent.log import log_exception

                log_exception("starting the co-pilot", exc)
                self.exit(return_code=1, message=one_line(str(exc) or type(exc).__name__, 200))
                return
            leave_long_lived_alone()
        copilot = self.copilot
        settings = getattr(copilot, "settings", None)
        wanted = getattr(settings, "theme", "")
        # config.toml's theme when it names one; else the one last chosen in the app.
        if not self._theme_given and "theme" not in getattr(settings, "model_fields_set", ()):
            from tui.prefs import load_theme

            wanted = load_theme() or wanted
        if not self._theme_given and wanted and wanted != self.theme:
            if wanted in self.available_themes:
                self.theme = wanted
            else:
                copilot.problems.append(f"Unknown theme '{wanted}'; using {self.theme}.")
        # From now on a theme the user picks (palette, Ctrl+P › theme) is remembered.
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        # Every session event reaches the screen through the bridge, as SessionUpdates.
        self._bridge = SessionBridge(self.post_message, loop=asyncio.get_running_loop())
        self._unsubscribe = copilot.subscribe(self._bridge)
        # edit/write and non-read-only MCP tools ask here (the modal); never an automatic yes.
        copilot.approver = self._approve
        self._mcp_unsubscribe = copilot.mcp.subscribe(
            lambda statuses: self.post_message(self.McpChanged(statuses))
        )
        await self.render_all()

    async def render_all(self) -> None:
        """Re-render everything from the copilot (start, /new, resume)."""
        copilot = self.copilot
        state = copilot.state
        self._show_header()
        self._show_panels()
        prompt = self.query_one(PromptInput)
        prompt.sent_history = [m.content for m in state.messages if m.role == "user"]
        chat = self._chat()
        chat.show_welcome(self._connect_hint())
        if self._bridge is not None:
            self._bridge.clear()  # what it holds is in the state about to be shown whole
        await chat.load(state, copilot.persona)
        self.refresh_bindings()

    def _connect_hint(self) -> str:
        """One line on how to connect a model, while the offline playbook answers."""
        if self.copilot.provider.name != "offline":
            return ""
        from agent.llm.factory import CONNECT_HINT

        return CONNECT_HINT

    def _lookup(self, message_id: str) -> Message | None:
        return next((m for m in reversed(self.copilot.state.messages) if m.id == message_id), None)

    def _mentions(self, text: str) -> list[str]:
        """Tab after "@" completes a file path inside the project root (fuzzy)."""
        if self._copilot is None:
            return []
        from agent.tools.attach import complete_mention

        return complete_mention(text, self._copilot.root)

    def _command_names(self) -> list[str]:
        return self.copilot.command_names() if self._copilot is not None else []

    def _current_phase(self) -> str:
        copilot = self.copilot
        name = getattr(copilot.workflow, "current_name", "") or copilot.state.phase
        return name

    def _show_header(self) -> None:
        copilot = self.copilot
        state = copilot.state
        self.query_one(CopilotHeader).show(
            title=state.title,
            persona=copilot.persona.name,
            mode=state.persona_mode,
            active=state.persona_active,
            provider=copilot.provider.name,
            model=copilot.provider.model,
            instructions=copilot.instructions.files,
        )

    def _show_panels(self) -> None:
        copilot = self.copilot
        from agent.persona.persona import DEFAULT_PERSONA_PATH
        from tui.widgets.panels import SidePanels

        persona = copilot.persona
        self.query_one("#panels", SidePanels).show(persona, copilot.state, self._current_phase())
        self.query_one(PromptInput).show_persona(
            persona.keywords, persona.title,
            bundled=str(persona.source_path) == str(DEFAULT_PERSONA_PATH),
        )
        self._show_mcp()

    def _show_mcp(self) -> None:
        from tui.widgets.mcp import McpPanel

        self.query_one(McpPanel).show(self.copilot.persona, self.copilot.mcp.statuses())

    @on(McpChanged)
    def _on_mcp_changed(self) -> None:
        if self._copilot is not None:
            self._show_mcp()

    def keep_typed(self, text: str) -> None:
        """Type-ahead a modal refused as an answer: it belongs in the prompt."""
        from tui.widgets.composer import PromptInput

        prompts = self.query(PromptInput)
        if prompts:
            prompts.first().insert(text)

    async def _approve(self, request: PermissionRequest) -> Decision:
        """The Copilot's approver: the permission modal, awaited inside the answer worker."""
        from tui.screens.permission import PermissionScreen

        screen = PermissionScreen(request)
        try:
            decision = await self.push_screen_wait(screen)
        except BaseException:
            if self.screen is screen:
                with contextlib.suppress(Exception):  # the app may be closing already
                    self.pop_screen()  # the answer was stopped while it asked: nothing changes
            raise
        return decision if decision in ("once", "session") else "deny"

    # -- session events --------------------------------------------------------------

    def _load_library(self) -> None:
        """Runs in a thread: load the persona library, then refresh on the app's loop."""
        shown = self.copilot.persona
        problems = self.copilot.load_library()
        self.call_from_thread(self._library_loaded, problems, self.copilot.persona is not shown)

    def _library_loaded(self, problems: list[str], persona_changed: bool = True) -> None:
        # Files found that do not replace the persona on screen change nothing shown: no
        # second render of the header and the panels (each is a layout of the whole screen).
        if persona_changed:
            self._show_header()
            self._show_panels()
        for problem in problems:
            self.say(problem, severity="warning", timeout=10)
        self._ask_trust()

    def _ask_trust(self) -> None:
        """This project's agent files want a shell or to act unasked: ask once per folder
        (only when a model, which can call tools, is answering)."""
        from tui.screens.trust import TrustScreen

        copilot = self.copilot
        if not copilot.offers_tools:
            return
        for request in copilot.trust_requests():
            def answered(trust: bool | None, folder: str = request.folder) -> None:
                if not trust:
                    return
                try:
                    copilot.trust_folder(folder)
                except OSError as exc:
                    self.say(f"Cannot remember the trusted folder ({exc.strerror or exc}); "
                             "not trusted.", severity="error")
                    return
                self.say(f"Trusted the agent files in {folder}.")

            self.push_screen(TrustScreen(request), answered)

    @on(SessionUpdate)
    def _on_session_update(self, update: SessionUpdate) -> None:
        """Header and panels from the state, once per update; the transcript gets the events."""
        if self._copilot is None or not self.is_running:
            return
        try:
            chat = self._chat()
        except NoMatches:  # the app is closing: its widgets are going
            return
        chat.persona = self.copilot.persona  # lines name the items of the persona now shown
        chat.post_message(SessionUpdate(update.events))
        if update.only_pieces:
            return
        from agent.session.models import ActivationChanged

        self._show_header()
        self._show_panels()
        for event in update.events:
            if not isinstance(event, ActivationChanged):
                continue
            state = "on" if event.active else "off"
            why = f": {event.reason}" if event.reason else ""
            if event.active and event.previous:
                # The reason already says whom it took over from: say it once.
                took = "" if "took over from" in event.reason else (
                    f" took over from {event.previous}")
                self.say(f"Persona {event.persona}{took}{why}", title="Persona")
            else:
                self.say(f"Persona {event.persona} switched {state}{why}", title="Persona")

    def say(
        self, text: str, *, severity: str = "information", title: str = "", timeout: float = 4
    ) -> None:
        """A toast that shows its text literally."""
        self.notify(
            one_line(text, 200), title=clean(title), severity=severity,  # type: ignore[arg-type]
            timeout=timeout, markup=False,
        )

    # -- input -----------------------------------------------------------------------

    def on_text_area_changed(self, event: PromptInput.Changed) -> None:
        if not isinstance(event.text_area, PromptInput):
            return
        help_line = self.query_one(PromptHelp)
        found = event.text_area.matches()
        if found:
            help_line.show_matches(found)
        else:
            help_line.show_idle(self.busy)

    @on(PromptInput.Submitted)
    def _on_submit(self, event: PromptInput.Submitted) -> None:
        if self._copilot is None:
            self.query_one(PromptHelp).show_hint("Still loading — your text stays here.")
            return
        text = event.text
        prompt = self.query_one(PromptInput)
        if text.strip().startswith("/"):
            if self.run_line(text.strip()):
                prompt.remember(text.strip())
                _clear_sent(prompt, text)
            else:
                # Kept to fix, but selected: what is typed next replaces it, never appends.
                prompt.select_all()
            return
        if not self.ask(text):
            return
        prompt.remember(text)
        _clear_sent(prompt, text)

    def ask(self, text: str) -> bool:
        """Start an answer; False (with a hint) while another one is still being written."""
        if self.busy:
            self.query_one(PromptHelp).show_hint(
                "Still answering — press Esc to stop it, or wait. Your text stays here."
            )
            return False
        self.busy = True
        self._ask_worker = self._stream_answer(text)
        return True

    @work(group="ask", exclusive=True)
    async def _stream_answer(self, text: str | None) -> None:
        from agent.llm.base import StreamEnd

        try:
            # The answer's text reaches the transcript through the session (the bridge).
            stream = self.copilot.ask(text) if text is not None else self.copilot.retry()
            async for item in stream:
                if (
                    isinstance(item, StreamEnd)
                    and item.error is not None
                    and item.error.kind != "cancelled"
                ):
                    # An overflow fails the same way again: /compact or /new is the way on.
                    hint = "" if item.error.kind == "overflow" else (
                        " — Ctrl+R or /retry tries again.")
                    self.say(f"{item.error.message}{hint}", severity="error", timeout=8)
        finally:
            self.busy = False

    def _focus_input_for(self, event: events.Key) -> None:
        """Typing goes to the input wherever the focus is, unless the key means something
        there (`c` copies a focused message, space ticks a checklist item) or a text field
        has the focus; Esc brings the focus back to the input (and still stops an answer).

        Decided as each key arrives, before Textual hands it to the focused widget: keys
        that come in one burst (a fast typist, a paste-like send) all follow the first."""
        if self.screen is not self.screen_stack[0]:
            return  # a dialog's keys are its own
        from textual.widgets import Input  # first needed at the first key, not at first paint

        focused = self.focused
        if isinstance(focused, TextArea | Input):
            return
        if event.key == "escape" or (
                event.is_printable and event.key not in self.active_bindings):
            with contextlib.suppress(NoMatches):  # not composed yet, or closing
                self.screen.set_focus(self.query_one(PromptInput))

    def watch_busy(self, busy: bool) -> None:
        self.query_one(PromptHelp).show_idle(busy)
        self.set_class(busy, "-busy")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.busy
        if action == "retry":
            return self.can_retry
        return True

    @property
    def can_retry(self) -> bool:
        """After an error or a stop (or a question left unanswered), not while answering."""
        if self._copilot is None or self.busy:
            return False
        messages = self.copilot.state.messages
        if not any(m.role == "user" for m in messages):
            return False
        last = messages[-1]
        return last.role == "user" or last.status in ("error", "stopped", "interrupted")

    def action_cancel(self) -> None:
        """Esc: stop the answer; the Copilot keeps the partial text marked 'stopped'."""
        if self._ask_worker is not None and self.busy:
            self._ask_worker.cancel()

    def action_retry(self) -> None:
        """Ctrl+R / F5 / `/retry`: answer the last message again; the user's text is kept."""
        if self._copilot is None or self.busy:
            return
        self.busy = True
        self._ask_worker = self._stream_answer(None)

    # -- slash commands and the palette -------------------------------------------------

    def run_line(self, line: str) -> bool:
        """Run a slash command; True when it ran (the input may be cleared)."""
        if self._copilot is None:
            return False
        if self.busy and line.split()[0] in ("/new",):
            self.query_one(PromptHelp).show_hint("Stop the answer first (Esc), then start anew.")
            return False
        result = self.copilot.run_command(line)
        if not result.ok:
            self.query_one(PromptHelp).show_hint(result.message)
            self.say(result.message, severity="warning")
            return False
        return self._act_on(result)

    def _act_on(self, result: CommandResult) -> bool:
        """Do what a command's typed result asks of the front end."""
        from agent import command_results as c

        match result:
            case c.RetryLast():
                if self.busy:
                    self.query_one(PromptHelp).show_hint("Still answering — press Esc first.")
                    return False
                self.action_retry()
            case c.Exported(path=path):
                self.say(f"Exported to {path}", title="Export", timeout=8)
                self.last_export = path
            case c.NewSession():
                self.run_worker(self.render_all(), group="render", exclusive=True)
                self.say(result.message or "New session started.")
            case c.OpenSessions():
                self.action_sessions()
            case c.ShowHelp(lines=lines):
                self.action_help(lines)
            case c.Quit():
                self.exit()
            case c.ShowPersonas():
                self.action_personas()
            case c.RunAudit():
                self.say(result.message, title="Audit")
                self.run_worker(self._run_audit, thread=True, group="audit", exclusive=True,
                                exit_on_error=False)
            case c.RunProbe(url=url, requests=n):
                self.say(result.message, title="Probe")
                self.run_worker(lambda: self._run_probe(url, n), thread=True, group="probe",
                                exclusive=True, exit_on_error=False)
            case c.Deliver(phase=phase):
                self.say(result.message, title="Deliver")
                self.run_worker(self._deliver(phase), group="deliver", exclusive=True,
                                exit_on_error=False)
            case _ if result.message:
                self.query_one(PromptHelp).show_hint(result.message)
        return True

    async def _deliver(self, phase: str) -> None:
        """/deliver in a worker: an overwrite asks through the permission modal (its diff)."""
        try:
            report = await self.copilot.deliver(phase or None)
        except Exception as exc:  # an unknown phase, a folder that cannot be made: one line
            self.say(f"Could not write the documents: {exc}", severity="error")
            return
        self.last_delivery = report
        for line in report.lines():  # one transcript line per file: what was written where
            self.copilot.session.notice(f"Deliver: {line}", level="info")
        written = len(report.written)
        self.say(f"{written} document{'s' if written != 1 else ''} written under {report.root}",
                 title="Deliver", timeout=8)

    def _run_audit(self) -> None:
        """In a thread: read the project, then record the result on the app's loop."""
        from agent.audit.actions import compute_audit

        try:
            root, report = compute_audit(self.copilot)
        except Exception as exc:  # one line; the audit never takes the app down
            self.call_from_thread(self.say, f"The audit stopped: {one_line(str(exc), 160)}",
                                  severity="error")
            return
        self.call_from_thread(self._audit_done, root, report)

    def _audit_done(self, root: object, report: object) -> None:
        from agent.audit.actions import audit_done_line, record_audit

        record_audit(self.copilot, root, report)  # type: ignore[arg-type]
        self.say(audit_done_line(report), title="Audit", timeout=8)  # type: ignore[arg-type]

    def _run_probe(self, url: str, n: int) -> None:
        from agent.audit.actions import compute_probe

        try:
            result = compute_probe(self.copilot, url, n)
        except Exception as exc:
            self.call_from_thread(self.say, f"The probe stopped: {one_line(str(exc), 160)}",
                                  severity="error")
            return
        self.call_from_thread(self._probe_done, result)

    def _probe_done(self, result: object) -> None:
        from agent.audit.actions import record_probe

        record_probe(self.copilot, result)  # type: ignore[arg-type]
        self.say(result.line(), title="Probe", timeout=10)  # type: ignore[attr-defined]

    def action_help(self, lines: Sequence[tuple[str, str]] | None = None) -> None:
        from agent.commands import help_lines
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(list(lines or help_lines())))

    def action_personas(self) -> None:
        """/persona list: the table of personas; Enter pins the chosen one on."""
        from keywords.activation import DEFAULT_ON_THRESHOLD
        from tui.screens.personas import PersonaListScreen

        if self._copilot is None or isinstance(self.screen, PersonaListScreen):
            return
        threshold = getattr(self.copilot.activator, "on_threshold", DEFAULT_ON_THRESHOLD)
        self.push_screen(PersonaListScreen(self.copilot.persona_overview(), threshold),
                         self._pin_persona)

    def _pin_persona(self, name: str | None) -> None:
        if name and self._copilot is not None:
            self.run_line(f"/persona {name}")

    def action_sessions(self) -> None:
        from tui.screens.sessions import SessionsScreen

        if self._copilot is None or isinstance(self.screen, SessionsScreen):
            return
        try:
            sessions = self.copilot.list_sessions()
        except OSError as exc:
            self.say(f"Could not list sessions: {exc}", severity="error")
            return
        self.push_screen(
            SessionsScreen(sessions, self.copilot.state.id, delete=self._delete_session,
                           rename=self._rename_session),
            self._resume,
        )

    def _delete_session(self, path: Path) -> str | None:
        """The sessions screen's `d`: None when deleted, else the line saying why not."""
        from agent.session.catalogue import delete_session
        from agent.session.journal import SessionError

        if self._copilot is not None and path == self.copilot.session.path:
            return "That is the session open here: start a /new one first, then delete it."
        try:
            delete_session(path)
        except SessionError as exc:
            return str(exc)
        return None

    def _rename_session(self, path: Path, title: str) -> str | None:
        """The sessions screen's `r`: the open session's header follows (a title event)."""
        from agent.session.catalogue import rename_session
        from agent.session.journal import SessionError

        try:
            rename_session(path, title)
        except SessionError as exc:
            return str(exc)
        return None

    def _resume(self, session_id: str | None) -> None:
        if not session_id or session_id == self.copilot.state.id:
            return
        if self.busy:
            self.say("Stop the answer first (Esc), then open another session.", severity="warning")
            return
        try:
            self.copilot.resume(session_id)
        except Exception as exc:  # a broken file is one line, not a crash
            from agent.log import log_exception

            log_exception(f"resuming session {session_id}", exc)
            self.say(f"Could not open that session: {exc}", severity="error")
            return
        self.run_worker(self.render_all(), group="render", exclusive=True)
        self.say(f"Resumed: {self.copilot.state.title or session_id}")

    def action_toggle_panels(self) -> None:
        self._panels_forced = not self.panels_visible
        self.panels_visible = self._panels_forced

    def watch_panels_visible(self, visible: bool) -> None:
        self.query_one("#panels").display = visible

    def on_resize(self, event: Any) -> None:
        self._fit_panels(event.size.width)

    def _fit_panels(self, width: int) -> None:
        """Panels fold below NARROW columns; a toggle holds until the width crosses it."""
        narrow = width < NARROW
        self.set_class(narrow, "-narrow")
        if narrow != getattr(self, "_was_narrow", None):
            self._panels_forced = None
        self._was_narrow = narrow
        wanted = not narrow if self._panels_forced is None else self._panels_forced
        self.panels_visible = wanted
        self.watch_panels_visible(wanted)

    def action_cycle_persona(self) -> None:
        if self._copilot is None:
            return
        mode = PERSONA_CYCLE[self.copilot.state.persona_mode]
        self.copilot.set_persona_mode(mode)  # type: ignore[arg-type]

    def action_phase(self, target: str) -> None:
        if self._copilot is None:
            return
        try:
            self.copilot.set_phase(target)
        except Exception as exc:  # WorkflowError: at the first/last phase
            self.say(str(exc), severity="warning")

    def _remember_theme(self, theme: Any) -> None:
        from tui.prefs import save_theme

        problem = save_theme(getattr(theme, "name", str(theme)))
        if problem:
            self.say(problem, severity="warning")

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    # -- panel messages ------------------------------------------------------------------
    # Handlers by name (not @on(...)) so this module need not import the panels before the
    # first paint.

    def on_workflow_panel_step(self, message: WorkflowPanel.Step) -> None:
        self.action_phase(message.target)

    def on_checklist_view_item_action(self, message: ChecklistView.ItemAction) -> None:
        if message.action == "toggle":
            self.copilot.toggle_item(message.item_id)
        else:
            entry = self.copilot.state.checklist.get(message.item_id)
            if entry is not None and entry.state == "suggested":
                self.copilot.clear_item(message.item_id)

    def on_decision_tree_view_branch_chosen(self, message: DecisionTreeView.BranchChosen) -> None:
        if self.busy:
            self.say("Still answering — press Esc first, then choose the branch.")
            return
        question = self.copilot.choose_branch(message.tree_id, message.node_id)
        self.ask(question)

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._bridge is not None:
            self._bridge.clear()
        if self._mcp_unsubscribe is not None:
            self._mcp_unsubscribe()
        if self._copilot is not None:
            # MCP servers stopped, then the session flushed and its lock given back.
            try:
                await self._copilot.aclose()
            finally:
                self._copilot.session.close()
        self._full_collections.stop()
        start_done()  # also when the start never completed (the co-pilot failed to load)
        collect_long_lived_again()


def run_tui(cli: dict, agent_paths: Sequence[str], resume: str | None) -> None:
    """Open the app (the CLI's default command)."""

    def factory() -> Copilot:
        from agent.copilot import Copilot

        # The user's other agent files load later, in a worker (see _load_library).
        return Copilot.start(
            cli=cli, agent_paths=agent_paths, resume=resume, strict=False, discover=False
        )

    app = CopilotApp(copilot_factory=factory)
    app.run()
    if app.return_code:
        raise SystemExit(app.return_code)


__all__ = ["CopilotApp", "run_tui"]


def _clear_sent(prompt: Any, sent: str) -> None:
    """Remove the sent text from the prompt, keeping anything typed after Enter (the submit
    is handled a moment later; clearing everything would drop those keys)."""
    now = prompt.text
    if now != sent and now.startswith(sent):
        prompt.load_text(now[len(sent):])
        prompt.move_cursor(prompt.document.end)
    else:
        prompt.clear()
