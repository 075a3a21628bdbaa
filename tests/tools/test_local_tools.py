"""The local tools through the toolbox: happy paths, escapes, big and binary files, caps."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from gemini_live_tui.tools.approval import ApprovalGate
from gemini_live_tui.tools.local import (
    COMMAND_OUTPUT_CAP,
    READ_MAX_BYTES,
    CommandTool,
    FileTools,
    TimerFired,
    Timers,
)
from gemini_live_tui.tools.toolbox import Toolbox
from gemini_live_tui.tools.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "README.md").write_text("# Demo\nhello world\n")
    (root / "src" / "app.py").write_text("def main():\n    return 42\n")
    (tmp_path / "secret.txt").write_text("outside\n")
    return root


@pytest.fixture
def box(ws: Path) -> Toolbox:
    workspace = Workspace(ws)
    toolbox = Toolbox(ApprovalGate(yolo=True))
    toolbox.add_all(FileTools(workspace).tools())
    toolbox.add(CommandTool(workspace).tool())
    return toolbox


async def test_list_files(box: Toolbox) -> None:
    flat = await box.call("list_files", {})
    assert flat["ok"]
    assert [e["path"] for e in flat["result"]["entries"]] == ["README.md", "src"]
    deep = await box.call("list_files", {"recursive": True})
    assert "src/app.py" in [e["path"] for e in deep["result"]["entries"]]
    limited = await box.call("list_files", {"recursive": True, "limit": 1})
    assert len(limited["result"]["entries"]) == 1 and limited["result"]["truncated"]


async def test_read_file_window(box: Toolbox, ws: Path) -> None:
    (ws / "many.txt").write_text("".join(f"line {i}\n" for i in range(1, 1001)))
    res = await box.call("read_file", {"path": "many.txt", "start_line": 10, "max_lines": 3})
    assert res["result"]["content"] == "line 10\nline 11\nline 12\n"
    assert res["result"]["end_line"] == 12 and res["result"]["more"]


async def test_huge_file_is_capped(box: Toolbox, ws: Path) -> None:
    (ws / "huge.txt").write_text(("x" * 999 + "\n") * 20_000)  # 20 MB
    res = await box.call("read_file", {"path": "huge.txt", "max_lines": 400})
    assert res["ok"]
    assert len(res["result"]["content"]) <= READ_MAX_BYTES and res["result"]["more"]


async def test_binary_file_refused(box: Toolbox, ws: Path) -> None:
    (ws / "blob.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    res = await box.call("read_file", {"path": "blob.bin"})
    assert not res["ok"] and "binary" in res["error"]["message"]


@pytest.mark.parametrize("path", ["../secret.txt", "src/../../secret.txt", "/etc/passwd"])
async def test_escape_refused(box: Toolbox, path: str) -> None:
    for tool in ("read_file", "list_files"):
        res = await box.call(tool, {"path": path})
        assert not res["ok"] and "outside the workspace" in res["error"]["message"]


async def test_symlink_escape_refused(box: Toolbox, ws: Path) -> None:
    (ws / "link.txt").symlink_to(ws.parent / "secret.txt")
    (ws / "linkdir").symlink_to(ws.parent)
    assert "outside" in (await box.call("read_file", {"path": "link.txt"}))["error"]["message"]
    res = await box.call("write_file", {"path": "linkdir/planted.txt", "content": "x"})
    assert not res["ok"] and not (ws.parent / "planted.txt").exists()
    listing = await box.call("list_files", {})
    kinds = {e["path"]: e["type"] for e in listing["result"]["entries"]}
    assert kinds["link.txt"] == "link (outside workspace)"


async def test_absolute_path_inside_is_fine(box: Toolbox, ws: Path) -> None:
    res = await box.call("read_file", {"path": str(ws / "README.md")})
    assert res["ok"] and "hello" in res["result"]["content"]


async def test_search_files(box: Toolbox, ws: Path) -> None:
    (ws / "blob.bin").write_bytes(b"hello\x00world")
    res = await box.call("search_files", {"pattern": "hel+o"})
    assert [m["path"] for m in res["result"]["matches"]] == ["README.md"]
    (ws / "rep.txt").write_text("needle\n" * 500)
    capped = await box.call("search_files", {"pattern": "needle", "limit": 5})
    assert len(capped["result"]["matches"]) == 5 and capped["result"]["truncated"]
    bad = await box.call("search_files", {"pattern": "("})
    assert not bad["ok"] and "bad pattern" in bad["error"]["message"]


async def test_write_file(box: Toolbox, ws: Path) -> None:
    res = await box.call("write_file", {"path": "notes/todo.txt", "content": "buy milk\n"})
    assert res["ok"] and res["result"]["created"]
    assert (ws / "notes" / "todo.txt").read_text() == "buy milk\n"
    assert not (await box.call("write_file", {"path": "../x", "content": ""}))["ok"]


async def test_write_preview_is_a_diff(ws: Path) -> None:
    preview = FileTools(Workspace(ws)).write_preview({"path": "README.md", "content": "# Demo\n"})
    assert "-hello world" in preview["diff"] and "a/README.md" in preview["diff"]


async def test_run_command(box: Toolbox, ws: Path) -> None:
    res = await box.call("run_command", {"argv": ["ls"]})
    assert res["ok"] and res["result"]["exit_code"] == 0
    assert "README.md" in res["result"]["stdout"]
    shell = await box.call("run_command", {"argv": ["echo", "$HOME;", "rm", "-rf", "/"]})
    assert shell["result"]["stdout"] == "$HOME; rm -rf /\n"  # no shell: nothing expanded
    missing = await box.call("run_command", {"argv": ["no-such-program-xyz"]})
    assert not missing["ok"] and "cannot run" in missing["error"]["message"]
    outside = await box.call("run_command", {"argv": ["ls"], "cwd": ".."})
    assert not outside["ok"]


async def test_run_command_timeout_kills_children(box: Toolbox) -> None:
    code = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "time.sleep(60)\n"
    )
    loop = asyncio.get_running_loop()
    start = loop.time()
    res = await box.call(
        "run_command", {"argv": [sys.executable, "-c", code], "timeout_seconds": 0.5}
    )
    assert res["result"]["timed_out"] and loop.time() - start < 10


async def test_run_command_output_capped(box: Toolbox) -> None:
    code = "import sys; sys.stdout.write('y' * 1_000_000)"
    res = await box.call("run_command", {"argv": [sys.executable, "-c", code]})
    assert len(res["result"]["stdout"]) == COMMAND_OUTPUT_CAP
    assert res["result"]["output_truncated"] and res["result"]["exit_code"] == 0


async def test_set_timer_fires_later() -> None:
    fired: asyncio.Queue[TimerFired] = asyncio.Queue()
    timers = Timers(fired.put_nowait)
    box = Toolbox(ApprovalGate())
    box.add(timers.tool())
    res = await box.call("set_timer", {"seconds": 0.05, "label": "tea"})
    assert res["ok"] and res["result"]["label"] == "tea"
    assert fired.empty()  # answered before it fired
    got = await asyncio.wait_for(fired.get(), 5)
    assert got.label == "tea" and got.timer_id == res["result"]["timer_id"]
    assert not (await box.call("set_timer", {"seconds": -1}))["ok"]
    await box.call("set_timer", {"seconds": 100})
    timers.cancel_all()
    assert timers.pending() == []
