"""What the engine's parts may ask of the engine: one typed port, so no part imports the core.

:class:`~gemini_live_tui.engine.voice.VoiceLink` and
:class:`~gemini_live_tui.engine.screen.ScreenLink` take an :class:`EngineUplink`; the
:class:`~gemini_live_tui.engine.core.Engine` satisfies it structurally.  The port is one way:
a part sends media, raises notices and says its status words changed; the engine calls the
part's own methods for what flows the other way (model audio, barge-in, status words,
levels, shutdown).  There is no hook registry.  Tests hand the parts a small fake instead of
a whole engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

from gemini_live_tui.config import Settings
from gemini_live_tui.engine.events import Phase

if TYPE_CHECKING:
    from gemini_live_tui.live import Session

__all__ = ["EngineUplink"]


class EngineUplink(Protocol):
    """The slice of the engine a part uses: sends, notices and "my status word changed"."""

    settings: Settings

    @property
    def phase(self) -> Phase: ...

    @property
    def session(self) -> Session | None: ...

    def notice(self, text: str, level: Literal["info", "warning", "error"] = "info") -> None: ...

    def status_changed(self) -> None: ...

    async def send_audio(self, pcm: bytes, *, sample_rate: int = 16000) -> None: ...

    async def send_video(self, data: bytes, *, mime_type: str = "image/jpeg") -> None: ...

    async def audio_stream_end(self) -> None: ...

    def mark_input_end(self) -> None: ...

    async def set_manual_activity(self, manual: bool) -> bool: ...
