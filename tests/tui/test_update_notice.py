"""The app shows what the update checker the CLI hands it returns, once, after start-up."""

from __future__ import annotations

from pathlib import Path

from tests.tui.conftest import log_text, make_app, wait_for

LINE = "gemini-live 9.9.9 is available (you have 1.0.0): run 'gemini-live update'"


async def test_update_notice_is_shown_once_after_start_up(tmp_path: Path) -> None:
    calls: list[int] = []

    async def checker() -> str | None:
        calls.append(1)
        return LINE

    app = make_app(tmp_path, text=True, update_checker=checker)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: LINE in log_text(app), what="update notice")
        await wait_for(pilot, lambda: "connected to local server" in log_text(app), what="connect")
        assert calls == [1]
        assert log_text(app).count(LINE) == 1
        assert any(e.role == "system" and e.text == LINE for e in app.transcript.entries)


async def test_nothing_is_shown_when_the_checker_finds_nothing(tmp_path: Path) -> None:
    asked: list[int] = []

    async def checker() -> str | None:
        asked.append(1)
        return None

    app = make_app(tmp_path, text=True, update_checker=checker)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: asked == [1], what="the checker to be asked")
        await wait_for(pilot, lambda: "connected to local server" in log_text(app), what="connect")
        assert "is available" not in log_text(app)
