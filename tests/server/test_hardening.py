"""The proxy's hardening: what a page learns of upstream failures, which hosts and origins
may use it, and the limits on what a page may send.  Real uvicorn on loopback."""

from __future__ import annotations

import json
import logging

import pytest

from gemini_live_tui.local import LocalLiveServer
from gemini_live_tui.local.faults import Fault
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
