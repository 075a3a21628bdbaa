"""Schema cleaning for the Live API: foreign JSON Schemas in, the supported subset out.

MCP servers publish full JSON Schema (``$schema``, ``$ref``/``$defs``, ``anyOf``,
``additionalProperties``, formats, defaults...). The Live API rejects or ignores much of
it, so ``clean_schema`` keeps a small subset: ``$ref`` is inlined (a cycle becomes a plain
object), ``["x", "null"]`` and ``anyOf``/``oneOf`` with a null branch become ``nullable``,
other unions keep their first branch with the alternatives named in the description,
``allOf`` is merged, ``const`` becomes a one-value enum. ``to_openapi`` then uppercases the
types for the ``parameters`` field. ``valid_name`` makes a function name acceptable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

NAME_MAX = 64
_KEEP = ("description", "minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength")
_TYPES = ("string", "number", "integer", "boolean", "array", "object")
_MAX_DEPTH = 12


def valid_name(name: str) -> str:
    """``name`` with characters outside [a-zA-Z0-9_-] replaced, starting with a letter or
    underscore, at most 64 characters (long names keep a hash so two stay distinct)."""
    out = re.sub(r"[^a-zA-Z0-9_-]", "_", name)
    if not out or not (out[0].isalpha() or out[0] == "_"):
        out = "_" + out
    if len(out) > NAME_MAX:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        out = out[: NAME_MAX - 9] + "_" + digest
    return out


def clean_schema(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Live-API subset of a JSON Schema for function parameters (always an object)."""
    if not schema:
        return {"type": "object", "properties": {}}
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = schema.get(key)
        if isinstance(found, Mapping):
            defs.update(found)
    out = _clean(schema, defs, (), 0)
    if out.get("type") != "object":
        out = {"type": "object", "properties": {}}
    out.setdefault("properties", {})
    return out


def _clean(node: Any, defs: Mapping[str, Any], seen: tuple[str, ...], depth: int) -> dict[str, Any]:
    if not isinstance(node, Mapping) or depth > _MAX_DEPTH:
        return {"type": "object"} if depth > _MAX_DEPTH else {}
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        target = defs.get(name)
        if target is None or name in seen:
            # Unresolvable or recursive: a plain object is the honest approximation.
            return _with_description({"type": "object"}, node)
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _clean(merged, defs, (*seen, name), depth + 1)
    for key in ("anyOf", "oneOf"):
        branches = node.get(key)
        if isinstance(branches, list) and branches:
            return _union(node, key, branches, defs, seen, depth)
    all_of = node.get("allOf")
    if isinstance(all_of, list) and all_of:
        merged_node: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        props: dict[str, Any] = dict(merged_node.get("properties") or {})
        required: list[str] = list(merged_node.get("required") or [])
        for part in all_of:
            part_clean = _clean(part, defs, seen, depth + 1)
            props.update(part_clean.get("properties", {}))
            required.extend(part_clean.get("required", []))
            for k, v in part_clean.items():
                if k not in ("properties", "required"):
                    merged_node.setdefault(k, v)
        if props:
            merged_node["properties"] = props
            merged_node.setdefault("type", "object")
        if required:
            merged_node["required"] = required
        return _clean(merged_node, defs, seen, depth + 1)

    out: dict[str, Any] = {}
    kind = node.get("type")
    if isinstance(kind, list):
        non_null = [t for t in kind if t != "null"]
        if len(non_null) < len(kind):
            out["nullable"] = True
        kind = non_null[0] if non_null else "string"
    if node.get("nullable") is True:
        out["nullable"] = True
    if kind is None:
        if "properties" in node:
            kind = "object"
        elif "items" in node:
            kind = "array"
        elif "enum" in node or "const" in node:
            kind = "string"
    if kind in _TYPES:
        out["type"] = kind
    for key in _KEEP:
        value = node.get(key)
        text = key == "description" and isinstance(value, str)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if text or (key != "description" and number):
            out[key] = value
    enum = node.get("enum")
    if "const" in node:
        enum = [node["const"]]
    if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
        # The Live API takes string enums only; other enums are dropped, not coerced.
        out["enum"] = list(enum)
        out["type"] = "string"
    if out.get("type") == "object":
        node_props = node.get("properties")
        cleaned: dict[str, Any] = {}
        if isinstance(node_props, Mapping):
            for name, sub in node_props.items():
                cleaned[str(name)] = _clean(sub, defs, seen, depth + 1)
        out["properties"] = cleaned
        node_required = node.get("required")
        if isinstance(node_required, list):
            kept = [r for r in node_required if r in cleaned]
            if kept:
                out["required"] = kept
    if out.get("type") == "array":
        items = node.get("items")
        out["items"] = _clean(items, defs, seen, depth + 1) if isinstance(items, Mapping) else {}
        if not out["items"]:
            out["items"] = {"type": "string"}
    return out


def _union(
    node: Mapping[str, Any],
    key: str,
    branches: list[Any],
    defs: Mapping[str, Any],
    seen: tuple[str, ...],
    depth: int,
) -> dict[str, Any]:
    rest = {k: v for k, v in node.items() if k != key}
    real = [b for b in branches if not (isinstance(b, Mapping) and b.get("type") == "null")]
    nullable = len(real) < len(branches)
    if not real:
        return {"type": "string", "nullable": True}
    head = {**real[0], **rest} if isinstance(real[0], Mapping) else rest
    first = _clean(head, defs, seen, depth + 1)
    if nullable:
        first["nullable"] = True
    if len(real) > 1:
        kinds = [str(_clean(b, defs, seen, depth + 1).get("type", "value")) for b in real[1:]]
        note = "also accepts: " + ", ".join(kinds)
        old = first.get("description")
        first["description"] = f"{old} ({note})" if old else note
    return first


def _with_description(out: dict[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(node.get("description"), str):
        out["description"] = node["description"]
    return out


def to_openapi(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A cleaned JSON Schema in the OpenAPI subset of ``parameters`` (uppercase types)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            out[key] = value.upper()
        elif key == "properties" and isinstance(value, Mapping):
            out[key] = {k: to_openapi(v) for k, v in value.items()}
        elif key == "items" and isinstance(value, Mapping):
            out[key] = to_openapi(value)
        else:
            out[key] = value
    return out
