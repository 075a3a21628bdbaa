"""Input history kept across runs: Up/Down navigation and a plain-text file, one entry a line.

An entry may span several lines (the prompt is multi-line); in the file its newlines are
stored as U+2028 LINE SEPARATOR, which typed text practically never holds, so the file stays
one entry per line and older files read unchanged.

File I/O is blocking and small; the app calls :meth:`InputHistory.load` before the UI starts
and :meth:`InputHistory.append_to_file` from a thread worker, so the event loop never waits
on the disk.  The file is the user's alone (0600, see :mod:`gemini_live_tui.private_files`)
and never holds a given secret: a pasted key is masked on the way to the disk, as in a saved
transcript.  No textual import here: the prompt widget drives navigation.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from gemini_live_tui.private_files import open_private, write_private_text
from gemini_live_tui.text_safety import mask

__all__ = ["InputHistory"]

logger = logging.getLogger(__name__)


class InputHistory:
    """Lines the user entered, oldest first, with a cursor for Up/Down.

    Args:
        path: the history file (``None`` keeps history in memory only).
        limit: most lines kept; the file is trimmed to this on load.
        secrets: masked wherever they appear in a line written to the file.
    """

    def __init__(
        self, path: Path | None, *, limit: int = 1000, secrets: Iterable[str] = ()
    ) -> None:
        self.path = path
        self.limit = limit
        self._secrets = tuple(s for s in secrets if s)
        self.entries: list[str] = []
        self._index: int | None = None
        self._draft = ""
        # The file is appended from worker threads; one writer at a time.
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ persistence

    def load(self) -> None:
        """Read the file (blocking); a missing or unreadable file means no history."""
        if self.path is None:
            return
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return
        except OSError as exc:
            logger.warning("cannot read history %s: %s", self.path, exc.strerror)
            return
        lines = [_decode(line) for line in text.split("\n") if line.strip()]
        self.entries = lines[-self.limit :]
        if len(lines) > self.limit:
            self._rewrite()

    def append_to_file(self, line: str) -> None:
        """Append one line to the file (blocking: call it from a thread)."""
        if self.path is None:
            return
        with self._lock:
            try:
                with open_private(self.path, append=True) as handle:
                    handle.write(_encode(mask(line, self._secrets)) + "\n")
            except OSError as exc:
                logger.warning("cannot write history %s: %s", self.path, exc.strerror)

    def _rewrite(self) -> None:
        assert self.path is not None
        with self._lock:
            try:
                text = "".join(_encode(mask(e, self._secrets)) + "\n" for e in self.entries)
                write_private_text(self.path, text)
            except OSError as exc:
                logger.warning("cannot trim history %s: %s", self.path, exc.strerror)

    # ------------------------------------------------------------------- navigation

    def add(self, line: str) -> bool:
        """Remember ``line`` (not blank, not a repeat of the last); True when added."""
        self.reset()
        # One line is trimmed; a multi-line entry keeps its indentation.
        line = line.strip("\r\n") if "\n" in line else line.strip()
        if not line.strip() or (self.entries and self.entries[-1] == line):
            return False
        self.entries.append(line)
        if len(self.entries) > self.limit:
            del self.entries[0]
        return True

    def reset(self) -> None:
        """Leave navigation (after a submit or an edit)."""
        self._index = None
        self._draft = ""

    def previous(self, current: str) -> str | None:
        """The entry before the cursor (Up); ``current`` is kept as the draft."""
        if not self.entries:
            return None
        if self._index is None:
            self._draft = current
            self._index = len(self.entries)
        if self._index == 0:
            return None
        self._index -= 1
        return self.entries[self._index]

    def next(self) -> str | None:
        """The entry after the cursor (Down); past the newest, the saved draft."""
        if self._index is None:
            return None
        self._index += 1
        if self._index >= len(self.entries):
            draft = self._draft
            self.reset()
            return draft
        return self.entries[self._index]


_SEPARATOR = "\u2028"


def _encode(entry: str) -> str:
    return entry.replace("\r\n", "\n").replace("\n", _SEPARATOR)


def _decode(line: str) -> str:
    return line.rstrip("\r").replace(_SEPARATOR, "\n")
