"""Fixtures for the browser proxy: the local Live server, the proxy under uvicorn on
loopback, a browser-like WebSocket client, and a throwaway redis-server."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import math
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from gemini_live_tui.local import LocalLiveServer
from gemini_live_tui.server.app import create_app, uvicorn_config
from gemini_live_tui.server.settings import ServerSettings
from gemini_live_tui.server.tokens import TokenStore
from tests.conftest import require_program

TEXT_SETUP = {"setup": {"generation_config": {"response_modalities": ["TEXT"]}}}


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclasses.dataclass
class Proxy:
    """A running proxy: its base URLs and its app state."""

    port: int
    app: Any

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def token(self) -> str:
        async with httpx.AsyncClient() as client:
            reply = await client.post(f"{self.http}/api/auth")
        reply.raise_for_status()
        return str(reply.json()["session_token"])

    @contextlib.asynccontextmanager
    async def browser(
        self,
        setup: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        origin: str | None = None,
        expect_ready: bool = True,
    ) -> AsyncIterator[ClientConnection]:
        """A connected browser-like client that has sent its setup."""
        token = token if token is not None else await self.token()
        headers = {"Origin": origin} if origin else None
        async with connect(f"{self.ws}?token={token}", additional_headers=headers) as ws:
            await ws.send(json.dumps(setup if setup is not None else TEXT_SETUP))
            if expect_ready:
                first = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert first == {"setupComplete": {}}, first
            yield ws


def settings_for(**overrides: Any) -> ServerSettings:
    values: dict[str, Any] = {"backend": "local", "port": 0}
    values.update(overrides)
    return ServerSettings(**values)


@contextlib.asynccontextmanager
async def run_proxy(
    settings: ServerSettings,
    *,
    local_url: str,
    token_store: TokenStore | None = None,
    **uvicorn_options: Any,
) -> AsyncIterator[Proxy]:
    """uvicorn serving the proxy on a free loopback port, in this event loop."""
    app = create_app(settings, token_store=token_store, local_url=local_url)
    options: dict[str, Any] = {"host": "127.0.0.1", "port": 0, "log_level": "warning"}
    options.update(uvicorn_options)
    config = uvicorn_config(settings, app, **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn exited before serving")
                await asyncio.sleep(0.01)  # uvicorn offers no event to wait on
        port = server.servers[0].sockets[0].getsockname()[1]
        yield Proxy(port=port, app=app)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@pytest.fixture
async def local() -> AsyncIterator[LocalLiveServer]:
    async with LocalLiveServer(port=0, speed=math.inf) as server:
        yield server


async def receive_until(ws: ClientConnection, done: Any, limit: float = 10.0) -> list[Any]:
    """Frames (JSON decoded, binary as bytes) until ``done(frame)`` is true."""
    frames: list[Any] = []
    async with asyncio.timeout(limit):
        while True:
            raw = await ws.recv()
            frame = raw if isinstance(raw, bytes) else json.loads(raw)
            frames.append(frame)
            if done(frame):
                return frames


def is_turn_complete(frame: Any) -> bool:
    return isinstance(frame, dict) and frame.get("serverContent", {}).get("turnComplete") is True


def model_text(frames: list[Any]) -> str:
    return "".join(
        part.get("text", "")
        for frame in frames
        if isinstance(frame, dict)
        for part in frame.get("serverContent", {}).get("modelTurn", {}).get("parts", [])
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclasses.dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A throwaway redis-server (Debian package) on a free port, no persistence."""
    require_program("redis-server")
    with tempfile.TemporaryDirectory() as workdir:
        for _attempt in range(5):
            port = free_port()
            process = subprocess.Popen(
                [
                    shutil.which("redis-server") or "redis-server",
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    workdir,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env={**os.environ},
            )
            if _wait_for_ping(port, process):
                break
            process.kill()
            process.wait()
        else:
            pytest.fail("redis-server did not start")
        try:
            yield RedisServer(port, process)
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait(10)


def _wait_for_ping(port: int, process: subprocess.Popen[bytes]) -> bool:
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.2)
    for _ in range(200):
        if process.poll() is not None:
            return False
        try:
            if client.ping():
                client.close()
                return True
        except redis.exceptions.ConnectionError:
            pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(0.05)  # condition poll: PING until it answers
    return False
