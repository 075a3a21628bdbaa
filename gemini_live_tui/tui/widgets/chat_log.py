"""The chat log: user lines, streamed Markdown replies, transcriptions and system lines.

The log is a scrolling column of small widgets, bounded to ``max_entries`` (the oldest are
removed), so a long session stays smooth.  Model replies stream into a Markdown widget
through Textual's ``MarkdownStream``, which coalesces fragments when they arrive faster than
they can be drawn.  Transcriptions are one line per side that is updated in place while
partial and frozen when finished.

Following: the log stays pinned to the bottom (Textual's anchor) until the user scrolls
up; a scroll that ends at the bottom, :meth:`ChatLog.follow` (End, sending) or reaching the
bottom by any means pins it again.  While it is not following, lines added below are
counted in :attr:`ChatLog.unseen` and announced with :class:`ChatLog.UnseenChanged`, so the
app can show a "↓ N new" marker.

Every string that enters the log goes through :func:`~gemini_live_tui.text_safety.safe`
first: remote text (model replies, transcriptions, close reasons, file and tool names) must
not reach the terminal with escape sequences in it, nor show a secret the server echoed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from gemini_live_tui.text_safety import safe

if TYPE_CHECKING:
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream

__all__ = ["ChatLog", "SystemLine", "TranscriptionLine", "UserLine"]

Level = Literal["info", "warning", "error"]


class UserLine(Static):
    """A line the user typed."""

    def __init__(self, text: str) -> None:
        super().__init__(Text.assemble(("you ", "bold"), text), markup=False)


class SystemLine(Static):
    """A quiet system line (connected, file summaries, errors)."""

    def __init__(self, text: str, level: Level = "info") -> None:
        super().__init__(Text(text), markup=False, classes=level)


class TranscriptionLine(Static):
    """A transcription (``user`` or ``model`` side), partial until finished."""

    def __init__(self, side: Literal["user", "model"]) -> None:
        super().__init__("", markup=False, classes=f"{side} partial")
        self.side = side
        self.text = ""

    def extend(self, fragment: str) -> None:
        """Append a fragment and redraw in place."""
        self.text += fragment
        label = "you (voice) " if self.side == "user" else "model (voice) "
        self.update(Text.assemble((label, "bold"), self.text.strip()))

    def finish(self) -> None:
        """Mark the line final (it stops looking partial)."""
        self.remove_class("partial")


class ChatLog(VerticalScroll):
    """The scrollback.  Call its methods from the app's message handlers only."""

    DEFAULT_CSS = """
    ChatLog { height: 1fr; }
    """

    def __init__(
        self, *, max_entries: int = 500, secrets: Iterable[str] = (), id: str | None = None
    ) -> None:
        super().__init__(id=id, can_focus=False)
        self.max_entries = max_entries
        self._secrets = tuple(s for s in secrets if s)
        self._reply: Markdown | None = None
        self._stream: MarkdownStream | None = None
        self._reply_text = ""
        self._transcriptions: dict[str, TranscriptionLine] = {}
        self._following = False
        self._unseen = 0

    class UnseenChanged(Message):
        """The count of lines added below the visible part changed (0: following again)."""

        def __init__(self, unseen: int) -> None:
            super().__init__()
            self.unseen = unseen
            """Lines added since the user scrolled away from the bottom."""

    @property
    def following(self) -> bool:
        """Whether new output scrolls into view (the user has not scrolled up)."""
        return self._following

    @property
    def unseen(self) -> int:
        """Lines added below while not following."""
        return self._unseen

    def on_mount(self) -> None:
        # Stay pinned to the bottom as lines arrive, until the user scrolls up.
        self.follow()

    def follow(self) -> None:
        """Jump to the bottom and keep following new output."""
        self.anchor()
        self._set_following(True)

    def release_anchor(self) -> None:
        # Every user scroll (keys, wheel, scrollbar) releases the anchor first.  Textual
        # re-anchors only when scroll_y changes to the maximum, which a scroll down while
        # already at the bottom never does: check where the scroll ended instead.
        super().release_anchor()
        self._set_following(False)
        self.call_after_refresh(self._follow_if_at_bottom)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._following and new_value >= self.max_scroll_y:
            self.call_after_refresh(self._follow_if_at_bottom)

    def _follow_if_at_bottom(self) -> None:
        if self._following:
            return
        target = self.scroll_target_y
        if self.scroll_y >= self.max_scroll_y and target >= self.max_scroll_y:
            self.follow()

    def _set_following(self, following: bool) -> None:
        if following == self._following:
            return
        self._following = following
        if following and self._unseen:
            self._unseen = 0
            self.post_message(self.UnseenChanged(0))

    async def _add(self, widget: Widget) -> None:
        await self.mount(widget)
        if not self._following:
            self._unseen += 1
            self.post_message(self.UnseenChanged(self._unseen))
        excess = len(self.children) - self.max_entries
        if excess > 0:
            old = [w for w in self.children[:excess] if w is not self._reply]
            for widget_ in old:
                for side, line in list(self._transcriptions.items()):
                    if line is widget_:
                        del self._transcriptions[side]
            await self.remove_children(old)

    async def add_user(self, text: str) -> None:
        """Echo a line the user sent."""
        await self._add(UserLine(safe(text, self._secrets)))

    async def add_system(self, text: str, level: Level = "info") -> None:
        """Add a system line."""
        await self._add(SystemLine(safe(text, self._secrets), level))

    async def append_model(self, fragment: str) -> None:
        """Stream a fragment of the model's reply (a new reply starts when none is open)."""
        # Cleaned per fragment: a sequence split across two fragments loses its ESC in the
        # first, and what follows is plain text.  A secret split across fragments is not
        # masked here; the transcript masks the whole reply.
        fragment = safe(fragment, self._secrets)
        if self._reply is None:
            # Imported on the first reply: Markdown (markdown-it, pygments) is the slowest
            # widget to load, and start-up should not wait for it.
            from textual.widgets import Markdown

            self._reply = Markdown(classes="model-reply")
            self._reply_text = ""
            await self._add(self._reply)
            self._stream = Markdown.get_stream(self._reply)
        self._reply_text += fragment
        assert self._stream is not None
        await self._stream.write(fragment)

    async def end_model(self) -> str:
        """Close the open reply; returns its full text ("" when none was open)."""
        text = self._reply_text
        if self._stream is not None:
            await self._stream.stop()
        self._reply, self._stream, self._reply_text = None, None, ""
        return text

    async def transcription(self, side: Literal["user", "model"], fragment: str) -> None:
        """Grow the partial transcription of ``side`` in place."""
        fragment = safe(fragment, self._secrets)
        line = self._transcriptions.get(side)
        if line is None:
            line = TranscriptionLine(side)
            self._transcriptions[side] = line
            await self._add(line)
        line.extend(fragment)

    def finish_transcription(self, side: Literal["user", "model"]) -> str:
        """Freeze the transcription of ``side``; returns its text ("" when none)."""
        line = self._transcriptions.pop(side, None)
        if line is None:
            return ""
        line.finish()
        return line.text.strip()

    async def clear(self) -> None:
        """Remove every line."""
        await self.end_model()
        self._transcriptions.clear()
        await self.remove_children()
