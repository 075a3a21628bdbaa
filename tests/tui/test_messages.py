"""Engine events reach the app as one message class each; model audio never enters its queue."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

from textual.message import Message

from gemini_live_tui.engine import AppEvent, FileSkipped, Notice, UserSent
from gemini_live_tui.protocol import events, types
from gemini_live_tui.tui import app as app_module
from gemini_live_tui.tui import messages as msg
from gemini_live_tui.tui.app import GeminiLiveApp
from tests.tui.conftest import log_text, make_app, wait_for


def test_every_event_kind_is_either_shown_or_ignored() -> None:
    kinds = set(typing.get_args(AppEvent))
    assert events.ModelAudio in kinds and Notice in kinds  # the union was flattened
    assert msg.shown_kinds().isdisjoint(msg.IGNORED)
    assert msg.shown_kinds() | msg.IGNORED == kinds


def test_messages_carry_the_event_data() -> None:
    notice = msg.to_message(Notice("careful", "warning"))
    assert isinstance(notice, msg.NoticeArrived)
    assert (notice.text, notice.level) == ("careful", "warning")
    said = msg.to_message(events.InputTranscription(text="hi", finished=True))
    assert isinstance(said, msg.InputTranscript) and (said.text, said.finished) == ("hi", True)
    skipped = msg.to_message(FileSkipped("a.bin", "a.bin: unsupported"))
    assert isinstance(skipped, msg.FileWasSkipped) and skipped.reason == "a.bin: unsupported"
    assert msg.to_message(events.ModelText(text="hm", thought=True)) is None
    assert msg.to_message(events.ModelAudio(data=b"\0\0")) is None
    assert msg.to_message(UserSent("x")) is None


class RecordingApp(GeminiLiveApp):
    """The real app, noting which engine event was being published when it posted a message."""

    CSS_PATH = Path(app_module.__file__).with_name("app.tcss")  # relative paths follow the class

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.publishing: object | None = None
        self.posted: list[tuple[type[Any], type[Message]]] = []

    def post_message(self, message: Message) -> bool:
        if self.publishing is not None:
            self.posted.append((type(self.publishing), type(message)))
        return super().post_message(message)


async def test_a_model_audio_burst_posts_no_message(tmp_path: Path) -> None:
    plain = make_app(tmp_path)  # audio replies: many audio chunks per turn
    app = RecordingApp(plain.engine, history=plain.history, base_dir=tmp_path)
    audio_events = 0

    def before(event: object) -> None:
        nonlocal audio_events
        audio_events += isinstance(event, events.ModelAudio)
        app.publishing = event

    def after(event: object) -> None:
        app.publishing = None

    app.engine.subscribe(before)  # before the app's own listener (subscribed on mount)
    async with app.run_test() as pilot:
        app.engine.subscribe(after)
        await wait_for(pilot, lambda: "connected to local server" in log_text(app))
        app.prompt.value = "say something rather long so that the reply has many chunks"
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(e.role == "model_voice" for e in app.transcript.entries))
    # The engine hands model audio to the voice part only: no listener (the app's
    # included) ever sees it, so an audio burst cannot flood the UI queue.
    assert audio_events == 0
    assert [m for kind, m in app.posted if kind is events.ModelAudio] == []
    # The recorder does see what the app posts for the events it shows.
    assert (events.OutputTranscription, msg.OutputTranscript) in app.posted


async def test_handlers_for_voice_interruptions_and_tools(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: "connected to local server" in log_text(app))
        app.post_message(msg.InputTranscript("what is the ", False))
        app.post_message(msg.InputTranscript("time", True))
        await wait_for(pilot, lambda: "what is the time" in log_text(app), what="user voice")
        voice = [e.text for e in app.transcript.entries if e.role == "user_voice"]
        assert voice == ["what is the time"]

        app.post_message(msg.ModelTextChunk("It is"))
        app.post_message(msg.ReplyInterrupted())
        await wait_for(pilot, lambda: "(interrupted)" in log_text(app), what="interrupted")
        assert [e.text for e in app.transcript.entries if e.role == "model"] == ["It is"]

        call = types.FunctionCall(id="c1", name="get_time", args={"zone": "UTC"})
        app.post_message(msg.ToolCallsArrived((call,)))
        app.post_message(msg.ToolCallsCancelled(("c1", "c2")))

        def tools() -> list[str]:
            return [e.text for e in app.transcript.entries if e.role == "tool"]

        await wait_for(pilot, lambda: len(tools()) == 2, what="tool entries")
        assert tools() == ["call get_time id=c1 args={'zone': 'UTC'}", "cancelled c1, c2"]
