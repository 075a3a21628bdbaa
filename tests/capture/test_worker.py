"""ScreenShareWorker with the fake grabber and the simulated clock: scaling, size cap,
change detection, the at-least-every-10-s rule, drift-free schedule, stop, retarget, snap,
reconnects and errors."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gemini_live_tui.capture import (
    CaptureTarget,
    ChangeDetector,
    ScreenShareWorker,
    TargetUnavailable,
    capture_once,
    validate_interval,
)
from gemini_live_tui.capture.fakes import FakeClock, FakeGrabber, solid_frame
from gemini_live_tui.errors import CaptureError
from gemini_live_tui.media import PreparedImage

SCREEN = CaptureTarget("m1", "monitor", "monitor 1", 0, 0, 1920, 1080)
OTHER = CaptureTarget("w1", "window", "Editor", 100, 100, 800, 600, handle=0x400001)


class Sink:
    """Collects what the worker sends, stamped with the simulated time."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.frames: list[tuple[float, PreparedImage]] = []
        self.errors: list[str] = []
        self.error_seen = threading.Event()

    def send(self, frame: PreparedImage) -> None:
        self.frames.append((self.clock.now(), frame))

    def on_error(self, message: str) -> None:
        self.errors.append(message)
        self.error_seen.set()

    @property
    def times(self) -> list[float]:
        return [round(t, 6) for t, _ in self.frames]


def _noise(seed: int, width: int = 1920, height: int = 1080) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(horizon=0.0)


@pytest.fixture
def sink(clock: FakeClock) -> Sink:
    return Sink(clock)


@pytest.fixture
def workers() -> Iterator[list[ScreenShareWorker]]:
    made: list[ScreenShareWorker] = []
    yield made
    for worker in made:
        worker.stop()


def _worker(
    workers: list[ScreenShareWorker],
    grabber: FakeGrabber,
    clock: FakeClock,
    sink: Sink,
    **options: object,
) -> ScreenShareWorker:
    worker = ScreenShareWorker(
        options.pop("target", SCREEN),  # type: ignore[arg-type]
        send=sink.send,
        on_error=sink.on_error,
        grabber_factory=grabber.factory(),
        clock=clock,
        **options,  # type: ignore[arg-type]
    )
    workers.append(worker)
    worker.start()
    return worker


def test_frames_are_scaled_to_max_side_and_decode(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    grabber = FakeGrabber(lambda target, i: solid_frame(1920, 1080, (i * 80 % 256, 100, 50)))
    worker = _worker(workers, grabber, clock, sink)
    assert clock.run_until(2.5)
    assert sink.times == [0.0, 1.0, 2.0]
    for _, frame in sink.frames:
        assert (frame.width, frame.height) == (1024, 576)
        assert frame.original_size == (1920, 1080)
        assert frame.mime_type == "image/jpeg"
        decoded = Image.open(io.BytesIO(frame.data))
        assert decoded.format == "JPEG" and decoded.size == (1024, 576)
    stats = worker.statistics()
    assert stats.frames_sent == 3 and stats.running
    assert stats.bytes_sent == sum(len(f.data) for _, f in sink.frames)


def test_max_side_is_configurable(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    grabber = FakeGrabber(solid_frame(1920, 1080, (0, 0, 0)))
    _worker(workers, grabber, clock, sink, max_side=768)
    assert clock.run_until(0.5)
    assert (sink.frames[0][1].width, sink.frames[0][1].height) == (768, 432)


def test_quality_adapts_so_every_frame_fits_the_cap(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    grabber = FakeGrabber(lambda target, i: _noise(i))
    worker = _worker(workers, grabber, clock, sink, max_bytes=200_000)
    assert clock.run_until(4.5)
    assert len(sink.frames) == 5
    assert all(len(frame.data) <= 200_000 for _, frame in sink.frames)
    qualities = [frame.quality for _, frame in sink.frames]
    assert all(q is not None and q < 80 for q in qualities)  # noise needs less than default
    assert worker.statistics().last_quality == qualities[-1]
    small = FakeGrabber(lambda target, i: _noise(100 + i))
    sink2 = Sink(clock)
    worker2 = ScreenShareWorker(
        SCREEN, send=sink2.send, grabber_factory=small.factory(), clock=clock, max_bytes=60_000
    )
    workers.append(worker2)
    parks = clock.park_count
    worker2.start()
    assert clock.wait_for_park(parks)
    assert sink2.frames and all(len(f.data) <= 60_000 for _, f in sink2.frames)


def test_unchanged_frames_are_skipped_and_changes_sent(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    blank = solid_frame(1920, 1080, (255, 255, 255))
    caret = blank.copy()
    ImageDraw.Draw(caret).line([(600, 500), (600, 516)], fill=(0, 0, 0))  # a blinking caret
    typed = blank.copy()
    ImageDraw.Draw(typed).rectangle([600, 500, 607, 515], fill=(0, 0, 0))  # one character
    script = [blank, blank, caret, blank, typed, typed, typed]
    worker = _worker(workers, FakeGrabber(script), clock, sink)
    assert clock.run_until(6.5)
    assert sink.times == [0.0, 4.0]
    stats = worker.statistics()
    assert (stats.frames_sent, stats.frames_skipped) == (2, 5)


def test_change_detector_thresholds() -> None:
    detector = ChangeDetector()
    base = solid_frame(1024, 576, (30, 30, 30))
    thumb = detector.thumbnail(base)
    assert max(thumb.shape) == 96
    assert detector.differs(thumb)  # nothing accepted yet
    detector.accept(thumb)
    assert not detector.differs(detector.thumbnail(base.copy()))
    shifted = solid_frame(1024, 576, (36, 36, 36))  # a slight global shift, below threshold
    assert not detector.differs(detector.thumbnail(shifted))
    changed = base.copy()
    ImageDraw.Draw(changed).rectangle([0, 0, 20, 20], fill=(255, 255, 255))
    assert detector.changed_cells(detector.thumbnail(changed)) >= 1
    assert detector.differs(detector.thumbnail(changed))
    assert detector.differs(detector.thumbnail(solid_frame(500, 500, (30, 30, 30))))  # new shape
    detector.reset()
    assert detector.differs(thumb)
    with pytest.raises(ValueError):
        ChangeDetector(thumb_side=1)


@pytest.mark.parametrize(
    ("interval", "expected"), [(1.0, [0.0, 10.0, 20.0]), (3.0, [0.0, 9.0, 18.0])]
)
def test_a_frame_goes_out_at_least_every_10_s(
    workers: list[ScreenShareWorker],
    clock: FakeClock,
    sink: Sink,
    interval: float,
    expected: list[float],
) -> None:
    grabber = FakeGrabber(solid_frame(800, 600, (1, 2, 3)))
    worker = _worker(workers, grabber, clock, sink, interval=interval)
    assert clock.run_until(26.5)
    assert sink.times == expected
    gaps = np.diff([0.0, *sink.times, 26.5])
    assert max(gaps) <= 10.0 + 1e-9
    assert worker.statistics().frames_skipped == len(grabber.grabs) - len(expected)


def test_schedule_does_not_drift_with_slow_grabs(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    grabber = FakeGrabber(lambda target, i: _noise(i, 320, 200), clock=clock, grab_seconds=0.3)
    _worker(workers, grabber, clock, sink)
    assert clock.run_until(20.0)
    stamps = [round(t, 6) for t, _ in grabber.grabs]
    # Each capture starts on its slot even though it takes 0.3 s: no 0.3 s creep.
    assert stamps == [float(k) for k in range(21)]


def test_overrunning_grabs_skip_slots_instead_of_bunching(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    grabber = FakeGrabber(lambda target, i: _noise(i, 320, 200), clock=clock, grab_seconds=2.5)
    _worker(workers, grabber, clock, sink, interval=1.0)
    assert clock.run_until(10.0)
    assert [round(t, 6) for t, _ in grabber.grabs] == [0.0, 3.0, 6.0, 9.0]


def test_interval_below_one_second_is_refused(clock: FakeClock, sink: Sink) -> None:
    with pytest.raises(CaptureError, match=r"interval 0.5 s is too short.*1 s or more"):
        ScreenShareWorker(SCREEN, send=sink.send, interval=0.5, clock=clock)
    assert validate_interval(1.0) == 1.0
    with pytest.raises(CaptureError):
        validate_interval(float("nan"))


def test_stop_joins_the_thread_and_closes_the_grabber(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    grabber = FakeGrabber(solid_frame(640, 480, (9, 9, 9)))
    worker = _worker(workers, grabber, clock, sink)
    assert clock.run_until(3.5)
    worker.stop()
    assert not worker.running
    assert grabber.closed
    assert not worker.statistics().running
    grabs = len(grabber.grabs)
    clock.run_until(10.0, timeout=0.1)  # nothing runs any more
    assert len(grabber.grabs) == grabs


def test_retarget_restarts_the_schedule_on_the_new_target(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    grabber = FakeGrabber(solid_frame(1280, 720, (50, 60, 70)), clock=clock)
    worker = _worker(workers, grabber, clock, sink)
    assert clock.run_until(2.5)
    parks = clock.park_count
    worker.retarget(OTHER, interval=2.0)
    assert clock.wait_for_park(parks)
    assert clock.run_until(7.0)
    assert [(round(t, 6), target) for t, target in grabber.grabs] == [
        (0.0, "m1"),
        (1.0, "m1"),
        (2.0, "m1"),
        (2.5, "w1"),
        (4.5, "w1"),
        (6.5, "w1"),
    ]
    # The same picture from the new target is sent at once: the model must see it.
    assert sink.times == [0.0, 2.5]
    stats = worker.statistics()
    assert (stats.target_id, stats.target_name, stats.interval_s) == ("w1", "Editor", 2.0)
    with pytest.raises(CaptureError):
        worker.retarget(SCREEN, interval=0.2)


def test_snap_sends_an_unchanged_frame_now(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    grabber = FakeGrabber(solid_frame(640, 480, (9, 9, 9)))
    worker = _worker(workers, grabber, clock, sink)
    assert clock.run_until(3.5)
    parks = clock.park_count
    worker.snap()
    assert clock.wait_for_park(parks)
    assert sink.times == [0.0, 3.5]
    assert worker.statistics().snaps_sent == 1


def test_nothing_is_captured_or_queued_while_reconnecting(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    connected = threading.Event()
    connected.set()
    grabber = FakeGrabber(solid_frame(640, 480, (9, 9, 9)))
    worker = _worker(workers, grabber, clock, sink, is_connected=connected.is_set)
    assert clock.run_until(1.5)
    connected.clear()
    assert clock.run_until(4.5)
    assert len(grabber.grabs) == 2  # no grabs at 2, 3, 4
    connected.set()
    assert clock.run_until(6.5)
    # Back online: the unchanged screen is sent at once for the new connection.
    assert sink.times == [0.0, 5.0]
    stats = worker.statistics()
    assert stats.frames_dropped == 3 and stats.frames_sent == 2


def test_closed_window_stops_sharing_with_one_line(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    errors: dict[int, Exception] = {
        1: TargetUnavailable("window 'Editor' is not visible (minimised?)"),
        3: CaptureError("window 'Editor' was closed"),
    }
    grabber = FakeGrabber(lambda t, i: _noise(i, 200, 100), errors=errors)
    worker = _worker(workers, grabber, clock, sink, target=OTHER)
    clock.run_until(10.0, timeout=0.2)
    assert sink.error_seen.wait(10)
    worker.stop()
    assert sink.errors == ["window 'Editor' was closed"]
    stats = worker.statistics()
    assert not stats.running
    assert stats.last_error == "window 'Editor' was closed"
    assert (stats.frames_sent, stats.frames_unavailable) == (2, 1)
    assert grabber.closed


def test_grabber_that_cannot_start_reports_and_stops(clock: FakeClock, sink: Sink) -> None:
    def no_display() -> FakeGrabber:
        raise CaptureError("no display to capture: DISPLAY is not set")

    worker = ScreenShareWorker(
        SCREEN, send=sink.send, on_error=sink.on_error, grabber_factory=no_display, clock=clock
    )
    worker.start()
    assert sink.error_seen.wait(10)
    worker.stop()
    assert sink.errors == ["no display to capture: DISPLAY is not set"]
    assert not worker.running


def test_a_failing_send_loses_one_frame_only(
    workers: list[ScreenShareWorker], clock: FakeClock, sink: Sink
) -> None:
    calls: list[int] = []

    def flaky(frame: PreparedImage) -> None:
        calls.append(len(frame.data))
        if len(calls) == 1:
            raise RuntimeError("loop closed")
        sink.send(frame)

    worker = ScreenShareWorker(
        SCREEN,
        send=flaky,
        grabber_factory=FakeGrabber(solid_frame(300, 200, (1, 1, 1))).factory(),
        clock=clock,
    )
    workers.append(worker)
    worker.start()
    assert clock.run_until(1.5)
    assert len(calls) == 2 and sink.times == [1.0]
    assert worker.statistics().last_error == "frame not sent: loop closed"


def test_capture_once() -> None:
    grabber = FakeGrabber(solid_frame(2000, 1000, (0, 200, 0)))
    frame = capture_once(SCREEN, grabber_factory=grabber.factory())
    assert (frame.width, frame.height, frame.source_name) == (1024, 512, "monitor 1")
    assert grabber.closed
    pixel = Image.open(io.BytesIO(frame.data)).convert("RGB").getpixel((10, 10))
    assert isinstance(pixel, tuple) and pixel[1] > 190 and pixel[0] < 15
