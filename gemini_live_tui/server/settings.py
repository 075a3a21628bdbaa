"""Settings of the browser proxy (``gemini-live serve``), read from the environment.

The variables follow the browser-proxy seed (``GOOGLE_API_KEY`` or ``GEMINI_API_KEY``,
``PROJECT_ID``, ``LOCATION``, ``MODEL``, ``PORT``, ``SESSION_TIME_LIMIT``) plus this
project's own: ``LIVE_BACKEND`` (``gemini``, ``vertex``, ``local`` for the embedded local
Live server, or a ``ws://``/``wss://`` URL of any Live-compatible server), ``ALLOWED_ORIGINS``
(comma-separated; ``*`` allows any), ``ALLOWED_HOSTS`` (``Host`` names served besides the
loopback names and the bound address; ``*`` turns the check off), ``TOKEN_STORE_URL``
(``memory://`` or ``redis://...``), ``HOST`` and a few limits.  Everything is validated
here, before any I/O, and a bad value raises :class:`~gemini_live_tui.errors.ConfigError`
naming the variable and the reason.  The API key is kept out of ``repr`` so it cannot reach a log.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Literal

from gemini_live_tui.config import DEFAULT_TEXT_MODEL, CompressionSettings, VadSettings
from gemini_live_tui.errors import ConfigError

__all__ = ["Backend", "ServerSettings"]

Backend = Literal["gemini", "vertex", "local", "custom"]

# The app's own text-capable default: a page may ask for text replies, which 3.8 cannot give
# (the same rule as the terminal app's --text).
_DEFAULT_MODEL = DEFAULT_TEXT_MODEL


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServerSettings:
    """Everything ``gemini-live serve`` needs, immutable once built.

    Attributes:
        api_key: the Gemini API key; never shown in ``repr``.
        backend: where upstream sessions go.
        live_url: the server URL when ``backend == "custom"``.
        project_id: the Google Cloud project (Vertex).
        location: the Google Cloud region (Vertex).
        model: the model every browser session uses (browsers cannot choose it).
        host: the address to listen on.
        port: the port to listen on.
        session_time_limit: seconds a browser session may last.
        session_warning: seconds before the limit at which the browser is warned.
        token_ttl: seconds a one-time token stays valid.
        auth_rate_limit: tokens one client address may get per ``auth_rate_window``.
        auth_rate_window: the rate-limit window in seconds.
        allowed_origins: origins allowed to use the API; empty means same origin only.
        allowed_hosts: ``Host`` header values served besides the defaults (the bound address,
            ``localhost``, ``127.0.0.1``, ``[::1]``, each with the listening port); an entry
            without a port matches any port, ``*`` turns the check off.
        token_store_url: ``memory://`` or ``redis://...``.
        max_message_bytes: the largest WebSocket message accepted (images are the big ones).
        max_audio_frame_bytes: the largest binary audio frame accepted.
        setup_timeout: seconds the browser has to send its setup message.
        max_sessions: browser sessions served at once; more are refused (close 1013).
        vad: automatic voice activity detection, as the terminal app's ``[vad]`` table.
        compression: context-window compression, on by default as in the terminal app.
    """

    api_key: str = dataclasses.field(default="", repr=False)
    backend: Backend = "gemini"
    live_url: str = ""
    project_id: str = ""
    location: str = "us-central1"
    model: str = _DEFAULT_MODEL
    host: str = "127.0.0.1"
    port: int = 8000
    session_time_limit: float = 180.0
    session_warning: float = 10.0
    token_ttl: float = 30.0
    auth_rate_limit: int = 30
    auth_rate_window: float = 60.0
    allowed_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    token_store_url: str = "memory://"
    max_message_bytes: int = 2 * 1024 * 1024
    max_audio_frame_bytes: int = 64 * 1024
    setup_timeout: float = 10.0
    max_sessions: int = 1000
    vad: VadSettings = dataclasses.field(default_factory=VadSettings)
    compression: CompressionSettings = dataclasses.field(default_factory=CompressionSettings)

    def __post_init__(self) -> None:
        if self.backend == "gemini" and not self.api_key:
            raise ConfigError(
                "GOOGLE_API_KEY: not set (or set GEMINI_API_KEY, PROJECT_ID for Vertex, "
                "or LIVE_BACKEND=local for the embedded local server)"
            )
        if self.backend == "vertex" and not self.project_id:
            raise ConfigError("PROJECT_ID: required when LIVE_BACKEND=vertex")
        if self.backend == "custom" and not self.live_url.startswith(("ws://", "wss://")):
            raise ConfigError("LIVE_BACKEND: a custom backend must be a ws:// or wss:// URL")
        if not 0 < self.port < 65536 and self.port != 0:
            raise ConfigError(f"PORT: {self.port} is not a TCP port")
        if not (math.isfinite(self.session_time_limit) and self.session_time_limit > 0):
            raise ConfigError("SESSION_TIME_LIMIT: must be a positive number of seconds")
        if self.token_ttl <= 0:
            raise ConfigError("TOKEN_TTL: must be a positive number of seconds")
        if self.auth_rate_limit < 1 or self.auth_rate_window <= 0:
            raise ConfigError("AUTH_RATE_LIMIT: must be at least 1 per positive window")
        if not self.token_store_url.startswith(("memory://", "redis://", "rediss://", "unix://")):
            raise ConfigError("TOKEN_STORE_URL: must start with memory://, redis:// or rediss://")
        if self.max_sessions < 1:
            raise ConfigError("MAX_SESSIONS: must be at least 1")
        if self.max_audio_frame_bytes > self.max_message_bytes:
            raise ConfigError("MAX_AUDIO_FRAME_BYTES: larger than MAX_MESSAGE_BYTES")
        for entry in self.allowed_hosts:
            _check_host_entry(entry)

    @property
    def has_api_key(self) -> bool:
        """Whether an API key is configured (for messages that must not show it)."""
        return bool(self.api_key)

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: object) -> ServerSettings:
        """Build settings from environment variables; ``overrides`` (CLI flags) win.

        Raises:
            ConfigError: a variable has a value that cannot work.
        """
        api_key = env.get("GOOGLE_API_KEY") or env.get("GEMINI_API_KEY") or ""
        project_id = env.get("PROJECT_ID", "") or env.get("GOOGLE_CLOUD_PROJECT", "")
        raw_backend = env.get("LIVE_BACKEND", "").strip()
        backend: Backend
        live_url = ""
        if raw_backend.startswith(("ws://", "wss://")):
            backend, live_url = "custom", raw_backend
        elif raw_backend in ("gemini", "vertex", "local"):
            backend = raw_backend  # type: ignore[assignment]  # narrowed by the membership test
        elif raw_backend == "":
            # The seed's rule: an API key means the Gemini API, else a project means Vertex.
            backend = "vertex" if project_id and not api_key else "gemini"
        else:
            raise ConfigError(
                f"LIVE_BACKEND: {raw_backend!r} is not gemini, vertex, local or a ws:// URL"
            )
        values: dict[str, object] = {
            "api_key": api_key,
            "backend": backend,
            "live_url": live_url,
            "project_id": project_id,
            "location": env.get("LOCATION", "") or "us-central1",
            "model": env.get("MODEL", "") or _DEFAULT_MODEL,
            "host": env.get("HOST", "") or "127.0.0.1",
            "port": _integer(env, "PORT", 8000),
            "session_time_limit": _number(env, "SESSION_TIME_LIMIT", 180.0),
            "session_warning": _number(env, "SESSION_WARNING", 10.0),
            "token_ttl": _number(env, "TOKEN_TTL", 30.0),
            "auth_rate_limit": _integer(env, "AUTH_RATE_LIMIT", 30),
            "auth_rate_window": _number(env, "AUTH_RATE_WINDOW", 60.0),
            "allowed_origins": _origins(env.get("ALLOWED_ORIGINS", "")),
            "allowed_hosts": _hosts(env.get("ALLOWED_HOSTS", "")),
            "token_store_url": env.get("TOKEN_STORE_URL", "") or "memory://",
            "max_message_bytes": _integer(env, "MAX_MESSAGE_BYTES", 2 * 1024 * 1024),
            "max_audio_frame_bytes": _integer(env, "MAX_AUDIO_FRAME_BYTES", 64 * 1024),
            "max_sessions": _integer(env, "MAX_SESSIONS", 1000),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        try:
            return cls(**values)  # type: ignore[arg-type]  # values are typed by the helpers
        except TypeError as exc:
            raise ConfigError(f"server settings: {exc}") from exc

    def origin_allowed(self, origin: str | None, host: str | None, scheme: str) -> bool:
        """Whether a request with this ``Origin`` header may use the API.

        A request without an ``Origin`` header is not from a browser page and passes (it
        still needs a token).  With no ``ALLOWED_ORIGINS`` only the page's own origin
        passes, so the bundled page works and other sites' pages do not.
        """
        if origin is None:
            return True
        origin = origin.rstrip("/").lower()
        if "*" in self.allowed_origins:
            return True
        if self.allowed_origins:
            return origin in self.allowed_origins
        if host is None:
            return False
        http_scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
        return origin == f"{http_scheme}://{host.lower()}"

    def host_allowed(self, host: str | None, port: int) -> bool:
        """Whether a request's ``Host`` header names this server (DNS rebinding defence).

        A page on ``evil.example`` whose name was re-pointed at 127.0.0.1 reaches this
        server with ``Host: evil.example``; the origin check cannot catch it (to the
        browser it is same-origin), the ``Host`` check does.  ``port`` is the port the
        request arrived on.
        """
        if "*" in self.allowed_hosts:
            return True
        if not host:
            return False
        name, sep, given_port = _split_host(host.strip().lower())
        if sep and not given_port.isdigit():
            return False
        number = int(given_port) if sep else None
        defaults = {"localhost", "127.0.0.1", "[::1]"}
        bound = self.host.strip().lower()
        if bound and bound not in ("0.0.0.0", "::", "[::]"):
            defaults.add(f"[{bound}]" if ":" in bound else bound)
        # The loopback names count only with the listening port (a bare name only on 80).
        if name in defaults and (number == port or (number is None and port == 80)):
            return True
        for entry in self.allowed_hosts:
            entry_name, entry_sep, entry_port = _split_host(entry)
            if entry_name == name and (not entry_sep or int(entry_port) == number):
                return True
        return False


def _split_host(host: str) -> tuple[str, str, str]:
    """``(name, ":", port)`` of ``name[:port]``, with ``[v6]`` kept bracketed."""
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return host, "", ""
        rest = host[end + 1 :]
        return host[: end + 1], ":" if rest.startswith(":") else "", rest[1:]
    return host.partition(":") if host.count(":") == 1 else (host, "", "")


_HOST_NAME = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_[]:")


def _check_host_entry(entry: str) -> None:
    if entry == "*":
        return
    name, sep, port = _split_host(entry)
    if not name or not set(name) <= _HOST_NAME or (":" in name and not name.startswith("[")):
        raise ConfigError(f"ALLOWED_HOSTS: {entry!r} is not a host name (like live.example.com)")
    if sep and not (port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError(f"ALLOWED_HOSTS: {entry!r} has no valid port after the colon")


def _hosts(raw: str) -> tuple[str, ...]:
    hosts = []
    for item in raw.split(","):
        item = item.strip().lower()
        if item:
            _check_host_entry(item)
            hosts.append(item)
    return tuple(hosts)


def _integer(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from None


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name}: {raw!r} is not a finite number")
    return value


def _origins(raw: str) -> tuple[str, ...]:
    origins = []
    for item in raw.split(","):
        item = item.strip().rstrip("/").lower()
        if not item:
            continue
        if item != "*" and not item.startswith(("http://", "https://")):
            raise ConfigError(f"ALLOWED_ORIGINS: {item!r} must start with http:// or https://")
        origins.append(item)
    return tuple(origins)
