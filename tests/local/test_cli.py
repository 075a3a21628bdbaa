"""The ``gemini-live local-server`` command serves until interrupted."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys

from websockets.asyncio.client import connect


async def test_local_server_command_serves_and_stops_on_ctrl_c() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gemini_live_tui",
        "local-server",
        "--port",
        "0",
        "--key",
        "cli-key",
        "--goaway-after",
        "30",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
        match = re.search(r"(ws://\S+)", line)
        assert match, line
        async with connect(match.group(1), additional_headers={"x-goog-api-key": "cli-key"}) as ws:
            await ws.send(json.dumps({"setup": {"model": "models/x"}}))
            assert json.loads(await ws.recv()) == {"setupComplete": {}}
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=30)
        assert process.returncode == 0
        assert "cli-key" not in (await process.stdout.read()).decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_tls_server_command_serves_the_official_sdk_through_ssl_cert_file(
    tmp_path: object, monkeypatch: object
) -> None:
    import pathlib

    import pytest

    genai = pytest.importorskip("google.genai")
    cert = pathlib.Path(str(tmp_path)) / "local.pem"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gemini_live_tui",
        "local-server",
        "--port",
        "0",
        "--tls",
        "--cert-file",
        str(cert),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
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
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
