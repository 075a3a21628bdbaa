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
