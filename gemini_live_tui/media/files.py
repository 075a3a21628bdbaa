"""Read a user-named file into memory, turning every way it can fail into one MediaError line.

Both image and WAV preparation start here so that "missing", "permission denied",
"is a directory" and "too large" read the same everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from gemini_live_tui.errors import MediaError

__all__ = ["DEFAULT_MAX_INPUT_BYTES", "format_size", "read_file_limited"]

# Inputs larger than this are refused before reading: nothing the Live API takes in one
# message needs a bigger source, and reading gigabytes would freeze the app.
DEFAULT_MAX_INPUT_BYTES = 50 * 1024 * 1024


def format_size(n: int) -> str:
    """Human-readable byte count for one-line summaries and errors (``1.2 MB``)."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def read_file_limited(path: Path, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> bytes:
    """Return the bytes of ``path`` or raise :class:`MediaError` naming the file and the reason."""
    name = str(path)
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise MediaError(f"{name}: no such file") from exc
    except PermissionError as exc:
        raise MediaError(f"{name}: permission denied") from exc
    except OSError as exc:
        raise MediaError(f"{name}: cannot read ({exc.strerror or exc})") from exc
    if path.is_dir():
        raise MediaError(f"{name}: is a directory, not a file")
    if info.st_size > max_bytes:
        size, limit = format_size(info.st_size), format_size(max_bytes)
        raise MediaError(f"{name}: too large ({size}; the limit is {limit})")
    try:
        with open(path, "rb") as handle:
            # Read one byte past the limit so a file that grew after stat() is still caught.
            data = handle.read(max_bytes + 1)
    except PermissionError as exc:
        raise MediaError(f"{name}: permission denied") from exc
    except OSError as exc:
        raise MediaError(
            f"{name}: cannot read ({exc.strerror or os.strerror(exc.errno or 0)})"
        ) from exc
    if len(data) > max_bytes:
        raise MediaError(f"{name}: too large (the limit is {format_size(max_bytes)})")
    if not data:
        raise MediaError(f"{name}: the file is empty")
    return data
