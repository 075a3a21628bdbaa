"""The multi-line prompt: Enter sends, Shift+Enter/Ctrl+J add lines, big pastes ask first."""

from __future__ import annotations

from pathlib import Path

from textual import events

from gemini_live_tui.engine import UserSent
from gemini_live_tui.tui.widgets.confirm import ConfirmScreen
from tests.tui.conftest import make_app, wait_for
from tests.tui.test_app import connected, keys


async def test_newlines_and_indentation_reach_the_engine(tmp_path: Path) -> None:
    app = make_app(tmp_path, text=True)
    sent: list[str] = []
    app.engine.subscribe(lambda e: sent.append(e.text) if isinstance(e, UserSent) else None)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press(*keys("def f():"), "ctrl+j", *keys("    return 1"), "shift+enter")
        await pilot.press(*keys("end"))
        assert app.prompt.value == "def f():\n    return 1\nend"
        assert app.prompt.document.line_count == 3
        await pilot.press("enter")
        await wait_for(pilot, lambda: sent, what="sent")
        assert sent == ["def f():\n    return 1\nend"]
        assert app.prompt.value == ""


async def test_history_on_first_and_last_line_only(tmp_path: Path) -> None:
    app = make_app(tmp_path, text=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*keys("older"), "enter")
        await pilot.press(*keys("one"), "ctrl+j", *keys("two"))
        # Up on the second line moves the cursor; on the first line it recalls "older".
        await pilot.press("up")
        assert app.prompt.value == "one\ntwo" and app.prompt.cursor_location[0] == 0
        await pilot.press("up")
        assert app.prompt.value == "older"
        await pilot.press("down")
        assert app.prompt.value == "one\ntwo"


async def test_a_huge_paste_asks_first(tmp_path: Path) -> None:
    app = make_app(tmp_path, text=True)
    async with app.run_test(size=(100, 30)) as pilot:
        app.prompt.paste_limit = 100
        app.post_message(events.Paste("x" * 50))
        await wait_for(pilot, lambda: app.prompt.value == "x" * 50, what="small paste")
        app.prompt.value = ""
        app.post_message(events.Paste("line\n" * 40))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="question")
        assert "200 characters" in app.screen.question
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert app.prompt.value == ""
        app.post_message(events.Paste("line\n" * 40))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="question")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.prompt.value == "line\n" * 40, what="pasted")


async def test_completion_popup_highlights_and_describes(tmp_path: Path) -> None:
    app = make_app(tmp_path, text=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("/", "s", "tab")
        hint = app.query_one("#hint")
        shown = str(hint.render())
        assert hint.has_class("shown") and "save the transcript" in shown
        await pilot.press("down")
        assert app.prompt.value == "/save "
        await pilot.press("down")
        assert app.prompt.value == "/share-screen "
        await pilot.press("escape")
        await wait_for(pilot, lambda: not hint.has_class("shown"), what="popup closed")
        assert app.prompt.value == "/share-screen "
