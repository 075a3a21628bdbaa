"""Token stores (memory and a real Redis) and the environment settings."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import redis.asyncio as redis_asyncio

from gemini_live_tui.errors import ConfigError
from gemini_live_tui.local import LocalLiveServer
from gemini_live_tui.server.settings import ServerSettings
from gemini_live_tui.server.tokens import (
    MemoryTokenStore,
    RedisTokenStore,
    TokenStore,
    open_token_store,
)

from .conftest import FakeClock, RedisServer, run_proxy, settings_for


async def check_store(store: TokenStore, clock: FakeClock) -> None:
    """The contract every store keeps."""
    token = await store.issue()
    other = await store.issue()
    assert token != other
    assert await store.consume(token) is True
    assert await store.consume(token) is False  # one use only
    assert await store.consume("made-up") is False
    clock.advance(29.9)
    assert await store.consume(other) is True
    late = await store.issue()
    clock.advance(30.0)
    assert await store.consume(late) is False  # expired
    # Racing consumers: exactly one wins.
    raced = await store.issue()
    wins = await asyncio.gather(*(store.consume(raced) for _ in range(20)))
    assert wins.count(True) == 1
    # Rate limit: 3 per window per address, windows are independent per address.
    assert [await store.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert await store.allow("10.0.0.2") is True
    clock.advance(60.0)
    assert await store.allow("10.0.0.1") is True


async def test_memory_store() -> None:
    clock = FakeClock()
    store = MemoryTokenStore(ttl=30.0, rate_limit=3, rate_window=60.0, clock=clock)
    await check_store(store, clock)
    assert "live_tokens" in repr(store)


async def test_redis_store(redis_server: RedisServer) -> None:
    clock = FakeClock()
    client = redis_asyncio.Redis.from_url(redis_server.url)
    store = RedisTokenStore(
        redis_server.url, ttl=30.0, rate_limit=3, rate_window=60.0, clock=clock, client=client
    )
    await store.ping()
    await check_store(store, clock)
    # Only digests are stored, with a server-side expiry as well.
    token = await store.issue()
    keys = [key.decode() for key in await client.keys("gemini-live:token:*")]
    assert keys and all(len(key.rsplit(":", 1)[1]) == 64 for key in keys)
    assert all(ttl > 0 for ttl in [await client.pttl(key) for key in keys])
    assert not any(token in key for key in keys)
    assert "redis://" not in repr(store)
    await store.close()


async def test_redis_store_shared_between_instances(redis_server: RedisServer) -> None:
    first = open_token_store(redis_server.url, ttl=30.0, rate_limit=2, rate_window=60.0)
    second = open_token_store(redis_server.url, ttl=30.0, rate_limit=2, rate_window=60.0)
    token = await first.issue()
    assert await second.consume(token) is True
    assert await first.consume(token) is False
    assert await first.allow("a") and await second.allow("a")
    assert not await first.allow("a")
    await first.close()
    await second.close()


def test_settings_from_env() -> None:
    settings = ServerSettings.from_env(
        {
            "GEMINI_API_KEY": "secret-key-123",
            "MODEL": "gemini-2.5-flash-native-audio-preview-12-2025",
            "PORT": "9001",
            "SESSION_TIME_LIMIT": "60",
            "ALLOWED_ORIGINS": "https://a.example, https://B.example/",
            "TOKEN_STORE_URL": "redis://cache:6379/1",
        }
    )
    assert settings.backend == "gemini"
    assert settings.port == 9001 and settings.session_time_limit == 60.0
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert "secret-key-123" not in repr(settings)
    assert ServerSettings.from_env({"PROJECT_ID": "p"}).backend == "vertex"
    assert ServerSettings.from_env({"LIVE_BACKEND": "local"}).backend == "local"
    custom = ServerSettings.from_env({"LIVE_BACKEND": "ws://127.0.0.1:9/ws"})
    assert (custom.backend, custom.live_url) == ("custom", "ws://127.0.0.1:9/ws")
    assert ServerSettings.from_env({"LIVE_BACKEND": "local"}, port=0, host=None).port == 0


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({}, "GOOGLE_API_KEY: not set"),
        ({"LIVE_BACKEND": "local", "PORT": "eighty"}, "PORT: 'eighty' is not a whole number"),
        ({"LIVE_BACKEND": "local", "PORT": "70000"}, "PORT: 70000 is not a TCP port"),
        ({"LIVE_BACKEND": "local", "SESSION_TIME_LIMIT": "-1"}, "SESSION_TIME_LIMIT: must be"),
        ({"LIVE_BACKEND": "local", "SESSION_TIME_LIMIT": "nan"}, "SESSION_TIME_LIMIT: 'nan'"),
        ({"LIVE_BACKEND": "mars"}, "LIVE_BACKEND: 'mars' is not gemini"),
        ({"LIVE_BACKEND": "vertex"}, "PROJECT_ID: required"),
        ({"LIVE_BACKEND": "local", "ALLOWED_ORIGINS": "a.example"}, "ALLOWED_ORIGINS: 'a."),
        ({"LIVE_BACKEND": "local", "TOKEN_STORE_URL": "memcached://x"}, "TOKEN_STORE_URL:"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], error: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ServerSettings.from_env(env)
    assert str(caught.value).startswith(error)


def test_origin_rules() -> None:
    same = ServerSettings(backend="local")
    assert same.origin_allowed(None, "h:1", "ws")  # not a browser page
    assert same.origin_allowed("http://h:1", "h:1", "ws")
    assert same.origin_allowed("https://h:1", "h:1", "wss")
    assert not same.origin_allowed("http://evil:1", "h:1", "ws")
    listed = ServerSettings(backend="local", allowed_origins=("https://app.example",))
    assert listed.origin_allowed("https://APP.example/", "h:1", "ws")
    assert not listed.origin_allowed("http://h:1", "h:1", "ws")
    assert ServerSettings(backend="local", allowed_origins=("*",)).origin_allowed("x", None, "ws")


async def test_health_and_auth_report_an_unreachable_store(
    redis_server: RedisServer, local: LocalLiveServer
) -> None:
    store = RedisTokenStore(redis_server.url)
    async with (
        run_proxy(settings_for(), local_url=local.url, token_store=store) as proxy,
        httpx.AsyncClient() as client,
    ):
        healthy = await client.get(f"{proxy.http}/api/health")
        redis_server.process.terminate()
        await asyncio.to_thread(redis_server.process.wait, 10)
        sick = await client.get(f"{proxy.http}/api/health")
        auth = await client.post(f"{proxy.http}/api/auth")
    await store.close()
    assert healthy.status_code == 200 and healthy.json()["status"] == "ok"
    assert sick.status_code == 503
    assert sick.json()["error"] == "token store unavailable"
    assert auth.status_code == 503 and auth.json() == {"error": "token store unavailable"}
