"""The Textual app: chat log, meters, prompt and status bar around an :class:`Engine`.

The app receives a ready (not yet connected) engine from the CLI, runs ``engine.run()`` in a
worker, and turns engine events into widget updates and transcript entries: its listener
maps each event the UI shows to one message class (:mod:`gemini_live_tui.tui.messages`),
handled by its own ``on_engine_...`` method; model audio never enters the UI queue.
Typed lines (read from ``Input.Submitted.value``) and slash commands go through one outbox
worker, in order, so a slow send or a reconnecting ``/voice`` never blocks the UI's message
loop.  Clocks and meters are pulled by timers; nothing outside the loop touches a widget.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import ClassVar, Literal, TypeVar

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from gemini_live_tui import __version__
from gemini_live_tui.engine import AppEvent, Engine
from gemini_live_tui.tui import messages as msg
from gemini_live_tui.tui.commands import CommandRegistry, Completion, build_registry, complete
from gemini_live_tui.tui.history import InputHistory
from gemini_live_tui.tui.transcript import Transcript
from gemini_live_tui.tui.widgets.chat_log import ChatLog
from gemini_live_tui.tui.widgets.completions import render_completions
from gemini_live_tui.tui.widgets.confirm import ConfirmScreen
from gemini_live_tui.tui.widgets.help import HelpScreen
from gemini_live_tui.tui.widgets.meters import Meters
from gemini_live_tui.tui.widgets.prompt import Prompt
from gemini_live_tui.tui.widgets.status_bar import StatusBar

__all__ = ["GeminiLiveApp"]

logger = logging.getLogger(__name__)

Level = Literal["info", "warning", "error"]

M = TypeVar("M", bound=msg.EngineMessage)
Handler = Callable[["GeminiLiveApp", M], Awaitable[None]]


def _while_shown(handler: Handler[M]) -> Handler[M]:
    """Run an engine-message handler only while the chat log is attached."""

    @functools.wraps(handler)
    async def handle(app: GeminiLiveApp, message: M) -> None:
        if app.chat.is_attached:
            await handler(app, message)

    return handle


class GeminiLiveApp(App[int]):
    """The terminal app.

    Args:
        engine: the engine to run (built by the CLI; not yet connected).
        registry: slash commands (the built-ins by default).
        history: input history (in memory only by default).
        transcript: where the conversation is recorded for ``/save``.
        transcripts_dir: default directory for ``/save`` without a path.
        base_dir: directory for relative ``@file`` and ``/save`` paths (the cwd).
        secrets: values masked in saved transcripts (the API key or token).
        update_checker: awaited once after start-up; a line to show when a newer release
            exists, else ``None``.  The CLI passes the self-updater's daily check, so the UI
            never imports the updater; ``None`` (the default) checks nothing.
        clock: monotonic clock shared with the engine for the status bar.
        meter_hz: how often the meters pull levels (8 Hz: a VU meter integrates over about
            300 ms, and each redraw costs a compositor pass; see docs/performance.md).
    """

    CSS_PATH = "app.tcss"
    TITLE = "gemini-live"
    ENABLE_COMMAND_PALETTE = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "request_quit", "Quit", show=False, priority=True),
        Binding("ctrl+d", "request_quit", "Quit", show=False, priority=True),
        # Not priority bindings, so a dialog a subsystem opens can still use these keys.
        Binding("pageup", "scroll_log(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_log(1)", "Scroll down", show=False),
        Binding("ctrl+home", "log_top", "Oldest", show=False),
        Binding("ctrl+end", "log_bottom", "Latest", show=False),
        # Esc must neither interrupt the model nor lose the typed text.
        Binding("escape", "nothing", show=False),
        Binding("f1", "help", "Help", show=False),
        Binding("f5", "snap", "Send a screen frame", show=False, priority=True),
        Binding("f4", "talk", "Push-to-talk", show=False, priority=True),
    ]

    def __init__(
        self,
        engine: Engine,
        *,
        registry: CommandRegistry | None = None,
        history: InputHistory | None = None,
        transcript: Transcript | None = None,
        transcripts_dir: Path | None = None,
        base_dir: Path | None = None,
        secrets: Iterable[str] = (),
        update_checker: Callable[[], Awaitable[str | None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        meter_hz: float = 8.0,
    ) -> None:
        super().__init__()
        self._engine = engine
        self._command_table = registry or build_registry()
        self.history = history or InputHistory(None)
        self.transcript = transcript or Transcript()
        self._transcripts_dir = transcripts_dir
        self._base_dir = base_dir
        self._secrets = tuple(s for s in secrets if s)
        self._update_checker = update_checker
        self._clock = clock
        self._meter_interval = 1.0 / meter_hz
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._quit_armed = False
        self._quitting = False
        self._unsubscribe: Callable[[], None] | None = None
        # The text message waiting in the queue and the pieces that joined it since.
        self._text_run: tuple[msg.ModelTextChunk, list[str]] | None = None
        # Widgets the timers touch are kept here: a timer may fire during teardown.
        self._status = StatusBar(id="status")
        self._meters = Meters(id="meters")
        self._chat = ChatLog(id="log", secrets=self._secrets)

    # ---------------------------------------------------------------- CommandHost API

    @property
    def engine(self) -> Engine:
        """The engine this app drives."""
        return self._engine

    @property
    def registry(self) -> CommandRegistry:
        """The slash commands."""
        return self._command_table

    def note(self, text: str, level: Level = "info") -> None:
        """Show a system line (and record it in the transcript)."""
        self.transcript.add("system", text)
        if self.chat.is_attached:
            self.run_worker(self.chat.add_system(text, level), group="log")

    def clear_log(self) -> None:
        """Empty the chat log; the transcript is kept for ``/save``."""
        self.run_worker(self.chat.clear(), group="log")

    async def quit_app(self) -> None:
        """Stop the engine (closing the session cleanly) and exit."""
        if self._quitting:
            return
        self._quitting = True
        await self._engine.stop()
        self.exit(0)

    async def save_transcript(self, path: Path | None) -> Path | None:
        """Write the transcript in a thread; Markdown unless the path ends in ``.json``."""
        if path is None:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            directory = self._transcripts_dir or Path.cwd()
            path = directory / f"gemini-live-{stamp}.md"
        base = self._base_dir

        def write() -> Path:
            target = path.expanduser()
            if base is not None and not target.is_absolute():
                target = base / target
            return self.transcript.save(target, secrets=self._secrets)

        try:
            written = await asyncio.to_thread(write)
        except OSError as exc:
            self.note(f"could not save the transcript to {path}: {exc.strerror or exc}", "error")
            return None
        count = len(self.transcript.entries)
        self.note(f"saved the transcript ({count} entries) to {written}")
        return written

    # ------------------------------------------------------------------------ layout

    @property
    def chat(self) -> ChatLog:
        """The chat log widget."""
        return self._chat

    @property
    def prompt(self) -> Prompt:
        """The input line widget."""
        return self.query_one("#prompt", Prompt)

    @property
    def status_bar(self) -> StatusBar:
        """The status bar widget."""
        return self._status

    def compose(self) -> ComposeResult:
        yield self._chat
        yield Static("", id="unseen", markup=False)
        yield self._meters
        yield Static("", id="hint", markup=False)
        yield Prompt(
            history=self.history,
            completer=self._complete,
            placeholder="Type a message, @file to send a file, /help for commands",
            id="prompt",
        )
        yield self._status

    def on_mount(self) -> None:
        self._unsubscribe = self._engine.subscribe(self._on_app_event)
        self.note(f"gemini-live {__version__} · F1 or /help: commands and keys · Ctrl+C quits")
        # Connect only once the first frame is on screen: start-up feels instant and the
        # session stack's imports do not compete with the first render.
        self.call_after_refresh(self._start_workers)
        self.set_interval(1.0, self._refresh_status)
        self.set_interval(self._meter_interval, self._refresh_meters)
        self._refresh_status()
        self.prompt.focus()

    def _start_workers(self) -> None:
        self.run_worker(self._run_engine(), name="engine", exit_on_error=False)
        self.run_worker(self._drain_outbox(), name="outbox", exit_on_error=False)
        if self._update_checker is not None:
            self.run_worker(self._check_for_update(), name="update-check", exit_on_error=False)

    async def _check_for_update(self) -> None:
        assert self._update_checker is not None
        # The checker decides whether a check is due and stays quiet on failures; the app
        # only shows what it returns.
        message = await self._update_checker()
        if message:
            self.note(message)

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        await self._engine.stop()

    async def _run_engine(self) -> None:
        try:
            await self._engine.run()
        except Exception as exc:  # keep the UI up to show what broke
            logger.exception("engine stopped")
            self.note(f"engine error: {type(exc).__name__}: {exc}", "error")

    def _on_app_event(self, event: AppEvent) -> None:
        # Only what the UI shows crosses into its queue: model audio (dozens of chunks a
        # second) and the other events in ``messages.IGNORED`` stop here.
        message = msg.to_message(event)
        if message is None:
            return
        if isinstance(message, msg.ModelTextChunk):
            # A flood of tiny text frames must not become one message (and one chat-log
            # update) each: pieces join the text message still waiting in the queue, so
            # Ctrl+C is never stuck behind thousands of them.
            if self._text_run is not None:
                self._text_run[1].append(message.text)
                return
            self._text_run = (message, [message.text])
        else:
            self._text_run = None  # order: later text goes after this message
        self.post_message(message)

    # ------------------------------------------------------------------ input & sends

    def _complete(self, text: str, cursor: int) -> Completion | None:
        return complete(self._command_table, text, cursor, base_dir=self._base_dir)

    @on(Prompt.CompletionsShown)
    def _show_completions(self, message: Prompt.CompletionsShown) -> None:
        hint = self.query_one("#hint", Static)
        hint.update(render_completions(self._command_table, message.candidates, message.index))
        hint.add_class("shown")

    @on(Prompt.CompletionsClosed)
    def _hide_completions(self) -> None:
        self.query_one("#hint", Static).remove_class("shown")

    @on(Prompt.LargePaste)
    def _confirm_paste(self, message: Prompt.LargePaste) -> None:
        text = message.text
        lines = text.count("\n") + 1

        def answered(yes: bool | None) -> None:
            if yes:
                self.prompt.insert_paste(text)

        question = f"Paste {len(text):,} characters ({lines:,} lines) into the prompt?"
        self.push_screen(ConfirmScreen(question), callback=answered)

    @on(Prompt.EmptyKey)
    def _empty_prompt_key(self, message: Prompt.EmptyKey) -> None:
        if message.key == "home":
            self.action_log_top()
        elif message.key == "end":
            self.action_log_bottom()
        else:
            self.action_help()

    @on(Prompt.Submitted, "#prompt")
    async def _submitted(self, message: Prompt.Submitted) -> None:
        # Only surrounding blank space goes: newlines and indentation inside are the user's.
        line = message.value.strip("\r\n")
        if not line.strip():
            return
        if "\n" not in line:
            line = line.strip()
        self.query_one("#hint", Static).remove_class("shown")
        self.run_worker(lambda: self.history.append_to_file(line), thread=True, group="history")
        self._finish_transcription("model")
        # Sending means "show me the answer": back to the bottom, following again.
        self.chat.follow()
        await self.chat.add_user(line)
        if not line.startswith("/"):
            self.transcript.add("user", line)
        await self._outbox.put(line)

    async def _drain_outbox(self) -> None:
        # One consumer keeps sends and commands in the order they were typed.
        while True:
            line = await self._outbox.get()
            try:
                if line.startswith("/"):
                    await self._command_table.dispatch(self, line)
                else:
                    await self._engine.send_line(line)
            except Exception as exc:
                logger.exception("handling %r failed", line[:40])
                self.note(f"error: {type(exc).__name__}: {exc}", "error")

    # --------------------------------------------------------------------- actions

    async def action_request_quit(self) -> None:
        """Ctrl+C / Ctrl+D: quit; while a reply runs, the first press only warns."""
        if self._engine.turn_running and not self._quit_armed:
            self._quit_armed = True
            self.note("a reply is running: press Ctrl+C again to quit", "warning")
            return
        await self.quit_app()

    def action_scroll_log(self, direction: int) -> None:
        """PageUp/PageDown scroll the chat log while the prompt keeps focus."""
        # Not animated: where the page ends decides whether the log follows again.
        if direction < 0:
            self.chat.scroll_page_up(animate=False)
        else:
            self.chat.scroll_page_down(animate=False)

    def action_log_top(self) -> None:
        """Ctrl+Home (Home on an empty prompt): the oldest line."""
        self.chat.scroll_home(animate=False)

    def action_log_bottom(self) -> None:
        """Ctrl+End (End on an empty prompt): the newest line, following again."""
        self.chat.follow()

    @on(ChatLog.UnseenChanged)
    def _show_unseen(self, message: ChatLog.UnseenChanged) -> None:
        marker = self.query_one("#unseen", Static)
        if message.unseen:
            marker.update(f"↓ {message.unseen} new · End shows them")
        marker.set_class(message.unseen > 0, "shown")

    @on(events.Click, "#unseen")
    def _jump_to_unseen(self) -> None:
        self.chat.follow()

    def action_help(self) -> None:
        """F1 (or ``?`` on an empty prompt, or ``/help``): the help screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self._command_table))

    def show_help(self) -> None:
        """Open the help screen (``/help``)."""
        self.action_help()

    async def action_snap(self) -> None:
        """F5: send one screen frame now (``/snap``)."""
        await self._command_table.dispatch(self, "/snap")

    async def action_talk(self) -> None:
        """F4: start or stop talking in push-to-talk mode (``/ptt``)."""
        await self._engine.audio.toggle_talk()

    def action_nothing(self) -> None:
        """Esc: deliberately nothing."""

    # -------------------------------------------------------------- engine events

    # Each handler runs only while the chat log is attached: messages still queued while the
    # app tears its screen down are dropped by :func:`_while_shown`.

    @_while_shown
    async def on_engine_status_was_changed(self, message: msg.StatusWasChanged) -> None:
        self._refresh_status()

    @_while_shown
    async def on_engine_notice_arrived(self, message: msg.NoticeArrived) -> None:
        self.transcript.add("system", message.text)
        await self.chat.add_system(message.text, message.level)

    @_while_shown
    async def on_engine_file_was_sent(self, message: msg.FileWasSent) -> None:
        self.transcript.add("file", message.summary)
        await self.chat.add_system(message.summary)

    @_while_shown
    async def on_engine_file_was_skipped(self, message: msg.FileWasSkipped) -> None:
        line = f"[skip] {message.reason}"
        self.transcript.add("system", line)
        await self.chat.add_system(line, "warning")

    @_while_shown
    async def on_engine_model_text_chunk(self, message: msg.ModelTextChunk) -> None:
        if self._text_run is not None and self._text_run[0] is message:
            message.text = "".join(self._text_run[1])
            self._text_run = None  # shown: the next piece starts a new message
        self._finish_transcription("user")
        await self.chat.append_model(message.text)

    @_while_shown
    async def on_engine_output_transcript(self, message: msg.OutputTranscript) -> None:
        self._finish_transcription("user")
        if message.text:
            await self.chat.transcription("model", message.text)
        if message.finished:
            self._finish_transcription("model")

    @_while_shown
    async def on_engine_input_transcript(self, message: msg.InputTranscript) -> None:
        self._finish_transcription("model")  # the user speaks: the reply is over
        if message.text:
            await self.chat.transcription("user", message.text)
        if message.finished:
            self._finish_transcription("user")

    @_while_shown
    async def on_engine_reply_interrupted(self, message: msg.ReplyInterrupted) -> None:
        await self._end_turn()
        await self.chat.add_system("(interrupted)")

    @_while_shown
    async def on_engine_generation_done(self, message: msg.GenerationDone) -> None:
        # The reply's text is complete, but its transcription may still be arriving (it
        # lags the audio): keep that line open until turnComplete or new input.
        text = await self.chat.end_model()
        self.transcript.add("model", text)

    @_while_shown
    async def on_engine_turn_done(self, message: msg.TurnDone) -> None:
        await self._end_turn()

    @_while_shown
    async def on_engine_tool_calls_arrived(self, message: msg.ToolCallsArrived) -> None:
        for call in message.calls:
            self.transcript.add("tool", f"call {call.name} id={call.id} args={call.args}")

    @_while_shown
    async def on_engine_tool_calls_cancelled(self, message: msg.ToolCallsCancelled) -> None:
        self.transcript.add("tool", f"cancelled {', '.join(message.ids)}")

    async def _end_turn(self) -> None:
        text = await self.chat.end_model()
        self.transcript.add("model", text)
        self._finish_transcription("user")
        self._finish_transcription("model")
        if not self._engine.turn_running:
            self._quit_armed = False
        self._refresh_status()

    def _finish_transcription(self, side: Literal["user", "model"]) -> None:
        text = self.chat.finish_transcription(side)
        self.transcript.add("user_voice" if side == "user" else "model_voice", text)

    # ------------------------------------------------------------------- timers

    def _refresh_status(self) -> None:
        self.status_bar.show(self._engine.status(), self._clock())

    def _refresh_meters(self) -> None:
        self._meters.show(self._engine.levels())


def default_base_dir() -> Path:
    """The directory relative paths are read from: the current one."""
    return Path(os.getcwd())
