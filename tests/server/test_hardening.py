"""The proxy's hardening: what a page learns of upstream failures, which hosts and origins
may use it, and the limits on what a page may send.  Real uvicorn on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import httpx
import pytest

from gemini_live_tui.errors import ConfigError
from gemini_live_tui.local import LocalLiveServer
from gemini_live_tui.local.faults import Fault
from gemini_live_tui.server.app import STATIC_DIR
from gemini_live_tui.server.settings import ServerSettings
from tests.http_stub import HttpStub, http_response

from .conftest import TEXT_SETUP, run_proxy, settings_for
from .test_proxy import closed_with

KEY = "AIzaSyPROXYSECRET-0123456789abcdef"


async def test_an_upstream_error_body_echoing_the_key_never_reaches_the_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    body = f'{{"error": {{"message": "API key {KEY} not valid. Please pass a valid key."}}}}'
    async with HttpStub(lambda head: http_response("401 Unauthorized", body.encode())) as stub:
        settings = settings_for(
            backend="custom", live_url=f"ws://127.0.0.1:{stub.port}/ws", api_key=KEY
        )
        async with (
            run_proxy(settings, local_url="") as proxy,
            proxy.browser(TEXT_SETUP, expect_ready=False) as ws,
        ):
            code, reason, frames = await closed_with(ws)
    assert code == 1011
    page_text = reason + json.dumps(frames)
    assert KEY not in page_text
    # Generic: the status and our own hint, not the upstream's words.
    assert reason == "upstream refused the setup (code 401: check the API key or token)"
    assert "not valid" not in page_text
    assert KEY not in caplog.text
    # The operator still learns the upstream's (masked) words from the proxy's log.
    assert any("not valid" in r.getMessage() for r in caplog.records)


async def test_an_upstream_close_reason_is_not_relayed_verbatim(local: LocalLiveServer) -> None:
    async with run_proxy(settings_for(), local_url=local.url) as proxy, proxy.browser() as ws:
        await local.wait_for(lambda: local.open_connections == 1)
        await local.inject(Fault.close(1007, f"key {KEY} rejected"))
        code, reason, frames = await closed_with(ws)
    assert code == 1011
    assert reason == "upstream session ended (code 1007: check the API key and the setup fields)"
    assert KEY not in json.dumps(frames)


# ---------------------------------------------------------------- Host allow-list (rebinding)


async def raw_request(port: int, head: str) -> bytes:
    """Send one raw HTTP request head; the whole answer (the server closes or we stop)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode())
        await writer.drain()
        async with asyncio.timeout(10):
            answer = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in answer.decode("latin-1").split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            return answer + await reader.readexactly(length)
    finally:
        writer.close()


def upgrade_head(host: str, token: str = "t") -> str:
    return (
        f"GET /ws?token={token} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("POST", "/api/auth"), ("GET", "/api/health"), ("GET", "/static/app.js")],
)
async def test_a_foreign_host_is_refused_on_every_route(
    local: LocalLiveServer, method: str, path: str
) -> None:
    async with run_proxy(settings_for(), local_url=local.url) as proxy, httpx.AsyncClient() as c:
        reply = await c.request(method, f"{proxy.http}{path}", headers={"Host": "evil.example"})
        rebound = await c.request(
            method, f"{proxy.http}{path}", headers={"Host": f"evil.example:{proxy.port}"}
        )
    for answer in (reply, rebound):
        assert answer.status_code == 421
        assert answer.text == "host not allowed (set ALLOWED_HOSTS)"


async def test_the_socket_upgrade_checks_the_host_before_the_token(local: LocalLiveServer) -> None:
    async with run_proxy(settings_for(), local_url=local.url) as proxy:
        token = await proxy.token()
        answer = await raw_request(proxy.port, upgrade_head(f"evil.example:{proxy.port}", token))
        # The token was not spent on the refused attempt: the real page can still use it.
        async with proxy.browser(TEXT_SETUP, token=token):
            pass
    assert answer.startswith(b"HTTP/1.1 421 ")
    assert answer.endswith(b"host not allowed (set ALLOWED_HOSTS)")
    assert local.connections == 1


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "[::1]"])
async def test_the_loopback_names_with_the_port_are_allowed(
    local: LocalLiveServer, name: str
) -> None:
    async with run_proxy(settings_for(), local_url=local.url) as proxy, httpx.AsyncClient() as c:
        good = await c.get(f"{proxy.http}/api/health", headers={"Host": f"{name}:{proxy.port}"})
        other_port = await c.get(f"{proxy.http}/api/health", headers={"Host": f"{name}:1"})
    assert good.status_code == 200
    assert other_port.status_code == 421


async def test_allowed_hosts_adds_names(local: LocalLiveServer) -> None:
    settings = settings_for(allowed_hosts=("live.example.com", "edge.example:8443"))
    async with run_proxy(settings, local_url=local.url) as proxy, httpx.AsyncClient() as c:
        url = f"{proxy.http}/api/health"
        answers = [
            (await c.get(url, headers={"Host": host})).status_code
            for host in ("live.example.com", "live.example.com:9", "edge.example:8443")
        ]
        wrong_port = await c.get(url, headers={"Host": "edge.example:80"})
        still_local = await c.get(url)
    assert answers == [200, 200, 200]
    assert wrong_port.status_code == 421
    assert still_local.status_code == 200


async def test_allowed_hosts_star_turns_the_check_off(local: LocalLiveServer) -> None:
    settings = settings_for(allowed_hosts=("*",))
    async with run_proxy(settings, local_url=local.url) as proxy, httpx.AsyncClient() as c:
        reply = await c.get(f"{proxy.http}/api/health", headers={"Host": "anything.example"})
    assert reply.status_code == 200


def test_allowed_hosts_from_env() -> None:
    env = {"LIVE_BACKEND": "local", "ALLOWED_HOSTS": "Live.Example.com, edge.example:8443"}
    settings = ServerSettings.from_env(env)
    assert settings.allowed_hosts == ("live.example.com", "edge.example:8443")
    for bad in ("https://live.example.com", "a/b", "host:99999", "host:port"):
        with pytest.raises(ConfigError) as caught:
            ServerSettings.from_env({**env, "ALLOWED_HOSTS": bad})
        assert str(caught.value).startswith("ALLOWED_HOSTS: ")


# ---------------------------------------------------------------- CORS and the page's policy


async def test_an_allowed_origin_gets_cors_headers_on_the_api(local: LocalLiveServer) -> None:
    origin = "https://app.example"
    settings = settings_for(allowed_origins=(origin,))
    async with run_proxy(settings, local_url=local.url) as proxy, httpx.AsyncClient() as c:
        preflight = await c.options(
            f"{proxy.http}/api/auth",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        issued = await c.post(f"{proxy.http}/api/auth", headers={"Origin": origin})
        foreign = await c.post(f"{proxy.http}/api/auth", headers={"Origin": "https://evil.example"})
        foreign_preflight = await c.options(
            f"{proxy.http}/api/auth",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "origin" in preflight.headers["vary"].lower()
    assert issued.status_code == 200 and "session_token" in issued.json()
    assert issued.headers["access-control-allow-origin"] == origin
    assert "origin" in issued.headers["vary"].lower()
    assert foreign.status_code == 403
    assert "access-control-allow-origin" not in foreign.headers
    assert "access-control-allow-origin" not in foreign_preflight.headers


async def test_static_files_carry_the_page_policy(local: LocalLiveServer) -> None:
    async with run_proxy(settings_for(), local_url=local.url) as proxy, httpx.AsyncClient() as c:
        answers = [
            await c.get(f"{proxy.http}{path}")
            for path in ("/", "/static/app.js", "/static/style.css", "/static/index.html")
        ]
    for answer in answers:
        assert answer.status_code == 200
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[-1].split(";")[0]
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_page_needs_no_inline_script() -> None:
    # The policy allows scripts from this origin only: an inline <script> or on* handler
    # in the page would silently not run.
    html = (STATIC_DIR / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+\s*=", html)
