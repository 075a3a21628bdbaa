"""The real service's admission rules, as the local Live server enforces them.

Which models exist, which setup fields are known, and the close codes and reason texts the
real service uses when it refuses something (``docs/protocol.md`` and the fact sheet's
close-code table).  Pure functions over normalised (camelCase) dicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ACTIVITY_CONTROL",
    "API_KEY_INVALID",
    "API_KEY_MISSING",
    "DEFAULT_MODELS",
    "INTERNAL_ERROR",
    "INVALID_ARGUMENT",
    "RETIRED_MODELS",
    "ModelCatalog",
    "Rejection",
    "check_client_message",
    "check_setup",
    "model_id",
]

INVALID_ARGUMENT = "Request contains an invalid argument."
API_KEY_INVALID = "API key not valid. Please pass a valid API key."
API_KEY_MISSING = "The request is missing a valid API key."
INTERNAL_ERROR = "Internal error occurred."
ACTIVITY_CONTROL = (
    "Explicit activity control is not supported when automatic activity detection is enabled."
)

# The fact sheet's section 7, plus "x": the model name the project's own examples use.
DEFAULT_MODELS = frozenset(
    {
        "gemini-3.1-flash-live-preview",
        "gemini-3.8-live",
        "gemini-2.5-flash-native-audio-preview-09-2025",
        "gemini-2.5-flash-native-audio-preview-12-2025",
        "gemini-live-2.5-flash-native-audio",
        "gemini-live-2.5-flash",
        "gemini-3.5-live-translate-preview",
        "x",
    }
)
# Shut down 2025-12-09; the real service answers them with 1008 "not found".
RETIRED_MODELS = frozenset({"gemini-2.0-flash-live-001", "gemini-live-2.5-flash-preview"})

_CLIENT_MESSAGES = ("setup", "clientContent", "realtimeInput", "toolResponse", "contextUpdate")
_SETUP_FIELDS = frozenset(
    {
        "model",
        "generationConfig",
        "systemInstruction",
        "tools",
        "sessionResumption",
        "contextWindowCompression",
        "inputAudioTranscription",
        "outputAudioTranscription",
        "realtimeInputConfig",
        "proactivity",
        "explicitVadSignal",
        "historyConfig",
        "avatarConfig",
        "safetySettings",
        "labels",
    }
)
# Top-level setup fields clients wrongly nest in generationConfig; the real service names
# them in its error (fact sheet section 2.1).
_NOT_IN_GENERATION_CONFIG = (
    "inputAudioTranscription",
    "outputAudioTranscription",
    "realtimeInputConfig",
    "sessionResumption",
    "contextWindowCompression",
)


@dataclass(frozen=True)
class Rejection(Exception):
    """The server must close the connection with ``code`` and ``reason``."""

    code: int
    reason: str


class ModelCatalog:
    """Which ``setup.model`` names exist.

    With the default list, any ``gemini-*`` name mentioning ``live`` or ``native-audio``
    also exists (new previews appear often), except the retired ones.  An explicit
    ``models`` list turns that pattern off.
    """

    def __init__(self, models: Iterable[str] | None = None, extra: Iterable[str] = ()) -> None:
        self._pattern = models is None
        base = DEFAULT_MODELS if models is None else frozenset(models)
        self._names = frozenset(model_id(name) for name in (*base, *extra))

    def known(self, name: str) -> bool:
        """Whether the model behind ``name`` (any resource form) exists."""
        ident = model_id(name)
        if ident in self._names:
            return True
        if not self._pattern or ident in RETIRED_MODELS:
            return False
        return ident.startswith("gemini-") and ("live" in ident or "native-audio" in ident)

    @staticmethod
    def audio_only(name: str) -> bool:
        """Native-audio and 3.8 Live models answer in AUDIO only (fact sheet section 7)."""
        ident = model_id(name)
        return "native-audio" in ident or ident.startswith("gemini-3.8-live")


def model_id(name: str) -> str:
    """``models/x``, ``projects/p/.../models/x`` or ``x`` -> ``x``."""
    return name.rsplit("models/", 1)[-1]


def check_client_message(message: dict[str, Any]) -> str:
    """The one top-level field of a client message, or a 1007 :class:`Rejection`."""
    keys = list(message)
    unknown = [key for key in keys if key not in _CLIENT_MESSAGES]
    if unknown:
        raise Rejection(
            1007, f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.'
        )
    if len(keys) != 1:
        raise Rejection(1007, INVALID_ARGUMENT)
    return keys[0]


def check_setup(setup: Any, catalog: ModelCatalog, api_version: str) -> None:
    """Raise a :class:`Rejection` the way the real service refuses a setup."""
    if not isinstance(setup, dict):
        raise Rejection(1007, INVALID_ARGUMENT)
    for key in setup:
        if key not in _SETUP_FIELDS:
            raise Rejection(
                1007,
                f"Invalid JSON payload received. Unknown name \"{key}\" at 'setup': "
                "Cannot find field.",
            )
    generation = setup.get("generationConfig") or {}
    if not isinstance(generation, dict):
        raise Rejection(1007, INVALID_ARGUMENT)
    for key in _NOT_IN_GENERATION_CONFIG:
        if key in generation:
            raise Rejection(
                1007,
                f'Invalid JSON payload received. Unknown name "{key}" at '
                "'setup.generation_config': Cannot find field.",
            )
    model = setup.get("model")
    if not isinstance(model, str) or not model:
        raise Rejection(1007, INVALID_ARGUMENT)
    if not catalog.known(model):
        raise Rejection(
            1008,
            f"{model} is not found for API version {api_version}, or is not supported for "
            "bidiGenerateContent. Call ListModels to see the list of available models and "
            "their supported methods.",
        )
    modalities = [str(item).upper() for item in generation.get("responseModalities") or []]
    if len(modalities) > 1 or any(item not in {"TEXT", "AUDIO"} for item in modalities):
        raise Rejection(1007, INVALID_ARGUMENT)
    if modalities == ["TEXT"] and catalog.audio_only(model):
        raise Rejection(1007, "Cannot extract voices from a non-audio request.")
    resumption = setup.get("sessionResumption")
    if resumption is not None and not isinstance(resumption, dict):
        raise Rejection(1007, INVALID_ARGUMENT)
