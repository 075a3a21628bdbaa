"""Resumption, goAway and fault injection on the local server."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.exceptions import ConnectionClosed

from gemini_live_tui.local import Fault, LocalLiveServer, Trigger

from .helpers import LiveClient, open_client, text_of

RESUMABLE = {
    "model": "models/x",
    "generationConfig": {"responseModalities": ["TEXT"]},
    "sessionResumption": {},
}


async def close_of(client: LiveClient) -> tuple[int | None, str]:
    """Read until the connection ends; (code, reason), code None when no close frame came."""
    with pytest.raises(ConnectionClosed) as info:
        async with asyncio.timeout(10):
            while True:
                await client.recv()
    received = info.value.rcvd
    return (received.code, received.reason) if received else (None, "")


async def latest_handle(client: LiveClient) -> str:
    message = await client.until(
        lambda m: bool(m.get("sessionResumptionUpdate", {}).get("resumable"))
    )
    handle: str = message[-1]["sessionResumptionUpdate"]["newHandle"]
    return handle


async def test_resumed_connection_continues_the_conversation() -> None:
    async with LocalLiveServer() as server:
        first = await open_client(server, RESUMABLE)
        assert await latest_handle(first)  # a handle right after setup
        await first.send({"realtimeInput": {"text": "one"}})
        assert text_of(await first.until_turn_complete()) == "You said: one (turn 1)"
        handle = await latest_handle(first)
        await first.close()

        setup = {**RESUMABLE, "sessionResumption": {"handle": handle}}
        second = await open_client(server, setup)
        await second.send({"realtimeInput": {"text": "two"}})
        assert text_of(await second.until_turn_complete()) == "You said: two (turn 2)"
        await second.close()
        assert [r.resumed for r in server.records] == [False, True]
        assert server.records[0].session_id == server.records[1].session_id


async def test_resuming_from_an_older_handle_loses_later_turns() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server, RESUMABLE)
        early = await latest_handle(client)
        await client.send({"realtimeInput": {"text": "one"}})
        await client.until_turn_complete()
        await client.close()
        resumed = await open_client(server, {**RESUMABLE, "sessionResumption": {"handle": early}})
        await resumed.send({"realtimeInput": {"text": "again"}})
        assert text_of(await resumed.until_turn_complete()) == "You said: again (turn 1)"
        await resumed.close()


async def test_unknown_handle_closes_1007() -> None:
    async with LocalLiveServer() as server:
        setup = {**RESUMABLE, "sessionResumption": {"handle": "no-such-handle"}}
        client = await open_client(server, setup, expect_setup_complete=False)
        assert await close_of(client) == (1007, "Request contains an invalid argument.")


async def test_expired_handle_closes_1007() -> None:
    now = [0.0]
    async with LocalLiveServer(handle_ttl=60, clock=lambda: now[0]) as server:
        client = await open_client(server, RESUMABLE)
        handle = await latest_handle(client)
        await client.close()
        now[0] = 61.0
        setup = {**RESUMABLE, "sessionResumption": {"handle": handle}}
        late = await open_client(server, setup, expect_setup_complete=False)
        code, _ = await close_of(late)
        assert code == 1007


async def test_no_resumption_updates_unless_asked() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server)
        await client.send({"realtimeInput": {"text": "hi"}})
        messages = await client.until_turn_complete()
        assert not any("sessionResumptionUpdate" in m for m in messages)
        await client.close()


async def test_goaway_after_lifetime_then_1008() -> None:
    async with LocalLiveServer(goaway_after=0.2, goaway_grace=0.3) as server:
        client = await open_client(server)
        messages = await client.until(lambda m: "goAway" in m)
        assert messages[-1] == {"goAway": {"timeLeft": "0.300s"}}
        code, _reason = await close_of(client)
        assert code == 1008


async def test_injected_goaway_uses_whole_seconds_format() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server)
        await server.inject(Fault.goaway(grace=50))
        message = await client.recv()
        assert message == {"goAway": {"timeLeft": "50s"}}
        await client.close()


async def test_drop_without_close_frame() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server)
        await server.inject(Fault.drop())
        assert await close_of(client) == (None, "")


async def test_close_1011_internal_error() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server)
        await server.inject(Fault.close())
        assert await close_of(client) == (1011, "Internal error occurred.")


async def test_fault_on_next_connection_only() -> None:
    async with LocalLiveServer() as server:
        server.arm(Fault.close(), Trigger.NEXT_CONNECTION)
        doomed = await open_client(server)  # setupComplete first, then the close
        assert await close_of(doomed) == (1011, "Internal error occurred.")
        healthy = await open_client(server)
        await healthy.send({"realtimeInput": {"text": "still here"}})
        await healthy.until_turn_complete()
        await healthy.close()


async def test_slow_setup_delays_setup_complete() -> None:
    async with LocalLiveServer() as server:
        server.arm(Fault.slow_setup(0.3))
        started = time.monotonic()
        client = await open_client(server)  # reads setupComplete
        assert time.monotonic() - started >= 0.3
        assert server.faults.pending(Trigger.NEXT_CONNECTION) == 0
        await client.close()
        quick = await open_client(server)  # the fault fired once only
        await quick.close()


async def test_malformed_frame_keeps_the_connection_open() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server)
        await server.inject(Fault.malformed_frame())
        frame = await client.ws.recv(decode=False)
        assert isinstance(frame, bytes)
        with pytest.raises(ValueError):
            json.loads(frame)
        await client.send({"realtimeInput": {"text": "ok"}})
        await client.until_turn_complete()
        await client.close()


async def test_drop_in_the_middle_of_the_next_reply() -> None:
    async with LocalLiveServer(speed=1.0) as server:
        server.arm(Fault.drop(), Trigger.NEXT_REPLY)
        client = await open_client(server)
        await client.send({"realtimeInput": {"text": "a reply that will be cut short"}})
        assert await close_of(client) == (None, "")
        parts = [m for m in server.records[0].sent if "serverContent" in m]
        assert len(parts) == 1  # the first chunk went out, then the line died


async def test_inspection_and_wait_for() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server)
        await client.send({"realtimeInput": {"text": "x"}})
        await server.wait_for(lambda: len(server.received) == 2)
        with pytest.raises(TimeoutError):
            await server.wait_for(lambda: server.connections == 5, timeout=0.05)
        stats = server.statistics()
        assert stats["connections"] == 1 and stats["messages_received"] == 2
        await client.close()
        await server.wait_for(lambda: server.open_connections == 0)
        assert server.records[0].close_code == 1000
        assert "test-key" not in repr(server) and "test-key" not in repr(server.records[0])


async def test_retention_bounds_memory_but_counters_keep_counting() -> None:
    async with LocalLiveServer(retain=3) as server:
        client = await open_client(server)
        for index in range(5):
            await client.send({"realtimeInput": {"text": f"t{index}"}})
            await client.until_turn_complete()
        await client.close()
        record = server.records[0]
        assert len(record.received) == 3
        assert record.received[-1] == {"realtimeInput": {"text": "t4"}}
        assert server.statistics()["messages_received"] == 6
