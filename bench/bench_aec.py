"""Echo cancellation quality and cost: every engine we tried on the same synthetic scenes.

Scenes (``gemini_live_tui.audio.echo_scene``): 20 s of espeak-ng far-end speech through a
room with a bulk delay of 10, 40, 120 or 250 ms and a random exponentially decaying tail
(300 ms to -60 dB; the 40 ms scene is also run with a 100 ms tail), noise at -55 dBFS, and
a second espeak-ng voice talking over it from 13 s on (double talk).

Figures per engine and scene:
- ERLE: mic energy over output energy in the far-end-only span 3-13 s (after 3 s of
  convergence).  Bar: >= 30 dB.
- DT corr: correlation of the output with the clean near-end talker over 13-20 s, at the
  best output lag 0-50 ms.  Bar: >= 0.85.  The raw mic scores about 0.75.
- CPU: process time per second of audio, best of the scenes (one core).  Bar: <= 50 ms.

A second table runs the default engine on the 40 ms scene with the mic's clock drifting
against the speaker's (as with two separate audio devices): the canceller alone, and the
whole pipeline with fake devices on drifting clocks (which compensates).  ``--drift`` runs
only that table.

A third table (``--rooms``) runs the laptop room scenes of
``gemini_live_tui.audio.echo_rooms`` (image-source rooms, the speaker a few cm from the
mic, a distorting loudspeaker, a path change, a loud speaker, a slow move; two near
talkers in turn from 14 s) for each seed: ERLE in the first 2 s, settled, in the 2 s after
the path change, double-talk correlation, PESQ (wide band, the ``pesq`` package) of the
double-talk output against the clean near talkers, CPU.  Bars: ERLE >= 30 dB settled,
>= 25 dB in the first 2 s and after a change, correlation >= 0.85, CPU <= 50 ms per s.

Run:  python bench/bench_aec.py [--engines kalman,mdf,webrtc,speex,pyaec,livekit] [--quick]
      python bench/bench_aec.py --drift
      python bench/bench_aec.py --rooms [--seeds 16,17,18] [--engines kalman,webrtc]
Needs espeak-ng (speech is cached under ~/.cache/gemini-live-bench).  Engines whose package
is missing are listed as skipped.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speech import FAR_TEXT, NEAR_TEXT, speech

from gemini_live_tui.audio.aec import EchoCanceller
from gemini_live_tui.audio.echo_rooms import SCENE_KINDS, make_room_scene, room_figures
from gemini_live_tui.audio.echo_scene import (
    EchoScene,
    best_lag_correlation,
    erle_db,
    make_scene,
    play_through_pipeline,
    room_response,
)

Int16Array = npt.NDArray[np.int16]
Processor = Callable[[Int16Array, Int16Array], Int16Array]

SCENES = [(10, 300), (40, 300), (40, 100), (120, 300), (250, 300)]
RATE = 16000


def _ours(engine: str, **kwargs: object) -> Callable[[], Processor]:
    def make() -> Processor:
        aec = EchoCanceller(RATE, engine=engine, **kwargs)  # type: ignore[arg-type]
        return aec.process

    return make


def _pyaec() -> Processor:
    from pyaec import Aec  # type: ignore[import-not-found]

    aec = Aec(160, 4800, RATE, False)

    def process(near: Int16Array, far: Int16Array) -> Int16Array:
        out = np.empty_like(near)
        for i in range(0, len(near), 160):
            res = aec.cancel_echo(near[i : i + 160].tolist(), far[i : i + 160].tolist())
            out[i : i + 160] = np.asarray(res, dtype=np.int16)
        return out

    return process


def _livekit() -> Processor:
    from livekit import rtc  # type: ignore[import-not-found]

    apm = rtc.AudioProcessingModule(echo_cancellation=True, high_pass_filter=True)

    def process(near: Int16Array, far: Int16Array) -> Int16Array:
        out = np.empty_like(near)
        for i in range(0, len(near), 160):
            ref = rtc.AudioFrame(far[i : i + 160].tobytes(), RATE, 1, 160)
            apm.process_reverse_stream(ref)
            cap = rtc.AudioFrame(near[i : i + 160].tobytes(), RATE, 1, 160)
            apm.process_stream(cap)
            out[i : i + 160] = np.frombuffer(cap.data, dtype=np.int16)
        return out

    return process


ENGINES: dict[str, tuple[str, Callable[[], Processor]]] = {
    "kalman": ("ours: PBFD Kalman filter + residual suppressor (default)", _ours("kalman")),
    "kalman-linear": ("ours: PBFD Kalman filter, no suppressor", _ours("kalman", suppress=False)),
    "kalman-560": (
        "ours: Kalman, 560 ms filter, no delay estimator",
        _ours("kalman", filter_ms=560, max_delay_ms=0),
    ),
    "mdf": (
        "ours: MDF/NLMS (SpeexDSP-style step control) + suppressor, 560 ms",
        _ours("mdf", filter_ms=560),
    ),
    "webrtc": ("pywebrtc-audio WebRTC AEC3", _ours("webrtc")),
    "speex": ("libspeexdsp MDF via ctypes, 560 ms filter", _ours("speex", filter_ms=560)),
    "pyaec": ("pyaec (aec-rs), 300 ms filter", _pyaec),
    "livekit": ("livekit rtc.AudioProcessingModule (AEC3 + HPF)", _livekit),
    "off": ("no echo cancellation (raw mic)", _ours("off")),
}


def measure(make: Callable[[], Processor], scene: EchoScene) -> tuple[float, float, int, float]:
    process = make()
    start = time.process_time()
    out = process(scene.near, scene.far)
    cpu = time.process_time() - start
    r = scene.rate
    dt = round(scene.double_talk_s * r)
    erle = erle_db(scene.near, out, 3 * r, dt)
    corr, lag = best_lag_correlation(out, scene.talker, dt, len(out) - 1000, r // 20)
    return erle, corr, lag, cpu / (len(out) / r) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--quick", action="store_true", help="only the 40 ms / 300 ms scene")
    parser.add_argument("--drift", action="store_true", help="only the clock-drift table")
    parser.add_argument("--rooms", action="store_true", help="only the room-scene table")
    parser.add_argument("--seeds", default="16,17,18", help="room scenes' seeds")
    parser.add_argument("--kinds", default=",".join(SCENE_KINDS), help="room scene kinds")
    args = parser.parse_args()
    far = speech(FAR_TEXT)
    near = speech(NEAR_TEXT, voice="en-us+f3")
    if args.rooms:
        engines = args.engines if args.engines != ",".join(ENGINES) else "kalman,webrtc"
        seeds = [int(x) for x in args.seeds.split(",")]
        rooms_table(far, near, engines.split(","), seeds, args.kinds.split(","))
        return
    if args.drift:
        drift_table(far, near)
        return
    scenes = [(40, 300)] if args.quick else SCENES
    built = {s: make_scene(far, near, delay_ms=s[0], tail_ms=s[1]) for s in scenes}
    header = " | ".join(f"{d} ms / {t} ms tail" for d, t in scenes)
    print(f"| engine | {header} | CPU ms per s |")
    print("|---|" + "---|" * len(scenes) + "---|")
    for name in args.engines.split(","):
        title, make = ENGINES[name]
        cells: list[str] = []
        cpus: list[float] = []
        try:
            for s in scenes:
                erle, corr, _lag, cpu = measure(make, built[s])
                ok = "" if erle >= 30 and corr >= 0.85 else " ✗"
                cells.append(f"{erle:.1f} dB / {corr:.2f}{ok}")
                cpus.append(cpu)
        except (ImportError, OSError) as exc:
            print(f"| {name}: {title} | skipped: {exc} |", flush=True)
            continue
        except Exception as exc:  # an engine's own failure is a result, not a crash
            print(f"| {name}: {title} | failed: {type(exc).__name__}: {exc} |", flush=True)
            continue
        print(f"| {name}: {title} | " + " | ".join(cells) + f" | {min(cpus):.0f} |", flush=True)
    if not args.quick:
        drift_table(far, near)


def _pesq(clean: npt.NDArray[np.float64], out: Int16Array) -> float | None:
    """Wide-band PESQ of ``out`` against ``clean`` (None if the ``pesq`` package is absent)."""
    try:
        from pesq import pesq  # type: ignore[import-not-found]
    except ImportError:
        return None
    ref = np.clip(clean, -1.0, 1.0)
    return float(pesq(RATE, ref, out.astype(np.float64) / 32768.0, "wb"))


def rooms_table(
    far: npt.NDArray[np.float64],
    near: npt.NDArray[np.float64],
    engines: list[str],
    seeds: list[int],
    kinds: list[str],
) -> None:
    """Each room scene kind and engine: the figures of every seed, mean and worst."""
    talkers = (near, speech(NEAR_TEXT, voice="en-gb+m3"))
    print(
        "| scene | engine | ERLE first 2 s | settled | 2 s after change | DT corr "
        "| PESQ (raw mic) | CPU ms per s |"
    )
    print("|---|---|---|---|---|---|---|---|")

    def cell(values: list[float], bar: float, fmt: str = ".1f") -> str:
        mean, worst = float(np.mean(values)), min(values)
        mark = "" if worst >= bar else " ✗"
        if len(values) == 1:
            return f"{mean:{fmt}}{mark}"
        return f"{mean:{fmt}} ({worst:{fmt}}){mark}"

    for kind in kinds:
        scenes = [make_room_scene(kind, far, talkers, seed=seed) for seed in seeds]  # type: ignore[arg-type]
        for name in engines:
            make = ENGINES[name][1]
            figs, pesqs, raws, cpus = [], [], [], []
            try:
                for scene in scenes:
                    process = make()
                    start = time.process_time()
                    out = process(scene.near, scene.far)
                    cpus.append((time.process_time() - start) / (len(out) / RATE) * 1000)
                    fig = room_figures(scene, out)
                    figs.append(fig)
                    dt = round(scene.double_talk_s * RATE)
                    end = len(out) - 1000
                    clean = scene.talker[dt:end]
                    score = _pesq(clean, out[dt + fig.dt_lag : end + fig.dt_lag])
                    raw = _pesq(clean, scene.near[dt:end])
                    if score is not None and raw is not None:
                        pesqs.append(score)
                        raws.append(raw)
            except (ImportError, OSError) as exc:
                print(f"| {kind} | {name} | skipped: {exc} |", flush=True)
                continue
            after = [f.after_change_db for f in figs if f.after_change_db is not None]
            pesq_cell = f"{np.mean(pesqs):.2f} ({np.mean(raws):.2f})" if pesqs else "-"
            print(
                f"| {kind} | {name} "
                f"| {cell([f.first_db for f in figs], 25.0)} "
                f"| {cell([f.settled_db for f in figs], 30.0)} "
                f"| {cell(after, 25.0) if after else '-'} "
                f"| {cell([f.dt_corr for f in figs], 0.85, '.2f')} "
                f"| {pesq_cell} | {np.mean(cpus):.0f} |",
                flush=True,
            )
    print(f"\nseeds {', '.join(map(str, seeds))}; cells: mean (worst) over seeds")


def drift_table(far: npt.NDArray[np.float64], near: npt.NDArray[np.float64]) -> None:
    """The default engine when the mic's clock runs fast (+) or slow (-) against the speaker's.

    "canceller alone": ``EchoCanceller.process`` given the echo resampled onto the drifting
    mic clock, as before the pipeline compensated (the reference).  "pipeline": the same
    scene through ``AudioPipeline`` with fake devices whose clocks differ by that much
    (``echo_scene.play_through_pipeline``), which fits the clocks and reads the far end
    at their ratio; once with exact callback times, once with the times scattered by
    1 ms (every 50th 5 ms late), as real callbacks are.  ERLE over 3-13 s of the mic's
    timeline (and 8-13 s: after the jittery fit has settled), DT corr over 13-20 s.
    """
    import soxr

    print()
    print(
        "| clock drift (40 ms / 300 ms scene) | canceller alone: ERLE 3-13 s / DT corr "
        "| pipeline with drift compensation: ERLE 3-13 s / 8-13 s / DT corr | drift fitted "
        "| same, 1 ms callback jitter | drift fitted |"
    )
    print("|---|---|---|---|---|---|")
    scene = make_scene(far, near, delay_ms=40, tail_ms=300)
    rest = scene.near.astype(np.float64) / 32767 - scene.echo  # near talker and noise
    room = room_response(RATE, 40, 300)  # make_scene's room (same seed)
    r = scene.rate
    dt = round(scene.double_talk_s * r)
    for ppm in (0, 20, -20, 50, -50, 100, -100, 200, -200):
        echo = scene.echo
        if ppm:
            res = soxr.resample(echo, r, r * (1 + ppm * 1e-6), quality="VHQ")
            echo = np.pad(res, (0, max(0, len(echo) - len(res))))[: len(echo)]
        mic = np.clip(np.round((echo + rest) * 32767), -32768, 32767).astype(np.int16)
        out = EchoCanceller(r).process(mic, scene.far)
        corr, _ = best_lag_correlation(out, scene.talker, dt, len(out) - 1000, r // 20)
        alone = f"{erle_db(mic, out, 3 * r, dt):.1f} dB / {corr:.2f}"
        cells = [alone]
        for jitter in (0.0, 0.001):
            mic2, sent, stats = play_through_pipeline(
                scene.far, room, rest, ppm=ppm, jitter_s=jitter, seed=abs(ppm)
            )
            end = min(len(mic2), len(sent))
            corr2, _ = best_lag_correlation(sent[:end], scene.talker, dt, end - 1000, r // 20)
            erle3 = erle_db(mic2[:end], sent[:end], 3 * r, dt)
            erle8 = erle_db(mic2[:end], sent[:end], 8 * r, dt)
            cells.append(f"{erle3:.1f} / {erle8:.1f} dB / {corr2:.2f}")
            fitted = -stats["clock_drift_ppm"]  # far per mic sample is 1 / (1 + ppm)
            cells.append(f"{fitted:+.1f} ppm")
        print(f"| {ppm:+d} ppm | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
