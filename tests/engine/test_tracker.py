"""The tracker's rules, event by event, with no session and a hand-held clock."""

from __future__ import annotations

from gemini_live_tui.engine.events import Phase
from gemini_live_tui.engine.tracker import Tracker
from gemini_live_tui.protocol import events, types


def test_latency_runs_from_the_end_of_input_to_the_first_reply() -> None:
    tracker = Tracker()
    tracker.input_ended(10.0)  # binary-exact times: 10.5 - 10.0 is exactly 0.5
    first = tracker.apply(events.ModelText("Hi"), 10.5)
    assert first.changed and tracker.turn_running and tracker.latency == 0.5
    assert not tracker.apply(events.ModelText(" there"), 10.9).changed  # latency kept
    assert tracker.latency == 0.5
    done = tracker.apply(events.TurnComplete(), 11.0)
    assert done.changed and not tracker.turn_running and tracker.stats.turns == 1


def test_voice_activity_end_starts_the_clock_and_usage_adds_tokens() -> None:
    tracker = Tracker()
    tracker.apply(events.VoiceActivity(kind="end"), 5.0)
    tracker.apply(events.OutputTranscription("ok"), 5.25)
    assert tracker.latency == 0.25
    usage = events.Usage(types.UsageMetadata(total_token_count=42))
    assert tracker.apply(usage, 6.0).changed and tracker.tokens == 42
    assert not tracker.apply(events.Usage(types.UsageMetadata()), 6.1).changed


def test_reconnects_are_one_line_each_and_quiet_when_made_on_purpose() -> None:
    tracker = Tracker()
    going = tracker.apply(events.GoAway(time_left=30.0), 100.0)
    assert tracker.goaway_deadline == 130.0 and "move on in 30 s" in going.notices[0].text
    lost = tracker.apply(events.Reconnecting(attempt=2, delay=1.5, reason="1011"), 101.0)
    assert lost.phase is Phase.RECONNECTING and tracker.attempt == 2
    assert [n.level for n in lost.notices] == ["warning"]
    back = tracker.apply(events.Reconnected(resumed=True), 102.0)
    assert back.phase is Phase.CONNECTED and tracker.attempt == 0
    assert (
        tracker.goaway_deadline is None and back.notices[0].text == "reconnected: session resumed"
    )
    tracker.reconfiguring = True  # /voice: its own notice says what happened
    assert tracker.apply(events.Reconnecting(attempt=1, delay=0, reason="x"), 103).notices == []
    assert tracker.apply(events.Reconnected(resumed=True), 104).notices == []
    assert not tracker.reconfiguring
    tracker.reconfiguring = True  # ...but a fresh session is always news
    fresh = tracker.apply(events.Reconnected(resumed=False), 105)
    assert fresh.notices[0].level == "warning"


def test_resumable_sticks_once_a_handle_came_and_quitting_hides_the_close() -> None:
    tracker = Tracker()
    tracker.apply(events.SessionResumptionUpdate(new_handle="h1", resumable=True), 1)
    tracker.apply(events.SessionResumptionUpdate(new_handle=None, resumable=False), 2)
    assert tracker.resumable
    closed = tracker.apply(events.Closed(code=1011, reason="boom"), 3)
    assert closed.phase is Phase.CLOSED and closed.notices[0].level == "error"
    tracker.stopping = True
    assert tracker.apply(events.Closed(code=1000, reason=""), 4).notices == []
