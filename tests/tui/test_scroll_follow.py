"""The chat log follows new output unless the user scrolled up; "↓ N new" and End bring it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import events
from textual.widgets import Static

from tests.tui.conftest import make_app, wait_for


def last_line_visible(app: Any) -> bool:
    """Whether the newest line of the log is inside the log's visible area."""
    last = app.chat.children[-1]
    region = last.region
    return bool(region) and app.chat.region.contains_region(region)


def marker(app: Any) -> Static:
    return app.query_one("#unseen", Static)


async def fill(app: Any, pilot: Any, count: int, label: str = "line") -> None:
    for i in range(count):
        await app.chat.add_system(f"{label} {i}")
    await pilot.pause()


async def wheel(app: Any, pilot: Any, up: bool, times: int = 1) -> None:
    kind = events.MouseScrollUp if up else events.MouseScrollDown
    for _ in range(times):
        app.chat.post_message(kind(app.chat, 2, 2, 0, -1 if up else 1, 0, False, False, False))
        await pilot.pause()


async def test_page_down_past_the_bottom_keeps_following(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(app, pilot, 40)
        await wait_for(pilot, lambda: last_line_visible(app), what="pinned at start")
        # The review's defect 1: one PageDown at the bottom used to stop the following.
        await pilot.press("pagedown")
        await fill(app, pilot, 3, "after pagedown at the bottom")
        await wait_for(pilot, lambda: last_line_visible(app), what="still following")
        # Up twice, down six times (more than needed): following again.
        await pilot.press("pageup", "pageup")
        await fill(app, pilot, 2, "while up")
        assert not last_line_visible(app)
        assert app.chat.unseen == 2 and marker(app).has_class("shown")
        assert "↓ 2 new" in str(marker(app).render())
        await pilot.press(*["pagedown"] * 6)
        await wait_for(pilot, lambda: not marker(app).has_class("shown"), what="marker gone")
        await fill(app, pilot, 1, "after returning")
        await wait_for(pilot, lambda: last_line_visible(app), what="follows after return")


async def test_home_end_and_wheel(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(app, pilot, 40)
        await pilot.press("ctrl+home")
        await wait_for(pilot, lambda: app.chat.scroll_y == 0, what="top")
        await fill(app, pilot, 1, "new while at the top")
        assert not last_line_visible(app) and app.chat.unseen == 1
        await pilot.press("ctrl+end")
        await wait_for(pilot, lambda: last_line_visible(app), what="end jumps back")
        assert app.chat.following and not marker(app).has_class("shown")
        # The wheel: up leaves the bottom, down all the way (and once more) follows again.
        await wheel(app, pilot, up=True, times=3)
        await fill(app, pilot, 1, "new while wheeled up")
        assert not last_line_visible(app)
        await wheel(app, pilot, up=False, times=30)
        await fill(app, pilot, 1, "new after wheeling down")
        await wait_for(pilot, lambda: last_line_visible(app), what="wheel back follows")


async def test_sending_while_scrolled_up_jumps_to_the_reply(tmp_path: Path) -> None:
    from tests.tui.test_app import connected, model_entries, type_line

    app = make_app(tmp_path, text=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot)
        await fill(app, pilot, 40)
        await pilot.press("pageup", "pageup")
        assert not app.chat.following
        await type_line(pilot, "where did my reply go")
        await wait_for(pilot, lambda: model_entries(app), what="reply")
        await wait_for(pilot, lambda: last_line_visible(app), what="reply on screen")
