"""A loopback HTTP server with one canned answer, for upstreams that misbehave on purpose.

Tests of the transport, the proxy and the updater use it to play a hostile or broken peer:
a redirect to somewhere else, an error body that echoes the key, a reason phrase full of
escapes.  It records the head of every request it gets, so a test can assert that a
credential never reached it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class HttpStub:
    """A loopback HTTP server answering every request with one canned response."""

    def __init__(self, respond: Callable[[bytes], bytes]) -> None:
        self._respond = respond
        self.requests: list[bytes] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        self.requests.append(head)
        writer.write(self._respond(head))
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> HttpStub:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


def http_response(status: str, body: bytes = b"", headers: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\n{headers}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
