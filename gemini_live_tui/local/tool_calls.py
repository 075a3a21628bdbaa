"""Tool calls of the local Live server: which call a user's words ask for, and how to answer.

Pure functions, no I/O.  :func:`declared` reads the setup's ``tools``; :func:`plan` turns the
text of a user turn into calls of *declared* functions (or a built-in Google Search), the way
a real model would pick a tool from a request: "list the files" -> ``list_files {path: "."}``,
"run ls -la" -> ``run_command {argv: ["ls", "-la"]}``, "set a timer for 2 seconds" ->
``set_timer {seconds: 2, label: "timer"}``.  A function named word for word in the text is
called too (with example arguments built from its schema, as before phrases existed).
:func:`follow_up` chains a second call onto a result ("share my screen" first lists the
targets, then shares the first one); :func:`describe_result` words the reply that uses a
result ("`ls` exited with code 0").  The per-model rules (which behaviour a declaration gets,
what realtime input does while a call is pending) read the shared contract table in
:mod:`gemini_live_tui.model_contracts`.  Behaviour is documented in docs/protocol.md
("Local Live server", "Tools").
"""

from __future__ import annotations

import json
import random
import re
import shlex
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from gemini_live_tui.model_contracts import ModelContract

__all__ = [
    "ABORTED",
    "Call",
    "Declared",
    "Function",
    "Search",
    "behavior_for",
    "declared",
    "describe_result",
    "follow_up",
    "grounding_metadata",
    "new_call_id",
    "pending_input_rule",
    "plan",
    "scheduling_of",
    "search_reply",
    "text_plan",
]

# The close text a client gets for streaming realtime input while a BLOCKING call waits for
# its response (model-contracts.md section 2: autonomous-os #231, litellm PR #26590).
ABORTED = "The operation was aborted."

Behavior = Literal["BLOCKING", "NON_BLOCKING", "TEXT_ONLY"]
PendingInput = Literal["abort", "barge_in"]
Describer = Callable[[Mapping[str, Any], Any], str]


@dataclass(frozen=True)
class Function:
    """One declared function: its name, declared behaviour and arguments to call it with."""

    name: str
    behavior: str | None  # "BLOCKING", "NON_BLOCKING" or None (unspecified)
    example_args: Mapping[str, Any]
    json_schema: bool = False  # declared with parametersJsonSchema instead of parameters


@dataclass(frozen=True)
class Declared:
    """What a setup (or a ``contextUpdate``) declared."""

    functions: Mapping[str, Function] = field(default_factory=dict)
    google_search: bool = False


@dataclass(frozen=True)
class Call:
    """A planned function call; ``intent`` names a chain :func:`follow_up` continues."""

    name: str
    args: Mapping[str, Any]
    intent: str = ""


@dataclass(frozen=True)
class Search:
    """A built-in Google Search the model runs itself (no ``toolCall``)."""

    query: str


# ---------------------------------------------------------------------- declarations


def declared(tools: Any) -> Declared:
    """Read ``setup.tools`` (normalised camelCase); anything malformed is skipped."""
    functions: dict[str, Function] = {}
    search = False
    if not isinstance(tools, list):
        return Declared()
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        if "googleSearch" in tool or "googleSearchRetrieval" in tool:
            search = True
        for declaration in tool.get("functionDeclarations") or []:
            if not isinstance(declaration, dict) or not isinstance(declaration.get("name"), str):
                continue
            json_schema = "parametersJsonSchema" in declaration
            schema = declaration.get("parameters") or declaration.get("parametersJsonSchema")
            behavior = declaration.get("behavior")
            name = declaration["name"]
            functions[name] = Function(
                name=name,
                behavior=str(behavior).upper() if isinstance(behavior, str) else None,
                example_args=_example_args(schema),
                json_schema=json_schema,
            )
    return Declared(functions, search)


def _example_args(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties") or {}
    required = schema.get("required") or []
    args: dict[str, Any] = {}
    for name in required if isinstance(required, list) else []:
        spec = properties.get(name) if isinstance(properties, dict) else None
        args[str(name)] = _example_value(spec if isinstance(spec, dict) else {})
    return args


def _example_value(spec: dict[str, Any]) -> Any:
    if isinstance(spec.get("enum"), list) and spec["enum"]:
        return spec["enum"][0]
    kind = str(spec.get("type") or "STRING").upper()
    examples: dict[str, Any] = {
        "STRING": "example",
        "NUMBER": 1.5,
        "INTEGER": 1,
        "BOOLEAN": True,
        "ARRAY": [],
        "OBJECT": {},
    }
    return examples.get(kind, "example")


def _required_strings(schema_args: Mapping[str, Any]) -> list[str]:
    return [name for name, value in schema_args.items() if value == "example"]


# ---------------------------------------------------------------------- per-model rules


def behavior_for(function: Function, contract: ModelContract | None) -> Behavior:
    """How the model treats a call of ``function``.

    Unspecified behaviour takes the family's default (3.8: NON_BLOCKING).  A NON_BLOCKING
    declaration on a family without async functions (3.1, half-cascade) is not honoured: the
    fact sheet says 3.1 "does not answer until the tool response arrives", so the call blocks
    and ``scheduling`` is ignored.  3.8 extended thinking never called a BLOCKING tool (0 of 5)
    and planned ``parametersJsonSchema`` tools as text: ``TEXT_ONLY``.
    """
    if contract is None:
        return "NON_BLOCKING" if function.behavior == "NON_BLOCKING" else "BLOCKING"
    behavior = function.behavior or contract.tool_default or "BLOCKING"
    if behavior not in ("BLOCKING", "NON_BLOCKING"):
        behavior = contract.tool_default or "BLOCKING"
    if contract.non_blocking_required and (
        behavior == "BLOCKING"
        or (function.json_schema and contract.declaration_style == "parameters")
    ):
        return "TEXT_ONLY"
    if behavior == "NON_BLOCKING" and not contract.non_blocking_supported:
        return "BLOCKING"
    return "NON_BLOCKING" if behavior == "NON_BLOCKING" else "BLOCKING"


def pending_input_rule(contract: ModelContract | None) -> PendingInput:
    """What mic audio, screen frames or ``activityStart`` do while a BLOCKING call is open.

    Known families close 1008 :data:`ABORTED` (the field report names no model, so every
    family does it).  The project's example model ``x`` (no contract) keeps treating speech
    as a barge-in that cancels the call, which older tests and demos rely on.
    """
    return "barge_in" if contract is None else "abort"


def scheduling_of(response: Mapping[str, Any]) -> str:
    """``SILENT``/``WHEN_IDLE``/``INTERRUPT`` of a function response ("" if unset).

    Top-level ``scheduling`` (SDK and proto) wins over one inside ``response`` (older doc
    snippets): the fact sheet leaves open which form each model honours, so both count.
    """
    scheduling = response.get("scheduling")
    if not scheduling:
        inner = response.get("response")
        if isinstance(inner, Mapping):
            scheduling = inner.get("scheduling")
    text = str(scheduling or "").upper()
    return "" if text == "SCHEDULING_UNSPECIFIED" else text


def new_call_id(vertex: bool, rng: random.Random, taken: set[str] | None = None) -> str:
    """An id shaped like the real service's: ``function-call-<20 digits>``; Vertex: a UUID."""
    while True:
        if vertex:
            call_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        else:
            call_id = f"function-call-{rng.randrange(10**19, 2**64)}"
        if taken is None or call_id not in taken:
            return call_id


# ---------------------------------------------------------------------- planning

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_AMOUNT = r"(?P<amount>\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS) + r")"
_UNIT = r"(?P<unit>seconds?|secs?|s|minutes?|mins?|m|hours?|h)"
_LABEL = r"(?:\s+(?:to|for|called|named|labell?ed)\s+(?P<label>.+?))?"
_TIMER = re.compile(
    r"\b(?:set|start)\s+(?:a\s+|the\s+|my\s+)?timer\s+for\s+" + _AMOUNT + r"\s*" + _UNIT + r"\b"
    r"|\bremind\s+me\s+in\s+" + _AMOUNT.replace("amount", "amount2") + r"\s*"
    r"" + _UNIT.replace("unit", "unit2") + r"\b",
    re.IGNORECASE,
)
_TIMER_LABEL = re.compile(_LABEL + r"[.?!]*\s*$", re.IGNORECASE)
_RUN = re.compile(r"\brun\s+(?:the\s+)?(?:command\s+)?(?P<command>.+)$", re.IGNORECASE)
_SHARE = re.compile(
    r"\b(?:share\s+(?:my|the|a)\s+screen|share\s+screen|start\s+(?:the\s+)?screen\s*shar(?:e|ing))\b",
    re.IGNORECASE,
)
_UNSHARE = re.compile(
    r"\b(?:stop\s+(?:the\s+)?(?:screen\s*)?shar(?:e|ing)(?:\s+(?:my|the)\s+screen)?)\b",
    re.IGNORECASE,
)
_TARGETS = re.compile(
    r"\b(?:list\s+(?:the\s+|my\s+)?(?:screens|windows|screen\s+targets)|"
    r"(?:which|what)\s+(?:screens|windows)\b|screen\s+targets)\b",
    re.IGNORECASE,
)
_DEVICE = r"(?P<device>mic|microphone|speakers?|sound|audio|voice)"  # the thing switched
_SWITCH = re.compile(
    r"\b(?P<verb>mute|unmute|silence)\s+(?:the\s+|my\s+|your\s+)?" + _DEVICE + r"\b"
    r"|\bturn\s+(?P<onoff>on|off)\s+(?:the\s+|my\s+|your\s+)?"
    + _DEVICE.replace("device", "device2")
    + r"\b"
    r"|\bturn\s+(?:the\s+|my\s+|your\s+)?"
    + _DEVICE.replace("device", "device3")
    + r"\s+(?P<onoff2>on|off)\b",
    re.IGNORECASE,
)
_MIC_WORDS = {"mic", "microphone"}
_STATE = re.compile(
    r"\b(?:app(?:'s)?\s+state|state\s+of\s+the\s+app|app\s+status|is\s+my\s+(?:mic|microphone)\s+on)\b",
    re.IGNORECASE,
)
_WEB = re.compile(
    r"\b(?:search|look\s+up)\s+(?:the\s+)?(?:web|internet|online)\s+for\s+(?P<query>.+)$"
    r"|\bgoogle\s+(?:for\s+)?(?P<query2>.+)$",
    re.IGNORECASE,
)
_GREP = re.compile(
    r"\b(?:search|grep)\s+(?:in\s+)?(?:the\s+|my\s+)?(?:files|code|workspace|project)\s+"
    r"for\s+(?P<pattern>.+)$|\bgrep\s+(?:for\s+)?(?P<pattern2>.+)$",
    re.IGNORECASE,
)
_LIST = re.compile(
    r"\b(?:list|show\s+(?:me\s+)?)\s*(?:the\s+|my\s+|all\s+(?:the\s+)?)?files\b"
    r"(?:\s+in\s+(?:the\s+)?(?:folder\s+|directory\s+)?(?P<path>[^\s,;!?]+))?"
    r"|\bwhat\s+files\s+are\s+(?:there|here)\b",
    re.IGNORECASE,
)
_READ = re.compile(
    r"\b(?P<verb>read|open|cat)\s+(?:me\s+)?(?:the\s+)?(?P<file>file\s+)?(?P<path>[^\s,;!?]+)",
    re.IGNORECASE,
)
_WRITE = re.compile(
    r"\bwrite\s+(?P<content>\"[^\"]*\"|'[^']*')\s+(?:to|into|in)\s+(?:the\s+)?(?:file\s+)?"
    r"(?P<path>[^\s,;!?]+)",
    re.IGNORECASE,
)
_NOT_A_PATH = {"the", "a", "an", "it", "this", "that", "my", "me", "file", "files", "up"}
_HERE = {"here", "this", "workspace", "."}
_QUOTED = re.compile(r"\"([^\"]*)\"|'([^']*)'|`([^`]*)`")


def plan(text: str, tools: Declared) -> tuple[Call, ...] | Search | None:
    """The calls (or search) a turn's ``text`` asks for, of declared tools only; else None.

    A function named word for word is called (legacy behaviour, all of them, in declaration
    order), with the phrase's arguments when a phrase asks for the same function; otherwise
    the first phrase that matches a declared tool wins.
    """
    if not text:
        return None
    phrased = _phrase(text, tools)
    named = [name for name in tools.functions if name in text]
    if named:
        by_name = {c.name: c for c in phrased} if isinstance(phrased, tuple) else {}
        return tuple(
            by_name.get(name) or Call(name, dict(tools.functions[name].example_args))
            for name in named
        )
    return phrased


def _phrase(text: str, tools: Declared) -> tuple[Call, ...] | Search | None:
    has = tools.functions.__contains__
    web = _WEB.search(text)
    if web and tools.google_search:
        return Search(_clean_tail(web.group("query") or web.group("query2")))
    timer = _TIMER.search(text) if has("set_timer") else None
    if timer:
        return (Call("set_timer", _timer_args(text, timer)),)
    run = _RUN.search(text) if has("run_command") else None
    if run:
        argv = _argv(run.group("command"))
        if argv:
            return (Call("run_command", {"argv": argv}),)
    if _UNSHARE.search(text) and has("set_screen_share"):
        return (Call("set_screen_share", {"enabled": False}),)
    if _SHARE.search(text):
        if has("list_screen_targets") and has("set_screen_share"):
            return (Call("list_screen_targets", {}, intent="share_screen"),)
        if has("set_screen_share"):
            return (Call("set_screen_share", {"enabled": True}),)
        if has("list_screen_targets"):
            return (Call("list_screen_targets", {}),)
    if _TARGETS.search(text) and has("list_screen_targets"):
        return (Call("list_screen_targets", {}),)
    switch = _SWITCH.search(text)
    if switch:
        device = switch.group("device") or switch.group("device2") or switch.group("device3")
        verb = (switch.group("verb") or "").lower()
        onoff = (switch.group("onoff") or switch.group("onoff2") or "").lower()
        name = "set_microphone" if device.lower() in _MIC_WORDS else "set_speaker"
        if has(name):
            return (Call(name, {"enabled": verb == "unmute" or onoff == "on"}),)
    if _STATE.search(text) and has("get_app_state"):
        return (Call("get_app_state", {}),)
    grep = _GREP.search(text) if has("search_files") else None
    if grep:
        pattern = _unquote(_clean_tail(grep.group("pattern") or grep.group("pattern2")))
        if pattern:
            return (Call("search_files", {"pattern": pattern}),)
    write = _WRITE.search(text) if has("write_file") else None
    if write:
        content = write.group("content")[1:-1]
        return (Call("write_file", {"path": _clean_path(write.group("path")), "content": content}),)
    listing = _LIST.search(text) if has("list_files") else None
    if listing:
        path = _clean_path(listing.group("path") or ".")
        return (Call("list_files", {"path": "." if path.lower() in _HERE else path}),)
    if has("read_file"):
        for read in _READ.finditer(text):
            path = _clean_path(read.group("path"))
            # "open source", "cat videos": only "read X", "open the file X" or a path-like X.
            pathlike = read.group("file") or read.group("verb").lower() == "read"
            pathlike = pathlike or "." in path or "/" in path
            if path and path.lower() not in _NOT_A_PATH and pathlike:
                return (Call("read_file", {"path": path}),)
    return _mcp(text, tools)


def _mcp(text: str, tools: Declared) -> tuple[Call, ...] | None:
    """``NAME__tool`` (an MCP server's tool) when the text names ``tool``."""
    for name, function in tools.functions.items():
        server, sep, tool = name.partition("__")
        if not sep or not server or not tool:
            continue
        spoken = r"[\s_]+".join(re.escape(word) for word in tool.split("_") if word)
        found = re.search(r"(?<![\w])" + spoken + r"(?![\w])", text, re.IGNORECASE)
        if not found:
            continue
        args = dict(function.example_args)
        strings = _required_strings(args)
        if len(strings) == 1:
            quoted = _QUOTED.search(text)
            if quoted:
                value = next(g for g in quoted.groups() if g is not None)
            else:
                rest = text[found.end() :]
                value = _clean_tail(re.sub(r"^\s*(?:with|for|to|on|about|:)?\s*", "", rest))
            if value:
                args[strings[0]] = value
        return (Call(name, args),)
    return None


def _timer_args(text: str, match: re.Match[str]) -> dict[str, Any]:
    amount = (match.group("amount") or match.group("amount2")).lower()
    unit = (match.group("unit") or match.group("unit2")).lower().rstrip("s") or "s"
    number = float(_NUMBER_WORDS.get(amount, 0) or amount)
    seconds = number * _UNITS.get(unit, 1)
    label_match = _TIMER_LABEL.match(text[match.end() :])
    label = (label_match.group("label") if label_match else None) or "timer"
    return {"seconds": int(seconds) if seconds.is_integer() else seconds, "label": label}


def _argv(command: str) -> list[str]:
    command = _clean_tail(command).strip()
    if len(command) > 1 and command[0] == command[-1] and command[0] in "`\"'":
        command = command[1:-1]
    try:
        return shlex.split(command)
    except ValueError:  # an unbalanced quote: split on spaces, as a model would
        return command.split()


def _clean_tail(value: str) -> str:
    """Drop trailing ``?``/``!``/``,`` and a sentence-ending ``.`` (``ls .`` keeps its dot)."""
    value = value.strip().rstrip("?!,;")
    if value.endswith(".") and len(value) > 1 and not value[-2].isspace():
        value = value[:-1]
    return value.strip()


def _clean_path(value: str) -> str:
    return _unquote(_clean_tail(value))


def _unquote(value: str) -> str:
    if len(value) > 1 and value[0] == value[-1] and value[0] in "`\"'":
        return value[1:-1]
    return value


def follow_up(call: Call, response: Any, tools: Declared) -> Call | None:
    """The next call of a chain, or None: after listing targets to share, share the first."""
    if call.intent != "share_screen" or "set_screen_share" not in tools.functions:
        return None
    ok, result = _unwrap(response)
    targets = result.get("targets") if ok and isinstance(result, Mapping) else None
    if not isinstance(targets, list) or not targets or not isinstance(targets[0], Mapping):
        return None
    return Call("set_screen_share", {"enabled": True, "target_id": str(targets[0].get("id"))})


def text_plan(calls: tuple[Call, ...]) -> str:
    """How 3.8 extended thinking "planned tools as text" instead of calling them."""
    return "; ".join(
        f"I would call {c.name} {json.dumps(dict(c.args), sort_keys=True)}" for c in calls
    )


# ---------------------------------------------------------------------- search


def grounding_metadata(query: str) -> dict[str, Any]:
    """``serverContent.groundingMetadata`` for an offline search: one made-up result.

    The shape follows the SDK's GroundingMetadata (queries, chunks, supports); the result
    points at example.com because no real search happens.
    """
    url = f"https://example.com/search?q={quote(query)}"
    return {
        "webSearchQueries": [query],
        "groundingChunks": [{"web": {"uri": url, "title": f"Local result for {query}"}}],
        "searchEntryPoint": {"renderedContent": f'<a href="{url}">{query}</a>'},
    }


def search_reply(query: str) -> str:
    return f'I searched the web for "{query}". The top result is "Local result for {query}".'


# ---------------------------------------------------------------------- replies


def _unwrap(response: Any) -> tuple[bool, Any]:
    """(succeeded, result or error message) of a function response in any common shape."""
    if not isinstance(response, Mapping):
        return True, response
    if response.get("ok") is False or (
        "error" in response and "result" not in response and "output" not in response
    ):
        problem = response.get("error")
        if isinstance(problem, Mapping):
            problem = problem.get("message", json.dumps(dict(problem), sort_keys=True))
        return False, str(problem)
    for key in ("result", "output"):
        if key in response:
            return True, response[key]
    return True, response


def describe_result(name: str, args: Mapping[str, Any], response: Any) -> str:
    """One sentence that uses a call's result; unknown tools get ``NAME returned JSON``."""
    legacy = f"{name} returned {json.dumps(response, sort_keys=True, default=str)}"
    ok, result = _unwrap(response)
    if not ok:
        return f"{name} failed: {result}"
    describe = _DESCRIBERS.get(name)
    if describe is None:
        return legacy
    try:
        return describe(args, result)
    except (AttributeError, KeyError, TypeError, ValueError):
        return legacy  # a shape we do not know: say what came back


def _names(items: list[str], limit: int = 10) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _list_files(args: Mapping[str, Any], result: Any) -> str:
    path = result.get("path") or args.get("path") or "."
    entries = [
        str(e["path"]).rstrip("/").rsplit("/", 1)[-1] + ("/" if e.get("type") == "dir" else "")
        for e in result["entries"]
    ]
    if not entries:
        return f"The folder {path} is empty"
    more = " (the list was cut short)" if result.get("truncated") else ""
    return f"The folder {path} has {len(entries)} entries: {_names(entries)}{more}"


def _read_file(args: Mapping[str, Any], result: Any) -> str:
    path = result.get("path") or args.get("path")
    lines = [line for line in str(result["content"]).splitlines() if line.strip()]
    if not lines:
        return f"{path} is empty"
    return f'{path} starts with "{lines[0].strip()[:120]}"'


def _search_files(args: Mapping[str, Any], result: Any) -> str:
    matches = result["matches"]
    pattern = args.get("pattern")
    if not matches:
        return f'No matches for "{pattern}"'
    first = matches[0]
    return (
        f'{len(matches)} matches for "{pattern}", the first in {first["path"]} line '
        f'{first["line"]}: "{str(first["text"]).strip()[:120]}"'
    )


def _write_file(args: Mapping[str, Any], result: Any) -> str:
    return f"Wrote {result['bytes']} bytes to {result.get('path') or args.get('path')}"


def _run_command(args: Mapping[str, Any], result: Any) -> str:
    argv = result.get("argv") or args.get("argv") or []
    said = f"`{shlex.join(str(a) for a in argv)}` exited with code {result['exit_code']}"
    if result.get("timed_out"):
        said += " after it timed out"
    lines = [line for line in str(result.get("stdout") or "").splitlines() if line.strip()]
    if lines:
        said += f' and printed "{lines[0].strip()[:120]}"'
    return said


def _set_timer(args: Mapping[str, Any], result: Any) -> str:
    seconds = result.get("fires_in_seconds", args.get("seconds"))
    label = result.get("label") or args.get("label") or "timer"
    return f'Timer "{label}" set for {float(seconds):g} seconds'


def _switch(device: str) -> Describer:
    def describe(args: Mapping[str, Any], result: Any) -> str:
        return f"The {device} is now {'on' if args['enabled'] else 'off'}"

    return describe


def _list_targets(args: Mapping[str, Any], result: Any) -> str:
    targets = result["targets"]
    if not targets:
        return "There is nothing to share"
    names = [f"{t.get('name') or t.get('title') or t['id']} ({t['id']})" for t in targets]
    return f"I can share {len(names)} targets: {_names(names)}"


def _set_screen_share(args: Mapping[str, Any], result: Any) -> str:
    if not args.get("enabled"):
        return "Screen sharing is now off"
    target = args.get("target_id")
    return "Screen sharing is now on" + (f" ({target})" if target else "")


def _app_state(args: Mapping[str, Any], result: Any) -> str:
    if not result:
        return "The app reports no state"
    return "App state: " + ", ".join(f"{k} {json.dumps(v)}" for k, v in sorted(result.items()))


_DESCRIBERS: dict[str, Describer] = {
    "list_files": _list_files,
    "read_file": _read_file,
    "search_files": _search_files,
    "write_file": _write_file,
    "run_command": _run_command,
    "set_timer": _set_timer,
    "set_microphone": _switch("microphone"),
    "set_speaker": _switch("speaker"),
    "list_screen_targets": _list_targets,
    "set_screen_share": _set_screen_share,
    "get_app_state": _app_state,
}
