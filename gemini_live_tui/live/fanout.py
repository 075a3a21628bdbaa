"""Event fan-out: every subscriber gets its own ordered, bounded stream of the session's events.

The first subscriber also receives what happened before it subscribed (the backlog, kept
in a stream nobody has claimed yet), so no early event is lost to a consumer that starts
a moment late.  Streams end after the one final ``Closed``.

A slow subscriber
-----------------
Each stream holds at most ``subscriber_limit`` events before it stops growing one entry
per frame (a subscriber that never reads once grew 328 MB in 20 s).  Past that, what it
will see when it reads again:

- text deltas (``ModelText`` of one kind, unfinished transcriptions of one side) are
  *coalesced* into the newest queued delta of the same kind: every character arrives, in
  order, in fewer events (never across a turn boundary or any other event);
- frequent, stale-when-late events (model audio, voice activity, interim transcriptions,
  usage) are *dropped*, newest first: audio seconds late is worse than a gap;
- every other event (turn ends, tool calls, goAway, reconnects, ``Closed``) is kept; only
  past ``subscriber_limit + _HARD_EXTRA`` entries (a flood of those) do the oldest go.

Both are counted (:attr:`Fanout.slow_coalesced`, :attr:`Fanout.slow_dropped`; the session
reports them in ``statistics()``).  A reader that keeps up sees every event as published.
"""

from __future__ import annotations

import asyncio
import collections
import weakref

import msgspec

from gemini_live_tui.protocol import events as ev

__all__ = ["EventStream", "Fanout"]

# Above the soft limit, events that must not be lost still queue; this many more at most.
_HARD_EXTRA = 256
# Dropped rather than queued for a subscriber that has fallen behind.
_STALE_WHEN_LATE = (ev.ModelAudio, ev.VoiceActivity, ev.InterimInputTranscription, ev.Usage)
_Delta = ev.ModelText | ev.InputTranscription | ev.OutputTranscription


class _Counters:
    """What slow subscribers lost, shared by every stream of one fan-out."""

    __slots__ = ("coalesced", "dropped")

    def __init__(self) -> None:
        self.coalesced = 0
        self.dropped = 0


class _Run:
    """Coalesced text deltas waiting as one event (pieces joined once, when read)."""

    __slots__ = ("finished_seen", "first", "texts", "words")

    def __init__(self, first: _Delta) -> None:
        self.first = first
        self.texts = [first.text]
        self.words: list[object] = list(getattr(first, "words", ()))
        self.finished_seen = False

    def takes(self, event: ev.Event) -> bool:
        first = self.first
        if type(event) is not type(first):
            return False
        if isinstance(event, ev.ModelText):
            return isinstance(first, ev.ModelText) and event.thought == first.thought
        if isinstance(event, ev.InputTranscription | ev.OutputTranscription):
            assert isinstance(first, ev.InputTranscription | ev.OutputTranscription)
            # A finished one closes the utterance: nothing joins it afterwards.
            same = (event.language, event.speaker) == (first.language, first.speaker)
            return same and not first.finished and not self.finished_seen
        return False

    def add(self, event: _Delta) -> None:
        self.texts.append(event.text)
        self.words.extend(getattr(event, "words", ()))
        if getattr(event, "finished", False):
            self.finished_seen = True

    def event(self) -> ev.Event:
        if len(self.texts) == 1:
            return self.first
        changes: dict[str, object] = {"text": "".join(self.texts)}
        if isinstance(self.first, ev.InputTranscription | ev.OutputTranscription):
            changes["words"] = tuple(self.words)
            changes["finished"] = self.finished_seen
        return msgspec.structs.replace(self.first, **changes)


class EventStream:
    """One subscriber's ordered view of the session's events.

    Args:
        limit: entries queued before the slow-subscriber policy applies (``None``: none).
    """

    def __init__(self, *, limit: int | None = None, counters: _Counters | None = None) -> None:
        self._items: collections.deque[ev.Event | _Run] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._finished = False
        self._limit = limit
        self._counters = counters or _Counters()

    @property
    def queued(self) -> int:
        """Entries waiting to be read (a coalesced run counts once)."""
        return len(self._items)

    def put(self, event: ev.Event, *, limit: int | None = None) -> bool:
        """Queue ``event`` under the unclaimed-backlog rule: past ``limit`` the oldest goes.

        Returns whether it did.
        """
        if self._finished:
            return False
        self._items.append(event)
        overflowed = limit is not None and len(self._items) > limit
        if overflowed:
            self._items.popleft()
        self._wake()
        return overflowed

    def offer(self, event: ev.Event) -> None:
        """Queue ``event`` under the slow-subscriber policy (see the module docstring)."""
        if self._finished:
            return
        items, limit = self._items, self._limit
        if limit is not None and len(items) >= limit and not isinstance(event, ev.Closed):
            tail = items[-1] if items else None
            if isinstance(event, _Delta):
                if isinstance(tail, _Run) and tail.takes(event):
                    tail.add(event)
                    self._counters.coalesced += 1
                    return
                if isinstance(tail, _Delta):
                    run = _Run(tail)
                    if run.takes(event):
                        run.add(event)
                        items[-1] = run
                        self._counters.coalesced += 1
                        return
            elif isinstance(event, _STALE_WHEN_LATE):
                self._counters.dropped += 1
                return
            if len(items) >= limit + _HARD_EXTRA:
                items.popleft()
                self._counters.dropped += 1
        items.append(event)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> ev.Event:
        while not self._items:
            if self._finished:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        event = item.event() if isinstance(item, _Run) else item
        if isinstance(event, ev.Closed):
            self._finished = True
        return event

    async def aclose(self) -> None:
        """Stop receiving events."""
        self._finished = True
        self._items.clear()
        self._wake()


class Fanout:
    """Hands each published event to every live subscriber.

    Args:
        backlog_limit: events an unclaimed backlog keeps (the oldest go first, counted).
        subscriber_limit: entries a subscriber's stream holds before the slow-subscriber
            policy coalesces and drops (see the module docstring).
    """

    def __init__(self, *, backlog_limit: int, subscriber_limit: int = 2000) -> None:
        self._backlog_limit = backlog_limit
        self._counters = _Counters()
        self._subscriber_limit = max(1, subscriber_limit)
        self._streams: weakref.WeakSet[EventStream] = weakref.WeakSet()
        self._backlog: EventStream | None = self._stream()
        self._final: ev.Closed | None = None
        self.unclaimed_dropped = 0
        """Events lost because nobody subscribed for a long while."""

    @property
    def slow_dropped(self) -> int:
        """Events dropped for subscribers that fell behind (all streams)."""
        return self._counters.dropped

    @property
    def slow_coalesced(self) -> int:
        """Text deltas merged into an earlier one for subscribers that fell behind."""
        return self._counters.coalesced

    def _stream(self) -> EventStream:
        return EventStream(limit=self._subscriber_limit, counters=self._counters)

    def subscribe(self) -> EventStream:
        """A stream of every event from now on (the first one also gets the backlog)."""
        backlog, self._backlog = self._backlog, None
        stream = backlog or self._stream()
        self._streams.add(stream)
        if self._final is not None and backlog is None:
            # A late subscriber still learns how the session ended (the backlog has it).
            stream.put(self._final)
        return stream

    def publish(self, event: ev.Event) -> None:
        """Give ``event`` to every subscriber (and the backlog while it is unclaimed)."""
        if isinstance(event, ev.Closed):
            self._final = event
        if self._backlog is not None and self._backlog.put(event, limit=self._backlog_limit):
            self.unclaimed_dropped += 1
        for stream in list(self._streams):
            stream.offer(event)
