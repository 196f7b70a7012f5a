"""Export a session as Markdown, JSON or self-contained HTML.

Everything in a session came from a user, a model or a file, so it is treated as text: terminal
escapes are stripped, Markdown keeps it in fenced blocks (or backslash-escapes it inline), HTML
escapes every piece and carries no script or external resource. A model's answers are Markdown:
formatted in HTML (raw HTML off, links only to http/https/mailto) and kept as Markdown in the
.md file (see agent/export/markdown.py). The JSON export holds the
events that rebuild the state, so a session can be re-imported.

This module picks the form (md_export, html_export, json_export, brief) and writes the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from agent import paths
from agent.atomic import write_atomic
from agent.errors import ExportError
from agent.export.html_export import to_html
from agent.export.json_export import to_json
from agent.export.md_export import to_markdown
from agent.persona.models import Persona
from agent.session.models import SessionState

ExportFormat = Literal["md", "json", "html", "brief"]
FORMATS: tuple[str, ...] = ("md", "json", "html", "brief")


# -- entry points --------------------------------------------------------------------------


def export_session(
    state: SessionState,
    fmt: ExportFormat,
    persona: Persona | None = None,
    library: Sequence[Persona] = (),
) -> str:
    """The whole session as text in the given format ("brief": a short Markdown summary).

    `library`: every loaded persona, so the brief can name the trees and checklists of each
    persona the session switched on (defaults to `persona` alone).
    """
    if fmt == "brief":
        from agent.export.brief import session_brief

        return session_brief(state, list(library) or ([persona] if persona else []))
    if fmt == "md":
        return to_markdown(state, persona)
    if fmt == "html":
        return to_html(state, persona)
    if fmt == "json":
        return to_json(state)
    raise ExportError(f"Unknown export format '{fmt}'; use one of: {', '.join(FORMATS)}.")


def export_file_name(state: SessionState, fmt: ExportFormat) -> str:
    """<session id>.<ext>; the brief is Markdown: <session id>-brief.md."""
    return f"{state.id}-brief.md" if fmt == "brief" else f"{state.id}.{fmt}"


def write_export(
    state: SessionState,
    fmt: ExportFormat,
    path: Path | None = None,
    persona: Persona | None = None,
    library: Sequence[Persona] = (),
) -> Path:
    """Write the export (mode 0600) and return where; a directory gets <session id>.<ext>."""
    text = export_session(state, fmt, persona, library)
    default_dir = paths.export_dir()
    if path is None:
        target = default_dir / export_file_name(state, fmt)
        try:
            paths.ensure_dir(default_dir)
        except OSError as exc:
            raise ExportError(
                f"Cannot create the export folder {default_dir} ({exc.strerror}); "
                f"set BACKEND_COPILOT_EXPORT_DIR or give a path: /export {fmt} PATH"
            ) from None
    else:
        target = Path(path).expanduser()
        if target.is_dir():
            target = target / export_file_name(state, fmt)
    try:
        _write_private(target, text)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        hint = (
            f"leave out the path to write to {default_dir}"
            if path is not None
            else f"set BACKEND_COPILOT_EXPORT_DIR or give a path: /export {fmt} PATH"
        )
        raise ExportError(f"Cannot write {target} ({reason}); {hint}.") from None
    return target


def _write_private(target: Path, text: str) -> None:
    """Write atomically (see agent/atomic.py), mode 0600: an export holds the conversation."""
    write_atomic(target, text, mode=0o600)
