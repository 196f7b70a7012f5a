"""The footer: Textual's, with its keys rebuilt once per burst of binding changes, and only
when the keys it would show have changed.

Textual's `Footer` rebuilds all its keys (remove, compose, mount, style: about 8 widgets here,
then a layout of the whole screen) after every `bindings_updated` signal. A start publishes
several in a row (focus given, the views mounted, `refresh_bindings` after the session is
shown), most of them with the same keys as before: four rebuilds at start, two of them after
the panels came in, each a layout and a paint of the whole screen. Here a rebuild that is
already waiting absorbs the signals that come before it runs, and a rebuild whose keys are the
ones on screen is skipped. What is shown is what Textual's footer shows.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class CopilotFooter(Footer):
    _rebuild_waiting = False
    _keys_drawn: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:
        # Textual's own handler, with the rebuild coalesced (it schedules one per signal).
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_waiting:
            self._rebuild_waiting = True
            self.call_after_refresh(self._rebuild)

    def _keys(self) -> tuple[object, ...]:
        """Everything `Footer.compose` reads from the bindings: the binding, enabled, tooltip."""
        return tuple(
            (binding, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
        )

    async def _rebuild(self) -> None:
        self._rebuild_waiting = False  # a change from here on asks for another rebuild
        keys = self._keys()
        if keys == self._keys_drawn:
            return
        self._keys_drawn = keys
        await self.recompose()


__all__ = ["CopilotFooter"]
