"""The tool-approval modal: y / a / n / Esc / timeout, through the real approval gate."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from gemini_live_tui.tools.approval import ApprovalGate, ApprovalRequest, Decision, Verdict
from gemini_live_tui.tools.model import Tool
from gemini_live_tui.tui.widgets.approval import ApprovalScreen, ModalApprover, render_request
from tests.tui.conftest import make_app, wait_for


async def _run(args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True}


def shell_tool() -> Tool:
    return Tool(
        name="run_command",
        description="run a command",
        schema={"type": "object"},
        handler=_run,
        source="local",
        policy="ask",
        preview=lambda args: {"argv": ["rm", "-rf", args["path"]]},
    )


async def ask_through_gate(
    pilot: Any, gate: ApprovalGate, tool: Tool, key: str | None
) -> tuple[Verdict, float]:
    """Start a gate check, wait for the modal, press ``key`` (None: no answer)."""
    app = pilot.app
    task = asyncio.ensure_future(gate.check(tool, {"path": "/tmp/x y"}))
    await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen), what="modal open")
    screen = app.screen
    assert "rm -rf '/tmp/x y'" in str(screen.query_one("#body").query_one("Static").render())
    left = screen.seconds_left
    if key is not None:
        await pilot.press(key)
    await wait_for(pilot, task.done, what="decision")
    assert not isinstance(app.screen, ApprovalScreen)
    return task.result(), left


@pytest.mark.parametrize(
    ("key", "allowed", "reason"),
    [
        ("y", True, "allowed once"),
        ("a", True, "allowed for session"),
        ("n", False, "denied by the user"),
        ("escape", False, "denied by the user"),
    ],
)
async def test_keys_decide(tmp_path: Path, key: str, allowed: bool, reason: str) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        gate = ApprovalGate(approver=ModalApprover(app))
        verdict, left = await ask_through_gate(pilot, gate, shell_tool(), key)
        assert (verdict.allowed, verdict.reason) == (allowed, reason)
        assert 55 < left <= 60
        # "Allow for session" is remembered: the second call asks nobody.
        if key == "a":
            again = await gate.check(shell_tool(), {"path": "z"})
            assert again.reason == "allowed for session"
            assert not isinstance(app.screen, ApprovalScreen)


async def test_no_answer_denies_after_the_countdown(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        approver = ModalApprover(app, timeout=0.3)
        gate = ApprovalGate(approver=approver)
        verdict, _ = await ask_through_gate(pilot, gate, shell_tool(), None)
        assert not verdict.allowed and verdict.reason == "denied by the user"
        assert approver.asked == 1


async def test_gate_timeout_closes_the_dialog(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        gate = ApprovalGate(approver=ModalApprover(app), timeout=0.3)
        verdict, _ = await ask_through_gate(pilot, gate, shell_tool(), None)
        assert verdict.reason == "denied: no answer within 0.3 s"


async def test_the_conversation_goes_on_while_the_dialog_is_open(tmp_path: Path) -> None:
    from tests.tui.test_app import connected, model_entries

    app = make_app(tmp_path, text=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        approver = ModalApprover(app)
        request = ApprovalRequest(tool="write_file", source="local", args={"path": "a.txt"})
        answer = asyncio.ensure_future(approver.ask(request))
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen), what="modal")
        await app.engine.send_line("still talking?")
        await wait_for(pilot, lambda: model_entries(app), what="reply behind the modal")
        assert not answer.done()
        await pilot.press("y")
        assert await answer is Decision.ALLOW_ONCE


def test_render_shows_diffs_args_and_no_escapes() -> None:
    diff = "--- a.txt\n+++ a.txt\n@@ -1 +1 @@\n-old\n+new\x1b[2J"
    text = render_request(
        ApprovalRequest(tool="write_file", source="local", args={"path": "a.txt"}, diff=diff)
    )
    assert "-old" in text.plain and "+new" in text.plain and "\x1b" not in text.plain
    styles = {str(span.style) for span in text.spans}
    assert "green" in styles and "red" in styles
    plain = render_request(
        ApprovalRequest(tool="search", source="mcp:web", args={"q": "x" * 10000})
    ).plain
    assert '"q"' in plain and "more characters" in plain
