"""The ``gemini-live local-server`` command serves until interrupted."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


@asynccontextmanager
async def local_server_command(
    *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``gemini-live local-server --port 0 ARGS`` as a child process, killed if still running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gemini_live_tui",
        "local-server",
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def first_url(process: asyncio.subprocess.Process) -> str:
    """The ws:// URL the command prints on its first line."""
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
    match = re.search(r"(ws://\S+)", line)
    assert match, line
    return match.group(1)


async def stop_with_ctrl_c(process: asyncio.subprocess.Process) -> str:
    """SIGINT, wait for a clean exit, and return what the command printed after its URL."""
    assert process.stdout is not None
    process.send_signal(signal.SIGINT)
    await asyncio.wait_for(process.wait(), timeout=30)
    assert process.returncode == 0
    return (await process.stdout.read()).decode()


async def test_local_server_command_serves_and_stops_on_ctrl_c() -> None:
    async with local_server_command("--key", "cli-key", "--goaway-after", "30") as process:
        url = await first_url(process)
        async with connect(url, additional_headers={"x-goog-api-key": "cli-key"}) as ws:
            await ws.send(json.dumps({"setup": {"model": "models/x"}}))
            assert json.loads(await ws.recv()) == {"setupComplete": {}}
        assert "cli-key" not in await stop_with_ctrl_c(process)


async def test_local_server_takes_its_key_from_the_environment() -> None:
    async with local_server_command(env={"GEMINI_LIVE_LOCAL_KEY": "env-key-42"}) as process:
        url = await first_url(process)
        async with connect(url, additional_headers={"x-goog-api-key": "wrong"}) as ws:
            await ws.send(json.dumps({"setup": {"model": "models/x"}}))
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None and "API key not valid" in closed.value.rcvd.reason
        headers = {"x-goog-api-key": "env-key-42"}
        async with connect(url, additional_headers=headers) as ws:
            await ws.send(json.dumps({"setup": {"model": "models/x"}}))
            assert json.loads(await ws.recv()) == {"setupComplete": {}}
        assert "env-key-42" not in await stop_with_ctrl_c(process)


async def test_tls_server_command_serves_the_official_sdk_through_ssl_cert_file(
    tmp_path: object, monkeypatch: object
) -> None:
    import pathlib

    genai = pytest.importorskip("google.genai")
    cert = pathlib.Path(str(tmp_path)) / "local.pem"
    async with local_server_command("--tls", "--cert-file", str(cert)) as process:
        assert process.stdout is not None
        lines = [
            (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
            for _ in range(3)
        ]
        base = re.search(r"base URL (https://\S+?)\)", lines[1])
        assert base, lines
        assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        # The SDK reads SSL_CERT_FILE when it builds its TLS context.
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # type: ignore[attr-defined]
        client = genai.Client(api_key="any", http_options={"base_url": base.group(1) + "/"})
        config = genai.types.LiveConnectConfig(response_modalities=["TEXT"])
        async with client.aio.live.connect(
            model="gemini-3.1-flash-live-preview", config=config
        ) as session:
            await session.send_realtime_input(text="over tls")
            text = ""
            async for message in session.receive():
                if message.server_content and message.server_content.model_turn:
                    text += message.text or ""
        assert text.startswith("You said: over tls")
        await stop_with_ctrl_c(process)
