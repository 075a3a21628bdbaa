"""ScreenLink: argument parsing, frames onto the loop, drops while reconnecting or busy."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gemini_live_tui.capture import TargetCatalog
from gemini_live_tui.capture.fakes import FakeClock, FakeGrabber, solid_frame
from gemini_live_tui.capture.x11 import X11Window
from gemini_live_tui.engine.screen import ScreenLink, ShareOptions, parse_share_args
from tests.waiting import eventually

MONITORS = [{"left": 0, "top": 0, "width": 800, "height": 600}] * 2


@dataclass
class FakeSettings:
    screen_target: str | None = None


class FakeEngine:
    """The slice of Engine that ScreenLink uses."""

    def __init__(self) -> None:
        self.settings = FakeSettings()
        self.phase = "connected"
        self.notices: list[tuple[str, str]] = []
        self.status_changes = 0
        self.sent: list[tuple[bytes, str]] = []
        self.release = asyncio.Event()
        self.release.set()

    def notice(self, text: str, level: str = "info") -> None:
        self.notices.append((text, level))

    def status_changed(self) -> None:
        self.status_changes += 1

    async def send_video(self, data: bytes, *, mime_type: str = "image/jpeg") -> None:
        await self.release.wait()
        self.sent.append((data, mime_type))

    def text(self) -> str:
        return "\n".join(text for text, _ in self.notices)


def _link(engine: FakeEngine, clock: FakeClock, **options: Any) -> ScreenLink:
    catalog = TargetCatalog(
        monitor_source=lambda: MONITORS,
        window_source=lambda: [X11Window(5, "Editor", 0, 0, 300, 200, True)],
    )
    frames = FakeGrabber(lambda target, i: solid_frame(800, 600, ((i * 90) % 256, 0, 0)))
    settings: dict[str, Any] = {"catalog": catalog, "grabber_factory": frames.factory()}
    settings.update(options)
    return ScreenLink(engine, ShareOptions(clock=clock, **settings))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("w2", ("w2", None)),
        ("w2 3", ("w2", 3.0)),
        ("monitor 1", ("monitor", 1.0)),  # ScreenLink.command prefers a whole-text name
        ('"Known Picture" 2.5', ("Known Picture", 2.5)),
        ("Known Picture", ("Known Picture", None)),
        ("7", ("7", None)),
    ],
)
def test_parse_share_args(args: str, expected: tuple[str, float | None]) -> None:
    assert parse_share_args(args) == expected


async def test_commands_and_status_word() -> None:
    engine = FakeEngine()
    clock = FakeClock(horizon=0.0)
    link = _link(engine, clock)
    assert link.status_word() == "off"
    await link.command("")
    assert "screen sharing is off" in engine.text()
    await link.command("list")
    assert "m1    monitor  monitor 1  800x600" in engine.text()
    assert "w1    window   Editor  300x200" in engine.text()
    await link.command("nothing-like-this")
    assert (
        "no screen or window matches 'nothing-like-this'; /share-screen list shows them",
        "error",
    ) in engine.notices
    await link.command('"Editor')
    assert "No closing quotation" in engine.text()
    await link.command("monitor 1")
    assert "sharing screen m1 'monitor 1' (800x600) every 1 s" in engine.text()
    await _until(lambda: len(engine.sent) == 1)
    await link.command("")
    engine.sent.clear()
    await link.command("editor 1")
    assert link.sharing and "sharing window w1 'Editor' (300x200) every 1 s" in engine.text()
    # One interval at a time, each send awaited: frames the worker hands over within one
    # loop turn (a busy machine, simulated time) meet the busy rule and all but one drop.
    await _until(lambda: len(engine.sent) == 1)
    await asyncio.to_thread(clock.run_until, 1.5)
    await _until(lambda: len(engine.sent) == 2)
    await asyncio.to_thread(clock.run_until, 2.5)
    await _until(lambda: len(engine.sent) == 3)
    assert link.frames_dropped_busy == 0
    assert link.status_word() == "w1 3 sent 0 skipped"
    await link.command("4")  # a number alone while sharing: same target, new interval
    assert "now sharing window w1 'Editor' (300x200) every 4 s" in engine.text()
    await link.command("0.5")
    assert "interval 0.5 s is too short" in engine.text()
    await _until(lambda: len(engine.sent) == 4)  # the retarget sends at once
    await link.command("")
    assert "screen sharing stopped: 4 frames sent" in engine.text()
    assert link.status_word() == "off" and not link.sharing and engine.status_changes >= 2
    await link.close()  # the engine's stop is safe when nothing runs


async def test_frames_are_dropped_not_queued_while_reconnecting_or_busy() -> None:
    engine = FakeEngine()
    clock = FakeClock(horizon=0.0)
    link = _link(engine, clock)
    await link.start("m1")
    await _until(lambda: len(engine.sent) == 1)
    # The socket is slow: a frame in flight makes the next one drop on the loop side.
    engine.release.clear()
    await asyncio.to_thread(clock.run_until, 2.5)
    await _until(lambda: link.frames_dropped_busy >= 1)
    engine.release.set()
    await _until(lambda: len(engine.sent) == 2)
    # Reconnecting: the worker neither grabs nor sends.
    engine.phase = "reconnecting"
    await asyncio.to_thread(clock.run_until, 5.5)
    stats = link.statistics()
    assert stats is not None and stats.frames_dropped == 3
    assert len(engine.sent) == 2
    await link.snap()
    assert ("not connected: no screen frame was sent", "error") in engine.notices
    engine.phase = "connected"
    await asyncio.to_thread(clock.run_until, 6.5)
    await _until(lambda: len(engine.sent) == 3)
    await link.close()
    assert not link.sharing


async def test_snap_when_not_sharing_sends_through_the_engine() -> None:
    engine = FakeEngine()
    link = _link(engine, FakeClock())
    await link.snap()
    assert len(engine.sent) == 1 and engine.sent[0][1] == "image/jpeg"
    assert "[screen] monitor 1 800x600 JPEG" in engine.text()
    engine.settings.screen_target = "Editor"  # the saved target, matched by name
    await link.snap()
    assert "[screen] Editor 800x600 JPEG" in engine.text()


async def test_saved_target_is_matched_by_name() -> None:
    engine = FakeEngine()
    clock = FakeClock(horizon=0.0)
    link = _link(engine, clock)
    await link.command("saved")
    assert "no saved screen: set screen_target" in engine.text()
    engine.settings.screen_target = "editor"
    await link.command("saved 2")
    assert "sharing window w1 'Editor' (300x200) every 2 s" in engine.text()
    await link.close()


async def test_a_failing_worker_becomes_one_notice() -> None:
    engine = FakeEngine()

    def broken() -> FakeGrabber:
        from gemini_live_tui.errors import CaptureError

        raise CaptureError("no display to capture: DISPLAY is not set")

    link = _link(engine, FakeClock(), grabber_factory=broken)
    await link.start("m1")
    await _until(lambda: any("screen sharing stopped" in t for t, _ in engine.notices))
    assert (
        "screen sharing stopped: no display to capture: DISPLAY is not set",
        "error",
    ) in engine.notices
    await _until(lambda: link.status_word() == "off")


async def _until(predicate: Callable[[], bool], limit: float = 10.0) -> None:
    """Wait for a condition set by worker threads (no event to await across threads)."""
    await eventually(predicate, limit=limit)


async def test_no_display_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("X11 display rules")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)
    engine = FakeEngine()
    link = ScreenLink(engine)  # type: ignore[arg-type]  # the real catalog and grabber
    await link.command("list")
    await link.command("m1")
    await link.snap()
    message = "no display to capture: DISPLAY is not set (is this a graphical session?)"
    assert engine.notices == [(message, "error")] * 3
    assert not link.sharing
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    await link.command("list")
    assert "this Wayland session has no X display" in engine.notices[-1][0]
