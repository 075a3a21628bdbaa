"""TargetCatalog ids and name matching, display checks, and the ScreenShare controller."""

from __future__ import annotations

import sys

import pytest

from gemini_live_tui.capture import ScreenShare, TargetCatalog, check_display
from gemini_live_tui.capture.fakes import FakeClock, FakeGrabber, solid_frame
from gemini_live_tui.capture.x11 import X11Window
from gemini_live_tui.errors import CaptureError
from gemini_live_tui.media import PreparedImage

ONE_MONITOR = [
    {"left": 0, "top": 0, "width": 1920, "height": 1080},
    {"left": 0, "top": 0, "width": 1920, "height": 1080},
]
TWO_MONITORS = [
    {"left": 0, "top": 0, "width": 3840, "height": 1080},
    {"left": 0, "top": 0, "width": 1920, "height": 1080},
    {"left": 1920, "top": 0, "width": 1920, "height": 1080},
]


def _win(xid: int, name: str) -> X11Window:
    return X11Window(xid, name, 10, 20, 640, 480, True)


class Windows:
    def __init__(self, *windows: X11Window) -> None:
        self.windows = list(windows)

    def __call__(self) -> list[X11Window]:
        return list(self.windows)


def test_monitor_ids_and_the_all_monitors_target() -> None:
    one = TargetCatalog(monitor_source=lambda: ONE_MONITOR, window_source=Windows())
    assert [t.id for t in one.list_targets()] == ["m1"]
    two = TargetCatalog(monitor_source=lambda: TWO_MONITORS, window_source=Windows())
    targets = two.list_targets()
    assert [(t.id, t.name, t.width) for t in targets] == [
        ("m0", "all monitors", 3840),
        ("m1", "monitor 1", 1920),
        ("m2", "monitor 2", 1920),
    ]
    assert targets[2].left == 1920
    assert targets[1].describe() == "m1    monitor  monitor 1  1920x1080"


def test_window_ids_are_stable_and_never_reused() -> None:
    windows = Windows(_win(0x100, "Editor"), _win(0x200, "Browser"))
    catalog = TargetCatalog(monitor_source=lambda: ONE_MONITOR, window_source=windows)
    first = {t.name: t.id for t in catalog.list_targets() if t.kind == "window"}
    assert first == {"Editor": "w1", "Browser": "w2"}
    windows.windows = [_win(0x300, "Terminal"), _win(0x200, "Browser (renamed)")]
    second = {t.name: t.id for t in catalog.list_targets() if t.kind == "window"}
    assert second == {"Terminal": "w3", "Browser (renamed)": "w2"}
    windows.windows.append(_win(0x100, "Editor"))
    assert catalog.resolve("editor").id == "w1"


def test_resolve_by_id_exact_name_and_unique_part() -> None:
    windows = Windows(_win(1, "Editor - notes.md"), _win(2, "Browser"), _win(3, "Browser tools"))
    catalog = TargetCatalog(monitor_source=lambda: TWO_MONITORS, window_source=windows)
    assert catalog.resolve("M2").name == "monitor 2"
    assert catalog.resolve("w2").name == "Browser"
    assert catalog.resolve("monitor 1").id == "m1"
    assert catalog.resolve("browser").id == "w2"  # exact name beats the longer one
    assert catalog.resolve("notes").id == "w1"
    with pytest.raises(CaptureError, match=r"'monitor' matches several targets \(m0, m1, m2\)"):
        catalog.resolve("monitor")
    with pytest.raises(CaptureError, match="no screen or window matches 'spreadsheet'"):
        catalog.resolve("spreadsheet")
    assert catalog.find_by_name("Browser tools") is not None
    assert catalog.find_by_name("gone") is None
    with pytest.raises(CaptureError, match="name a screen or window"):
        catalog.resolve("  ")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 display rules")
def test_display_checks_give_one_clear_line() -> None:
    with pytest.raises(CaptureError, match="no display to capture: DISPLAY is not set"):
        check_display({})
    with pytest.raises(CaptureError, match="Wayland session has no X display"):
        check_display({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"})
    check_display({"DISPLAY": ":0"})
    check_display({}, display=":5")


def test_screen_share_start_retarget_status_snap_stop() -> None:
    clock = FakeClock(horizon=0.0)
    sent: list[PreparedImage] = []
    errors: list[str] = []
    grabber = FakeGrabber(solid_frame(1920, 1080, (0, 0, 255)), clock=clock)
    catalog = TargetCatalog(
        monitor_source=lambda: ONE_MONITOR, window_source=Windows(_win(7, "Editor"))
    )
    share = ScreenShare(
        send=sent.append,
        on_error=errors.append,
        catalog=catalog,
        grabber_factory=grabber.factory(),
        clock=clock,
    )
    assert share.status_word() == "off" and not share.sharing
    assert share.stop() is None
    # Not sharing: /snap grabs the first monitor and hands the frame back.
    frame = share.snap()
    assert frame is not None and (frame.width, frame.height) == (1024, 576)
    with pytest.raises(CaptureError, match="too short"):
        share.start("m1", 0.5)
    started = share.start("m1")
    assert started.describe() == "sharing screen m1 'monitor 1' (1920x1080) every 1 s"
    assert clock.run_until(2.5)
    assert share.sharing
    assert share.status_word() == "m1 1 sent 2 skipped"
    parks = clock.park_count
    again = share.start("editor", 2.0)
    assert again.retargeted and again.interval_s == 2.0
    assert again.describe().startswith("now sharing window w1 'Editor'")
    assert clock.wait_for_park(parks)
    parks = clock.park_count
    assert share.snap() is None  # sharing: the worker sends it
    assert clock.wait_for_park(parks)
    stats = share.stop()
    assert stats is not None and stats.target_id == "w1"
    assert (stats.frames_sent, stats.snaps_sent) == (3, 1)
    assert len(sent) == 3 and errors == []
    assert share.status_word() == "off"
    assert share.statistics() == stats


def test_screen_share_reports_a_failed_worker() -> None:
    def no_display() -> FakeGrabber:
        raise CaptureError("no display to capture: DISPLAY is not set")

    errors: list[str] = []
    share = ScreenShare(
        send=lambda frame: None,
        on_error=errors.append,
        catalog=TargetCatalog(monitor_source=lambda: ONE_MONITOR, window_source=Windows()),
        grabber_factory=no_display,
        clock=FakeClock(),
    )
    share.start("m1")
    share.stop()
    assert errors == ["no display to capture: DISPLAY is not set"]
    stats = share.statistics()
    assert stats is not None and stats.last_error == errors[0]
