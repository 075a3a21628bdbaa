"""The app's widgets: chat log, prompt, level meters and status bar."""

from __future__ import annotations

__all__: list[str] = []
