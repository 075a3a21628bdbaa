"""The TUI's daily update notice: cached, non-blocking, quiet on errors, can be turned off."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest
from packaging.version import Version

from gemini_live_tui.errors import UpdateError
from gemini_live_tui.update.check import (
    CHECK_INTERVAL_S,
    DISABLE_ENV,
    UpdateNotice,
    check_for_update_async,
    check_when_due,
    should_check,
)
from tests.update.local_index import LocalIndex

CURRENT = Version("1.0.0")


def _record(cache: Path, checked_at: float) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "update-check.json").write_text(json.dumps({"checked_at": checked_at}))


def test_should_check_honours_the_cache_and_the_switch(tmp_path: Path) -> None:
    now = 1_000_000.0
    assert should_check(now=now, cache_dir=tmp_path, environ={})
    _record(tmp_path, now - 60)
    assert not should_check(now=now, cache_dir=tmp_path, environ={})
    _record(tmp_path, now - CHECK_INTERVAL_S - 1)
    assert should_check(now=now, cache_dir=tmp_path, environ={})
    _record(tmp_path, now + 3600)  # the clock went back: do not trust the record
    assert should_check(now=now, cache_dir=tmp_path, environ={})
    (tmp_path / "update-check.json").write_text("{not json")
    assert should_check(now=now, cache_dir=tmp_path, environ={})
    assert not should_check(now=now, cache_dir=tmp_path, environ={DISABLE_ENV: "1"})
    assert should_check(now=now, cache_dir=tmp_path, environ={DISABLE_ENV: "0"})


def test_async_check_notifies_once_a_day(tmp_path: Path) -> None:
    got: list[UpdateNotice] = []
    done = threading.Event()

    def on_available(notice: UpdateNotice) -> None:
        got.append(notice)
        done.set()

    with LocalIndex() as index:
        index.add("gemini_live-1.0.0-py3-none-any.whl")
        index.add("gemini_live-1.4.0-py3-none-any.whl")
        started = time.monotonic()
        thread = check_for_update_async(
            on_available, index_url=index.url, cache_dir=tmp_path, environ={}, current=CURRENT
        )
        # It returns before the index is read: the caller is never blocked by the network.
        assert thread is not None
        assert time.monotonic() - started < 0.5
        assert done.wait(30)
        thread.join(30)
        assert [n.latest for n in got] == [Version("1.4.0")]
        assert got[0].message == (
            "gemini-live 1.4.0 is available (you have 1.0.0): run 'gemini-live update'"
        )
        cached = json.loads((tmp_path / "update-check.json").read_text())
        assert cached["latest"] == "1.4.0"
        # Within the day: no second check, no second request.
        requests = len(index.requests)
        again = check_for_update_async(
            on_available, index_url=index.url, cache_dir=tmp_path, environ={}, current=CURRENT
        )
        assert again is None
        assert len(index.requests) == requests


def test_async_check_is_silent_when_up_to_date_and_off_when_disabled(tmp_path: Path) -> None:
    got: list[UpdateNotice] = []
    with LocalIndex() as index:
        index.add("gemini_live-1.0.0-py3-none-any.whl")
        thread = check_for_update_async(
            got.append, index_url=index.url, cache_dir=tmp_path / "a", environ={}, current=CURRENT
        )
        assert thread is not None
        thread.join(30)
        assert got == []
        off = check_for_update_async(
            got.append,
            index_url=index.url,
            cache_dir=tmp_path / "b",
            environ={DISABLE_ENV: "yes"},
            current=CURRENT,
        )
        assert off is None
        assert not (tmp_path / "b" / "update-check.json").exists()


def test_async_check_reports_errors_only_to_on_error(tmp_path: Path) -> None:
    with LocalIndex() as gone:
        url = gone.url
    errors: list[UpdateError] = []
    got: list[UpdateNotice] = []
    thread = check_for_update_async(
        got.append, index_url=url, cache_dir=tmp_path, environ={}, on_error=errors.append
    )
    assert thread is not None
    thread.join(30)
    assert got == []
    assert len(errors) == 1
    assert "cannot reach the package index" in str(errors[0])
    # A failed check still counts for the day: an offline machine is not asked again.
    assert not should_check(cache_dir=tmp_path, environ={})


async def test_check_when_due_returns_the_line_once_a_day(tmp_path: Path) -> None:
    with LocalIndex() as index:
        index.add("gemini_live-1.4.0-py3-none-any.whl")
        line = await check_when_due(
            index_url=index.url, cache_dir=tmp_path, environ={}, current=CURRENT
        )
        assert line == "gemini-live 1.4.0 is available (you have 1.0.0): run 'gemini-live update'"
        requests = len(index.requests)
        again = await check_when_due(
            index_url=index.url, cache_dir=tmp_path, environ={}, current=CURRENT
        )
        assert again is None
        assert len(index.requests) == requests


async def test_check_when_due_is_none_when_up_to_date_or_disabled(tmp_path: Path) -> None:
    with LocalIndex() as index:
        index.add("gemini_live-1.0.0-py3-none-any.whl")
        current = await check_when_due(
            index_url=index.url, cache_dir=tmp_path / "a", environ={}, current=CURRENT
        )
        assert current is None
        assert index.requests
        off = await check_when_due(
            index_url=index.url,
            cache_dir=tmp_path / "b",
            environ={DISABLE_ENV: "1"},
            current=CURRENT,
        )
        assert off is None
        assert not (tmp_path / "b" / "update-check.json").exists()


async def test_check_when_due_logs_an_unreachable_index_and_returns_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with LocalIndex() as gone:
        url = gone.url
    # The handler goes on the logger itself: an earlier test in the run may have configured
    # the app's logging so that records no longer propagate to the root logger caplog reads.
    module_logger = logging.getLogger("gemini_live_tui.update.check")
    module_logger.addHandler(caplog.handler)
    was_disabled, module_logger.disabled = module_logger.disabled, False
    try:
        with caplog.at_level(logging.INFO, logger="gemini_live_tui.update.check"):
            line = await check_when_due(index_url=url, cache_dir=tmp_path, environ={})
    finally:
        module_logger.removeHandler(caplog.handler)
        module_logger.disabled = was_disabled
    assert line is None
    assert "cannot reach the package index" in caplog.text
