"""Throughput of the local Live server (not a test): text turn round trip and audio ingest.

Run: ``python bench/bench_local_server.py``.  The audio figure includes the client's own
JSON and base64 work on the same core, so the server alone is faster than shown.  The
reference is real time: the server must absorb microphone audio far faster than it arrives.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import time

import numpy as np
from websockets.asyncio.client import connect

from gemini_live_tui.local import LocalLiveServer

TURNS = 200
CHUNKS = 3000  # 100 ms each: 300 s of 16 kHz audio


async def main() -> None:
    async with LocalLiveServer(speed=math.inf) as server:
        async with connect(server.url, max_size=None) as ws:
            setup = {"model": "models/x", "generationConfig": {"responseModalities": ["TEXT"]}}
            await ws.send(json.dumps({"setup": setup}))
            await ws.recv()
            start = time.perf_counter()
            for index in range(TURNS):
                await ws.send(json.dumps({"realtimeInput": {"text": f"hello {index}"}}))
                while not json.loads(await ws.recv()).get("serverContent", {}).get("turnComplete"):
                    pass
            per_turn = (time.perf_counter() - start) / TURNS
            print(f"text turn round trip (4 frames back): {per_turn * 1000:.2f} ms")
        async with connect(server.url, max_size=None) as ws:
            await ws.send(json.dumps({"setup": {"model": "models/x"}}))
            await ws.recv()
            noise = np.random.default_rng(1).normal(0, 0.001, 1600) * 32767
            data = base64.b64encode(noise.astype("<i2").tobytes()).decode()
            blob = {"mimeType": "audio/pcm;rate=16000", "data": data}
            frame = json.dumps({"realtimeInput": {"audio": blob}})
            before = server.statistics()["messages_received"]
            start = time.perf_counter()
            for _ in range(CHUNKS):
                await ws.send(frame)
            await server.wait_for(
                lambda: server.statistics()["messages_received"] >= before + CHUNKS,
                timeout=120,
            )
            elapsed = time.perf_counter() - start
            print(
                f"audio ingest with VAD: {CHUNKS * 0.1 / elapsed:.0f}x real time "
                f"({elapsed / CHUNKS * 1e6:.0f} us per 100 ms chunk, client included)"
            )


if __name__ == "__main__":
    asyncio.run(main())
