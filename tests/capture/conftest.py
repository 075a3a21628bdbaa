"""A real X server (Xvfb) with a known picture on it, for the capture system tests.

Xvfb is started with ``-displayfd``: it picks a free display number itself and writes it
to the pipe only once it accepts connections, so there is neither a guessed number that
may be taken nor a blind sleep; the socket ``/tmp/.X11-unix/X<n>`` is then checked.
The picture is a Tk window (tkinter ships with this Python) in a child process: left half
#ff8800, right half #0044cc, 400x300 at +100+50.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import require_program

SCREEN_SIZE = (1280, 800)
WINDOW_TITLE = "Known Picture"
WINDOW_RECT = (100, 50, 400, 300)  # left, top, width, height
LEFT_COLOUR = (0xFF, 0x88, 0x00)
RIGHT_COLOUR = (0x00, 0x44, 0xCC)

_TK_SCRIPT = """
import sys, tkinter as tk
title, left, top, width, height, c1, c2 = sys.argv[1:8]
left, top, width, height = int(left), int(top), int(width), int(height)
root = tk.Tk()
root.title(title)
root.geometry(f"{width}x{height}+{left}+{top}")
canvas = tk.Canvas(root, width=width, height=height, highlightthickness=0, bd=0)
canvas.pack()
canvas.create_rectangle(0, 0, width // 2, height, fill=c1, outline="")
canvas.create_rectangle(width // 2, 0, width, height, fill=c2, outline="")
root.wait_visibility()
root.update()
print("ready", flush=True)
root.mainloop()
"""


def _read_line(fd: int, deadline: float) -> str:
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer in time")
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 64)
        if not chunk:
            raise EOFError("pipe closed")
        data += chunk
    return data.decode().strip()


@pytest.fixture(scope="module")
def xvfb() -> Iterator[str]:
    """A running Xvfb; yields its display name (``":5"``)."""
    require_program("Xvfb")
    read_fd, write_fd = os.pipe()
    width, height = SCREEN_SIZE
    process = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        number = _read_line(read_fd, time.monotonic() + 30)
    except (TimeoutError, EOFError) as exc:
        process.kill()
        process.wait()
        pytest.fail(f"Xvfb did not start: {exc}")
    finally:
        os.close(read_fd)
    assert Path(f"/tmp/.X11-unix/X{number}").exists()
    try:
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(10)


@dataclass(frozen=True)
class Picture:
    display: str
    title: str
    rect: tuple[int, int, int, int]


def draw_window(display: str, title: str, rect: tuple[int, int, int, int]) -> subprocess.Popen[str]:
    """Start the Tk picture window and wait until it reports it is shown."""
    env = dict(os.environ, DISPLAY=display)
    left, top, width, height = rect
    args = [str(v) for v in (title, left, top, width, height)]
    colours = ["#" + bytes(LEFT_COLOUR).hex(), "#" + bytes(RIGHT_COLOUR).hex()]
    process = subprocess.Popen(
        [sys.executable, "-c", _TK_SCRIPT, *args, *colours],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        line = _read_line(process.stdout.fileno(), time.monotonic() + 30)
    except (TimeoutError, EOFError) as exc:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"Tk window did not appear: {exc}: {err[-500:]}")
    assert line == "ready"
    return process


@pytest.fixture(scope="module")
def picture(xvfb: str) -> Iterator[Picture]:
    """The known picture, visible on the Xvfb screen."""
    process = draw_window(xvfb, WINDOW_TITLE, WINDOW_RECT)
    try:
        yield Picture(xvfb, WINDOW_TITLE, WINDOW_RECT)
    finally:
        process.terminate()
        process.wait(10)


def wait_until(predicate: Callable[[], bool], *, limit: float = 20.0, what: str = "") -> None:
    """Poll ``predicate`` (a real-world condition, e.g. pixels drawn) until it holds."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)


def close_to(pixel: object, colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    """Whether an RGB pixel is within ``tolerance`` of ``colour`` on every channel."""
    return isinstance(pixel, tuple) and all(
        abs(int(a) - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True)
    )


def halves_match(image: Image.Image, tolerance: int = 12) -> bool:
    """Whether ``image`` shows the known picture: left half orange, right half blue."""
    rgb = image.convert("RGB")
    w, h = rgb.size
    return close_to(rgb.getpixel((w // 4, h // 2)), LEFT_COLOUR, tolerance) and close_to(
        rgb.getpixel((3 * w // 4, h // 2)), RIGHT_COLOUR, tolerance
    )
