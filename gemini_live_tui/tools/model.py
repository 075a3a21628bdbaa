"""The tool model: what a tool is, how a result looks, and the size cap on results."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gemini_live_tui.protocol.types import FunctionResponseScheduling

Policy = Literal["auto", "ask", "deny"]
POLICIES: tuple[Policy, ...] = ("auto", "ask", "deny")

Handler = Callable[[dict[str, Any]], Awaitable[Any]]
# Extra lines an approval prompt shows (argv for commands, a diff for writes).
Preview = Callable[[dict[str, Any]], Mapping[str, Any]]

RESULT_CAP = 64 * 1024  # bytes of JSON per function response; the model gets a note beyond it


class ToolError(Exception):
    """A failure the model should read: its message becomes the error result."""


@dataclass(frozen=True)
class Tool:
    """One function the model may call.

    ``schema`` is a JSON Schema object for the arguments (lowercase types); the toolbox
    converts it to the OpenAPI subset when the model family wants ``parameters``.
    ``non_blocking`` is the tool's preference where the model supports NON_BLOCKING;
    ``scheduling`` is what the model should do when the result arrives.
    """

    name: str
    description: str
    schema: Mapping[str, Any]
    handler: Handler = field(repr=False, compare=False)
    read_only: bool = False
    policy: Policy = "ask"
    non_blocking: bool = False
    scheduling: FunctionResponseScheduling | None = None
    source: str = "local"
    preview: Preview | None = field(default=None, repr=False, compare=False)


def ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def error(message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"message": message}}


def capped(response: dict[str, Any], cap: int = RESULT_CAP) -> dict[str, Any]:
    """The response itself when its JSON fits ``cap`` bytes, else a truncated text of it.

    The model gets the start of the result as a string plus ``truncated: true`` rather than
    an error, so a long listing is still useful.
    """
    text = json.dumps(response, ensure_ascii=False, default=str)
    raw = text.encode()
    if len(raw) <= cap:
        return response
    if not response.get("ok"):
        message = str(response.get("error", {}).get("message", ""))[: cap // 2]
        return error(message + " [truncated]")
    head = raw[: max(0, cap - 200)].decode(errors="ignore")
    return {"ok": True, "result": head, "truncated": True, "original_bytes": len(raw)}
