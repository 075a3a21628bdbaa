"""Echo canceller quality smoke test: espeak-ng speech through synthetic rooms.

Three of bench/bench_aec.py's random-tap scenes (20 s each): ERLE >= 32 dB in far-end-only
speech after 3 s, double-talk correlation with the clean near talker >= 0.87, and
process time under 10 % of the audio duration (the bench holds the 5 % bar; CI machines
are shared).

Then every room scene kind of ``audio/echo_rooms.py`` shortened to 15 s (path change at
6 s, double talk from 11 s, seed 16): the figures the default engine reached there, each
pinned a little below (ERLE about 2 dB, correlation 0.03), so a regression fails.
"""

from __future__ import annotations

import time

import pytest

from bench.speech import FAR_TEXT, NEAR_TEXT, speech
from gemini_live_tui.audio.aec import EchoCanceller
from gemini_live_tui.audio.echo_rooms import SceneKind, make_room_scene, room_figures
from gemini_live_tui.audio.echo_scene import best_lag_correlation, erle_db, make_scene
from tests.conftest import require_program


@pytest.mark.system
@pytest.mark.parametrize("delay_ms", [40, 120, 250])
def test_aec_meets_the_bars(delay_ms: int) -> None:
    require_program("espeak-ng")
    far = speech(FAR_TEXT)
    near = speech(NEAR_TEXT, voice="en-us+f3")
    scene = make_scene(far, near, delay_ms=delay_ms, tail_ms=300)  # the bench's scenes
    aec = EchoCanceller(16000)
    start = time.process_time()
    out = aec.process(scene.near, scene.far)
    cpu = time.process_time() - start
    r = scene.rate
    dt = int(scene.double_talk_s * r)
    erle = erle_db(scene.near, out, 3 * r, dt)
    corr, _ = best_lag_correlation(out, scene.talker, dt, len(out) - 1000, r // 20)
    assert erle >= 32.0, f"ERLE {erle:.1f} dB"
    assert corr >= 0.87, f"double-talk correlation {corr:.3f}"
    seconds = len(out) / r
    assert cpu / seconds < 0.10, f"{cpu / seconds:.1%} of a core"  # bench bar: 5 %; CI is noisy


# kind: (first 2 s, settled, 2 s after the change or None, double-talk correlation) as
# pinned; reached on this scene: linear 32.9 / 33.2 / - / 0.97, distorted 30.9 / 29.8 /
# - / 0.97, path change 33.7 / 42.2 / 26.7 / 0.97, loud 28.5 / 49.2 / - / 0.93, moving
# 33.6 / 37.7 / 31.3 / 0.97.
ROOM_PINS: dict[SceneKind, tuple[float, float, float | None, float]] = {
    "linear": (31.0, 31.0, None, 0.94),
    "distorted": (29.0, 27.5, None, 0.94),
    "path_change": (31.5, 40.0, 24.5, 0.93),
    "loud": (26.5, 47.0, None, 0.90),
    "moving": (31.5, 35.5, 29.0, 0.94),
}


@pytest.mark.system
@pytest.mark.parametrize("kind", list(ROOM_PINS))
def test_aec_room_scenes_hold_their_figures(kind: SceneKind) -> None:
    require_program("espeak-ng")
    far = speech(FAR_TEXT)
    talkers = (speech(NEAR_TEXT, voice="en-us+f3"), speech(NEAR_TEXT, voice="en-gb+m3"))
    scene = make_room_scene(
        kind, far, talkers, duration_s=15.0, double_talk_s=11.0, change_s=6.0, seed=16
    )
    start = time.process_time()
    out = EchoCanceller(16000).process(scene.near, scene.far)
    cpu = (time.process_time() - start) / 15.0
    fig = room_figures(scene, out)
    first, settled, after, corr = ROOM_PINS[kind]
    assert fig.first_db >= first, f"first 2 s: ERLE {fig.first_db:.1f} dB"
    assert fig.settled_db >= settled, f"settled: ERLE {fig.settled_db:.1f} dB"
    if after is not None:
        assert fig.after_change_db is not None
        assert fig.after_change_db >= after, f"after the change: {fig.after_change_db:.1f} dB"
    assert fig.dt_corr >= corr, f"double-talk correlation {fig.dt_corr:.3f}"
    assert cpu < 0.10, f"{cpu:.1%} of a core"


def test_aec_rejects_bad_input() -> None:
    import numpy as np

    from gemini_live_tui.errors import AudioError

    aec = EchoCanceller(16000)
    with pytest.raises(AudioError, match="multiple of 160"):
        aec.process(np.zeros(100, np.int16), np.zeros(100, np.int16))
    with pytest.raises(AudioError, match="must be equal"):
        aec.process(np.zeros(160, np.int16), np.zeros(320, np.int16))
