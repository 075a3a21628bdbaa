"""The voice pipeline: mic to 16 kHz chunks with echo cancellation, model audio to speaker.

Threads, not the event loop.  The audio callbacks only copy into preallocated rings (and
note the time); one worker thread does everything else, every 5 ms:

mic:      input callback -> mic ring -> downmix -> resample to 16 kHz -> echo cancellation
          against the far-end reference -> noise suppression / gain (10 ms frames) ->
          ``send(chunk)`` every ``chunk_ms`` (16 kHz mono s16le bytes)
speaker:  ``play(pcm24k)`` -> queue -> resample to the device rate -> speaker ring ->
          output callback (pre-roll, underruns counted, flush on barge-in)
far end:  the output callback copies exactly what it handed to the device into the played
          ring; the worker resamples it to 16 kHz and lines it up with the mic using the
          callback times and the latencies PortAudio reports, minus a safety margin; the
          echo canceller's own delay estimator finds the rest.
drift:    each stream's true rate is fitted from its callback readings over up to 30 s; the
          far end is read at the ratio of the two clocks (fractional positions), so the
          echo path stays put for the canceller when mic and speaker are separate devices.

``send`` and ``on_error`` are called on the worker thread: the caller bridges them to its
event loop.  ``pump()`` is the worker's step; tests call it directly with a fake backend.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from gemini_live_tui.audio.aec import EchoCanceller, EngineName
from gemini_live_tui.audio.devices import AudioBackend, AudioStream, SoundDeviceBackend
from gemini_live_tui.audio.drift import ClockRate, FractionalReader, shrink
from gemini_live_tui.audio.levels import LevelMeter, Levels
from gemini_live_tui.audio.resample import StreamResampler
from gemini_live_tui.audio.ring import RingBuffer
from gemini_live_tui.errors import AudioError

__all__ = ["SEND_RATE", "AudioPipeline", "AudioSettings"]

SEND_RATE = 16000  # what the Live API takes
MODEL_RATE = 24000  # what it sends back
FRAME = SEND_RATE // 100  # 10 ms: the unit of echo cancellation and noise suppression
# The far-end reference is given this much earlier than the timing says, so that a
# latency misreport cannot make the echo arrive before its reference (non-causal).
ALIGN_MARGIN_S = 0.04
ECHO_TAIL_S = 0.3  # half duplex keeps the mic muted this long after the speaker stops
MAX_HOLD_S = 0.06  # longest a mic frame waits for its far-end reference
MIN_READINGS = 16  # callbacks of each stream before the far end is lined up
# A fitted clock ratio further from 1 than this is a misreading (real crystals differ by
# well under 1000 ppm); the far end is then read at the nominal rate.
MAX_DRIFT = 1e-3
# The ratio is applied once its standard error is this small (immediately with steady
# callback times; after ~6 s with 1 ms of jitter), and then shrunk by what is left of it.
MAX_DRIFT_ERROR = 20e-6

Float32Array = npt.NDArray[np.float32]


@dataclass(frozen=True)
class AudioSettings:
    """What the user can choose (flags and config keys of the same names)."""

    input_device: str | int | None = None
    output_device: str | int | None = None
    chunk_ms: int = 40
    aec: bool = True
    aec_engine: EngineName = "kalman"
    duplex: Literal["full", "half"] = "full"
    noise_suppression: int = 2  # webrtc-noise-gain level 0 (off) .. 4
    auto_gain: int = 0  # webrtc-noise-gain target dBFS 0 (off) .. 31; off: AGC pumps with AEC
    preroll_ms: int = 100
    buffer_s: float = 120.0  # speaker ring: a whole reply arrives faster than real time
    input_rate: int | None = SEND_RATE  # tried first; the device default otherwise
    output_rate: int | None = MODEL_RATE

    def __post_init__(self) -> None:
        if not 20 <= self.chunk_ms <= 100 or self.chunk_ms % 10:
            raise AudioError(f"chunk_ms {self.chunk_ms}: must be 20-100 in steps of 10")
        if self.duplex not in ("full", "half"):
            raise AudioError(f"duplex {self.duplex!r}: must be 'full' or 'half'")
        if not 0 <= self.noise_suppression <= 4:
            raise AudioError(f"noise_suppression {self.noise_suppression}: must be 0-4")
        if not 0 <= self.auto_gain <= 31:
            raise AudioError(f"auto_gain {self.auto_gain}: must be 0-31")
        if not 0 <= self.preroll_ms <= 1000:
            raise AudioError(f"preroll_ms {self.preroll_ms}: must be 0-1000")


@dataclass
class _Counters:
    chunks_sent: int = 0
    frames_sent: int = 0
    frames_muted: int = 0
    far_missing_frames: int = 0
    flushes: int = 0
    play_dropped_bytes: int = 0
    errors: int = 0
    latency_ms: deque[float] = field(default_factory=lambda: deque(maxlen=200))


_END = b""  # queue marker: the current reply is complete


class AudioPipeline:
    """Full-duplex voice I/O for one session.

    Args:
        send: receives each 16 kHz mono s16le chunk (on the worker thread).
        settings: devices, chunk size, echo cancellation, duplex, noise suppression.
        backend: audio device backend (PortAudio by default, a fake in tests).
        on_error: receives one-line messages about failed or vanished devices.
        clock: monotonic seconds; the fake backend's clock in tests.
        start_worker: run the worker thread (tests turn it off and call ``pump()``).
    """

    def __init__(
        self,
        send: Callable[[bytes], None],
        settings: AudioSettings | None = None,
        *,
        backend: AudioBackend | None = None,
        on_error: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        start_worker: bool = True,
    ) -> None:
        self.settings = settings or AudioSettings()
        self._send = send
        self._backend: AudioBackend = backend or SoundDeviceBackend()
        self._on_error = on_error or (lambda message: None)
        self._clock = clock
        self._counters = _Counters()
        self.mic_meter = LevelMeter(clock=clock)
        self.speaker_meter = LevelMeter(clock=clock)
        self._lock = threading.RLock()  # start/stop vs the worker; never taken by callbacks
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._device_errors: deque[str] = deque()
        # Mic state.
        self._in: AudioStream | None = None
        self._mic_ring: RingBuffer | None = None
        self._mic_rs: StreamResampler | None = None
        self._mic_pending = np.zeros(0, dtype=np.float32)
        self._mic_index = 0  # 16 kHz samples processed since capture started
        self._in_t0: float | None = None  # capture time of the first mic sample
        self._in_frames = 0
        self._in_total = 0  # device frames delivered by the input callback
        self._in_mark: tuple[float, int] | None = None  # (time of last callback, _in_total)
        self._chunk = bytearray()
        self._chunk_bytes = self.settings.chunk_ms * SEND_RATE // 1000 * 2
        self._aec: EchoCanceller | None = None
        self._ns: Any = None
        # Speaker state.
        self._out: AudioStream | None = None
        self._spk_ring: RingBuffer | None = None
        self._played: RingBuffer | None = None
        self._spk_rs: StreamResampler | None = None
        self._far_rs: StreamResampler | None = None
        self._far = FractionalReader(SEND_RATE * 2)  # 16 kHz far end, absolute indices
        self._out_t0: float | None = None  # play time of the first speaker sample
        self._out_total = 0  # device frames handed to the output callback's buffers
        self._out_mark: tuple[float, int] | None = None  # (callback time, frames before it)
        # Recent estimates of each stream's sample-0 time; their medians are the anchors.
        self._in_t0s: deque[float] = deque(maxlen=64)
        self._out_t0s: deque[float] = deque(maxlen=64)
        self._seen_marks: tuple[Any, Any] = (None, None)
        self._offset: int | None = None  # far index minus mic index (16 kHz), as applied
        # Clock drift: each stream's fitted rate, far samples per mic sample, and the far
        # position's accumulated difference from ``index + offset`` (16 kHz samples).
        self._in_clock = ClockRate()
        self._out_clock = ClockRate()
        self._ratio = 1.0
        self._drift = 0.0
        self._readings = 0
        self._queue: queue.SimpleQueue[tuple[int, int, bytes]] = queue.SimpleQueue()
        self._pending_play: deque[Float32Array] = deque()
        self._gen = 0  # bumped by flush(); the output callback discards on change
        self._seen_gen = 0
        self._worker_gen = 0
        self._playing = False
        self._reply_ended = True
        self._preroll = 0
        self._far_active_until = 0.0
        if start_worker:
            self._worker = threading.Thread(target=self._run, name="audio-worker", daemon=True)
            self._worker.start()

    # ----------------------------------------------------------------- control

    @property
    def capturing(self) -> bool:
        return self._in is not None

    @property
    def playing_enabled(self) -> bool:
        return self._out is not None

    def start_capture(self) -> None:
        """Open the mic and start sending chunks; raises AudioError with one clear line."""
        with self._lock:
            if self._in is not None:
                return
            channels = 1
            stream = self._backend.open_input(
                self.settings.input_device,
                samplerate=self.settings.input_rate,
                channels=channels,
                blocksize=0,
                callback=self._input_callback,
                on_error=self._device_error,
            )
            rate = stream.samplerate
            self._mic_ring = RingBuffer(rate * 2, channels, np.float32)
            self._mic_rs = StreamResampler(rate, SEND_RATE)
            self._mic_pending = np.zeros(0, dtype=np.float32)
            self._mic_index = 0
            self._in_t0 = None
            self._in_t0s.clear()
            self._offset = None
            self._in_clock.reset()
            self._ratio = 1.0
            self._in_frames = 0
            self._in_total = 0
            self._in_mark = None
            self._chunk = bytearray()
            self._aec = (
                EchoCanceller(SEND_RATE, engine=self.settings.aec_engine)
                if self.settings.aec
                else None
            )
            self._ns = self._make_noise_processor()
            self._in = stream
            try:
                stream.start()
            except AudioError:
                self._in = None
                stream.close()
                raise

    def stop_capture(self) -> None:
        """Close the mic; whole 10 ms frames already captured are still sent."""
        with self._lock:
            stream, self._in = self._in, None
            if stream is None:
                return
            stream.stop()
            stream.close()
            self._process_mic(final=True)
            if self._chunk:
                self._emit(bytes(self._chunk))
                self._chunk = bytearray()
            self.mic_meter.reset()

    def start_playback(self) -> None:
        """Open the speaker; model audio given to ``play()`` is heard from now on."""
        with self._lock:
            if self._out is not None:
                return
            stream = self._backend.open_output(
                self.settings.output_device,
                samplerate=self.settings.output_rate,
                channels=1,
                blocksize=0,
                callback=self._output_callback,
                on_error=self._device_error,
            )
            rate = stream.samplerate
            self._spk_ring = RingBuffer(int(rate * self.settings.buffer_s), 1, np.float32)
            self._played = RingBuffer(rate * 2, 1, np.float32)
            self._spk_rs = StreamResampler(MODEL_RATE, rate)
            self._far_rs = StreamResampler(rate, SEND_RATE)
            self._far.reset()
            self._out_clock.reset()
            self._ratio = 1.0
            self._out_t0 = None
            self._out_t0s.clear()
            self._out_total = 0
            self._out_mark = None
            self._offset = None
            self._preroll = rate * self.settings.preroll_ms // 1000
            self._playing = False
            self._reply_ended = True
            self._pending_play.clear()
            self._out = stream
            try:
                stream.start()
            except AudioError:
                self._out = None
                stream.close()
                raise

    def stop_playback(self) -> None:
        with self._lock:
            stream, self._out = self._out, None
            if stream is None:
                return
            stream.stop()
            stream.close()
            self._pending_play.clear()
            self.speaker_meter.reset()

    def play(self, pcm: bytes, *, sample_rate: int = MODEL_RATE) -> None:
        """Queue model audio (mono s16le, 24 kHz unless told); dropped when playback is off."""
        if self._out is None:
            self._counters.play_dropped_bytes += len(pcm)
            return
        if pcm:
            self._queue.put((self._gen, sample_rate, pcm))

    def end_of_reply(self) -> None:
        """The model finished its turn: play out what is buffered, even under the pre-roll."""
        self._queue.put((self._gen, MODEL_RATE, _END))

    def flush(self) -> None:
        """Barge-in: silence within one output callback and drop everything queued."""
        self._gen += 1
        self._counters.flushes += 1

    def levels(self) -> tuple[Levels, Levels]:
        """(mic after echo cancellation, speaker as played), for the UI's ~20 Hz timer."""
        return self.mic_meter.snapshot(), self.speaker_meter.snapshot()

    def statistics(self) -> dict[str, Any]:
        c = self._counters
        lat = list(c.latency_ms)
        stats: dict[str, Any] = {
            "capturing": self.capturing,
            "playing": self.playing_enabled,
            "chunks_sent": c.chunks_sent,
            "seconds_sent": c.frames_sent / SEND_RATE,
            "frames_muted": c.frames_muted,
            "far_missing_frames": c.far_missing_frames,
            "flushes": c.flushes,
            "play_dropped_bytes": c.play_dropped_bytes,
            "errors": c.errors,
            "mic_to_wire_ms": max(lat) if lat else None,
            "mic_to_wire_ms_median": float(np.median(lat)) if lat else None,
            "clock_drift_ppm": (self._ratio - 1.0) * 1e6,
        }
        if self._mic_ring is not None:
            stats["mic_overruns"] = self._mic_ring.overruns
        if self._spk_ring is not None:
            stats["speaker_underruns"] = self._spk_ring.underruns
            stats["speaker_buffered_s"] = self._spk_ring.available() / max(
                1, self._out.samplerate if self._out else 1
            )
        if self._aec is not None:
            stats["aec"] = self._aec.statistics()
        return stats

    def close(self) -> None:
        """Stop both streams and the worker thread (joined)."""
        self.stop_capture()
        self.stop_playback()
        self._stop.set()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=5)

    # --------------------------------------------------------------- callbacks

    def _input_callback(self, data: Float32Array, now: float) -> None:
        # Runs on the PortAudio thread: copy, note the time, nothing else.
        ring = self._mic_ring
        if ring is None:
            return
        ring.write(data)
        self._in_total += len(data)
        self._in_mark = (now, self._in_total)  # one atomic assignment: a consistent pair

    def _output_callback(self, out: Float32Array, now: float) -> None:
        # Runs on the PortAudio thread: copy from the ring, note the time, nothing else.
        ring, played = self._spk_ring, self._played
        if ring is None or played is None:
            out.fill(0)
            return
        self._out_mark = (now, self._out_total)  # one atomic assignment: a consistent pair
        self._out_total += out.shape[0]
        if self._seen_gen != self._gen:  # barge-in: drop the reply, play silence now
            self._seen_gen = self._gen
            ring.discard()
            self._playing = False
            out.fill(0)
        else:
            if not self._playing:
                ready = ring.available()
                if ready and (ready >= self._preroll or self._reply_ended):
                    self._playing = True
            if self._playing:
                got = ring.read_into(out, count_underrun=not self._reply_ended)
                if got < out.shape[0]:
                    self._playing = False  # wait for the pre-roll again: no stutter
            else:
                out.fill(0)
        played.write(out[:, :1] if out.ndim == 2 else out)

    def _device_error(self, message: str) -> None:
        # PortAudio thread: the worker closes the stream and tells the user.
        self._device_errors.append(message)

    # ------------------------------------------------------------------ worker

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            try:
                self.pump()
            except Exception as exc:  # keep the voice loop alive; say what broke
                self._counters.errors += 1
                self._on_error(f"audio: {type(exc).__name__}: {exc}")

    def pump(self) -> None:
        """Do all the work that is ready: device errors, speaker feed, far end, mic."""
        with self._lock:
            while self._device_errors:
                message = self._device_errors.popleft()
                self._counters.errors += 1
                if message.startswith("input") and self._in is not None:
                    stream, self._in = self._in, None
                    stream.close()
                elif message.startswith("output") and self._out is not None:
                    stream, self._out = self._out, None
                    stream.close()
                self._on_error(message)
            self._feed_speaker()
            self._update_alignment()
            self._collect_far()
            if self._in is not None:
                self._process_mic(final=False)

    def _feed_speaker(self) -> None:
        ring, rs = self._spk_ring, self._spk_rs
        if self._worker_gen != self._gen:
            self._worker_gen = self._gen
            self._pending_play.clear()
            if rs is not None:
                rs.reset()
        while True:
            try:
                gen, rate, pcm = self._queue.get_nowait()
            except queue.Empty:
                break
            if gen != self._gen or ring is None or rs is None:
                continue
            if pcm != _END and rate != rs.in_rate and self._out is not None:
                rs = self._spk_rs = StreamResampler(rate, self._out.samplerate)
            if pcm == _END:
                tail = rs.flush()
                if len(tail):
                    self._pending_play.append(tail)
                self._pending_play.append(np.zeros(0, dtype=np.float32))  # end marker
                continue
            samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32)
            self._pending_play.append(rs.process(samples / 32768.0))
        if ring is None:
            return
        while self._pending_play:
            block = self._pending_play[0]
            if len(block) == 0:  # end of reply reached the ring
                self._pending_play.popleft()
                self._reply_ended = True
                continue
            if len(block) > ring.free():
                if len(block) > ring.capacity:  # can never fit whole: split it
                    self._pending_play.popleft()
                    half = len(block) // 2
                    self._pending_play.appendleft(block[half:])
                    self._pending_play.appendleft(block[:half])
                    continue
                break  # a full ring just means "later": the rest waits in the queue
            ring.write(block)
            self._reply_ended = False
            self._pending_play.popleft()
            if self._gen != self._worker_gen:  # a flush raced this write: flush again
                self._gen += 1

    def _update_alignment(self) -> None:
        """Re-derive when each stream's sample 0 was captured / played, from every callback.

        A stream's first callbacks can come long before its clock really runs (PulseAudio
        prefills, then starts a second later), so one early reading is not to be trusted:
        the anchors are medians of recent readings, and the offset is set once 16 readings
        of each stream are in.  After that it only moves for a jump of more than 100 ms (a
        device restarted): every move shifts the echo path under the adaptive filter and
        costs it seconds of re-convergence.  Slow clock drift is not a jump: each stream's
        rate is fitted from the same readings and the far end is read at their ratio.
        """
        in_mark, out_mark = self._in_mark, self._out_mark
        if (in_mark, out_mark) == self._seen_marks:
            return
        self._seen_marks = (in_mark, out_mark)
        stream_in, stream_out = self._in, self._out
        rate_in = rate_out = None
        if in_mark is not None and stream_in is not None:
            t, total = in_mark
            self._in_t0s.append(t - stream_in.latency - total / stream_in.samplerate)
            rate_in = self._in_clock.add(t, total)
        if out_mark is not None and stream_out is not None:
            t, before = out_mark
            self._out_t0s.append(t + stream_out.latency - before / stream_out.samplerate)
            rate_out = self._out_clock.add(t, before)
        if rate_in and rate_out and stream_in is not None and stream_out is not None:
            # Far samples per mic sample: each device's true rate over its nominal one.
            ratio = (rate_out / stream_out.samplerate) / (rate_in / stream_in.samplerate)
            error = float(np.hypot(self._in_clock.error, self._out_clock.error))
            if abs(ratio - 1.0) <= MAX_DRIFT and error <= MAX_DRIFT_ERROR:
                self._ratio = 1.0 + shrink(ratio - 1.0, error)
        self._readings += 1
        if min(len(self._in_t0s), len(self._out_t0s)) < MIN_READINGS:
            return
        if self._offset is not None and self._readings % MIN_READINGS:
            return  # once lined up, a look every 16 readings is enough to see a jump
        self._in_t0 = float(np.median(self._in_t0s))
        self._out_t0 = float(np.median(self._out_t0s))
        target = round((self._in_t0 - self._out_t0 + ALIGN_MARGIN_S) * SEND_RATE)
        # The anchors use nominal rates, so with drift the target moves just as the far
        # position does (offset + drift): only a real jump differs from it.
        if self._offset is None or abs(target - self._offset - self._drift) > SEND_RATE // 10:
            self._offset = target
            self._drift = 0.0

    def _collect_far(self) -> None:
        played, rs = self._played, self._far_rs
        if played is None or rs is None or not played.available():
            return
        block = played.read_all()[:, 0]
        self.speaker_meter.update(block)
        if float(np.max(np.abs(block))) > 1e-3:
            self._far_active_until = self._clock() + ECHO_TAIL_S
        # Nobody may be consuming the far end (mic off): it keeps only the newest 2 s.
        self._far.write(rs.process(block))

    def _frames_with_reference(self, whole: int) -> int:
        """How many of ``whole`` pending mic samples to process now (whole frames).

        The echo canceller needs the far end from a little before each mic sample; with
        small device latencies that audio reaches the played ring a few milliseconds after
        the mic sample itself.  Rather than cancel against silence, mic frames wait for it,
        up to ``MAX_HOLD_S``.
        """
        offset = self._offset
        if self._aec is None or self._out is None or offset is None:
            return whole
        # Interpolating (drift) needs a few samples past each position; one spare for
        # the drift within the frames.
        after = 0 if self._ratio == 1.0 else self._far.half + 1
        first = offset + self._drift + self._mic_index
        ready = max(0, int(self._far.end - after - first)) // FRAME * FRAME
        if ready >= whole or whole - ready > MAX_HOLD_S * SEND_RATE:
            return whole
        return ready

    def _far_block(self, index: int, count: int) -> npt.NDArray[np.int16]:
        """The far-end samples played while mic samples ``index..index+count`` were captured."""
        out = np.zeros(count, dtype=np.int16)
        offset = self._offset
        if self._out is None or offset is None:
            if self._out is not None:
                self._counters.far_missing_frames += count // FRAME
            return out
        start = index + offset + self._drift
        block, missing = self._far.read(start, count, self._ratio)
        self._drift += count * (self._ratio - 1.0)
        out[:] = np.clip(np.round(block * 32767.0), -32768, 32767)
        if missing > 0:
            self._counters.far_missing_frames += -(-missing // FRAME)
        return out

    def _process_mic(self, *, final: bool) -> None:
        ring, rs = self._mic_ring, self._mic_rs
        if ring is None or rs is None:
            return
        if ring.available():
            data = ring.read_all()
            mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
            self._in_frames += len(mono)
            self._mic_pending = np.concatenate((self._mic_pending, rs.process(mono)))
        if final:
            self._mic_pending = np.concatenate((self._mic_pending, rs.flush()))
        whole = len(self._mic_pending) // FRAME * FRAME
        if not final:
            whole = self._frames_with_reference(whole)
        if not whole:
            return
        frames = self._mic_pending[:whole]
        self._mic_pending = self._mic_pending[whole:]
        near = np.clip(np.round(frames * 32767.0), -32768, 32767).astype(np.int16)
        index = self._mic_index
        self._mic_index += whole
        # All whole frames of this pump in one call: per-call overhead is what costs here.
        far = self._far_block(index, whole)
        out = self._aec.process(near, far) if self._aec is not None else near
        if self.settings.duplex == "half" and (
            self._playing or self._clock() < self._far_active_until
        ):
            out = np.zeros(whole, dtype=np.int16)
            self._counters.frames_muted += whole
        raw = out.astype("<i2").tobytes()
        if self._ns is not None:
            step = 2 * FRAME
            raw = b"".join(
                self._ns.Process10ms(raw[i : i + step]).audio for i in range(0, len(raw), step)
            )
            out = np.frombuffer(raw, dtype="<i2")
        self.mic_meter.update(out)
        pos = 0
        while pos < len(raw):
            room = self._chunk_bytes - len(self._chunk)
            self._chunk += raw[pos : pos + room]
            pos = min(pos + room, len(raw))
            if len(self._chunk) >= self._chunk_bytes:
                self._emit(bytes(self._chunk))
                self._chunk = bytearray()
                self._note_latency(index + pos // 2)

    def _note_latency(self, end_index: int) -> None:
        """Capture of the chunk's last sample to its hand-off.

        The sample's device frame is counted back from the newest input callback: it was
        captured (frames after it) / rate before that callback's data left the device,
        which was the reported input latency before the callback ran.
        """
        mark, stream = self._in_mark, self._in
        if mark is None or stream is None:
            return
        delay = self._aec.delay_samples if self._aec is not None else 0
        rate = stream.samplerate
        frame = (end_index - delay) * rate / SEND_RATE
        callback_time, total = mark
        behind = max(0.0, total - frame) / rate
        latency = self._clock() - callback_time + stream.latency + behind
        self._counters.latency_ms.append(latency * 1000.0)

    def _emit(self, chunk: bytes) -> None:
        self._counters.chunks_sent += 1
        self._counters.frames_sent += len(chunk) // 2
        self._send(chunk)

    def _make_noise_processor(self) -> Any:
        if not self.settings.noise_suppression and not self.settings.auto_gain:
            return None
        try:
            from webrtc_noise_gain import AudioProcessor
        except ImportError:  # no wheel for this platform: run without NS/AGC
            return None
        return AudioProcessor(self.settings.auto_gain, self.settings.noise_suppression)
