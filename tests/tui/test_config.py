"""Settings resolution: flags > environment > TOML profile > defaults; secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemini_live_tui.config import (
    DEFAULT_AUDIO_MODEL,
    DEFAULT_TEXT_MODEL,
    Secret,
    Settings,
    load_settings,
    resolve_paths,
)
from gemini_live_tui.errors import ConfigError


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "GEMINI_LIVE_CONFIG_DIR": str(tmp_path / "cfg"),
        "GEMINI_LIVE_DATA_DIR": str(tmp_path / "data"),
        "GEMINI_LIVE_LOG_DIR": str(tmp_path / "log"),
        **extra,
    }


def write_config(tmp_path: Path, text: str) -> None:
    (tmp_path / "cfg").mkdir(parents=True, exist_ok=True)
    (tmp_path / "cfg" / "config.toml").write_text(text)


def test_defaults(tmp_path: Path) -> None:
    s = load_settings({}, env=env_for(tmp_path))
    assert s.backend == "gemini" and s.model == DEFAULT_AUDIO_MODEL
    assert s.response_modality == "audio" and s.compression.enabled
    assert s.paths is not None and s.paths.history_file == tmp_path / "data" / "history"
    assert s.paths.log_file == tmp_path / "log" / "gemini-live.log"


def test_text_flag_picks_a_text_capable_model(tmp_path: Path) -> None:
    s = load_settings({"text": True}, env=env_for(tmp_path))
    assert s.response_modality == "text" and s.model == DEFAULT_TEXT_MODEL


def test_flags_beat_env_beat_profile_beat_file(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        'voice = "Aoede"\nmodel = "file-model"\nsystem_instruction = "from file"\n'
        '[profiles.work]\nvoice = "Charon"\nmodel = "profile-model"\n'
        "[profiles.work.vad]\nsilence_duration_ms = 800\n",
    )
    env = env_for(tmp_path, GEMINI_MODEL="env-model")
    s = load_settings({"profile": "work", "voice": "Puck"}, env=env)
    assert s.voice == "Puck" and s.sources["voice"] == "flag"
    assert s.model == "models/env-model" and s.sources["model"] == "env GEMINI_MODEL"
    assert s.system_instruction == "from file" and s.sources["system_instruction"] == "config file"
    assert s.vad.silence_duration_ms == 800
    s = load_settings({"profile": "work"}, env=env_for(tmp_path))
    assert s.voice == "Charon" and s.model == "models/profile-model"
    assert s.sources["voice"] == "profile work"


def test_profile_from_env_and_unknown_profile(tmp_path: Path) -> None:
    write_config(tmp_path, '[profiles.home]\nresponse_modality = "text"\n')
    s = load_settings({}, env=env_for(tmp_path, GEMINI_LIVE_PROFILE="home"))
    assert s.profile == "home" and s.response_modality == "text"
    with pytest.raises(ConfigError, match=r"profile 'nope' is not in .*profiles there: home"):
        load_settings({"profile": "nope"}, env=env_for(tmp_path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('voise = "Puck"\n', "unknown key 'voise'"),
        ("voice = 3\n", "'voice' must be a string"),
        ("[vad]\nsilence_duration_ms = true\n", "'silence_duration_ms' must be a integer"),
        ('[vad]\nstart_sensitivity = "max"\n', "vad.start_sensitivity 'max'"),
        ("[compression]\nwindow = 3\n", "unknown key 'window'"),
        ("not toml [", "not valid TOML"),
        ('backend = "cloud"\n', "backend 'cloud' is not one of"),
        ('endpoint = "http://x"\n', "must start with ws:// or wss://"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    write_config(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        load_settings({}, env=env_for(tmp_path))


def test_env_variables(tmp_path: Path) -> None:
    env = env_for(
        tmp_path,
        LIVE_BACKEND="vertex",
        VERTEX_LOCATION="us-central1",
        VERTEX_MODEL="projects/p/locations/us-central1/publishers/google/models/m",
        VERTEX_AI_ACCESS_TOKEN="ya29.token",
        GEMINI_MODEL="ignored-for-vertex",
    )
    s = load_settings({}, env=env)
    assert s.backend == "vertex" and s.model.startswith("projects/p/")
    assert s.vertex_access_token == Secret("ya29.token")
    s.check_credentials()
    adc = load_settings({}, env={**env, "VERTEX_AUTH": "adc", "VERTEX_AI_ACCESS_TOKEN": ""})
    assert adc.vertex_auth == "adc" and adc.vertex_access_token is None
    adc.check_credentials()


def test_vertex_missing_parts_are_named(tmp_path: Path) -> None:
    s = load_settings({"backend": "vertex"}, env=env_for(tmp_path))
    with pytest.raises(ConfigError, match=r"VERTEX_LOCATION.*VERTEX_MODEL.*VERTEX_AI_ACCESS_TOKEN"):
        s.check_credentials()


def test_missing_key_message_and_local_needs_none(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"GEMINI_API_KEY.*--backend local"):
        load_settings({}, env=env_for(tmp_path)).check_credentials()
    load_settings({"backend": "local"}, env=env_for(tmp_path)).check_credentials()
    custom = load_settings({"endpoint": "ws://127.0.0.1:1/ws"}, env=env_for(tmp_path))
    custom.check_credentials()  # a custom endpoint may need no key


def test_secrets_never_show(tmp_path: Path) -> None:
    env = env_for(tmp_path, GEMINI_API_KEY="AIza-top-secret")
    s = load_settings({}, env=env)
    assert s.api_key is not None and s.api_key.reveal() == "AIza-top-secret"
    for text in (repr(s), str(s), f"{s.api_key}", repr(s.api_key), str(s.describe())):
        assert "AIza-top-secret" not in text
    assert ("api_key", "********", "env GEMINI_API_KEY") in s.describe()


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(AttributeError):
        s.model = "x"  # type: ignore[misc]


def test_platform_dirs_without_overrides() -> None:
    paths = resolve_paths({})
    assert paths.config_file.name == "config.toml"
    assert "gemini-live" in str(paths.history_file)
