"""Codec benchmark: our msgspec codec against google-genai's own paths, on the same frames.

Run:  python bench/bench_codec.py [--quick]

Decode rows time one server frame from bytes to a typed message; "events" adds
``to_events``. The google-genai column is its ``AsyncSession._receive`` minus the socket
(``json.loads`` + ``_LiveServerMessage_from_mldev`` + ``LiveServerMessage._from_response``);
"bare msgspec" is ``msgspec.json.decode`` of the same bytes into plain dicts.
Encode rows time one ``realtimeInput`` audio frame from PCM bytes; google-genai's column is
``send_realtime_input`` minus the socket (``LiveSendRealtimeInputParameters.model_validate``
+ converter with ``t_audio_blob`` + ``convert_to_dict`` + ``encode_unserializable_types`` +
``json.dumps``).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import math
import platform
import struct
import sys
import timeit
from collections.abc import Callable
from typing import Any

import msgspec

from gemini_live_tui.protocol import codec, types

try:
    import pydantic
    from google import genai
    from google.genai import _common as gcommon
    from google.genai import _live_converters as lc
    from google.genai import types as gt
except ImportError:  # pragma: no cover - the dev extra installs it
    sys.exit("google-genai is needed for the comparison: pip install -e '.[dev]'")


def pcm_tone(milliseconds: int, rate: int) -> bytes:
    count = rate * milliseconds // 1000
    return struct.pack(
        f"<{count}h", *(int(12000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(count))
    )


def pretty(message: dict[str, Any]) -> bytes:
    # The Developer API pretty-prints its frames with a 2-space indent.
    return json.dumps(message, indent=2).encode()


AUDIO_FRAME = pretty(
    {
        "serverContent": {
            "modelTurn": {
                "parts": [
                    {
                        "inlineData": {
                            "mimeType": "audio/pcm;rate=24000",
                            "data": base64.b64encode(pcm_tone(40, 24000)).decode(),
                        }
                    }
                ]
            }
        }
    }
)
TRANSCRIPTION_FRAME = pretty(
    {"serverContent": {"outputTranscription": {"text": " It's a quarter past three."}}}
)
USAGE_FRAME = pretty(
    {
        "usageMetadata": {
            "promptTokenCount": 1834,
            "responseTokenCount": 212,
            "totalTokenCount": 2046,
            "promptTokensDetails": [
                {"modality": "TEXT", "tokenCount": 310},
                {"modality": "AUDIO", "tokenCount": 1524},
            ],
            "responseTokensDetails": [{"modality": "AUDIO", "tokenCount": 212}],
        }
    }
)


def sdk_receive(frame: bytes) -> Any:
    response = json.loads(frame)
    return gt.LiveServerMessage._from_response(
        response=lc._LiveServerMessage_from_mldev(response),
        kwargs=gt.LiveServerMessage().model_dump(),
    )


def sdk_send_audio(pcm: bytes) -> str:
    params = gt.LiveSendRealtimeInputParameters.model_validate(
        {"audio": gt.Blob(data=pcm, mime_type="audio/pcm;rate=16000")}
    )
    body = lc._LiveSendRealtimeInputParameters_to_mldev(from_object=params)
    body = gcommon.encode_unserializable_types(gcommon.convert_to_dict(body))
    return json.dumps({"realtime_input": body})


def ours_struct_audio(pcm: bytes) -> bytes:
    return codec.encode(
        types.RealtimeInput(audio=types.Blob(mime_type="audio/pcm;rate=16000", data=pcm))
    )


def measure(candidates: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Microseconds per call of each candidate: the best batch over interleaved rounds.

    Interleaving the candidates round by round, and keeping each one's fastest batch, keeps
    other processes on a shared machine from favouring whichever ran in a quiet moment.
    """
    batch = {}
    for name, func in candidates.items():
        number, seconds = timeit.Timer(func).autorange()
        batch[name] = max(1, int(number * 0.002 / seconds))  # about 2 ms per batch
    best = dict.fromkeys(candidates, float("inf"))
    for _ in range(rounds):
        for name, func in candidates.items():
            elapsed = timeit.timeit(func, number=batch[name]) / batch[name]
            best[name] = min(best[name], elapsed * 1e6)
    return best


def check_same_results() -> None:
    """The compared paths must produce the same values, or the timing means nothing."""
    pcm = pcm_tone(40, 24000)
    ours = codec.decode(AUDIO_FRAME)
    assert ours.server_content is not None and ours.server_content.model_turn is not None
    assert ours.server_content.model_turn.parts is not None
    assert ours.server_content.model_turn.parts[0].inline_data is not None
    assert (
        ours.server_content.model_turn.parts[0].inline_data.data
        == pcm
        == sdk_receive(AUDIO_FRAME).data
    )
    mic = pcm_tone(20, 16000)
    sdk_frame = json.loads(sdk_send_audio(mic))["realtime_input"]["audio"]
    our_frame = json.loads(codec.encode_audio(mic, 16000))["realtimeInput"]["audio"]
    assert base64.urlsafe_b64decode(sdk_frame["data"]) == base64.b64decode(our_frame["data"])
    assert codec.encode_audio(mic, 16000) == ours_struct_audio(mic)


def audio_data(tree: Any) -> str:
    data: str = tree["serverContent"]["modelTurn"]["parts"][0]["inlineData"]["data"]
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, noisier figures")
    rounds = 10 if parser.parse_args().quick else 60
    check_same_results()

    print(
        f"Python {platform.python_version()}, msgspec {msgspec.__version__}, "
        f"google-genai {genai.__version__}, pydantic {pydantic.__version__}, "
        f"{platform.machine()}, best of {rounds} interleaved rounds"
    )
    print()
    print("Decode (server frame -> typed message), µs per message")
    print(
        f"{'message':<34}{'bytes':>6}{'ours':>8}{'+events':>9}{'genai':>8}{'bare':>7}"
        f"{'bare+b64':>10}{'genai/ours':>12}{'ours/bare':>11}"
    )
    decode_rows = [
        ("serverContent 40 ms 24 kHz audio", AUDIO_FRAME),
        ("outputTranscription", TRANSCRIPTION_FRAME),
        ("usageMetadata", USAGE_FRAME),
    ]
    for name, frame in decode_rows:
        candidates: dict[str, Callable[[], object]] = {
            "ours": lambda f=frame: codec.decode(f),  # type: ignore[misc]
            "events": lambda f=frame: codec.to_events(codec.decode(f)),  # type: ignore[misc]
            "genai": lambda f=frame: sdk_receive(f),  # type: ignore[misc]
            "bare": lambda f=frame: msgspec.json.decode(f),  # type: ignore[misc]
        }
        if frame is AUDIO_FRAME:
            # The same work as ours done by hand: parse, then base64-decode the audio.
            candidates["bare+b64"] = lambda f=frame: binascii.a2b_base64(  # type: ignore[misc]
                audio_data(msgspec.json.decode(f))
            )
        t = measure(candidates, rounds)
        with_b64 = f"{t['bare+b64']:>10.2f}" if "bare+b64" in t else f"{'-':>10}"
        print(
            f"{name:<34}{len(frame):>6}{t['ours']:>8.2f}{t['events']:>9.2f}{t['genai']:>8.1f}"
            f"{t['bare']:>7.2f}{with_b64}{t['genai'] / t['ours']:>11.0f}x"
            f"{t['ours'] / t['bare']:>10.2f}x"
        )

    print()
    print("Encode (PCM -> realtimeInput audio frame), µs per message")
    print(
        f"{'message':<34}{'bytes':>6}{'ours':>8}{'struct':>9}{'genai':>8}"
        f"{'genai/ours':>12}{'genai/struct':>14}"
    )
    for milliseconds in (20, 100):
        pcm = pcm_tone(milliseconds, 16000)
        frame = codec.encode_audio(pcm, 16000)
        t = measure(
            {
                "ours": lambda p=pcm: codec.encode_audio(p, 16000),  # type: ignore[misc]
                "struct": lambda p=pcm: ours_struct_audio(p),  # type: ignore[misc]
                "genai": lambda p=pcm: sdk_send_audio(p),  # type: ignore[misc]
            },
            rounds,
        )
        print(
            f"{f'realtimeInput {milliseconds} ms 16 kHz audio':<34}{len(frame):>6}"
            f"{t['ours']:>8.2f}{t['struct']:>9.2f}{t['genai']:>8.1f}"
            f"{t['genai'] / t['ours']:>11.0f}x{t['genai'] / t['struct']:>13.0f}x"
        )


if __name__ == "__main__":
    main()
