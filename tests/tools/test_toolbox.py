"""The toolbox and the approval gate: errors never raise, policies, approver, declarations."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from gemini_live_tui.protocol.types import Behavior
from gemini_live_tui.tools.approval import ApprovalGate, Decision
from gemini_live_tui.tools.desktop import desktop_tools
from gemini_live_tui.tools.fakes import FakeApprover, FakeDesktop
from gemini_live_tui.tools.local import CommandTool, FileTools, Timers
from gemini_live_tui.tools.model import Tool, ToolError, capped
from gemini_live_tui.tools.toolbox import Toolbox
from gemini_live_tui.tools.workspace import Workspace


async def _echo(args: dict[str, Any]) -> Any:
    return args


def _tool(name: str = "echo", **kw: Any) -> Tool:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    return Tool(name, "Echo.", schema, kw.pop("handler", _echo), policy="auto", **kw)


async def test_errors_are_results() -> None:
    async def boom(args: dict[str, Any]) -> Any:
        raise RuntimeError("kaput")

    async def slow(args: dict[str, Any]) -> Any:
        await asyncio.Event().wait()

    async def refuses(args: dict[str, Any]) -> Any:
        raise ToolError("nope")

    box = Toolbox()
    box.add(_tool())
    box.add(_tool("boom", handler=boom))
    box.add(_tool("slow", handler=slow))
    box.add(_tool("refuses", handler=refuses))
    assert await box.call("echo", {"n": 1}) == {"ok": True, "result": {"n": 1}}
    assert "unknown tool" in (await box.call("nope", {}))["error"]["message"]
    assert "missing required" in (await box.call("echo", {}))["error"]["message"]
    assert "must be integer" in (await box.call("echo", {"n": "x"}))["error"]["message"]
    assert "unknown argument" in (await box.call("echo", {"n": 1, "z": 2}))["error"]["message"]
    assert "kaput" in (await box.call("boom", {"n": 1}))["error"]["message"]
    assert (await box.call("refuses", {"n": 1}))["error"]["message"] == "nope"
    res = await box.call("slow", {"n": 1}, time_limit=0.05)
    assert "timed out" in res["error"]["message"]
    box.set_enabled("echo", False)
    assert not (await box.call("echo", {"n": 1}))["ok"]


async def test_results_are_size_capped() -> None:
    async def big(args: dict[str, Any]) -> Any:
        return "z" * 500_000

    box = Toolbox(result_cap=10_000)
    box.add(_tool("big", handler=big))
    res = await box.call("big", {"n": 1})
    assert res["ok"] and res["truncated"] and len(res["result"]) < 10_000
    assert capped({"ok": True, "result": 1}) == {"ok": True, "result": 1}


def test_declarations_both_schema_styles() -> None:
    box = Toolbox()
    box.add(_tool())
    box.add(_tool("bg", non_blocking=True))
    open_api = box.declarations()
    assert open_api[0].parameters == {
        "type": "OBJECT",
        "properties": {"n": {"type": "INTEGER"}},
        "required": ["n"],
    }
    assert open_api[0].parameters_json_schema is None and open_api[1].behavior is None
    json_style = box.declarations(json_schema=True, non_blocking=True)
    assert json_style[0].parameters is None
    assert json_style[0].parameters_json_schema["properties"]["n"]["type"] == "integer"
    assert json_style[0].behavior is None and json_style[1].behavior is Behavior.NON_BLOCKING


def _gate_box(tmp_path: Path, gate: ApprovalGate) -> Toolbox:
    ws = Workspace(tmp_path)
    box = Toolbox(gate)
    box.add_all(FileTools(ws).tools())
    box.add(CommandTool(ws).tool())
    return box


async def test_default_policies(tmp_path: Path) -> None:
    box = _gate_box(tmp_path, ApprovalGate())
    policies = {t.name: box.gate.policy(t) for t in box.all_tools()}
    assert policies == {
        "list_files": "auto",
        "read_file": "auto",
        "search_files": "auto",
        "write_file": "ask",
        "run_command": "ask",
    }
    # "ask" with nobody to ask is a denial, and nothing is written.
    res = await box.call("write_file", {"path": "a.txt", "content": "x"})
    assert not res["ok"] and not (tmp_path / "a.txt").exists()
    yolo = _gate_box(tmp_path, ApprovalGate(yolo=True, overrides={"run_command": "deny"}))
    assert {yolo.gate.policy(t) for t in yolo.all_tools()} == {"auto"}


async def test_deny_override(tmp_path: Path) -> None:
    box = _gate_box(tmp_path, ApprovalGate(overrides={"list_files": "deny"}))
    assert (await box.call("list_files", {}))["error"]["message"] == "denied by policy"


@pytest.mark.parametrize(
    ("decision", "written", "asked_twice"),
    [
        (Decision.ALLOW_ONCE, True, True),
        (Decision.ALLOW_SESSION, True, False),
        (Decision.DENY, False, True),
    ],
)
async def test_approver_decisions(
    tmp_path: Path, decision: Decision, written: bool, asked_twice: bool
) -> None:
    approver = FakeApprover(decision)
    box = _gate_box(tmp_path, ApprovalGate(approver=approver))
    first = await box.call("write_file", {"path": "a.txt", "content": "new\n"})
    await box.call("write_file", {"path": "b.txt", "content": "x"})
    assert first["ok"] is written and (tmp_path / "a.txt").exists() is written
    assert len(approver.requests) == (2 if asked_twice else 1)
    assert approver.requests[0].diff and "+new" in approver.requests[0].diff
    if not written:
        assert first["error"]["message"] == "denied by the user"


async def test_approver_sees_argv(tmp_path: Path) -> None:
    approver = FakeApprover(Decision.ALLOW_ONCE)
    box = _gate_box(tmp_path, ApprovalGate(approver=approver))
    assert (await box.call("run_command", {"argv": ["echo", "hi"]}))["ok"]
    assert approver.requests[0].argv == ("echo", "hi")


async def test_approver_timeout_is_denial(tmp_path: Path) -> None:
    box = _gate_box(tmp_path, ApprovalGate(approver=FakeApprover(None), timeout=0.05))
    res = await box.call("run_command", {"argv": ["echo", "hi"]})
    assert not res["ok"] and "no answer within" in res["error"]["message"]


async def test_desktop_tools_through_port() -> None:
    desk = FakeDesktop()
    box = Toolbox(ApprovalGate(approver=FakeApprover(Decision.ALLOW_ONCE)))
    box.add_all(desktop_tools(desk))
    assert (await box.call("set_microphone", {"enabled": True}))["ok"]
    assert desk.state["microphone"] is True
    targets = (await box.call("list_screen_targets", {}))["result"]["targets"]
    assert targets[0]["id"] == "screen-0"
    need_target = await box.call("set_screen_share", {"enabled": True})
    assert "target_id is required" in need_target["error"]["message"]
    share = await box.call(
        "set_screen_share", {"enabled": True, "target_id": "window-42", "interval_seconds": 0.01}
    )
    assert share["ok"] and desk.state["screen_share"]["interval_seconds"] == 0.2
    bad = await box.call("set_screen_share", {"enabled": True, "target_id": "nope"})
    assert not bad["ok"]
    state = await box.call("get_app_state", {})
    assert state["result"]["microphone"] is True


def test_timer_prefers_non_blocking() -> None:
    tool = Timers(lambda fired: None).tool()
    assert tool.non_blocking and tool.scheduling is not None
