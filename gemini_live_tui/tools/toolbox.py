"""The toolbox: lists enabled tools, declares them to the model, runs a call by name.

``call`` never raises for the model's mistakes: an unknown tool, bad arguments, a denial,
a timeout or a tool's own exception all come back as ``{"ok": false, "error": ...}``; the
result is size-capped. Cancellation (``toolCallCancellation``) propagates as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from gemini_live_tui.protocol.types import Behavior, FunctionDeclaration
from gemini_live_tui.tools.approval import ApprovalGate, Verdict
from gemini_live_tui.tools.model import RESULT_CAP, Tool, ToolError, capped, error, ok
from gemini_live_tui.tools.schema import to_openapi

DEFAULT_TIMEOUT = 30.0
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


class Toolbox:
    """Named tools, each on or off, behind one approval gate."""

    def __init__(self, gate: ApprovalGate | None = None, *, result_cap: int = RESULT_CAP) -> None:
        self.gate = gate or ApprovalGate()
        self.result_cap = result_cap
        self._tools: dict[str, Tool] = {}
        self._disabled: set[str] = set()

    def add(self, tool: Tool, *, enabled: bool = True) -> None:
        self._tools[tool.name] = tool
        if enabled:
            self._disabled.discard(tool.name)
        else:
            self._disabled.add(tool.name)

    def add_all(self, tools: Iterable[Tool]) -> None:
        for tool in tools:
            self.add(tool)

    def remove_source(self, source: str) -> None:
        """Drop every tool from ``source`` (an MCP server that went away)."""
        for name in [n for n, t in self._tools.items() if t.source == source]:
            del self._tools[name]

    def set_enabled(self, name: str, enabled: bool) -> bool:
        if name not in self._tools:
            return False
        if enabled:
            self._disabled.discard(name)
        else:
            self._disabled.add(name)
        return True

    def get(self, name: str) -> Tool | None:
        tool = self._tools.get(name)
        return tool if tool is not None and name not in self._disabled else None

    def all_tools(self) -> list[Tool]:
        return list(self._tools.values())

    def enabled(self) -> list[Tool]:
        return [t for n, t in self._tools.items() if n not in self._disabled]

    def is_enabled(self, name: str) -> bool:
        return name in self._tools and name not in self._disabled

    def declarations(
        self, *, json_schema: bool = False, non_blocking: bool = False
    ) -> list[FunctionDeclaration]:
        """The enabled tools as declarations.

        ``json_schema`` picks ``parametersJsonSchema`` over OpenAPI ``parameters`` (some
        model families plan tools as text with the former); ``non_blocking`` marks tools
        that prefer it NON_BLOCKING, for models that support the behaviour.
        """
        out = []
        for tool in self.enabled():
            schema = dict(tool.schema)
            out.append(
                FunctionDeclaration(
                    name=tool.name,
                    description=tool.description,
                    parameters=None if json_schema else to_openapi(schema),
                    parameters_json_schema=schema if json_schema else None,
                    behavior=Behavior.NON_BLOCKING if non_blocking and tool.non_blocking else None,
                )
            )
        return out

    async def call(
        self, name: str, args: Mapping[str, Any] | None, *, time_limit: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """Approve and run ``name``; the function-response dict, never an exception."""
        tool = self.get(name)
        if tool is None:
            return error(f"unknown tool {name!r}")
        if args is not None and not isinstance(args, Mapping):
            return error("arguments must be an object")
        arguments = dict(args or {})
        problem = check_args(tool.schema, arguments)
        if problem:
            return error(f"bad arguments for {name}: {problem}")
        verdict: Verdict = await self.gate.check(tool, arguments)
        if not verdict.allowed:
            return error(verdict.reason)
        return await self.run(tool, arguments, time_limit=time_limit)

    async def run(self, tool: Tool, args: dict[str, Any], *, time_limit: float) -> dict[str, Any]:
        """Run an approved call with a timeout; exceptions become error results."""
        try:
            result = await asyncio.wait_for(tool.handler(args), time_limit)
        except TimeoutError:
            return error(f"{tool.name} timed out after {time_limit:g} s")
        except ToolError as exc:
            return capped(error(str(exc)), self.result_cap)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            message = f"{tool.name} failed: {type(exc).__name__}: {exc}"
            return capped(error(message), self.result_cap)
        if isinstance(result, dict) and isinstance(result.get("ok"), bool):
            return capped(result, self.result_cap)
        return capped(ok(result), self.result_cap)


def check_args(schema: Mapping[str, Any], args: Mapping[str, Any]) -> str | None:
    """The first problem with ``args`` against the top level of ``schema``, or None.

    Only required keys, unknown keys and top-level types: enough to turn a model's slip into
    a readable error; the tool validates the rest itself.
    """
    props = schema.get("properties") or {}
    for key in schema.get("required") or ():
        if key not in args:
            return f"missing required argument {key!r}"
    for key, value in args.items():
        spec = props.get(key)
        if spec is None:
            if props:
                return f"unknown argument {key!r}"
            continue
        kind = spec.get("type")
        if value is None and spec.get("nullable"):
            continue
        types = _JSON_TYPES.get(kind) if isinstance(kind, str) else None
        if types is None:
            continue
        if isinstance(value, bool) and kind in ("integer", "number"):
            return f"argument {key!r} must be {kind}"
        if kind == "integer" and isinstance(value, float) and value.is_integer():
            continue
        if not isinstance(value, types):
            return f"argument {key!r} must be {kind}"
        enum = spec.get("enum")
        if isinstance(enum, list) and value not in enum:
            return f"argument {key!r} must be one of {', '.join(map(str, enum))}"
    return None
