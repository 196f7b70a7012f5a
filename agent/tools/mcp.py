"""MCP servers from config.toml: started in the background, their tools offered to the model.

Why this shape:
- Nothing here imports `mcp` until `start()` runs, and the app calls that after first paint;
  each server connects in its own task, so a slow or broken one delays nothing else.
- Each server's connection lives in one task that owns the SDK's context managers (anyio
  requires enter and exit in the same task); calls from the answer loop use its session.
- A server that fails to start, times out, or dies becomes a status line ("failed: ...") and
  its tools disappear; nothing raises to the chat.
- Tools are offered as `<server>_<tool>`. Calling one asks permission, like the built-in
  edit/write; only a tool the server marks read-only (`readOnlyHint`) of a server the user
  marked `trust = true` in config.toml runs without asking (a hint is the server's claim).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict

from agent.config import McpLocal, McpRemote
from agent.lazy_model import LazyModel
from agent.persona.models import Persona
from agent.text import safe_text
from agent.tools.base import PermissionRequest, ToolContext, ToolResult, ToolSpec, cut
from agent.tools.root import ToolError

ServerState = Literal["not started", "starting", "connected", "failed", "disabled", "stopped"]
_NAME_OK = re.compile(r"[^A-Za-z0-9_-]")
MAX_TOOL_NAME = 64  # the OpenAI function-name limit


class McpToolInfo(LazyModel):
    model_config = ConfigDict(frozen=True)
    name: str  # as offered to the model: "<server>_<tool>"
    tool: str  # the server's own name for it
    description: str = ""
    read_only: bool = False


class ServerStatus(LazyModel):
    """One line of `mcp list` and of the TUI's MCP panel."""

    model_config = ConfigDict(frozen=True)
    name: str
    type: Literal["local", "remote"]
    target: str  # the command line or the URL (never headers or environment values)
    state: ServerState
    reason: str = ""  # why it failed, one line
    tools: tuple[McpToolInfo, ...] = ()

    @property
    def line(self) -> str:
        if self.state == "connected":
            n = len(self.tools)
            return f"connected, {n} tool{'s' if n != 1 else ''}"
        if self.state == "failed":
            return f"failed: {self.reason}" if self.reason else "failed"
        return self.state


def tool_name(server: str, tool: str) -> str:
    """`<server>_<tool>` with only the characters function names allow, at most 64 long."""
    return _NAME_OK.sub("_", f"{server}_{tool}")[:MAX_TOOL_NAME]


def _target(config: McpLocal | McpRemote) -> str:
    if isinstance(config, McpLocal):
        return " ".join(config.command)
    return config.url


def _reason(exc: BaseException) -> str:
    """The innermost useful message of an exception (groups unwrapped), as one line."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, FileNotFoundError):
        name = exc.filename or (exc.args[1] if len(exc.args) > 1 else "")
        return f"command not found: {name}" if name else "command not found"
    if isinstance(exc, TimeoutError):
        return "no answer in time (timed out)"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return safe_text(text)[:200]


class _Server:
    """One configured server and the task that holds its connection."""

    def __init__(self, name: str, config: McpLocal | McpRemote, root: Path | None) -> None:
        self.name = name
        self.config = config
        self.root = root
        self.state: ServerState = "not started" if config.enabled else "disabled"
        self.reason = ""
        self.tools: tuple[McpToolInfo, ...] = ()
        self.raw_tools: dict[str, Any] = {}
        self.session: Any = None
        self.task: asyncio.Task[None] | None = None
        self.ready: asyncio.Event | None = None  # made on the running loop by start()
        self._stop: asyncio.Event | None = None
        self._errlog: Any = None
        self._http_error = ""  # a remote server's last HTTP error status, e.g. "HTTP 401"

    @property
    def timeout(self) -> float:
        return self.config.timeout / 1000

    def status(self) -> ServerStatus:
        return ServerStatus(name=self.name, type=self.config.type, target=_target(self.config),
                            state=self.state, reason=self.reason, tools=self.tools)

    def _stderr_tail(self) -> str:
        if self._errlog is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._errlog.seek(0)
            lines = [line.strip() for line in self._errlog.read().splitlines() if line.strip()]
            if lines:
                return safe_text(lines[-1])[:200]
        return ""

    def fail(self, reason: str) -> None:
        self.state, self.reason = "failed", reason
        self.tools, self.raw_tools, self.session = (), {}, None

    async def run(self, changed: Callable[[], None]) -> None:
        from mcp import ClientSession  # the SDK loads here, never at app start

        self._stop = asyncio.Event()
        self.state, self.reason = "starting", ""
        changed()
        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(self._transport())
                session = await stack.enter_async_context(ClientSession(read, write))
                async with asyncio.timeout(self.timeout):
                    await session.initialize()
                    listed = await _list_all_tools(session)
                self.session = session
                self.raw_tools = {t.name: t for t in listed}
                self.tools = tuple(
                    McpToolInfo(
                        name=tool_name(self.name, t.name), tool=t.name,
                        description=safe_text(t.description or t.title or "")[:1000],
                        read_only=bool(t.annotations is not None and t.annotations.read_only_hint),
                    )
                    for t in listed
                )
                self.state = "connected"
                assert self.ready is not None
                self.ready.set()
                changed()
                await self._stop.wait()
                if self.state == "connected":
                    self.state = "stopped"
        except asyncio.CancelledError:
            self.state = "stopped"
            raise
        except BaseException as exc:  # noqa: BLE001 - any failure is a status line
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            reason = _reason(exc)
            tail = self._stderr_tail()
            if tail and tail not in reason:
                reason = f"{reason} (server said: {tail})"
            if self._http_error:  # the SDK words every HTTP error alike; the status says more
                reason = f"{self._http_error} ({reason})"
                if self._http_error.split()[1] in ("401", "403"):
                    reason += f"; check the headers of [mcp.{self.name}] in config.toml"
            self.fail(reason)
        finally:
            if self.state in ("stopped", "starting"):
                self.state = "stopped" if self.state == "starting" else self.state
                self.tools, self.raw_tools, self.session = (), {}, None
            if self.ready is not None:
                self.ready.set()
            if self._errlog is not None:
                with contextlib.suppress(OSError):
                    self._errlog.close()
            changed()

    def _transport(self) -> contextlib.AbstractAsyncContextManager[Any]:
        config = self.config
        if isinstance(config, McpLocal):
            from mcp.client.stdio import StdioServerParameters, stdio_client

            # The server's stderr goes to a private file (a TUI must not be scribbled on);
            # its last line explains a failure.
            self._errlog = tempfile.TemporaryFile(  # noqa: SIM115 - closed when run() ends
                mode="w+", encoding="utf-8", errors="replace")
            params = StdioServerParameters(
                command=config.command[0], args=list(config.command[1:]),
                env=dict(config.environment) or None,
                cwd=str(self.root) if self.root is not None else None,
            )
            return stdio_client(params, errlog=self._errlog)
        return _http_transport(config, self._note_http_error)

    def _note_http_error(self, status: int, phrase: str) -> None:
        self._http_error = f"HTTP {status} {phrase}".strip()

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    async def call(self, tool: str, arguments: dict[str, Any]) -> ToolResult:
        session = self.session
        if session is None or self.state != "connected":
            raise ToolError(f"The MCP server '{self.name}' is not connected ({self.status().line}).")
        try:
            result = await asyncio.wait_for(session.call_tool(tool, arguments), self.timeout)
        except TimeoutError:
            raise ToolError(f"The MCP server '{self.name}' did not answer within "
                            f"{self.timeout:g} s.") from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a protocol error or a dead server
            reason = _reason(exc)
            if "closed" in reason.lower() or isinstance(exc, OSError):
                tail = self._stderr_tail()
                self.fail(f"the server stopped ({reason}" + (f"; it said: {tail})" if tail else ")"))
            raise ToolError(f"The MCP server '{self.name}' failed: {reason}.") from None
        text = _result_text(result)
        shown = f"{self.name} · {tool}"
        n = len(text.splitlines())
        return ToolResult(ok=not getattr(result, "is_error", False), content=cut(text),
                          summary=f"{shown}: " + ("error" if getattr(result, "is_error", False)
                                                  else f"{n} line{'s' if n != 1 else ''}"))


def _http_transport(
    config: McpRemote, on_error: Callable[[int, str], None]
) -> contextlib.AbstractAsyncContextManager[Any]:
    from mcp.client.streamable_http import streamable_http_client

    try:
        from mcp.shared._httpx_utils import create_mcp_http_client

        client = create_mcp_http_client(headers=dict(config.headers))
    except ImportError:  # a later SDK moved the helper; its default client has no headers
        client = None

    async def note_error(response: Any) -> None:
        if response.status_code >= 400:
            on_error(response.status_code, safe_text(response.reason_phrase or "")[:60])

    if client is not None:
        client.event_hooks["response"].append(note_error)

    @contextlib.asynccontextmanager
    async def transport() -> Any:
        async with contextlib.AsyncExitStack() as stack:
            if client is not None:
                await stack.enter_async_context(client)
            streams = await stack.enter_async_context(
                streamable_http_client(config.url, http_client=client))
            yield streams[0], streams[1]

    return transport()


async def _list_all_tools(session: Any) -> list[Any]:
    tools: list[Any] = []
    cursor: str | None = None
    for _ in range(100):  # a server that pages forever cannot hang us
        result = await session.list_tools(cursor=cursor) if cursor else await session.list_tools()
        tools.extend(result.tools)
        cursor = getattr(result, "next_cursor", None)
        if not cursor:
            break
    return tools


def _result_text(result: Any) -> str:
    parts: list[str] = []
    for block in getattr(result, "content", None) or ():
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(str(getattr(block, "text", "")))
        elif kind in ("image", "audio"):
            parts.append(f"[{kind}: {getattr(block, 'mime_type', '') or 'binary'} not shown]")
        elif kind == "resource_link":
            parts.append(f"[resource: {getattr(block, 'uri', '')}]")
        elif kind == "resource":
            resource = getattr(block, "resource", None)
            parts.append(str(getattr(resource, "text", "") or f"[resource: {getattr(resource, 'uri', '')}]"))
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False, indent=1))
    return "\n".join(parts) if parts else "(no content)"


class McpManager:
    """The configured servers: start them, report their status, offer and call their tools."""

    def __init__(self, configs: Mapping[str, McpLocal | McpRemote], *, root: Path | None = None) -> None:
        self._servers = {name: _Server(name, cfg, root) for name, cfg in configs.items()}
        self._listeners: list[Callable[[list[ServerStatus]], None]] = []

    # -- status ----------------------------------------------------------------------------

    def statuses(self) -> list[ServerStatus]:
        return [server.status() for server in self._servers.values()]

    def subscribe(self, callback: Callable[[list[ServerStatus]], None]) -> Callable[[], None]:
        """callback(statuses) whenever a server connects, fails or stops (on the event loop)."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _changed(self) -> None:
        statuses = self.statuses()
        for callback in list(self._listeners):
            with contextlib.suppress(Exception):  # a broken observer must not stop a server
                callback(statuses)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every enabled server that is not running; returns at once (they connect in
        the background). Call `wait_ready()` to wait for them."""
        if self._servers:
            from agent.log import route_library_logs

            route_library_logs()  # the SDK's tracebacks go to the log file, not the terminal
        for server in self._servers.values():
            if not server.config.enabled or (server.task is not None and not server.task.done()):
                continue
            server.ready = asyncio.Event()
            server.task = asyncio.create_task(server.run(self._changed),
                                              name=f"mcp-{server.name}")

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until every started server is connected or failed (at most `timeout` s)."""
        waits = [s.ready.wait() for s in self._servers.values() if s.ready is not None]
        if waits:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waits), timeout)

    async def aclose(self) -> None:
        """Stop all servers (bounded: a server that will not stop is cancelled)."""
        tasks = []
        for server in self._servers.values():
            server.stop()
            if server.task is not None and not server.task.done():
                tasks.append(server.task)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=5)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)

    # -- tools -----------------------------------------------------------------------------

    def tool_specs(self) -> list[ToolSpec]:
        specs: list[ToolSpec] = []
        for server in self._servers.values():
            if server.state != "connected":
                continue
            for info in server.tools:
                raw = server.raw_tools.get(info.tool)
                schema = dict(getattr(raw, "input_schema", None) or {})
                schema.setdefault("type", "object")
                schema.setdefault("properties", {})
                specs.append(self._spec(server, info, schema))
        return specs

    def _spec(self, server: _Server, info: McpToolInfo, schema: dict[str, Any]) -> ToolSpec:
        async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
            return await server.call(info.tool, args)

        def preview(args: dict[str, Any], ctx: ToolContext) -> PermissionRequest:
            return PermissionRequest(tool=info.name, arguments=args,
                                     title=f"{server.name} · {info.tool}", server=server.name)

        description = info.description or f"{info.tool} (from the {server.name} MCP server)"
        return ToolSpec(
            name=info.name, description=f"[{server.name}] {description}", parameters=schema,
            run=run, describe=lambda a, c: f"{server.name} · {info.tool}",
            # a server's readOnlyHint counts only for a server config.toml trusts
            needs_approval=not (info.read_only and server.config.trust), preview=preview,
            server=server.name,
        )


# -- the persona's MCP roles -----------------------------------------------------------------


class McpRole(LazyModel):
    """A server the persona's file names (role, purpose) beside what is actually connected."""

    model_config = ConfigDict(frozen=True)
    name: str  # as the file writes it: "Context7"
    role: str  # "Primary" | "Secondary"
    purpose: str = ""
    server: str = ""  # the configured server it matched ("" when none is configured)
    state: str = "not configured"  # a ServerState, or "not configured"
    detail: str = ""  # "connected, 2 tools" / "failed: command not found: npx"


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def mcp_roles(persona: Persona, statuses: list[ServerStatus]) -> list[McpRole]:
    """The persona's MCP roles (Context7 primary, Sequential-Thinking secondary, ...) each with
    the configured server whose name matches (case, '-' and '_' ignored) and its status."""
    by_key = {_key(s.name): s for s in statuses}
    roles: list[McpRole] = []
    for name, role, purpose in persona.mcp_servers:
        key = _key(name)
        status = by_key.get(key) or next(
            (s for k, s in by_key.items() if key and (k.startswith(key) or key.startswith(k))),
            None,
        )
        if status is None:
            roles.append(McpRole(name=name, role=role, purpose=purpose,
                                 detail="not configured: add [mcp.<name>] to config.toml"))
        else:
            roles.append(McpRole(name=name, role=role, purpose=purpose, server=status.name,
                                 state=status.state, detail=status.line))
    return roles
