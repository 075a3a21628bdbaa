"""The conversation state machine with no loop and no socket: frames in, actions out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gemini_live_tui.errors import ConfigError, ConnectionLost, LiveError, SetupRejected
from gemini_live_tui.live.reconnect import ReconnectPolicy, is_retryable
from gemini_live_tui.protocol import codec, types
from gemini_live_tui.protocol import events as ev
from gemini_live_tui.protocol.conversation import (
    Action,
    Connect,
    Conversation,
    Disconnect,
    Lane,
    Phase,
    SendOutcome,
)


def machine(**limits: Any) -> Conversation:
    setup = types.SetupConfig(
        model="models/test",
        session_resumption=types.SessionResumptionConfig(),
        history_config=types.HistoryConfig(initial_history_in_client_content=True),
    )
    policy = ReconnectPolicy(base_delay=0.5, max_delay=4.0, max_attempts=3, jitter=0.0)
    return Conversation(setup, is_retryable=is_retryable, backoff=policy, **limits)


def frame(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


SETUP_COMPLETE = frame({"setupComplete": {}})


def handle(name: str) -> bytes:
    return frame({"sessionResumptionUpdate": {"newHandle": name, "resumable": True}})


def opened() -> Conversation:
    conv = machine()
    first = conv.start()
    assert conv.setup_frame(first.conn) is not None
    assert [type(a) for a in conv.receive(first.conn, SETUP_COMPLETE)] == [ev.SetupComplete]
    assert conv.phase is Phase.OPEN
    return conv


def connects(actions: list[Action]) -> list[Connect]:
    return [a for a in actions if isinstance(a, Connect)]


def reconnecting(actions: list[Action]) -> list[tuple[int, float]]:
    return [(a.attempt, a.delay) for a in actions if isinstance(a, ev.Reconnecting)]


def setup_of(conv: Conversation, conn: int) -> dict[str, Any]:
    sent = conv.setup_frame(conn)
    assert sent is not None
    setup = json.loads(sent)["setup"]
    assert isinstance(setup, dict)
    return setup


def drain(conv: Conversation) -> list[bytes]:
    out = []
    while (step := conv.next_to_write()) is not None:
        conn, item = step
        conv.written(conn, item)
        out.append(item.frame)
    return out


def test_a_drop_backs_off_and_resumes_without_history_config() -> None:
    conv = opened()
    fresh = machine()
    assert "historyConfig" in setup_of(fresh, fresh.start().conn)
    conv.receive(1, handle("h1"))
    conv.receive(1, frame({"sessionResumptionUpdate": {"resumable": False}}))
    actions = conv.lost(1, ConnectionLost(1006))
    assert reconnecting(actions) == [(1, 0.5)]
    (retry,) = connects(actions)
    assert retry.delay == 0.5
    failed = conv.lost(retry.conn, ConnectionLost(1011, "Internal error occurred."))
    assert reconnecting(failed) == [(2, 1.0)]
    (again,) = connects(failed)
    setup = setup_of(conv, again.conn)
    assert setup["sessionResumption"] == {"handle": "h1"}
    assert "historyConfig" not in setup
    back = conv.receive(again.conn, SETUP_COMPLETE)
    assert [type(a) for a in back] == [ev.SetupComplete, ev.Reconnected]
    assert conv.statistics().resumed_reconnects == 1


def test_goaway_starts_the_replacement_now_and_sends_wait_for_it() -> None:
    conv = opened()
    conv.receive(1, handle("h-go"))
    actions = conv.receive(1, frame({"goAway": {"timeLeft": "50s"}}))
    assert isinstance(actions[0], ev.GoAway)
    assert reconnecting(actions) == [(1, 0.0)]
    (replacement,) = connects(actions)
    assert conv.send(b"during", Lane.KEPT) is SendOutcome.QUEUED
    assert conv.next_to_write() is None  # the old connection takes nothing more
    assert setup_of(conv, replacement.conn)["sessionResumption"] == {"handle": "h-go"}
    switched = conv.receive(replacement.conn, SETUP_COMPLETE)
    assert Disconnect(1, 1000, "replaced") in switched
    assert drain(conv) == [b"during"]
    assert conv.lost(1, ConnectionLost(1000)) == []  # closed on purpose


def test_live_lanes_drop_oldest_and_the_kept_lane_waits() -> None:
    conv = machine(max_pending_live_audio=2, max_pending_live_video=1, max_pending_messages=2)
    conv.start()
    conv.receive(1, SETUP_COMPLETE)
    (retry,) = connects(conv.lost(1, ConnectionLost(1006)))
    for n in range(4):
        conv.send(b"a%d" % n, Lane.LIVE_AUDIO)
        conv.send(b"v%d" % n, Lane.LIVE_VIDEO)
    assert conv.send(b"t0", Lane.KEPT) is SendOutcome.QUEUED
    assert conv.send(b"t1", Lane.KEPT) is SendOutcome.QUEUED
    assert conv.send(b"t2", Lane.KEPT) is SendOutcome.WAIT
    stats = conv.statistics()
    assert (stats.dropped_live_audio, stats.dropped_live_video) == (2, 3)
    assert stats.dropped_media_messages == 5
    assert stats.dropped_live_audio_bytes == 4
    conv.setup_frame(retry.conn)
    conv.receive(retry.conn, SETUP_COMPLETE)
    assert drain(conv) == [b"a2", b"a3", b"v3", b"t0", b"t1"]


def test_gives_up_after_the_attempt_budget() -> None:
    conv = opened()
    actions = conv.lost(1, ConnectionLost(1006))
    delays = reconnecting(actions)
    for _ in range(3):
        (attempt,) = connects(actions)
        actions = conv.lost(attempt.conn, ConnectionLost(1011, "unavailable"))
        delays += reconnecting(actions)
    assert delays == [(1, 0.5), (2, 1.0), (3, 2.0)]
    closed = actions[-1]
    assert isinstance(closed, ev.Closed)
    assert closed.code == 1011 and "gave up after 3 attempts" in closed.reason
    assert conv.phase is Phase.CLOSED


def test_a_refused_handle_starts_afresh_once() -> None:
    conv = opened()
    conv.receive(1, handle("stale"))
    (retry,) = connects(conv.lost(1, ConnectionLost(1006)))
    assert setup_of(conv, retry.conn)["sessionResumption"] == {"handle": "stale"}
    (fresh,) = connects(conv.lost(retry.conn, SetupRejected(1007, "invalid argument")))
    assert setup_of(conv, fresh.conn)["sessionResumption"] == {}
    assert conv.statistics().refused_resumptions == 1
    final = conv.lost(fresh.conn, SetupRejected(1007, "invalid argument"))
    assert isinstance(final[-1], ev.Closed) and final[-1].code == 1007


def test_final_close_codes_end_at_once() -> None:
    conv = opened()
    actions = conv.lost(1, ConnectionLost(1008, "not found"))
    assert actions[-1] == ev.Closed(code=1008, reason="not found")
    assert not connects(actions)


def test_reconfigure_needs_a_handle_keeps_the_model_and_resumes() -> None:
    conv = opened()
    new = types.SetupConfig(model="models/test", session_resumption=types.SessionResumptionConfig())
    with pytest.raises(LiveError, match="no resumption handle"):
        conv.reconfigure(new)
    conv.receive(1, handle("h1"))
    with pytest.raises(ConfigError):
        conv.reconfigure(types.SetupConfig(model="models/other"))
    (replacement,) = connects(conv.reconfigure(new))
    assert replacement.delay == 0.0
    assert conv.setup is new
    assert setup_of(conv, replacement.conn)["sessionResumption"] == {"handle": "h1"}


def test_bad_frames_are_counted_not_fatal() -> None:
    conv = opened()
    conv.receive(1, b"{not json")
    assert conv.statistics().decode_errors == 1
    assert conv.phase is Phase.OPEN
    text = codec.encode(types.ClientMessage(realtime_input=types.RealtimeInput(text="hi")))
    conv.send(text, Lane.KEPT)
    assert drain(conv) == [text]
    assert conv.statistics().messages_sent == 1


def reply_text(text: str) -> bytes:
    return frame({"serverContent": {"modelTurn": {"parts": [{"text": text}]}}})


TURN_COMPLETE = frame({"serverContent": {"turnComplete": True}})


def test_written_messages_nobody_answered_are_resent_after_the_reconnect() -> None:
    conv = opened()
    conv.receive(1, handle("h1"))
    conv.send(b"answered", Lane.KEPT)
    assert drain(conv) == [b"answered"]
    conv.receive(1, reply_text("reply"))  # a turn that started after it: consumed
    conv.receive(1, TURN_COMPLETE)
    conv.send(b"unanswered", Lane.KEPT)
    conv.send(b"mic", Lane.LIVE_AUDIO)
    assert drain(conv) == [b"unanswered", b"mic"]
    assert conv.statistics().unacked_messages == 1
    (retry,) = connects(conv.lost(1, ConnectionLost(1006)))
    conv.send(b"later", Lane.KEPT)
    conv.setup_frame(retry.conn)
    conv.receive(retry.conn, SETUP_COMPLETE)
    # Live frames are not resent; the unanswered text goes first, before later sends.
    assert drain(conv) == [b"unanswered", b"later"]
    stats = conv.statistics()
    assert stats.resent_messages == 1
    assert stats.messages_sent == 5


def test_a_turn_already_under_way_does_not_count_as_the_answer() -> None:
    conv = opened()
    conv.receive(1, reply_text("part one"))  # the model is talking
    conv.send(b"while talking", Lane.KEPT)
    drain(conv)
    conv.receive(1, reply_text("part two"))  # the same turn: not an answer to it
    conv.receive(1, TURN_COMPLETE)
    (retry,) = connects(conv.lost(1, ConnectionLost(1006)))
    conv.setup_frame(retry.conn)
    conv.receive(retry.conn, SETUP_COMPLETE)
    assert drain(conv) == [b"while talking"]
    conv.receive(retry.conn, reply_text("answer"))
    assert conv.statistics().unacked_messages == 0


def test_last_consumed_index_acknowledges_exactly_that_many() -> None:
    conv = opened()
    for name in (b"m1", b"m2", b"m3"):
        conv.send(name, Lane.KEPT)
    drain(conv)
    conv.receive(
        1,
        frame(
            {
                "sessionResumptionUpdate": {
                    "newHandle": "h2",
                    "resumable": True,
                    "lastConsumedClientMessageIndex": "2",
                }
            }
        ),
    )
    (retry,) = connects(conv.lost(1, ConnectionLost(1006)))
    conv.setup_frame(retry.conn)
    conv.receive(retry.conn, SETUP_COMPLETE)
    assert drain(conv) == [b"m3"]


def test_unacknowledged_messages_are_bounded() -> None:
    conv = machine(max_pending_messages=2)
    conv.start()
    conv.receive(1, SETUP_COMPLETE)
    for n in range(5):
        conv.send(b"t%d" % n, Lane.KEPT)
    drain(conv)
    stats = conv.statistics()
    assert (stats.unacked_messages, stats.unacked_forgotten) == (2, 3)


def test_a_5xx_during_the_reconnect_keeps_the_handle_and_a_refusal_costs_no_slot() -> None:
    conv = opened()
    conv.receive(1, handle("h1"))
    (retry,) = connects(conv.lost(1, ConnectionLost(1006)))
    assert setup_of(conv, retry.conn)["sessionResumption"] == {"handle": "h1"}
    unavailable = conv.lost(retry.conn, SetupRejected(503, "HTTP 503"))
    assert reconnecting(unavailable) == [(2, 1.0)]
    (again,) = connects(unavailable)
    assert setup_of(conv, again.conn)["sessionResumption"] == {"handle": "h1"}
    refused = conv.lost(again.conn, SetupRejected(1007, "Request contains an invalid argument."))
    assert reconnecting(refused) == [(2, 0.0)]  # at once, and the same attempt number
    (fresh,) = connects(refused)
    assert setup_of(conv, fresh.conn)["sessionResumption"] == {}
    assert conv.statistics().refused_resumptions == 1
    network = conv.lost(fresh.conn, ConnectionLost(1006, "could not connect: refused"))
    assert reconnecting(network) == [(3, 2.0)]


def test_an_http_4xx_during_the_reconnect_ends_the_session() -> None:
    conv = opened()
    conv.receive(1, handle("h1"))
    (retry,) = connects(conv.lost(1, ConnectionLost(1006)))
    conv.setup_frame(retry.conn)
    final = conv.lost(retry.conn, SetupRejected(403, "PERMISSION_DENIED"))
    assert final[-1] == ev.Closed(code=403, reason="PERMISSION_DENIED")
