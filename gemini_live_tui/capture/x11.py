"""List titled X11 windows and read their on-screen rectangles with the x11-utils programs.

Why programs and not a library: python-xlib is not a dependency and pywinctl pulls in a
large tree for one query.  ``xprop`` and ``xwininfo`` (Debian ``x11-utils``, present on
nearly every X11 desktop) answer the two questions we have: which top-level windows the
user has (``_NET_CLIENT_LIST`` from the window manager, else the named children of the root
window when no window manager runs, as under bare Xvfb) and where one of them is now.
mss then grabs that rectangle of the screen, so what is captured is what the user sees
there, overlapping windows included.

Without the programs, or without X11, :func:`list_windows` returns nothing and sharing is
limited to whole monitors.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

__all__ = ["X11Window", "list_windows", "tools_available", "window_info"]

_TIMEOUT_S = 5.0
_HEADER = re.compile(r'^xwininfo: Window id: (0x[0-9a-fA-F]+) (?:"(.*)"|\(has no name\))\s*$')
_FIELDS = {
    "Absolute upper-left X": "left",
    "Absolute upper-left Y": "top",
    "Width": "width",
    "Height": "height",
}
_TREE_LINE = re.compile(r'^(\s+)(0x[0-9a-fA-F]+) "(.*)": \(.*\)\s+(\d+)x(\d+)[+-]\d+[+-]\d+')


@dataclass(frozen=True, slots=True)
class X11Window:
    """One window: its X id, title and absolute rectangle on the root window."""

    xid: int
    name: str
    left: int
    top: int
    width: int
    height: int
    viewable: bool


def tools_available() -> bool:
    """Whether ``xwininfo`` is installed (``xprop`` is optional)."""
    return shutil.which("xwininfo") is not None


def _run(args: list[str], display: str | None) -> subprocess.CompletedProcess[str] | None:
    env = dict(os.environ)
    if display:
        env["DISPLAY"] = display
    try:
        return subprocess.run(
            args, capture_output=True, text=True, env=env, timeout=_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def window_info(xid: int, *, display: str | None = None) -> X11Window | None:
    """The window's current title and rectangle, or ``None`` when it no longer exists."""
    result = _run(["xwininfo", "-id", hex(xid)], display)
    if result is None or result.returncode != 0:
        return None
    name = ""
    values: dict[str, int] = {}
    viewable = False
    for line in result.stdout.splitlines():
        header = _HEADER.match(line)
        if header:
            name = header.group(2) or ""
            continue
        key, _, value = line.strip().partition(":")
        if key in _FIELDS:
            try:
                values[_FIELDS[key]] = int(value.strip())
            except ValueError:
                return None
        elif key == "Map State":
            viewable = value.strip() == "IsViewable"
    if len(values) != len(_FIELDS):
        return None
    return X11Window(xid=xid, name=name, viewable=viewable, **values)


def _client_list(display: str | None) -> list[int] | None:
    """Window ids from the window manager's ``_NET_CLIENT_LIST``, or ``None`` without one."""
    if shutil.which("xprop") is None:
        return None
    result = _run(["xprop", "-root", "_NET_CLIENT_LIST"], display)
    if result is None or result.returncode != 0 or "window id #" not in result.stdout:
        return None
    ids = re.findall(r"0x[0-9a-fA-F]+", result.stdout.partition("#")[2])
    return [int(text, 16) for text in ids]


def _named_root_children(display: str | None) -> list[int]:
    """Named direct children of the root window: the top-level windows when no WM runs."""
    result = _run(["xwininfo", "-root", "-children"], display)
    if result is None or result.returncode != 0:
        return []
    ids: list[int] = []
    for line in result.stdout.splitlines():
        match = _TREE_LINE.match(line)
        if match and match.group(3):
            ids.append(int(match.group(2), 16))
    return ids


def list_windows(*, display: str | None = None, min_side: int = 32) -> list[X11Window]:
    """Visible, titled top-level windows at least ``min_side`` pixels on each side."""
    if not tools_available():
        return []
    ids = _client_list(display)
    if ids is None:
        ids = _named_root_children(display)
    windows: list[X11Window] = []
    for xid in ids:
        info = window_info(xid, display=display)
        if info is None or not info.viewable or not info.name:
            continue
        if info.width < min_side or info.height < min_side:
            continue
        windows.append(info)
    return windows
