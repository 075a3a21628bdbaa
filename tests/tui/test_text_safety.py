"""Remote text never steers the terminal: escapes are stripped before widgets and transcripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gemini_live_tui.text_safety import clean, mask, safe
from tests.tui.conftest import log_text, make_app, wait_for

CLIPBOARD = "\x1b]52;c;aGFja2Vk\x07"
TITLE = "\x1b]2;owned title\x07"
CLEAR = "\x1b[2J"
HOSTILE = f"before{CLIPBOARD}{TITLE}{CLEAR}after"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (HOSTILE, "beforeafter"),
        ("osc with ST \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ end", "osc with ST link end"),
        ("8-bit \x9b2J csi and \x9d0;t\x9c osc", "8-bit  csi and  osc"),
        ("bell\x07 backspace\x08 cr\r del\x7f nul\x00", "bell backspace cr del nul"),
        ("cut off \x1b]52;c;aGk=", "cut off "),
        ("keeps\ttabs\nand newlines, ünïcode and emoji 🎉", None),
        ("\x1b7save\x1b8 \x1bc reset", "save  reset"),
    ],
)
def test_clean_strips_sequences_and_controls(raw: str, shown: str | None) -> None:
    assert clean(raw) == (raw if shown is None else shown)


def test_mask_replaces_longest_secret_first() -> None:
    assert mask("key abc123 and abc", ["abc", "abc123", ""]) == "key ******** and ********"
    assert safe("\x1b[31mkey=abc123\x1b[0m", ["abc123"]) == "key=********"


def _screen_text(app: Any) -> str:
    """Every character the compositor would send to the terminal (styles aside)."""
    update = app.screen._compositor.render_full_update()
    return "".join(segment.text for line in update.strips for strip in line for segment in strip)


async def test_escapes_from_the_server_never_reach_screen_or_transcript(tmp_path: Path) -> None:
    # The local server answers "You said: <text>": the reply carries the escapes back.
    app = make_app(tmp_path, text=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: "connected to local server" in log_text(app))
        app.prompt.value = HOSTILE
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: any(e.role == "model" for e in app.transcript.entries),
            what="reply",
        )
        app.note(f"closed: {TITLE}reason")  # a close reason, as the engine reports it
        await wait_for(pilot, lambda: "closed:" in log_text(app))
        assert "closed: reason" in log_text(app)
        await pilot.pause()
        screen = _screen_text(app)
    assert "beforeafter" in screen
    for control in ("\x1b", "\x07", "\x9b", "\x9d"):
        assert control not in screen
        assert all(control not in e.text for e in app.transcript.entries)
    texts = [e.text for e in app.transcript.entries if e.role in ("user", "model")]
    assert any("beforeafter" in t for t in texts)
    saved = app.transcript.save(tmp_path / "t.md").read_text(encoding="utf-8")
    assert "\x1b" not in saved and "\x07" not in saved and "beforeafter" in saved
