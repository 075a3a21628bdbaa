"""The credential stays with the Live endpoint: no redirects, no echoes, no debug logs.

Each test runs a real handshake over loopback sockets: a tiny HTTP server that answers the
upgrade the way a hostile or broken upstream would (redirect, error body echoing the key),
or the embedded local Live server for a full successful handshake.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from gemini_live_tui.errors import RedirectRefused, SetupRejected
from gemini_live_tui.live import Auth, Endpoint, TransportConfig
from gemini_live_tui.live.transport import open_socket
from gemini_live_tui.local import LocalLiveServer
from tests.http_stub import HttpStub, http_response

KEY = "AIzaSyTOPSECRET-0123456789abcdef"


def config_for(port: int, path: str = "/ws") -> TransportConfig:
    return TransportConfig(
        endpoint=Endpoint.custom(f"ws://127.0.0.1:{port}{path}"),
        auth=Auth.api_key(KEY),
        open_timeout=5.0,
    )


@pytest.fixture
async def recorder() -> AsyncIterator[HttpStub]:
    async with HttpStub(lambda head: http_response("404 Not Found")) as stub:
        yield stub


@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "307 Temporary"])
async def test_a_redirect_is_refused_and_the_key_never_reaches_the_new_host(
    recorder: HttpStub, status: str
) -> None:
    # A different port is a different origin, like a different host: websockets would follow
    # it and, since x-goog-api-key is not a header it strips, carry the key along.
    location = f"Location: ws://127.0.0.1:{recorder.port}/steal?k={KEY}\r\n"
    async with HttpStub(lambda head: http_response(status, headers=location)) as first:
        with pytest.raises(RedirectRefused) as caught:
            await open_socket(config_for(first.port))
    assert len(first.requests) == 1
    assert recorder.requests == []
    text = str(caught.value)
    assert "redirect" in text and "\n" not in text
    assert KEY not in text
    assert isinstance(caught.value, SetupRejected)  # never retried


async def test_a_same_origin_redirect_is_refused_too() -> None:
    location = "Location: /elsewhere\r\n"
    async with HttpStub(lambda head: http_response("302 Found", headers=location)) as stub:
        with pytest.raises(RedirectRefused):
            await open_socket(config_for(stub.port))
    assert len(stub.requests) == 1


@pytest.mark.parametrize("status", ["401 Unauthorized", "500 Internal Server Error"])
async def test_an_error_body_echoing_the_key_is_masked(status: str) -> None:
    body = f'{{"error": "API key {KEY} not valid", "tail": "\x1b]52;c;aGk=\x07"}}'.encode()
    async with HttpStub(lambda head: http_response(status, body=body)) as stub:
        with pytest.raises(SetupRejected) as caught:
            await open_socket(config_for(stub.port))
    text = str(caught.value)
    assert KEY not in text and KEY not in caught.value.reason
    assert "not valid" in text
    assert "\x1b" not in text and "\x07" not in text


async def test_a_bearer_token_echoed_in_a_body_is_masked() -> None:
    token = "ya29.VERYSECRETTOKEN"
    body = f"bad token Bearer {token}".encode()
    async with HttpStub(lambda head: http_response("401 Unauthorized", body=body)) as stub:
        config = TransportConfig(
            endpoint=Endpoint.custom(f"ws://127.0.0.1:{stub.port}/ws"),
            auth=Auth.bearer_token(token),
        )
        with pytest.raises(SetupRejected) as caught:
            await open_socket(config)
    assert token not in str(caught.value)


async def test_debug_logging_never_shows_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with LocalLiveServer(port=0, api_key=KEY) as server:
        socket = await open_socket(config_for(server.port))
        await socket.send('{"note": "hello"}')
        await socket.close()
    records = caplog.records
    handshake = [r for r in records if r.name.startswith("websockets")]
    assert any("x-goog-api-key" in r.getMessage() for r in handshake), "no header log"
    for record in records:
        assert KEY not in record.getMessage()
        assert KEY not in str(record.msg)
        assert KEY not in repr(record.args)
    assert KEY not in caplog.text
