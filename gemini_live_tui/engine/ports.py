"""What the engine's parts may ask of the engine: one typed port, so no part imports the core.

:class:`~gemini_live_tui.engine.voice.VoiceLink` and
:class:`~gemini_live_tui.engine.screen.ScreenLink` take an :class:`EngineUplink`; the
:class:`~gemini_live_tui.engine.core.Engine` satisfies it structurally.  Tests hand the
parts a small fake instead of a whole engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from gemini_live_tui.config import Settings
from gemini_live_tui.engine.events import Levels, Phase

if TYPE_CHECKING:
    from gemini_live_tui.live import Session

__all__ = ["EngineUplink"]

E = TypeVar("E")


class EngineUplink(Protocol):
    """The slice of the engine a part uses: sends, status words, notices and its hooks."""

    settings: Settings

    @property
    def phase(self) -> Phase: ...

    @property
    def session(self) -> Session | None: ...

    def notice(self, text: str, level: Literal["info", "warning", "error"] = "info") -> None: ...

    def set_feature(self, name: str, state: str) -> None: ...

    def add_feature_provider(self, name: str, provider: Callable[[], str]) -> None: ...

    def on(self, event_type: type[E], hook: Callable[[E], None]) -> Callable[[], None]: ...

    def set_level_source(self, source: Callable[[], Levels] | None) -> None: ...

    def add_shutdown_hook(self, hook: Callable[[], Awaitable[None]]) -> None: ...

    async def send_audio(self, pcm: bytes, *, sample_rate: int = 16000) -> None: ...

    async def send_video(self, data: bytes, *, mime_type: str = "image/jpeg") -> None: ...

    async def audio_stream_end(self) -> None: ...

    def mark_input_end(self) -> None: ...

    async def set_manual_activity(self, manual: bool) -> bool: ...
