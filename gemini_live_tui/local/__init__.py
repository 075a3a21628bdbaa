"""The embedded local Live server: a faithful offline stand-in for Gemini Live.

Usage::

    from gemini_live_tui.local import LocalLiveServer, Fault, Trigger

    async with LocalLiveServer(port=0, api_key="k") as server:
        connect_to(server.url)          # ws://127.0.0.1:PORT/ws/google.ai....BidiGenerateContent
        await server.wait_for(lambda: server.connections == 1)
        await server.inject(Fault.drop())

It imports nothing from ``gemini_live_tui.protocol``, ``live``, ``engine`` or ``tui``: it
parses client JSON itself so that a bug in our codec cannot hide behind the same bug here.
Behaviour, reply texts and close codes are documented in docs/protocol.md
("Local Live server").
"""

from __future__ import annotations

from .conversation import SessionState
from .faults import Fault, FaultKind, Trigger
from .images import ReceivedImage
from .rules import DEFAULT_MODELS, ModelCatalog
from .server import ConnectionRecord, LocalLiveServer, Route

__all__ = [
    "DEFAULT_MODELS",
    "ConnectionRecord",
    "Fault",
    "FaultKind",
    "LocalLiveServer",
    "ModelCatalog",
    "ReceivedImage",
    "Route",
    "SessionState",
    "Trigger",
]
