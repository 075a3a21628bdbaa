"""Real screen capture on Xvfb: targets, mss grabs, worker -> Session -> local server, and
the app's /share-screen and /snap end to end.  The frames the local Live server receives
must decode to the known picture (size and colours within tolerance)."""

from __future__ import annotations

import asyncio
import io
import math
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from gemini_live_tui.capture import CaptureTarget, MssGrabber, ScreenShareWorker, TargetCatalog
from gemini_live_tui.engine import Engine
from gemini_live_tui.errors import CaptureError
from gemini_live_tui.live import (
    Auth,
    Endpoint,
    ReconnectPolicy,
    Session,
    SessionConfig,
    TransportConfig,
)
from gemini_live_tui.local import LocalLiveServer
from gemini_live_tui.media import PreparedImage
from gemini_live_tui.protocol import types
from gemini_live_tui.tui.app import GeminiLiveApp
from gemini_live_tui.tui.history import InputHistory
from tests.capture.conftest import (
    LEFT_COLOUR,
    RIGHT_COLOUR,
    SCREEN_SIZE,
    WINDOW_TITLE,
    Picture,
    draw_window,
    halves_match,
    wait_until,
)
from tests.tui.conftest import local_settings, log_text, wait_for

pytestmark = pytest.mark.system


def _text_session(url: str) -> SessionConfig:
    return SessionConfig(
        transport=TransportConfig(endpoint=Endpoint.custom(url), auth=Auth.api_key("local-key")),
        setup=types.SetupConfig(
            model="models/gemini-3.1-flash-live-preview",
            generation_config=types.GenerationConfig(response_modalities=[types.Modality.TEXT]),
        ),
        reconnect=ReconnectPolicy(base_delay=0.05, max_delay=0.2),
    )


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_catalog_lists_the_monitor_and_the_titled_window(
    picture: Picture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", picture.display)
    catalog = TargetCatalog()
    targets = catalog.list_targets()
    assert (targets[0].id, targets[0].kind, targets[0].width, targets[0].height) == (
        "m1",
        "monitor",
        *SCREEN_SIZE,
    )
    window = catalog.resolve(WINDOW_TITLE.lower())
    assert window.kind == "window" and window.id.startswith("w")
    assert (window.left, window.top, window.width, window.height) == picture.rect
    assert catalog.resolve(window.id) == window  # the id is stable across listings


def test_mss_grabber_reads_the_picture_and_notices_a_closed_window(picture: Picture) -> None:
    catalog = TargetCatalog(display=picture.display)
    window = catalog.resolve(WINDOW_TITLE)
    grabber = MssGrabber(display=picture.display)
    try:
        wait_until(lambda: halves_match(grabber.grab(window)), what="the picture on screen")
        assert grabber.grab(window).size == picture.rect[2:]
        screen = grabber.grab(catalog.resolve("m1"))
        assert screen.size == SCREEN_SIZE
        left, top, width, height = picture.rect
        assert halves_match(screen.crop((left, top, left + width, top + height)))
        # A second window that then closes: one clear line, not a crash.
        other = draw_window(picture.display, "Short Lived", (700, 400, 200, 100))
        short = catalog.resolve("Short Lived")
        assert grabber.grab(short).size == (200, 100)
        other.terminate()
        other.wait(10)
        wait_until(lambda: catalog.find_by_name("Short Lived") is None, what="window gone")
        with pytest.raises(CaptureError, match="window 'Short Lived' was closed"):
            grabber.grab(short)
        ghost = CaptureTarget("w99", "window", "Ghost", 0, 0, 10, 10, handle=0x7FFFFF)
        with pytest.raises(CaptureError, match="'Ghost' was closed"):
            grabber.grab(ghost)
    finally:
        grabber.close()


def test_a_black_frame_under_wayland_is_reported(picture: Picture) -> None:
    # XWayland hands back black pixels for native Wayland windows; the blank check (on by
    # default when XDG_SESSION_TYPE=wayland) turns that into one clear line.
    grabber = MssGrabber(display=picture.display, blank_check=True)
    try:
        empty = CaptureTarget("m9", "monitor", "empty corner", 1000, 600, 200, 150)
        with pytest.raises(CaptureError, match="Wayland compositor does not let X11"):
            grabber.grab(empty)
        window = TargetCatalog(display=picture.display).resolve(WINDOW_TITLE)
        assert halves_match(grabber.grab(window))
    finally:
        grabber.close()


async def test_worker_frames_reach_the_local_server_intact(picture: Picture) -> None:
    window = TargetCatalog(display=picture.display).resolve(WINDOW_TITLE)
    async with LocalLiveServer(port=0) as server:
        session = await Session.connect(_text_session(server.url))
        loop = asyncio.get_running_loop()

        def send(frame: PreparedImage) -> None:
            asyncio.run_coroutine_threadsafe(
                session.send_video(frame.data, mime_type=frame.mime_type), loop
            )

        errors: list[str] = []
        worker = ScreenShareWorker(
            window,
            send=send,
            on_error=errors.append,
            grabber_factory=lambda: MssGrabber(display=picture.display),
        )
        worker.start()
        try:
            await server.wait_for(lambda: len(server.images) >= 1, timeout=20)
            # The picture does not change, so the next captures are skipped.
            await asyncio.wait_for(
                asyncio.to_thread(
                    wait_until, lambda: worker.statistics().frames_skipped >= 1, what="a skip"
                ),
                30,
            )
        finally:
            await asyncio.to_thread(worker.stop)
            await session.close()
    assert errors == []
    received = server.images[0]
    assert received.mime_type == "image/jpeg"
    assert (received.width, received.height) == picture.rect[2:]
    assert halves_match(_decoded(received.data))
    mean = tuple(int(received.mean_colour[i : i + 2], 16) for i in (1, 3, 5))
    expected = tuple((a + b) / 2 for a, b in zip(LEFT_COLOUR, RIGHT_COLOUR, strict=True))
    assert all(abs(m - e) <= 8 for m, e in zip(mean, expected, strict=True)), mean
    stats = worker.statistics()
    assert stats.frames_sent == len(server.images)
    assert stats.bytes_sent == sum(len(image.data) for image in server.images)


async def _type_line(pilot: Any, text: str) -> None:
    pilot.app.prompt.value = text
    pilot.app.prompt.cursor_position = len(text)
    await pilot.press("enter")


async def test_app_shares_a_window_then_the_screen_then_snaps(
    picture: Picture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", picture.display)
    server = LocalLiveServer(port=0, speed=math.inf)
    settings = local_settings(tmp_path, text=True)
    assert settings.paths is not None
    engine = Engine(
        settings,
        local_server=lambda: server,
        reconnect=ReconnectPolicy(base_delay=0.01, max_delay=0.05, max_attempts=5),
        base_dir=tmp_path,
    )
    app = GeminiLiveApp(
        engine,
        history=InputHistory(settings.paths.history_file),
        transcripts_dir=settings.paths.transcripts_dir,
        base_dir=tmp_path,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: engine.phase == "connected", what="connected")
        await _type_line(pilot, "/share-screen list")
        await wait_for(pilot, lambda: WINDOW_TITLE in log_text(app), what="the list")
        found = re.search(r"(w\d+)\s+window\s+Known Picture\s+400x300", log_text(app))
        assert found, log_text(app)
        window_id = found.group(1)
        assert re.search(r"m1\s+monitor\s+monitor 1\s+1280x800", log_text(app))

        await _type_line(pilot, f"/share-screen {window_id} 0.5")
        await wait_for(pilot, lambda: "too short" in log_text(app), what="interval refused")
        assert not engine.screen.sharing

        await _type_line(pilot, f"/share-screen {window_id}")
        await wait_for(pilot, lambda: len(server.images) >= 1, limit=20, what="a window frame")
        first = server.images[0]
        assert (first.width, first.height) == picture.rect[2:]
        assert halves_match(_decoded(first.data))
        await wait_for(
            pilot,
            lambda: f"scr {window_id} 1 sent" in app.status_bar.plain,
            what="status bar",
        )

        await _type_line(pilot, "/share-screen monitor 1")
        await wait_for(
            pilot, lambda: any(i.width == 1024 for i in server.images), limit=20, what="screen"
        )
        screen = next(i for i in server.images if i.width == 1024)
        assert (screen.width, screen.height) == (1024, 640)
        scale = 1024 / SCREEN_SIZE[0]
        left, top, width, height = (round(v * scale) for v in picture.rect)
        crop = _decoded(screen.data).crop((left + 2, top + 2, left + width - 2, top + height - 2))
        assert halves_match(crop)
        assert "now sharing screen m1" in log_text(app)

        await _type_line(pilot, "/share-screen")
        await wait_for(pilot, lambda: "screen sharing stopped:" in log_text(app), what="stop")
        assert "scr off" in app.status_bar.plain
        before = len(server.images)
        await pilot.press("f5")
        await wait_for(pilot, lambda: len(server.images) > before, limit=20, what="snap")
        assert "[screen] monitor 1 1280x800 -> 1024x640 JPEG" in log_text(app)
        snap = server.images[-1]
        assert (snap.width, snap.height) == (1024, 640)
        await _type_line(pilot, "/quit")
