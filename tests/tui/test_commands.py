"""The command table: lookup, suggestions, help, and completion."""

from __future__ import annotations

from pathlib import Path

from gemini_live_tui.tui.commands import (
    BUILTIN_COMMANDS,
    Command,
    build_registry,
    complete,
    complete_path,
)


async def _noop(host: object, args: str) -> None:
    return None


def test_closest_and_extra_commands() -> None:
    registry = build_registry([Command("zap", "", "an extra command", _noop)])
    assert registry.get("zap") is not None
    assert registry.closest("hlep") == "help"
    assert registry.closest("sa") == "save"
    assert registry.closest("zzzz") is None
    assert len(list(registry)) == len(BUILTIN_COMMANDS) + 1
    lines = registry.help_lines()
    assert any(line.strip().startswith("/zap") for line in lines)
    assert any("Ctrl+C" in line for line in lines)


def test_complete_commands_and_arguments() -> None:
    registry = build_registry()
    found = complete(registry, "/q", 2)
    assert found is not None and found.candidates == ("/quit ",) and found.start == 0
    found = complete(registry, "/s", 2)
    assert found is not None and set(found.candidates) == {
        "/save ",
        "/share-screen ",
        "/snap ",
        "/speak ",
        "/system ",
    }
    found = complete(registry, "/system se", 10)
    assert found is not None and found.candidates == ("set ",) and found.start == 8
    assert complete(registry, "/help x", 7) is None
    assert complete(registry, "/nosuch x", 9) is None
    assert complete(registry, "plain words", 11) is None


def test_complete_paths(tmp_path: Path) -> None:
    (tmp_path / "a b.png").write_bytes(b"")
    (tmp_path / "alpha.wav").write_bytes(b"")
    (tmp_path / ".hidden").write_bytes(b"")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "inner.png").write_bytes(b"")
    assert complete_path("a", base_dir=tmp_path) == ['@"a b.png" ', "@alpha.wav "]
    assert complete_path("d", base_dir=tmp_path) == ["@dir/"]
    assert complete_path("dir/", base_dir=tmp_path) == ["@dir/inner.png "]
    assert complete_path("", base_dir=tmp_path) == ['@"a b.png" ', "@alpha.wav ", "@dir/"]
    assert complete_path(".h", base_dir=tmp_path) == ["@.hidden "]
    assert complete_path("nope/", base_dir=tmp_path) == []
    registry = build_registry()
    found = complete(registry, 'see @"a', 7, base_dir=tmp_path)
    assert found is not None and found.start == 4
    assert found.candidates == ('@"a b.png" ', "@alpha.wav ")
