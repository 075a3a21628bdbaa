"""Make remote text safe to show: no terminal control sequences, no known secrets.

Model replies, transcriptions, close reasons, tool names, file names and error texts come
from the network (or from a file or screen that can steer the model), and a terminal obeys
what they contain: ``ESC]52;c;...BEL`` writes the clipboard, ``ESC]2;...BEL`` retitles the
window, ``ESC[2J`` clears it.  :func:`clean` removes every escape sequence and every other
C0/C1 control character except newline and tab; every widget, log line and transcript entry
that shows a remote string goes through it.  :func:`mask` replaces known secrets, and
:class:`RedactingLogger` does the same for log records another library writes (websockets
logs every handshake header at DEBUG).  :func:`mask_url` hides what a URL may carry as a
credential (userinfo, query values, token-like path segments) before the URL is shown, and
:func:`url_secrets` lists those parts so that any message quoting them can be masked too.

This module imports nothing from the package, so any layer may use it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

__all__ = ["MASK", "RedactingLogger", "clean", "mask", "mask_url", "safe", "url_secrets"]

MASK = "********"

# Whole sequences first, so that their printable tail (``]52;c;aGk=``) does not reach the
# screen either: OSC/DCS/SOS/PM/APC strings up to their terminator (BEL or ST, in 7-bit or
# 8-bit form, or the end of the text when cut off), then CSI sequences, then two-byte
# escapes.  What is left of C0 (but \t and \n), DEL and C1 is dropped one by one.
_STRING_SEQUENCE = re.compile(
    r"(?:\x1b[\]P^_X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c|(?=\x1b)|$)"
)
_CSI_SEQUENCE = re.compile(r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?")
_ESCAPE_PAIR = re.compile(r"\x1b[\x20-\x7e]?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` without terminal control sequences or control characters (``\\n``, ``\\t`` kept).

    A carriage return before a newline is dropped with the rest; a lone one becomes nothing,
    so ``"a\\rb"`` shows as ``"ab"`` instead of overwriting the line.
    """
    if text.isprintable():
        return text  # the common case, at C speed
    text = _STRING_SEQUENCE.sub("", text)
    text = _CSI_SEQUENCE.sub("", text)
    text = _ESCAPE_PAIR.sub("", text)
    return _CONTROL.sub("", text)


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret in ``secrets`` replaced by :data:`MASK`."""
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def safe(text: str, secrets: Iterable[str] = ()) -> str:
    """:func:`clean` then :func:`mask`: what any remote string goes through before display."""
    return mask(clean(text), secrets)


# A path segment that reads as a token rather than a name: 16+ characters of a token
# alphabet, with letters and digits, and no dot (``gemini_live-1.2.3.tar.gz`` is a file
# name, ``pypi.fury.io/1a2B3c4D5e6F7g8H/`` carries a Gemfury token).
_TOKEN_SEGMENT = re.compile(r"(?=[^/]*[0-9])(?=[^/]*[A-Za-z])[A-Za-z0-9_~%-]{16,}")


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:  # a bad IPv6 literal
        return None


_USERINFO = re.compile(r"(//)[^/?#]*@")


def url_secrets(url: str) -> list[str]:
    """The parts of ``url`` that may be credentials, as written and percent-decoded.

    Userinfo (whole, its password, and its user when 6 characters or more: ``__token__``
    or the token itself), every query value of 6 characters or more, and path segments
    that look like tokens.  Mask a message with them (:func:`mask`) when it may
    quote the URL or a part of it, as an error from a URL library does.
    """
    parts = _split(url)
    if parts is None:
        return []
    found: list[str] = []
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at:
        user, _, password = userinfo.partition(":")
        found.extend((userinfo, password, user if len(user) >= 6 else ""))
    for pair in parts.query.split("&"):
        value = pair.partition("=")[2]
        if len(value) >= 6:
            found.append(value)
    found.extend(s for s in parts.path.split("/") if _TOKEN_SEGMENT.fullmatch(s))
    return sorted({*found, *(unquote(p) for p in found)} - {""}, key=len, reverse=True)


def mask_url(url: str) -> str:
    """``url`` with its userinfo, query values and token-like path segments masked.

    ``https://u:p@host/TOKEN123.../simple/?key=K`` shows as
    ``https://********@host/********/simple/?key=********``.  Text that does not parse as
    a URL loses at least anything that looks like userinfo.
    """
    parts = _split(url)
    if parts is None:
        return _USERINFO.sub(lambda m: m.group(1) + MASK + "@", url)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{MASK}@{host}" if "@" in parts.netloc else host
    path = "/".join(MASK if _TOKEN_SEGMENT.fullmatch(s) else s for s in parts.path.split("/"))
    query = "&".join(
        f"{name}={MASK}" if eq and value else pair
        for pair in parts.query.split("&")
        for name, eq, value in [pair.partition("=")]
    )
    return parts._replace(netloc=netloc, path=path, query=query).geturl()


# A logged credential header ("> x-goog-api-key: AIza...", "< Authorization: Bearer ...").
_CREDENTIAL_LINE = re.compile(
    r"(?im)^([<>]?\s*(?:authorization|proxy-authorization|x-goog-api-key|cookie|set-cookie)"
    r"\s*:\s*).+$"
)


class RedactingLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger that formats each record itself and masks secrets in the result.

    It masks the given ``secrets`` anywhere, and the value of any credential header line
    (``x-goog-api-key: ...``) even when the value is not known in advance (a server
    logging what a client sent).  Masking the formatted text rather than ``msg`` matters:
    websockets logs headers as ``debug("> %s: %s", name, value)``, with the key in the
    arguments.  Hand it to a library (``websockets.connect(logger=...)``) so that no
    logging configuration of the caller's can print a credential.
    """

    def __init__(self, logger: logging.Logger, secrets: Iterable[str] = ()) -> None:
        super().__init__(logger, {})
        self._secrets = tuple(s for s in secrets if s)

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join([str(msg), *map(str, args)])
        text = _CREDENTIAL_LINE.sub(lambda m: m.group(1) + MASK, mask(text, self._secrets))
        # The caller's frame, not this adapter's, is the record's origin.
        kwargs.setdefault("stacklevel", 2)
        self.logger.log(level, "%s", text, **kwargs)
