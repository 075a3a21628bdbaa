"""--wire-log: one JSON line per frame each way, payloads as byte counts, secrets masked."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

from gemini_live_tui.live import Auth, Session
from gemini_live_tui.live.wire_log import WireLog
from gemini_live_tui.protocol import events
from gemini_live_tui.text_safety import MASK
from tests.live.scripted import Peer, scripted_server
from tests.live.test_session_scripted import RecordingSleep, make_config, wait_for_event

KEY = "AIzaSecretKey-0123456789"


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_frames_both_ways_and_reconnect_decisions_are_logged_masked(tmp_path: Path) -> None:
    pcm = base64.b64encode(b"\1\0" * 4800).decode()

    async def first(peer: Peer) -> None:
        await peer.accept_setup()
        await peer.send({"sessionResumptionUpdate": {"newHandle": "handle-XYZ", "resumable": True}})
        audio = {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": pcm}}
        await peer.send({"serverContent": {"modelTurn": {"parts": [audio]}}})
        await peer.send({"serverContent": {"modelTurn": {"parts": [{"text": f"echo {KEY}"}]}}})
        await peer.recv()
        await peer.recv()
        peer.drop()

    async def second(peer: Peer) -> None:
        await peer.accept_setup()
        while True:
            await peer.recv()

    path = tmp_path / "wire.jsonl"
    path.write_text("")
    path.chmod(0o644)  # an existing file is made private too
    wire = WireLog.open(path, secrets=[KEY])
    async with scripted_server(first, second) as server:
        config = make_config(server.url, auth=Auth.api_key(KEY))
        session = await Session.connect(config, sleep=RecordingSleep(), wire_log=wire)
        await wait_for_event(session, events.ModelText)
        await session.send_audio(b"\0\0" * 160)
        await session.send_text(f"my key is {KEY}")
        await wait_for_event(session, events.Reconnected)
        await session.close()
    wire.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert KEY not in text and "handle-XYZ" not in text and pcm not in text
    logged = lines(path)
    frames = [line for line in logged if "dir" in line]
    assert {line["dir"] for line in frames} == {"send", "recv"}
    assert all(line["size"] > 0 and line["conn"] >= 1 for line in frames)
    setup = next(line["message"]["setup"] for line in frames if "setup" in line["message"])
    assert setup["model"] == "models/test"
    parts = [
        part
        for line in frames
        for part in line["message"].get("serverContent", {}).get("modelTurn", {}).get("parts", [])
    ]
    assert parts[0]["inlineData"] == {"mimeType": "audio/pcm;rate=24000", "data": {"bytes": 9600}}
    sent_audio = next(
        line["message"]["realtimeInput"]["audio"]
        for line in frames
        if "audio" in line["message"].get("realtimeInput", {})
    )
    assert sent_audio["data"] == {"bytes": 320}
    update = next(
        line["message"]["sessionResumptionUpdate"]
        for line in frames
        if "sessionResumptionUpdate" in line["message"]
    )
    assert update["newHandle"] == MASK
    decisions = [line["decision"] for line in logged if "decision" in line]
    assert any("reconnect attempt 1" in d for d in decisions)
    assert any(d.startswith("connect 2") for d in decisions)


def test_a_frame_that_is_not_json_is_logged_by_size(tmp_path: Path) -> None:
    wire = WireLog.open(tmp_path / "w.jsonl", clock=lambda: 12.5)
    wire.received(3, b"\xff\x00 not json")
    wire.close()
    (line,) = lines(tmp_path / "w.jsonl")
    assert line == {"ts": 12.5, "conn": 3, "dir": "recv", "size": 11, "undecodable": True}
