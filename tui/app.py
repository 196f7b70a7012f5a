"""The Textual app: renders the Copilot's session and forwards what the user does to it.

The app keeps no conversation state. It subscribes to the Copilot's session events and
re-renders from `copilot.state`; answers stream in an async worker that Esc cancels.
The Copilot is built after the first paint, so the screen appears before any file work:
the first frame is the header, the input and the footer (light modules only); the transcript
and the side panels (pydantic models, Markdown, persona parsing) mount right after it.

CopilotApp is the start-up, the session's events and the @on(...) handlers (Textual takes those
only from the App class itself); its mixins hold the rest: the input and the answer worker
(tui/app_input.py), the slash commands (tui/app_commands.py), the permission and trust modals
(tui/app_prompts.py), the header and the side panels (tui/app_panels.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches, QueryError
from textual.message import Message as TMessage
from textual.reactive import reactive
from textual.worker import Worker

from tui.app_commands import AppCommands
from tui.app_input import AppInput
from tui.app_panels import AppPanels
from tui.app_prompts import AppPrompts
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

    from agent.copilot import Copilot
    from agent.session.models import Message
    from agent.tools.mcp import ServerStatus
    from tui.first_screen import FirstScreen, RememberedScreen
    from tui.transcript.window import ChatView

def _copilot_commands() -> type[Provider]:
    """The palette's provider, imported when the palette first opens (not before first paint)."""
    from tui.palette import CopilotCommands

    return CopilotCommands


class CopilotApp(AppInput, AppCommands, AppPrompts, AppPanels, App[None]):
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
        remembered: RememberedScreen | None = None,
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
        self._first_screen: FirstScreen | None = None
        self.last_export = ""
        self.last_delivery: Any = None  # the last /deliver's DeliveryReport
        self._full_collections = IdleFullCollections()
        self._theme_given = theme is not None
        # A new session's start: its first screen drawn from the last one's, if the same.
        self._remembered = remembered
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

    def on_ready(self) -> None:
        # The copilot (persona file, session log) loads once the first frame is on screen:
        # Ready comes right after it is written. (After the next refresh instead, the small
        # repaints that follow a first frame, one per 60 Hz tick, held the panels ~30 ms.)
        self.call_next(self._attach)

    def _collect_if_idle(self) -> None:
        # Busy until the answer is on screen, not just until the model is done: a fast model
        # leaves the transcript seconds of text to write, and a collection would stall it.
        try:
            writing = self._chat().writing_answer
        except QueryError:  # the placeholder is still there, or the app is closing
            writing = False
        self._full_collections.tick(busy=self.busy or writing)

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
        screen = None
        if self._copilot is None and self._remembered is not None:
            screen = self._remembered.load()
        if screen is None:
            await self._attach_live()
            return
        # The screen the last start showed with the same inputs: drawn now, and the co-pilot
        # loads once it is painted (it then draws the same screen from the session).
        with self.batch_update():
            await self._mount_views()
            self._show_remembered(screen)
        # After the frame that follows this one: the trees lay out once more when first
        # sized (their scrollbars), and that frame should not wait for the co-pilot.
        self.call_after_refresh(self.call_after_refresh, self._attach_live)

    async def _attach_live(self) -> None:
        # The views, the copilot and the session's newest entries come in one update: one
        # layout for all of them, not one per mounted piece.
        with self.batch_update():
            await self._attach_copilot()
        if self._copilot is None:
            return
        if self._remembered is not None:  # a new session's start: saved once it is painted
            self._first_screen = self._screen_now()
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
        if self._remembered is not None and self._first_screen is not None:
            problem = self._remembered.save(self._first_screen)
            if problem:  # the next start is only slower: a line in the log, not a toast
                from agent.log import logger

                logger().warning(problem)
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

    @on(McpChanged)
    def _on_mcp_changed(self) -> None:
        if self._copilot is not None:
            self._show_mcp()

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

    # -- input (what a submit starts: tui/app_input.py, tui/app_commands.py) ---------------

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

    def _remember_theme(self, theme: Any) -> None:
        from tui.prefs import save_theme

        problem = save_theme(getattr(theme, "name", str(theme)))
        if problem:
            self.say(problem, severity="warning")

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

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

    from tui.first_screen import RememberedScreen

    remembered = RememberedScreen(cli, agent_paths) if resume is None else None
    app = CopilotApp(copilot_factory=factory, remembered=remembered)
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
