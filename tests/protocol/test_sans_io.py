"""The protocol layer (codec, conversation) stays sans-I/O: msgspec, pybase64, stdlib, errors.

No asyncio, sockets, threads or clocks (``time``): the conversation is told the time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gemini_live_tui.protocol

ALLOWED = {
    "__future__",
    "collections",  # deque: the conversation's outbox
    "collections.abc",
    "dataclasses",  # the conversation's actions and statistics
    "enum",
    "functools",
    "re",
    "typing",
    "msgspec",
    "pybase64",  # a pure computation (SIMD base64), no I/O
    "gemini_live_tui.errors",
    "gemini_live_tui.model_contracts",  # a leaf of pure data (usage.py reads prices)
    "gemini_live_tui.protocol",
}


def test_protocol_modules_import_only_allowed_modules() -> None:
    package = Path(gemini_live_tui.protocol.__file__).parent
    found: dict[str, set[str]] = {}
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module is not None:
                names = {node.module}
            else:
                continue
            found.setdefault(path.name, set()).update(names)
    assert found, "no modules scanned"
    offending = {name: mods - ALLOWED for name, mods in found.items() if mods - ALLOWED}
    assert not offending


def test_importing_protocol_loads_no_io_library() -> None:
    code = (
        "import sys, gemini_live_tui.protocol\n"
        "print(sorted(m for m in ('asyncio', 'websockets', 'socket', 'textual', 'pydantic')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
