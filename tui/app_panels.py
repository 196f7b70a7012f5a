"""The app's header, side panels and their keys: what CopilotApp shows around the transcript.

A mixin of CopilotApp (tui/app.py), which holds the start-up and the session events; here `self`
is the app. The panels' messages are handled by name: Textual takes @on(...) handlers only from
the App class itself, never from a plain mixin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.widgets.composer import PromptInput
from tui.widgets.header import CopilotHeader

if TYPE_CHECKING:
    from tui.first_screen import FirstScreen
    from tui.widgets.panel_view import PanelPersona
    from tui.widgets.panels import (
        ChecklistView,
        DecisionTreeView,
        WorkflowPanel,
    )

NARROW = 100  # below this many columns the side panels fold away
PERSONA_CYCLE = {"auto": "on", "on": "off", "off": "auto"}


class AppPanels:
    """CopilotApp's header and side panels: shown from the state, folded, and their keys."""

    def _current_phase(self) -> str:
        copilot = self.copilot
        name = getattr(copilot.workflow, "current_name", "") or copilot.state.phase
        return name

    def _header_fields(self) -> dict[str, Any]:
        """CopilotHeader.show's arguments, from the co-pilot (remembered as they are)."""
        copilot = self.copilot
        state = copilot.state
        return {
            "title": state.title,
            "persona": copilot.persona.name,
            "mode": state.persona_mode,
            "active": state.persona_active,
            "provider": copilot.provider.name,
            "model": copilot.provider.model,
            "instructions": tuple(copilot.instructions.files),
        }

    def _show_header(self) -> None:
        self.query_one(CopilotHeader).show(**self._header_fields())

    def _screen_now(self) -> FirstScreen:
        """What the screen shows of the co-pilot now, as a start would remember it (the
        session's own entries, ticks and highlights are not part of it: see first_screen)."""
        from tui.first_screen import FirstScreen
        from tui.widgets.mcp import McpPanel

        persona = self.copilot.persona
        return FirstScreen(
            **self._header_fields(), theme=self.theme,
            keywords=tuple(persona.keywords), persona_title=persona.title,
            bundled=self._bundled(persona), phase=self._current_phase(), hint=self._connect_hint(),
            panels=self._panel_persona(), mcp=self.query_one(McpPanel).shown,
        )

    def _show_remembered(self, screen: FirstScreen) -> None:
        """Draw a remembered first screen (before the co-pilot is loaded), through the same
        calls as `_show_header` and `_show_panels` make with the live one."""
        from tui.widgets.mcp import McpPanel
        from tui.widgets.panels import SidePanels

        if not self._theme_given and screen.theme in self.available_themes:
            self.theme = screen.theme
        self.query_one(CopilotHeader).show(**screen.header_fields())
        self.query_one("#panels", SidePanels).show(screen.panels, None, screen.phase)
        self.query_one(PromptInput).show_persona(screen.keywords, screen.persona_title,
                                                 bundled=screen.bundled)
        self.query_one(McpPanel).show_rows(screen.mcp)
        self._chat().show_no_session(screen.hint)

    @staticmethod
    def _bundled(persona: Any) -> bool:
        from agent.persona.persona import DEFAULT_PERSONA_PATH

        return str(persona.source_path) == str(DEFAULT_PERSONA_PATH)

    def _panel_persona(self) -> PanelPersona:
        """The shown persona as the panels draw it, made again only when the persona changes."""
        from tui.widgets.panel_view import PanelPersona

        persona = self.copilot.persona
        made = getattr(self, "_panel_rows", None)
        if made is None or made[0] is not persona:
            made = self._panel_rows = (persona, PanelPersona.of(persona))
        return made[1]

    def _show_panels(self) -> None:
        copilot = self.copilot
        from tui.widgets.panels import SidePanels

        persona = copilot.persona
        self.query_one("#panels", SidePanels).show(
            self._panel_persona(), copilot.state, self._current_phase())
        self.query_one(PromptInput).show_persona(
            persona.keywords, persona.title, bundled=self._bundled(persona))
        self._show_mcp()

    def _show_mcp(self) -> None:
        from tui.widgets.mcp import McpPanel

        self.query_one(McpPanel).show(self.copilot.persona, self.copilot.mcp.statuses())

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

    # -- panel messages ------------------------------------------------------------------
    # Handlers by name (not @on(...)) so this module need not import the panels before the
    # first paint.

    def on_workflow_panel_step(self, message: WorkflowPanel.Step) -> None:
        self.action_phase(message.target)

    def on_checklist_view_item_action(self, message: ChecklistView.ItemAction) -> None:
        if self._copilot is None:  # a remembered screen, the co-pilot still loading
            self.say("Still loading — tick it again in a moment.")
            return
        if message.action == "toggle":
            self.copilot.toggle_item(message.item_id)
        else:
            entry = self.copilot.state.checklist.get(message.item_id)
            if entry is not None and entry.state == "suggested":
                self.copilot.clear_item(message.item_id)

    def on_decision_tree_view_branch_chosen(self, message: DecisionTreeView.BranchChosen) -> None:
        if self._copilot is None:
            self.say("Still loading — choose the branch again in a moment.")
            return
        if self.busy:
            self.say("Still answering — press Esc first, then choose the branch.")
            return
        question = self.copilot.choose_branch(message.tree_id, message.node_id)
        self.ask(question)
