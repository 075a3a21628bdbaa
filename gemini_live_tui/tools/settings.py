"""The ``[tools]`` and ``[mcp.servers.NAME]`` config tables: a parsed TOML dict in, frozen
settings out, errors naming the key. The lead wires :func:`parse_tools_settings` into
config.py and cli.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from gemini_live_tui.tools.model import POLICIES, Policy

Enabled = Literal["none", "default", "all"]
# "default" is every tool except run_command (off by default, as in the seed CLI).
DEFAULT_OFF = frozenset({"run_command"})


class ToolsConfigError(ValueError):
    """A bad value in the tools configuration; the message names the key."""


@dataclass(frozen=True)
class McpServerConfig:
    """One MCP server: stdio (``command``...) or streamable HTTP (``url``, ``headers``).

    ``env`` and ``headers`` often hold secrets: the repr shows their keys only.
    """

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    read_only_tools: frozenset[str] = frozenset()

    @property
    def transport(self) -> str:
        return "http" if self.url else "stdio"

    def __repr__(self) -> str:
        where = self.url if self.url else " ".join((self.command or "", *self.args))
        return (
            f"McpServerConfig(name={self.name!r}, {self.transport}: {where!r}, "
            f"env keys={sorted(self.env)}, header keys={sorted(self.headers)})"
        )


@dataclass(frozen=True)
class ToolsSettings:
    enabled: Enabled = "default"
    policies: Mapping[str, Policy] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    yolo: bool = False
    workspace: str | None = None
    servers: tuple[McpServerConfig, ...] = ()

    def tool_enabled(self, name: str) -> bool:
        if self.enabled == "none" or name in self.disabled:
            return False
        return self.enabled == "all" or name not in DEFAULT_OFF


def _str_map(value: Any, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ToolsConfigError(f"{key} must be a table of strings")
    return dict(value)


def _server(name: str, raw: Any) -> McpServerConfig:
    key = f"mcp.servers.{name}"
    if not isinstance(raw, Mapping):
        raise ToolsConfigError(f"{key} must be a table")
    known = {"command", "args", "env", "cwd", "url", "headers", "read_only_tools"}
    for extra in raw:
        if extra not in known:
            raise ToolsConfigError(f"{key}.{extra} is not a known key ({', '.join(sorted(known))})")
    command, url = raw.get("command"), raw.get("url")
    if (command is None) == (url is None):
        raise ToolsConfigError(f"{key} needs exactly one of command (stdio) or url (HTTP)")
    if command is not None and (not isinstance(command, str) or not command):
        raise ToolsConfigError(f"{key}.command must be a non-empty string")
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        raise ToolsConfigError(f"{key}.url must be an http:// or https:// URL")
    args = raw.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise ToolsConfigError(f"{key}.args must be a list of strings")
    cwd = raw.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise ToolsConfigError(f"{key}.cwd must be a string")
    read_only = raw.get("read_only_tools", [])
    if not isinstance(read_only, list) or not all(isinstance(a, str) for a in read_only):
        raise ToolsConfigError(f"{key}.read_only_tools must be a list of tool names")
    if url is not None and (args or raw.get("env") or cwd):
        raise ToolsConfigError(f"{key}: args, env and cwd are for stdio servers only")
    if command is not None and raw.get("headers"):
        raise ToolsConfigError(f"{key}.headers is for HTTP servers only")
    return McpServerConfig(
        name=name,
        command=command,
        args=tuple(args),
        env=_str_map(raw.get("env"), f"{key}.env"),
        cwd=cwd,
        url=url,
        headers=_str_map(raw.get("headers"), f"{key}.headers"),
        read_only_tools=frozenset(read_only),
    )


def parse_tools_settings(data: Mapping[str, Any]) -> ToolsSettings:
    """Read ``[tools]`` and ``[mcp.servers.*]`` from a whole parsed config.toml dict."""
    tools = data.get("tools", {})
    if not isinstance(tools, Mapping):
        raise ToolsConfigError("tools must be a table")
    enabled = tools.get("enabled", "default")
    if enabled not in ("none", "default", "all"):
        raise ToolsConfigError("tools.enabled must be none, default or all")
    yolo = tools.get("yolo", False)
    if not isinstance(yolo, bool):
        raise ToolsConfigError("tools.yolo must be true or false")
    workspace = tools.get("workspace")
    if workspace is not None and not isinstance(workspace, str):
        raise ToolsConfigError("tools.workspace must be a string")
    policies_raw = tools.get("policy", {})
    if not isinstance(policies_raw, Mapping):
        raise ToolsConfigError("tools.policy must be a table of tool = auto|ask|deny")
    policies: dict[str, Policy] = {}
    for name, value in policies_raw.items():
        if value not in POLICIES:
            raise ToolsConfigError(f"tools.policy.{name} must be auto, ask or deny")
        policies[str(name)] = cast(Policy, value)
    disabled = tools.get("disabled", [])
    if not isinstance(disabled, list) or not all(isinstance(d, str) for d in disabled):
        raise ToolsConfigError("tools.disabled must be a list of tool names")
    for extra in tools:
        if extra not in {"enabled", "yolo", "workspace", "policy", "disabled"}:
            raise ToolsConfigError(f"tools.{extra} is not a known key")
    mcp = data.get("mcp", {})
    if not isinstance(mcp, Mapping):
        raise ToolsConfigError("mcp must be a table")
    servers_raw = mcp.get("servers", {})
    if not isinstance(servers_raw, Mapping):
        raise ToolsConfigError("mcp.servers must be a table of [mcp.servers.NAME] tables")
    servers = tuple(_server(str(name), raw) for name, raw in servers_raw.items())
    return ToolsSettings(
        enabled=cast(Enabled, enabled),
        policies=policies,
        disabled=frozenset(disabled),
        yolo=yolo,
        workspace=workspace,
        servers=servers,
    )
