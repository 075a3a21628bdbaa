"""Pilot tests of the terminal app against the embedded local Live server (real sockets)."""

from __future__ import annotations

import json
import math
import os
import struct
import wave
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from textual.widgets import Markdown

from gemini_live_tui.engine import StatusChanged
from gemini_live_tui.live import Session
from gemini_live_tui.local import LocalLiveServer
from gemini_live_tui.local.faults import Fault
from gemini_live_tui.protocol import events
from gemini_live_tui.tui.history import InputHistory
from gemini_live_tui.tui.widgets.chat_log import TranscriptionLine
from gemini_live_tui.tui.widgets.help import HelpScreen
from gemini_live_tui.tui.widgets.status_bar import format_status
from tests.tui.conftest import log_text, make_app, wait_for


async def type_line(pilot: Any, text: str) -> None:
    """Type ``text`` into the prompt and press Enter."""
    pilot.app.prompt.value = text
    pilot.app.prompt.cursor_position = len(text)
    await pilot.press("enter")


def keys(text: str) -> list[str]:
    """Key names that type ``text`` (a space is the key called "space")."""
    return ["space" if ch == " " else ch for ch in text]


async def connected(pilot: Any) -> None:
    await wait_for(
        pilot, lambda: "connected to local server" in log_text(pilot.app), what="connect"
    )


def model_entries(app: Any) -> list[str]:
    return [e.text for e in app.transcript.entries if e.role in ("model", "model_voice")]


def _touch(path: Path) -> Path:
    path.touch()
    return path


def write_wav(path: Path, *, rate: int = 44100, channels: int = 2, seconds: float = 1.0) -> None:
    frames = int(rate * seconds)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        sample = struct.pack("<h", 8000) * channels
        out.writeframes(sample * frames)


# ------------------------------------------------------------------------------ round trips


async def test_text_round_trip_streams_markdown(tmp_path: Path) -> None:
    app = make_app(tmp_path, text=True)
    fragments: list[str] = []
    app.engine.subscribe(
        lambda event: fragments.append(event.text) if isinstance(event, events.ModelText) else None
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await type_line(pilot, "hello there")
        await wait_for(pilot, lambda: model_entries(app), what="model reply")
        replies = list(app.chat.query(Markdown))
        assert replies and "hello there" in replies[-1].source
        # The reply came in several pieces and all of them are on screen, in order.
        assert len(fragments) > 1
        assert replies[-1].source == "".join(fragments)
        assert "you hello there" in log_text(app)
        status = app.status_bar.plain
        assert "connected" in status and "tok" in status
        assert app.engine.status().tokens > 0
        assert app.engine.status().last_latency is not None
        assert "latency --" not in status


async def test_audio_mode_shows_output_transcription_final(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await type_line(pilot, "say something")
        await wait_for(pilot, lambda: model_entries(app), what="voice reply")
        lines = list(app.chat.query(TranscriptionLine))
        assert lines and "say something" in lines[-1].text
        assert not lines[-1].has_class("partial")
        assert app.transcript.entries[-1].role in {"model_voice", "system"}


async def test_history_is_kept_across_runs(tmp_path: Path) -> None:
    first = make_app(tmp_path, text=True)
    async with first.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, "first line")
        await type_line(pilot, "/help")
        await wait_for(pilot, lambda: isinstance(first.screen, HelpScreen), what="help")
        await pilot.press("escape")
        await pilot.press("ctrl+d")
    history_file = tmp_path / "data" / "history"
    assert history_file.read_text().splitlines() == ["first line", "/help"]

    history = InputHistory(history_file)
    history.load()
    second = make_app(tmp_path, text=True, history=history)
    async with second.run_test() as pilot:
        await connected(pilot)
        await pilot.press(*keys("draft"))
        await pilot.press("up")
        assert second.prompt.value == "/help"
        await pilot.press("up")
        assert second.prompt.value == "first line"
        await pilot.press("up")
        assert second.prompt.value == "first line"
        await pilot.press("down", "down")
        assert second.prompt.value == "draft"


# ------------------------------------------------------------------------------ completion


async def test_tab_completes_commands_and_cycles(tmp_path: Path) -> None:
    app = make_app(tmp_path, text=True)
    async with app.run_test() as pilot:
        await pilot.press("/", "h", "e", "tab")
        assert app.prompt.value == "/help "
        app.prompt.value = ""
        await pilot.press("/", "s", "tab")
        assert app.prompt.value == "/s"
        hint = app.query_one("#hint")
        assert hint.has_class("shown") and "/save" in str(hint.render())
        await pilot.press("tab")
        assert app.prompt.value == "/save "
        await pilot.press("tab")
        assert app.prompt.value == "/share-screen "


async def test_tab_completes_arguments(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press(*keys("/voice puc"), "tab")
        assert app.prompt.value == "/voice Puck "
        app.prompt.value = ""
        await pilot.press(*keys("/system c"), "tab")
        assert app.prompt.value == "/system clear "


async def test_tab_completes_file_paths_with_spaces(tmp_path: Path) -> None:
    (tmp_path / "my photo.png").write_bytes(b"x")
    (tmp_path / "pics").mkdir()
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press(*keys("look @my"), "tab")
        assert app.prompt.value == 'look @"my photo.png" '
        app.prompt.value = ""
        await pilot.press(*keys("@pi"), "tab")
        assert app.prompt.value == "@pics/"


# -------------------------------------------------------------------------------- commands


async def test_help_clear_and_unknown_command(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, "/help")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        text = app.screen.query_one("#help", Markdown).source
        for name in ("/help", "/clear", "/quit", "/save [path]", "/system", "/voice", "F4"):
            assert name in text
        # Help is a screen, never a line in the conversation or the transcript.
        assert "/voice <name>" not in log_text(app)
        assert not any("/voice <name>" in e.text for e in app.transcript.entries)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="closed")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="F1")
        await pilot.press("f1")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="closed")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="? on empty")
        await pilot.press("q")
        await pilot.press(*keys("why?"))
        assert app.prompt.value == "why?" and not isinstance(app.screen, HelpScreen)
        app.prompt.value = ""
        await type_line(pilot, "/sytem show")
        await wait_for(pilot, lambda: "did you mean /system?" in log_text(app))
        await type_line(pilot, "/clear")
        await wait_for(pilot, lambda: len(app.chat.children) == 0, what="cleared log")


async def test_quit_command_closes_session(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, "/quit")
        await wait_for(pilot, lambda: app.return_code == 0, what="exit")
    assert app.engine.session is not None and app.engine.session.closed


async def test_system_show_set_clear(tmp_path: Path) -> None:
    app = make_app(tmp_path, text=True, system_instruction="be brief")
    async with app.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, "/system show")
        await wait_for(pilot, lambda: "system instruction: be brief" in log_text(app))
        await type_line(pilot, "hi")
        await wait_for(pilot, lambda: app.engine.status().resumable, what="handle")
        await type_line(pilot, "/system set talk like a pirate")
        await wait_for(pilot, lambda: "system instruction set: reconnected" in log_text(app))
        assert app.engine.system_instruction == "talk like a pirate"
        await type_line(pilot, "/system clear")
        await wait_for(pilot, lambda: "system instruction cleared" in log_text(app))
        assert app.engine.system_instruction is None
        await type_line(pilot, "/system show")
        await wait_for(pilot, lambda: "system instruction: (none)" in log_text(app))


class NoHandleSession(Session):
    """A real session that behaves as if the server had not sent a handle yet."""

    @property
    def resumption_handle_available(self) -> bool:
        return False


async def test_voice_and_system_without_a_handle_say_so(tmp_path: Path) -> None:
    app = make_app(tmp_path, connector=NoHandleSession.connect)
    async with app.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, "/voice Kore")
        await wait_for(pilot, lambda: "has not issued a resumption handle" in log_text(app))
        await type_line(pilot, "/system set be terse")
        await wait_for(pilot, lambda: log_text(app).count("resumption handle yet") == 2)
        assert app.engine.voice is None and app.engine.system_instruction is None


async def test_voice_resumes_the_conversation(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, "one")
        await wait_for(pilot, lambda: app.engine.status().resumable, what="handle")
        await wait_for(pilot, lambda: model_entries(app), what="first reply")
        await type_line(pilot, "/voice kore")
        await wait_for(pilot, lambda: "voice Kore: reconnected" in log_text(app))
        assert app.engine.voice == "Kore"
        assert "Kore" in str(app.engine.session.config.setup.generation_config)
        await type_line(pilot, "two")
        # The local server numbers turns per conversation: turn 2 means it carried over.
        await wait_for(pilot, lambda: any("turn 2" in t for t in model_entries(app)))


# ---------------------------------------------------------------------------------- files


async def test_image_send_is_scaled_and_summarised(tmp_path: Path) -> None:
    Image.new("RGB", (2048, 1024), (255, 136, 0)).save(tmp_path / "wide photo.png")
    app = make_app(tmp_path, text=True)
    async with app.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, '@"wide photo.png" what colour is this')
        await wait_for(pilot, lambda: "[image] wide photo.png (1024x512" in log_text(app))
        await wait_for(pilot, lambda: model_entries(app), what="reply")
        assert app.engine.statistics().files_sent == 1
        assert any(e.role == "file" for e in app.transcript.entries)


async def test_wav_send_is_converted_chunked_and_ended(tmp_path: Path) -> None:
    write_wav(tmp_path / "rec.wav", rate=44100, channels=2, seconds=1.0)
    app = make_app(tmp_path, text=True)
    async with app.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, "@rec.wav")
        await wait_for(pilot, lambda: "[audio] rec.wav (1.0 s, 16000 Hz mono" in log_text(app))
        stats = app.engine.statistics()
        assert stats.audio_chunks_sent == 10  # 1 s in 100 ms chunks
        assert stats.files_sent == 1


async def test_bad_files_are_reported_and_the_rest_is_sent(tmp_path: Path) -> None:
    Image.new("RGB", (64, 64), (0, 0, 255)).save(tmp_path / "ok.png")
    (tmp_path / "notes.txt").write_text("hi")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (tmp_path / "folder.png").mkdir()
    # Sparse: large on stat, cheap on disk.
    os.truncate(_touch(tmp_path / "huge.png"), 60 * 1024 * 1024)
    (tmp_path / "bad.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    app = make_app(tmp_path, text=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await connected(pilot)
        await type_line(
            pilot,
            "@missing.jpg @notes.txt @broken.png @folder.png @huge.png @bad.wav @ok.png "
            "still answer me",
        )
        await wait_for(pilot, lambda: model_entries(app), what="reply despite bad files")
        text = log_text(app)
        assert "[skip] " in text
        assert "missing.jpg: no such file" in text
        assert "notes.txt: unsupported file type '.txt'" in text
        assert "broken.png:" in text
        assert "folder.png: is a directory" in text
        assert "huge.png: too large" in text
        assert "bad.wav:" in text
        assert "[image] ok.png" in text
        assert app.engine.statistics().files_skipped == 6
        assert any("still answer me" in t for t in model_entries(app))


# ---------------------------------------------------------------------------------- /save


async def test_save_markdown_and_json_without_secrets(tmp_path: Path) -> None:
    Image.new("RGB", (32, 32), (0, 255, 0)).save(tmp_path / "dot.png")
    app = make_app(tmp_path, text=True)
    app._secrets = ("sk-test-secret-123",)
    async with app.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, "@dot.png my key is sk-test-secret-123")
        await wait_for(pilot, lambda: model_entries(app), what="reply")
        await type_line(pilot, "/save out/talk.md")
        await wait_for(pilot, lambda: "saved the transcript" in log_text(app))
        await type_line(pilot, "/save talk.json")
        await wait_for(pilot, lambda: log_text(app).count("saved the transcript") == 2)
        await type_line(pilot, "/save")
        await wait_for(pilot, lambda: log_text(app).count("saved the transcript") == 3)
    markdown = (tmp_path / "out" / "talk.md").read_text()
    assert "**You**" in markdown and "[image] dot.png" in markdown
    assert "sk-test-secret-123" not in markdown and "********" in markdown
    doc = json.loads((tmp_path / "talk.json").read_text())
    roles = [e["role"] for e in doc["entries"]]
    assert "user" in roles and "model" in roles and "file" in roles
    assert all("time" in e for e in doc["entries"])
    assert "sk-test-secret-123" not in json.dumps(doc)
    saved = list((tmp_path / "data" / "transcripts").glob("gemini-live-*.md"))
    assert len(saved) == 1


async def test_save_to_unwritable_path_reports_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    app = make_app(tmp_path, text=True)
    async with app.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, "/save file/inside.md")
        await wait_for(pilot, lambda: "could not save the transcript" in log_text(app))


# ------------------------------------------------------------------------------ reconnects


async def test_goaway_and_drop_reconnects_show_in_status_bar(tmp_path: Path) -> None:
    servers: list[LocalLiveServer] = []

    def server() -> LocalLiveServer:
        servers.append(LocalLiveServer(port=0, speed=math.inf, goaway_grace=0.5))
        return servers[-1]

    app = make_app(tmp_path, server=server, text=True)
    shown: list[str] = []

    def record(event: object) -> None:
        if isinstance(event, StatusChanged | events.GoAway):
            shown.append(
                format_status(app.engine.status(), app.engine.status().started_at or 0).plain
            )

    app.engine.subscribe(record)
    async with app.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, "hello")
        await wait_for(pilot, lambda: app.engine.status().resumable, what="handle")
        await servers[0].inject(Fault.goaway(grace=0.5))
        await wait_for(pilot, lambda: "reconnected: session resumed" in log_text(app))
        assert "server asked to move on" in log_text(app)
        assert any("goAway" in s for s in shown)
        await servers[0].inject(Fault.drop())
        await wait_for(pilot, lambda: log_text(app).count("reconnected: session resumed") == 2)
        assert any("reconnecting 1/5" in s for s in shown)
        assert "connected" in app.status_bar.plain and "goAway" not in app.status_bar.plain


# ------------------------------------------------------------------------------ keys


async def test_ctrl_c_twice_while_a_reply_runs(tmp_path: Path) -> None:
    # speed=1: the reply streams in real time, so a turn is still running when we press.
    app = make_app(tmp_path, server=lambda: LocalLiveServer(port=0, speed=1.0))
    async with app.run_test() as pilot:
        await connected(pilot)
        await type_line(pilot, "tell me a long story about many things " * 3)
        await wait_for(pilot, lambda: app.engine.turn_running, what="turn running")
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: "press Ctrl+C again" in log_text(app))
        assert app.return_code is None
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: app.return_code == 0, what="exit")


async def test_escape_keeps_text_and_ctrl_d_quits_when_idle(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await connected(pilot)
        await pilot.press(*keys("half typed"))
        await pilot.press("escape")
        assert app.prompt.value == "half typed"
        assert app.return_code is None and app.engine.session is not None
        assert not app.engine.session.closed
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: app.return_code == 0, what="exit")


async def test_log_is_bounded_and_pages(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.chat.max_entries = 50
        for i in range(120):
            await app.chat.add_system(f"line {i}")
        await pilot.pause()
        assert len(app.chat.children) == 50
        assert "line 119" in log_text(app) and "line 0\n" not in log_text(app)
        await wait_for(pilot, lambda: app.chat.scroll_y > 0, what="anchored at bottom")
        bottom = app.chat.scroll_y
        await pilot.press("pageup")
        await wait_for(pilot, lambda: app.chat.scroll_y < bottom, what="page up")
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: app.chat.scroll_y == bottom, what="page down")


# ------------------------------------------------------------------------------ CLI


def test_missing_key_names_the_ways_out(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gemini_live_tui.cli import main

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEMINI_API", "VERTEX"))}
    env.pop("LIVE_BACKEND", None)
    result = CliRunner().invoke(main, [], env=env | {"GEMINI_API_KEY": ""})
    assert result.exit_code == 2
    assert "GEMINI_API_KEY" in result.output
    assert "VERTEX_LOCATION" in result.output and "VERTEX_AI_ACCESS_TOKEN" in result.output
    assert "--backend local" in result.output


def test_config_command_masks_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from gemini_live_tui.cli import main

    monkeypatch.setenv("GEMINI_API_KEY", "AIza-very-secret")
    monkeypatch.setenv("GEMINI_MODEL", "gemini-3.1-flash-live-preview")
    result = CliRunner().invoke(main, ["config", "--voice", "Puck"])
    assert result.exit_code == 0, result.output
    assert "AIza-very-secret" not in result.output
    assert "********" in result.output
    assert "models/gemini-3.1-flash-live-preview" in result.output
    assert "env GEMINI_MODEL" in result.output
    assert "Puck" in result.output and "(flag)" in result.output


async def test_a_line_typed_while_connecting_is_sent_once_connected(tmp_path: Path) -> None:
    app = make_app(tmp_path, text=True)
    async with app.run_test() as pilot:
        await type_line(pilot, "early bird")
        await wait_for(pilot, lambda: model_entries(app), what="reply to the early line")
        assert "early bird" in model_entries(app)[0]
        assert "nothing was sent" not in log_text(app)


async def test_a_flood_of_tiny_text_frames_is_coalesced_and_ctrl_c_still_quits(
    tmp_path: Path,
) -> None:
    from gemini_live_tui.tui import messages as msg

    app = make_app(tmp_path, text=True)
    posted: list[Any] = []
    post = app.post_message

    def counting(message: Any) -> bool:
        if isinstance(message, msg.ModelTextChunk):
            posted.append(message)
        return post(message)

    app.post_message = counting  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        pieces = [str(n % 10) for n in range(20_000)]
        for piece in pieces:  # all in one loop turn, as a fast socket delivers them
            app._on_app_event(events.ModelText(text=piece))
        assert len(posted) == 1
        await wait_for(
            pilot,
            lambda: any(r.source == "".join(pieces) for r in app.chat.query(Markdown)),
            what="all the text in one reply",
        )
        app._on_app_event(events.TurnComplete())
        app._on_app_event(events.ModelText(text="next"))  # a new run after another message
        assert len(posted) == 2
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: app.return_code == 0, what="exit")
