"""The app's slash commands: a command's typed result acted on, and the workers and screens it opens.

A mixin of CopilotApp (tui/app.py); here `self` is the app. /audit and /probe run in threads,
/deliver in an async worker; the help, personas and sessions screens open from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tui.text import one_line
from tui.widgets.composer import PromptHelp

if TYPE_CHECKING:
    from agent.command_results import CommandResult


class AppCommands:
    """CopilotApp's slash commands and the screens and workers they start."""

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
