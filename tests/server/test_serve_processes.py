"""`gemini-live serve` as real processes: two of them sharing tokens through Redis, and
the command's plain message when the server extra is missing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from click.testing import CliRunner
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gemini_live_tui.cli import main
from gemini_live_tui.local import LocalLiveServer

from .conftest import (
    TEXT_SETUP,
    RedisServer,
    free_port,
    is_turn_complete,
    model_text,
    receive_until,
)


@contextlib.asynccontextmanager
async def serve_process(env: dict[str, str]) -> AsyncIterator[str]:
    """A `gemini-live serve` subprocess; yields its base URL once /api/health answers."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gemini_live_tui",
        "serve",
        "--port",
        str(port),
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client, asyncio.timeout(30):
            while True:
                if process.returncode is not None:
                    assert process.stderr is not None
                    raise AssertionError((await process.stderr.read()).decode())
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{base}/api/health")).status_code == 200:
                        break
                await asyncio.sleep(0.05)  # condition poll: until the process serves
        yield base
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.communicate(), 15)


async def test_two_processes_share_tokens_through_redis(redis_server: RedisServer) -> None:
    async with LocalLiveServer(port=0) as local:
        env = {
            "LIVE_BACKEND": local.url,
            "TOKEN_STORE_URL": redis_server.url,
            "AUTH_RATE_LIMIT": "3",
            "AUTH_RATE_WINDOW": "86400",  # no window boundary inside the test, in practice
        }
        async with serve_process(env) as first, serve_process(env) as second:
            async with httpx.AsyncClient() as client:
                token = (await client.post(f"{first}/api/auth")).json()["session_token"]
                await client.post(f"{second}/api/auth")
                third = await client.post(f"{second}/api/auth")
                limited = await client.post(f"{first}/api/auth")
            # A token from the first process works on the second, once.
            second_ws = second.replace("http", "ws") + "/ws"
            first_ws = first.replace("http", "ws") + "/ws"
            async with connect(f"{second_ws}?token={token}") as ws:
                await ws.send(json.dumps(TEXT_SETUP))
                assert json.loads(await ws.recv()) == {"setupComplete": {}}
                await ws.send(json.dumps({"type": "text", "text": "across processes"}))
                frames = await receive_until(ws, is_turn_complete)
            async with connect(f"{first_ws}?token={token}") as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    async with asyncio.timeout(10):
                        while True:
                            await ws.recv()
    assert "You said: across processes" in model_text(frames)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    # The per-address limit (3) is counted across both processes.
    assert third.status_code == 200
    assert limited.status_code == 429
    assert local.connections == 1


def test_serve_without_the_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import gemini_live_tui.server as server_package

    # Forget the loaded app module (and the package attribute that would short-cut the import).
    for name in ("gemini_live_tui.server.app", "gemini_live_tui.server.bridge"):
        if name in sys.modules:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.delattr(server_package, name.rsplit(".", 1)[1], raising=False)
    monkeypatch.setitem(sys.modules, "starlette", None)
    monkeypatch.setitem(sys.modules, "starlette.applications", None)
    result = CliRunner().invoke(main, ["serve"], env={"LIVE_BACKEND": "local"})
    assert result.exit_code == 1
    assert "pip install 'gemini-live[server]'" in result.output
    assert "Traceback" not in result.output


def test_serve_reports_bad_settings_in_one_line() -> None:
    result = CliRunner().invoke(
        main, ["serve"], env={"LIVE_BACKEND": "local", "SESSION_TIME_LIMIT": "soon"}
    )
    assert result.exit_code == 1
    assert "SESSION_TIME_LIMIT: 'soon' is not a number" in result.output
