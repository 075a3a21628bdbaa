"""Session behaviour against a scripted server over real loopback sockets.

The scripted server gives exact control of each connection (when to drop, which close
code, what to say), so these tests pin down reconnects, resumption, queueing and event
fan-out.  End-to-end round trips against the local Live server live in
``test_session_local.py``.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
from typing import Any

import pytest

from gemini_live_tui.errors import ConnectionLost, SessionClosed, SetupRejected
from gemini_live_tui.live import (
    Auth,
    Endpoint,
    ReconnectPolicy,
    Session,
    SessionConfig,
    TransportConfig,
)
from gemini_live_tui.protocol import events, types
from tests.live.scripted import Peer, scripted_server


class RecordingSleep:
    """A sleep that records delays and can be held until the test lets it go."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.release = asyncio.Event()
        self.release.set()
        self.waiting = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.waiting.set()
        await self.release.wait()


def make_config(
    url: str,
    *,
    auth: Auth | None = None,
    policy: ReconnectPolicy | None = None,
    history: bool = False,
    max_pending_media: int = 250,
    setup_timeout: float = 5.0,
) -> SessionConfig:
    return SessionConfig(
        transport=TransportConfig(
            endpoint=Endpoint.custom(url),
            auth=auth or Auth.api_key("test-key-123"),
            setup_timeout=setup_timeout,
        ),
        setup=types.SetupConfig(
            model="models/test",
            generation_config=types.GenerationConfig(response_modalities=[types.Modality.TEXT]),
            session_resumption=types.SessionResumptionConfig(),
            history_config=types.HistoryConfig(initial_history_in_client_content=True)
            if history
            else None,
        ),
        reconnect=policy or ReconnectPolicy(base_delay=0.5, max_delay=4.0, jitter=0.0),
        max_pending_media=max_pending_media,
    )


async def wait_for_event(session: Session, kind: type[Any]) -> Any:
    async with asyncio.timeout(10):
        while True:
            event = await session.next_event()
            assert event is not None, f"session closed before {kind.__name__}"
            if isinstance(event, kind):
                return event


async def hold_open(peer: Peer) -> None:
    await peer.accept_setup()
    while True:
        await peer.recv()


async def test_setup_goes_first_in_camel_case_and_the_key_in_a_header() -> None:
    async with scripted_server(hold_open) as server:
        session = await Session.connect(make_config(server.url))
        await session.send_text("hi")
        await server.wait_for_connections(1)
        peer = server.peers[0]
        await peer.wait_received(2)
        setup = peer.received[0]["setup"]
        assert setup["model"] == "models/test"
        assert setup["generationConfig"] == {"responseModalities": ["TEXT"]}
        assert setup["sessionResumption"] == {}
        assert peer.received[1] == {"realtimeInput": {"text": "hi"}}
        assert server.headers[0]["x-goog-api-key"] == "test-key-123"
        assert "test-key-123" not in server.paths[0]
        assert isinstance(await session.next_event(), events.SetupComplete)
        await session.close()


@pytest.mark.parametrize("code", [1007, 1008])
async def test_fatal_close_during_setup_raises_at_once_without_retry(code: int) -> None:
    async def refuse(peer: Peer) -> None:
        await peer.recv()
        await peer.close(code, "Request contains an invalid argument.")

    async with scripted_server(refuse) as server:
        with pytest.raises(SetupRejected) as caught:
            await Session.connect(make_config(server.url))
        assert caught.value.code == code
        assert "invalid argument" in caught.value.reason
        assert len(server.peers) == 1


async def test_http_rejection_is_setup_rejected() -> None:
    from websockets.asyncio.server import serve
    from websockets.datastructures import Headers
    from websockets.http11 import Response

    def reject(connection: Any, request: Any) -> Response:
        return Response(403, "Forbidden", Headers(), b"PERMISSION_DENIED")

    async with serve(lambda ws: ws.wait_closed(), "127.0.0.1", 0, process_request=reject) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        with pytest.raises(SetupRejected) as caught:
            await Session.connect(make_config(f"ws://127.0.0.1:{port}/ws"))
        assert caught.value.code == 403
        assert "PERMISSION_DENIED" in str(caught.value)


async def test_unreachable_server_is_connection_lost() -> None:
    async with scripted_server(hold_open) as server:
        url = server.url
    with pytest.raises(ConnectionLost):
        await Session.connect(make_config(url))


async def test_setup_timeout() -> None:
    async def silent(peer: Peer) -> None:
        await peer.recv()
        await peer.ws.wait_closed()

    async with scripted_server(silent) as server:
        with pytest.raises(ConnectionLost, match="no setupComplete"):
            await Session.connect(make_config(server.url, setup_timeout=0.2))


async def test_drop_reconnects_with_backoff_and_resumes_with_the_latest_handle() -> None:
    async def first(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.send({"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
        await peer.send({"sessionResumptionUpdate": {"resumable": False}})
        await peer.send({"sessionResumptionUpdate": {"newHandle": "h2", "resumable": True}})
        await peer.recv()  # the test's "go" message
        peer.drop()

    async def fail(peer: Peer) -> None:
        await peer.recv()
        await peer.close(1011, "Internal error occurred.")

    sleep = RecordingSleep()
    async with scripted_server(first, fail, hold_open) as server:
        session = await Session.connect(make_config(server.url, history=True), sleep=sleep)
        update = await wait_for_event(session, events.SessionResumptionUpdate)
        assert update.new_handle == "h1"
        await wait_for_event(session, events.SessionResumptionUpdate)
        await wait_for_event(session, events.SessionResumptionUpdate)
        await session.send_text("go")
        first_try = await wait_for_event(session, events.Reconnecting)
        assert (first_try.attempt, first_try.delay) == (1, 0.5)
        second_try = await wait_for_event(session, events.Reconnecting)
        assert (second_try.attempt, second_try.delay) == (2, 1.0)
        assert "1011" in second_try.reason
        reconnected = await wait_for_event(session, events.Reconnected)
        assert reconnected.resumed
        assert sleep.delays == [0.5, 1.0]
        for peer in server.peers[1:]:
            resumed_setup = peer.received[0]["setup"]
            assert resumed_setup["sessionResumption"] == {"handle": "h2"}
            assert "historyConfig" not in resumed_setup
        assert "historyConfig" in server.peers[0].received[0]["setup"]
        stats = session.statistics()
        assert stats.reconnects == 1
        assert stats.resumed_reconnects == 1
        await session.close()


async def test_goaway_reconnects_at_once_and_nothing_sent_is_lost() -> None:
    old_closed = asyncio.Event()

    async def first(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.send({"sessionResumptionUpdate": {"newHandle": "h-go", "resumable": True}})
        await peer.recv()  # "before", answered: it is not sent again
        await peer.send({"serverContent": {"modelTurn": {"parts": [{"text": "seen"}]}}})
        await peer.send({"serverContent": {"turnComplete": True}})
        await peer.send({"goAway": {"timeLeft": "50s"}})
        await peer.ws.wait_closed()
        old_closed.set()

    release_setup = asyncio.Event()

    async def second(peer: Peer) -> None:
        await peer.recv()
        await release_setup.wait()
        await peer.send({"setupComplete": {}})
        while True:
            await peer.recv()

    sleep = RecordingSleep()
    async with scripted_server(first, second) as server:
        session = await Session.connect(make_config(server.url), sleep=sleep)
        await wait_for_event(session, events.SessionResumptionUpdate)
        await session.send_text("before")
        go_away = await wait_for_event(session, events.GoAway)
        assert go_away.time_left == 50.0
        attempt = await wait_for_event(session, events.Reconnecting)
        assert (attempt.attempt, attempt.delay) == (1, 0.0)
        # Sent while the new connection is still being set up: must arrive there, in order.
        await session.send_text("during-1")
        await session.send_audio(b"\x01\x00" * 320)
        await session.send_text("during-2")
        await session.send_tool_response([types.FunctionResponse(id="c1", name="f", response={})])
        release_setup.set()
        reconnected = await wait_for_event(session, events.Reconnected)
        assert reconnected.resumed
        await session.send_text("after")
        new_peer = server.peers[1]
        await new_peer.wait_received(6)
        await asyncio.wait_for(old_closed.wait(), 5)
        assert new_peer.received[0]["setup"]["sessionResumption"] == {"handle": "h-go"}
        kinds = [next(iter(m)) for m in new_peer.received[1:]]
        assert kinds == [
            "realtimeInput",
            "realtimeInput",
            "realtimeInput",
            "toolResponse",
            "realtimeInput",
        ]
        assert new_peer.received[1]["realtimeInput"]["text"] == "during-1"
        audio = new_peer.received[2]["realtimeInput"]["audio"]
        assert audio["mimeType"] == "audio/pcm;rate=16000"
        assert base64.b64decode(audio["data"]) == b"\x01\x00" * 320
        assert new_peer.received[3]["realtimeInput"]["text"] == "during-2"
        assert new_peer.received[5]["realtimeInput"]["text"] == "after"
        assert sleep.delays == []
        await session.close()


async def test_audio_queue_is_bounded_dropping_the_oldest_and_text_is_kept() -> None:
    async def first(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.recv()
        peer.drop()

    sleep = RecordingSleep()
    sleep.release.clear()
    async with scripted_server(first, hold_open) as server:
        config = make_config(server.url, max_pending_media=3)
        session = await Session.connect(config, sleep=sleep)
        await session.send_text("drop now")
        await wait_for_event(session, events.Reconnecting)
        for value in range(6):
            await session.send_audio(bytes([value, 0]) * 160)
            await session.send_text(f"text-{value}")
        stats = session.statistics()
        assert stats.dropped_audio == 3
        assert stats.pending_messages == 9
        sleep.release.set()
        await wait_for_event(session, events.Reconnected)
        peer = server.peers[1]
        await peer.wait_received(11)
        texts = [
            m["realtimeInput"]["text"] for m in peer.received[1:] if "text" in m["realtimeInput"]
        ]
        # "drop now" reached the lost connection unanswered: it goes again, first.
        assert texts == ["drop now", *(f"text-{n}" for n in range(6))]
        audio_first_bytes = [
            base64.b64decode(m["realtimeInput"]["audio"]["data"])[0]
            for m in peer.received[1:]
            if "audio" in m["realtimeInput"]
        ]
        assert audio_first_bytes == [3, 4, 5]
        await session.close()


@pytest.mark.parametrize(
    ("code", "reason"),
    [(1000, "bye"), (1007, "API key expired. Please renew the API key."), (1008, "not found")],
)
async def test_final_close_codes_end_the_session_without_retry(code: int, reason: str) -> None:
    async def close_after_setup(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.recv()
        await peer.close(code, reason)

    async with scripted_server(close_after_setup) as server:
        session = await Session.connect(make_config(server.url))
        await session.send_text("x")
        closed = await wait_for_event(session, events.Closed)
        assert (closed.code, closed.reason) == (code, reason)
        assert await session.next_event() is None
        assert len(server.peers) == 1
        with pytest.raises(SessionClosed):
            await session.send_text("late")


async def test_gives_up_after_max_attempts() -> None:
    async def first(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.recv()
        peer.drop()

    async def always_fail(peer: Peer) -> None:
        await peer.recv()
        await peer.close(1011, "The service is currently unavailable.")

    sleep = RecordingSleep()
    policy = ReconnectPolicy(base_delay=0.1, max_delay=1.0, max_attempts=3, jitter=0.0)
    async with scripted_server(first, always_fail) as server:
        session = await Session.connect(make_config(server.url, policy=policy), sleep=sleep)
        await session.send_text("x")
        closed = await wait_for_event(session, events.Closed)
        assert "gave up after 3 attempts" in closed.reason
        assert closed.code == 1011
        assert len(server.peers) == 4
        assert sleep.delays == [0.1, 0.2, 0.4]


async def test_expired_handle_falls_back_to_a_fresh_session() -> None:
    async def first(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.send({"sessionResumptionUpdate": {"newHandle": "stale", "resumable": True}})
        await peer.recv()
        peer.drop()

    async def refuse_handle(peer: Peer) -> None:
        await peer.recv()
        await peer.close(1007, "Request contains an invalid argument.")

    sleep = RecordingSleep()
    async with scripted_server(first, refuse_handle, hold_open) as server:
        session = await Session.connect(make_config(server.url), sleep=sleep)
        await wait_for_event(session, events.SessionResumptionUpdate)
        await session.send_text("x")
        reconnected = await wait_for_event(session, events.Reconnected)
        assert not reconnected.resumed
        assert server.peers[2].received[0]["setup"]["sessionResumption"] == {}
        await session.close()


async def test_every_subscriber_gets_every_event_and_bad_frames_are_skipped() -> None:
    async def chatty(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.recv()
        await peer.ws.send(b"{not json")
        await peer.send({"serverContent": {"modelTurn": {"parts": [{"text": "a"}]}}})
        await peer.send({"serverContent": {"turnComplete": True}})
        while True:
            await peer.recv()

    async with scripted_server(chatty) as server:
        session = await Session.connect(make_config(server.url))
        first = session.events()
        second = session.events()
        await session.send_text("x")

        async def collect(stream: Any) -> list[Any]:
            seen = []
            async for event in stream:
                seen.append(type(event).__name__)
                if isinstance(event, events.TurnComplete):
                    return seen
            return seen

        one, two = await asyncio.wait_for(asyncio.gather(collect(first), collect(second)), 10)
        assert one == ["SetupComplete", "ModelText", "TurnComplete"]
        assert two == ["ModelText", "TurnComplete"]
        assert session.statistics().decode_errors == 1
        await session.close()
        assert [type(e).__name__ async for e in first] == ["Closed"]
        assert await session.next_event() is not None  # next_event's own stream sees Closed
        assert await session.next_event() is None


async def test_bearer_provider_is_asked_again_on_reconnect() -> None:
    tokens = iter(["tok-1", "tok-2", "tok-3"])

    async def provider() -> str:
        return next(tokens)

    async def first(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.recv()
        peer.drop()

    sleep = RecordingSleep()
    async with scripted_server(first, hold_open) as server:
        session = await Session.connect(
            make_config(server.url, auth=Auth.bearer_provider(provider)), sleep=sleep
        )
        await session.send_text("x")
        await wait_for_event(session, events.Reconnected)
        assert [h["Authorization"] for h in server.headers] == ["Bearer tok-1", "Bearer tok-2"]
        await session.close()


async def test_close_is_idempotent_and_statistics_count_traffic() -> None:
    async with scripted_server(hold_open) as server:
        session = await Session.connect(make_config(server.url))
        await session.send_audio(b"\x00\x00" * 640)
        stats = session.statistics()
        assert stats.messages_sent == 1
        assert stats.bytes_sent > 1280
        assert stats.messages_received == 1
        await session.close()
        await session.close()
        assert session.closed
        with pytest.raises(SessionClosed):
            await session.audio_stream_end()


async def test_send_audio_takes_numpy_and_refuses_odd_or_empty_pcm() -> None:
    import numpy as np

    from gemini_live_tui.errors import ProtocolError

    async with scripted_server(hold_open) as server:
        session = await Session.connect(make_config(server.url))
        samples = np.arange(160, dtype="<i2")
        await session.send_audio(samples, 16000)  # type: ignore[arg-type]
        await server.wait_for_connections(1)
        await server.peers[0].wait_received(2)
        audio = server.peers[0].received[1]["realtimeInput"]["audio"]
        assert base64.b64decode(audio["data"]) == samples.tobytes()
        for bad in (b"", b"\x00"):
            with pytest.raises(ProtocolError):
                await session.send_audio(bad)
        await session.close()


async def test_events_nobody_claims_are_bounded_and_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gemini_live_tui.live.session as session_module

    monkeypatch.setattr(session_module, "_BACKLOG_LIMIT", 3)

    async def chatty_then_bye(peer: Peer) -> None:
        await peer.accept_setup()
        for n in range(5):
            await peer.send({"serverContent": {"modelTurn": {"parts": [{"text": str(n)}]}}})
        await peer.send({"serverContent": {"turnComplete": True}})
        await peer.close(1000, "bye")

    async with scripted_server(chatty_then_bye) as server:
        session = await Session.connect(make_config(server.url))
        supervisor = session._supervisor
        assert supervisor is not None
        await asyncio.wait_for(supervisor, 10)  # ends when the session is finally over
        # SetupComplete + 5 texts + TurnComplete + Closed = 8 events into a backlog of 3.
        assert session.statistics().unclaimed_events_dropped == 5
        kept = [type(e).__name__ async for e in session.events()]
        assert kept == ["ModelText", "TurnComplete", "Closed"]


async def test_text_the_server_took_but_never_answered_is_sent_again_after_resume() -> None:
    async def take_and_vanish(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.send({"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
        await peer.recv()  # the bytes arrived; no reply, then the connection dies
        peer.drop()

    async def answer(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.recv()
        await peer.send({"serverContent": {"modelTurn": {"parts": [{"text": "ok"}]}}})
        await peer.send({"serverContent": {"turnComplete": True}})
        while True:
            await peer.recv()

    sleep = RecordingSleep()
    async with scripted_server(take_and_vanish, answer) as server:
        session = await Session.connect(make_config(server.url), sleep=sleep)
        await wait_for_event(session, events.SessionResumptionUpdate)
        await session.send_audio(b"\0\0" * 160)  # a live frame: not resent
        await session.send_text("please do not lose me")
        await wait_for_event(session, events.Reconnected)
        await wait_for_event(session, events.TurnComplete)
        resumed = server.peers[1].received
        assert resumed[0]["setup"]["sessionResumption"] == {"handle": "h1"}
        assert resumed[1] == {"realtimeInput": {"text": "please do not lose me"}}
        stats = session.statistics()
        assert (stats.resent_messages, stats.unacked_messages) == (1, 0)
        await session.close()


async def test_an_http_503_during_the_reconnect_is_retried_with_the_same_handle() -> None:
    from websockets.asyncio.server import serve
    from websockets.datastructures import Headers
    from websockets.http11 import Response

    setups: list[dict[str, Any]] = []
    upgrades = 0

    def unavailable_once(connection: Any, request: Any) -> Response | None:
        nonlocal upgrades
        upgrades += 1
        if upgrades == 2:
            return Response(503, "Service Unavailable", Headers(), b"UNAVAILABLE")
        return None

    async def handler(ws: Any) -> None:
        setup = json.loads(await ws.recv())["setup"]
        setups.append(setup)
        await ws.send(json.dumps({"setupComplete": {}}).encode())
        if len(setups) == 1:
            update = {"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}}
            await ws.send(json.dumps(update).encode())
            await ws.recv()
            ws.transport.abort()
            return
        await ws.wait_closed()

    sleep = RecordingSleep()
    async with serve(handler, "127.0.0.1", 0, process_request=unavailable_once) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        session = await Session.connect(make_config(f"ws://127.0.0.1:{port}/ws"), sleep=sleep)
        await wait_for_event(session, events.SessionResumptionUpdate)
        await session.send_text("x")
        second = [await wait_for_event(session, events.Reconnecting) for _ in range(2)][1]
        assert second.attempt == 2 and "503" in second.reason
        reconnected = await wait_for_event(session, events.Reconnected)
        assert reconnected.resumed
        assert setups[1]["sessionResumption"] == {"handle": "h1"}
        assert session.statistics().refused_resumptions == 0
        await session.close()


async def test_a_frame_over_max_size_closes_1009_is_counted_and_backs_off_to_giving_up() -> None:
    async def oversized(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.send({"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
        await peer.send({"serverContent": {"modelTurn": {"parts": [{"text": "x" * 4096}]}}})

    sleep = RecordingSleep()
    policy = ReconnectPolicy(base_delay=0.1, max_delay=1.0, max_attempts=3, jitter=0.0)
    async with scripted_server(oversized) as server:
        config = make_config(server.url, policy=policy)
        transport = dataclasses.replace(config.transport, max_message_size=1024)
        session = await Session.connect(
            dataclasses.replace(config, transport=transport), sleep=sleep
        )
        attempts = []
        async with asyncio.timeout(10):
            while not isinstance(event := await session.next_event(), events.Closed):
                if isinstance(event, events.Reconnecting):
                    attempts.append(event.attempt)
        assert attempts == [1, 2, 3]
        assert sleep.delays == [0.1, 0.2, 0.4]
        assert "gave up after 3 attempts" in event.reason
        assert event.code == 1009
        assert session.statistics().oversized_frames == 4
        assert len(server.peers) == 4


async def test_a_subscriber_that_never_reads_is_bounded_and_what_it_misses_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gemini_live_tui.live.session as session_module

    monkeypatch.setattr(session_module, "_SUBSCRIBER_LIMIT", 10)
    pcm = base64.b64encode(b"\0\0" * 480).decode()

    async def flood(peer: Peer) -> None:
        await peer.accept_setup()
        for n in range(500):
            await peer.send({"serverContent": {"modelTurn": {"parts": [{"text": str(n % 10)}]}}})
            audio = {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": pcm}}
            await peer.send({"serverContent": {"modelTurn": {"parts": [audio]}}})
        await peer.send({"serverContent": {"turnComplete": True}})
        while True:
            await peer.recv()

    async with scripted_server(flood) as server:
        session = await Session.connect(make_config(server.url))
        stalled = session.events()  # takes the backlog, then never reads
        await wait_for_event(session, events.TurnComplete)
        assert stalled.queued <= 10 + 2
        stats = session.statistics()
        assert stats.events_dropped_slow_subscriber > 0
        assert stats.events_coalesced_slow_subscriber > 0
        await session.close()
        texts = [e.text async for e in stalled if isinstance(e, events.ModelText)]
        assert "".join(texts) == "".join(str(n % 10) for n in range(500))
