"""Slash commands: a table of :class:`Command` entries, their handlers, and Tab completion.

Adding a command is one entry: a name, a usage line, a one-line summary, an async handler
``(host, args) -> None`` and optionally an argument completer.  Subsystems (``/mic``,
``/speak``, ``/share-screen``) add theirs to :data:`BUILTIN_COMMANDS` or pass them to
:func:`build_registry`.  Handlers talk to the app only through the :class:`CommandHost`
protocol, so they can be tested without a terminal.

Completion (:func:`complete`) covers command names, their arguments and ``@`` file paths.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from gemini_live_tui.engine.attachments import quote_path

if TYPE_CHECKING:
    from gemini_live_tui.engine import Engine

__all__ = [
    "BUILTIN_COMMANDS",
    "KNOWN_VOICES",
    "Command",
    "CommandHost",
    "CommandRegistry",
    "Completion",
    "build_registry",
    "complete",
    "complete_path",
]

# The prebuilt HD voices of the native-audio Live models (fact sheet §5.1).
KNOWN_VOICES: tuple[str, ...] = (
    "Achernar", "Achird", "Algenib", "Algieba", "Alnilam", "Aoede", "Autonoe", "Callirrhoe",
    "Charon", "Despina", "Enceladus", "Erinome", "Fenrir", "Gacrux", "Iapetus", "Kore",
    "Laomedeia", "Leda", "Orus", "Puck", "Pulcherrima", "Rasalgethi", "Sadachbia",
    "Sadaltager", "Schedar", "Sulafat", "Umbriel", "Vindemiatrix", "Zephyr", "Zubenelgenubi",
)  # fmt: skip


class CommandHost(Protocol):
    """What a command handler may ask of the app."""

    @property
    def engine(self) -> Engine: ...

    @property
    def registry(self) -> CommandRegistry: ...

    def note(self, text: str, level: Literal["info", "warning", "error"] = "info") -> None:
        """Show a system line."""

    def clear_log(self) -> None:
        """Empty the chat log (the transcript is kept)."""

    async def quit_app(self) -> None:
        """Stop the engine and leave."""

    async def save_transcript(self, path: Path | None) -> Path | None:
        """Save the transcript (default path when ``None``); the path written, or None."""


Handler = Callable[[CommandHost, str], Awaitable[None]]
ArgCompleter = Callable[[Sequence[str], str], Iterable[str]]


@dataclass(frozen=True, slots=True)
class Command:
    """One slash command.

    Args:
        name: without the slash (``"save"``).
        usage: the argument synopsis (``"[path]"``), shown by ``/help``.
        summary: one line for ``/help``.
        handler: ``async (host, args) -> None``; ``args`` is the raw text after the name.
        complete_args: ``(words_before, prefix) -> candidates`` for the word being typed.
    """

    name: str
    usage: str
    summary: str
    handler: Handler
    complete_args: ArgCompleter | None = None


class CommandRegistry:
    """The table of commands, looked up by name."""

    def __init__(self, commands: Iterable[Command] = ()) -> None:
        self._commands: dict[str, Command] = {}
        for command in commands:
            self.register(command)

    def register(self, command: Command) -> None:
        """Add (or replace) a command."""
        self._commands[command.name] = command

    def get(self, name: str) -> Command | None:
        """The command called ``name`` (without slash), if any."""
        return self._commands.get(name)

    def names(self) -> list[str]:
        """Every command name, sorted."""
        return sorted(self._commands)

    def __iter__(self) -> Iterator[Command]:
        return iter([self._commands[name] for name in self.names()])

    def closest(self, name: str) -> str | None:
        """The command name most like ``name``, if any is close enough."""
        prefixed = [n for n in self.names() if n.startswith(name)] if name else []
        if len(prefixed) == 1:
            return prefixed[0]
        matches = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.5)
        return matches[0] if matches else None

    def help_lines(self) -> list[str]:
        """``/help`` output: one line per command, then the keys."""
        width = max(len(f"/{c.name} {c.usage}".strip()) for c in self)
        lines = ["commands:"]
        for command in self:
            synopsis = f"/{command.name} {command.usage}".strip()
            lines.append(f"  {synopsis.ljust(width)}  {command.summary}")
        lines += [
            "sends: text is sent as typed; @file sends an image or a .wav "
            '(@"name with spaces.png" for spaces)',
            "keys: Enter send · Up/Down history · Tab complete · PageUp/PageDown scroll · "
            "Ctrl+C or Ctrl+D quit (twice while a reply runs)",
        ]
        return lines

    async def dispatch(self, host: CommandHost, line: str) -> None:
        """Run the slash command in ``line``; unknown names get the closest suggestion."""
        name, _, args = line[1:].strip().partition(" ")
        command = self.get(name)
        if command is None:
            guess = self.closest(name)
            hint = f"did you mean /{guess}?" if guess else "/help lists the commands"
            host.note(f"unknown command /{name}: {hint}", "warning")
            return
        await command.handler(host, args.strip())


# ---------------------------------------------------------------------------------- builtins


async def _help(host: CommandHost, args: str) -> None:
    # A host with a help screen shows it there; the chat log is the fallback.
    show_help = getattr(host, "show_help", None)
    if callable(show_help):
        show_help()
        return
    for line in host.registry.help_lines():
        host.note(line)


async def _clear(host: CommandHost, args: str) -> None:
    host.clear_log()


async def _quit(host: CommandHost, args: str) -> None:
    await host.quit_app()


async def _save(host: CommandHost, args: str) -> None:
    # expanduser happens in save_transcript's worker thread (it may read the home dir).
    await host.save_transcript(Path(_unquote(args)) if args else None)


async def _system(host: CommandHost, args: str) -> None:
    action, _, text = args.partition(" ")
    action = action.lower() or "show"
    engine = host.engine
    if action == "show":
        current = engine.system_instruction
        host.note(f"system instruction: {current}" if current else "system instruction: (none)")
    elif action == "set":
        text = _unquote(text.strip())
        if not text:
            host.note("usage: /system set <text> (use /system clear to remove it)", "warning")
            return
        await engine.set_system_instruction(text)
    elif action == "clear":
        if engine.system_instruction is None:
            host.note("system instruction: already none")
            return
        await engine.set_system_instruction(None)
    else:
        host.note(f"unknown /system action '{action}': use show, set <text> or clear", "warning")


async def _voice(host: CommandHost, args: str) -> None:
    engine = host.engine
    if not args:
        current = engine.voice or "the server's default"
        host.note(f"voice: {current}; /voice <name> changes it ({len(KNOWN_VOICES)} known)")
        return
    name = args.split()[0]
    known = {v.lower(): v for v in KNOWN_VOICES}
    voice = known.get(name.lower(), name)
    if voice == engine.voice:
        host.note(f"voice: already {voice}")
        return
    if name.lower() not in known:
        host.note(f"'{name}' is not a known voice; trying it anyway", "warning")
    await engine.set_voice(voice)


async def _share_screen(host: CommandHost, args: str) -> None:
    await host.engine.screen.command(args)


async def _snap(host: CommandHost, args: str) -> None:
    await host.engine.screen.snap()


async def _mic(host: CommandHost, args: str) -> None:
    await host.engine.audio.toggle_mic()


async def _speak(host: CommandHost, args: str) -> None:
    await host.engine.audio.toggle_speak()


async def _devices(host: CommandHost, args: str) -> None:
    await host.engine.audio.list_devices()


async def _ptt(host: CommandHost, args: str) -> None:
    await host.engine.audio.toggle_ptt()


def _complete_share_screen(words: Sequence[str], prefix: str) -> Iterable[str]:
    return [w for w in ("list", "saved") if w.startswith(prefix)] if not words else []


def _complete_system(words: Sequence[str], prefix: str) -> Iterable[str]:
    if not words:
        return [a for a in ("show", "set", "clear") if a.startswith(prefix)]
    return []


def _complete_voice(words: Sequence[str], prefix: str) -> Iterable[str]:
    if words:
        return []
    return [v for v in KNOWN_VOICES if v.lower().startswith(prefix.lower())]


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


BUILTIN_COMMANDS: list[Command] = [
    Command("help", "", "list commands and keys", _help),
    Command("clear", "", "clear the chat log (the transcript is kept for /save)", _clear),
    Command("quit", "", "close the session and leave", _quit),
    Command(
        "save",
        "[path]",
        "save the transcript: Markdown, or JSON when the path ends in .json",
        _save,
    ),
    Command(
        "system",
        "show|set <text>|clear",
        "show or change the system instruction (resumes the session)",
        _system,
        _complete_system,
    ),
    Command(
        "voice",
        "<name>",
        "change the model's voice (resumes the session)",
        _voice,
        _complete_voice,
    ),
    Command(
        "share-screen",
        "list|<id or name>|saved [seconds]",
        "share a screen or window (every 1 s or more; changed frames only); alone: stop",
        _share_screen,
        _complete_share_screen,
    ),
    Command("snap", "", "send one screen frame now, sharing or not (key: F5)", _snap),
    Command("mic", "", "toggle the mic (off sends audioStreamEnd)", _mic),
    Command("speak", "", "toggle playing the model's voice (transcripts still show)", _speak),
    Command("devices", "", "list audio input and output devices", _devices),
    Command("ptt", "", "toggle push-to-talk (manual activity; key: F4 talks)", _ptt),
]
"""The commands every app has; subsystems append theirs here."""


def build_registry(*extra: Iterable[Command]) -> CommandRegistry:
    """A registry of the built-in commands plus any extra ones."""
    registry = CommandRegistry(BUILTIN_COMMANDS)
    for commands in extra:
        for command in commands:
            registry.register(command)
    return registry


# -------------------------------------------------------------------------------- completion


@dataclass(frozen=True, slots=True)
class Completion:
    """Replace ``text[start:cursor]`` with one of ``candidates``."""

    start: int
    candidates: tuple[str, ...]


def complete(
    registry: CommandRegistry, text: str, cursor: int, *, base_dir: Path | None = None
) -> Completion | None:
    """Completions for the word before ``cursor``: command, argument or ``@`` path."""
    head = text[:cursor]
    if head.startswith("/"):
        if " " not in head:
            names = [f"/{n} " for n in registry.names() if n.startswith(head[1:])]
            return Completion(0, tuple(names)) if names else None
        name, _, rest = head[1:].partition(" ")
        command = registry.get(name)
        if command is None or command.complete_args is None:
            return None
        words = rest.split(" ")
        prefix = words[-1]
        before = [w for w in words[:-1] if w]
        found = [f"{c} " for c in command.complete_args(before, prefix)]
        return Completion(cursor - len(prefix), tuple(found)) if found else None
    start = _token_start(head)
    token = head[start:]
    if token.startswith("@"):
        paths = complete_path(token[1:], base_dir=base_dir)
        return Completion(start, tuple(paths)) if paths else None
    return None


def _token_start(head: str) -> int:
    """Start of the word before the cursor, treating an open ``@"...`` as one word."""
    quote_at = max(head.rfind('@"'), head.rfind("@'"))
    if quote_at != -1 and (quote_at == 0 or head[quote_at - 1].isspace()):
        quote = head[quote_at + 1]
        if head.count(quote, quote_at + 2) == 0:  # still inside the quotes
            return quote_at
    index = len(head)
    while index > 0 and not head[index - 1].isspace():
        index -= 1
    return index


def complete_path(prefix: str, *, base_dir: Path | None = None, limit: int = 200) -> list[str]:
    """``@``-forms of the paths that start with ``prefix`` (directories end with ``/``)."""
    if prefix and prefix[0] in "\"'":
        prefix = prefix[1:].rstrip(prefix[0])
    prefix = prefix.replace("\\ ", " ")
    expanded = os.path.expanduser(prefix)
    directory, partial = os.path.split(expanded)
    shown_dir = prefix[: len(prefix) - len(partial)]
    root = Path(directory or ".")
    if base_dir is not None and not root.is_absolute():
        root = base_dir / root
    found: list[str] = []
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                if not entry.name.startswith(partial):
                    continue
                if entry.name.startswith(".") and not partial.startswith("."):
                    continue
                is_dir = entry.is_dir()
                found.append(quote_path(shown_dir + entry.name + ("/" if is_dir else "")))
                if len(found) >= limit:
                    break
    except OSError:
        return []
    found.sort()
    # A finished file name gets a trailing space so typing can go on; a directory does not.
    return [f if f.endswith(("/", '/"', "/'")) else f + " " for f in found]
