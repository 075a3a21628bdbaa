"""Fixtures for the audio tests: a private PulseAudio daemon with a null sink and a pipe mic."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_program


@pytest.fixture
def pulse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Start pulseaudio (private runtime dir, sink ``spk``, pipe source ``mic``); yield the pipe.

    Skipped, with the daemon's log, only where it cannot start.
    """
    require_program("pulseaudio", "pactl", "parec")
    runtime = tmp_path / "pulse"
    runtime.mkdir()
    socket = runtime / "native"
    for key, value in {
        "XDG_RUNTIME_DIR": str(runtime),
        "PULSE_RUNTIME_PATH": str(runtime),
        "PULSE_STATE_PATH": str(runtime),
        "HOME": str(runtime),
        "PULSE_SERVER": f"unix:{socket}",
    }.items():
        monkeypatch.setenv(key, value)
    log = (runtime / "log").open("w")
    daemon = subprocess.Popen(
        [
            "pulseaudio",
            "--daemonize=no",
            "-n",
            "--exit-idle-time=-1",
            "--load=module-null-sink sink_name=spk",
            f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while not socket.exists() and daemon.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if not socket.exists():
            tail = (runtime / "log").read_text()[-400:]
            pytest.skip(f"PulseAudio could not start here: {tail}")
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
        subprocess.run(["pactl", "set-default-sink", "spk"], check=True)
        yield pipe
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        log.close()
