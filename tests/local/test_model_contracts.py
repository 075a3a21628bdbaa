"""The local server refuses each family's forbidden setup fields the way the contract sheet says."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from gemini_live_tui.local import LocalLiveServer
from gemini_live_tui.model_contracts import CONTRACTS

from .helpers import open_client


async def closed_with(client_ws: Any) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as info:
        async with asyncio.timeout(10):
            while True:
                await client_ws.recv()
    received = info.value.rcvd
    assert received is not None, "expected a close frame"
    return received.code, received.reason


async def test_thinking_level_on_38_closes_1007_with_the_real_text() -> None:
    setup = {
        "model": "models/gemini-3.8-live",
        "generationConfig": {"thinkingConfig": {"thinkingLevel": "HIGH"}},
    }
    async with LocalLiveServer() as server:
        client = await open_client(server, setup, expect_setup_complete=False)
        assert await closed_with(client.ws) == (
            1007,
            "Thinking level is not supported for this model",
        )


async def test_a_thinking_budget_on_38_is_accepted_and_ignored() -> None:
    setup = {
        "model": "models/gemini-3.8-live",
        "generationConfig": {"thinkingConfig": {"thinkingBudget": 100}},
    }
    async with LocalLiveServer() as server:
        client = await open_client(server, setup)  # asserts setupComplete
        await client.close()


@pytest.mark.parametrize(
    "extra",
    [
        {"generationConfig": {"enableAffectiveDialog": True}},
        {"proactivity": {"proactiveAudio": True}},
    ],
)
async def test_2_5_fields_on_31_mean_no_setup_complete(extra: dict[str, Any]) -> None:
    setup = {"model": "models/gemini-3.1-flash-live-preview", **extra}
    async with LocalLiveServer() as server:
        client = await open_client(server, setup, expect_setup_complete=False)
        await client.send({"realtimeInput": {"text": "hello?"}})
        # Once the server has read the frame after setup, a setupComplete would already be out.
        await server.wait_for(lambda: len(server.received) == 2)
        await client.close()
        got = [frame async for frame in client.ws]
        assert got == []
        assert server.sent == []


async def test_2_5_fields_on_2_5_are_accepted() -> None:
    setup = {
        "model": "models/gemini-2.5-flash-native-audio-preview-12-2025",
        "generationConfig": {"enableAffectiveDialog": True},
        "proactivity": {"proactiveAudio": True},
    }
    async with LocalLiveServer() as server:
        client = await open_client(server, setup)
        await client.close()


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.family)
async def test_every_refusing_field_in_the_table_is_refused_for_its_family(contract: Any) -> None:
    closes = {p: r for p, r in contract.forbidden.items() if r.kind == "close"}
    if not closes:
        pytest.skip(f"{contract.family} refuses nothing with a close")
    async with LocalLiveServer() as server:
        if not server.catalog.known(contract.example):
            pytest.skip(f"{contract.example} is shut down: the server answers 1008 not found")
        for path, refusal in closes.items():
            setup: dict[str, Any] = {"model": f"models/{contract.example}"}
            node = setup
            keys = path.split(".")
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = [] if keys[-1] == "tools" else {} if "." not in path else "HIGH"
            client = await open_client(server, setup, expect_setup_complete=False)
            assert await closed_with(client.ws) == (refusal.code, refusal.reason), path
