"""Fakes for the tools' ports: a desktop that records switches, an approver that answers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from gemini_live_tui.tools.approval import ApprovalRequest, Decision


class FakeDesktop:
    """A :class:`~gemini_live_tui.tools.desktop.DesktopPort` keeping its state in a dict."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {"microphone": False, "speaker": True, "screen_share": None}
        self.targets = [
            {"id": "screen-0", "kind": "screen", "title": "Screen 1 (1920x1080)"},
            {"id": "window-42", "kind": "window", "title": "Terminal"},
        ]

    def app_state(self) -> Mapping[str, Any]:
        return dict(self.state)

    async def set_microphone(self, enabled: bool) -> Mapping[str, Any]:
        self.state["microphone"] = enabled
        return {"microphone": enabled}

    async def set_speaker(self, enabled: bool) -> Mapping[str, Any]:
        self.state["speaker"] = enabled
        return {"speaker": enabled}

    async def list_screen_targets(self) -> list[Mapping[str, Any]]:
        return list(self.targets)

    async def set_screen_share(
        self, enabled: bool, target_id: str | None, interval: float | None
    ) -> Mapping[str, Any]:
        if enabled and target_id not in {t["id"] for t in self.targets}:
            return {"ok": False, "error": {"message": f"no screen target {target_id!r}"}}
        self.state["screen_share"] = (
            {"target_id": target_id, "interval_seconds": interval or 1.0} if enabled else None
        )
        return {"screen_share": self.state["screen_share"]}


class FakeApprover:
    """Answers every request with ``decision``; ``None`` never answers (to test the timeout)."""

    def __init__(self, decision: Decision | None) -> None:
        self.decision = decision
        self.requests: list[ApprovalRequest] = []

    async def ask(self, request: ApprovalRequest) -> Decision:
        self.requests.append(request)
        if self.decision is None:
            await asyncio.Event().wait()
        assert self.decision is not None
        return self.decision
