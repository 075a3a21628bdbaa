"""The browser proxy behind ``gemini-live serve`` (optional extra ``server``).

Browsers get a one-time token from ``POST /api/auth`` and open ``/ws?token=...``; each
socket is joined to one Live session, so the API key never leaves the server.  Modules:
``settings`` (environment), ``tokens`` (one-time tokens, memory or Redis),
``browser_protocol`` (validation and framing), ``bridge`` (one session per socket),
``app`` (Starlette routes and the uvicorn runner), ``static/`` (the try-it page).

Importing this package loads nothing from the extra; ``app`` and ``bridge`` need it.
"""

from __future__ import annotations

__all__: list[str] = []
