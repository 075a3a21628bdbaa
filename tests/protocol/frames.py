"""Server frames shaped like the real service's (Developer API and Vertex), for tests and bench.

The shapes follow the fact sheet (docs/protocol.md): the Developer API pretty-prints with a
2-space indent and writes ``audio/pcm;rate=24000``; Vertex adds ``role: model``, a
``sessionId`` on setupComplete, UUID call ids, plain ``audio/pcm`` and its own usage names.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from typing import Any

__all__ = [
    "audio_chunk",
    "pcm_tone",
    "pretty",
    "recorded_dev_session",
    "recorded_vertex_session",
]


def pcm_tone(milliseconds: int, rate: int, hz: float = 440.0) -> bytes:
    """A 16-bit mono sine tone: realistic, incompressible-ish audio bytes."""
    count = rate * milliseconds // 1000
    return struct.pack(
        f"<{count}h",
        *(int(12000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(count)),
    )


def pretty(message: dict[str, Any]) -> bytes:
    """A binary frame as the Developer API sends it: pretty-printed UTF-8 JSON."""
    return json.dumps(message, indent=2).encode()


def audio_chunk(pcm: bytes, mime: str = "audio/pcm;rate=24000", *, vertex: bool = False) -> bytes:
    turn: dict[str, Any] = {
        "parts": [{"inlineData": {"mimeType": mime, "data": base64.b64encode(pcm).decode()}}]
    }
    if vertex:
        turn["role"] = "model"
    return pretty({"serverContent": {"modelTurn": turn}})


def recorded_dev_session() -> list[bytes]:
    """One audio turn on the Developer API, frame by frame."""
    pcm = pcm_tone(40, 24000)
    return [
        pretty({"setupComplete": {}}),
        pretty({"serverContent": {"inputTranscription": {"text": " What's the"}}}),
        pretty({"serverContent": {"inputTranscription": {"text": " time?", "finished": True}}}),
        audio_chunk(pcm),
        pretty({"serverContent": {"outputTranscription": {"text": "It is"}}}),
        pretty({"serverContent": {"outputTranscription": {}}}),
        audio_chunk(pcm),
        pretty({"serverContent": {"generationComplete": True}}),
        pretty(
            {
                "serverContent": {"turnComplete": True},
                "usageMetadata": {
                    "promptTokenCount": 120,
                    "responseTokenCount": 30,
                    "totalTokenCount": 150,
                    "promptTokensDetails": [
                        {"modality": "AUDIO", "tokenCount": 100},
                        {"modality": "TEXT", "tokenCount": 20},
                    ],
                    "responseTokensDetails": [{"modality": "AUDIO", "tokenCount": 30}],
                    "serviceTier": "standard",
                },
            }
        ),
        pretty({"sessionResumptionUpdate": {"newHandle": "CiQ0ZjBk", "resumable": True}}),
        pretty(
            {
                "toolCall": {
                    "functionCalls": [
                        {"id": "function-call-1234", "name": "get_time", "args": {"tz": "UTC"}}
                    ]
                }
            }
        ),
        pretty({"goAway": {"timeLeft": "50s"}}),
    ]


def recorded_vertex_session() -> list[bytes]:
    """The same kinds of frames as Vertex writes them (compact JSON, text frames)."""
    pcm = pcm_tone(40, 24000)
    return [
        json.dumps(
            {"setupComplete": {"sessionId": "6b1f7f0e-2c1e-4f5e-9d59-0d3f5d0a7e11"}}
        ).encode(),
        audio_chunk(pcm, "audio/pcm", vertex=True),
        json.dumps(
            {
                "toolCall": {
                    "functionCalls": [
                        {
                            "id": "0b6c3b4e-6f7e-4a55-8a2a-8c6f4a8e1c21",
                            "name": "get_time",
                            "args": {"tz": "UTC"},
                        }
                    ]
                }
            }
        ).encode(),
        json.dumps(
            {
                "usageMetadata": {
                    "promptTokenCount": 10,
                    "candidatesTokenCount": 4,
                    "totalTokenCount": 14,
                    "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": 4}],
                    "trafficType": "ON_DEMAND",
                }
            }
        ).encode(),
        json.dumps(
            {
                "sessionResumptionUpdate": {
                    "newHandle": "vtx-handle",
                    "resumable": True,
                    "lastConsumedClientMessageIndex": "9007199254740993",
                }
            }
        ).encode(),
    ]
