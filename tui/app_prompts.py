"""The app's modals that ask the user on the Copilot's behalf: a tool's permission, trust in a folder.

A mixin of CopilotApp (tui/app.py); here `self` is the app. The approver is handed to the
Copilot when it attaches; the trust questions follow the library's load.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.tools import Decision, PermissionRequest


class AppPrompts:
    """CopilotApp's permission and trust modals, and the type-ahead they refuse."""

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
