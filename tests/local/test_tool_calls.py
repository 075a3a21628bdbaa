"""Tool calls on the local server: phrase planning (units) and wire round trips (loopback).

The wire tests declare the app's real tools (``gemini_live_tui.tools``) and answer each
``toolCall`` by running them in a temporary workspace, so a reply that "names the files"
names files that exist.
"""

from __future__ import annotations

import asyncio
import random
import re
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from gemini_live_tui.local import Fault, LocalLiveServer
from gemini_live_tui.local.tool_calls import (
    ABORTED,
    Call,
    Search,
    behavior_for,
    declared,
    describe_result,
    follow_up,
    new_call_id,
    pending_input_rule,
    plan,
    scheduling_of,
)
from gemini_live_tui.model_contracts import contract_for
from gemini_live_tui.tools.approval import ApprovalGate
from gemini_live_tui.tools.desktop import desktop_tools
from gemini_live_tui.tools.fakes import FakeDesktop
from gemini_live_tui.tools.local import CommandTool, FileTools, Timers
from gemini_live_tui.tools.model import Tool
from gemini_live_tui.tools.schema import to_openapi
from gemini_live_tui.tools.toolbox import Toolbox
from gemini_live_tui.tools.workspace import Workspace

from .helpers import LiveClient, audio_message, open_client, text_of, tone, transcript_of

Message = dict[str, Any]
M31 = "models/gemini-3.1-flash-live-preview"
M25 = "models/gemini-2.5-flash-native-audio-preview-12-2025"
M38 = "models/gemini-3.8-live"


# ---------------------------------------------------------------------- fixtures


def app_tools(root: Path, desktop: FakeDesktop) -> Toolbox:
    box = Toolbox(ApprovalGate(yolo=True))
    workspace = Workspace(root)
    box.add_all(FileTools(workspace).tools())
    box.add(CommandTool(workspace).tool())
    box.add(Timers(lambda fired: None).tool())
    box.add_all(desktop_tools(desktop))
    return box


def wire_tools(
    tools: list[Tool], *, behavior: str | None = None, search: bool = False
) -> list[Message]:
    declarations = []
    for tool in tools:
        declaration: Message = {
            "name": tool.name,
            "description": tool.description,
            "parameters": to_openapi(dict(tool.schema)),
        }
        if behavior is not None:
            declaration["behavior"] = behavior
        declarations.append(declaration)
    wire: list[Message] = [{"functionDeclarations": declarations}]
    if search:
        wire.append({"googleSearch": {}})
    return wire


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "README.md").write_text("# Demo project\n\nSome text.\n")
    (tmp_path / "notes.txt").write_text("TODO: buy milk\n")
    (tmp_path / "src").mkdir()
    return tmp_path


@pytest.fixture
def desktop() -> FakeDesktop:
    return FakeDesktop()


@pytest.fixture
def box(workspace: Path, desktop: FakeDesktop) -> Toolbox:
    return app_tools(workspace, desktop)


def setup_for(
    box: Toolbox,
    model: str = M31,
    modality: str = "TEXT",
    *,
    behavior: str | None = None,
    search: bool = False,
    **extra: Any,
) -> Message:
    return {
        "model": model,
        "generationConfig": {"responseModalities": [modality]},
        "tools": wire_tools(box.all_tools(), behavior=behavior, search=search),
        **extra,
    }


def content(message: Message) -> Message:
    value: Message = message.get("serverContent", {})
    return value


async def next_call(client: LiveClient) -> list[Message]:
    messages = await client.until(lambda m: "toolCall" in m)
    calls: list[Message] = messages[-1]["toolCall"]["functionCalls"]
    return calls


async def answer(
    client: LiveClient, box: Toolbox, calls: list[Message], **fields: Any
) -> list[Message]:
    """Run each call with the real toolbox and send one toolResponse; the responses sent."""
    responses = []
    for call in calls:
        result = await box.call(call["name"], call["args"])
        responses.append({"id": call["id"], "name": call["name"], "response": result, **fields})
    await client.send({"toolResponse": {"functionResponses": responses}})
    return responses


async def closed_with(client: LiveClient) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as info:
        async with asyncio.timeout(10):
            while True:
                await client.ws.recv()
    received = info.value.rcvd
    assert received is not None, "expected a close frame"
    return received.code, received.reason


# ---------------------------------------------------------------------- planner units

PHRASES = [
    ("list the files", Call("list_files", {"path": "."})),
    ("Please list the files in src.", Call("list_files", {"path": "src"})),
    ("what files are there?", Call("list_files", {"path": "."})),
    ("read README.md", Call("read_file", {"path": "README.md"})),
    ("open src/main.py", Call("read_file", {"path": "src/main.py"})),
    ("cat the file LICENSE", Call("read_file", {"path": "LICENSE"})),
    ("could you read the file docs/notes.txt?", Call("read_file", {"path": "docs/notes.txt"})),
    ("run ls", Call("run_command", {"argv": ["ls"]})),
    ("run the command ls -la", Call("run_command", {"argv": ["ls", "-la"]})),
    ("run ls .", Call("run_command", {"argv": ["ls", "."]})),
    ('run `echo "hi there"`', Call("run_command", {"argv": ["echo", "hi there"]})),
    ("set a timer for 2 seconds", Call("set_timer", {"seconds": 2, "label": "timer"})),
    (
        "Set a timer for 5 minutes to check the oven.",
        Call("set_timer", {"seconds": 300, "label": "check the oven"}),
    ),
    ("remind me in ten seconds", Call("set_timer", {"seconds": 10, "label": "timer"})),
    ("set a timer for 1.5 s", Call("set_timer", {"seconds": 1.5, "label": "timer"})),
    ("share my screen", Call("list_screen_targets", {}, intent="share_screen")),
    ("stop sharing my screen", Call("set_screen_share", {"enabled": False})),
    ("which windows can you see?", Call("list_screen_targets", {})),
    ("mute the mic", Call("set_microphone", {"enabled": False})),
    ("turn the microphone on", Call("set_microphone", {"enabled": True})),
    ("unmute the speaker", Call("set_speaker", {"enabled": True})),
    ("turn off your voice", Call("set_speaker", {"enabled": False})),
    ("what is the app state?", Call("get_app_state", {})),
    ("search the files for TODO", Call("search_files", {"pattern": "TODO"})),
    ("grep 'def main'", Call("search_files", {"pattern": "def main"})),
    (
        "write 'hello' to notes/hi.txt",
        Call("write_file", {"path": "notes/hi.txt", "content": "hello"}),
    ),
]


@pytest.mark.parametrize(("text", "expected"), PHRASES, ids=[p[0] for p in PHRASES])
def test_phrases_plan_calls_of_the_app_tools(box: Toolbox, text: str, expected: Call) -> None:
    tools = declared(wire_tools(box.all_tools()))
    assert plan(text, tools) == (expected,)


def test_plain_talk_plans_nothing(box: Toolbox) -> None:
    tools = declared(wire_tools(box.all_tools()))
    talk = ["hello there", "how are you?", "read", "open the file", "open source rocks", ""]
    for text in talk:
        assert plan(text, tools) is None, text


def test_only_declared_tools_are_ever_called(box: Toolbox) -> None:
    only_listing = declared(wire_tools([t for t in box.all_tools() if t.name == "list_files"]))
    assert plan("run ls", only_listing) is None
    assert plan("mute the mic", only_listing) is None
    assert plan("read README.md", only_listing) is None
    assert plan("search the web for cats", only_listing) is None
    assert plan("list the files", only_listing) == (Call("list_files", {"path": "."}),)
    # Sharing with only set_screen_share declared: one call, no listing first.
    share_only = declared(wire_tools([t for t in box.all_tools() if t.name == "set_screen_share"]))
    assert plan("share my screen", share_only) == (Call("set_screen_share", {"enabled": True}),)


def test_web_search_needs_the_built_in_tool(box: Toolbox) -> None:
    with_search = declared(wire_tools(box.all_tools(), search=True))
    assert plan("search the web for python asyncio?", with_search) == Search("python asyncio")
    assert plan("google the weather in Paris", with_search) == Search("the weather in Paris")
    without = declared(wire_tools(box.all_tools()))
    assert plan("search the web for python asyncio", without) is None


def test_exact_names_keep_working_and_borrow_phrase_arguments() -> None:
    weather = {
        "name": "get_weather",
        "parameters": {
            "type": "OBJECT",
            "properties": {"city_name": {"type": "STRING"}, "days": {"type": "INTEGER"}},
            "required": ["city_name", "days"],
        },
    }
    read = {
        "name": "read_file",
        "parameters": {"type": "OBJECT", "properties": {"path": {"type": "STRING"}}},
    }
    tools = declared([{"functionDeclarations": [weather, read]}])
    assert plan("call get_weather for Paris", tools) == (
        Call("get_weather", {"city_name": "example", "days": 1}),
    )
    assert plan("use read_file to read README.md", tools) == (
        Call("read_file", {"path": "README.md"}),
    )
    both = plan("get_weather and read_file please", tools)
    assert isinstance(both, tuple) and [c.name for c in both] == ["get_weather", "read_file"]


def test_mcp_tools_are_called_when_the_text_names_the_tool() -> None:
    echo = {
        "name": "calc__echo",
        "parameters": {
            "type": "OBJECT",
            "properties": {"text": {"type": "STRING"}},
            "required": ["text"],
        },
    }
    notes = {
        "name": "notes__search_notes",
        "parameters": {
            "type": "OBJECT",
            "properties": {"query": {"type": "STRING"}, "limit": {"type": "INTEGER"}},
            "required": ["query"],
        },
    }
    tools = declared([{"functionDeclarations": [echo, notes]}])
    assert plan("echo hello world", tools) == (Call("calc__echo", {"text": "hello world"}),)
    assert plan('search notes for "groceries"', tools) == (
        Call("notes__search_notes", {"query": "groceries"}),
    )
    assert plan("echoes of the past", tools) is None


def test_call_ids_look_like_the_real_service() -> None:
    rng = random.Random(7)
    taken: set[str] = set()
    for _ in range(50):
        taken.add(new_call_id(False, rng, taken))
    assert len(taken) == 50
    assert all(re.fullmatch(r"function-call-\d{19,20}", i) for i in taken)
    vertex = new_call_id(True, rng)
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", vertex
    )


@pytest.mark.parametrize(
    ("model", "declared_behavior", "json_schema", "expected"),
    [
        ("gemini-3.8-live", None, False, "NON_BLOCKING"),  # the 3.8 default
        ("gemini-3.8-live", "BLOCKING", False, "BLOCKING"),
        ("gemini-3.1-flash-live-preview", "NON_BLOCKING", False, "BLOCKING"),  # not honoured
        ("gemini-3.1-flash-live-preview", None, False, "BLOCKING"),
        ("gemini-2.5-flash-native-audio-preview-12-2025", "NON_BLOCKING", False, "NON_BLOCKING"),
        ("gemini-2.5-flash-native-audio-preview-12-2025", None, False, "BLOCKING"),
        ("gemini-live-2.5-flash-preview", "NON_BLOCKING", False, "BLOCKING"),
        ("gemini-3.8-live-extended-thinking", "BLOCKING", False, "TEXT_ONLY"),
        ("gemini-3.8-live-extended-thinking", None, True, "TEXT_ONLY"),
        ("gemini-3.8-live-extended-thinking", None, False, "NON_BLOCKING"),
        ("x", "NON_BLOCKING", False, "NON_BLOCKING"),
        ("x", None, False, "BLOCKING"),
    ],
)
def test_behaviour_follows_the_model_contract(
    model: str, declared_behavior: str | None, json_schema: bool, expected: str
) -> None:
    declaration: Message = {"name": "f"}
    if declared_behavior:
        declaration["behavior"] = declared_behavior
    declaration["parametersJsonSchema" if json_schema else "parameters"] = {"type": "object"}
    function = declared([{"functionDeclarations": [declaration]}]).functions["f"]
    assert behavior_for(function, contract_for(model)) == expected


def test_pending_input_rule_and_scheduling_forms() -> None:
    assert pending_input_rule(contract_for("gemini-3.1-flash-live-preview")) == "abort"
    assert pending_input_rule(contract_for("gemini-3.8-live")) == "abort"
    assert pending_input_rule(contract_for("x")) == "barge_in"
    assert scheduling_of({"scheduling": "interrupt"}) == "INTERRUPT"
    assert scheduling_of({"response": {"scheduling": "SILENT"}}) == "SILENT"
    assert scheduling_of({"scheduling": "SCHEDULING_UNSPECIFIED"}) == ""
    assert scheduling_of({"response": {"ok": True}}) == ""


def test_results_are_worded_from_their_content(desktop: FakeDesktop) -> None:
    failed = {"ok": False, "error": {"message": "not a folder: 'nope'"}}
    assert describe_result("list_files", {"path": "nope"}, failed) == (
        "list_files failed: not a folder: 'nope'"
    )
    assert (
        describe_result("get_weather", {}, {"temp_c": 21}) == 'get_weather returned {"temp_c": 21}'
    )
    # A known tool with a shape we do not know falls back to the plain JSON.
    assert describe_result("list_files", {}, {"ok": True, "result": 3}) == (
        'list_files returned {"ok": true, "result": 3}'
    )
    listed = {"ok": True, "result": {"targets": desktop.targets}}
    share = Call("list_screen_targets", {}, intent="share_screen")
    tools = declared(wire_tools(desktop_tools(desktop)))
    assert follow_up(share, listed, tools) == Call(
        "set_screen_share", {"enabled": True, "target_id": "screen-0"}
    )
    assert follow_up(Call("list_screen_targets", {}), listed, tools) is None
    assert follow_up(share, {"ok": True, "result": {"targets": []}}, tools) is None


# ---------------------------------------------------------------------- wire round trips

ROUND_TRIPS = [
    ("list the files", "The folder . has 3 entries: README.md, notes.txt, src/ (turn 1)"),
    ("read README.md", 'README.md starts with "# Demo project" (turn 1)'),
    (
        "run the command echo hi there",
        '`echo hi there` exited with code 0 and printed "hi there" (turn 1)',
    ),
    ("run false", "`false` exited with code 1 (turn 1)"),
    ("set a timer for 2 seconds", 'Timer "timer" set for 2 seconds (turn 1)'),
    ("mute the mic", "The microphone is now off (turn 1)"),
    (
        "search the files for TODO",
        '1 matches for "TODO", the first in notes.txt line 1: "TODO: buy milk" (turn 1)',
    ),
    ("read nothing.txt", "read_file failed: no such file or directory: 'nothing.txt' (turn 1)"),
]


@pytest.mark.parametrize(("text", "reply"), ROUND_TRIPS, ids=[r[0] for r in ROUND_TRIPS])
async def test_phrase_round_trip_through_the_real_tools(
    box: Toolbox, text: str, reply: str
) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        client = await open_client(server, setup_for(box))
        await client.send({"realtimeInput": {"text": text}})
        calls = await next_call(client)
        assert len(calls) == 1 and re.fullmatch(r"function-call-\d{19,20}", calls[0]["id"])
        await answer(client, box, calls)
        messages = await client.until_turn_complete()
        assert text_of(messages) == reply
        await client.close()


async def test_share_my_screen_lists_targets_then_shares_the_first(
    box: Toolbox, desktop: FakeDesktop
) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        client = await open_client(server, setup_for(box))
        await client.send(
            {
                "clientContent": {
                    "turns": [{"role": "user", "parts": [{"text": "share my screen"}]}],
                    "turnComplete": True,
                }
            }
        )
        first = await next_call(client)
        assert [c["name"] for c in first] == ["list_screen_targets"]
        await answer(client, box, first)
        second = await next_call(client)
        assert second[0]["name"] == "set_screen_share"
        assert second[0]["args"] == {"enabled": True, "target_id": "screen-0"}
        await answer(client, box, second)
        messages = await client.until_turn_complete()
        assert text_of(messages) == "Screen sharing is now on (screen-0) (turn 1)"
        assert desktop.state["screen_share"] == {"target_id": "screen-0", "interval_seconds": 1.0}
        await client.close()


async def test_audio_reply_speaks_about_the_result(box: Toolbox, desktop: FakeDesktop) -> None:
    desktop.state["microphone"] = True
    async with LocalLiveServer(speed=float("inf")) as server:
        setup = setup_for(box, modality="AUDIO", outputAudioTranscription={})
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "please mute the microphone"}})
        await answer(client, box, await next_call(client))
        messages = await client.until_turn_complete()
        assert transcript_of(messages) == "The microphone is now off (turn 1)"
        assert any(
            "inlineData" in p
            for m in messages
            for p in content(m).get("modelTurn", {}).get("parts", [])
        )
        assert desktop.state["microphone"] is False
        await client.close()


async def test_web_search_answers_with_grounding_and_no_tool_call(box: Toolbox) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        client = await open_client(server, setup_for(box, search=True))
        await client.send({"realtimeInput": {"text": "search the web for local llm"}})
        messages = await client.until_turn_complete()
        assert not any("toolCall" in m for m in messages)
        grounding = [
            content(m)["groundingMetadata"] for m in messages if "groundingMetadata" in content(m)
        ]
        assert len(grounding) == 1
        assert grounding[0]["webSearchQueries"] == ["local llm"]
        assert grounding[0]["groundingChunks"][0]["web"]["uri"].startswith("https://example.com/")
        assert text_of(messages) == (
            'I searched the web for "local llm". '
            'The top result is "Local result for local llm". (turn 1)'
        )
        await client.close()


async def test_mcp_tool_named_in_the_text_is_called() -> None:
    echo = {
        "name": "calc__echo",
        "parameters": {
            "type": "OBJECT",
            "properties": {"text": {"type": "STRING"}},
            "required": ["text"],
        },
    }
    setup = {
        "model": M31,
        "generationConfig": {"responseModalities": ["TEXT"]},
        "tools": [{"functionDeclarations": [echo]}],
    }
    async with LocalLiveServer(speed=float("inf")) as server:
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "echo hi"}})
        calls = await next_call(client)
        assert (calls[0]["name"], calls[0]["args"]) == ("calc__echo", {"text": "hi"})
        await client.send(
            {
                "toolResponse": {
                    "functionResponses": [
                        {"id": calls[0]["id"], "name": "calc__echo", "response": {"result": "hi"}}
                    ]
                }
            }
        )
        messages = await client.until_turn_complete()
        assert text_of(messages) == 'calc__echo returned {"result": "hi"} (turn 1)'
        await client.close()


async def test_made_up_id_closes_1007_but_a_cancelled_one_is_ignored(box: Toolbox) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        client = await open_client(server, setup_for(box))
        await client.send({"realtimeInput": {"text": "list the files"}})
        calls = await next_call(client)
        # Barge-in by clientContent: the call is cancelled.
        turn = {
            "turns": [{"role": "user", "parts": [{"text": "never mind"}]}],
            "turnComplete": True,
        }
        await client.send({"clientContent": turn})
        messages = await client.until_turn_complete()
        assert [m["toolCallCancellation"] for m in messages if "toolCallCancellation" in m] == [
            {"ids": [calls[0]["id"]]}
        ]
        assert any(content(m).get("interrupted") for m in messages)
        reply = await client.until_turn_complete()
        assert text_of(reply) == "You said: never mind (turn 2)"
        # Answering the cancelled call (as clients are told to) changes nothing.
        await answer(client, box, calls)
        await client.send({"realtimeInput": {"text": "still there?"}})
        reply = await client.until_turn_complete()
        assert text_of(reply) == "You said: still there? (turn 3)"
        # An id this session never issued is refused.
        bogus = {"id": "function-call-1", "name": "list_files", "response": {}}
        await client.send({"toolResponse": {"functionResponses": [bogus]}})
        assert await closed_with(client) == (1007, "Request contains an invalid argument.")


@pytest.mark.parametrize(
    "message",
    [
        audio_message(tone(0.1)),
        {"realtimeInput": {"video": {"mimeType": "image/jpeg", "data": "AAAA"}}},
        {"realtimeInput": {"text": "hello?"}},
    ],
    ids=["audio", "video", "text"],
)
async def test_realtime_input_during_a_blocking_call_closes_1008(
    box: Toolbox, message: Message
) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        client = await open_client(server, setup_for(box))
        await client.send({"realtimeInput": {"text": "list the files"}})
        await next_call(client)
        await client.send(message)
        assert await closed_with(client) == (1008, ABORTED)


async def test_audio_after_the_response_is_fine(box: Toolbox) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        client = await open_client(server, setup_for(box))
        await client.send({"realtimeInput": {"text": "list the files"}})
        await answer(client, box, await next_call(client))
        await client.until_turn_complete()
        await client.send(audio_message(tone(0.1)))
        await server.wait_for(lambda: server.audio_bytes > 0)
        assert server.records[0].open
        await client.close()


async def test_a_response_after_resuming_from_an_older_handle_is_ignored(box: Toolbox) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        setup = setup_for(box, sessionResumption={})
        client = await open_client(server, setup)
        handle = (await client.recv())["sessionResumptionUpdate"]["newHandle"]
        await client.send({"realtimeInput": {"text": "list the files"}})
        calls = await next_call(client)
        updates = [
            m["sessionResumptionUpdate"] for m in client.seen if "sessionResumptionUpdate" in m
        ]
        assert updates[-1] == {"newHandle": "", "resumable": False}  # nothing newer to resume
        await server.inject(Fault.drop())
        resumed = await open_client(server, {**setup, "sessionResumption": {"handle": handle}})
        await resumed.recv()  # the fresh handle
        # The call belonged to a turn the older handle does not hold: its answer is ignored.
        await answer(resumed, box, calls)
        await resumed.send({"realtimeInput": {"text": "what now?"}})
        reply = await resumed.until_turn_complete()
        assert text_of(reply) == "You said: what now? (turn 1)"
        assert not any("toolCall" in m for m in reply)
        assert server.records[1].resumed
        await resumed.close()


async def test_speech_barges_in_on_a_pending_call_on_the_example_model(box: Toolbox) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        client = await open_client(server, setup_for(box, model="models/x", modality="AUDIO"))
        await client.send({"realtimeInput": {"text": "list the files"}})
        calls = await next_call(client)
        await client.send(audio_message(tone(0.2)))
        messages = await client.until_turn_complete()
        assert [m["toolCallCancellation"] for m in messages if "toolCallCancellation" in m] == [
            {"ids": [calls[0]["id"]]}
        ]
        await client.close()


# ---------------------------------------------------------------------- NON_BLOCKING


def _texts(messages: list[Message]) -> list[str]:
    """The reply transcripts, one per turn, in order ("|" marks an interruption)."""
    turns: list[str] = []
    current = ""
    for m in messages:
        sc = content(m)
        current += sc.get("outputTranscription", {}).get("text", "")
        if sc.get("interrupted"):
            current += "|"
        if sc.get("turnComplete"):
            turns.append(current)
            current = ""
    return turns


async def test_non_blocking_call_keeps_talking_and_when_idle_waits(box: Toolbox) -> None:
    async with LocalLiveServer(speed=1.0) as server:
        setup = setup_for(
            box, model=M25, modality="AUDIO", behavior="NON_BLOCKING", outputAudioTranscription={}
        )
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "list the files"}})
        calls = await next_call(client)
        # The filler is streaming: realtime input is fine while a NON_BLOCKING call runs.
        started = await client.until(lambda m: "outputTranscription" in content(m))
        await client.send(audio_message(bytes(3200)))
        await answer(client, box, calls, scheduling="WHEN_IDLE")
        first = started + await client.until_turn_complete()
        second = await client.until_turn_complete()
        assert _texts(first + second) == [
            "I'm on it: calling list_files. (turn 1)",
            "The folder . has 3 entries: README.md, notes.txt, src/ (turn 1)",
        ]
        assert server.records[0].open
        await client.close()


async def test_interrupt_scheduling_cuts_the_reply_and_speaks_now(box: Toolbox) -> None:
    async with LocalLiveServer(speed=1.0) as server:
        setup = setup_for(
            box, model=M25, modality="AUDIO", behavior="NON_BLOCKING", outputAudioTranscription={}
        )
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "list the files"}})
        calls = await next_call(client)
        started = await client.until(lambda m: "outputTranscription" in content(m))
        await answer(client, box, calls, scheduling="INTERRUPT")
        first = started + await client.until_turn_complete()
        second = await client.until_turn_complete()
        turns = _texts(first + second)
        assert turns[0].endswith("|") and turns[0].startswith("I'm")
        assert not any(content(m).get("generationComplete") for m in first)
        assert turns[1] == "The folder . has 3 entries: README.md, notes.txt, src/ (turn 1)"
        await client.close()


async def test_silent_scheduling_updates_context_without_a_turn(box: Toolbox) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        setup = setup_for(
            box, model=M25, modality="AUDIO", behavior="NON_BLOCKING", outputAudioTranscription={}
        )
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "set a timer for 2 seconds"}})
        calls = await next_call(client)
        filler = await client.until_turn_complete()
        assert _texts(filler) == ["I'm on it: calling set_timer. (turn 1)"]
        await answer(client, box, calls, scheduling="SILENT")
        await client.send({"realtimeInput": {"text": "thanks"}})
        after = await client.until_turn_complete()
        assert _texts(after) == ["You said: thanks (turn 2)"]
        await client.close()


async def test_will_continue_streams_several_results(box: Toolbox) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        setup = setup_for(
            box, model=M25, modality="AUDIO", behavior="NON_BLOCKING", outputAudioTranscription={}
        )
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "mute the mic"}})
        calls = await next_call(client)
        await client.until_turn_complete()  # the filler
        await answer(client, box, calls, willContinue=True)
        partial = await client.until_turn_complete()
        assert _texts(partial) == ["The microphone is now off (turn 1)"]
        final = {
            "id": calls[0]["id"],
            "name": "set_microphone",
            "response": {},
            "scheduling": "SILENT",
        }
        await client.send({"toolResponse": {"functionResponses": [final]}})
        await client.send({"realtimeInput": {"text": "ok"}})
        after = await client.until_turn_complete()
        assert _texts(after) == ["You said: ok (turn 2)"]
        await client.close()


async def test_38_defaults_to_non_blocking_and_reports_in_progress_until_idle(box: Toolbox) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        setup = setup_for(box, model=M38, modality="AUDIO", outputAudioTranscription={})
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "set a timer for 2 seconds"}})
        calls = await next_call(client)
        filler = await client.until_turn_complete()
        assert content(filler[-1])["interactionStatus"] == "IN_PROGRESS"
        await answer(client, box, calls, scheduling="SILENT")
        idle = await client.until(lambda m: "interactionStatus" in content(m))
        assert content(idle[-1]) == {"interactionStatus": "IDLE"}
        await client.close()


async def test_31_does_not_honour_non_blocking(box: Toolbox) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        client = await open_client(server, setup_for(box, behavior="NON_BLOCKING"))
        await client.send({"realtimeInput": {"text": "list the files"}})
        calls = await next_call(client)
        # No filler: the model waits for the answer, and scheduling is ignored.
        await answer(client, box, calls, scheduling="INTERRUPT")
        messages = await client.until_turn_complete()
        assert (
            text_of(messages) == "The folder . has 3 entries: README.md, notes.txt, src/ (turn 1)"
        )
        assert not any(content(m).get("interrupted") for m in messages)
        # ... and realtime input during the call would have closed it: it was BLOCKING.
        await client.send({"realtimeInput": {"text": "read README.md"}})
        await next_call(client)
        await client.send(audio_message(tone(0.1)))
        assert await closed_with(client) == (1008, ABORTED)


async def test_extended_thinking_plans_blocking_tools_as_text(box: Toolbox) -> None:
    async with LocalLiveServer(speed=float("inf")) as server:
        setup = setup_for(
            box,
            model="models/gemini-3.8-live-extended-thinking",
            modality="AUDIO",
            behavior="BLOCKING",
            outputAudioTranscription={},
        )
        setup["generationConfig"]["thinkingConfig"] = {"thinkingLevel": "LOW"}
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "list the files"}})
        messages = await client.until_turn_complete()
        assert not any("toolCall" in m for m in messages)
        assert transcript_of(messages) == 'I would call list_files {"path": "."} (turn 1)'
        await client.close()
