"""Snapshots of the main screen at 80x24 and 120x40, compared as plain text.

The app runs against the local server with a frozen clock, so the screen is the same on
every run.  Text (not SVG) keeps the baselines readable in a diff; colours are not
compared.  To accept a deliberate change: ``GEMINI_LIVE_UPDATE_SNAPSHOTS=1 pytest
tests/tui/test_snapshots.py`` and review the diff of ``tests/tui/snapshots/``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tests.tui.conftest import log_text, make_app, wait_for

SNAPSHOTS = Path(__file__).parent / "snapshots"


def screen_text(app: Any) -> str:
    """What the terminal shows, as text, one line per row (trailing spaces removed)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(
            full=True, screen_stack=app._background_screens, simplify=True
        )
    )
    text = console.export_text(styles=False)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def check(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("GEMINI_LIVE_UPDATE_SNAPSHOTS") == "1":
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no baseline {path}: run with GEMINI_LIVE_UPDATE_SNAPSHOTS=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"screen differs from {path.name}:\n{actual}"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_main_screen(tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(tmp_path, clock=lambda: 1000.0)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: "connected to local server" in log_text(app))
        await pilot.pause()
        app.prompt.value = "hello @photo.png"
        await pilot.pause()
        check(f"main-{size[0]}x{size[1]}.txt", screen_text(app))
