"""Benchmark: latency and CPU the browser proxy adds, against direct connections.

Many simulated browsers each stream 16 kHz microphone audio in 40 ms chunks for a while,
speaking in bursts (a tone) separated by silence.  The local Live server detects each
burst with its voice activity detector and answers ``voiceActivity`` start as it processes
the first loud chunk, so the time from sending that chunk to receiving the event is one
round trip through everything in between.  The same clients run twice in one run:

* ``direct``: straight to the local Live server, speaking the Live API (base64 JSON);
* ``proxy``: to ``gemini-live serve`` (binary PCM frames), which holds one Session each
  to the same local Live server.

The latency the proxy adds is the difference of the two distributions (p50, p99).  Also
reported: CPU seconds of each process, and the message accounting: every audio byte the
clients sent must reach the local server, and every burst must be detected.

Each part runs in its own process (local server, proxy, clients), so on a 2-core machine
they compete for CPU exactly as they would on a small shared host.

Run:  python bench/bench_proxy.py --sessions 200 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import socket
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from websockets.asyncio.client import ClientConnection, connect

RATE = 16000
MODEL = "gemini-3.1-flash-live-preview"


# ----------------------------------------------------------------------------- local role


async def run_local_server() -> None:
    """Child process: the local Live server; answers 'stats' lines on stdin."""
    from gemini_live_tui.local import LocalLiveServer

    async with LocalLiveServer(port=0) as server:
        print(f"READY {server.url}", flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := (await reader.readline()).decode().strip():
            if line == "stats":
                print(json.dumps(server.statistics()), flush=True)
            elif line == "quit":
                break


# ----------------------------------------------------------------------------- clients


def audio_chunks(chunk_ms: int, speech_ms: int, cycle_ms: int) -> tuple[list[bytes], set[int]]:
    """One cycle of 40 ms chunks: a tone burst then silence; and the burst-start indexes."""
    per_chunk = RATE * chunk_ms // 1000
    count = cycle_ms // chunk_ms
    speech = speech_ms // chunk_ms
    t = np.arange(per_chunk * speech) / RATE
    tone = (0.3 * np.sin(2 * math.pi * 300 * t) * 32767).astype("<i2").tobytes()
    silence = bytes(per_chunk * 2 * (count - speech))
    pcm = tone + silence
    size = per_chunk * 2
    return [pcm[i : i + size] for i in range(0, len(pcm), size)], {0}


@dataclass
class ClientResult:
    latencies: list[float] = field(default_factory=list)
    bursts_sent: int = 0
    chunks_sent: int = 0
    bytes_sent: int = 0
    audio_received: int = 0
    errors: list[str] = field(default_factory=list)


async def one_client(
    ws: ClientConnection,
    *,
    frames: list[Any],
    starts: set[int],
    total_chunks: int,
    chunk_s: float,
    t0: float,
    proxied: bool,
    pcm_size: int,
) -> ClientResult:
    result = ClientResult()
    sent_at: list[float] = []
    loop = asyncio.get_running_loop()
    answered = asyncio.Event()

    async def receive() -> None:
        async for raw in ws:
            now = time.perf_counter()
            if isinstance(raw, bytes) and proxied:
                result.audio_received += len(raw)
                continue
            if b'"voiceActivity"' in raw if isinstance(raw, bytes) else '"voiceActivity"' in raw:
                message = json.loads(raw)
                activity = message["voiceActivity"]
                kind = activity.get("kind") or activity.get("type")
                if kind in ("start", "ACTIVITY_START"):
                    index = len(result.latencies)
                    if index < len(sent_at):
                        result.latencies.append(now - sent_at[index])
                    if len(result.latencies) >= total_bursts:
                        answered.set()

    cycle = len(frames)
    total_bursts = sum(1 for k in range(total_chunks) if k % cycle in starts)
    receiver = asyncio.create_task(receive())
    try:
        for k in range(total_chunks):
            delay = t0 + k * chunk_s - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            position = k % cycle
            if position in starts:
                sent_at.append(time.perf_counter())
                result.bursts_sent += 1
            await ws.send(frames[position])
            result.chunks_sent += 1
            result.bytes_sent += pcm_size
        # Wait for every burst's answer; a backlogged server may need a while.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(answered.wait(), 120)
    except Exception as exc:  # reported, not hidden
        result.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)
    return result


async def run_phase(
    *,
    proxied: bool,
    url: str,
    http: str,
    sessions: int,
    seconds: float,
    chunk_ms: int,
) -> list[ClientResult]:
    chunks, starts = audio_chunks(chunk_ms, speech_ms=800, cycle_ms=2000)
    if proxied:
        frames: list[Any] = chunks
        setup = {"setup": {"generation_config": {"response_modalities": ["AUDIO"]}}}
    else:
        frames = [
            json.dumps(
                {
                    "realtimeInput": {
                        "audio": {
                            "mimeType": f"audio/pcm;rate={RATE}",
                            "data": base64.b64encode(chunk).decode(),
                        }
                    }
                }
            )
            for chunk in chunks
        ]
        # The same setup the proxy sends upstream for its browsers (resumption on).
        setup = {
            "setup": {
                "model": f"models/{MODEL}",
                "generationConfig": {"responseModalities": ["AUDIO"]},
                "sessionResumption": {},
            }
        }

    async def open_one() -> ClientConnection:
        target = url
        if proxied:
            async with httpx.AsyncClient() as client:
                reply = await client.post(f"{http}/api/auth")
                reply.raise_for_status()
                target = f"{url}?token={reply.json()['session_token']}"
        ws = await connect(target, max_size=None, compression=None, open_timeout=60)
        await ws.send(json.dumps(setup))
        first = await asyncio.wait_for(ws.recv(), 60)
        assert "setupComplete" in str(first), first
        return ws

    # Open in batches so connection setup is not part of the measurement.
    sockets: list[ClientConnection] = []
    for start in range(0, sessions, 50):
        sockets += await asyncio.gather(
            *(open_one() for _ in range(start, min(sessions, start + 50)))
        )
    loop = asyncio.get_running_loop()
    chunk_s = chunk_ms / 1000
    t0 = loop.time() + 0.5
    total = int(seconds / chunk_s)
    results = await asyncio.gather(
        *(
            one_client(
                ws,
                frames=frames,
                starts=starts,
                total_chunks=total,
                # Browsers are not synchronised: spread the clients over one chunk period.
                t0=t0 + chunk_s * i / sessions,
                chunk_s=chunk_s,
                proxied=proxied,
                pcm_size=len(chunks[0]),
            )
            for i, ws in enumerate(sockets)
        )
    )
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return results


# ----------------------------------------------------------------------------- processes


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sessions", default="200", help="clients per run; a comma list runs each in turn"
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--chunk-ms", type=int, default=40)
    parser.add_argument("--role", choices=["bench", "local"], default="bench")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    if args.role == "local":
        await run_local_server()
        return

    local = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--role",
        "local",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert local.stdout is not None and local.stdin is not None
    ready = (await local.stdout.readline()).decode().split()
    local_url = ready[1]

    async def local_stats() -> dict[str, int]:
        assert local.stdin is not None and local.stdout is not None
        local.stdin.write(b"stats\n")
        await local.stdin.drain()
        return dict(json.loads(await local.stdout.readline()))

    port = free_port()
    env = {
        **os.environ,
        "LIVE_BACKEND": local_url,
        "AUTH_RATE_LIMIT": "1000000",
        "SESSION_TIME_LIMIT": str(args.seconds * 4 + 300),
    }
    proxy = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gemini_live_tui",
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    http = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            try:
                if (await client.get(f"{http}/api/health")).status_code == 200:
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.05)

    levels = [int(n) for n in str(args.sessions).split(",")]
    all_figures = []
    try:
        # Warm both paths up (imports, first-call caches) so neither pays it while measured.
        for proxied, url in ((False, local_url), (True, f"ws://127.0.0.1:{port}/ws")):
            await run_phase(
                proxied=proxied,
                url=url,
                http=http,
                sessions=min(20, levels[0]),
                seconds=4.0,
                chunk_ms=args.chunk_ms,
            )
        for sessions in levels:
            figures = await measure_level(
                sessions=sessions,
                seconds=args.seconds,
                chunk_ms=args.chunk_ms,
                local_url=local_url,
                proxy_url=f"ws://127.0.0.1:{port}/ws",
                http=http,
                local_stats=local_stats,
                pids=(local.pid, proxy.pid),
            )
            report(figures)
            all_figures.append(figures)
    finally:
        proxy.terminate()
        await proxy.wait()
        local.stdin.write(b"quit\n")
        await local.stdin.drain()
        await local.wait()
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(all_figures, indent=2))


async def measure_level(
    *,
    sessions: int,
    seconds: float,
    chunk_ms: int,
    local_url: str,
    proxy_url: str,
    http: str,
    local_stats: Any,
    pids: tuple[int, int],
) -> dict[str, Any]:
    """Run the direct and the proxied phase with ``sessions`` clients; their figures."""
    figures: dict[str, Any] = {
        "sessions": sessions,
        "seconds": seconds,
        "chunk_ms": chunk_ms,
        "cpus": os.cpu_count(),
    }
    for name, proxied, url in (("direct", False, local_url), ("proxy", True, proxy_url)):
        before = await local_stats()
        cpu = (cpu_seconds(pids[0]), cpu_seconds(pids[1]), time.process_time())
        wall = time.perf_counter()
        results = await run_phase(
            proxied=proxied,
            url=url,
            http=http,
            sessions=sessions,
            seconds=seconds,
            chunk_ms=chunk_ms,
        )
        wall = time.perf_counter() - wall
        cpu_end = (cpu_seconds(pids[0]), cpu_seconds(pids[1]), time.process_time())
        sent_bytes = sum(r.bytes_sent for r in results)
        after = await local_stats()
        for _ in range(100):  # the server may still be working through a backlog
            if after["audio_bytes_received"] - before["audio_bytes_received"] >= sent_bytes:
                break
            await asyncio.sleep(0.2)
            after = await local_stats()
        latencies = [x * 1000 for r in results for x in r.latencies]
        chunks = sum(r.chunks_sent for r in results)
        figures[name] = {
            "p50_ms": percentile(latencies, 50),
            "p90_ms": percentile(latencies, 90),
            "p99_ms": percentile(latencies, 99),
            "max_ms": max(latencies, default=math.nan),
            "mean_ms": statistics.fmean(latencies) if latencies else math.nan,
            "samples": len(latencies),
            "bursts_sent": sum(r.bursts_sent for r in results),
            "chunks_sent": chunks,
            "audio_bytes_sent": sent_bytes,
            "audio_bytes_at_server": after["audio_bytes_received"] - before["audio_bytes_received"],
            "errors": [e for r in results for e in r.errors][:5],
            "wall_s": wall,
            "cpu_local_s": cpu_end[0] - cpu[0],
            "cpu_proxy_s": cpu_end[1] - cpu[1],
            "cpu_clients_s": cpu_end[2] - cpu[2],
            "load_average": os.getloadavg(),
        }
    direct, proxied_figures = figures["direct"], figures["proxy"]
    figures["added_p50_ms"] = proxied_figures["p50_ms"] - direct["p50_ms"]
    figures["added_p99_ms"] = proxied_figures["p99_ms"] - direct["p99_ms"]
    figures["proxy_cpu_us_per_message"] = (
        1e6 * proxied_figures["cpu_proxy_s"] / max(1, proxied_figures["chunks_sent"])
    )
    return figures


def report(figures: dict[str, Any]) -> None:
    sessions, chunk_ms = figures["sessions"], figures["chunk_ms"]
    print(
        f"\n{sessions} sessions x {figures['seconds']:.0f} s of {chunk_ms} ms chunks "
        f"({sessions * 1000 / chunk_ms:.0f} audio messages/s), {figures['cpus']} CPUs, "
        f"load average after {figures['proxy']['load_average'][0]:.1f}"
    )
    print(
        f"{'path':8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'answers':>9} "
        f"{'CPU local':>10} {'CPU proxy':>10} {'CPU clients':>11}"
    )
    for name in ("direct", "proxy"):
        f = figures[name]
        print(
            f"{name:8} {f['p50_ms']:8.2f} {f['p90_ms']:8.2f} {f['p99_ms']:8.2f} "
            f"{f['max_ms']:8.2f} {f['samples']:4d}/{f['bursts_sent']:<4d} "
            f"{f['cpu_local_s'] / f['wall_s']:9.0%} {f['cpu_proxy_s'] / f['wall_s']:9.0%} "
            f"{f['cpu_clients_s'] / f['wall_s']:10.0%}"
        )
    print(
        f"added by the proxy: p50 {figures['added_p50_ms']:.2f} ms, "
        f"p99 {figures['added_p99_ms']:.2f} ms (target p99 < 10 ms); "
        f"proxy CPU {figures['proxy_cpu_us_per_message']:.0f} us per audio message"
    )
    for name in ("direct", "proxy"):
        f = figures[name]
        print(
            f"{name}: audio bytes sent {f['audio_bytes_sent']}, lost "
            f"{f['audio_bytes_sent'] - f['audio_bytes_at_server']}; bursts not answered "
            f"{f['bursts_sent'] - f['samples']}; errors {f['errors'] or 'none'}"
        )


if __name__ == "__main__":
    asyncio.run(main())
