"""Schema cleaning for the Live API, valid names, and the [tools]/[mcp.servers] tables."""

from __future__ import annotations

from typing import Any

import pytest

from gemini_live_tui.tools.schema import NAME_MAX, clean_schema, to_openapi, valid_name
from gemini_live_tui.tools.settings import ToolsConfigError, parse_tools_settings


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def test_drops_unsupported_keywords() -> None:
    raw = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Args",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "when": {"type": "string", "format": "date-time", "default": "now", "title": "When"},
            "n": {"type": "integer", "exclusiveMinimum": 0, "minimum": 1, "examples": [3]},
        },
        "required": ["when", "ghost"],
    }
    out = clean_schema(raw)
    assert out == {
        "type": "object",
        "properties": {"when": {"type": "string"}, "n": {"type": "integer", "minimum": 1}},
        "required": ["when"],
    }


def test_refs_inlined_and_cycles_cut() -> None:
    raw = {
        "type": "object",
        "properties": {"point": {"$ref": "#/$defs/Point"}, "node": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "Point": {"type": "object", "properties": {"x": {"type": "number"}}},
            "Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}},
        },
    }
    out = clean_schema(raw)
    assert out["properties"]["point"] == {"type": "object", "properties": {"x": {"type": "number"}}}
    assert out["properties"]["node"]["properties"]["next"] == {"type": "object"}
    assert not _keys(out) & {"$ref", "$defs"}


def test_unions() -> None:
    raw = {
        "type": "object",
        "properties": {
            "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "opt"},
            "either": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            "listed": {"type": ["number", "null"]},
            "fixed": {"const": "yes"},
            "nums": {"enum": [1, 2]},
            "merged": {
                "allOf": [
                    {"type": "object", "properties": {"a": {"type": "string"}}},
                    {"properties": {"b": {"type": "boolean"}}, "required": ["b"]},
                ]
            },
        },
    }
    props = clean_schema(raw)["properties"]
    assert props["maybe"] == {"type": "string", "nullable": True, "description": "opt"}
    assert props["either"]["type"] == "integer" and "string" in props["either"]["description"]
    assert props["listed"] == {"type": "number", "nullable": True}
    assert props["fixed"] == {"type": "string", "enum": ["yes"]}
    assert "enum" not in props["nums"]
    assert set(props["merged"]["properties"]) == {"a", "b"}
    assert props["merged"]["required"] == ["b"]


def test_arrays_and_openapi() -> None:
    out = clean_schema({"type": "object", "properties": {"xs": {"type": "array"}}})
    assert out["properties"]["xs"]["items"] == {"type": "string"}
    assert to_openapi(out)["properties"]["xs"] == {"type": "ARRAY", "items": {"type": "STRING"}}
    assert clean_schema(None) == {"type": "object", "properties": {}}
    assert clean_schema({"type": "string"}) == {"type": "object", "properties": {}}


def test_valid_names() -> None:
    assert valid_name("git.status") == "git_status"
    assert valid_name("1st tool") == "_1st_tool"
    long_a, long_b = valid_name("a" * 100), valid_name("a" * 99 + "b")
    assert len(long_a) == NAME_MAX and long_a != long_b


def test_settings_parse() -> None:
    data = {
        "tools": {"enabled": "all", "yolo": True, "policy": {"read_file": "ask"}},
        "mcp": {
            "servers": {
                "fs": {"command": "npx", "args": ["-y", "fs"], "env": {"TOKEN": "s3cret"}},
                "web": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer k"}},
            }
        },
    }
    got = parse_tools_settings(data)
    assert got.enabled == "all" and got.yolo and got.policies == {"read_file": "ask"}
    fs, web = got.servers
    assert fs.transport == "stdio" and fs.env == {"TOKEN": "s3cret"}
    assert web.transport == "http"
    text = repr(got)
    assert "s3cret" not in text and "Bearer" not in text and "TOKEN" in text
    assert got.tool_enabled("run_command")
    default = parse_tools_settings({})
    assert default.enabled == "default" and not default.tool_enabled("run_command")
    assert default.tool_enabled("read_file")
    assert not parse_tools_settings({"tools": {"enabled": "none"}}).tool_enabled("read_file")


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"tools": {"enabled": "some"}}, "tools.enabled"),
        ({"tools": {"policy": {"x": "maybe"}}}, "tools.policy.x"),
        ({"tools": {"yolo": "yes"}}, "tools.yolo"),
        ({"tools": {"colour": 1}}, "tools.colour"),
        ({"mcp": {"servers": {"a": {}}}}, "mcp.servers.a"),
        ({"mcp": {"servers": {"a": {"command": "x", "url": "http://h"}}}}, "mcp.servers.a"),
        ({"mcp": {"servers": {"a": {"command": "x", "args": "y"}}}}, "mcp.servers.a.args"),
        ({"mcp": {"servers": {"a": {"url": "ftp://h"}}}}, "mcp.servers.a.url"),
        (
            {"mcp": {"servers": {"a": {"url": "http://h", "headers": {"k": 1}}}}},
            "mcp.servers.a.headers",
        ),
        ({"mcp": {"servers": {"a": {"command": "x", "port": 1}}}}, "mcp.servers.a.port"),
    ],
)
def test_settings_errors_name_the_key(data: dict[str, Any], key: str) -> None:
    with pytest.raises(ToolsConfigError, match=key.replace(".", r"\.")):
        parse_tools_settings(data)
