"""The TUI's "update available" notice: at most once a day, cached, never blocking.

The CLI hands :func:`check_when_due` to the TUI, which awaits it once after start-up (the
TUI never imports this package).  When the last check is less than a day old (the time is
kept in ``update-check.json`` under the user cache directory), or
``GEMINI_LIVE_NO_UPDATE_CHECK`` is set, it returns ``None`` at once; otherwise it records the
check and reads the package index in a daemon thread (a hung index never delays the app's
exit), and returns a line only when a newer release exists.  Network errors are quiet (they
go to the log file): an offline machine must not see warnings at every start.

:func:`check_for_update_async` is the same check for callers without an event loop: it
starts the thread and calls back from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from packaging.version import Version

from gemini_live_tui.errors import UpdateError

__all__ = [
    "CHECK_INTERVAL_S",
    "DISABLE_ENV",
    "UpdateNotice",
    "check_for_update_async",
    "check_now",
    "check_when_due",
    "should_check",
]

DISABLE_ENV = "GEMINI_LIVE_NO_UPDATE_CHECK"
CHECK_INTERVAL_S = 24 * 3600.0
_CACHE_FILE = "update-check.json"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UpdateNotice:
    """A newer release exists.

    Attributes:
        current: the running version.
        latest: the newest release on the index.
    """

    current: Version
    latest: Version

    @property
    def message(self) -> str:
        """One line for the status bar or chat log."""
        return (
            f"gemini-live {self.latest} is available (you have {self.current}): "
            "run 'gemini-live update'"
        )


def _cache_path(cache_dir: Path | None) -> Path:
    return (cache_dir or platformdirs.user_cache_path("gemini-live")) / _CACHE_FILE


def _disabled(environ: Mapping[str, str]) -> bool:
    return environ.get(DISABLE_ENV, "").strip().lower() not in {"", "0", "false", "no"}


def _last_checked(path: Path) -> float | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return float(data["checked_at"])
    except (OSError, ValueError, KeyError, TypeError):
        # A missing or damaged cache just means "not checked yet".
        return None


def _record_check(path: Path, now: float, latest: Version | None) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        payload = {"checked_at": now, "latest": str(latest) if latest else None}
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        # A read-only cache directory must not break start-up; we just check again next time.
        pass


def should_check(
    *,
    now: float | None = None,
    cache_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Whether a check is due: not disabled and the last one is a day old (or never ran)."""
    env = os.environ if environ is None else environ
    if _disabled(env):
        return False
    last = _last_checked(_cache_path(cache_dir))
    moment = time.time() if now is None else now
    # A timestamp in the future (clock moved back) counts as stale, not as "checked".
    return last is None or not (0 <= moment - last < CHECK_INTERVAL_S)


def check_now(
    *,
    index_url: str | None = None,
    cache_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    current: Version | None = None,
) -> UpdateNotice | None:
    """Read the index now (blocking) and record the check; a notice if a newer one exists.

    Raises:
        UpdateError: when the index cannot be read.
    """
    # Imported here: the app's start-up loads this module, the index client only when due.
    from gemini_live_tui.update.index import find_latest, resolve_index_url
    from gemini_live_tui.update.install import current_version

    index = resolve_index_url(index_url, environ)
    latest = find_latest(index, timeout=timeout)
    _record_check(_cache_path(cache_dir), time.time(), latest)
    have = current or current_version()
    if latest is not None and latest > have:
        return UpdateNotice(current=have, latest=latest)
    return None


Outcome = UpdateNotice | UpdateError | None
"""What a background check ends with: a notice, the index's failure, or ``None`` (up to date)."""


def _start_check(
    report: Callable[[Outcome], None],
    *,
    index_url: str | None,
    cache_dir: Path | None,
    environ: Mapping[str, str] | None,
    timeout: float,
    current: Version | None,
) -> threading.Thread | None:
    """Start a daemon thread that checks and calls ``report`` exactly once, if a check is due."""
    if not should_check(cache_dir=cache_dir, environ=environ):
        return None
    # Record the attempt first, so that a hung or failing index is not retried at every
    # start-up within the same day.
    _record_check(_cache_path(cache_dir), time.time(), None)

    def work() -> None:
        outcome: Outcome
        try:
            outcome = check_now(
                index_url=index_url,
                cache_dir=cache_dir,
                environ=environ,
                timeout=timeout,
                current=current,
            )
        except UpdateError as exc:
            outcome = exc
        except Exception as exc:
            # A traceback printed from this thread would garble the TUI: report it instead.
            outcome = UpdateError(f"update check failed: {type(exc).__name__}: {exc}")
        report(outcome)

    thread = threading.Thread(target=work, name="gemini-live-update-check", daemon=True)
    thread.start()
    return thread


def check_for_update_async(
    on_available: Callable[[UpdateNotice], None],
    *,
    index_url: str | None = None,
    cache_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    on_error: Callable[[UpdateError], None] | None = None,
    current: Version | None = None,
) -> threading.Thread | None:
    """Start a background check if one is due; return its thread, or ``None`` if not due.

    Never blocks and never raises: ``on_available`` is called from the worker thread only
    when a newer release exists; ``on_error`` (if given) gets index failures.
    """

    def report(outcome: Outcome) -> None:
        if isinstance(outcome, UpdateNotice):
            on_available(outcome)
        elif outcome is not None and on_error is not None:
            on_error(outcome)

    return _start_check(
        report,
        index_url=index_url,
        cache_dir=cache_dir,
        environ=environ,
        timeout=timeout,
        current=current,
    )


async def check_when_due(
    *,
    index_url: str | None = None,
    cache_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    current: Version | None = None,
) -> str | None:
    """The "update available" line if a check is due and finds a newer release, else ``None``.

    Never raises for index failures (they are logged).  The index is read in a daemon
    thread, so cancelling the await (the app quitting) is never held up by a slow index.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Outcome] = loop.create_future()

    def settle(outcome: Outcome) -> None:
        if not done.done():
            done.set_result(outcome)

    def report(outcome: Outcome) -> None:
        # RuntimeError: the loop closed while the index was being read; nobody waits now.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, outcome)

    thread = _start_check(
        report,
        index_url=index_url,
        cache_dir=cache_dir,
        environ=environ,
        timeout=10.0,
        current=current,
    )
    if thread is None:
        return None
    outcome = await done
    if isinstance(outcome, UpdateError):
        logger.info("update check: %s", outcome)
        return None
    return None if outcome is None else outcome.message
