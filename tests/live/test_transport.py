"""Endpoints and credentials: URLs, headers, secrecy, impossible combinations."""

from __future__ import annotations

import pytest

from gemini_live_tui.errors import ConfigError
from gemini_live_tui.live import Auth, Endpoint, TransportConfig


def test_gemini_url_uses_the_versioned_service_path() -> None:
    url = Endpoint.gemini().url_for(Auth.api_key("k"))
    assert url == (
        "wss://generativelanguage.googleapis.com/ws/"
        "google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
    )


def test_ephemeral_token_uses_the_constrained_method() -> None:
    url = Endpoint.gemini("v1alpha").url_for(Auth.ephemeral_token("auth_tokens/abc"))
    assert url.endswith("v1alpha.GenerativeService.BidiGenerateContentConstrained")


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("us-central1", "us-central1-aiplatform.googleapis.com"),
        ("global", "aiplatform.googleapis.com"),
    ],
)
def test_vertex_url_puts_the_location_in_the_host(location: str, host: str) -> None:
    url = Endpoint.vertex(location).url_for(Auth.bearer_token("t"))
    assert url == f"wss://{host}/ws/google.cloud.aiplatform.v1.LlmBidiService/BidiGenerateContent"


def test_custom_url_is_used_verbatim() -> None:
    url = "ws://127.0.0.1:9/ws/x"
    assert Endpoint.custom(url).url_for(Auth.none()) == url


@pytest.mark.parametrize("url", ["http://x/ws", "ws:///nohost", "ws://h/ws?key=secret123"])
def test_bad_custom_urls_fail_before_io(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Endpoint.custom(url)
    assert "secret123" not in str(caught.value) or "key" in str(caught.value)


async def test_api_key_travels_in_a_header_never_the_url() -> None:
    auth = Auth.api_key("AIzaSECRET")
    config = TransportConfig(endpoint=Endpoint.gemini(), auth=auth)
    assert "AIzaSECRET" not in config.url
    assert ("x-goog-api-key", "AIzaSECRET") in await auth.headers()


async def test_ephemeral_token_sends_both_headers_like_the_sdk() -> None:
    headers = dict(await Auth.ephemeral_token("auth_tokens/t1").headers())
    assert headers["Authorization"] == "Token auth_tokens/t1"
    assert headers["x-goog-api-key"] == "auth_tokens/t1"


async def test_bearer_provider_is_asked_every_time() -> None:
    calls = 0

    async def provider() -> str:
        nonlocal calls
        calls += 1
        return f"token-{calls}"

    auth = Auth.bearer_provider(provider)
    assert dict(await auth.headers())["Authorization"] == "Bearer token-1"
    assert dict(await auth.headers())["Authorization"] == "Bearer token-2"


async def test_a_failing_provider_is_a_config_error_without_details() -> None:
    async def provider() -> str:
        raise RuntimeError("refresh token SECRET expired")

    with pytest.raises(ConfigError) as caught:
        await Auth.bearer_provider(provider).headers()
    assert "SECRET" not in str(caught.value)


def test_secrets_never_show_in_reprs() -> None:
    for auth in (Auth.api_key("AIzaSECRET"), Auth.bearer_token("ya29.SECRET")):
        config = TransportConfig(endpoint=Endpoint.custom("ws://h/ws"), auth=auth)
        for text in (repr(auth), str(auth), repr(config), str(auth.secret)):
            assert "SECRET" not in text


@pytest.mark.parametrize(
    ("endpoint", "auth"),
    [
        (lambda: Endpoint.vertex("us-central1"), lambda: Auth.ephemeral_token("auth_tokens/x")),
        (lambda: Endpoint.gemini(), lambda: Auth.none()),
        (lambda: Endpoint.vertex("us-central1"), lambda: Auth.none()),
        (lambda: Endpoint.gemini("v1beta"), lambda: Auth.ephemeral_token("auth_tokens/x")),
    ],
)
def test_impossible_combinations_fail_before_io(endpoint: object, auth: object) -> None:
    with pytest.raises(ConfigError):
        TransportConfig(endpoint=endpoint(), auth=auth())  # type: ignore[operator]


@pytest.mark.parametrize("bad", ["", "   ", "two words", "tab\tkey"])
def test_malformed_keys_are_refused(bad: str) -> None:
    with pytest.raises(ConfigError):
        Auth.api_key(bad)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Endpoint.gemini("v2"),
        lambda: Endpoint.vertex("us central"),
        lambda: Endpoint.vertex("x", "v9"),
    ],
)
def test_bad_endpoint_arguments(build: object) -> None:
    with pytest.raises(ConfigError):
        build()  # type: ignore[operator]
