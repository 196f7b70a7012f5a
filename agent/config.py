"""Settings: which model to talk to and how, from config.toml < environment < command line.

Loading never fails: every bad value becomes one problem line (which key, what value, what to
fix) and that key keeps its default, so the app always starts. With no key and no server
configured the app answers from the offline playbook. Keys are SecretStr: masked in repr, str
and `describe`, and never written anywhere by this module.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, SecretStr, ValidationError, field_validator

from agent import paths
from agent.lazy_model import LazyModel

ProviderName = Literal["offline", "openai", "openrouter", "ollama", "custom"]
PROVIDERS: tuple[str, ...] = ("offline", "openai", "openrouter", "ollama", "custom")
MODEL_PREFIXES: tuple[str, ...] = ("openrouter", "openai", "ollama")

OPENAI_URL = "https://api.openai.com/v1"
OPENROUTER_URL = "https://openrouter.ai/api/v1"
OLLAMA_URL = "http://localhost:11434/v1"
DEFAULT_MODELS: dict[str, str] = {
    "openai": "gpt-4o-mini",
    "openrouter": "openai/gpt-4o-mini",
    "ollama": "llama3.1",
    "custom": "",
    "offline": "",
}

class McpLocal(LazyModel):
    """`[mcp.NAME]` with type = "local": a stdio server (OpenCode's shape: the command and its
    arguments in one list, extra environment variables in `environment`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["local"] = "local"
    command: list[str] = Field(min_length=1)
    environment: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True
    # Only the user's word lets this server's read-only tools run unasked: `readOnlyHint` is
    # the server's own claim, so without `trust = true` every tool of it asks first.
    trust: bool = False
    timeout: int = Field(default=30_000, gt=0, le=600_000)  # milliseconds, as in OpenCode

    @field_validator("command")
    @classmethod
    def _command(cls, value: list[str]) -> list[str]:
        if not value or not value[0].strip():
            raise ValueError("the first item must be the program to run")
        return value


class McpRemote(LazyModel):
    """`[mcp.NAME]` with type = "remote": a streamable-HTTP server (url + headers)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["remote"] = "remote"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True
    # Only the user's word lets this server's read-only tools run unasked: `readOnlyHint` is
    # the server's own claim, so without `trust = true` every tool of it asks first.
    trust: bool = False
    timeout: int = Field(default=30_000, gt=0, le=600_000)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


McpServerConfig = Annotated[McpLocal | McpRemote, Field(discriminator="type")]
MCP_HINT = (
    'use [mcp.NAME] with type = "local", command = ["npx", "-y", "pkg"] (and optional '
    'environment = {...}), or type = "remote", url = "https://..." (and optional headers = {...})'
)


class _McpEntry(LazyModel):
    server: McpServerConfig


class Settings(LazyModel):
    """The effective settings. `provider` is what will answer ("offline" without a model)."""

    model_config = ConfigDict(extra="forbid")

    # A user key is a field with a description: the description is the hint shown when its
    # value is wrong, and FILE_KEYS / HINTS below are derived from these fields.
    provider: ProviderName = Field(
        default="offline", description=f"use one of: {', '.join(PROVIDERS)}")
    model: str = Field(
        default="",
        description="use a model name such as gpt-4o-mini or openrouter/anthropic/claude-sonnet-4")
    base_url: str | None = Field(
        default=None, description="use an http:// or https:// URL such as http://localhost:11434/v1")
    api_key: SecretStr | None = Field(
        default=None,
        description="use the key as a string (or set OPENAI_API_KEY / OPENROUTER_API_KEY)")
    connect_timeout: float = Field(
        default=10.0, gt=0, le=600, description="use a number of seconds between 0 and 600, e.g. 10")
    read_timeout: float = Field(
        default=60.0, gt=0, le=3600, description="use a number of seconds between 0 and 3600, e.g. 60")
    # One model reply (a round of the tool loop), start to end: a server that drips a byte
    # just inside read_timeout forever is still stopped. Time spent asking the user is not in it.
    answer_timeout: float = Field(
        default=600.0, gt=0, le=86400,
        description="use a number of seconds between 0 and 86400, e.g. 600")
    max_retries: int = Field(
        default=3, ge=0, le=10, description="use a whole number from 0 to 10, e.g. 3")
    token_budget: int = Field(
        default=12000, ge=500, le=10_000_000,
        description="use a whole number of tokens from 500 up, e.g. 12000")
    # The model's window; None = ask the server (llama.cpp, vLLM, Ollama), else a default.
    context_window: int | None = Field(
        default=None, ge=512, le=10_000_000,
        description="use the model's context size in tokens from 512 up, e.g. 8192")
    max_tokens: int = Field(  # the answer's room
        default=1024, ge=16, le=1_000_000,
        description="use a whole number of tokens from 16 up, e.g. 1024")
    theme: str = Field(
        default="textual-dark", min_length=1,
        description="use a Textual theme name such as textual-dark or textual-light")
    stream_delay: float = Field(
        default=0.01, ge=0, le=1, description="use a number of seconds from 0 to 1, e.g. 0.01")
    docs_dir: str = Field(  # where /deliver writes, under the root
        default="docs", min_length=1,
        description="use a folder relative to the project root, e.g. docs or documentation")
    mcp: dict[str, McpServerConfig] = Field(default_factory=dict)  # [mcp.NAME] tables
    # Filled in by load_settings, not user keys:
    key_env: str = "OPENAI_API_KEY"  # the variable the provider reads the key from
    key_source: str = ""  # where the key came from: "OPENAI_API_KEY", "config.toml", ...
    config_path: str = ""

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("model", "theme")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


# Keys a user may set (file: all of them; CLI: these too, usually provider/model/base_url).
FILE_KEYS: tuple[str, ...] = tuple(
    name for name, field in Settings.model_fields.items() if field.description
)
HINTS: dict[str, str] = {
    name: field.description
    for name, field in Settings.model_fields.items()
    if field.description
}


# -- loading -------------------------------------------------------------------------------


def _shown(key: str, value: Any) -> str:
    if key == "api_key":
        return "(hidden)"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check(key: str, value: Any, where: str, problems: list[str]) -> tuple[bool, Any]:
    """Validate one value on its own; a bad one becomes a problem line and is dropped."""
    if key == "provider" and isinstance(value, str):
        value = value.strip().lower()
    try:
        checked = Settings.model_validate({key: value})
    except ValidationError as exc:
        reason = exc.errors()[0].get("msg", "invalid value")
        default = Settings.model_fields[key].default
        fallback = f"using the default {default!r}" if default not in (None, "") else "ignored"
        problems.append(
            f"{key} = {_shown(key, value)} in {where} is invalid ({reason}); "
            f"{HINTS.get(key, 'fix the value')} — {fallback} for now."
        )
        return False, None
    return True, getattr(checked, key)


def _read_file(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        # O_NONBLOCK + fstat: a FIFO or device named config.toml never hangs start-up.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                problems.append(f"{path} is not a regular file; replace it with a TOML file or "
                                "delete it to use defaults.")
                return {}
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        problems.append(
            f"{path}: TOML syntax error: {exc}; fix that line or delete the file to use defaults."
        )
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        problems.append(
            f"Cannot read {path} ({reason}); fix its permissions or delete it to use defaults."
        )
        return {}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "mcp":
            values["mcp"] = parse_mcp(value, str(path), problems)
            continue
        if key not in FILE_KEYS:
            problems.append(
                f"unknown key '{key}' in {path}; valid keys: {', '.join(FILE_KEYS)}."
            )
            continue
        ok, checked = _check(key, value, str(path), problems)
        if ok:
            values[key] = checked
    return values


def parse_mcp(data: Any, where: str, problems: list[str]) -> dict[str, Any]:
    """The `[mcp.NAME]` tables; a bad entry becomes one problem line and is skipped."""
    if not isinstance(data, dict):
        problems.append(f"mcp in {where} must be a table of servers; {MCP_HINT}.")
        return {}
    servers: dict[str, Any] = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            problems.append(f"mcp.{name} in {where} must be a table; {MCP_HINT} — skipped.")
            continue
        if "type" not in entry:
            problems.append(f'mcp.{name} in {where} has no type ("local" or "remote"); '
                            f"{MCP_HINT} — skipped.")
            continue
        try:
            servers[str(name)] = _McpEntry.model_validate({"server": entry}).server
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = [str(p) for p in first.get("loc", ()) if p not in ("server", "local", "remote")]
            field = ".".join(loc) or "entry"
            reason = first.get("msg", "invalid value")
            if first.get("type") == "extra_forbidden":
                reason = "unknown key (arguments belong in the command list)" if field == "args" \
                    else "unknown key"
            problems.append(f"mcp.{name}.{field} in {where} is invalid ({reason}); {MCP_HINT} "
                            "— skipped.")
    return servers


def _split_prefix(model: str) -> tuple[str | None, str]:
    head, sep, rest = model.partition("/")
    if sep and rest and head.lower() in MODEL_PREFIXES:
        return head.lower(), rest
    return None, model


def load_settings(
    cli: dict[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> tuple[Settings, list[str]]:
    """Effective settings and the problems found on the way (each one line)."""
    env = os.environ if env is None else env
    path = paths.config_file() if path is None else Path(path)
    problems: list[str] = []

    file_values = _read_file(path, problems)
    env_values: dict[str, Any] = {}
    for var, key in (("BACKEND_COPILOT_PROVIDER", "provider"), ("BACKEND_COPILOT_MODEL", "model")):
        raw = env.get(var, "").strip()
        if raw:
            ok, checked = _check(key, raw, var, problems)
            if ok:
                env_values[key] = checked
    env_base_url: str | None = None
    if env.get("OPENAI_BASE_URL", "").strip():
        ok, checked = _check("base_url", env["OPENAI_BASE_URL"].strip(), "OPENAI_BASE_URL", problems)
        env_base_url = checked if ok else None
    cli_values: dict[str, Any] = {}
    for key, value in (cli or {}).items():
        if value is None:
            continue
        if key not in FILE_KEYS:
            problems.append(f"unknown option '{key}'; valid options: {', '.join(FILE_KEYS)}.")
            continue
        ok, checked = _check(key, value, f"--{key.replace('_', '-')}", problems)
        if ok:
            cli_values[key] = checked

    # Merge file < env < cli, remembering which layer set provider and model.
    merged: dict[str, Any] = {}
    rank: dict[str, int] = {}
    for level, layer in enumerate((file_values, env_values, cli_values)):
        for key, value in layer.items():
            merged[key] = value
            rank[key] = level

    provider: str | None = merged.get("provider")
    model: str = merged.get("model", "")
    prefix, rest = _split_prefix(model)
    if prefix is not None:
        if provider in ("openrouter", "custom"):
            # OpenRouter ids look like "openai/gpt-4o": only its own prefix is a prefix.
            if prefix == "openrouter":
                model = rest
        elif provider is None or provider == prefix or rank["model"] >= rank.get("provider", -1):
            provider, model = prefix, rest

    # base_url: file < OPENAI_BASE_URL < cli; the OpenAI variable does not redirect
    # OpenRouter or Ollama.
    base_url: str | None = file_values.get("base_url")
    if env_base_url and provider not in ("openrouter", "ollama"):
        base_url = env_base_url
    base_url = cli_values.get("base_url", base_url)

    openai_key = env.get("OPENAI_API_KEY", "").strip()
    openrouter_key = env.get("OPENROUTER_API_KEY", "").strip()
    file_key: SecretStr | None = file_values.get("api_key")
    if provider is None:
        if openai_key or base_url or file_key:
            provider = "openai"
        elif openrouter_key:
            provider = "openrouter"
        else:
            provider = "offline"
    key_env = "OPENROUTER_API_KEY" if provider == "openrouter" else "OPENAI_API_KEY"
    env_key = openrouter_key if provider == "openrouter" else openai_key
    api_key: SecretStr | None = None
    key_source = ""
    if env_key:
        api_key, key_source = SecretStr(env_key), key_env
    elif file_key is not None and file_key.get_secret_value():
        api_key, key_source = file_key, str(path)
    if api_key is not None:
        from agent import log

        log.mask([api_key.get_secret_value()])  # the log file never holds it

    if provider == "openrouter":
        base_url = base_url or OPENROUTER_URL
    elif provider == "ollama":
        base_url = base_url or OLLAMA_URL

    offline_reason = ""
    if provider in ("openai", "openrouter") and api_key is None and not (
        provider == "openai" and base_url
    ):
        offline_reason = f"provider '{provider}' needs an API key: set {key_env} or api_key in {path}"
    elif provider == "custom" and not base_url:
        offline_reason = f"provider 'custom' needs a base_url: set OPENAI_BASE_URL, --base-url or base_url in {path}"
    if offline_reason:
        problems.append(f"{offline_reason} — answering from the offline playbook until then.")
        provider = "offline"

    if not model and provider != "offline":
        model = DEFAULT_MODELS[provider]

    values = {k: v for k, v in merged.items() if k not in ("provider", "model", "base_url", "api_key")}
    settings = Settings(
        provider=provider,  # type: ignore[arg-type]
        model=model,
        base_url=base_url if provider != "offline" else None,
        api_key=api_key if provider != "offline" else None,
        key_env=key_env,
        key_source=key_source if provider != "offline" else "",
        config_path=str(path),
        **values,
    )
    return settings, problems


# -- showing -------------------------------------------------------------------------------


def mask_key(key: SecretStr | str | None) -> str:
    """'sk-…abcd' style: enough to tell keys apart, never enough to use one."""
    if key is None:
        return "(not set)"
    value = key.get_secret_value() if isinstance(key, SecretStr) else key
    if not value:
        return "(not set)"
    if len(value) < 12:
        return "(set, hidden)"
    return f"{value[:3]}…{value[-4:]}"


def describe(settings: Settings) -> list[tuple[str, str]]:
    """Rows for `backend-copilot config`: every setting, the key masked, where files live."""
    offline = settings.provider == "offline"
    key = mask_key(settings.api_key)
    if settings.api_key is not None and settings.key_source:
        key += f" (from {settings.key_source})"
    config_path = Path(settings.config_path) if settings.config_path else paths.config_file()
    rows = [
        ("provider", settings.provider + (" (playbook, no model needed)" if offline else "")),
        ("model", settings.model or ("-" if offline else "(server default)")),
        ("base_url", settings.base_url or ("-" if offline else OPENAI_URL)),
        ("api_key", key),
        ("connect_timeout", f"{settings.connect_timeout:g} s"),
        ("read_timeout", f"{settings.read_timeout:g} s"),
        ("answer_timeout", f"{settings.answer_timeout:g} s"),
        ("max_retries", str(settings.max_retries)),
        ("token_budget", str(settings.token_budget)),
        ("context_window", str(settings.context_window) if settings.context_window
         else "(asked from the server, else a default)"),
        ("max_tokens", str(settings.max_tokens)),
        ("theme", settings.theme),
        ("stream_delay", f"{settings.stream_delay:g} s"),
        ("docs_dir", settings.docs_dir),
        ("config file", f"{config_path}" + ("" if config_path.exists() else " (not found)")),
        ("sessions", str(paths.sessions_dir())),
        ("exports", str(paths.export_dir())),
    ]
    return rows
