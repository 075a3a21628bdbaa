"""Allow ``python -m gemini_live_tui``."""

from __future__ import annotations

from gemini_live_tui.cli import main

if __name__ == "__main__":
    main()
