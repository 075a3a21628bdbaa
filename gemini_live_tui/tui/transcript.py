"""The conversation transcript and its export to Markdown or JSON (``/save``).

The app records what the user and the model said, transcriptions, files sent, tool calls and
system lines, each with a timestamp.  Settings are never recorded, and :meth:`Transcript.render`
masks any secret it is given (the API key or token) in case the user typed or pasted one.
Entries are stored without terminal control sequences (:func:`~gemini_live_tui.text_safety.clean`):
a saved transcript shown with ``cat`` must not retitle the terminal or write its clipboard.
Saved files are the user's alone (0600; directories created for them 0700).
No textual import: saving is blocking and runs in a thread worker.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gemini_live_tui.private_files import write_private_text
from gemini_live_tui.text_safety import clean, mask

__all__ = ["Entry", "Role", "Transcript"]

Role = Literal["user", "model", "user_voice", "model_voice", "file", "tool", "system"]

_LABELS: dict[str, str] = {
    "user": "You",
    "model": "Model",
    "user_voice": "You (voice)",
    "model_voice": "Model (voice)",
    "file": "File",
    "tool": "Tool",
    "system": "System",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the transcript."""

    at: dt.datetime
    role: Role
    text: str


class Transcript:
    """An append-only record of the session (bounded, oldest dropped first)."""

    def __init__(
        self,
        *,
        limit: int = 20_000,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC).astimezone(),
    ) -> None:
        self.entries: list[Entry] = []
        self.limit = limit
        self._now = now

    def add(self, role: Role, text: str) -> None:
        """Record ``text`` (control sequences removed, stripped; blank text is ignored)."""
        text = clean(text).strip()
        if not text:
            return
        self.entries.append(Entry(self._now(), role, text))
        if len(self.entries) > self.limit:
            del self.entries[: len(self.entries) - self.limit]

    def render(self, fmt: Literal["markdown", "json"], *, secrets: Iterable[str] = ()) -> str:
        """The transcript as Markdown or JSON, with every given secret masked."""
        masks = [s for s in secrets if s]
        if fmt == "json":
            doc = {
                "format": "gemini-live transcript",
                "version": 1,
                "entries": [
                    {"time": e.at.isoformat(timespec="seconds"), "role": e.role, "text": e.text}
                    for e in self.entries
                ],
            }
            text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
        else:
            lines = ["# gemini-live transcript", ""]
            for e in self.entries:
                stamp = e.at.strftime("%Y-%m-%d %H:%M:%S")
                body = e.text
                if e.role in ("system", "file", "tool"):
                    lines.append(f"- `{stamp}` *{_LABELS[e.role]}:* {body}")
                else:
                    lines.append(f"**{_LABELS[e.role]}** `{stamp}`")
                    lines.append("")
                    lines.append(body)
                lines.append("")
            text = "\n".join(lines).rstrip() + "\n"
        return mask(text, masks)

    def save(self, path: Path, *, secrets: Iterable[str] = ()) -> Path:
        """Write the transcript (JSON when ``path`` ends in ``.json``), mode 0600; blocking.

        Raises:
            OSError: the file cannot be written.
        """
        fmt: Literal["markdown", "json"] = "json" if path.suffix.lower() == ".json" else "markdown"
        write_private_text(path, self.render(fmt, secrets=secrets))
        return path
