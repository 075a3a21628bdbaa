"""Terminal app figures: start-up time to the first interactive frame, and idle CPU.

Runs each program in a real terminal (tmux, 120x40) and watches the screen:

* start-up: wall time from spawning the process to the first frame that shows the prompt
  (the app is interactive), and to the status bar saying ``connected`` (local backend);
* idle CPU: the process's CPU time (``/proc/PID/stat``, all threads) over a quiet window
  while the app is connected and its meters redraw from a changing level source.

References measured in the same run: ``python -c pass`` (interpreter floor) and a bare
Textual app with one Input (the framework floor), for both start-up and idle CPU.

    python bench/bench_tui.py [--runs 5] [--idle-seconds 10]

Needs tmux.  Targets (issue 3): start-up under 1.0 s, idle CPU under 3% of one core.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOCKET = f"gemini-live-bench-{os.getpid()}"
TICKS = os.sysconf("SC_CLK_TCK")

BARE_APP = """
from textual.app import App
from textual.widgets import Input
class Bare(App):
    def compose(self):
        yield Input(placeholder="Type a message")
Bare().run()
"""

# The real app, built as cli.py builds it, with a synthetic level source so both meters
# redraw all the time (the audio pipeline's job in real use).
METERED_APP = """
import math, os, time
from pathlib import Path
from gemini_live_tui.config import load_settings
from gemini_live_tui.engine import Engine, Levels
from gemini_live_tui.engine.voice import VoiceLink
from gemini_live_tui.tui.app import GeminiLiveApp

class SwingingMeters(VoiceLink):
    def levels(self):
        return Levels(
            mic=0.5 + 0.5 * math.sin(time.monotonic() * 3.0),
            speaker=0.5 + 0.5 * math.cos(time.monotonic() * 2.0))

settings = load_settings({"backend": "local"})
GeminiLiveApp(Engine(settings, base_dir=Path.cwd(), voice=SwingingMeters)).run()
"""


def tmux(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True)


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", "bench").stdout


def start(command: list[str], env: dict[str, str]) -> float:
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    tmux("kill-session", "-t", "bench")
    t0 = time.perf_counter()
    tmux(
        "new-session", "-d", "-s", "bench", "-x", "120", "-y", "40",
        f"exec env {exports} {shlex.join(command)}",
    )  # fmt: skip
    return t0


def wait_for(text: str, t0: float, limit: float = 30.0) -> float:
    while True:
        if text in screen():
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > limit:
            raise RuntimeError(f"'{text}' never appeared; screen:\n{screen()}")
        time.sleep(0.003)


def pane_pid() -> int:
    return int(tmux("display", "-p", "-t", "bench", "#{pane_pid}").stdout.strip())


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def idle_cpu(seconds: float) -> float:
    pid = pane_pid()
    c0, w0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    c1, w1 = cpu_seconds(pid), time.perf_counter()
    return 100.0 * (c1 - c0) / (w1 - w0)


def python_floor(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("needs tmux")

    tmp = Path(tempfile.mkdtemp(prefix="bench-tui-"))
    env = {
        "GEMINI_LIVE_CONFIG_DIR": str(tmp / "config"),
        "GEMINI_LIVE_DATA_DIR": str(tmp / "data"),
        "GEMINI_LIVE_LOG_DIR": str(tmp / "log"),
        "TERM": "xterm-256color",
    }
    program = shutil.which("gemini-live")
    app_cmd = [program] if program else [sys.executable, "-m", "gemini_live_tui"]
    app_cmd += ["--backend", "local"]
    (tmp / "bare_app.py").write_text(BARE_APP)
    (tmp / "metered_app.py").write_text(METERED_APP)
    bare_cmd = [sys.executable, str(tmp / "bare_app.py")]
    metered_cmd = [sys.executable, str(tmp / "metered_app.py")]

    first_frame: list[float] = []
    connected: list[float] = []
    bare: list[float] = []
    # CPU seconds the process used up to its first frame: unlike wall time, not inflated
    # by other load on the machine.
    first_frame_cpu: list[float] = []
    bare_cpu_start: list[float] = []
    # A session that outlives the measured ones keeps the tmux server up between them.
    tmux("new-session", "-d", "-s", "keeper", "sleep 100000")
    try:
        for _ in range(args.runs):
            t0 = start(bare_cmd, env)
            bare.append(wait_for("Type a message", t0))
            bare_cpu_start.append(cpu_seconds(pane_pid()))
            t0 = start(app_cmd, env)
            first_frame.append(wait_for("Type a message", t0))
            first_frame_cpu.append(cpu_seconds(pane_pid()))
            connected.append(wait_for("● connected", t0))
        floor = python_floor(args.runs)

        t0 = start(bare_cmd, env)
        wait_for("Type a message", t0)
        time.sleep(1.0)
        bare_cpu = idle_cpu(args.idle_seconds)
        t0 = start(app_cmd, env)
        wait_for("● connected", t0)
        time.sleep(1.0)
        app_cpu = idle_cpu(args.idle_seconds)
        t0 = start(metered_cmd, env)
        wait_for("● connected", t0)
        time.sleep(1.0)
        metered_cpu = idle_cpu(args.idle_seconds)
    finally:
        tmux("kill-server")

    def row(name: str, values: list[float]) -> str:
        return (
            f"{name:<44} {statistics.median(values) * 1000:8.0f} ms   "
            f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"
        )

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.runs} runs")
    print("Start-up (spawn -> screen shows it)")
    print(row("python -c pass (exit)", floor))
    print(row("bare Textual app with an Input (first frame)", bare))
    print(row("gemini-live --backend local (first frame)", first_frame))
    print(row("gemini-live --backend local (connected)", connected))
    print("CPU time used up to the first frame (user + system)")
    print(row("bare Textual app with an Input", bare_cpu_start))
    print(row("gemini-live --backend local", first_frame_cpu))
    print(f"Idle CPU over {args.idle_seconds:.0f} s (% of one core)")
    print(f"{'bare Textual app with an Input':<44} {bare_cpu:8.2f} %")
    print(f"{'gemini-live connected, meters off':<44} {app_cpu:8.2f} %")
    print(f"{'gemini-live connected, meters moving (8 Hz)':<44} {metered_cpu:8.2f} %")


if __name__ == "__main__":
    main()
