"""Wire helpers of the local Live server: key normalisation, base64, durations, framing.

The server parses client JSON itself rather than through ``gemini_live_tui.protocol``
(see docs/design.md): a bug shared by our codec and our test server would otherwise pass
every test.  Like the real service it accepts lowerCamelCase and snake_case keys at any
depth (google-genai sends a mix) and base64 in the standard or the URL-safe alphabet.
Server frames are pretty-printed camelCase JSON, as the Developer API sends them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

__all__ = [
    "OPAQUE_KEYS",
    "WireError",
    "b64decode",
    "b64encode",
    "camel",
    "close_reason",
    "duration",
    "encode_frame",
    "normalise",
    "parse_frame",
]

# Objects under these keys hold the user's own names (function arguments, tool results,
# schema property names, labels): their keys are data and must reach the reply unchanged.
OPAQUE_KEYS = frozenset(
    {
        "args",
        "response",
        "properties",
        "labels",
        "parametersJsonSchema",
        "responseJsonSchema",
    }
)

_SNAKE_PART = re.compile(r"_([a-z0-9])")


class WireError(ValueError):
    """A client frame that is not a JSON object (the server closes with 1007)."""


def camel(key: str) -> str:
    """``realtime_input`` -> ``realtimeInput``; camelCase keys pass through unchanged."""
    if "_" not in key:
        return key
    return _SNAKE_PART.sub(lambda match: match.group(1).upper(), key)


def normalise(value: Any) -> Any:
    """Rewrite every object key to lowerCamelCase, leaving :data:`OPAQUE_KEYS` subtrees alone."""
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = camel(key) if isinstance(key, str) else key
            result[name] = item if name in OPAQUE_KEYS else normalise(item)
        return result
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


def parse_frame(frame: str | bytes) -> dict[str, Any]:
    """Decode one client frame (text or binary) into a normalised dict."""
    try:
        value = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(f"client frame is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise WireError("client frame is not a JSON object")
    result: dict[str, Any] = normalise(value)
    return result


def encode_frame(message: dict[str, Any]) -> bytes:
    """Serialise a server message the way the Developer API does (2-space indented JSON)."""
    return json.dumps(message, indent=2, ensure_ascii=False).encode("utf-8")


def b64decode(text: str) -> bytes:
    """Decode base64 in either alphabet, with or without padding."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WireError(f"blob data is not base64: {exc}") from exc


def b64encode(data: bytes) -> str:
    """Standard-alphabet base64, as the real server emits."""
    return base64.b64encode(data).decode("ascii")


def duration(seconds: float) -> str:
    """A protobuf JSON duration string: ``50s``, ``1.250s``."""
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{seconds:.3f}s"


def close_reason(text: str) -> str:
    """Cut a close reason to the 123 bytes RFC 6455 allows, on a character boundary."""
    encoded = text.encode("utf-8")
    if len(encoded) <= 123:
        return text
    return encoded[:123].decode("utf-8", errors="ignore")
