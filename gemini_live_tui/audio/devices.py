"""Audio devices: listing them and opening callback streams (the only sounddevice importer).

Everything above this module talks to an :class:`AudioBackend`; the production one is
:class:`SoundDeviceBackend` (PortAudio through sounddevice), the test one is
``gemini_live_tui.audio.fakes.FakeAudioBackend``.  Stream callbacks receive float32
``(frames, channels)`` arrays plus the monotonic time the callback started, which the
pipeline uses with the reported latency to line the speaker up with the mic.

PortAudio missing, a device name that matches nothing, a device that refuses to open or
one that vanishes mid-stream all become one-line :class:`AudioError` messages (or an
``on_error`` call for the vanishing case) that name the device and the reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from gemini_live_tui.errors import AudioError

__all__ = [
    "AudioBackend",
    "AudioStream",
    "DeviceInfo",
    "InputCallback",
    "OutputCallback",
    "SoundDeviceBackend",
    "format_devices",
]

Float32Array = npt.NDArray[np.float32]
InputCallback = Callable[[Float32Array, float], None]
OutputCallback = Callable[[Float32Array, float], None]
ErrorCallback = Callable[[str], None]


@dataclass(frozen=True)
class DeviceInfo:
    """One PortAudio device as the user sees it."""

    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    is_default_input: bool = False
    is_default_output: bool = False


class AudioStream(Protocol):
    """A started-or-stopped callback stream."""

    samplerate: int
    channels: int
    blocksize: int
    latency: float  # seconds between the device and the callback, as reported

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...

    @property
    def active(self) -> bool: ...


class AudioBackend(Protocol):
    """Where streams come from (real PortAudio or a fake driven by a test clock)."""

    def list_devices(self) -> list[DeviceInfo]: ...

    def open_input(
        self,
        device: str | int | None,
        *,
        samplerate: int | None,
        channels: int,
        blocksize: int,
        callback: InputCallback,
        on_error: ErrorCallback,
    ) -> AudioStream: ...

    def open_output(
        self,
        device: str | int | None,
        *,
        samplerate: int | None,
        channels: int,
        blocksize: int,
        callback: OutputCallback,
        on_error: ErrorCallback,
    ) -> AudioStream: ...


def format_devices(devices: list[DeviceInfo]) -> list[str]:
    """One line per device for ``/devices``: index, direction, defaults, name, rate."""
    lines = []
    for dev in devices:
        kinds = []
        if dev.max_input_channels:
            kinds.append("in*" if dev.is_default_input else "in")
        if dev.max_output_channels:
            kinds.append("out*" if dev.is_default_output else "out")
        lines.append(
            f"{dev.index:>3}  {'/'.join(kinds):<8} {dev.name} "
            f"({dev.hostapi}, {dev.default_samplerate:.0f} Hz)"
        )
    return lines


def _quiet_alsa() -> Any:
    """Stop ALSA printing its messages (underruns, probing) over the terminal UI.

    Returns the installed handler, which the caller must keep alive; None off Linux.
    """
    name = ctypes.util.find_library("asound")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
        prototype = ctypes.CFUNCTYPE(
            None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
        )
        handler = prototype(lambda *args: None)
        lib.snd_lib_error_set_handler(handler)
    except (OSError, AttributeError):
        return None
    return handler


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:
        raise AudioError(
            "audio unavailable: the PortAudio library is not installed "
            "(Debian/Ubuntu: apt install libportaudio2; macOS: brew install portaudio)"
        ) from exc
    except ImportError as exc:
        raise AudioError("audio unavailable: the sounddevice package is not installed") from exc
    return sounddevice


class _SdStream:
    """Wraps a sounddevice stream; reports an unexpected stop through ``on_error``."""

    def __init__(self, stream: Any, label: str, channels: int, blocksize: int) -> None:
        self._stream = stream
        self._label = label
        self.samplerate = int(stream.samplerate)
        self.channels = channels
        self.blocksize = blocksize
        latency = stream.latency
        self.latency = float(latency[0] if isinstance(latency, tuple) else latency)
        self.stopping = False

    def start(self) -> None:
        self.stopping = False
        try:
            self._stream.start()
        except Exception as exc:
            raise AudioError(f"{self._label}: cannot start ({exc})") from exc

    def stop(self) -> None:
        self.stopping = True
        with contextlib.suppress(Exception):  # a vanished device cannot be stopped
            self._stream.stop()

    def close(self) -> None:
        self.stopping = True
        with contextlib.suppress(Exception):
            self._stream.close()

    @property
    def active(self) -> bool:
        return bool(self._stream.active)


class SoundDeviceBackend:
    """PortAudio through sounddevice; imported on first use so the app runs without it."""

    def __init__(self) -> None:
        self._alsa_handler = _quiet_alsa()  # kept here: ALSA calls it for the whole run

    def list_devices(self) -> list[DeviceInfo]:
        sd = _sounddevice()
        try:
            devices = sd.query_devices()
            hostapis = sd.query_hostapis()
            default_in, default_out = sd.default.device
        except Exception as exc:
            raise AudioError(f"audio devices: cannot list them ({exc})") from exc
        out = []
        for index, dev in enumerate(devices):
            out.append(
                DeviceInfo(
                    index=index,
                    name=str(dev["name"]),
                    hostapi=str(hostapis[dev["hostapi"]]["name"]),
                    max_input_channels=int(dev["max_input_channels"]),
                    max_output_channels=int(dev["max_output_channels"]),
                    default_samplerate=float(dev["default_samplerate"]),
                    is_default_input=index == default_in,
                    is_default_output=index == default_out,
                )
            )
        return out

    def _resolve(self, device: str | int | None, kind: str) -> int | None:
        """A device index from an index, a name (substring, any case) or None (default)."""
        if device is None or device == "" or device == "default":
            # PortAudio says "Error querying device -1" when there is no default device;
            # ask first so the user reads what is really wrong.
            default = _sounddevice().default.device[0 if kind == "input" else 1]
            if default is None or int(default) < 0:
                raise AudioError(f"{kind} device default: no {kind} device found (see /devices)")
            return None
        if isinstance(device, int) or (isinstance(device, str) and device.strip().isdigit()):
            return int(device)
        needle = str(device).lower()
        key = "max_input_channels" if kind == "input" else "max_output_channels"
        devices = self.list_devices()
        exact = [d.index for d in devices if d.name.lower() == needle and getattr(d, key)]
        if exact:
            return exact[0]
        matches = [d.index for d in devices if needle in d.name.lower() and getattr(d, key)]
        if not matches:
            raise AudioError(f"{kind} device {device!r}: no such device (see /devices)")
        return matches[0]

    def _open(
        self,
        kind: str,
        device: str | int | None,
        samplerate: int | None,
        channels: int,
        blocksize: int,
        callback: Callable[[Any, float], None],
        on_error: ErrorCallback,
    ) -> AudioStream:
        sd = _sounddevice()
        index = self._resolve(device, kind)
        label = f"{kind} device {device if device not in (None, '') else 'default'}"
        cls = sd.InputStream if kind == "input" else sd.OutputStream
        holder: dict[str, _SdStream] = {}

        if kind == "input":

            def sd_callback(indata: Any, frames: int, timing: Any, status: Any) -> None:
                callback(indata, time.monotonic())

        else:

            def sd_callback(outdata: Any, frames: int, timing: Any, status: Any) -> None:  # type: ignore[misc]
                callback(outdata, time.monotonic())

        def finished() -> None:
            wrapped = holder.get("stream")
            if wrapped is not None and not wrapped.stopping:
                on_error(f"{label} stopped (unplugged or failed)")

        rates: list[int | None] = [samplerate, None] if samplerate else [None]
        last: Exception | None = None
        for rate in rates:
            try:
                if rate is None:
                    info = sd.query_devices(index, kind)
                    rate = int(info["default_samplerate"])
                stream = cls(
                    device=index,
                    samplerate=rate,
                    channels=channels,
                    blocksize=blocksize,
                    dtype="float32",
                    # Mic: low latency (it adds to mic-to-wire time).  Speaker: 60 ms of
                    # device buffer rides out the GIL pauses of a busy UI thread without
                    # underruns; a flush still silences our side within one callback.
                    latency="low" if kind == "input" else 0.06,
                    callback=sd_callback,
                    finished_callback=finished,
                )
            except Exception as exc:
                last = exc
                continue
            wrapped = _SdStream(stream, label, channels, blocksize)
            holder["stream"] = wrapped
            return wrapped
        raise AudioError(f"{label}: cannot open ({last})") from last

    def open_input(
        self,
        device: str | int | None,
        *,
        samplerate: int | None,
        channels: int,
        blocksize: int,
        callback: InputCallback,
        on_error: ErrorCallback,
    ) -> AudioStream:
        return self._open("input", device, samplerate, channels, blocksize, callback, on_error)

    def open_output(
        self,
        device: str | int | None,
        *,
        samplerate: int | None,
        channels: int,
        blocksize: int,
        callback: OutputCallback,
        on_error: ErrorCallback,
    ) -> AudioStream:
        return self._open("output", device, samplerate, channels, blocksize, callback, on_error)
