"""Property tests: decode raises nothing but DecodeError, whatever arrives on the socket."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec import inspect as mi

from gemini_live_tui.protocol import codec, events, types
from tests.protocol.frames import recorded_dev_session, recorded_vertex_session

_EVENT_TYPES = tuple(getattr(events, name) for name in events.__all__ if name not in {"Event"})


def _wire_names(*roots: type) -> list[str]:
    """Every camelCase key our schema knows, so random trees hit real fields."""
    names: set[str] = set()
    seen: set[type] = set()

    def walk(tp: mi.Type) -> None:
        if isinstance(tp, mi.StructType) and tp.cls not in seen:
            seen.add(tp.cls)
            for field in tp.fields:
                names.add(field.encode_name)
                names.add(field.name)
                walk(field.type)
        elif isinstance(tp, mi.UnionType):
            for member in tp.types:
                walk(member)
        elif isinstance(tp, mi.ListType | mi.DictType):
            walk(tp.item_type if isinstance(tp, mi.ListType) else tp.value_type)

    for root in roots:
        walk(mi.type_info(root))
    return sorted(names)


KEYS = st.sampled_from([*_wire_names(types.ServerMessage, types.ClientMessage), "error", "x"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["AAAA", "-_-_", "AA", "50s", "1.5s", "audio/pcm;rate=16000", "42", ""])
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(KEYS | st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=40,
)
VALID_FRAMES = [*recorded_dev_session(), *recorded_vertex_session()]


def check_decode(frame: bytes | str) -> None:
    try:
        message = codec.decode(frame)
    except codec.DecodeError as error:
        assert len(error.excerpt) <= 80
        return
    assert isinstance(message, types.ServerMessage)
    produced = codec.to_events(message)
    assert all(isinstance(event, _EVENT_TYPES) for event in produced)


def check_decode_client(frame: bytes | str) -> None:
    try:
        message = codec.decode_client(frame)
    except codec.DecodeError:
        return
    # Whatever decodes must encode again.
    codec.encode(message)


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(frame: bytes) -> None:
    check_decode(frame)
    check_decode_client(frame)


@FUZZ
@given(st.text(max_size=200))
def test_random_text(frame: str) -> None:
    check_decode(frame)


@FUZZ
@given(JSON)
def test_random_json_trees(tree: Any) -> None:
    frame = json.dumps(tree).encode()
    check_decode(frame)
    check_decode(json.dumps(tree, indent=2))
    check_decode_client(frame)


@FUZZ
@given(st.dictionaries(KEYS, JSON, min_size=1, max_size=4))
def test_random_objects_with_known_keys(tree: dict[str, Any]) -> None:
    frame = json.dumps(tree).encode()
    check_decode(frame)
    check_decode_client(frame)


@FUZZ
@given(
    st.sampled_from(VALID_FRAMES),
    st.lists(
        st.tuples(st.sampled_from(["flip", "delete", "insert", "truncate"]), st.integers(0, 2**16)),
        min_size=1,
        max_size=4,
    ),
    st.binary(min_size=1, max_size=3),
)
def test_mutated_valid_frames(frame: bytes, edits: list[tuple[str, int]], junk: bytes) -> None:
    data = bytearray(frame)
    for op, position in edits:
        if not data:
            break
        at = position % len(data)
        if op == "flip":
            data[at] ^= junk[0] or 1
        elif op == "delete":
            del data[at : at + len(junk)]
        elif op == "insert":
            data[at:at] = junk
        else:
            del data[at:]
    check_decode(bytes(data))


@FUZZ
@given(st.sampled_from(VALID_FRAMES), JSON, st.lists(KEYS, min_size=1, max_size=4))
def test_valid_frames_with_a_random_subtree(frame: bytes, subtree: Any, path: list[str]) -> None:
    """Graft a random value somewhere inside a real frame: type errors, not crashes."""
    tree = msgspec.json.decode(frame)
    node = tree
    for key in path[:-1]:
        child = node.get(key) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[path[-1]] = subtree
    check_decode(json.dumps(tree))


def test_deep_nesting_is_a_decode_error() -> None:
    for frame in (b"[" * 100_000, b'{"a":' * 100_000, b'{"toolCall":{"x":' + b"[" * 100_000):
        check_decode(frame)
        check_decode_client(frame)
