"""The conversation's state, without I/O: one place decides every connection question.

:class:`Conversation` is to :class:`gemini_live_tui.live.Session` what websockets'
``Protocol`` is to its asyncio ``Connection``.  It never touches a socket, a clock, a task
or a thread; the session feeds it what happened and does what it answers:

- ``start()``, ``setup_frame(conn)``: which connection to open, and the ``setup`` frame to
  send first (with the latest resumable handle, without ``historyConfig`` when resuming);
- ``receive(conn, frame)``: a server frame, decoded once; answers the events to publish
  and what to do next (a ``goAway`` starts the replacement connection now);
- ``lost(conn, error)``: a connection or an attempt failed; answers retry (after the delay
  the injected backoff gives: the caller sleeps) or give up, and starts afresh once (at
  once, costing no attempt) when a resumption handle is refused: a 1007/1008 close of the
  resumed setup; an HTTP 5xx or a network failure is retried with the same handle;
- ``send(frame, lane)``, ``next_to_write()``, ``written(conn, item)``: the outbox and the
  one keep, wait or drop policy (:class:`Lane`), and what a lost connection had been
  written but never answered (resent after the reconnect, see *Unanswered sends*);
- ``reconfigure(setup)``, ``close()`` and ``statistics()``.

Each input returns a list of actions, in the order the caller must take them: events
(:mod:`~gemini_live_tui.protocol.events`) to publish, :class:`Connect` and
:class:`Disconnect` to carry out, :class:`Note` to log.  Retry decisions and backoff delays
are injected (``is_retryable``, ``backoff``), so tests run the whole machine in simulated
time with no loop and no socket.

Unanswered sends
----------------
A message written to a socket is not a message the server read: the kernel takes the bytes
and a connection that dies a moment later (or silently, until the ping timeout notices)
took them nowhere.  So a kept message (never a live microphone or screen frame: those are
droppable and a late one is worse than none) stays *unacknowledged* after it is written,
and when its connection is lost the unacknowledged ones go back to the front of the outbox,
in order, and are written again on the next connection.  What counts as "the server
consumed it", on the connection it was written to:

- ``lastConsumedClientMessageIndex`` (transparent resumption): exact.  It is read as a
  count of the client messages after ``setup`` on that connection (the local server's
  meaning); if the service means a 0-based index, one consumed message is resent, never
  one lost.
- a server turn that *starts* after the write: the first model content, transcription or
  tool call after a ``turnComplete``/``interrupted`` (or after ``setupComplete``).  More
  content of a turn already under way when the message was written does not count: that
  turn was begun before the server could have read it.
- not ``usageMetadata`` (it trails the turn it counts, often after ``turnComplete``) and
  not a ``sessionResumptionUpdate`` without an index (the server cuts handles at its own
  turn boundaries, which can predate our write).

The window this leaves: a reply already in flight when a message is written, that the
server began for another reason (voice activity), acknowledges it early.  The opposite
error is a duplicate: a message the server read whose reply was lost with the connection
is sent again.  Anything written during the ping-timeout window (a dead connection
noticed only ``ping_timeout`` seconds later) is kept and resent: nothing answered it.
The unacknowledged set is bounded (``max_pending_messages`` messages,
``max_unacked_bytes`` bytes): past that the oldest are forgotten as if consumed, counted
in ``unacked_forgotten``.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
from collections.abc import Callable
from typing import Protocol, TypeAlias, TypeGuard

import msgspec

from gemini_live_tui.errors import (
    ConfigError,
    ConnectionLost,
    FrameTooLarge,
    LiveError,
    SessionClosed,
    SetupRejected,
)
from gemini_live_tui.protocol import codec, types
from gemini_live_tui.protocol import events as ev

__all__ = [
    "Action",
    "Backoff",
    "Connect",
    "Conversation",
    "ConversationStatistics",
    "Disconnect",
    "Lane",
    "Note",
    "Outgoing",
    "Phase",
    "SendOutcome",
]


class Phase(enum.IntEnum):
    """Where the conversation is."""

    CONNECTING = 0
    """The first connection's handshake (its failure is raised to the caller, not retried)."""
    OPEN = 1
    """A connection is usable: sends go out now."""
    RECONNECTING = 2
    """Lost, or being replaced after ``goAway``/``reconfigure``: sends wait in the outbox."""
    CLOSED = 3
    """Finally over."""


class Lane(enum.Enum):
    """What may happen to an outgoing message while no connection is usable.

    The one policy: live microphone and screen frames may be dropped, oldest first and
    counted; anything the user sent on purpose (text, files, client content, tool
    responses, activity signals) never is: past ``max_pending_messages`` the sender waits.
    """

    LIVE_AUDIO = "live audio"
    """Microphone chunks: beyond ``max_pending_live_audio`` the oldest go."""
    LIVE_VIDEO = "live video"
    """Screen frames: only the latest ``max_pending_live_video`` are kept (a stale screen
    tells the model nothing the newest frame does not)."""
    KEPT = "kept"
    """Never dropped."""


class SendOutcome(enum.Enum):
    """The answer to :meth:`Conversation.send`."""

    QUEUED = "queued"
    """In the outbox: write what :meth:`Conversation.next_to_write` gives."""
    WAIT = "wait"
    """Not taken: the outbox is full for a kept message; wait for the phase to change, then
    send again."""


@dataclasses.dataclass(eq=False, slots=True)
class Outgoing:
    """One encoded client message in the outbox."""

    frame: bytes
    lane: Lane
    conn: int = 0
    """The connection it was last written to (0: not written yet)."""
    position: int = 0
    """Its 1-based place among the client messages written on ``conn`` after ``setup``."""
    turns_seen: int = 0
    """Server turns started on ``conn`` when it was written: a later one answers it."""


@dataclasses.dataclass(frozen=True, slots=True)
class Connect:
    """Sleep ``delay`` seconds, open connection ``conn``, then send
    :meth:`Conversation.setup_frame` ``(conn)`` first (``None`` there: give up the attempt)."""

    conn: int
    delay: float


@dataclasses.dataclass(frozen=True, slots=True)
class Disconnect:
    """Close connection ``conn`` with ``code``; its later loss is expected, not a failure."""

    conn: int
    code: int
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class Note:
    """A decision worth one log line (``warning``: something was ignored or refused)."""

    text: str
    warning: bool = False


Action: TypeAlias = ev.Event | Connect | Disconnect | Note
"""What an input asks of the caller, in order."""


class Backoff(Protocol):
    """Retry budget and delays (``live.reconnect.ReconnectPolicy`` is one)."""

    def allows(self, attempt: int) -> bool:
        """Whether ``attempt`` (1-based, within one outage) may be made."""
        ...

    def delay(self, attempt: int) -> float:
        """Seconds to wait before ``attempt``."""
        ...


@dataclasses.dataclass(slots=True)
class ConversationStatistics:
    """Counters the conversation keeps (a snapshot)."""

    messages_sent: int = 0
    bytes_sent: int = 0
    messages_received: int = 0
    bytes_received: int = 0
    reconnects: int = 0
    resumed_reconnects: int = 0
    refused_resumptions: int = 0
    dropped_live_audio: int = 0
    dropped_live_audio_bytes: int = 0
    dropped_live_video: int = 0
    dropped_live_video_bytes: int = 0
    pending_messages: int = 0
    decode_errors: int = 0
    resumable: bool = False
    unacked_messages: int = 0
    """Kept messages written but not yet shown consumed by the server."""
    resent_messages: int = 0
    """Written messages sent again after their connection was lost unanswered."""
    unacked_forgotten: int = 0
    """Unacknowledged messages forgotten (as if consumed) to keep the set bounded."""
    oversized_frames: int = 0
    """Connections we closed 1009 because a server message exceeded ``max_message_size``."""

    @property
    def dropped_media_messages(self) -> int:
        """Live microphone and screen messages dropped while reconnecting."""
        return self.dropped_live_audio + self.dropped_live_video

    @property
    def dropped_media_bytes(self) -> int:
        """Their encoded size."""
        return self.dropped_live_audio_bytes + self.dropped_live_video_bytes


@dataclasses.dataclass(slots=True)
class _Link:
    """What the conversation knows of one connection."""

    conn: int
    resumed: bool = False
    open: bool = False
    retiring: bool = False
    written: int = 0  # client messages written after setup
    turns: int = 0  # server turns started
    in_turn: bool = False


class Conversation:
    """The state machine of one Live conversation across its connections.

    Args:
        setup: the ``setup`` message; re-sent (with the latest handle) on every reconnect.
        is_retryable: the one decision "is this failure worth a reconnect".
        backoff: attempt budget and delays.
        max_pending_live_audio: microphone chunks kept while reconnecting.
        max_pending_live_video: screen frames kept while reconnecting.
        max_pending_messages: kept messages queued before a sender must wait; also the
            most unacknowledged messages remembered for resending.
        max_unacked_bytes: the most bytes of unacknowledged messages remembered.
    """

    def __init__(
        self,
        setup: types.SetupConfig,
        *,
        is_retryable: Callable[[LiveError], bool],
        backoff: Backoff,
        max_pending_live_audio: int = 250,
        max_pending_live_video: int = 1,
        max_pending_messages: int = 1000,
        max_unacked_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        if min(max_pending_live_audio, max_pending_live_video, max_pending_messages) < 1:
            raise ConfigError("pending queue limits must be at least 1")
        self._setup = setup
        self._is_retryable = is_retryable
        self._backoff = backoff
        self._limits = {
            Lane.LIVE_AUDIO: max_pending_live_audio,
            Lane.LIVE_VIDEO: max_pending_live_video,
            Lane.KEPT: max_pending_messages,
        }
        self.phase = Phase.CONNECTING
        self.final: ev.Closed | None = None
        self._handle: str | None = None
        self._links: dict[int, _Link] = {}
        self._next_conn = 1
        self._current: int | None = None  # the connection read for settling and written to
        self._opening: int | None = None  # the attempt under way
        self._outbox: collections.deque[Outgoing] = collections.deque()
        self._queued = dict.fromkeys(Lane, 0)
        self._unacked: collections.deque[Outgoing] = collections.deque()
        self._unacked_bytes = 0
        self._max_unacked_bytes = max(1, max_unacked_bytes)
        self._stats = ConversationStatistics()
        # The outage under way: attempts made, whether the first one is immediate, why.
        self._attempts = 0
        self._immediate = False
        self._reason = ""
        self._last_code = 1006
        self._ever_open = False
        # Attempts of the last outage, continued when the connection it opened dies of an
        # oversized message before a turn completes: otherwise a server that sends one on
        # every connection is reconnected to forever at attempt 1.
        self._carried = 0

    # ------------------------------------------------------------------- state

    @property
    def setup(self) -> types.SetupConfig:
        """The setup in force (changed by :meth:`reconfigure`)."""
        return self._setup

    @property
    def resumable(self) -> bool:
        """Whether a resumable handle has been received (the handle stays private)."""
        return self._handle is not None

    @property
    def current(self) -> int | None:
        """The connection writes go to while :attr:`phase` is ``OPEN``."""
        return self._current

    def is_open(self, conn: int) -> bool:
        """Whether ``conn`` has received its ``setupComplete`` (and is not closed)."""
        link = self._links.get(conn)
        return link is not None and link.open and self.phase is not Phase.CLOSED

    def statistics(self) -> ConversationStatistics:
        """A snapshot of the counters."""
        stats = dataclasses.replace(self._stats)
        stats.pending_messages = len(self._outbox)
        stats.resumable = self._handle is not None
        stats.unacked_messages = len(self._unacked)
        return stats

    # ------------------------------------------------------------- connections

    def start(self) -> Connect:
        """The first connection (no delay).  If it fails, the caller raises; nothing retries."""
        if self.phase is not Phase.CONNECTING or self._links:
            raise LiveError("the conversation has already started")
        return self._connect(0.0)

    def setup_frame(self, conn: int) -> bytes | None:
        """The ``setup`` to send first on ``conn``, fixed now (after the caller's sleep).

        Carries the latest resumable handle, and no ``historyConfig`` when it does.
        ``None`` when the attempt is no longer wanted (the conversation closed meanwhile).
        """
        link = self._links.get(conn)
        if link is None or self.phase is Phase.CLOSED:
            return None
        link.resumed = self._handle is not None
        return codec.encode(types.ClientMessage(setup=self._setup_for(self._handle)))

    def _setup_for(self, handle: str | None) -> types.SetupConfig:
        setup = self._setup
        if handle is None:
            return setup
        previous = setup.session_resumption
        resumption = types.SessionResumptionConfig(
            handle=handle, transparent=previous.transparent if previous else None
        )
        # History is already in the resumed session; re-sending historyConfig is refused.
        return msgspec.structs.replace(setup, session_resumption=resumption, history_config=None)

    def receive(self, conn: int, frame: bytes | str) -> list[Action]:
        """A frame arrived on ``conn``: the events it carries, and what follows from them."""
        if self.phase is Phase.CLOSED:
            return []
        self._stats.messages_received += 1
        self._stats.bytes_received += len(frame)
        try:
            message = codec.decode(frame)
        except codec.DecodeError as exc:
            # One bad frame must not end a conversation; count it and go on.
            self._stats.decode_errors += 1
            return [Note(f"ignored a server frame that is not a Live message: {exc}", True)]
        actions: list[Action] = []
        go_away = False
        link = self._links.get(conn)
        for event in codec.to_events(message):
            actions.append(event)
            if isinstance(event, ev.SetupComplete):
                if link is not None and not link.open:
                    actions.extend(self._opened(link))
            elif isinstance(event, ev.SessionResumptionUpdate):
                if event.resumable and event.new_handle:
                    self._handle = event.new_handle
                if event.last_consumed_client_message_index is not None:
                    self._acknowledge(conn, position=event.last_consumed_client_message_index)
            elif isinstance(event, ev.GoAway):
                go_away = True
            elif link is not None:
                self._track_turn(link, event)
        if go_away and conn == self._current and self.phase is Phase.OPEN:
            # Stop writing to the old connection now and open the next one at once.
            actions.extend(self._replace("server goAway"))
        return actions

    def _track_turn(self, link: _Link, event: ev.Event) -> None:
        """Follow the server's turns on ``link``: a turn that starts answers earlier writes."""
        if isinstance(event, ev.TurnComplete | ev.Interrupted):
            link.in_turn = False
            self._carried = 0  # a healthy connection: the next outage counts from 1
        elif isinstance(event, _TURN_CONTENT) and not link.in_turn:
            link.in_turn = True
            link.turns += 1
            self._acknowledge(link.conn, turns=link.turns)

    def _acknowledge(self, conn: int, *, position: int = 0, turns: int = 0) -> None:
        """Forget what ``conn`` shows consumed: up to ``position``, or before turn ``turns``."""
        kept: collections.deque[Outgoing] = collections.deque()
        for item in self._unacked:
            if item.conn == conn and (item.position <= position or item.turns_seen < turns):
                self._unacked_bytes -= len(item.frame)
            else:
                kept.append(item)
        self._unacked = kept

    def _resend_unanswered(self, conn: int) -> None:
        """Put what other connections took but never answered back in front of the outbox."""
        again = [item for item in self._unacked if item.conn != conn]
        if not again:
            return
        self._unacked = collections.deque(item for item in self._unacked if item.conn == conn)
        for item in again:
            self._unacked_bytes -= len(item.frame)
            item.conn = 0
            self._queued[item.lane] += 1
        self._outbox.extendleft(reversed(again))
        self._stats.resent_messages += len(again)

    def _opened(self, link: _Link) -> list[Action]:
        link.open = True
        self._opening = None
        old, self._current = self._current, link.conn
        self.phase = Phase.OPEN
        if not self._ever_open:
            self._ever_open = True
            return []  # the first connection: nothing to announce
        actions: list[Action] = []
        if old is not None:
            actions.append(self._retire(old, "replaced"))
        self._resend_unanswered(link.conn)
        self._stats.reconnects += 1
        if link.resumed:
            self._stats.resumed_reconnects += 1
        self._carried, self._attempts = self._attempts, 0
        actions.append(ev.Reconnected(resumed=link.resumed))
        return actions

    def lost(self, conn: int, error: LiveError) -> list[Action]:
        """Connection ``conn`` ended (or its attempt failed) with ``error``."""
        link = self._links.pop(conn, None)
        if link is None or link.retiring or self.phase is Phase.CLOSED:
            return []  # closed on purpose, or nothing depends on it any more
        if not link.open:
            return self._attempt_failed(link, error)
        if conn != self._current:
            return []
        self._current = None
        if self._opening is not None:
            # A goAway or reconfigure replacement is under way: its outcome decides.
            return []
        closed = _closed_by(error)
        if isinstance(error, FrameTooLarge):
            self._stats.oversized_frames += 1
        if not self._is_retryable(error) or not self._backoff.allows(1):
            return self._finish(closed)
        self.phase = Phase.RECONNECTING
        self._attempts = self._carried if isinstance(error, FrameTooLarge) else 0
        self._immediate = False
        self._reason = str(error)
        self._last_code = closed.code
        return self._next_attempt()

    def _attempt_failed(self, link: _Link, error: LiveError) -> list[Action]:
        self._opening = None
        if self.phase is Phase.CONNECTING:
            return self._finish(_closed_by(error))
        if link.resumed and _refuses_resumption(error):
            # The handle may have expired (they live about 2 h): start afresh once.  The
            # server answered at once, so this costs no backoff slot and no wait.
            self._handle = None
            self._stats.refused_resumptions += 1
            self._reason = f"resumption refused: {error.reason or error.code}"
            self._attempts -= 1
            return [
                Note(f"resumption refused ({error.code}); reconnecting without a handle"),
                *self._next_attempt(immediate=True),
            ]
        if not self._is_retryable(error):
            return self._finish(_closed_by(error))
        self._last_code = error.code if isinstance(error, ConnectionLost) else 1006
        self._reason = str(error)
        return self._next_attempt()

    def _replace(self, reason: str) -> list[Action]:
        self.phase = Phase.RECONNECTING
        self._immediate = True
        self._attempts = 0
        self._reason = reason
        return self._next_attempt()

    def _next_attempt(self, *, immediate: bool = False) -> list[Action]:
        self._attempts += 1
        attempt = self._attempts
        if not self._backoff.allows(attempt):
            return self._finish(
                ev.Closed(
                    code=self._last_code,
                    reason=f"gave up after {attempt - 1} attempts: {self._reason}",
                )
            )
        step = attempt - 1 if self._immediate else attempt
        delay = 0.0 if step == 0 or immediate else self._backoff.delay(step)
        connect = self._connect(delay)
        return [
            Note(f"reconnect attempt {attempt} in {delay:.2f} s: {self._reason}"),
            ev.Reconnecting(attempt=attempt, delay=delay, reason=self._reason),
            connect,
        ]

    def _connect(self, delay: float) -> Connect:
        conn = self._next_conn
        self._next_conn += 1
        self._links[conn] = _Link(conn)
        self._opening = conn
        return Connect(conn, delay)

    def _retire(self, conn: int, reason: str) -> Disconnect:
        link = self._links.get(conn)
        if link is not None:
            link.retiring = True
        return Disconnect(conn, 1000, reason)

    def reconfigure(self, setup: types.SetupConfig) -> list[Action]:
        """Apply ``setup`` by resuming on a new connection (the conversation carries over).

        Raises:
            ConfigError: the model changed.
            LiveError: no resumable handle yet, or a reconnect is already under way.
            SessionClosed: the conversation is over.
        """
        self._check_open()
        if setup.model != self._setup.model:
            raise ConfigError("the model cannot change within a session")
        if self._handle is None:
            raise LiveError("no resumption handle yet: the server issues one after the first turn")
        if self.phase is not Phase.OPEN:
            raise LiveError("a reconnect is under way: reconfigure once it is over")
        self._setup = setup
        return self._replace("settings changed")

    def close(self, code: int = 1000, reason: str = "closed by client") -> list[Action]:
        """End the conversation (idempotent)."""
        return self._finish(ev.Closed(code=code, reason=reason))

    def _finish(self, closed: ev.Closed) -> list[Action]:
        if self.phase is Phase.CLOSED:
            return []
        self.phase = Phase.CLOSED
        self.final = closed
        actions: list[Action] = [
            self._retire(conn, "session over") for conn, link in self._links.items() if link.open
        ]
        self._current = self._opening = None
        actions.append(closed)
        return actions

    # ------------------------------------------------------------------ outbox

    def send(self, frame: bytes, lane: Lane) -> SendOutcome:
        """Queue ``frame`` under ``lane``'s policy.

        Raises:
            SessionClosed: the conversation is over.
        """
        self._check_open()
        if self.phase is not Phase.OPEN and self._queued[lane] >= self._limits[lane]:
            if lane is Lane.KEPT:
                return SendOutcome.WAIT
            self._drop_oldest(lane)
        self._outbox.append(Outgoing(frame, lane))
        self._queued[lane] += 1
        return SendOutcome.QUEUED

    def _drop_oldest(self, lane: Lane) -> None:
        for index, queued in enumerate(self._outbox):
            if queued.lane is lane:
                del self._outbox[index]
                self._queued[lane] -= 1
                if lane is Lane.LIVE_AUDIO:
                    self._stats.dropped_live_audio += 1
                    self._stats.dropped_live_audio_bytes += len(queued.frame)
                else:
                    self._stats.dropped_live_video += 1
                    self._stats.dropped_live_video_bytes += len(queued.frame)
                return

    def next_to_write(self) -> tuple[int, Outgoing] | None:
        """The connection and message to write next, or ``None`` (nothing, or not open).

        Write one at a time, in order, and report each with :meth:`written`.
        """
        if self.phase is not Phase.OPEN or not self._outbox or self._current is None:
            return None
        return self._current, self._outbox[0]

    def written(self, conn: int, item: Outgoing) -> None:
        """``item`` went out on ``conn``.  Ignored if that no longer holds (it stays queued)."""
        if conn != self._current or not self._outbox or self._outbox[0] is not item:
            return
        self._outbox.popleft()
        self._queued[item.lane] -= 1
        self._stats.messages_sent += 1
        self._stats.bytes_sent += len(item.frame)
        link = self._links.get(conn)
        if link is None:
            return
        link.written += 1
        if item.lane is Lane.KEPT:
            item.conn, item.position, item.turns_seen = conn, link.written, link.turns
            self._unacked.append(item)
            self._unacked_bytes += len(item.frame)
            limit = self._limits[Lane.KEPT]
            while len(self._unacked) > limit or (
                self._unacked_bytes > self._max_unacked_bytes and len(self._unacked) > 1
            ):
                forgotten = self._unacked.popleft()
                self._unacked_bytes -= len(forgotten.frame)
                self._stats.unacked_forgotten += 1

    def _check_open(self) -> None:
        if self.phase is Phase.CLOSED:
            reason = self.final.reason if self.final else "closed"
            raise SessionClosed(f"the session is closed ({reason})")


# Events that belong to a server turn: the first of them after a turn ended starts the next.
_TURN_CONTENT = (
    ev.ModelText,
    ev.ModelAudio,
    ev.ModelInlineData,
    ev.InputTranscription,
    ev.InterimInputTranscription,
    ev.OutputTranscription,
    ev.ToolCall,
)


# The close codes (after the upgrade, during setup) with which a server refuses a setup's
# content; on a resumed setup that means the handle: the service documents no text of its own
# for an unknown or expired handle (the local server says 1007 "invalid argument").  An HTTP
# status (a 503 from a front end) says nothing about the handle and never drops it.
_REFUSAL_CODES = frozenset({1007, 1008})


def _refuses_resumption(error: LiveError) -> TypeGuard[SetupRejected]:
    """Whether a resumed setup's failure refuses its handle (not a 5xx, not the network)."""
    return isinstance(error, SetupRejected) and error.code in _REFUSAL_CODES


def _closed_by(error: LiveError) -> ev.Closed:
    """How a session ends because of ``error``."""
    if isinstance(error, ConnectionLost | SetupRejected):
        return ev.Closed(code=error.code, reason=error.reason)
    return ev.Closed(code=1006, reason=str(error))
