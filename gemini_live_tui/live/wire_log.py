"""The wire log (``--wire-log FILE``): every frame each way, and every reconnect decision.

One JSON object per line, written as it happens, so ``tail -f`` and ``jq`` can follow a
session while it runs:

- a frame: ``{"ts", "conn", "dir": "send"|"recv", "size", "message"}`` where ``message``
  is the frame's JSON with every base64 payload (a ``data`` beside a ``mimeType``: audio,
  images, inline data) replaced by ``{"bytes": N}``, its decoded size; a frame that is not
  JSON is logged as ``"undecodable": true`` with its size only;
- a decision: ``{"ts", "decision": "..."}`` (reconnect attempts and their delays, a
  refused handle, connections opened and closed).

Nothing secret is written: the credential values the caller names are replaced by ``***``
wherever they appear (a server can echo a key in text), and so are resumption handles
(``handle``, ``newHandle``: whoever holds one can resume the conversation).  The file is
created (or, if it existed, made) mode 0600.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from gemini_live_tui.text_safety import MASK, mask

__all__ = ["WireLog"]

_SECRET_KEYS = frozenset({"handle", "newHandle"})


class WireLog:
    """Writes the wire log.  Build one with :meth:`open`; :meth:`close` when done.

    Args:
        stream: the open text file.
        secrets: credential values to mask.
        clock: seconds since the epoch (``time.time``), injectable for tests.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        secrets: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stream = stream
        self._secrets = tuple(s for s in secrets if s)
        self._clock = clock

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        secrets: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> WireLog:
        """Append to ``path``, created mode 0600 (an existing file is made 0600 first)."""
        target = Path(path)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.fchmod(fd, 0o600)  # os.open's mode applies only when it creates the file
            stream = os.fdopen(fd, "a", encoding="utf-8")
        except BaseException:
            os.close(fd)
            raise
        return cls(stream, secrets=secrets, clock=clock)

    def sent(self, conn: int, frame: bytes | str) -> None:
        """A frame we wrote on connection ``conn``."""
        self._frame(conn, "send", frame)

    def received(self, conn: int, frame: bytes | str) -> None:
        """A frame that arrived on connection ``conn``."""
        self._frame(conn, "recv", frame)

    def decision(self, text: str) -> None:
        """A reconnect decision or a connection opened or closed."""
        self._write({"ts": self._clock(), "decision": mask(text, self._secrets)})

    def close(self) -> None:
        """Flush and close the file (idempotent)."""
        if not self._stream.closed:
            self._stream.close()

    def _frame(self, conn: int, direction: str, frame: bytes | str) -> None:
        line: dict[str, Any] = {
            "ts": self._clock(),
            "conn": conn,
            "dir": direction,
            "size": len(frame),
        }
        try:
            message = json.loads(frame)
        except (ValueError, UnicodeDecodeError):
            line["undecodable"] = True
        else:
            line["message"] = self._redact(message)
        self._write(line)

    def _redact(self, value: Any) -> Any:
        if isinstance(value, dict):
            payload = isinstance(value.get("data"), str) and "mimeType" in value
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key in _SECRET_KEYS and isinstance(item, str) and item:
                    out[key] = MASK
                elif payload and key == "data":
                    out[key] = {"bytes": _decoded_size(item)}
                else:
                    out[key] = self._redact(item)
            return out
        if isinstance(value, list):
            return [self._redact(item) for item in value]
        if isinstance(value, str):
            return mask(value, self._secrets)
        return value

    def _write(self, line: dict[str, Any]) -> None:
        if self._stream.closed:
            return
        self._stream.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        # Line by line: a session that dies (or is killed) leaves its last frames on disk.
        self._stream.flush()

    def __repr__(self) -> str:
        return f"<WireLog {getattr(self._stream, 'name', '?')}>"


def _decoded_size(data: str) -> int:
    """Bytes a base64 string decodes to (either alphabet; padding optional)."""
    return len(data.rstrip("=")) * 3 // 4
