"""The Textual user interface: the only package that imports textual.

``app.GeminiLiveApp`` is built by ``gemini_live_tui.cli`` around an
:class:`~gemini_live_tui.engine.Engine`; widgets live in ``widgets/``, slash commands in
``commands``, input history in ``history`` and transcript export in ``transcript``.
"""

from __future__ import annotations

__all__: list[str] = []
