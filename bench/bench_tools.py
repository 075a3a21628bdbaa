"""Overhead of a tool round trip through the toolbox, against the raw function call.

A trivial local tool (echo) and a trivial MCP tool over stdio (tests/tools/mcp_server.py's
``echo``), each called N times; the median per call is printed. Targets: under 5 ms local
and 20 ms MCP. Run: ``python bench/bench_tools.py [N]``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from gemini_live_tui.tools.approval import ApprovalGate
from gemini_live_tui.tools.mcp_client import McpManager
from gemini_live_tui.tools.model import Tool
from gemini_live_tui.tools.settings import McpServerConfig
from gemini_live_tui.tools.toolbox import Toolbox

SERVER = str(Path(__file__).resolve().parent.parent / "tests" / "tools" / "mcp_server.py")


async def _echo(args: dict[str, Any]) -> Any:
    return args


async def _timed(call: Any, n: int) -> float:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


async def main(n: int) -> None:
    box = Toolbox(ApprovalGate(yolo=True))
    schema = {"type": "object", "properties": {"text": {"type": "string"}}}
    box.add(Tool("echo", "Echo.", schema, _echo, policy="auto"))
    raw = await _timed(lambda: _echo({"text": "hi"}), n)
    local = await _timed(lambda: box.call("echo", {"text": "hi"}), n)
    config = McpServerConfig(name="b", command=sys.executable, args=(SERVER,))
    manager = McpManager([config], box, print)
    await manager.start()
    try:
        session = manager.servers["b"].session
        assert session is not None
        mcp_raw = await _timed(lambda: session.call_tool("echo", {"text": "hi"}), n)
        mcp = await _timed(lambda: box.call("b__echo", {"text": "hi"}), n)
    finally:
        await manager.stop()
    print(f"calls per case: {n}")
    print(f"raw function call      {raw:8.4f} ms")
    print(f"local tool via toolbox {local:8.4f} ms  (overhead {local - raw:.4f} ms, target < 5)")
    print(f"MCP call_tool raw      {mcp_raw:8.4f} ms")
    print(f"MCP tool via toolbox   {mcp:8.4f} ms  (target < 20)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
