"""Screen sharing wired into the engine: ``/share-screen`` and ``/snap`` on the event loop.

:class:`ScreenLink` sits beside the :class:`~gemini_live_tui.engine.Engine` (which creates
one as ``engine.screen``).  It owns a :class:`~gemini_live_tui.capture.ScreenShare` and
bridges its worker thread to asyncio: each frame is handed to the loop with
``call_soon_threadsafe`` and sent with ``engine.send_video``.  A frame is dropped, never
queued, when the session is not connected (reconnecting) or the previous frame is still
being written: a stale screen is worse than none.  Capture errors become one notice line and
sharing stops; the app keeps running.

Capture (mss, Pillow, numpy) is imported on first use so the app starts fast.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from gemini_live_tui.errors import LiveError

if TYPE_CHECKING:
    from gemini_live_tui.capture import ScreenShare, ShareStatistics, TargetCatalog
    from gemini_live_tui.capture.worker import Clock, GrabberFactory
    from gemini_live_tui.engine.ports import EngineUplink
    from gemini_live_tui.media import PreparedImage

__all__ = ["ScreenLink", "ShareOptions", "parse_share_args"]

logger = logging.getLogger(__name__)

USAGE = (
    "usage: /share-screen list | /share-screen <id or name> [seconds] | "
    "/share-screen saved [seconds] | /share-screen (stop)"
)


def parse_share_args(args: str) -> tuple[str, float | None]:
    """Split ``/share-screen`` arguments into a target and an optional interval.

    ``w2``, ``w2 3``, ``"Known Picture" 2`` and ``monitor 1`` all work: a last word that
    is a number is the interval when something precedes it.

    Raises:
        ValueError: unbalanced quotes.
    """
    words = shlex.split(args)
    interval: float | None = None
    if len(words) > 1:
        try:
            interval = float(words[-1])
        except ValueError:
            interval = None
        else:
            words = words[:-1]
    return " ".join(words), interval


@dataclass(frozen=True)
class ShareOptions:
    """How the :class:`~gemini_live_tui.capture.ScreenShare` is built; ``None``: its default.

    Tests and other hosts inject a catalog, a grabber factory and a clock here; the app uses
    the defaults (mss, the real window list, the monotonic clock).
    """

    catalog: TargetCatalog | None = None
    grabber_factory: GrabberFactory | None = None
    clock: Clock | None = None
    max_side: int | None = None
    max_bytes: int | None = None
    keepalive_s: float | None = None

    def keywords(self) -> dict[str, Any]:
        """The options that were set, as ``ScreenShare`` keyword arguments."""
        return {
            field.name: getattr(self, field.name)
            for field in fields(self)
            if getattr(self, field.name) is not None
        }


class ScreenLink:
    """Screen sharing for one engine.

    Args:
        engine: the engine whose session receives the frames.
        options: how the screen share is built (defaults: the real screen).
    """

    def __init__(self, engine: EngineUplink, options: ShareOptions | None = None) -> None:
        self._engine = engine
        self._options = options or ShareOptions()
        self._share: ScreenShare | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_flight: asyncio.Task[None] | None = None
        self.frames_dropped_busy = 0

    # -------------------------------------------------------------------- commands

    async def command(self, args: str) -> None:
        """Run ``/share-screen <args>``: ``list``, a target with an interval, or stop."""
        text = args.strip()
        if not text:
            await self.stop()
            return
        if text.lower() == "list":
            await self.list_targets()
            return
        try:
            target, interval = parse_share_args(text)
        except ValueError as exc:
            self._engine.notice(f"/share-screen: {exc}; {USAGE}", "warning")
            return
        current = self._share.statistics() if self._share is not None else None
        if self.sharing and current is not None and _is_number(text):
            # "/share-screen 3" while sharing: same target, new interval.
            await self.start(current.target_id, float(text))
            return
        if target.lower() == "saved":
            saved = self._engine.settings.screen_target
            if not saved:
                self._engine.notice(
                    'no saved screen: set screen_target = "<window or monitor name>" in the '
                    "config file (gemini-live config shows where it is)",
                    "warning",
                )
                return
            await self.start(saved, interval)
            return
        if interval is not None:
            # "monitor 1" is a name, not "monitor" every 1 s: a whole-text name wins.
            whole = " ".join(shlex.split(text))
            catalog = self._ensure().catalog
            if await asyncio.to_thread(catalog.has_name, whole):
                target, interval = whole, None
        await self.start(target, interval)

    async def list_targets(self) -> None:
        """Notice lines ``id  kind  name  WxH`` for every monitor and window."""
        share = self._ensure()
        try:
            targets = await asyncio.to_thread(share.list_targets)
        except LiveError as exc:
            self._engine.notice(str(exc), "error")
            return
        self._engine.notice("screens and windows (/share-screen <id> [seconds]):")
        for target in targets:
            self._engine.notice("  " + target.describe())

    async def start(self, target: str, interval: float | None = None) -> bool:
        """Start (or retarget) sharing; returns whether sharing runs."""
        share = self._ensure()
        try:
            started = await asyncio.to_thread(share.start, target, interval)
        except LiveError as exc:
            self._engine.notice(str(exc), "error")
            return False
        self._engine.notice(started.describe())
        self._engine.status_changed()
        return True

    async def stop(self) -> None:
        """Stop sharing, with a summary line."""
        if self._share is None or not self._share.sharing:
            self._engine.notice(
                "screen sharing is off (/share-screen list, then /share-screen <id>)"
            )
            return
        stats = await asyncio.to_thread(self._share.stop)
        if stats is not None:
            self._engine.notice(f"screen sharing stopped: {_summary(stats)}")
        self._engine.status_changed()

    async def snap(self) -> None:
        """Send one frame now, sharing or not."""
        if not self._connected():
            self._engine.notice("not connected: no screen frame was sent", "error")
            return
        share = self._ensure()
        fallback = self._engine.settings.screen_target or "m1"
        try:
            frame = await asyncio.to_thread(share.snap, fallback)
        except LiveError as exc:
            self._engine.notice(str(exc), "error")
            return
        if frame is None:
            self._engine.notice("snapshot requested from the running screen share")
            return
        await self._engine.send_video(frame.data, mime_type=frame.mime_type)
        self._engine.notice(f"[screen] {frame.summary()}")

    # ---------------------------------------------------------------------- status

    def status_word(self) -> str:
        """The status bar's screen field: ``off`` or ``m1 12 sent 3 skipped``."""
        return "off" if self._share is None else self._share.status_word()

    def statistics(self) -> ShareStatistics | None:
        """The current or last sharing run's counters."""
        return None if self._share is None else self._share.statistics()

    @property
    def sharing(self) -> bool:
        """Whether a share is running."""
        return self._share is not None and self._share.sharing

    async def close(self) -> None:
        """Stop sharing (engine shutdown)."""
        if self._share is not None:
            await asyncio.to_thread(self._share.close)
        if self._in_flight is not None and not self._in_flight.done():
            self._in_flight.cancel()

    # -------------------------------------------------------------------- plumbing

    def _ensure(self) -> ScreenShare:
        if self._share is None:
            from gemini_live_tui.capture import ScreenShare

            self._loop = asyncio.get_running_loop()
            self._share = ScreenShare(
                send=self._from_thread,
                is_connected=self._connected,
                on_error=self._failed_from_thread,
                **self._options.keywords(),
            )
        return self._share

    def _connected(self) -> bool:
        # Read from worker threads too: one attribute read, no locking needed.
        return self._engine.phase == "connected"

    def _from_thread(self, frame: PreparedImage) -> None:
        """Worker thread: hand the frame to the loop without waiting."""
        loop = self._loop
        if loop is None or loop.is_closed():
            raise RuntimeError("the event loop is gone")
        loop.call_soon_threadsafe(self._send_on_loop, frame)

    def _send_on_loop(self, frame: PreparedImage) -> None:
        if not self._connected():
            self.frames_dropped_busy += 1
            return
        if self._in_flight is not None and not self._in_flight.done():
            # The socket has not taken the last frame yet; a newer one will come.
            self.frames_dropped_busy += 1
            return
        self._in_flight = asyncio.ensure_future(self._send(frame))

    async def _send(self, frame: PreparedImage) -> None:
        try:
            await self._engine.send_video(frame.data, mime_type=frame.mime_type)
        except LiveError as exc:
            logger.warning("screen frame not sent: %s", exc)

    def _failed_from_thread(self, message: str) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._failed, message)

    def _failed(self, message: str) -> None:
        self._engine.notice(f"screen sharing stopped: {message}", "error")
        self._engine.status_changed()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _summary(stats: ShareStatistics) -> str:
    kb = stats.bytes_sent / 1024
    return (
        f"{_count(stats.frames_sent, 'frame')} sent ({kb:.0f} KB), "
        f"{stats.frames_skipped} unchanged skipped, "
        f"{stats.frames_dropped} dropped while reconnecting"
    )
