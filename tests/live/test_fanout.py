"""Slow subscribers: every stream is bounded; text is coalesced, not lost; drops are counted."""

from __future__ import annotations

import asyncio

from gemini_live_tui.live.fanout import Fanout
from gemini_live_tui.protocol import events as ev


async def drain(stream: object) -> list[ev.Event]:
    out: list[ev.Event] = []
    async with asyncio.timeout(5):
        async for event in stream:  # type: ignore[attr-defined]
            out.append(event)
    return out


async def test_a_subscriber_that_never_reads_stays_bounded_and_keeps_all_text() -> None:
    fanout = Fanout(backlog_limit=100, subscriber_limit=50)
    claimed = fanout.subscribe()  # takes the backlog; neither stream ever reads
    stalled = fanout.subscribe()
    for n in range(20_000):
        fanout.publish(ev.ModelText(text=f"{n % 10}"))
        fanout.publish(ev.ModelAudio(data=b"\0" * 960))
        if n % 5000 == 4999:
            fanout.publish(ev.TurnComplete())
    assert stalled.queued <= 100 and claimed.queued <= 100
    fanout.publish(ev.Closed(code=1000, reason="bye"))
    seen = await drain(stalled)
    text = "".join(e.text for e in seen if isinstance(e, ev.ModelText))
    assert text == "".join(f"{n % 10}" for n in range(20_000))
    assert sum(isinstance(e, ev.TurnComplete) for e in seen) == 4
    assert isinstance(seen[-1], ev.Closed)
    dropped = sum(isinstance(e, ev.ModelAudio) for e in seen)
    assert fanout.slow_dropped >= 20_000 - dropped
    assert fanout.slow_coalesced > 0


async def test_text_is_not_merged_across_a_turn_boundary() -> None:
    fanout = Fanout(backlog_limit=100, subscriber_limit=2)
    stream = fanout.subscribe()
    for text in ("a", "b", "c"):
        fanout.publish(ev.ModelText(text=text))
    fanout.publish(ev.TurnComplete())
    for text in ("d", "e"):
        fanout.publish(ev.ModelText(text=text))
    fanout.publish(ev.ModelText(text="hmm", thought=True))
    fanout.publish(ev.Closed(code=1000, reason="bye"))
    seen = await drain(stream)
    assert seen == [
        ev.ModelText(text="a"),
        ev.ModelText(text="bc"),
        ev.TurnComplete(),
        ev.ModelText(text="de"),
        ev.ModelText(text="hmm", thought=True),
        ev.Closed(code=1000, reason="bye"),
    ]


async def test_a_reader_that_keeps_up_sees_every_event_as_published() -> None:
    fanout = Fanout(backlog_limit=100, subscriber_limit=4)
    stream = fanout.subscribe()
    got = []
    for text in ("a", "b", "c", "d", "e", "f"):
        fanout.publish(ev.ModelText(text=text))
        got.append(await anext(stream))
    assert [e.text for e in got if isinstance(e, ev.ModelText)] == list("abcdef")
    assert (fanout.slow_dropped, fanout.slow_coalesced) == (0, 0)


async def test_transcription_deltas_coalesce_up_to_the_finished_one() -> None:
    fanout = Fanout(backlog_limit=100, subscriber_limit=1)
    stream = fanout.subscribe()
    fanout.publish(ev.ModelAudio(data=b"\0\0"))
    for text, finished in (("hel", False), ("lo", False), (" you", True), ("next", False)):
        fanout.publish(ev.OutputTranscription(text=text, finished=finished))
    fanout.publish(ev.Closed(code=1000, reason="bye"))
    seen = await drain(stream)
    assert seen == [
        ev.ModelAudio(data=b"\0\0"),
        ev.OutputTranscription(text="hello you", finished=True),
        ev.OutputTranscription(text="next"),
        ev.Closed(code=1000, reason="bye"),
    ]
