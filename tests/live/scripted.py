"""A scripted Live server for Session tests that need exact control of each connection.

Each accepted connection runs the test's script coroutine with a :class:`Peer`, which
reads client messages as dicts and sends server messages as binary JSON frames, the way
the real service does.  Everything happens over a real loopback socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

Script = Callable[["Peer"], Awaitable[None]]


class Peer:
    """The server side of one connection."""

    def __init__(self, ws: ServerConnection, index: int) -> None:
        self.ws = ws
        self.index = index
        self.received: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()

    async def recv(self) -> dict[str, Any]:
        message = json.loads(await self.ws.recv())
        assert isinstance(message, dict)
        async with self._arrived:
            self.received.append(message)
            self._arrived.notify_all()
        return message

    async def wait_received(self, count: int) -> None:
        """Wait until ``count`` client messages have arrived (the script must be reading)."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.received) >= count), 10)

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message).encode())

    async def accept_setup(self) -> dict[str, Any]:
        setup = await self.recv()
        assert "setup" in setup, setup
        await self.send({"setupComplete": {}})
        return dict(setup["setup"])

    async def close(self, code: int, reason: str = "") -> None:
        await self.ws.close(code, reason)

    def drop(self) -> None:
        """Vanish without a close frame."""
        transport = self.ws.transport
        transport.abort()


class ScriptedServer:
    """Runs ``scripts[i]`` for the i-th connection (the last script repeats)."""

    def __init__(self, *scripts: Script) -> None:
        self.scripts = list(scripts)
        self.peers: list[Peer] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.url = ""
        self.connected = asyncio.Condition()

    async def _handler(self, ws: ServerConnection) -> None:
        peer = Peer(ws, len(self.peers))
        assert ws.request is not None
        self.headers.append(dict(ws.request.headers.raw_items()))
        self.paths.append(ws.request.path)
        self.peers.append(peer)
        async with self.connected:
            self.connected.notify_all()
        script = self.scripts[min(peer.index, len(self.scripts) - 1)]
        with contextlib.suppress(Exception):
            await script(peer)
            # Keep the connection open until the client goes away.
            await ws.wait_closed()

    async def wait_for_connections(self, count: int) -> None:
        async with self.connected:
            await asyncio.wait_for(
                self.connected.wait_for(lambda: len(self.peers) >= count), timeout=10
            )


@contextlib.asynccontextmanager
async def scripted_server(*scripts: Script) -> AsyncIterator[ScriptedServer]:
    server = ScriptedServer(*scripts)
    async with serve(server._handler, "127.0.0.1", 0, compression=None) as ws_server:
        port = next(iter(ws_server.sockets)).getsockname()[1]
        server.url = f"ws://127.0.0.1:{port}/ws/test"
        yield server
