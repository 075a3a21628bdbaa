"""The app's core, no UI: the engine that owns the live session, and its parts.

``core`` (the :class:`Engine`), ``events`` (phase, status, app events), ``setup`` (the setup
builder), ``voice`` (mic and speaker), ``screen`` (screen sharing) and ``attachments``
(``@file`` sends).  Names are re-exported lazily so that importing one part (the setup
builder, say) does not load the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real names for type checkers; at run time __getattr__ loads them
    from gemini_live_tui.engine.core import Engine as Engine
    from gemini_live_tui.engine.events import AppEvent as AppEvent
    from gemini_live_tui.engine.events import EngineStatistics as EngineStatistics
    from gemini_live_tui.engine.events import EngineStatus as EngineStatus
    from gemini_live_tui.engine.events import FileSent as FileSent
    from gemini_live_tui.engine.events import FileSkipped as FileSkipped
    from gemini_live_tui.engine.events import Levels as Levels
    from gemini_live_tui.engine.events import Notice as Notice
    from gemini_live_tui.engine.events import Phase as Phase
    from gemini_live_tui.engine.events import StatusChanged as StatusChanged
    from gemini_live_tui.engine.events import UserSent as UserSent
    from gemini_live_tui.engine.setup import build_session_config as build_session_config
    from gemini_live_tui.engine.setup import build_setup as build_setup

_EXPORTS = {
    "Engine": "core",
    "AppEvent": "events",
    "EngineStatistics": "events",
    "EngineStatus": "events",
    "FileSent": "events",
    "FileSkipped": "events",
    "Levels": "events",
    "Notice": "events",
    "Phase": "events",
    "StatusChanged": "events",
    "UserSent": "events",
    "build_session_config": "setup",
    "build_setup": "setup",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
