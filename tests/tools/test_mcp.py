"""Real MCP servers started by the tests: stdio, streamable HTTP, crashing and missing."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gemini_live_tui.tools.approval import ApprovalGate
from gemini_live_tui.tools.mcp_client import McpManager
from gemini_live_tui.tools.settings import McpServerConfig
from gemini_live_tui.tools.toolbox import Toolbox

SERVER = str(Path(__file__).with_name("mcp_server.py"))


def _stdio(name: str = "calc", **kw: object) -> McpServerConfig:
    return McpServerConfig(name=name, command=sys.executable, args=(SERVER,), **kw)  # type: ignore[arg-type]


async def _until(predicate: object, limit: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not predicate():  # type: ignore[operator]
        assert loop.time() < end, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_stdio_server_tools() -> None:
    notices: list[str] = []
    box = Toolbox(ApprovalGate(yolo=True))
    manager = McpManager([_stdio(env={"SECRET_TOKEN": "hunter2"})], box, notices.append)
    await manager.start()
    try:
        names = {t.name for t in box.enabled()}
        assert {"calc__add", "calc__echo", "calc__fail"} <= names
        add = box.get("calc__add")
        assert add is not None and add.policy == "ask" and add.source == "mcp:calc"
        assert "$schema" not in add.schema and "additionalProperties" not in add.schema
        assert await box.call("calc__add", {"a": 2, "b": 3}) == {
            "ok": True,
            "result": {"result": 5},
        }
        secret = await box.call("calc__env", {"name": "SECRET_TOKEN"})
        assert secret["result"] == {"result": "hunter2"}
        failed = await box.call("calc__fail", {})
        assert not failed["ok"] and "fail" in failed["error"]["message"]
        assert notices == []
        assert "hunter2" not in repr(manager.servers["calc"].config)
    finally:
        await manager.stop()
    assert box.enabled() == []


async def test_crashing_server_goes_and_comes_back() -> None:
    notices: list[str] = []
    box = Toolbox(ApprovalGate(yolo=True))
    manager = McpManager([_stdio()], box, notices.append, backoff_first=0.1)
    await manager.start()
    try:
        res = await box.call("calc__crash", {})
        assert not res["ok"]
        await _until(lambda: any("stopped" in n for n in notices))
        await _until(lambda: any("is back" in n for n in notices))
        assert (await box.call("calc__echo", {"text": "hi"}))["result"] == {"result": "hi"}
    finally:
        await manager.stop()


async def test_missing_server_is_one_line_and_nothing_else_breaks() -> None:
    notices: list[str] = []
    box = Toolbox(ApprovalGate(yolo=True))
    bad = McpServerConfig(name="ghost", command="/no/such/mcp-server")
    manager = McpManager([bad, _stdio()], box, notices.append, backoff_first=30)
    await manager.start()
    try:
        assert len(notices) == 1 and "ghost failed to start" in notices[0]
        assert box.get("calc__add") is not None
        assert manager.statuses()["ghost"].startswith("failed")
    finally:
        await manager.stop()


async def test_hanging_server_fails_to_start() -> None:
    notices: list[str] = []
    box = Toolbox()
    hang = McpServerConfig(
        name="hang", command=sys.executable, args=("-c", "import time; time.sleep(60)")
    )
    manager = McpManager([hang], box, notices.append, start_timeout=0.5, backoff_first=30)
    await manager.start()
    try:
        assert notices and "hang failed to start" in notices[0]
        assert box.enabled() == []
    finally:
        await manager.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def http_server() -> AsyncIterator[str]:
    port = _free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220 (a quick spawn; the fixture owns it)
        [sys.executable, SERVER, "http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + 20
        while True:  # readiness: the port accepts connections
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                assert proc.poll() is None and loop.time() < end, "HTTP MCP server did not start"
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(10)


async def test_streamable_http_server(http_server: str) -> None:
    notices: list[str] = []
    box = Toolbox(ApprovalGate(yolo=True))
    config = McpServerConfig(name="web", url=http_server, headers={"Authorization": "Bearer k"})
    manager = McpManager([config], box, notices.append)
    await manager.start()
    try:
        assert notices == []
        res = await box.call("web__echo", {"text": "over http"})
        assert res == {"ok": True, "result": {"result": "over http"}}
        assert "Bearer" not in repr(config)
    finally:
        await manager.stop()
