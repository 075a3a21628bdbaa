"""The one exception tree of gemini-live.

Every error the package raises on purpose derives from :class:`LiveError`::

    LiveError
    ├── ConfigError            bad settings or impossible endpoint/auth pairs (before any I/O)
    ├── ProtocolError          a frame we cannot understand or a message we must not send
    │   └── DecodeError        (gemini_live_tui.protocol.codec.DecodeError) a server frame that
    │                          is not a Live API message; carries a short excerpt
    ├── ConnectionLost         the socket went away (close frame or none); ``retryable`` says if a
    │   │                      reconnect may help
    │   └── FrameTooLarge      we closed 1009: a server message exceeded our ``max_message_size``
    ├── SetupRejected          the server refused the setup (close 1007/1008 during setup, or an
    │                          HTTP rejection of the upgrade); never retried
    │   └── RedirectRefused    the Live endpoint answered the upgrade with a redirect; the
    │                          credential is never carried to wherever it points
    ├── SessionClosed          an operation on a session that is finally over
    ├── MediaError             a file or frame that cannot be prepared for sending
    ├── CaptureError           screen capture cannot run: no display, Wayland without a
    │                          capture path, a closed window, a bad target or interval
    └── AudioError             an audio device that is missing, failed or vanished, or audio
                               processing given impossible input

Foreign exceptions (websockets, OSError, msgspec) are translated where they enter the
package with ``raise ... from exc``; nothing above ``live/`` sees them.  Messages never
contain API keys or tokens: they name the thing and the reason only.
"""

from __future__ import annotations

__all__ = [
    "AudioError",
    "CaptureError",
    "ConfigError",
    "ConnectionLost",
    "FrameTooLarge",
    "LiveError",
    "MediaError",
    "ProtocolError",
    "RedirectRefused",
    "SessionClosed",
    "SetupRejected",
    "UpdateError",
    "close_hint",
]


class LiveError(Exception):
    """Base class of every error gemini-live raises on purpose."""


class ConfigError(LiveError):
    """Settings that cannot work, found before any I/O."""


class ProtocolError(LiveError):
    """A message that breaks the Live API wire protocol."""


class ConnectionLost(LiveError):
    """The WebSocket connection ended.

    Args:
        code: the close code (1006 when the peer vanished without a close frame).
        reason: the server's close reason, if any.
        retryable: whether reconnecting may succeed.
    """

    def __init__(self, code: int, reason: str = "", *, retryable: bool = True) -> None:
        self.code = code
        self.reason = reason
        self.retryable = retryable
        hint = close_hint(code)
        text = f"connection closed with code {code}"
        if reason:
            text += f": {reason}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class FrameTooLarge(ConnectionLost):
    """We closed the connection with 1009: a server message was bigger than our limit.

    Args:
        limit: the ``max_message_size`` in bytes that it exceeded.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(1009, f"a server message exceeded the {limit} byte limit")
        self.limit = limit


class SetupRejected(LiveError):
    """The server refused the session at setup; retrying will not help.

    Args:
        code: the WebSocket close code or HTTP status of the rejection.
        reason: the server's reason text.
    """

    def __init__(self, code: int, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        hint = close_hint(code)
        text = f"setup rejected with code {code}"
        if reason:
            text += f": {reason}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class RedirectRefused(SetupRejected):
    """The Live endpoint answered the upgrade with a redirect, which is never followed.

    Following it would send the API key or token to whatever host the ``Location`` names.

    Args:
        code: the HTTP status (301, 302, 307...).
        target: where the redirect pointed, already stripped of anything secret.
    """

    def __init__(self, code: int, target: str) -> None:
        self.target = target
        super().__init__(
            code,
            f"the Live endpoint redirected to {target}; redirects are refused so the "
            "credential stays with the configured endpoint",
        )


class SessionClosed(LiveError):
    """The session is finally closed; nothing more can be sent."""


class MediaError(LiveError):
    """A file or frame that cannot be prepared for sending."""


class CaptureError(LiveError):
    """Screen capture cannot start or go on (no display, closed window, bad target)."""


class UpdateError(LiveError):
    """The package index could not be read or an update could not be applied."""


class AudioError(LiveError):
    """An audio device or audio processing problem; the message names the device or stage."""


_CLOSE_HINTS = {
    1007: "check the API key and the setup fields",
    1008: "check the model name and the API version",
    1009: "a message was larger than the size limit",
    1011: "server error; it usually passes, so the session retries",
    401: "check the API key or token",
    403: "the key or token is not allowed to use this API",
    404: "check the endpoint URL and API version",
    429: "quota exhausted; wait or check your plan",
}


def close_hint(code: int) -> str:
    """A plain-language hint for a close code or HTTP status, or ``""``."""
    return _CLOSE_HINTS.get(code, "")
