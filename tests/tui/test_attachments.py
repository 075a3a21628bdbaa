"""Parsing @file references out of a line, and preparing files for sending."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from gemini_live_tui.engine.attachments import parse_line, prepare_attachment, quote_path
from gemini_live_tui.errors import MediaError


@pytest.mark.parametrize(
    ("line", "text", "files"),
    [
        ("hello", "hello", ()),
        ("@photo.jpg describe this", "describe this", ("photo.jpg",)),
        ("@a.png @b.jpg", "", ("a.png", "b.jpg")),
        ('@"my photo.png" what is it', "what is it", ("my photo.png",)),
        ("@'it''s.png'", "'s.png'", ("it",)),
        ("look at @my\\ file.png now", "look at now", ("my file.png",)),
        ("mail me@example.com please", "mail me@example.com please", ()),
        ("a lone @ sign", "a lone @ sign", ()),
        ('@"unclosed path.png', "", ("unclosed path.png",)),
        ("  spaced   words  ", "spaced   words", ()),
        ("def f():\n    return 1\n", "def f():\n    return 1", ()),
        ("@a.png explain\n  indented", "explain\n  indented", ("a.png",)),
    ],
)
def test_parse_line(line: str, text: str, files: tuple[str, ...]) -> None:
    parsed = parse_line(line)
    assert parsed.text == text and parsed.files == files


@pytest.mark.parametrize("path", ["plain.png", "with space.png", 'quote"and space.png'])
def test_quote_path_round_trips(path: str) -> None:
    assert parse_line(quote_path(path)).files == (path,)


def test_prepare_image_and_errors(tmp_path: Path) -> None:
    Image.new("RGB", (3000, 1000), (1, 2, 3)).save(tmp_path / "big.jpg")
    prepared = prepare_attachment("big.jpg", base_dir=tmp_path)
    assert prepared.kind == "image" and prepared.mime_type == "image/jpeg"
    assert "big.jpg (1024x341" in prepared.summary
    with pytest.raises(MediaError, match=r"nothing.png: no such file"):
        prepare_attachment("nothing.png", base_dir=tmp_path)
    (tmp_path / "x.doc").write_text("x")
    with pytest.raises(MediaError, match=r"unsupported file type '.doc'"):
        prepare_attachment("x.doc", base_dir=tmp_path)
    (tmp_path / "noext").write_text("x")
    with pytest.raises(MediaError, match=r"no file extension"):
        prepare_attachment("noext", base_dir=tmp_path)
