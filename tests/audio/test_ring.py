"""RingBuffer: FIFO order across wraparound, whole-block overruns, counted underruns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemini_live_tui.audio.ring import RingBuffer
from gemini_live_tui.errors import AudioError


def test_wraparound_keeps_order() -> None:
    ring = RingBuffer(8, 1, np.int16)
    assert ring.write(np.arange(6, dtype=np.int16))
    assert ring.read(4) is not None
    assert ring.write(np.arange(6, 12, dtype=np.int16))  # wraps past the end
    out = ring.read_all()[:, 0]
    assert out.tolist() == [4, 5, 6, 7, 8, 9, 10, 11]
    assert ring.available() == 0


def test_overrun_drops_the_whole_block_and_counts_it() -> None:
    ring = RingBuffer(10, 2, np.float32)
    assert ring.write(np.ones((7, 2), dtype=np.float32))
    assert not ring.write(np.full((4, 2), 2.0, dtype=np.float32))
    assert (ring.overruns, ring.overrun_frames) == (1, 4)
    assert ring.available() == 7  # nothing of the rejected block went in
    assert np.all(ring.read_all() == 1.0)


def test_underrun_fills_zeros_and_counts() -> None:
    ring = RingBuffer(16, 1, np.float32)
    ring.write(np.full(3, 0.5, dtype=np.float32))
    out = np.full((5, 1), np.nan, dtype=np.float32)
    assert ring.read_into(out) == 3
    assert out[:, 0].tolist() == [0.5, 0.5, 0.5, 0.0, 0.0]
    assert (ring.underruns, ring.underrun_frames) == (1, 2)
    ring.read_into(out, count_underrun=False)
    assert ring.underruns == 1


def test_discard_drops_everything_written() -> None:
    ring = RingBuffer(16)
    ring.write(np.ones(9, dtype=np.float32))
    assert ring.discard() == 9
    assert ring.available() == 0 and ring.free() == 16


def test_bad_capacity_is_one_clear_error() -> None:
    with pytest.raises(AudioError, match="must be > 0"):
        RingBuffer(0)


@settings(max_examples=200, deadline=None)
@given(
    capacity=st.integers(1, 64),
    ops=st.lists(st.tuples(st.booleans(), st.integers(0, 80)), max_size=60),
)
def test_ring_behaves_like_a_bounded_fifo(capacity: int, ops: list[tuple[bool, int]]) -> None:
    """Against a plain list model: writes are all-or-nothing, reads are in order."""
    ring = RingBuffer(capacity, 1, np.int32)
    model: list[int] = []
    counter = 0
    overruns = underruns = 0
    for is_write, size in ops:
        if is_write:
            block = np.arange(counter, counter + size, dtype=np.int32)
            counter += size
            fits = len(model) + size <= capacity
            assert ring.write(block) == fits or size == 0
            if fits:
                model.extend(block.tolist())
            elif size:
                overruns += 1
        else:
            out = np.zeros((size, 1), dtype=np.int32)
            got = ring.read_into(out)
            expect = model[:size]
            del model[:size]
            assert got == len(expect)
            assert out[:got, 0].tolist() == expect
            assert np.all(out[got:] == 0)
            if got < size:
                underruns += 1
        assert ring.available() == len(model)
    assert ring.overruns == overruns
    assert ring.underruns == underruns
