"""Voice pipeline cost and timing with fake devices (deterministic, no sound card needed).

Measures, per second of full-duplex audio (mic captured, resampled, echo-cancelled, noise
suppressed, encoded to chunks; model audio resampled and played; the far end collected):

- CPU: process time of the test thread (the fake device callbacks plus ``pump()``, which is
  all the worker does), best of three runs.  Bar: <= 50 ms per second (5 % of a core).
  Reference rows in the same run: the pipeline with echo cancellation off, and with both
  echo cancellation and noise suppression off (the bare plumbing).
- Mic-to-wire latency: capture of a chunk's last sample to its hand-off to ``send``, with
  the worker pumping after every 10 ms callback and devices reporting 10 ms of input and
  60 ms of output latency (what ``devices.py`` asks PortAudio for).
  Bar: <= 60 ms.
- Barge-in: output callbacks from ``flush()`` to silence.  Bar: one callback.

With ``--pulse`` it also measures mic-to-wire on real PortAudio streams through a private
PulseAudio daemon (Debian ``pulseaudio``), a pipe source fed 10 ms at a time in real time.

Run:  python bench/bench_audio.py [--seconds 20] [--pulse]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from gemini_live_tui.audio.fakes import FakeAudioBackend
from gemini_live_tui.audio.pipeline import AudioPipeline, AudioSettings


def _speechlike(seconds: float, rate: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    env = (np.arange(n) % int(0.25 * rate)) < int(0.15 * rate)
    return (0.2 * rng.standard_normal(n) * env).astype(np.float32)


def run(seconds: float, *, rate: int, aec: bool, ns: int, pump_every_ms: int = 5) -> dict[str, Any]:
    """Drive one full-duplex session; return CPU per second and latency figures."""
    # Latencies as devices.py asks PortAudio for: "low" input, 60 ms output.
    backend = FakeAudioBackend(input_rate=rate, output_rate=rate, latency=0.01, output_latency=0.06)
    chunks: list[bytes] = []
    pipe = AudioPipeline(
        chunks.append,
        AudioSettings(aec=aec, noise_suppression=ns),
        backend=backend,
        clock=backend.clock,
        start_worker=False,
    )
    pipe.start_capture()
    pipe.start_playback()
    mic, spk = backend.inputs[0], backend.outputs[0]
    block = rate // 100  # 10 ms device callbacks
    mic_audio = _speechlike(seconds, rate, 1)
    model = (_speechlike(seconds, 24000, 2) * 32767).astype("<i2").tobytes()
    # The model's reply arrives faster than real time, in 40 ms messages, as the service does.
    step = 24000 * 2 * 40 // 1000
    messages = [model[i : i + step] for i in range(0, len(model), step)]
    start = time.process_time()
    for i in range(int(seconds * 100)):
        if i % 2 == 0 and messages:
            pipe.play(messages.pop(0))
            if messages:
                pipe.play(messages.pop(0))
        mic.push(mic_audio[i * block : (i + 1) * block])
        spk.pull(block, advance=False)
        if pump_every_ms <= 10 or i % (pump_every_ms // 10) == 0:
            pipe.pump()
    cpu = time.process_time() - start
    stats = pipe.statistics()
    # Barge-in: flush while the reply plays and count callbacks until silence.
    pipe.play(model[: 24000 * 2])
    pipe.pump()
    for _ in range(50):
        if np.any(spk.pull(block, advance=False) != 0):
            break
    pipe.flush()
    callbacks = 0
    while np.any(spk.pull(block, advance=False) != 0):
        callbacks += 1
    pipe.close()
    lat = list(pipe._counters.latency_ms)
    return {
        "cpu_ms_per_s": cpu / seconds * 1000,
        "latency_median_ms": float(np.median(lat)),
        "latency_max_ms": float(np.max(lat)),
        "underruns": stats.get("speaker_underruns", 0),
        "chunks": stats["chunks_sent"],
        "barge_in_callbacks": callbacks + 1,  # the callback that went silent counts
    }


def pulse_latency(seconds: float = 3.0) -> list[tuple[str, float, float]]:
    """Mic-to-wire through a private PulseAudio daemon: a pipe source fed 10 ms at a time in
    real time, PortAudio's ``pulse`` device, the real worker thread.  (median, max) in ms."""
    import os
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    if not shutil.which("pulseaudio"):
        return []
    results: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Path(tmp)
        socket = runtime / "native"
        for key in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH", "PULSE_STATE_PATH", "HOME"):
            os.environ[key] = tmp
        os.environ["PULSE_SERVER"] = f"unix:{socket}"
        daemon = subprocess.Popen(
            [
                "pulseaudio",
                "--daemonize=no",
                "-n",
                "--exit-idle-time=-1",
                "--load=module-null-sink sink_name=spk",
                f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while not socket.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            pipe = runtime / "micpipe"
            subprocess.run(
                [
                    "pactl",
                    "load-module",
                    "module-pipe-source",
                    "source_name=mic",
                    f"file={pipe}",
                    "format=s16le",
                    "rate=16000",
                    "channels=1",
                ],
                check=True,
                capture_output=True,
            )
            subprocess.run(["pactl", "set-default-source", "mic"], check=True)
            t = np.arange(160) / 16000
            block = (0.25 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()
            for title, aec in (("AEC + NS (default)", True), ("NS only (--aec off)", False)):
                pipe_line = AudioPipeline(
                    lambda chunk: None, AudioSettings(input_device="pulse", aec=aec)
                )
                pipe_line.start_capture()
                fd = os.open(pipe, os.O_WRONLY)
                start = time.monotonic()
                for i in range(int(seconds * 100)):
                    os.write(fd, block)
                    ahead = start + (i + 1) * 0.01 - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
                os.close(fd)
                time.sleep(0.2)
                lat = list(pipe_line._counters.latency_ms)
                pipe_line.close()
                results.append((title, float(np.median(lat)), float(np.max(lat))))
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--pulse", action="store_true", help="also mic-to-wire through a private PulseAudio"
    )
    args = parser.parse_args()
    rows = [
        ("16 kHz devices, AEC + NS (default)", 16000, True, 2),
        ("48 kHz devices, AEC + NS (default)", 48000, True, 2),
        ("48 kHz devices, NS only (reference: --aec off)", 48000, False, 2),
        ("48 kHz devices, no AEC, no NS (reference: plumbing)", 48000, False, 0),
    ]
    print(
        "| pipeline | CPU ms per s (5 % = 50) | mic-to-wire median / max ms | "
        "barge-in callbacks | speaker underruns |"
    )
    print("|---|---|---|---|---|")
    for title, rate, aec, ns in rows:
        best: dict[str, Any] | None = None
        for _ in range(3):
            result = run(args.seconds, rate=rate, aec=aec, ns=ns)
            if best is None or result["cpu_ms_per_s"] < best["cpu_ms_per_s"]:
                best = result
        assert best is not None
        print(
            f"| {title} | {best['cpu_ms_per_s']:.1f} | {best['latency_median_ms']:.0f} / "
            f"{best['latency_max_ms']:.0f} | {best['barge_in_callbacks']} | {best['underruns']} |",
            flush=True,
        )
    if args.pulse:
        print()
        print("| through PulseAudio (pipe source, 10 ms writes) | mic-to-wire median / max ms |")
        print("|---|---|")
        for title, median, worst in pulse_latency():
            print(f"| {title} | {median:.0f} / {worst:.0f} |", flush=True)


if __name__ == "__main__":
    main()
