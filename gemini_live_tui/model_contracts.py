"""Every known Live model family's setup contract, as data, and a pure setup checker.

One table (:data:`CONTRACTS`) says, per model family, which setup fields are required or
forbidden, the thinking rule, tool behaviour, how a turn ends, what to do when the mic goes
off, modalities, limits and (estimated) prices.  :func:`contract_for` finds a model's row;
:func:`check_setup` adapts a camelCase wire setup dict to it before connecting.

This module is a leaf: it imports nothing from the package, so both the client and the local
Live server (which must not import ``protocol``) read the same table.

Sources are ``/work/shared/docs/model-contracts.md`` (newer, wins) and ``live-protocol.md``
§2.1, §3, §4.2, §5.3, §6, §7.  Where a fact is a third-party report the row's ``notes`` say
so.  Unknown prices are ``None``, never guessed.

Default fills (our choices, documented in ``docs/protocol.md``):

* 3.8 extended thinking requires a thinking level or budget: we fill
  ``thinkingLevel: MEDIUM``, the middle of the documented levels.
* Live translate needs a target language: we fill ``targetLanguageCode: "en"``.
* The transcribe model needs ``responseModalities: ["TEXT"]`` and ``inputAudioTranscription``:
  we fill ``["TEXT"]`` and ``{}``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "CONTRACTS",
    "GENERIC_INVALID",
    "ModelContract",
    "Prices",
    "Refusal",
    "SessionLimits",
    "ThinkingRule",
    "base_model_id",
    "check_setup",
    "contract_for",
]

ThinkingMode = Literal["forbidden", "optional_level", "optional_budget", "required_level_or_budget"]
TurnEnd = Literal["turnComplete", "interactionStatusIdle", "never"]
MicOff = Literal["audioStreamEnd", "trailingSilence", "activitySignals"]
Behavior = Literal["BLOCKING", "NON_BLOCKING"]
DeclarationStyle = Literal["parameters", "parametersJsonSchema"]

LEVEL = "generationConfig.thinkingConfig.thinkingLevel"
BUDGET = "generationConfig.thinkingConfig.thinkingBudget"
AFFECTIVE = "generationConfig.enableAffectiveDialog"
PROACTIVITY = "proactivity"
MODALITIES = "generationConfig.responseModalities"


@dataclass(frozen=True, slots=True)
class Refusal:
    """How the real service answers a setup carrying a forbidden field.

    ``close``: it closes with ``code`` and ``reason``.  ``no_setup_complete``: it never sends
    ``setupComplete`` (the client sees a setup timeout).  ``accepted``: it takes the field and
    ignores it; the client drops it only so the user is not misled.
    """

    kind: Literal["close", "no_setup_complete", "accepted"]
    code: int | None = None
    reason: str = ""


GENERIC_INVALID: Final = Refusal("close", 1007, "Request contains an invalid argument.")
_NO_THINKING_LEVEL: Final = Refusal("close", 1007, "Thinking level is not supported for this model")
_NO_SETUP_COMPLETE: Final = Refusal("no_setup_complete")
_IGNORED: Final = Refusal("accepted")


@dataclass(frozen=True, slots=True)
class ThinkingRule:
    """What ``generationConfig.thinkingConfig`` may carry.

    ``levels`` lists the documented ``thinkingLevel`` values (a level outside them is kept with
    a note: not documented is not the same as refused).  ``default_level`` is the server's
    default when nothing is sent, or, for ``required_level_or_budget``, the level we fill.
    """

    mode: ThinkingMode
    levels: tuple[str, ...] = ()
    default_level: str | None = None
    level_and_budget_exclusive: bool = False


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """Seconds, from live-protocol.md §4.2 (Developer API docs)."""

    connection_s: int | None = 600
    audio_only_session_s: int | None = 900  # without contextWindowCompression
    audio_video_session_s: int | None = 120  # without contextWindowCompression
    resumption_handle_valid_s: int | None = 7200


@dataclass(frozen=True, slots=True)
class Prices:
    """USD per 1M tokens, by direction and modality.  Always an estimate; ``None`` = unknown."""

    input_text: float | None = None
    input_audio: float | None = None
    input_image: float | None = None
    output_text: float | None = None
    output_audio: float | None = None
    source: str = ""
    estimate: bool = True


_UNKNOWN_PRICES: Final = Prices(source="not published in our sources")


@dataclass(frozen=True, slots=True)
class ModelContract:
    """One model family's contract.  Field paths are camelCase wire paths inside ``setup``."""

    family: str
    patterns: tuple[str, ...]  # fullmatch against the bare model id (see base_model_id)
    example: str
    status: str
    required: Mapping[str, Any]  # path -> default filled when missing
    forbidden: Mapping[str, Refusal]  # path -> how the service refuses it
    allowed: tuple[str, ...]  # family-specific optional fields (beyond the common ones)
    thinking: ThinkingRule
    tool_default: Behavior | None  # None: the family takes no function declarations
    non_blocking_supported: bool
    non_blocking_required: bool
    declaration_style: DeclarationStyle | None
    turn_end: TurnEnd
    audio_stream_end_ends_turn: bool
    mic_off: MicOff
    trailing_silence_ms: int | None  # digital silence to send on mic off ("trailingSilence")
    response_modalities: tuple[str, ...]  # allowed; the first is the default
    input_modalities: tuple[str, ...]
    turn_coverage_default: str | None
    builtin_tools: frozenset[str]  # of googleSearch, codeExecution, urlContext
    context_input_tokens: int | None
    context_output_tokens: int | None
    limits: SessionLimits = field(default_factory=SessionLimits)
    prices: Prices = _UNKNOWN_PRICES
    notes: tuple[str, ...] = ()

    def matches(self, model_name: str) -> bool:
        """Whether ``model_name`` (any accepted spelling) belongs to this family."""
        bare = base_model_id(model_name)
        return any(re.fullmatch(p, bare) for p in self.patterns)


_ALL_BUILTINS: Final = frozenset({"googleSearch", "codeExecution", "urlContext"})
_SEARCH: Final = frozenset({"googleSearch"})
_3X_LEVELS: Final = ("LOW", "MEDIUM", "HIGH")
_COVERAGE_3X: Final = "TURN_INCLUDES_AUDIO_ACTIVITY_AND_ALL_VIDEO"
_COVERAGE_ACTIVITY: Final = "TURN_INCLUDES_ONLY_ACTIVITY"

_38_FORBIDDEN: Final[Mapping[str, Refusal]] = {
    AFFECTIVE: GENERIC_INVALID,  # "removed: drop the field"
    PROACTIVITY: GENERIC_INVALID,  # always on; proactiveAudio:false is an error
}

CONTRACTS: Final[tuple[ModelContract, ...]] = (
    ModelContract(
        family="3.8 live",
        patterns=(r"gemini-3\.8-live(?!-extended-thinking)(?:-[a-z0-9-]+)?",),
        example="gemini-3.8-live",
        status="stable 2026-09-15, recommended default",
        required={},
        forbidden={
            **_38_FORBIDDEN,
            LEVEL: _NO_THINKING_LEVEL,
            BUDGET: _IGNORED,  # parsed but has no effect
        },
        allowed=(),
        thinking=ThinkingRule("forbidden"),
        tool_default="NON_BLOCKING",
        non_blocking_supported=True,
        non_blocking_required=False,
        declaration_style="parameters",
        turn_end="interactionStatusIdle",
        audio_stream_end_ends_turn=False,
        mic_off="trailingSilence",
        trailing_silence_ms=700,  # the sheet says 500-800 ms of digital silence
        response_modalities=("AUDIO",),
        input_modalities=("TEXT", "IMAGE", "AUDIO"),
        turn_coverage_default=_COVERAGE_3X,
        builtin_tools=_SEARCH,
        context_input_tokens=131072,
        context_output_tokens=65536,
        prices=Prices(
            input_text=0.75,
            input_audio=3.00,
            output_text=4.50,
            output_audio=12.00,
            source="Gemini API docs as quoted in jferreiros/vortex PR #109 (third-party)",
        ),
        notes=(
            "Spends about 940 thought tokens per turn on its own (hermes-gemini-live, measured).",
            "Ignores audioStreamEnd as end of turn (openclaw #152830): stream silence instead.",
        ),
    ),
    ModelContract(
        family="3.8 extended thinking",
        patterns=(r"gemini-3\.8-live-extended-thinking(?:-[a-z0-9-]+)?",),
        example="gemini-3.8-live-extended-thinking",
        status="stable",
        required={LEVEL: "MEDIUM"},  # our fill when neither level nor budget is set
        forbidden=_38_FORBIDDEN,
        allowed=(LEVEL, BUDGET),
        thinking=ThinkingRule(
            "required_level_or_budget",
            levels=_3X_LEVELS,
            default_level="MEDIUM",
            level_and_budget_exclusive=True,
        ),
        tool_default="NON_BLOCKING",
        non_blocking_supported=True,
        non_blocking_required=True,
        declaration_style="parameters",  # with parametersJsonSchema it planned tools as text
        turn_end="interactionStatusIdle",
        audio_stream_end_ends_turn=False,
        mic_off="trailingSilence",
        trailing_silence_ms=700,
        response_modalities=("AUDIO",),
        input_modalities=("TEXT", "IMAGE", "AUDIO"),
        turn_coverage_default=_COVERAGE_3X,
        builtin_tools=_SEARCH,
        context_input_tokens=131072,
        context_output_tokens=65536,
        notes=(
            "turnComplete does not mean idle; speaks fillers mid-turn.",
            "scheduling: INTERRUPT surfaces tool results at once.",
            "Function calling unreliable in one test (2 of 5 with NON_BLOCKING).",
        ),
    ),
    ModelContract(
        family="3.1 flash live (legacy)",
        patterns=(r"gemini-3\.1-flash-live(?:-[a-z0-9-]+)?",),
        example="gemini-3.1-flash-live-preview",
        status="legacy preview (2026-03)",
        required={},
        forbidden={AFFECTIVE: _NO_SETUP_COMPLETE, PROACTIVITY: _NO_SETUP_COMPLETE},
        allowed=(LEVEL,),
        thinking=ThinkingRule(
            "optional_level", levels=("MINIMAL", *_3X_LEVELS), default_level="MINIMAL"
        ),
        tool_default="BLOCKING",
        non_blocking_supported=False,
        non_blocking_required=False,
        declaration_style="parameters",
        turn_end="turnComplete",
        audio_stream_end_ends_turn=True,
        mic_off="audioStreamEnd",
        trailing_silence_ms=None,
        response_modalities=("AUDIO", "TEXT"),
        input_modalities=("TEXT", "IMAGE", "AUDIO"),
        turn_coverage_default=_COVERAGE_3X,
        builtin_tools=_SEARCH,
        context_input_tokens=131072,
        context_output_tokens=65536,
        notes=(
            "A BLOCKING call may never resume speech (Patter PR #210).",
            "thinkingLevel can cause empty generations (examples #37).",
            "Seen sending generationComplete without turnComplete (third-party).",
        ),
    ),
    ModelContract(
        family="2.5 native audio",
        patterns=(
            r"gemini-2\.5-flash-native-audio(?:-[a-z0-9-]+)?",
            r"gemini-live-2\.5-flash-native-audio(?:-[a-z0-9-]+)?",
            r"gemini-2\.5-flash-(?:preview|exp)-native-audio(?:-[a-z0-9-]+)?",
        ),
        example="gemini-2.5-flash-native-audio-preview-12-2025",
        status="preview (Developer API), GA on Vertex",
        required={},
        forbidden={LEVEL: GENERIC_INVALID},  # 2.5 takes thinkingBudget
        allowed=(AFFECTIVE, PROACTIVITY, BUDGET),
        thinking=ThinkingRule("optional_budget"),
        tool_default="BLOCKING",
        non_blocking_supported=True,
        non_blocking_required=False,
        declaration_style="parameters",
        turn_end="turnComplete",
        audio_stream_end_ends_turn=True,
        mic_off="audioStreamEnd",
        trailing_silence_ms=None,
        response_modalities=("AUDIO",),
        input_modalities=("TEXT", "IMAGE", "AUDIO", "VIDEO"),
        turn_coverage_default=_COVERAGE_ACTIVITY,
        builtin_tools=_SEARCH,
        context_input_tokens=131072,  # "128k" on the Vertex page (32k default, upgradable)
        context_output_tokens=65536,
        notes=("Dynamic thinking by default; thinkingBudget 0 disables it.",),
    ),
    ModelContract(
        family="half-cascade",
        patterns=(
            r"gemini-live-2\.5-flash(?!-native-audio)(?:-[a-z0-9-]+)?",
            r"gemini-2\.0-flash-live(?:-[a-z0-9-]+)?",
        ),
        example="gemini-live-2.5-flash-preview",
        status="deprecated, shut down 2025-12-09 on the Developer API",
        required={},
        forbidden={
            AFFECTIVE: GENERIC_INVALID,
            PROACTIVITY: GENERIC_INVALID,
            LEVEL: GENERIC_INVALID,
        },
        allowed=(),
        thinking=ThinkingRule("forbidden"),
        tool_default="BLOCKING",
        non_blocking_supported=False,  # not documented
        non_blocking_required=False,
        declaration_style="parameters",
        turn_end="turnComplete",
        audio_stream_end_ends_turn=True,
        mic_off="audioStreamEnd",
        trailing_silence_ms=None,
        response_modalities=("TEXT", "AUDIO"),
        input_modalities=("TEXT", "IMAGE", "AUDIO", "VIDEO"),
        turn_coverage_default=_COVERAGE_ACTIVITY,
        builtin_tools=frozenset({"googleSearch", "codeExecution"}),
        context_input_tokens=32768,  # seed notes
        context_output_tokens=None,
        notes=("A recording shows an executableCode part before the toolCall.",),
    ),
    ModelContract(
        family="live translate",
        patterns=(r"gemini-[0-9.]+-live-translate(?:-[a-z0-9-]+)?",),
        example="gemini-3.5-live-translate-preview",
        status="preview",
        required={"generationConfig.translationConfig.targetLanguageCode": "en"},
        forbidden={
            "systemInstruction": GENERIC_INVALID,  # third-party: no system instruction
            "tools": GENERIC_INVALID,
            AFFECTIVE: GENERIC_INVALID,
            PROACTIVITY: GENERIC_INVALID,
            LEVEL: GENERIC_INVALID,
            BUDGET: GENERIC_INVALID,
        },
        allowed=("generationConfig.translationConfig.echoTargetLanguage",),
        thinking=ThinkingRule("forbidden"),
        tool_default=None,
        non_blocking_supported=False,
        non_blocking_required=False,
        declaration_style=None,
        turn_end="never",
        audio_stream_end_ends_turn=True,
        mic_off="audioStreamEnd",
        trailing_silence_ms=None,
        response_modalities=("AUDIO",),
        input_modalities=("AUDIO",),
        turn_coverage_default=None,
        builtin_tools=frozenset(),
        context_input_tokens=None,
        context_output_tokens=None,
        notes=(
            "Never sends turnComplete; detects the source language (third-party).",
            "Sends per-turn usage increments, not running totals (third-party).",
        ),
    ),
    ModelContract(
        family="transcribe",
        patterns=(r"gemini-[0-9.]+-transcribe-live(?:-[a-z0-9-]+)?",),
        example="gemini-3.5-transcribe-live",
        status="new, speech-to-text only",
        required={MODALITIES: ["TEXT"], "inputAudioTranscription": {}},
        forbidden={
            "tools": GENERIC_INVALID,
            "generationConfig.speechConfig": GENERIC_INVALID,
            "outputAudioTranscription": GENERIC_INVALID,
            AFFECTIVE: GENERIC_INVALID,
            PROACTIVITY: GENERIC_INVALID,
            LEVEL: GENERIC_INVALID,
            BUDGET: GENERIC_INVALID,
        },
        allowed=(
            "inputAudioTranscription.languageHints",
            "inputAudioTranscription.languageAuto",
            "inputAudioTranscription.adaptationPhrases",
            "inputAudioTranscription.mode",
        ),
        thinking=ThinkingRule("forbidden"),
        tool_default=None,
        non_blocking_supported=False,
        non_blocking_required=False,
        declaration_style=None,
        turn_end="never",  # utterances end with a final inputTranscription
        audio_stream_end_ends_turn=True,  # it flushes the utterance
        mic_off="audioStreamEnd",
        trailing_silence_ms=None,
        response_modalities=("TEXT",),
        input_modalities=("AUDIO",),
        turn_coverage_default=None,
        builtin_tools=frozenset(),
        context_input_tokens=None,
        context_output_tokens=None,
        notes=(
            "Returns interimInputTranscription and a final inputTranscription.",
            "16 kHz input is best (pipecat stt.py).",
        ),
    ),
)

# Developer API: "models/x", "tunedModels/x"; Vertex: "publishers/google/models/x" or
# "projects/p/locations/l/publishers/google/models/x".
_PREFIX: Final = re.compile(r"^(?:.*/)?(?:models|tunedModels)/")


def base_model_id(model_name: str) -> str:
    """The bare model id: ``projects/p/locations/l/publishers/google/models/x`` -> ``x``."""
    return _PREFIX.sub("", model_name.strip())


def contract_for(model_name: str) -> ModelContract | None:
    """The family contract ``model_name`` belongs to, or ``None`` for an unknown model."""
    bare = base_model_id(model_name)
    for contract in CONTRACTS:
        if any(re.fullmatch(p, bare) for p in contract.patterns):
            return contract
    return None


def _get(tree: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    node: Any = tree
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _pop(tree: dict[str, Any], path: str) -> None:
    """Remove ``path`` and any parent objects the removal leaves empty."""
    keys = path.split(".")
    chain: list[dict[str, Any]] = [tree]
    for key in keys[:-1]:
        chain.append(chain[-1][key])
    del chain[-1][keys[-1]]
    for depth in range(len(keys) - 1, 0, -1):
        if chain[depth]:
            break
        del chain[depth - 1][keys[depth - 1]]


def _put(tree: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    node = tree
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[keys[-1]] = copy.deepcopy(value)


def check_setup(
    setup: Mapping[str, Any], contract: ModelContract | None
) -> tuple[dict[str, Any], list[str]]:
    """Adapt a camelCase wire setup (the object inside ``{"setup": ...}``) to ``contract``.

    Returns a new dict (``setup`` is not changed) and one note per change: each forbidden field
    dropped, each missing required field filled, a response modality replaced, a built-in tool
    the family lacks dropped, a thinking level outside the documented ones.  ``None`` (unknown
    model) returns an untouched copy and one note.
    """
    fixed: dict[str, Any] = copy.deepcopy(dict(setup))
    model = str(fixed.get("model", "?"))
    if contract is None:
        return fixed, [f"{model}: unknown model, setup sent as is (no contract checks)"]
    notes: list[str] = []
    name = f"{model} ({contract.family})"
    for path, refusal in contract.forbidden.items():
        present, _ = _get(fixed, path)
        if present:
            _pop(fixed, path)
            why = "has no effect" if refusal.kind == "accepted" else "not supported"
            notes.append(f"dropped {path}: {why} on {name}")
    rule = contract.thinking
    has_level, level = _get(fixed, LEVEL)
    has_budget, _ = _get(fixed, BUDGET)
    if rule.level_and_budget_exclusive and has_level and has_budget:
        _pop(fixed, BUDGET)
        notes.append(f"dropped {BUDGET}: {name} takes a thinking level or a budget, not both")
    if has_level and rule.levels and level not in rule.levels:
        notes.append(
            f"{LEVEL}={level} is not a documented level on {name} (documented: "
            f"{', '.join(rule.levels)}); sent as is"
        )
    either_set = has_level or has_budget
    for path, default in contract.required.items():
        satisfied = either_set if path == LEVEL else _get(fixed, path)[0]
        if not satisfied:
            _put(fixed, path, default)
            notes.append(f"filled {path}={default!r}: required on {name}")
    present, modalities = _get(fixed, MODALITIES)
    if present and (
        not isinstance(modalities, list)
        or any(m not in contract.response_modalities for m in modalities)
    ):
        _put(fixed, MODALITIES, [contract.response_modalities[0]])
        notes.append(
            f"replaced {MODALITIES}={modalities!r} with "
            f"[{contract.response_modalities[0]!r}]: {name} answers in "
            f"{' or '.join(contract.response_modalities)}"
        )
    tools = fixed.get("tools")
    if isinstance(tools, list):
        kept: list[Any] = []
        for tool in tools:
            lacking = (
                sorted(k for k in tool if k in _ALL_BUILTINS and k not in contract.builtin_tools)
                if isinstance(tool, dict)
                else []
            )
            for key in lacking:
                notes.append(f"dropped tools[].{key}: not supported on {name}")
                del tool[key]
            if not isinstance(tool, dict) or tool or not lacking:
                kept.append(tool)
        if kept:
            fixed["tools"] = kept
        else:
            del fixed["tools"]
    return fixed, notes
