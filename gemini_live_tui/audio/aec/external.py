"""Packaged cancellers behind our engine interface: WebRTC AEC3 (pywebrtc-audio) and SpeexDSP."""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
from typing import Any

import numpy as np

from gemini_live_tui.audio.aec.base import Int16Array
from gemini_live_tui.errors import AudioError


class WebRtcEngine:
    """pywebrtc-audio's WebRTC AEC3 (optional package ``pywebrtc-audio``)."""

    def __init__(self, sample_rate: int, block: int) -> None:
        try:
            module: Any = importlib.import_module("pywebrtc_audio")
        except ImportError as exc:
            raise AudioError("echo canceller engine webrtc: pip install pywebrtc-audio") from exc
        self._proc: Any = module.AudioProcessor(
            sample_rate=sample_rate,
            num_channels=1,
            echo_cancellation=True,
            noise_suppression=False,
            high_pass_filter=False,
            auto_gain_control=False,
        )
        self.block = block
        self.delay_samples = 0

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array:
        out = self._proc.process(near, far)
        return np.asarray(out, dtype=np.int16).reshape(-1)[: len(near)]

    def statistics(self) -> dict[str, float]:
        return {}


class SpeexEngine:
    """libspeexdsp's MDF echo canceller through ctypes (Debian ``libspeexdsp1``)."""

    def __init__(self, sample_rate: int, block: int, filter_ms: int) -> None:
        name = ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1"
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            raise AudioError("echo canceller engine speex: libspeexdsp is not installed") from exc
        lib.speex_echo_state_init.restype = ctypes.c_void_p
        lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] * 4
        lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
        self._lib = lib
        self._state = lib.speex_echo_state_init(block, filter_ms * sample_rate // 1000)
        rate = ctypes.c_int(sample_rate)
        lib.speex_echo_ctl(self._state, 24, ctypes.byref(rate))  # SPEEX_ECHO_SET_SAMPLING_RATE
        self._out = np.zeros(block, dtype=np.int16)
        self.block = block
        self.delay_samples = 0

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array:
        near_c = np.ascontiguousarray(near)
        far_c = np.ascontiguousarray(far)
        self._lib.speex_echo_cancellation(
            self._state,
            near_c.ctypes.data,
            far_c.ctypes.data,
            self._out.ctypes.data,
        )
        return self._out.copy()

    def statistics(self) -> dict[str, float]:
        return {}

    def __del__(self) -> None:
        state = getattr(self, "_state", None)
        if state:
            self._lib.speex_echo_state_destroy(state)
            self._state = None
