"""Test helpers: a raw websockets client for the local Live server, and test signals.

Tests talk to the server with the ``websockets`` client directly (not our Session) so that
the server is checked independently of the code it will later test.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

import numpy as np
from websockets.asyncio.client import ClientConnection, connect

from gemini_live_tui.local import LocalLiveServer

__all__ = [
    "LiveClient",
    "audio_message",
    "audio_of",
    "open_client",
    "silence",
    "text_of",
    "tone",
    "transcript_of",
]

Message = dict[str, Any]


class LiveClient:
    """A thin JSON client over one WebSocket connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[Message] = []

    async def send(self, message: Message) -> None:
        await self.ws.send(json.dumps(message))

    async def recv(self) -> Message:
        # Fail fast instead of hanging until the suite's 120 s timeout.
        async with asyncio.timeout(15):
            frame = await self.ws.recv(decode=False)
        # The real Developer API sends binary frames; the server must do the same.
        assert isinstance(frame, bytes), "server frames must be binary"
        message: Message = json.loads(frame)
        self.seen.append(message)
        return message

    async def until(self, predicate: Callable[[Message], bool]) -> list[Message]:
        """Messages received up to and including the first one that satisfies ``predicate``."""
        got: list[Message] = []
        while True:
            message = await self.recv()
            got.append(message)
            if predicate(message):
                return got

    async def until_turn_complete(self) -> list[Message]:
        return await self.until(lambda m: bool(m.get("serverContent", {}).get("turnComplete")))

    async def close(self) -> None:
        await self.ws.close()


async def open_client(
    server: LocalLiveServer,
    setup: Message | None = None,
    *,
    url: str | None = None,
    headers: dict[str, str] | None = None,
    expect_setup_complete: bool = True,
) -> LiveClient:
    """Connect, send ``setup`` (TEXT on models/x by default) and read ``setupComplete``."""
    ws = await connect(
        url or server.url,
        additional_headers=headers if headers is not None else {"x-goog-api-key": "test-key"},
        max_size=None,
        ssl=server.client_ssl_context,
    )
    client = LiveClient(ws)
    body = setup or {"model": "models/x", "generationConfig": {"responseModalities": ["TEXT"]}}
    await client.send({"setup": body})
    if expect_setup_complete:
        first = await client.recv()
        assert "setupComplete" in first, first
    return client


def tone(seconds: float, rate: int = 16_000, amplitude: float = 0.3) -> bytes:
    """A 440 Hz tone as 16-bit PCM: loud enough to count as speech."""
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2").tobytes()


def silence(seconds: float, rate: int = 16_000) -> bytes:
    return bytes(2 * int(seconds * rate))


def audio_message(pcm: bytes, rate: int = 16_000, *, urlsafe: bool = False) -> Message:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return {
        "realtimeInput": {
            "audio": {"mimeType": f"audio/pcm;rate={rate}", "data": encode(pcm).decode()}
        }
    }


def text_of(messages: list[Message]) -> str:
    """The model's text parts, joined."""
    return "".join(
        part.get("text", "")
        for m in messages
        for part in m.get("serverContent", {}).get("modelTurn", {}).get("parts", [])
    )


def audio_of(messages: list[Message]) -> bytes:
    return b"".join(
        base64.b64decode(part["inlineData"]["data"])
        for m in messages
        for part in m.get("serverContent", {}).get("modelTurn", {}).get("parts", [])
        if "inlineData" in part
    )


def transcript_of(messages: list[Message], key: str = "outputTranscription") -> str:
    return "".join(m.get("serverContent", {}).get(key, {}).get("text", "") for m in messages)
