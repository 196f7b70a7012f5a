"""Where a persona's file came from decides what it may do.

Why: an agent file in a repository (`./.claude/agents/`, `./.opencode/agent/`) is written by
whoever wrote the repository. Its `tools: bash` and `permission: {edit: allow}` must not
widen what the agent does on the user's machine until the user says so. Trusted, as is:
the bundled persona, the user's own `<config>/agents/`, and files named with `--agent`.
Any other file is untrusted until the user trusts its folder once (remembered per folder
in the data dir). An untrusted persona still loads and talks; it only never gets `bash`, and
every `permission: allow` of it asks instead.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ConfigDict, Field, ValidationError

from agent import paths
from agent.atomic import write_atomic
from agent.lazy_model import LazyModel
from agent.persona.models import Persona
from agent.persona.persona import DEFAULT_PERSONA_PATH

STORE_NAME = "trusted-folders.json"
# Folders a project keeps agent files in; the folder above them is what the user trusts.
PROJECT_AGENT_DIRS = ((".claude", "agents"), (".opencode", "agent"), (".opencode", "agents"))
# Environment variables a command from the agent never sees (matched on the upper-cased name).
SECRET_NAME = re.compile(r"(_API_KEY|_TOKEN|_SECRET|_PASSWORD|^API_KEY|^TOKEN)$")


def _is_shell(tool: str) -> bool:
    """`bash`, and pattern forms such as `Bash(git *)`."""
    name = tool.strip().lower()
    return name == "bash" or name.startswith("bash(")


class ToolGrant(LazyModel):
    """What a persona may do here: the tools offered and the ones that run without asking."""

    model_config = ConfigDict(frozen=True)
    trusted: bool
    tools: tuple[str, ...]
    preapproved: frozenset[str] = frozenset()
    withheld: tuple[str, ...] = ()  # what the file asked for and did not get, for people


def grant_for(persona: Persona, *, trusted: bool) -> ToolGrant:
    """The persona's own tools and `allow` rules, less bash and `allow` when untrusted."""
    if trusted:
        return ToolGrant(trusted=True, tools=persona.tools,
                         preapproved=frozenset(persona.allowed_without_asking))
    withheld = [f"run shell commands ({t})" for t in persona.tools if _is_shell(t)]
    withheld += [f"{t} without asking" for t in persona.allowed_without_asking
                 if not _is_shell(t)]
    return ToolGrant(trusted=False, tools=tuple(t for t in persona.tools if not _is_shell(t)),
                     withheld=tuple(withheld))


def trust_folder_of(source_path: str | Path) -> Path:
    """The folder a user trusts for this file: the project above `.claude/agents/` (and the
    OpenCode forms), else the file's own folder."""
    path = Path(source_path).absolute()
    folder = path.parent
    for outer, inner in PROJECT_AGENT_DIRS:
        if folder.name == inner and folder.parent.name == outer:
            return folder.parent.parent
    return folder


class _Stored(LazyModel):
    path: str
    trusted_at: str


class _StoreFile(LazyModel):
    folders: list[_Stored] = Field(default_factory=list)


class TrustStore:
    """The folders the user trusted, kept in `<data dir>/trusted-folders.json` (mode 0600)."""

    def __init__(self, file: Path | None = None) -> None:
        self.file = file if file is not None else paths.data_dir() / STORE_NAME
        self.problem = ""  # one line when the file could not be read (then nothing is trusted)
        self._folders = self._load()

    def _load(self) -> dict[str, str]:
        try:
            if not self.file.is_file():
                return {}
            raw = self.file.read_text(encoding="utf-8")
            stored = _StoreFile.model_validate(json.loads(raw))
        except (OSError, ValueError, ValidationError) as exc:
            self.problem = (f"{self.file}: cannot read the trusted folders ({type(exc).__name__}); "
                            "no project agent file is trusted until it is fixed or removed.")
            return {}
        return {entry.path: entry.trusted_at for entry in stored.folders}

    def folders(self) -> list[str]:
        return sorted(self._folders)

    def is_trusted(self, folder: str | Path) -> bool:
        return str(Path(folder).absolute()) in self._folders

    def trust(self, folder: str | Path) -> None:
        """Remember `folder` as trusted; OSError when the data dir cannot be written."""
        key = str(Path(folder).absolute())
        folders = dict(self._folders)
        folders[key] = datetime.now(UTC).isoformat(timespec="seconds")
        paths.ensure_dir(self.file.parent)
        body = _StoreFile(folders=[_Stored(path=k, trusted_at=v) for k, v in sorted(folders.items())])
        write_atomic(self.file, body.model_dump_json(indent=2) + "\n", mode=paths.FILE_MODE)
        self._folders = folders


class TrustRequest(LazyModel):
    """One untrusted folder whose agent files ask for more than they get: what a prompt shows."""

    folder: str
    files: list[tuple[str, list[str]]]  # (file, what it asks for and does not get)

    def lines(self) -> list[str]:
        out = []
        for file, asks in self.files:
            shown = os.path.relpath(file, self.folder) if file.startswith(self.folder) else file
            out.append(f"{shown}: asks to {', '.join(asks)}")
        return out


class TrustPolicy:
    """Decides, per persona, whether its file is trusted: bundled, the user's config, an
    explicit `--agent`, or a folder the user trusted."""

    def __init__(self, store: TrustStore | None = None, *, explicit: Iterable[str | Path] = (),
                 config_dir: Path | None = None) -> None:
        self.store = store if store is not None else TrustStore()
        self._explicit = {_key(p) for p in explicit}
        self._config_agents = Path(_key((config_dir or paths.config_dir()) / "agents"))
        self._bundled = Path(_key(DEFAULT_PERSONA_PATH)).parent

    def is_trusted(self, persona: Persona) -> bool:
        if not persona.source_path:
            return True  # built in code, not from any file
        key = Path(_key(persona.source_path))
        if str(key) in self._explicit:
            return True
        if key.is_relative_to(self._bundled) or key.is_relative_to(self._config_agents):
            return True
        return self.store.is_trusted(trust_folder_of(persona.source_path))

    def grant(self, persona: Persona) -> ToolGrant:
        return grant_for(persona, trusted=self.is_trusted(persona))

    def requests(self, personas: Sequence[Persona]) -> list[TrustRequest]:
        """Untrusted folders whose files ask for bash or `allow`, one entry per folder."""
        by_folder: dict[str, list[tuple[str, list[str]]]] = {}
        for persona in personas:
            grant = self.grant(persona)
            if grant.trusted or not grant.withheld:
                continue
            folder = str(trust_folder_of(persona.source_path))
            by_folder.setdefault(folder, []).append((persona.source_path, list(grant.withheld)))
        return [TrustRequest(folder=f, files=files) for f, files in sorted(by_folder.items())]

    def trust(self, folder: str | Path) -> None:
        self.store.trust(folder)


def _key(path: str | Path) -> str:
    try:
        return str(Path(path).expanduser().resolve())
    except (OSError, RuntimeError):
        return str(Path(path).absolute())


def command_environment(secrets: Iterable[str] = ()) -> dict[str, str]:
    """The environment a shell command from the agent runs with: the user's, less every
    variable named like a key or token and any whose value is one of `secrets`."""
    values = {s for s in secrets if s}
    return {
        name: value for name, value in os.environ.items()
        if not SECRET_NAME.search(name.upper()) and value not in values
    }
