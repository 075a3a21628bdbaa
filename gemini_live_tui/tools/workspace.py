"""Workspace confinement: every path a tool touches resolves (symlinks too) inside one root."""

from __future__ import annotations

import os
from pathlib import Path

from gemini_live_tui.tools.model import ToolError


class Workspace:
    """The directory tools may read and write; ``resolve`` refuses anything outside it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve(strict=True)
        if not self.root.is_dir():
            raise ValueError(f"workspace is not a directory: {self.root}")

    def resolve(self, path: str | None, *, must_exist: bool = True) -> Path:
        """The real path of ``path`` (relative to the root), or ToolError when it escapes.

        Absolute paths are accepted only when they resolve inside the root; ``..`` and
        symlinks are followed first and judged by where they land.
        """
        text = "." if path is None or path == "" else str(path)
        if "\x00" in text:
            raise ToolError("path contains a NUL byte")
        candidate = Path(text)
        joined = candidate if candidate.is_absolute() else self.root / candidate
        real = joined.resolve(strict=False)
        if not self.contains(real):
            raise ToolError(f"path {text!r} is outside the workspace")
        if must_exist and not real.exists():
            raise ToolError(f"no such file or directory: {text!r}")
        return real

    def contains(self, real: Path) -> bool:
        return real == self.root or self.root in real.parents

    def relative(self, real: Path) -> str:
        rel = real.relative_to(self.root).as_posix()
        return rel or "."
