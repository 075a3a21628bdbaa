"""Write the user's private files (history, log, transcripts) readable by the user alone.

The input history, the log and saved transcripts hold what the user typed or pasted (a key,
a password) and what the model said.  Under the usual umask (022) a plain ``open()`` leaves
them readable by every account on the machine, so every writer here goes through this
module: new files are created 0600 and the directories it creates 0700, and an existing
file is tightened to 0600 when it is opened, so a file an older version wrote loosely is
fixed by the next write.  Directories that already exist are left alone: a transcript saved
into the current directory must not change that directory's mode.

On Windows (no POSIX modes) the files are written normally.  Standard library only, so the
CLI's startup path may import it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "ensure_private_file",
    "make_private_dir",
    "open_private",
    "write_private_text",
]

FILE_MODE = 0o600
DIR_MODE = 0o700

_POSIX = os.name == "posix"


def make_private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents 0700; existing directories keep their mode.

    Raises:
        OSError: a directory cannot be created.
    """
    missing: list[Path] = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made by another thread or process meanwhile: not ours to change
        if _POSIX:
            # mkdir's mode is filtered by the umask; an odd umask (0277) must not leave a
            # directory we cannot write, nor a loose one (0002 gives 0700 anyway).
            os.chmod(directory, DIR_MODE)


def open_private(path: Path, *, append: bool) -> TextIO:
    """``path`` opened for writing UTF-8 text (appending or truncating), mode 0600.

    Its parent directory is created 0700 when missing.

    Raises:
        OSError: the file cannot be opened.
    """
    make_private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        _tighten(fd)
        return open(fd, "a" if append else "w", encoding="utf-8", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def write_private_text(path: Path, text: str) -> None:
    """Replace the contents of ``path`` with ``text`` (mode 0600, parents 0700).

    Raises:
        OSError: the file cannot be written.
    """
    with open_private(path, append=False) as handle:
        handle.write(text)


def ensure_private_file(path: Path) -> None:
    """Create ``path`` empty if missing, and make it 0600 (for files a library opens itself,
    like :class:`logging.FileHandler`, which then appends to it and keeps the mode).

    Raises:
        OSError: the file cannot be created.
    """
    with open_private(path, append=True):
        pass


def _tighten(fd: int) -> None:
    # The creation mode applies to new files only: tighten a file that already existed.
    if _POSIX and os.fstat(fd).st_mode & 0o777 != FILE_MODE:
        os.fchmod(fd, FILE_MODE)
