"""Approval policy as data, and the port a UI implements to ask the user.

Each tool has a policy: ``auto`` runs it, ``deny`` refuses it, ``ask`` asks the
:class:`Approver` (a TUI modal, the proxy's page). No answer within the timeout (60 s) is a
denial. "Allow for session" is remembered per tool until the gate is reset. ``yolo``
makes every tool ``auto``, including tools whose policy says ``deny``.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from gemini_live_tui.tools.model import Policy, Tool

APPROVAL_TIMEOUT = 60.0


class Decision(enum.StrEnum):
    ALLOW_ONCE = "allow_once"
    ALLOW_SESSION = "allow_session"
    DENY = "deny"


@dataclass(frozen=True)
class ApprovalRequest:
    """What a UI shows: the tool, its arguments, argv for commands, a diff for writes."""

    tool: str
    source: str
    args: Mapping[str, Any]
    argv: tuple[str, ...] | None = None
    diff: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


class Approver(Protocol):
    async def ask(self, request: ApprovalRequest) -> Decision: ...


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str  # "policy auto", "allowed once", "allowed for session", "denied by the user", ...


class ApprovalGate:
    """Decides each call from the policy table, the approver and remembered session grants."""

    def __init__(
        self,
        *,
        overrides: Mapping[str, Policy] | None = None,
        approver: Approver | None = None,
        yolo: bool = False,
        timeout: float = APPROVAL_TIMEOUT,
    ) -> None:
        self.overrides: dict[str, Policy] = dict(overrides or {})
        self.approver = approver
        self.yolo = yolo
        self.timeout = timeout
        self._session_grants: set[str] = set()

    def policy(self, tool: Tool) -> Policy:
        if self.yolo:
            return "auto"
        return self.overrides.get(tool.name, tool.policy)

    def set_policy(self, name: str, policy: Policy) -> None:
        self.overrides[name] = policy
        self._session_grants.discard(name)

    def reset(self) -> None:
        self._session_grants.clear()

    async def check(self, tool: Tool, args: Mapping[str, Any]) -> Verdict:
        policy = self.policy(tool)
        if policy == "auto":
            return Verdict(True, "policy auto")
        if policy == "deny":
            return Verdict(False, "denied by policy")
        if tool.name in self._session_grants:
            return Verdict(True, "allowed for session")
        if self.approver is None:
            return Verdict(False, "denied: no one to ask for approval")
        extra = dict(tool.preview(dict(args))) if tool.preview else {}
        argv = extra.pop("argv", None)
        diff = extra.pop("diff", None)
        request = ApprovalRequest(
            tool=tool.name,
            source=tool.source,
            args=dict(args),
            argv=tuple(str(a) for a in argv) if isinstance(argv, list | tuple) else None,
            diff=diff if isinstance(diff, str) else None,
            details=extra,
        )
        try:
            decision = await asyncio.wait_for(self.approver.ask(request), self.timeout)
        except TimeoutError:
            return Verdict(False, f"denied: no answer within {self.timeout:g} s")
        if decision is Decision.ALLOW_SESSION:
            self._session_grants.add(tool.name)
            return Verdict(True, "allowed for session")
        if decision is Decision.ALLOW_ONCE:
            return Verdict(True, "allowed once")
        return Verdict(False, "denied by the user")
