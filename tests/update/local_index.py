"""A real package index over loopback HTTP for the update tests.

It serves ``/simple/<project>/`` as PEP 503 HTML, or as PEP 691 JSON when the client asks
for it (``json_api=True``), and the files under ``/files/``.  Files may be real wheels or
just names (enough for ``--check``, which never downloads).  Optional HTTP Basic auth lets
the tests check that credentials in an index URL are sent, and never printed.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

__all__ = ["LocalIndex"]


class LocalIndex:
    """Serve a mutable set of files as the project ``gemini-live``."""

    def __init__(self, *, json_api: bool = False, auth: tuple[str, str] | None = None) -> None:
        self.json_api = json_api
        self.auth = auth
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add(self, item: Path | str) -> None:
        """Offer a wheel file (its bytes) or a bare file name (empty content)."""
        if isinstance(item, Path):
            self.files[item.name] = item.read_bytes()
        else:
            self.files[item] = b""

    def clear(self) -> None:
        self.files.clear()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/simple"

    def url_with(self, user: str, password: str) -> str:
        return self.url.replace("http://", f"http://{user}:{password}@", 1)

    def _listing(self, want_json: bool) -> tuple[str, bytes]:
        names = sorted(self.files)
        digests = {name: hashlib.sha256(self.files[name]).hexdigest() for name in names}
        if want_json:
            body = {
                "meta": {"api-version": "1.0"},
                "name": "gemini-live",
                "files": [
                    {
                        "filename": name,
                        "url": f"/files/{name}",
                        "hashes": {"sha256": digests[name]},
                        "requires-python": ">=3.11",
                    }
                    for name in names
                ],
            }
            return "application/vnd.pypi.simple.v1+json", json.dumps(body).encode()
        links = "\n".join(
            f'<a href="../../files/{name}#sha256={digests[name]}" '
            f'data-requires-python="{html.escape(">=3.11")}">{name}</a><br/>'
            for name in names
        )
        page = f"<!DOCTYPE html><html><body><h1>gemini-live</h1>\n{links}\n</body></html>"
        return "text/html", page.encode()

    def __enter__(self) -> LocalIndex:
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass  # keep pytest output clean

            def _send(self, code: int, ctype: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if code == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="index"')
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                accept = self.headers.get("Accept", "")
                index.requests.append((self.path, accept))
                if index.auth is not None:
                    token = base64.b64encode(":".join(index.auth).encode()).decode()
                    if self.headers.get("Authorization") != f"Basic {token}":
                        self._send(401, "text/plain", b"unauthorised")
                        return
                path = self.path.split("#", 1)[0]
                if path in {"/simple/gemini-live/", "/simple/gemini-live"}:
                    want_json = index.json_api and "application/vnd.pypi.simple.v1+json" in accept
                    ctype, body = index._listing(want_json)
                    self._send(200, ctype, body)
                elif path.startswith("/files/") and path[7:] in index.files:
                    self._send(200, "application/octet-stream", index.files[path[7:]])
                else:
                    self._send(404, "text/plain", b"not found")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
