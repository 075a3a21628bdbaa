"""The local tools: list, read, search and write workspace files, run a command, set a timer.

Every path goes through :class:`Workspace`; nothing here ever starts a shell.
"""

from __future__ import annotations

import asyncio
import difflib
import itertools
import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemini_live_tui.protocol.types import FunctionResponseScheduling
from gemini_live_tui.tools.model import Tool, ToolError
from gemini_live_tui.tools.workspace import Workspace

LIST_DEFAULT, LIST_MAX = 100, 200
READ_DEFAULT_LINES, READ_MAX_LINES = 200, 400
READ_MAX_BYTES = 48 * 1024
SEARCH_MAX_MATCHES = 50
SEARCH_MAX_FILE_BYTES = 1024 * 1024
SEARCH_MAX_FILES = 5000
WRITE_MAX_BYTES = 1024 * 1024
COMMAND_DEFAULT_TIMEOUT, COMMAND_MAX_TIMEOUT = 10.0, 30.0
COMMAND_MAX_ARGV = 32
COMMAND_OUTPUT_CAP = 16 * 1024
TIMER_MAX_SECONDS = 366 * 24 * 3600
_REL_DIR = "Folder, relative to the workspace."
_REL_FILE = "File, relative to the workspace."
_LIST_LIMIT = f"Max entries, up to {LIST_MAX}."
_SKIP_DIRS = {".git", "__pycache__", "node_modules", ".venv", ".mypy_cache", ".ruff_cache"}


def _int(args: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = args.get(key, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ToolError(f"{key} must be a number")
    return max(low, min(high, int(value)))


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample's end is still text.
        return exc.start < len(sample) - 3
    return False


class FileTools:
    """``list_files``, ``read_file``, ``search_files`` and ``write_file`` on one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace

    def tools(self) -> list[Tool]:
        return [
            Tool(
                "list_files",
                "List files and folders in the workspace (a path inside it, optionally recursive).",
                {
                    "type": "object",
                    "properties": {
                        "path": {"type": "string", "description": _REL_DIR},
                        "recursive": {"type": "boolean", "description": "Include subfolders."},
                        "limit": {"type": "integer", "description": _LIST_LIMIT},
                    },
                },
                self.list_files,
                read_only=True,
                policy="auto",
            ),
            Tool(
                "read_file",
                "Read a UTF-8 text file from the workspace, a window of lines at a time.",
                {
                    "type": "object",
                    "properties": {
                        "path": {"type": "string", "description": _REL_FILE},
                        "start_line": {"type": "integer", "description": "First line, from 1."},
                        "max_lines": {
                            "type": "integer",
                            "description": f"Lines to read, up to {READ_MAX_LINES}.",
                        },
                    },
                    "required": ["path"],
                },
                self.read_file,
                read_only=True,
                policy="auto",
            ),
            Tool(
                "search_files",
                "Search workspace text files for a regular expression; returns matching lines.",
                {
                    "type": "object",
                    "properties": {
                        "pattern": {"type": "string", "description": "Regular expression."},
                        "path": {"type": "string", "description": "Folder to search in."},
                        "limit": {
                            "type": "integer",
                            "description": f"Max matches, up to {SEARCH_MAX_MATCHES}.",
                        },
                    },
                    "required": ["pattern"],
                },
                self.search_files,
                read_only=True,
                policy="auto",
            ),
            Tool(
                "write_file",
                "Create or replace a text file in the workspace (the user approves first).",
                {
                    "type": "object",
                    "properties": {
                        "path": {"type": "string", "description": _REL_FILE},
                        "content": {"type": "string", "description": "The whole new content."},
                    },
                    "required": ["path", "content"],
                },
                self.write_file,
                policy="ask",
                preview=self.write_preview,
            ),
        ]

    async def list_files(self, args: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(self._list, args)

    def _list(self, args: dict[str, Any]) -> dict[str, Any]:
        root = self.ws.resolve(args.get("path"))
        if not root.is_dir():
            raise ToolError(f"not a folder: {args.get('path')!r}")
        limit = _int(args, "limit", LIST_DEFAULT, 1, LIST_MAX)
        entries: list[dict[str, Any]] = []
        truncated = False
        for path in self._walk(root, bool(args.get("recursive"))):
            if len(entries) >= limit:
                truncated = True
                break
            entries.append(self._entry(path))
        return {"path": self.ws.relative(root), "entries": entries, "truncated": truncated}

    def _walk(self, root: Path, recursive: bool) -> Any:
        if not recursive:
            yield from sorted(root.iterdir(), key=lambda p: p.name)
            return
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            base = Path(dirpath)
            for name in sorted(dirnames) + sorted(filenames):
                yield base / name

    def _entry(self, path: Path) -> dict[str, Any]:
        rel = path.relative_to(self.ws.root).as_posix()
        if path.is_symlink():
            inside = self.ws.contains(path.resolve())
            return {"path": rel, "type": "link" if inside else "link (outside workspace)"}
        if path.is_dir():
            return {"path": rel, "type": "dir"}
        try:
            size = path.stat().st_size
        except OSError:
            size = None
        return {"path": rel, "type": "file", "size": size}

    async def read_file(self, args: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(self._read, args)

    def _read(self, args: dict[str, Any]) -> dict[str, Any]:
        path = self.ws.resolve(args.get("path"))
        if not path.is_file():
            raise ToolError(f"not a file: {args.get('path')!r}")
        start = _int(args, "start_line", 1, 1, 1 << 31)
        count = _int(args, "max_lines", READ_DEFAULT_LINES, 1, READ_MAX_LINES)
        with path.open("rb") as handle:
            if _looks_binary(handle.read(8192)):
                raise ToolError(f"{args.get('path')!r} is a binary file, not text")
            handle.seek(0)
            lines: list[str] = []
            size = 0
            truncated = False
            last = start - 1
            for number, raw in enumerate(handle, 1):
                if number < start:
                    continue
                if len(lines) >= count or size + len(raw) > READ_MAX_BYTES:
                    truncated = True
                    break
                lines.append(raw.decode("utf-8", errors="replace"))
                size += len(raw)
                last = number
        return {
            "path": self.ws.relative(path),
            "start_line": start,
            "end_line": last,
            "content": "".join(lines),
            "more": truncated,
        }

    async def search_files(self, args: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(self._search, args)

    def _search(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            regex = re.compile(str(args.get("pattern", "")))
        except re.error as exc:
            raise ToolError(f"bad pattern: {exc}") from exc
        root = self.ws.resolve(args.get("path"))
        limit = _int(args, "limit", SEARCH_MAX_MATCHES, 1, SEARCH_MAX_MATCHES)
        matches: list[dict[str, Any]] = []
        scanned = 0
        files = [root] if root.is_file() else self._walk(root, True)
        for path in files:
            if path.is_symlink() or not path.is_file():
                continue
            scanned += 1
            if scanned > SEARCH_MAX_FILES:
                break
            try:
                if path.stat().st_size > SEARCH_MAX_FILE_BYTES:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if _looks_binary(data[:8192]):
                continue
            for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
                if regex.search(line):
                    matches.append(
                        {"path": self.ws.relative(path), "line": number, "text": line[:300]}
                    )
                    if len(matches) >= limit:
                        return {"matches": matches, "truncated": True}
        return {"matches": matches, "truncated": scanned > SEARCH_MAX_FILES}

    def write_preview(self, args: dict[str, Any]) -> dict[str, Any]:
        """A unified diff of the write, for the approval prompt."""
        name = str(args.get("path", ""))
        try:
            path = self.ws.resolve(name, must_exist=False)
        except ToolError as exc:
            return {"diff": f"(refused: {exc})"}
        old = ""
        if path.is_file():
            try:
                old = path.read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                old = "(unreadable)\n"
        diff = difflib.unified_diff(
            old.splitlines(keepends=True),
            str(args.get("content", "")).splitlines(keepends=True),
            fromfile=f"a/{name}" if old else "/dev/null",
            tofile=f"b/{name}",
        )
        return {"diff": "".join(itertools.islice(diff, 2000))}

    async def write_file(self, args: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(self._write, args)

    def _write(self, args: dict[str, Any]) -> dict[str, Any]:
        path = self.ws.resolve(args.get("path"), must_exist=False)
        content = str(args.get("content", ""))
        data = content.encode()
        if len(data) > WRITE_MAX_BYTES:
            raise ToolError(f"content is over {WRITE_MAX_BYTES} bytes")
        if path.is_dir():
            raise ToolError(f"{args.get('path')!r} is a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Resolve again: a parent made above might be a link planted meanwhile.
        self.ws.resolve(str(path.parent))
        existed = path.exists()
        path.write_bytes(data)
        return {"path": self.ws.relative(path), "bytes": len(data), "created": not existed}


class CommandTool:
    """``run_command``: argv only (never a shell), cwd in the workspace, time and output capped."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace

    def tool(self) -> Tool:
        return Tool(
            "run_command",
            "Run a program in the workspace with an argv list (no shell); the user approves first.",
            {
                "type": "object",
                "properties": {
                    "argv": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": 'Program and arguments, e.g. ["ls", "-l"].',
                    },
                    "cwd": {"type": "string", "description": "Folder inside the workspace."},
                    "timeout_seconds": {
                        "type": "number",
                        "description": f"Up to {COMMAND_MAX_TIMEOUT:g} s.",
                    },
                },
                "required": ["argv"],
            },
            self.run,
            policy="ask",
            preview=lambda args: {"argv": list(args.get("argv") or [])},
        )

    async def run(self, args: dict[str, Any]) -> dict[str, Any]:
        argv = args.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise ToolError("argv must be a non-empty list of strings")
        if len(argv) > COMMAND_MAX_ARGV:
            raise ToolError(f"at most {COMMAND_MAX_ARGV} argv items")
        cwd = self.ws.resolve(args.get("cwd"))
        if not cwd.is_dir():
            raise ToolError("cwd is not a folder")
        timeout = float(args.get("timeout_seconds") or COMMAND_DEFAULT_TIMEOUT)
        timeout = max(0.1, min(COMMAND_MAX_TIMEOUT, timeout))
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own process group, so a timeout kills children too
            )
        except (OSError, ValueError) as exc:
            raise ToolError(f"cannot run {argv[0]!r}: {exc}") from exc
        assert proc.stdout is not None and proc.stderr is not None
        reads = asyncio.gather(_read_capped(proc.stdout), _read_capped(proc.stderr))
        timed_out = False
        try:
            (out, out_cut), (err, err_cut) = await asyncio.wait_for(asyncio.shield(reads), timeout)
            await proc.wait()
        except TimeoutError:
            timed_out = True
            _kill_group(proc)
            (out, out_cut), (err, err_cut) = await reads
            await proc.wait()
        except asyncio.CancelledError:
            _kill_group(proc)
            raise
        result: dict[str, Any] = {
            "argv": argv,
            "exit_code": proc.returncode,
            "stdout": out.decode("utf-8", errors="replace"),
            "stderr": err.decode("utf-8", errors="replace"),
        }
        if out_cut or err_cut:
            result["output_truncated"] = True
        if timed_out:
            result["timed_out"] = True
            result["error"] = f"killed after {timeout:g} s"
        return result


async def _read_capped(stream: asyncio.StreamReader) -> tuple[bytes, bool]:
    """Up to the cap kept; the rest read and dropped so the child never blocks on a full pipe."""
    kept = bytearray()
    cut = False
    while chunk := await stream.read(65536):
        room = COMMAND_OUTPUT_CAP - len(kept)
        if room > 0:
            kept += chunk[:room]
        if len(chunk) > room:
            cut = True
    return bytes(kept), cut


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


@dataclass(frozen=True)
class TimerFired:
    timer_id: str
    label: str
    seconds: float


class Timers:
    """``set_timer``: answers at once; when the time is up calls ``on_fire`` (the engine's port,
    which turns it into a notification turn sent when the conversation is idle)."""

    def __init__(self, on_fire: Callable[[TimerFired], None]) -> None:
        self.on_fire = on_fire
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._ids = itertools.count(1)

    def tool(self) -> Tool:
        return Tool(
            "set_timer",
            "Set a timer; you are told when it fires.",
            {
                "type": "object",
                "properties": {
                    "seconds": {"type": "number", "description": "Delay in seconds."},
                    "label": {"type": "string", "description": "What the timer is for."},
                },
                "required": ["seconds"],
            },
            self.set_timer,
            read_only=True,
            policy="auto",
            non_blocking=True,
            scheduling=FunctionResponseScheduling.SILENT,
        )

    async def set_timer(self, args: dict[str, Any]) -> dict[str, Any]:
        seconds = args.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
            raise ToolError("seconds must be a positive number")
        if seconds > TIMER_MAX_SECONDS:
            raise ToolError("at most 366 days")
        label = str(args.get("label") or "timer")
        timer_id = f"timer-{next(self._ids)}"
        fired = TimerFired(timer_id, label, float(seconds))
        self._tasks[timer_id] = asyncio.get_running_loop().create_task(self._wait(fired))
        return {"timer_id": timer_id, "label": label, "fires_in_seconds": float(seconds)}

    async def _wait(self, fired: TimerFired) -> None:
        try:
            await asyncio.sleep(fired.seconds)
        finally:
            self._tasks.pop(fired.timer_id, None)
        self.on_fire(fired)

    def pending(self) -> list[str]:
        return list(self._tasks)

    def cancel_all(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        self._tasks.clear()
