"""Resolved settings for the terminal app: flags > environment > TOML profile > defaults.

:func:`load_settings` is the only way to build a :class:`Settings`.  It reads, in order of
precedence, the command-line flags the CLI passes in, the environment (``GEMINI_API_KEY``,
``LIVE_BACKEND`` ...), and the TOML file ``config.toml`` in the user config directory, whose
top-level keys apply to every profile and whose ``[profiles.NAME]`` tables override them when
``--profile NAME`` is chosen.  Our own file is decoded strictly: an unknown key is an error
that names the key, so a typo never silently does nothing.

Secrets (the API key and the Vertex access token) live in :class:`Secret`, whose ``repr`` and
``str`` are masked; :meth:`Settings.describe` gives the ``gemini-live config`` listing with the
source of each value and secrets masked, URLs included (userinfo, query values).  A
``config.toml`` that holds a key or token and that other users can read yields one line in
:attr:`Settings.warnings`, which the CLI prints.  This module imports only the standard library and
platformdirs, so it is cheap to load and safe below the UI.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from gemini_live_tui.errors import ConfigError
from gemini_live_tui.secret import Secret
from gemini_live_tui.text_safety import mask_url, url_secrets

__all__ = [
    "BACKENDS",
    "DEFAULT_AUDIO_MODEL",
    "DEFAULT_TEXT_MODEL",
    "CompressionSettings",
    "Paths",
    "Secret",
    "Settings",
    "VadSettings",
    "credentials_help",
    "load_settings",
    "qualified_model_name",
    "resolve_paths",
]

Backend = Literal["gemini", "vertex", "local"]
Modality = Literal["audio", "text"]

BACKENDS: tuple[Backend, ...] = ("gemini", "vertex", "local")

# Gemini 3.8 Live is the stable Live model in late 2026 and answers in audio only (its text
# comes from output transcription, which the default session turns on).  `--text` needs a
# model that can answer in text, which 3.8 cannot: 3.1 Flash Live still can.
DEFAULT_AUDIO_MODEL = "models/gemini-3.8-live"
DEFAULT_TEXT_MODEL = "models/gemini-3.1-flash-live-preview"

_APP_NAME = "gemini-live"


@dataclass(frozen=True, slots=True)
class VadSettings:
    """Automatic voice activity detection settings sent in ``realtimeInputConfig``.

    ``None`` leaves a field to the server's default.
    """

    disabled: bool = False
    start_sensitivity: Literal["high", "low"] | None = None
    end_sensitivity: Literal["high", "low"] | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None

    def is_default(self) -> bool:
        """True when nothing differs from the server's defaults."""
        return self == VadSettings()


@dataclass(frozen=True, slots=True)
class CompressionSettings:
    """Sliding-window context compression, on by default so sessions outlive their caps."""

    enabled: bool = True
    trigger_tokens: int | None = None
    target_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Paths:
    """Where the app reads and writes files; tests point every one of them at a tmp dir."""

    config_file: Path
    history_file: Path
    log_file: Path
    transcripts_dir: Path


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app needs to start, resolved once by :func:`load_settings`.

    ``sources`` maps each field name to where its value came from (``flag``, ``env NAME``,
    ``profile NAME``, ``config file`` or ``default``); ``gemini-live config`` prints it.
    """

    backend: Backend = "gemini"
    model: str = DEFAULT_AUDIO_MODEL
    api_key: Secret | None = None
    endpoint: str | None = None
    vertex_location: str | None = None
    vertex_auth: Literal["static", "adc"] = "static"
    vertex_access_token: Secret | None = None
    profile: str = "default"
    response_modality: Modality = "audio"
    voice: str | None = None
    system_instruction: str | None = None
    vad: VadSettings = field(default_factory=VadSettings)
    compression: CompressionSettings = field(default_factory=CompressionSettings)
    input_device: str | None = None
    output_device: str | None = None
    aec: bool = True
    duplex: Literal["full", "half"] = "full"
    audio_chunk_ms: int = 40  # mic chunk length sent to the server, 20-100 in steps of 10
    # The screen or window /share-screen saved and /snap use, matched by name each run.
    screen_target: str | None = None
    debug: bool = False
    # --wire-log FILE: every frame and reconnect decision as JSON lines (live.wire_log).
    wire_log: Path | None = None
    paths: Paths | None = None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    # One line each, for the CLI to print (a config file with a key that others can read).
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def check_credentials(self) -> None:
        """Raise :class:`ConfigError` when the chosen backend cannot authenticate."""
        if self.backend == "local":
            return
        if self.backend == "gemini":
            if self.api_key is None and self.endpoint is None:
                raise ConfigError(credentials_help())
            return
        missing = []
        if self.vertex_location is None and self.endpoint is None:
            missing.append("VERTEX_LOCATION")
        if not self.model.startswith("projects/"):
            missing.append("VERTEX_MODEL (projects/P/locations/L/publishers/google/models/M)")
        if self.vertex_auth == "static" and self.vertex_access_token is None:
            missing.append("VERTEX_AI_ACCESS_TOKEN (or VERTEX_AUTH=adc)")
        if missing:
            raise ConfigError("the vertex backend needs " + ", ".join(missing))

    def describe(self) -> list[tuple[str, str, str]]:
        """(name, value, source) rows for ``gemini-live config``; secrets are masked."""
        rows: list[tuple[str, str, str]] = []
        for f in dataclasses.fields(self):
            if f.name in {"sources", "paths", "vad", "compression"}:
                continue
            if f.name == "warnings":
                continue
            value = getattr(self, f.name)
            shown = mask_url(value) if f.name == "endpoint" and value else _show(value)
            rows.append((f.name, shown, self.sources.get(f.name, "default")))
        for group in ("vad", "compression"):
            sub = getattr(self, group)
            for f in dataclasses.fields(sub):
                key = f"{group}.{f.name}"
                rows.append((key, _show(getattr(sub, f.name)), self.sources.get(key, "default")))
        if self.paths is not None:
            for f in dataclasses.fields(self.paths):
                rows.append((f"paths.{f.name}", str(getattr(self.paths, f.name)), "platform"))
        return rows

    def banner_model(self) -> str:
        """Short model label for the status bar (the last path segment)."""
        return self.model.rsplit("/", 1)[-1]


def credentials_help() -> str:
    """The one-paragraph message shown when no backend can authenticate."""
    return (
        "no credentials: set GEMINI_API_KEY for the Gemini API; or LIVE_BACKEND=vertex with "
        "VERTEX_LOCATION, VERTEX_MODEL and VERTEX_AI_ACCESS_TOKEN (or VERTEX_AUTH=adc); "
        "or try it offline with `gemini-live --backend local`"
    )


def _show(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, Secret):
        return value.masked()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def resolve_paths(env: Mapping[str, str]) -> Paths:
    """Platform directories, each overridable by an environment variable (tests use them).

    ``GEMINI_LIVE_CONFIG_DIR`` holds ``config.toml``; ``GEMINI_LIVE_DATA_DIR`` holds the input
    history and saved transcripts; ``GEMINI_LIVE_LOG_DIR`` holds ``gemini-live.log``.
    """
    import platformdirs  # deferred: only needed when no override is given

    config_dir = _env_path(env, "GEMINI_LIVE_CONFIG_DIR") or Path(
        platformdirs.user_config_dir(_APP_NAME, appauthor=False)
    )
    data_dir = _env_path(env, "GEMINI_LIVE_DATA_DIR") or Path(
        platformdirs.user_data_dir(_APP_NAME, appauthor=False)
    )
    log_dir = _env_path(env, "GEMINI_LIVE_LOG_DIR") or Path(
        platformdirs.user_log_dir(_APP_NAME, appauthor=False)
    )
    return Paths(
        config_file=config_dir / "config.toml",
        history_file=data_dir / "history",
        log_file=log_dir / "gemini-live.log",
        transcripts_dir=data_dir / "transcripts",
    )


def _env_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value).expanduser() if value else None


# ---------------------------------------------------------------------------------------------
# Layered resolution.

# Keys accepted in config.toml (top level or inside a profile) and their Python types.
_FILE_KEYS: dict[str, type | tuple[type, ...]] = {
    "backend": str,
    "model": str,
    "api_key": str,
    "endpoint": str,
    "vertex_location": str,
    "vertex_model": str,
    "vertex_auth": str,
    "vertex_access_token": str,
    "response_modality": str,
    "voice": str,
    "system_instruction": str,
    "input_device": str,
    "output_device": str,
    "aec": (bool, str),
    "duplex": str,
    "audio_chunk_ms": int,
    "screen_target": str,
    "vad": dict,
    "compression": dict,
}
_VAD_KEYS: dict[str, type | tuple[type, ...]] = {
    "disabled": bool,
    "start_sensitivity": str,
    "end_sensitivity": str,
    "prefix_padding_ms": int,
    "silence_duration_ms": int,
}
_COMPRESSION_KEYS: dict[str, type | tuple[type, ...]] = {
    "enabled": bool,
    "trigger_tokens": int,
    "target_tokens": int,
}

# Environment variable -> settings key.  Empty values count as unset.
_ENV_KEYS: dict[str, str] = {
    "GEMINI_API_KEY": "api_key",
    "GEMINI_MODEL": "model",
    "LIVE_BACKEND": "backend",
    "VERTEX_LOCATION": "vertex_location",
    "VERTEX_MODEL": "vertex_model",
    "VERTEX_AI_ACCESS_TOKEN": "vertex_access_token",
    "VERTEX_AUTH": "vertex_auth",
    "GEMINI_LIVE_ENDPOINT": "endpoint",
    "GEMINI_SYSTEM_INSTRUCTION": "system_instruction",
    "GEMINI_VOICE": "voice",
}


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    paths: Paths | None = None,
) -> Settings:
    """Resolve settings from flags, environment and the TOML config file.

    Args:
        flags: values from the command line; ``None`` values mean "not given".  Keys are the
            settings names (``backend``, ``model``, ``profile``, ``text`` (bool), ``voice``,
            ``system_instruction``, ``endpoint``, ``debug``).
        env: the environment to read (``os.environ`` by default).
        paths: where files live; resolved from ``env`` and the platform when omitted.

    Raises:
        ConfigError: an unreadable config file, an unknown key, a bad value or an unknown
            profile.  The message names the key (or variable) and the reason.
    """
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env = os.environ if env is None else env
    paths = paths or resolve_paths(env)

    file_data = _read_config_file(paths.config_file)
    warnings = _loose_file_warnings(paths.config_file, file_data)
    profile = str(flags.get("profile") or env.get("GEMINI_LIVE_PROFILE", "").strip() or "default")
    profiles = file_data.pop("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{paths.config_file}: 'profiles' must be a table of tables")
    base = _check_keys(file_data, _FILE_KEYS, str(paths.config_file))
    layer_profile: dict[str, Any] = {}
    if profile in profiles:
        table = profiles[profile]
        if not isinstance(table, dict):
            raise ConfigError(f"{paths.config_file}: profile '{profile}' must be a table")
        layer_profile = _check_keys(table, _FILE_KEYS, f"{paths.config_file} [profiles.{profile}]")
    elif profile != "default":
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(
            f"profile '{profile}' is not in {paths.config_file} (profiles there: {known})"
        )

    layer_env: dict[str, Any] = {}
    env_names: dict[str, str] = {}
    for var, key in _ENV_KEYS.items():
        value = env.get(var, "").strip()
        if value:
            layer_env[key] = value
            env_names[key] = var

    layer_flags: dict[str, Any] = {}
    for key in (
        "backend",
        "model",
        "voice",
        "system_instruction",
        "endpoint",
        "input_device",
        "output_device",
        "aec",
        "duplex",
    ):
        if key in flags:
            layer_flags[key] = flags[key]
    if flags.get("text"):
        layer_flags["response_modality"] = "text"

    sources: dict[str, str] = {}

    def pick(key: str) -> Any:
        for layer, source in (
            (layer_flags, "flag"),
            (layer_env, f"env {env_names.get(key, '')}"),
            (layer_profile, f"profile {profile}"),
            (base, "config file"),
        ):
            if key in layer:
                sources[key] = source
                return layer[key]
        return None

    backend = pick("backend") or "gemini"
    if backend not in BACKENDS:
        raise ConfigError(f"backend '{backend}' is not one of {', '.join(BACKENDS)}")
    modality = pick("response_modality") or "audio"
    if modality not in ("audio", "text"):
        raise ConfigError(f"response_modality '{modality}' is not 'audio' or 'text'")
    vertex_auth = pick("vertex_auth") or "static"
    if vertex_auth not in ("static", "adc"):
        raise ConfigError(f"vertex_auth '{vertex_auth}' is not 'static' or 'adc'")

    model = _resolve_model(backend, modality, layer_flags.get("model"), pick, sources)
    api_key = pick("api_key")
    token = pick("vertex_access_token")
    endpoint = pick("endpoint")
    if endpoint is not None and not str(endpoint).startswith(("ws://", "wss://")):
        raise ConfigError(f"endpoint '{endpoint}' must start with ws:// or wss://")

    vad = _merge_table(base.get("vad"), layer_profile.get("vad"), _VAD_KEYS, "vad", profile)
    compression = _merge_table(
        base.get("compression"),
        layer_profile.get("compression"),
        _COMPRESSION_KEYS,
        "compression",
        profile,
    )
    for key in vad:
        sources[f"vad.{key}"] = "config file"
    for key in compression:
        sources[f"compression.{key}"] = "config file"
    for key in ("start_sensitivity", "end_sensitivity"):
        if key in vad and vad[key] not in ("high", "low"):
            raise ConfigError(f"vad.{key} '{vad[key]}' is not 'high' or 'low'")
    for key in ("prefix_padding_ms", "silence_duration_ms"):
        if key in vad and vad[key] < 0:
            raise ConfigError(f"vad.{key} must not be negative")

    if flags.get("debug"):
        sources["debug"] = "flag"
    if flags.get("wire_log"):
        sources["wire_log"] = "flag"
    if profile != "default" or flags.get("profile"):
        sources["profile"] = "flag" if flags.get("profile") else "env GEMINI_LIVE_PROFILE"

    return Settings(
        backend=cast(Backend, backend),
        model=model,
        api_key=Secret(api_key) if api_key else None,
        endpoint=endpoint,
        vertex_location=pick("vertex_location"),
        vertex_auth=cast(Literal["static", "adc"], vertex_auth),
        vertex_access_token=Secret(token) if token else None,
        profile=profile,
        response_modality=cast(Modality, modality),
        voice=pick("voice"),
        system_instruction=pick("system_instruction"),
        vad=VadSettings(**vad),
        compression=CompressionSettings(**compression),
        input_device=pick("input_device"),
        output_device=pick("output_device"),
        aec=_parse_aec(pick("aec")),
        duplex=_parse_duplex(pick("duplex")),
        audio_chunk_ms=_parse_chunk_ms(pick("audio_chunk_ms")),
        screen_target=pick("screen_target"),
        debug=bool(flags.get("debug", False)),
        wire_log=Path(flags["wire_log"]).expanduser() if flags.get("wire_log") else None,
        paths=paths,
        sources=sources,
        warnings=warnings,
    )


def _parse_aec(value: Any) -> bool:
    """``aec``: true/false in the file, ``on``/``off`` from the flag."""
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("on", "true", "yes", "1"):
        return True
    if text in ("off", "false", "no", "0"):
        return False
    raise ConfigError(f"aec '{value}' is not 'on' or 'off'")


def _parse_duplex(value: Any) -> Literal["full", "half"]:
    """``duplex``: ``full`` (barge-in works) or ``half`` (mic muted while the model speaks)."""
    if value is None:
        return "full"
    text = str(value).strip().lower()
    if text not in ("full", "half"):
        raise ConfigError(f"duplex '{value}' is not 'full' or 'half'")
    return cast(Literal["full", "half"], text)


def _parse_chunk_ms(value: Any) -> int:
    if value is None:
        return 40
    if isinstance(value, bool) or not isinstance(value, int) or not 20 <= value <= 100:
        raise ConfigError(f"audio_chunk_ms {value!r} is not 20-100")
    if value % 10:
        raise ConfigError(f"audio_chunk_ms {value} is not a multiple of 10")
    return value


def qualified_model_name(
    model: str, *, vertex_project: str | None = None, vertex_location: str | None = None
) -> str:
    """``models/NAME`` for the Developer API; a full resource name for Vertex.

    With ``vertex_project`` (and its location) a short name becomes
    ``projects/P/locations/L/publishers/google/models/NAME``; full names pass unchanged.
    """
    if model.startswith("projects/"):
        return model
    if vertex_project:
        return (
            f"projects/{vertex_project}/locations/{vertex_location or 'us-central1'}"
            f"/publishers/google/models/{model.removeprefix('models/')}"
        )
    if model.startswith(("models/", "tunedModels/")):
        return model
    return f"models/{model}"


def _resolve_model(
    backend: str,
    modality: str,
    flag_model: str | None,
    pick: Callable[[str], Any],
    sources: dict[str, str],
) -> str:
    if backend == "vertex":
        # Vertex wants the full resource name; --model or VERTEX_MODEL names it (GEMINI_MODEL
        # is for the Developer API and does not apply).
        if flag_model is not None:
            sources["model"] = "flag"
            return flag_model
        model = pick("vertex_model")
        if model is not None:
            sources["model"] = sources.pop("vertex_model")
        return str(model or "")
    model = pick("model")
    if model is None:
        return DEFAULT_TEXT_MODEL if modality == "text" else DEFAULT_AUDIO_MODEL
    model = str(model)
    # The Developer API names models "models/<id>"; accept the bare id people type.
    model = qualified_model_name(model)
    return model


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def _holds_secret(table: Mapping[str, Any]) -> bool:
    """Whether a config table (the file's top level or a profile) holds a credential."""
    if table.get("api_key") or table.get("vertex_access_token"):
        return True
    endpoint = table.get("endpoint")
    return isinstance(endpoint, str) and bool(url_secrets(endpoint))


def _loose_file_warnings(path: Path, data: Mapping[str, Any]) -> tuple[str, ...]:
    """One warning when ``path`` holds a credential and its group or others may read it."""
    if os.name != "posix" or not data:
        return ()
    profiles = data.get("profiles")
    if not isinstance(profiles, dict):
        profiles = {}
    tables = [data, *(t for t in profiles.values() if isinstance(t, dict))]
    if not any(_holds_secret(t) for t in tables):
        return ()
    try:
        file_mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return ()
    if not file_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return ()
    return (
        f"warning: {path} holds a key or token and is readable by other users "
        f"(mode {file_mode:o}): chmod 600 {path}",
    )


def _check_keys(
    table: Mapping[str, Any], allowed: Mapping[str, type | tuple[type, ...]], where: str
) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in table.items():
        expected = allowed.get(key)
        if expected is None:
            raise ConfigError(f"{where}: unknown key '{key}'")
        # bool is an int subclass; a `true` where a number belongs is still a mistake.
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            names = expected.__name__ if isinstance(expected, type) else "value"
            raise ConfigError(f"{where}: '{key}' must be a {_TOML_NAMES.get(names, names)}")
        checked[key] = value
    return checked


_TOML_NAMES = {"str": "string", "int": "integer", "bool": "boolean", "dict": "table"}


def _merge_table(
    base: Any,
    override: Any,
    allowed: Mapping[str, type | tuple[type, ...]],
    name: str,
    profile: str,
) -> dict[str, Any]:
    merged = _check_keys(base or {}, allowed, f"config [{name}]")
    merged.update(_check_keys(override or {}, allowed, f"config [profiles.{profile}.{name}]"))
    return merged
