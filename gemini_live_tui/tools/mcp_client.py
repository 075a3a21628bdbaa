"""MCP servers as tools, with the official ``mcp`` SDK (2.x).

Every configured server runs in its own task (the SDK's transports are anyio context
managers that must be entered and left in one task). When a server is up its tools join
the toolbox as ``NAME__tool`` with cleaned schemas; when it fails to start, crashes or stops
answering pings, one notice line says so, its tools leave the toolbox, and the task retries
with backoff (1 s doubling to 60 s) and announces when it is back. Nothing else goes down.
Env values and header values never reach a notice, a log line or a repr.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
from mcp import types as mcp_types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from gemini_live_tui.tools.model import Tool, ToolError, error, ok
from gemini_live_tui.tools.schema import NAME_MAX, clean_schema, valid_name
from gemini_live_tui.tools.settings import McpServerConfig
from gemini_live_tui.tools.toolbox import Toolbox

log = logging.getLogger(__name__)

Notice = Callable[[str], None]
START_TIMEOUT = 15.0
CALL_TIMEOUT = 60.0
PING_INTERVAL = 15.0
PING_TIMEOUT = 5.0
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0


class McpServer:
    """One server's lifetime: connect, publish tools, watch, retry."""

    def __init__(
        self,
        config: McpServerConfig,
        toolbox: Toolbox,
        notice: Notice,
        *,
        start_timeout: float = START_TIMEOUT,
        ping_interval: float = PING_INTERVAL,
        backoff_first: float = BACKOFF_FIRST,
    ) -> None:
        self.config = config
        self.toolbox = toolbox
        self.notice = notice
        self.start_timeout = start_timeout
        self.ping_interval = ping_interval
        self.backoff_first = backoff_first
        self.source = f"mcp:{config.name}"
        self.session: ClientSession | None = None
        self.up = asyncio.Event()
        self.status = "starting"
        self._attempted = asyncio.Event()
        self._broken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.source)

    async def wait_attempted(self) -> None:
        """Until the first start attempt has succeeded or failed."""
        await self._attempted.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._down()

    async def _run(self) -> None:
        delay = self.backoff_first
        was_up = False
        while True:
            self._broken.clear()
            try:
                await self._serve_once()
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # ExceptionGroup from anyio included
                reason = _reason(exc)
            else:
                reason = "the connection closed"
            lost = self.up.is_set()
            self._down()
            self._attempted.set()
            if lost:
                self.status = f"down: {reason}"
                self.notice(f"MCP server {self.config.name} stopped ({reason}); retrying")
                delay = self.backoff_first
            elif not was_up or delay == self.backoff_first:
                self.status = f"failed: {reason}"
                self.notice(f"MCP server {self.config.name} failed to start: {reason}")
            was_up = was_up or lost
            await asyncio.sleep(delay)
            delay = min(BACKOFF_MAX, delay * 2)

    async def _serve_once(self) -> None:
        async with contextlib.AsyncExitStack() as stack:
            if self.config.url:
                http = create_mcp_http_client(headers=dict(self.config.headers))
                await stack.enter_async_context(http)
                read, write = await stack.enter_async_context(
                    streamable_http_client(self.config.url, http_client=http)
                )
            else:
                params = StdioServerParameters(
                    command=self.config.command or "",
                    args=list(self.config.args),
                    env=dict(self.config.env) or None,
                    cwd=self.config.cwd,
                )
                # The server's stderr is its own chatter; opening os.devnull never blocks.
                errlog = stack.enter_context(open(os.devnull, "w"))  # noqa: ASYNC230, SIM115
                read, write = await stack.enter_async_context(stdio_client(params, errlog=errlog))
            session = await stack.enter_async_context(ClientSession(read, write))
            async with asyncio.timeout(self.start_timeout):
                await session.initialize()
                listed = await session.list_tools()
            self.session = session
            self._publish(listed.tools)
            self.up.set()
            self._attempted.set()
            if self.status != "starting":
                self.notice(f"MCP server {self.config.name} is back")
            self.status = "up"
            await self._watch(session)

    async def _watch(self, session: ClientSession) -> None:
        """Return (and so reconnect) when a ping fails or a call saw the transport break."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.ping_interval):
                    await self._broken.wait()
                    return
            try:
                async with asyncio.timeout(PING_TIMEOUT):
                    await session.send_ping()
            except TimeoutError:
                raise ToolError("it stopped answering") from None

    def _down(self) -> None:
        self.up.clear()
        self.session = None
        self.toolbox.remove_source(self.source)

    def _publish(self, tools: Sequence[mcp_types.Tool]) -> None:
        self.toolbox.remove_source(self.source)
        prefix = valid_name(self.config.name)
        for item in tools:
            name = valid_name(f"{prefix}__{item.name}")[:NAME_MAX]
            hints = item.annotations
            read_only = item.name in self.config.read_only_tools or bool(
                hints and hints.read_only_hint
            )
            self.toolbox.add(
                Tool(
                    name,
                    (item.description or item.title or item.name).strip().splitlines()[0][:300]
                    if (item.description or item.title)
                    else f"{item.name} from MCP server {self.config.name}",
                    clean_schema(item.input_schema),
                    self._caller(item.name),
                    read_only=read_only,
                    # Read-only MCP tools still reach outside the workspace: auto only when marked.
                    policy="auto" if read_only else "ask",
                    source=self.source,
                )
            )

    def _caller(self, remote: str) -> Callable[[dict[str, Any]], Any]:
        async def call(args: dict[str, Any]) -> dict[str, Any]:
            session = self.session
            if session is None:
                raise ToolError(f"MCP server {self.config.name} is not running")
            try:
                result = await session.call_tool(remote, args, read_timeout_seconds=CALL_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.session is session and _transport_broke(exc):
                    self._broken.set()
                raise ToolError(f"MCP server {self.config.name}: {_reason(exc)}") from None
            return map_result(result)

        return call


def map_result(result: mcp_types.CallToolResult) -> dict[str, Any]:
    """An MCP tool result as a function-response dict.

    Text parts are joined; images and audio become ``{"type", "mime_type", "data"}`` items
    (base64, as MCP sends them) that the engine may lift into ``FunctionResponse.parts``;
    structured content wins over text when present; ``isError`` becomes an error result.
    """
    texts: list[str] = []
    media: list[dict[str, Any]] = []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            texts.append(block.text)
        elif isinstance(block, mcp_types.ImageContent | mcp_types.AudioContent):
            kind = "image" if isinstance(block, mcp_types.ImageContent) else "audio"
            media.append({"type": kind, "mime_type": block.mime_type, "data": block.data})
        elif isinstance(block, mcp_types.EmbeddedResource):
            res = block.resource
            if isinstance(res, mcp_types.TextResourceContents):
                texts.append(res.text)
            else:
                media.append({"type": "resource", "uri": str(res.uri), "mime_type": res.mime_type})
        elif isinstance(block, mcp_types.ResourceLink):
            media.append({"type": "link", "uri": str(block.uri), "name": block.name})
    text = "\n".join(texts)
    if result.is_error:
        return error(text or "the MCP tool reported an error")
    body: Any
    if result.structured_content is not None:
        body = result.structured_content
    elif media:
        body = {"text": text, "content": media} if text else {"content": media}
    else:
        body = text
    return ok(body)


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaves(sub)]
    return [exc]


def _reason(exc: BaseException) -> str:
    leaf = _leaves(exc)[0]
    if isinstance(leaf, TimeoutError):
        return "no answer in time"
    text = str(leaf).strip().splitlines()[0] if str(leaf).strip() else ""
    return f"{type(leaf).__name__}: {text}"[:200] if text else type(leaf).__name__


def _transport_broke(exc: BaseException) -> bool:
    broken = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError)
    return any(isinstance(leaf, broken) for leaf in _leaves(exc)) or "closed" in str(exc).lower()


class McpManager:
    """Every configured server, started together."""

    def __init__(
        self,
        configs: Sequence[McpServerConfig],
        toolbox: Toolbox,
        notice: Notice,
        **options: Any,
    ) -> None:
        self.servers: Mapping[str, McpServer] = {
            c.name: McpServer(c, toolbox, notice, **options) for c in configs
        }

    async def start(self) -> None:
        """Start all servers and wait until each has come up or failed once."""
        for server in self.servers.values():
            server.start()
        await asyncio.gather(*(s.wait_attempted() for s in self.servers.values()))

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.servers.values()))

    def statuses(self) -> dict[str, str]:
        return {name: s.status for name, s in self.servers.items()}
