"""Endpoints, credentials and the WebSocket itself.

This module knows where the Live API lives (Gemini Developer API, Vertex AI, or a custom
URL such as the embedded local server), how each credential travels (always in headers,
never in the URL), and how to open the socket.  It translates every foreign exception it
meets into the package's own tree (:mod:`gemini_live_tui.errors`).

Secrets are held in :class:`Secret`, whose ``repr`` and ``str`` never show the value.
Once a credential is in the request headers it can still escape three ways, and each is
closed here: a redirect (never followed, :class:`~gemini_live_tui.errors.RedirectRefused`),
an error body that echoes it (masked, like every error text), and websockets' DEBUG
header log (the socket gets a logger that masks it, whatever logging the caller set up).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as _Connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

from gemini_live_tui import __version__
from gemini_live_tui.errors import ConfigError, ConnectionLost, RedirectRefused, SetupRejected
from gemini_live_tui.secret import Secret
from gemini_live_tui.text_safety import RedactingLogger, safe

__all__ = [
    "Auth",
    "AuthKind",
    "Endpoint",
    "EndpointKind",
    "Secret",
    "TransportConfig",
    "open_socket",
]

_GEMINI_HOST = "generativelanguage.googleapis.com"
_GEMINI_SERVICE = "google.ai.generativelanguage.{version}.GenerativeService"
_VERTEX_SERVICE = "google.cloud.aiplatform.{version}.LlmBidiService/BidiGenerateContent"
_GEMINI_VERSIONS = ("v1", "v1beta", "v1alpha")
_VERTEX_VERSIONS = ("v1", "v1beta1")
_USER_AGENT = f"gemini-live/{__version__}"


class EndpointKind(enum.Enum):
    """Which service an endpoint points at."""

    GEMINI = "gemini"
    VERTEX = "vertex"
    CUSTOM = "custom"


@dataclasses.dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the Live API WebSocket lives.  Build one with the class methods."""

    kind: EndpointKind
    api_version: str = ""
    location: str = ""
    custom_url: str = ""

    @classmethod
    def gemini(cls, api_version: str = "v1beta") -> Endpoint:
        """The Gemini Developer API (generativelanguage.googleapis.com)."""
        if api_version not in _GEMINI_VERSIONS:
            raise ConfigError(
                f"Gemini API version {api_version!r} is not one of {', '.join(_GEMINI_VERSIONS)}"
            )
        return cls(EndpointKind.GEMINI, api_version=api_version)

    @classmethod
    def vertex(cls, location: str, api_version: str = "v1") -> Endpoint:
        """Vertex AI in ``location`` (``global`` uses the global host)."""
        if not location or not all(ch.isalnum() or ch == "-" for ch in location):
            raise ConfigError(f"Vertex location {location!r} is not a region name like us-central1")
        if api_version not in _VERTEX_VERSIONS:
            raise ConfigError(
                f"Vertex API version {api_version!r} is not one of {', '.join(_VERTEX_VERSIONS)}"
            )
        return cls(EndpointKind.VERTEX, api_version=api_version, location=location)

    @classmethod
    def custom(cls, url: str) -> Endpoint:
        """Any ``ws://`` or ``wss://`` URL, used verbatim (the local server, a proxy)."""
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("ws", "wss") or not parsed.hostname:
            raise ConfigError(
                f"endpoint URL {url!r} must start with ws:// or wss:// and name a host"
            )
        query = urllib.parse.parse_qs(parsed.query)
        if {"key", "access_token"} & query.keys():
            # Credentials in a URL end up in proxy logs and shell history.
            raise ConfigError("endpoint URL must not carry a key or token; use Auth instead")
        return cls(EndpointKind.CUSTOM, custom_url=url)

    def url_for(self, auth: Auth) -> str:
        """The full WebSocket URL for this endpoint and credential."""
        if self.kind is EndpointKind.CUSTOM:
            return self.custom_url
        if self.kind is EndpointKind.GEMINI:
            method = (
                "BidiGenerateContentConstrained"
                if auth.kind is AuthKind.EPHEMERAL_TOKEN
                else "BidiGenerateContent"
            )
            service = _GEMINI_SERVICE.format(version=self.api_version)
            return f"wss://{_GEMINI_HOST}/ws/{service}.{method}"
        if self.location == "global":
            host = "aiplatform.googleapis.com"
        else:
            host = f"{self.location}-aiplatform.googleapis.com"
        return f"wss://{host}/ws/{_VERTEX_SERVICE.format(version=self.api_version)}"

    def describe(self) -> str:
        """A short human label, e.g. ``gemini v1beta`` or ``vertex us-central1``."""
        if self.kind is EndpointKind.GEMINI:
            return f"gemini {self.api_version}"
        if self.kind is EndpointKind.VERTEX:
            return f"vertex {self.location}"
        return self.custom_url


class AuthKind(enum.Enum):
    """How a credential is presented."""

    NONE = "none"
    API_KEY = "api_key"
    EPHEMERAL_TOKEN = "ephemeral_token"
    BEARER_TOKEN = "bearer_token"
    BEARER_PROVIDER = "bearer_provider"
    VERTEX_ADC = "vertex_adc"


BearerProvider = Callable[[], Awaitable[str]]


@dataclasses.dataclass(frozen=True, slots=True)
class Auth:
    """A credential.  Build one with the class methods; the value never shows in a repr."""

    kind: AuthKind
    secret: Secret | None = None
    provider: BearerProvider | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def none(cls) -> Auth:
        """No credential (a local server started without a key)."""
        return cls(AuthKind.NONE)

    @classmethod
    def api_key(cls, key: str) -> Auth:
        """A Gemini API key, sent as ``x-goog-api-key``."""
        return cls(AuthKind.API_KEY, _require_secret(key, "API key"))

    @classmethod
    def ephemeral_token(cls, token: str) -> Auth:
        """An ephemeral token (``auth_tokens/...``) for the constrained endpoint."""
        return cls(AuthKind.EPHEMERAL_TOKEN, _require_secret(token, "ephemeral token"))

    @classmethod
    def bearer_token(cls, token: str) -> Auth:
        """A fixed OAuth2 access token, sent as ``Authorization: Bearer``."""
        return cls(AuthKind.BEARER_TOKEN, _require_secret(token, "access token"))

    @classmethod
    def bearer_provider(cls, provider: BearerProvider) -> Auth:
        """An async callable returning a fresh access token; asked again on every reconnect."""
        if not callable(provider):
            raise ConfigError("bearer token provider must be an async callable")
        return cls(AuthKind.BEARER_PROVIDER, provider=provider)

    @classmethod
    def vertex_adc(cls) -> Auth:
        """Google Application Default Credentials (needs the ``vertex`` extra)."""
        return cls(AuthKind.VERTEX_ADC, provider=_adc_token_provider())

    async def headers(self) -> list[tuple[str, str]]:
        """The HTTP headers that carry this credential (fetching a token if needed)."""
        if self.kind is AuthKind.NONE:
            return []
        if self.kind is AuthKind.API_KEY:
            assert self.secret is not None
            return [("x-goog-api-key", self.secret.reveal())]
        if self.kind is AuthKind.EPHEMERAL_TOKEN:
            assert self.secret is not None
            token = self.secret.reveal()
            return [("Authorization", f"Token {token}"), ("x-goog-api-key", token)]
        if self.kind is AuthKind.BEARER_TOKEN:
            assert self.secret is not None
            return [("Authorization", f"Bearer {self.secret.reveal()}")]
        assert self.provider is not None
        try:
            token = await self.provider()
        except Exception as exc:  # the provider is user code: any failure is a config problem
            raise ConfigError(f"could not get an access token: {type(exc).__name__}") from exc
        if not isinstance(token, str) or not token:
            raise ConfigError("the access token provider returned no token")
        return [("Authorization", f"Bearer {token}")]


def _require_secret(value: str, what: str) -> Secret:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{what} is empty")
    if any(ch.isspace() for ch in value.strip()) or any(ord(ch) < 32 for ch in value):
        raise ConfigError(f"{what} contains whitespace or control characters")
    return Secret(value.strip())


def _adc_token_provider() -> BearerProvider:
    try:
        import google.auth
        import google.auth.transport.requests
    except ImportError as exc:
        raise ConfigError(
            "Vertex ADC needs the 'vertex' extra: pip install 'gemini-live[vertex]'"
        ) from exc
    scopes = ["https://www.googleapis.com/auth/cloud-platform"]
    state: dict[str, Any] = {}

    def refresh() -> str:
        if "credentials" not in state:
            credentials, _project = google.auth.default(scopes=scopes)
            state["credentials"] = credentials
        credentials = state["credentials"]
        if not credentials.valid:
            credentials.refresh(google.auth.transport.requests.Request())
        return str(credentials.token)

    async def provider() -> str:
        # google-auth is blocking (HTTP to the metadata server or token endpoint).
        return await asyncio.to_thread(refresh)

    return provider


@dataclasses.dataclass(frozen=True, slots=True)
class TransportConfig:
    """Where to connect, with which credential, and the socket's limits.

    ``ping_timeout`` is long on purpose: the websockets default (20 s) is known to drop
    healthy sessions during long replies.
    """

    endpoint: Endpoint
    auth: Auth
    open_timeout: float = 10.0
    setup_timeout: float = 30.0
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 120.0
    max_message_size: int = 16 * 1024 * 1024
    extra_headers: Sequence[tuple[str, str]] = ()

    def __post_init__(self) -> None:
        endpoint, kind = self.endpoint, self.auth.kind
        if endpoint.kind is EndpointKind.VERTEX and kind is AuthKind.EPHEMERAL_TOKEN:
            raise ConfigError(
                "ephemeral tokens work only with the Gemini Developer API, not Vertex"
            )
        if endpoint.kind is EndpointKind.GEMINI and kind is AuthKind.VERTEX_ADC:
            raise ConfigError("Application Default Credentials need a Vertex endpoint")
        if endpoint.kind is EndpointKind.GEMINI and kind is AuthKind.NONE:
            raise ConfigError("the Gemini API needs a key: set GEMINI_API_KEY")
        if endpoint.kind is EndpointKind.VERTEX and kind is AuthKind.NONE:
            raise ConfigError("Vertex AI needs credentials: an access token or ADC")
        if (
            endpoint.kind is EndpointKind.GEMINI
            and kind is AuthKind.EPHEMERAL_TOKEN
            and endpoint.api_version != "v1alpha"
        ):
            raise ConfigError("ephemeral tokens need api_version='v1alpha'")
        if self.setup_timeout <= 0 or self.open_timeout <= 0:
            raise ConfigError("timeouts must be positive")

    @property
    def url(self) -> str:
        """The WebSocket URL (never contains a credential)."""
        return self.endpoint.url_for(self.auth)


async def open_socket(config: TransportConfig) -> ClientConnection:
    """Open the WebSocket with the credential in headers.

    Raises:
        RedirectRefused: the endpoint answered with a redirect (never followed).
        SetupRejected: the server refused the upgrade with an HTTP status (bad key, 404, 429).
        ConnectionLost: the server could not be reached (retryable).
        ConfigError: the credential could not be obtained.

    No error text and no log record carries the credential: each is masked.
    """
    auth_headers = await config.auth.headers()
    headers = [("x-goog-api-client", _USER_AGENT), *config.extra_headers, *auth_headers]
    secrets = _secrets_in(auth_headers, config.extra_headers)
    try:
        return await _NoRedirectConnect(
            config.url,
            additional_headers=headers,
            user_agent_header=_USER_AGENT,
            open_timeout=config.open_timeout,
            ping_interval=config.ping_interval,
            ping_timeout=config.ping_timeout,
            max_size=config.max_message_size,
            # Keep reading while the caller is busy, so pings are answered during long replies.
            max_queue=1024,
            # base64 audio barely compresses; deflate would only burn CPU on both ends.
            compression=None,
            # websockets logs every request header at DEBUG; a caller's basicConfig(DEBUG)
            # must not print the key.
            logger=RedactingLogger(logging.getLogger("websockets.client"), secrets),
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        body = bytes(exc.response.body or b"")[:200].decode("utf-8", "replace")
        # Upstreams echo the rejected key back ("API key AIza... not valid").
        body = " ".join(safe(body, secrets).split())
        raise SetupRejected(status, body or f"HTTP {status}") from exc
    except InvalidURI as exc:
        raise ConfigError(f"endpoint URL is not valid: {_describe(exc, secrets)}") from exc
    except (InvalidHandshake, OSError, TimeoutError) as exc:
        raise ConnectionLost(1006, f"could not connect: {_describe(exc, secrets)}") from exc


# Header names whose values are credentials, also when a caller passes them as extras.
_CREDENTIAL_HEADERS = frozenset(
    {"authorization", "x-goog-api-key", "cookie", "proxy-authorization"}
)


def _secrets_in(*header_lists: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """Every credential value in the headers, whole and without its scheme word."""
    found: list[str] = []
    for headers in header_lists:
        for name, value in headers:
            if name.lower() in _CREDENTIAL_HEADERS and value:
                found.append(value)
                # "Bearer ya29..." is echoed as the bare token just as often.
                _scheme, _, token = value.partition(" ")
                if token.strip():
                    found.append(token.strip())
    return tuple(found)


class _NoRedirectConnect(_Connect):
    """websockets' ``connect`` that refuses every redirect instead of following it.

    websockets strips only ``Authorization`` and ``Cookie`` on a cross-origin redirect and
    nothing on a same-origin one, so ``x-goog-api-key`` would travel to wherever the
    ``Location`` points.  The Live API never redirects; a redirect is a misconfigured proxy
    or an attack, so it ends the attempt.
    """

    def process_redirect(self, exc: Exception) -> Exception | str:
        if isinstance(exc, InvalidStatus) and 300 <= exc.response.status_code < 400:
            location = exc.response.headers.get("Location", "")
            return RedirectRefused(exc.response.status_code, _origin_of(self.uri, location))
        return exc


def _origin_of(base: str, location: str) -> str:
    """``scheme://host:port`` of a redirect target: its path and query may carry secrets."""
    try:
        target = urllib.parse.urlsplit(urllib.parse.urljoin(base, location))
        host = target.hostname or ""
        port = target.port
    except ValueError:
        return "an unreadable location"
    if not host:
        return "an unnamed location"
    shown = f"[{host}]" if ":" in host else host
    text = f"{target.scheme}://{shown}" + (f":{port}" if port else "")
    return safe(text)[:120]


def _describe(exc: BaseException, secrets: Sequence[str] = ()) -> str:
    text = str(exc) or type(exc).__name__
    return safe(text.splitlines()[0], secrets)[:160]
