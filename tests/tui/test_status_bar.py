"""The status line: every field, and how it gets compact in a narrow terminal."""

from __future__ import annotations

from gemini_live_tui.engine import EngineStatus, Phase
from gemini_live_tui.tui.widgets.status_bar import format_status

STATUS = EngineStatus(
    phase=Phase.RECONNECTING,
    backend="gemini",
    model="gemini-3.1-flash-live-preview",
    reconnect_attempt=3,
    reconnect_max=10,
    started_at=0.0,
    goaway_deadline=50.0,
    tokens=12_345,
    last_latency=0.8,
    features=(("mic", "on"), ("speak", "on"), ("screen", "off")),
)


def test_every_field_is_shown() -> None:
    line = format_status(STATUS, 3725.0).plain
    for part in (
        "reconnecting 3/10",
        "gemini · gemini-3.1-flash-live-preview",
        "mic on spk on scr off",
        "1:02:05",
        "12k tok",
        "latency 0.80s",
    ):
        assert part in line
    assert "goAway 0s" in line  # past the deadline: 0, never negative
    assert "goAway 40s" in format_status(STATUS, 10.0).plain


def test_narrow_terminals_get_a_compact_line() -> None:
    for width in (100, 78, 60, 30):
        line = format_status(STATUS, 10.0, width).plain
        assert len(line) <= width
        assert line.startswith("● reconnecting 3/10")
    assert "gemini:3.1-flash-live" in format_status(STATUS, 10.0, 100).plain


def test_idle_and_closed() -> None:
    idle = EngineStatus(phase=Phase.CLOSED, backend="local", model="m")
    line = format_status(idle, 5.0).plain
    assert line.startswith("● closed") and "--:--" in line and "latency --" in line
