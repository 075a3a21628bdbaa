"""Desktop tools behind a port: the engine implements :class:`DesktopPort`, tests use the fake."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from gemini_live_tui.tools.model import Tool, ToolError

INTERVAL_MIN, INTERVAL_MAX = 0.2, 60.0


class DesktopPort(Protocol):
    """What the app lets the model switch: mic, speaker, screen share."""

    def app_state(self) -> Mapping[str, Any]: ...
    async def set_microphone(self, enabled: bool) -> Mapping[str, Any]: ...
    async def set_speaker(self, enabled: bool) -> Mapping[str, Any]: ...
    async def list_screen_targets(self) -> list[Mapping[str, Any]]: ...
    async def set_screen_share(
        self, enabled: bool, target_id: str | None, interval: float | None
    ) -> Mapping[str, Any]: ...


def _enabled(args: dict[str, Any]) -> bool:
    value = args.get("enabled")
    if not isinstance(value, bool):
        raise ToolError("enabled must be true or false")
    return value


def desktop_tools(port: DesktopPort) -> list[Tool]:
    async def get_state(args: dict[str, Any]) -> Any:
        return dict(port.app_state())

    async def mic(args: dict[str, Any]) -> Any:
        return dict(await port.set_microphone(_enabled(args)))

    async def speaker(args: dict[str, Any]) -> Any:
        return dict(await port.set_speaker(_enabled(args)))

    async def targets(args: dict[str, Any]) -> Any:
        return {"targets": [dict(t) for t in await port.list_screen_targets()]}

    async def share(args: dict[str, Any]) -> Any:
        enabled = _enabled(args)
        target = args.get("target_id")
        if target is not None and not isinstance(target, str):
            raise ToolError("target_id must be a string")
        interval = args.get("interval_seconds")
        if interval is not None:
            if isinstance(interval, bool) or not isinstance(interval, int | float):
                raise ToolError("interval_seconds must be a number")
            interval = max(INTERVAL_MIN, min(INTERVAL_MAX, float(interval)))
        if enabled and not target:
            known = [str(t.get("id")) for t in await port.list_screen_targets()]
            raise ToolError(
                "target_id is required to share; call list_screen_targets (ids: "
                + ", ".join(known[:10])
                + ")"
            )
        return dict(await port.set_screen_share(enabled, target, interval))

    switch = {
        "type": "object",
        "properties": {"enabled": {"type": "boolean", "description": "On (true) or off."}},
        "required": ["enabled"],
    }
    return [
        Tool(
            "get_app_state",
            "Get the app's state: microphone, speaker and screen share on or off.",
            {"type": "object", "properties": {}},
            get_state,
            read_only=True,
            policy="auto",
            source="desktop",
        ),
        Tool(
            "set_microphone",
            "Turn the user's microphone on or off.",
            switch,
            mic,
            policy="auto",
            source="desktop",
        ),
        Tool(
            "set_speaker",
            "Turn the speaker (your voice) on or off.",
            switch,
            speaker,
            policy="auto",
            source="desktop",
        ),
        Tool(
            "list_screen_targets",
            "List the screens and windows that can be shared, with their ids.",
            {"type": "object", "properties": {}},
            targets,
            read_only=True,
            policy="auto",
            source="desktop",
        ),
        Tool(
            "set_screen_share",
            "Start or stop sharing a screen or window (target_id from list_screen_targets).",
            {
                "type": "object",
                "properties": {
                    "enabled": {"type": "boolean", "description": "Start (true) or stop."},
                    "target_id": {"type": "string", "description": "Screen or window id."},
                    "interval_seconds": {
                        "type": "number",
                        "description": "Seconds between frames.",
                    },
                },
                "required": ["enabled"],
            },
            share,
            # Sharing shows the model the screen: the user says yes first.
            policy="ask",
            source="desktop",
        ),
    ]
