"""Property round trips over the whole schema, generated from the structs' own type info.

Any client message survives ``encode`` -> ``decode_client`` and any server message survives
``encode`` -> ``decode``, with every field at any depth; the URL-safe alphabet and
snake_case keys (what the Python SDK sends) give the same result.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

import msgspec
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from msgspec import inspect as mi

from gemini_live_tui.protocol import codec, events, types

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3)
    ),
    max_leaves=8,
)


def strategy(tp: mi.Type) -> st.SearchStrategy[Any]:
    if isinstance(tp, mi.StructType):
        return _struct_strategy(tp.cls)
    if isinstance(tp, mi.UnionType):
        return st.one_of(*(strategy(member) for member in tp.types))
    if isinstance(tp, mi.ListType):
        return st.lists(strategy(tp.item_type), max_size=2)
    if isinstance(tp, mi.DictType):
        return st.dictionaries(st.text(max_size=6), strategy(tp.value_type), max_size=3)
    if isinstance(tp, mi.NoneType):
        return st.none()
    if isinstance(tp, mi.BoolType):
        return st.booleans()
    if isinstance(tp, mi.IntType):
        return st.integers(min_value=-(2**31), max_value=2**31 - 1)
    if isinstance(tp, mi.FloatType):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(tp, mi.StrType):
        return st.text(max_size=10)
    if isinstance(tp, mi.BytesType):
        return st.binary(max_size=24)
    if isinstance(tp, mi.EnumType):
        return st.sampled_from(list(tp.cls))
    if isinstance(tp, mi.CustomType) and tp.cls is types.Int64:
        return st.integers(min_value=-(2**63), max_value=2**64 - 1)
    if isinstance(tp, mi.AnyType):
        return JSON_VALUES
    raise AssertionError(f"no strategy for {tp!r}")


@functools.cache
def _struct_strategy(cls: type) -> st.SearchStrategy[Any]:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    required = {f.name: strategy(f.type) for f in info.fields if f.required}
    optional = {f.name: strategy(f.type) for f in info.fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: cls(**kw))


CLIENT_FIELDS = [f.name for f in msgspec.structs.fields(types.ClientMessage)]
SERVER_FIELDS = [f.name for f in msgspec.structs.fields(types.ServerMessage)]


def _one_field_of(cls: type, names: list[str]) -> st.SearchStrategy[Any]:
    info = {f.name: f for f in mi.type_info(cls).fields}  # type: ignore[attr-defined]

    def payload(name: str) -> st.SearchStrategy[Any]:
        member = next(t for t in info[name].type.types if isinstance(t, mi.StructType))
        return _struct_strategy(member.cls).map(lambda value: cls(**{name: value}))

    return st.one_of(*(payload(name) for name in names))


CLIENT_MESSAGES = _one_field_of(types.ClientMessage, CLIENT_FIELDS)
SERVER_MESSAGES = st.lists(
    _one_field_of(types.ServerMessage, SERVER_FIELDS), min_size=1, max_size=3
).map(
    lambda parts: types.ServerMessage(
        **{
            name: getattr(part, name)
            for part in parts
            for name in SERVER_FIELDS
            if getattr(part, name) is not None
        }
    )
)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _to_urlsafe_and_snake(value: Any, tp: mi.Type) -> Any:
    """Rewrite a wire tree as the Python SDK would send it: snake keys, URL-safe base64."""
    if isinstance(tp, mi.UnionType):
        for member in tp.types:
            if isinstance(member, mi.StructType) and isinstance(value, dict):
                return _to_urlsafe_and_snake(value, member)
            if isinstance(member, mi.ListType) and isinstance(value, list):
                return _to_urlsafe_and_snake(value, member)
            if isinstance(member, mi.BytesType) and isinstance(value, str):
                return _to_urlsafe_and_snake(value, member)
        return value
    if isinstance(tp, mi.StructType):
        fields = {f.encode_name: f for f in tp.fields}
        return {
            fields[key].name: _to_urlsafe_and_snake(item, fields[key].type)
            for key, item in value.items()
        }
    if isinstance(tp, mi.ListType):
        return [_to_urlsafe_and_snake(item, tp.item_type) for item in value]
    if isinstance(tp, mi.BytesType):
        return base64.urlsafe_b64encode(base64.b64decode(value)).decode().rstrip("=")
    return value


@PROPERTY
@given(CLIENT_MESSAGES)
def test_client_messages_round_trip(message: types.ClientMessage) -> None:
    frame = codec.encode(message)
    event(f"frame > 1 kB: {len(frame) > 1000}")
    assert codec.decode_client(frame) == message
    sdk_style = _to_urlsafe_and_snake(json.loads(frame), mi.type_info(types.ClientMessage))
    assert codec.decode_client(json.dumps(sdk_style)) == message


@PROPERTY
@given(SERVER_MESSAGES)
def test_server_messages_round_trip(message: types.ServerMessage) -> None:
    frame = msgspec.json.encode(message, enc_hook=int)
    event(f"frame > 1 kB: {len(frame) > 1000}")
    decoded = codec.decode(frame)
    assert decoded == message
    assert codec.decode(json.dumps(json.loads(frame), indent=2)) == message
    produced = codec.to_events(decoded)
    assert all(isinstance(event, msgspec.Struct) for event in produced)
    assert type(produced[-1]) is events.GoAway if message.go_away is not None else True


@PROPERTY
@given(SERVER_MESSAGES)
def test_server_messages_with_urlsafe_base64_decode_the_same(message: types.ServerMessage) -> None:
    tree = json.loads(msgspec.json.encode(message, enc_hook=int))
    urlsafe = _to_urlsafe_and_snake(tree, mi.type_info(types.ServerMessage))
    # Keep camelCase keys (the server's), but use the URL-safe alphabet without padding.
    camel = _camel_keys(urlsafe, mi.type_info(types.ServerMessage))
    assert codec.decode(json.dumps(camel)) == message


def _camel_keys(value: Any, tp: mi.Type) -> Any:
    if isinstance(tp, mi.UnionType):
        for member in tp.types:
            if isinstance(member, mi.StructType) and isinstance(value, dict):
                return _camel_keys(value, member)
            if isinstance(member, mi.ListType) and isinstance(value, list):
                return _camel_keys(value, member)
        return value
    if isinstance(tp, mi.StructType):
        fields = {f.name: f for f in tp.fields}
        return {
            fields[key].encode_name: _camel_keys(item, fields[key].type)
            for key, item in value.items()
        }
    if isinstance(tp, mi.ListType):
        return [_camel_keys(item, tp.item_type) for item in value]
    return value
