"""Headless Chromium (Debian package) loads the try-it page, connects through the proxy,
sends text and shows the reply.  Chromium is driven over the DevTools protocol with the
websockets client, so no WebDriver download is needed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from gemini_live_tui.local import LocalLiveServer
from tests.conftest import require_program

from .conftest import run_proxy, settings_for

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--remote-debugging-port=0",
]


class DevTools:
    """A minimal DevTools-protocol client attached to one page."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self.session_id: str | None = None

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if self.session_id is not None:
            message["sessionId"] = self.session_id
        await self._socket.send(json.dumps(message))
        while True:  # events arrive in between; skip them
            reply = json.loads(await self._socket.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))

    async def evaluate(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
            userGesture=True,
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 20.0) -> Any:  # noqa: ASYNC109
        """Re-evaluate ``expression`` until it is truthy (the page updates asynchronously)."""
        async with asyncio.timeout(timeout):
            while True:
                value = await self.evaluate(expression)
                if value:
                    return value
                await asyncio.sleep(0.05)  # condition poll on the page's DOM


@contextlib.asynccontextmanager
async def chromium(url: str, *, extra_flags: list[str] | None = None) -> AsyncIterator[DevTools]:
    """Headless Chromium showing ``url``, with a DevTools client attached to the page."""
    binary = shutil.which("chromium") or "chromium"
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        process = await asyncio.create_subprocess_exec(
            binary,
            *CHROMIUM_FLAGS,
            *(extra_flags or []),
            f"--user-data-dir={profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            active = Path(profile) / "DevToolsActivePort"
            async with asyncio.timeout(30):
                while not (active.exists() and len(active.read_text().splitlines()) >= 2):
                    if process.returncode is not None:
                        raise AssertionError("chromium exited at start")
                    await asyncio.sleep(0.05)  # condition poll: Chromium writes the file
            port, path = active.read_text().splitlines()[:2]
            async with connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as socket:
                tools = DevTools(socket)
                target = await tools.call("Target.createTarget", url=url)
                attached = await tools.call(
                    "Target.attachToTarget", targetId=target["targetId"], flatten=True
                )
                tools.session_id = attached["sessionId"]
                await tools.call("Runtime.enable")
                yield tools
        finally:
            if process.returncode is None:
                process.terminate()
            await asyncio.wait_for(process.wait(), 20)


async def test_page_connects_sends_text_and_shows_reply() -> None:
    require_program("chromium")
    async with (
        LocalLiveServer(port=0) as local,
        run_proxy(settings_for(), local_url=local.url) as proxy,
        chromium(f"{proxy.http}/") as page,
    ):
        await page.wait_for(
            "document.readyState === 'complete' && !!document.getElementById('connect')"
        )
        await page.evaluate("document.getElementById('modality').value = 'TEXT'")
        await page.evaluate("document.getElementById('connect').click()")
        status = await page.wait_for(
            "document.getElementById('status').dataset.state === 'connected' "
            "|| document.getElementById('status').dataset.state === 'error' "
            "? document.getElementById('status').textContent : ''"
        )
        assert status == "connected"
        await page.evaluate(
            "document.getElementById('text').value = 'hello from chromium';"
            "document.getElementById('composer').requestSubmit()"
        )
        reply = await page.wait_for(
            "Array.from(document.querySelectorAll('.msg.model[data-complete=true]'))"
            ".map(e => e.textContent).join('|')"
        )
        # The page runs its demo tool itself and sends the tool response back.
        await page.evaluate(
            "document.getElementById('text').value = 'please call get_time';"
            "document.getElementById('composer').requestSubmit()"
        )
        tool_reply = await page.wait_for(
            "Array.from(document.querySelectorAll('.msg.model[data-complete=true]'))"
            ".map(e => e.textContent).filter(t => t.includes('get_time returned')).join('|')"
        )
        users = await page.evaluate(
            "Array.from(document.querySelectorAll('.msg.user')).map(e => e.textContent)"
        )
    assert "You said: hello from chromium (turn 1)" in reply
    assert users == ["hello from chromium", "please call get_time"]
    assert '"output":' in tool_reply
    # The page went through the token and setup path like any browser.
    assert local.records[0].setup is not None
    assert local.records[0].setup["generationConfig"]["responseModalities"] == ["TEXT"]
    assert local.records[0].setup["tools"][0]["functionDeclarations"][0]["name"] == "get_time"


def speech_wav(path: Path) -> None:
    """A WAV Chromium plays as its fake microphone: 0.6 s tone, 1.4 s silence (it loops)."""
    import wave

    import numpy as np

    rate = 48000
    t = np.arange(int(0.6 * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    pcm = (np.concatenate([tone, np.zeros(int(1.4 * rate))]) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())


async def test_microphone_worklet_streams_audio_and_plays_the_echo(tmp_path: Path) -> None:
    require_program("chromium")
    wav = tmp_path / "speech.wav"
    speech_wav(wav)
    flags = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
    ]
    async with (
        LocalLiveServer(port=0) as local,
        run_proxy(settings_for(), local_url=local.url) as proxy,
        chromium(f"{proxy.http}/", extra_flags=flags) as page,
    ):
        await page.wait_for(
            "document.readyState === 'complete' && !!document.getElementById('connect')"
        )
        await page.evaluate("document.getElementById('connect').click()")
        await page.wait_for("document.getElementById('status').dataset.state === 'connected'")
        await page.evaluate("document.getElementById('mic').click()")
        heard = await page.wait_for(
            "Array.from(document.querySelectorAll('.msg.user')).map(e => e.textContent)"
            ".filter(t => t.includes('speech')).join('|')",
            timeout=30,
        )
        said = await page.wait_for(
            "Array.from(document.querySelectorAll('.msg.model[data-complete=true]'))"
            ".map(e => e.textContent).filter(t => t.includes('Echo')).join('|')",
            timeout=30,
        )
        received = local.audio_bytes  # read before the page's counter: sent >= received
        counters = await page.evaluate("window.geminiLive.stats")
        errors = await page.evaluate(
            "Array.from(document.querySelectorAll('.msg.error, .msg.info')).map(e => e.textContent)"
        )
    assert "[speech" in heard
    assert "Echo of" in said
    assert local.audio_bytes > 16000  # at least half a second of 16 kHz PCM arrived
    # Every captured chunk is 40 ms at 16 kHz; the echo went to the playback worklet.
    assert counters["audioChunksSent"] * 1280 >= received
    assert counters["audioChunksPlayed"] > 0 and counters["audioBytesPlayed"] > 24000
    assert not any("unavailable" in line or "microphone" in line for line in errors), errors
