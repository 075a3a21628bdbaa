"""gemini-live: a terminal voice, screen and text client for the Gemini Live API.

This module only carries the version; it imports nothing heavy so that
``gemini-live --version`` and the update checker start fast.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
