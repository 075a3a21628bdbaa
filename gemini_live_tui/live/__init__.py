"""The asyncio layer: endpoints and credentials, the socket, and the resilient Session.

Everything here runs on one asyncio event loop; nothing imports the UI, audio or capture.
"""

from __future__ import annotations

from gemini_live_tui.live.reconnect import ReconnectPolicy, is_retryable
from gemini_live_tui.live.session import Session, SessionConfig, SessionStatistics
from gemini_live_tui.live.transport import Auth, Endpoint, Secret, TransportConfig

__all__ = [
    "Auth",
    "Endpoint",
    "ReconnectPolicy",
    "Secret",
    "Session",
    "SessionConfig",
    "SessionStatistics",
    "TransportConfig",
    "is_retryable",
]
