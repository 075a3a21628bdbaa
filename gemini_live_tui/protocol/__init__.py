"""Sans-I/O Live API protocol: wire structs, the codec and the typed events.

Nothing in this package opens sockets, starts threads or awaits; it turns client structs into
frames and server frames into :mod:`~gemini_live_tui.protocol.events`.
"""

from __future__ import annotations

from gemini_live_tui.protocol import codec, events, types

__all__ = ["codec", "events", "types"]
