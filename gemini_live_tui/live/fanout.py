"""Event fan-out: every subscriber gets its own ordered stream of the session's events.

The first subscriber also receives what happened before it subscribed (the backlog, kept
in a stream nobody has claimed yet), so no early event is lost to a consumer that starts
a moment late.  Streams end after the one final ``Closed``.
"""

from __future__ import annotations

import asyncio
import collections
import weakref

from gemini_live_tui.protocol import events as ev

__all__ = ["EventStream", "Fanout"]


class EventStream:
    """One subscriber's ordered view of the session's events."""

    def __init__(self) -> None:
        self._items: collections.deque[ev.Event] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._finished = False

    def put(self, event: ev.Event, *, limit: int | None = None) -> bool:
        """Queue ``event``; returns whether the oldest event had to go to respect ``limit``."""
        if self._finished:
            return False
        self._items.append(event)
        overflowed = limit is not None and len(self._items) > limit
        if overflowed:
            self._items.popleft()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        return overflowed

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
        event = self._items.popleft()
        if isinstance(event, ev.Closed):
            self._finished = True
        return event

    async def aclose(self) -> None:
        """Stop receiving events."""
        self._finished = True
        self._items.clear()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class Fanout:
    """Hands each published event to every live subscriber.

    Args:
        backlog_limit: events an unclaimed backlog keeps (the oldest go first, counted).
    """

    def __init__(self, *, backlog_limit: int) -> None:
        self._backlog_limit = backlog_limit
        self._streams: weakref.WeakSet[EventStream] = weakref.WeakSet()
        self._backlog: EventStream | None = EventStream()
        self._final: ev.Closed | None = None
        self.unclaimed_dropped = 0
        """Events lost because nobody subscribed for a long while."""

    def subscribe(self) -> EventStream:
        """A stream of every event from now on (the first one also gets the backlog)."""
        backlog, self._backlog = self._backlog, None
        stream = backlog or EventStream()
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
            stream.put(event)
