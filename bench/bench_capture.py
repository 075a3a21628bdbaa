"""Screen capture benchmark: grab + encode a 1920x1080 screen to a 1024 px JPEG.

Starts its own Xvfb at 1920x1080 (Debian ``xvfb``), draws a desktop-like picture in a Tk
window (text lines, coloured panels, a photo-like gradient with noise), then times, over
``--frames`` frames:

- ours: ``MssGrabber.grab`` + ``FrameEncoder`` (BOX scale, quality
  carried over, cap 200 KB) + the change detector's thumbnail, i.e. a full worker step;
- naive reference: the same mss grab, ``Image.frombytes`` + LANCZOS resize + JPEG q95;
- PNG reference: the same grab saved full size with ``mss.tools.to_png``.

Run:  python bench/bench_capture.py [--frames 60]
"""

from __future__ import annotations

import argparse
import io
import os
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from PIL import Image

from gemini_live_tui.capture import CaptureTarget, ChangeDetector, MssGrabber
from gemini_live_tui.media import FrameEncoder

WIDTH, HEIGHT = 1920, 1080

_TK_SCRIPT = r"""
import random, tkinter as tk
random.seed(7)
root = tk.Tk()
root.title("bench desktop")
root.geometry("1920x1080+0+0")
c = tk.Canvas(root, width=1920, height=1080, bg="#f4f4f4", highlightthickness=0)
c.pack()
c.create_rectangle(0, 0, 1920, 40, fill="#2d2d30", outline="")
c.create_rectangle(0, 40, 300, 1080, fill="#252526", outline="")
for i in range(40):
    c.create_text(20, 60 + i * 25, anchor="nw", fill="#cccccc", font=("Helvetica", 11),
                  text=f"file_{i:02d}.py")
words = "def capture frame encode quality return self image numpy scale change".split()
for i in range(45):
    line = " ".join(random.choice(words) for _ in range(random.randint(3, 12)))
    c.create_text(320, 60 + i * 22, anchor="nw", fill="#1e1e1e", font=("Courier", 12),
                  text=f"{i + 1:4d}  {line}")
w, h = 560, 420
rows = []
for y in range(h):
    row = []
    for x in range(w):
        r = (x * 255 // w + random.randint(-20, 20)) % 256
        g = (y * 255 // h + random.randint(-20, 20)) % 256
        b = ((x + y) * 128 // (w + h) + 60 + random.randint(-20, 20)) % 256
        row.append(bytes((r, g, b)))
    rows.append(b"".join(row))
ppm = b"P6 %d %d 255\n" % (w, h) + b"".join(rows)
photo = tk.PhotoImage(data=ppm, format="ppm")
c.create_image(1300, 80, anchor="nw", image=photo)
for i, colour in enumerate(["#e74c3c", "#3498db", "#2ecc71", "#f1c40f", "#9b59b6"]):
    c.create_rectangle(1300 + i * 112, 540, 1400 + i * 112, 640, fill=colour, outline="")
c.create_rectangle(1300, 680, 1860, 1040, fill="#ffffff", outline="#999999")
for i in range(14):
    c.create_text(1320, 700 + i * 24, anchor="nw", fill="#333333", font=("Helvetica", 12),
                  text=f"Chat message number {i}: the model sees this screen once a second.")
root.wait_visibility()
root.update()
print("ready", flush=True)
root.mainloop()
"""


def _read_line(fd: int, limit: float) -> str:
    deadline = time.monotonic() + limit
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer in time")
        if select.select([fd], [], [], remaining)[0]:
            chunk = os.read(fd, 64)
            if not chunk:
                raise EOFError("pipe closed")
            data += chunk
    return data.decode().strip()


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    read_fd, write_fd = os.pipe()
    screen = f"{WIDTH}x{HEIGHT}x24"
    command = ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"]
    process = subprocess.Popen(
        command, pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    os.close(write_fd)
    try:
        number = _read_line(read_fd, 30)
    finally:
        os.close(read_fd)
    return process, f":{number}"


def draw(display: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", _TK_SCRIPT],
        env=dict(os.environ, DISPLAY=display),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    if _read_line(process.stdout.fileno(), 60) != "ready":
        raise RuntimeError("Tk desktop did not start")
    return process


def timed(
    steps: dict[str, Callable[[], int]], frames: int
) -> dict[str, tuple[list[float], list[float], list[int]]]:
    """Wall and CPU (this thread) ms per call and bytes produced, for each pipeline.

    The pipelines take turns frame by frame, so background load on the machine falls on
    all of them alike.
    """
    results: dict[str, tuple[list[float], list[float], list[int]]] = {}
    for name, step in steps.items():
        step()  # warm-up: imports, first allocations
        results[name] = ([], [], [])
    for _ in range(frames):
        for name, step in steps.items():
            wall, cpu, sizes = results[name]
            start, start_cpu = time.perf_counter(), time.thread_time()
            sizes.append(step())
            cpu.append((time.thread_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()

    xvfb, display = start_xvfb()
    desktop = draw(display)
    try:
        import mss
        import mss.tools

        grabber = MssGrabber(display=display)
        target = CaptureTarget("m1", "monitor", "monitor 1", 0, 0, WIDTH, HEIGHT)
        # Wait until the drawing is on screen (the picture is not blank white/black).
        deadline = time.monotonic() + 30
        while grabber.grab(target).getpixel((1310, 100)) == (0, 0, 0):
            if time.monotonic() > deadline:
                raise RuntimeError("the desktop never appeared")
        encoder = FrameEncoder(max_side=1024, max_bytes=200_000)
        detector = ChangeDetector()
        parts: dict[str, list[float]] = {"grab": [], "scale": [], "thumb": [], "encode": []}

        def ours() -> int:
            t0 = time.perf_counter()
            image = grabber.grab(target)
            t1 = time.perf_counter()
            scaled = encoder.scale(image)
            t2 = time.perf_counter()
            detector.differs(detector.thumbnail(scaled))
            t3 = time.perf_counter()
            frame = encoder.encode(scaled, original_size=image.size)
            t4 = time.perf_counter()
            for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                parts[key].append(value * 1000)
            return len(frame.data)

        sct = mss.MSS(display=display)
        region = {"left": 0, "top": 0, "width": WIDTH, "height": HEIGHT}

        def naive() -> int:
            shot = sct.grab(region)
            image = Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")
            image = image.resize((1024, 576), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=95)
            return len(buffer.getvalue())

        def png() -> int:
            shot = sct.grab(region)
            data = mss.tools.to_png(shot.rgb, shot.size, level=6)
            return len(data or b"")

        results = timed(
            {
                "ours: grab + scale + change test + adaptive JPEG": ours,
                "naive: grab + LANCZOS resize + JPEG q95": naive,
                "reference: grab + mss.tools.to_png (full size)": png,
            },
            args.frames,
        )
        rows = [
            (name, statistics.median(wall), statistics.median(cpu), statistics.median(sizes))
            for name, (wall, cpu, sizes) in results.items()
        ]
        for key in parts:
            del parts[key][0]  # drop the warm-up frame
        sct.close()
        grabber.close()
    finally:
        desktop.terminate()
        desktop.wait(10)
        xvfb.terminate()
        xvfb.wait(10)

    load = os.getloadavg()[0]
    version = sys.version.split()[0]
    print(
        f"{WIDTH}x{HEIGHT} Xvfb -> 1024 px, {args.frames} frames, Python {version}, load {load:.1f}"
    )
    print()
    print("| pipeline | median wall ms | median CPU ms | bytes per frame |")
    print("|---|---:|---:|---:|")
    for name, median, cpu_median, size in rows:
        print(f"| {name} | {median:.1f} | {cpu_median:.1f} | {size / 1000:.0f} KB |")
    print()
    steps = ", ".join(f"{key} {statistics.median(values):.1f}" for key, values in parts.items())
    print(f"ours, median wall ms per step: {steps}; JPEG quality {encoder.next_quality}")


if __name__ == "__main__":
    main()
