"""The model contract table: lookups by every name spelling, and check_setup's adaptations."""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import pytest

from gemini_live_tui import model_contracts as mc
from gemini_live_tui.model_contracts import CONTRACTS, check_setup, contract_for

FAMILY_NAMES = {
    "3.8 live": ["gemini-3.8-live", "gemini-3.8-live-preview-09-2026"],
    "3.8 extended thinking": ["gemini-3.8-live-extended-thinking"],
    "3.1 flash live (legacy)": ["gemini-3.1-flash-live-preview"],
    "2.5 native audio": [
        "gemini-2.5-flash-native-audio-preview-09-2025",
        "gemini-2.5-flash-native-audio-preview-12-2025",
        "gemini-live-2.5-flash-native-audio",
        "gemini-2.5-flash-preview-native-audio-dialog",
    ],
    "half-cascade": [
        "gemini-live-2.5-flash-preview",
        "gemini-2.0-flash-live-001",
        "gemini-live-2.5-flash",
    ],
    "live translate": ["gemini-3.5-live-translate-preview"],
    "transcribe": ["gemini-3.5-transcribe-live"],
}


def spellings(bare: str) -> list[str]:
    return [
        bare,
        f"models/{bare}",
        f"publishers/google/models/{bare}",
        f"projects/my-proj/locations/us-central1/publishers/google/models/{bare}",
    ]


@pytest.mark.parametrize(
    ("family", "name"),
    [(f, s) for f, names in FAMILY_NAMES.items() for n in names for s in spellings(n)],
)
def test_every_spelling_finds_its_family(family: str, name: str) -> None:
    contract = contract_for(name)
    assert contract is not None and contract.family == family
    assert contract.matches(name)


def test_every_family_is_in_the_table_once_and_its_example_resolves_to_it() -> None:
    assert [c.family for c in CONTRACTS] == list(FAMILY_NAMES)
    for contract in CONTRACTS:
        assert contract_for(contract.example) is contract


def test_no_name_matches_two_families() -> None:
    for names in FAMILY_NAMES.values():
        for name in names:
            assert sum(c.matches(name) for c in CONTRACTS) == 1, name


@pytest.mark.parametrize(
    "name", ["gemini-2.5-flash", "gpt-4o", "models/gemini-3.8-flash", "", "gemini-3.8-liver"]
)
def test_unknown_models_have_no_contract(name: str) -> None:
    assert contract_for(name) is None


def test_the_module_is_a_leaf() -> None:
    tree = ast.parse(Path(mc.__file__).read_text())
    imported = {
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in (n.names if isinstance(n, ast.Import) else [n.names[0]])
    }
    assert not {m for m in imported if m and m.startswith("gemini_live_tui")}


def test_unknown_model_passes_untouched_with_one_note() -> None:
    setup: dict[str, Any] = {"model": "models/new-thing", "proactivity": {"proactiveAudio": True}}
    fixed, notes = check_setup(setup, contract_for(setup["model"]))
    assert fixed == setup and fixed is not setup
    assert notes == ["models/new-thing: unknown model, setup sent as is (no contract checks)"]


def test_a_clean_setup_passes_without_notes_on_every_family() -> None:
    for contract in CONTRACTS:
        setup: dict[str, Any] = {"model": f"models/{contract.example}"}
        for path, default in contract.required.items():
            mc._put(setup, path, default)
        fixed, notes = check_setup(setup, contract)
        assert (fixed, notes) == (setup, []), contract.family


def test_38_drops_thinking_level_and_2_5_fields_one_note_each_naming_field_and_model() -> None:
    setup: dict[str, Any] = {
        "model": "models/gemini-3.8-live",
        "generationConfig": {
            "responseModalities": ["AUDIO"],
            "enableAffectiveDialog": True,
            "thinkingConfig": {"thinkingLevel": "HIGH", "includeThoughts": True},
        },
        "proactivity": {"proactiveAudio": False},
    }
    before = copy.deepcopy(setup)
    fixed, notes = check_setup(setup, contract_for(setup["model"]))
    assert setup == before  # pure
    assert fixed == {
        "model": "models/gemini-3.8-live",
        "generationConfig": {
            "responseModalities": ["AUDIO"],
            "thinkingConfig": {"includeThoughts": True},
        },
    }
    assert len(notes) == 3
    for field in ("enableAffectiveDialog", "proactivity", "thinkingLevel"):
        (note,) = [n for n in notes if field in n]
        assert "models/gemini-3.8-live" in note and note.startswith("dropped ")


def test_emptied_parents_are_removed() -> None:
    setup: dict[str, Any] = {
        "model": "gemini-3.8-live",
        "generationConfig": {"thinkingConfig": {"thinkingBudget": 0}},
    }
    fixed, notes = check_setup(setup, contract_for("gemini-3.8-live"))
    assert fixed == {"model": "gemini-3.8-live"}
    assert notes == [
        "dropped generationConfig.thinkingConfig.thinkingBudget: has no effect on "
        "gemini-3.8-live (3.8 live)"
    ]


def test_extended_thinking_fills_the_documented_default_level() -> None:
    setup: dict[str, Any] = {"model": "models/gemini-3.8-live-extended-thinking"}
    fixed, notes = check_setup(setup, contract_for(setup["model"]))
    assert fixed["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "MEDIUM"}
    assert notes == [
        "filled generationConfig.thinkingConfig.thinkingLevel='MEDIUM': required on "
        "models/gemini-3.8-live-extended-thinking (3.8 extended thinking)"
    ]


def test_extended_thinking_accepts_a_budget_instead_of_a_level() -> None:
    setup: dict[str, Any] = {
        "model": "gemini-3.8-live-extended-thinking",
        "generationConfig": {"thinkingConfig": {"thinkingBudget": 2048}},
    }
    assert check_setup(setup, contract_for(setup["model"])) == (setup, [])


def test_extended_thinking_drops_the_budget_when_both_are_set() -> None:
    setup: dict[str, Any] = {
        "model": "gemini-3.8-live-extended-thinking",
        "generationConfig": {"thinkingConfig": {"thinkingLevel": "LOW", "thinkingBudget": 10}},
    }
    fixed, notes = check_setup(setup, contract_for(setup["model"]))
    assert fixed["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "LOW"}
    assert len(notes) == 1 and "not both" in notes[0]


def test_an_undocumented_level_is_kept_with_a_note() -> None:
    setup: dict[str, Any] = {
        "model": "gemini-3.1-flash-live-preview",
        "generationConfig": {"thinkingConfig": {"thinkingLevel": "XHIGH"}},
    }
    fixed, notes = check_setup(setup, contract_for(setup["model"]))
    assert fixed == setup
    assert len(notes) == 1 and "XHIGH" in notes[0] and "MINIMAL" in notes[0]


def test_31_refusals_are_no_setup_complete_and_are_dropped() -> None:
    contract = contract_for("gemini-3.1-flash-live-preview")
    assert contract is not None
    assert contract.forbidden[mc.AFFECTIVE].kind == "no_setup_complete"
    setup: dict[str, Any] = {"model": "x", "generationConfig": {"enableAffectiveDialog": True}}
    fixed, notes = check_setup(setup, contract)
    assert fixed == {"model": "x"} and len(notes) == 1


def test_2_5_keeps_its_own_fields() -> None:
    setup: dict[str, Any] = {
        "model": "models/gemini-2.5-flash-native-audio-preview-12-2025",
        "generationConfig": {
            "enableAffectiveDialog": True,
            "thinkingConfig": {"thinkingBudget": 0},
        },
        "proactivity": {"proactiveAudio": True},
    }
    assert check_setup(setup, contract_for(setup["model"])) == (setup, [])


def test_transcribe_fills_text_and_transcription_and_drops_speech_fields() -> None:
    setup: dict[str, Any] = {
        "model": "models/gemini-3.5-transcribe-live",
        "generationConfig": {"speechConfig": {"languageCode": "de-DE"}},
        "tools": [{"googleSearch": {}}],
    }
    fixed, notes = check_setup(setup, contract_for(setup["model"]))
    assert fixed == {
        "model": "models/gemini-3.5-transcribe-live",
        "generationConfig": {"responseModalities": ["TEXT"]},
        "inputAudioTranscription": {},
    }
    assert len(notes) == 4


def test_a_wrong_response_modality_is_replaced() -> None:
    setup: dict[str, Any] = {
        "model": "gemini-3.8-live",
        "generationConfig": {"responseModalities": ["TEXT"]},
    }
    fixed, notes = check_setup(setup, contract_for("gemini-3.8-live"))
    assert fixed["generationConfig"]["responseModalities"] == ["AUDIO"]
    assert len(notes) == 1 and "AUDIO" in notes[0]


def test_unsupported_builtin_tools_are_dropped_and_functions_kept() -> None:
    declarations = {"functionDeclarations": [{"name": "f"}]}
    setup: dict[str, Any] = {
        "model": "gemini-3.8-live",
        "tools": [declarations, {"codeExecution": {}}, {"urlContext": {}, "googleSearch": {}}],
    }
    fixed, notes = check_setup(setup, contract_for("gemini-3.8-live"))
    assert fixed["tools"] == [declarations, {"googleSearch": {}}]
    assert sorted(notes) == [
        "dropped tools[].codeExecution: not supported on gemini-3.8-live (3.8 live)",
        "dropped tools[].urlContext: not supported on gemini-3.8-live (3.8 live)",
    ]


def test_translate_fills_a_target_language() -> None:
    setup: dict[str, Any] = {
        "model": "gemini-3.5-live-translate-preview",
        "systemInstruction": {"parts": []},
    }
    fixed, notes = check_setup(setup, contract_for(setup["model"]))
    assert fixed == {
        "model": "gemini-3.5-live-translate-preview",
        "generationConfig": {"translationConfig": {"targetLanguageCode": "en"}},
    }
    assert len(notes) == 2


def test_table_facts_the_issue_relies_on() -> None:
    live = contract_for("gemini-3.8-live")
    ext = contract_for("gemini-3.8-live-extended-thinking")
    legacy = contract_for("gemini-3.1-flash-live-preview")
    assert live and ext and legacy
    assert (live.turn_end, live.audio_stream_end_ends_turn, live.mic_off) == (
        "interactionStatusIdle",
        False,
        "trailingSilence",
    )
    assert live.trailing_silence_ms is not None and 500 <= live.trailing_silence_ms <= 800
    assert (live.tool_default, ext.non_blocking_required, legacy.non_blocking_supported) == (
        "NON_BLOCKING",
        True,
        False,
    )
    assert live.prices.output_audio == 12.0 and live.prices.estimate and live.prices.source
    assert ext.prices.output_audio is None  # unknown prices stay unknown
    assert contract_for("gemini-3.5-live-translate-preview").turn_end == "never"  # type: ignore[union-attr]
    for contract in CONTRACTS:
        assert contract.response_modalities
        assert contract.builtin_tools <= {"googleSearch", "codeExecution", "urlContext"}
        if contract.mic_off == "trailingSilence":
            assert not contract.audio_stream_end_ends_turn
