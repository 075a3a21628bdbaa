"""The local server must not share code with what it tests (docs/design.md)."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = (
    "gemini_live_tui.protocol",
    "gemini_live_tui.live",
    "gemini_live_tui.tui",
    "gemini_live_tui.engine",
    "textual",
)


def test_importing_the_local_server_loads_no_codec_session_or_ui() -> None:
    code = (
        "import sys, gemini_live_tui.local, gemini_live_tui.local.server;"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    leaks = [name for name in loaded if name.startswith(FORBIDDEN)]
    assert leaks == []
