"""Input history navigation and persistence; transcript rendering."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from gemini_live_tui.tui.history import InputHistory
from gemini_live_tui.tui.transcript import Transcript


def test_history_navigation_and_draft() -> None:
    history = InputHistory(None)
    for line in ("one", "two", "two", "  ", "three"):
        history.add(line)
    assert history.entries == ["one", "two", "three"]
    assert history.previous("draft") == "three"
    assert history.previous("ignored") == "two"
    assert history.next() == "three"
    assert history.next() == "draft"
    assert history.next() is None


def test_history_file_is_trimmed_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "h" / "history"
    history = InputHistory(path, limit=3)
    for i in range(5):
        history.append_to_file(f"line {i}")
    again = InputHistory(path, limit=3)
    again.load()
    assert again.entries == ["line 2", "line 3", "line 4"]
    assert path.read_text().splitlines() == ["line 2", "line 3", "line 4"]


def test_transcript_markdown_and_json_mask_secrets(tmp_path: Path) -> None:
    when = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)
    transcript = Transcript(now=lambda: when)
    transcript.add("user", "my key is K-123")
    transcript.add("file", "[image] a.png (10x10, image/png, 1 KB)")
    transcript.add("tool", "call f id=1 args={}")
    transcript.add("model", "**hi**")
    transcript.add("system", "   ")
    md = transcript.save(tmp_path / "t.md", secrets=["K-123"]).read_text()
    assert "K-123" not in md and "********" in md
    assert "**You** `2026-11-22 12:00:00`" in md and "*File:* [image] a.png" in md
    doc = json.loads(transcript.save(tmp_path / "t.json", secrets=["K-123"]).read_text())
    assert [e["role"] for e in doc["entries"]] == ["user", "file", "tool", "model"]
    assert doc["entries"][0]["time"] == "2026-11-22T12:00:00+00:00"
    assert "K-123" not in json.dumps(doc)
