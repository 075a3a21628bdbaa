"""One browser WebSocket joined to one Live :class:`~gemini_live_tui.live.Session`.

The bridge reads the browser's setup, opens the upstream session, then runs two pumps
(browser to session, session to browser) and a session clock until one of them ends.
Everything the session absorbs (reconnects, ``goAway``, resumption) stays invisible to
the browser: it sees one continuous conversation.  What ends the bridge decides how the
browser's socket closes:

==============================  =========================================================
browser left                    the upstream session is closed, nothing more is sent
bad setup or garbage frame      ``{"error"}`` then close 1007 (1009 if too big)
upstream refused or failed      ``{"error"}`` then close 1011; no session stays open
session time limit              ``{"goAway"}`` shortly before, then close 1000
==============================  =========================================================

A page learns only generic reasons for upstream failures (the code and this package's own
hint): an upstream's words can echo the API key or describe the deployment, so they go to
the proxy's log, masked, and not to the browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from gemini_live_tui.config import qualified_model_name
from gemini_live_tui.engine.setup import ConversationOptions, setup_for
from gemini_live_tui.errors import LiveError, SetupRejected, close_hint
from gemini_live_tui.live import (
    Auth,
    Endpoint,
    ReconnectPolicy,
    Session,
    SessionConfig,
    TransportConfig,
)
from gemini_live_tui.protocol import events, types
from gemini_live_tui.server import browser_protocol as bp
from gemini_live_tui.server.settings import ServerSettings
from gemini_live_tui.text_safety import safe

__all__ = [
    "BridgeStatistics",
    "BrowserBridge",
    "SessionFactory",
    "build_setup",
    "event_frame",
    "upstream_transport",
]

logger = logging.getLogger(__name__)

# Browser commands waiting for the upstream send; beyond this the browser is not read.
_MAX_QUEUED_COMMANDS = 256
# The largest audio message made from queued chunks: 1 s of 16 kHz 16-bit audio.
_MAX_BATCH_BYTES = 32_000

SessionFactory = Callable[[SessionConfig], Awaitable[Session]]


@dataclasses.dataclass(slots=True)
class BridgeStatistics:
    """Counters shared by every bridge of one app (a snapshot is taken for /api/health)."""

    active: int = 0
    sessions: int = 0
    rejected_setups: int = 0
    upstream_failures: int = 0
    frames_from_browser: int = 0
    frames_to_browser: int = 0


def upstream_transport(settings: ServerSettings, *, local_url: str = "") -> TransportConfig:
    """The endpoint and credential every upstream session uses."""
    if settings.backend == "vertex":
        return TransportConfig(endpoint=Endpoint.vertex(settings.location), auth=Auth.vertex_adc())
    if settings.backend == "gemini":
        return TransportConfig(endpoint=Endpoint.gemini(), auth=Auth.api_key(settings.api_key))
    url = local_url if settings.backend == "local" else settings.live_url
    auth = Auth.api_key(settings.api_key) if settings.api_key else Auth.none()
    return TransportConfig(endpoint=Endpoint.custom(url), auth=auth)


def build_setup(browser: bp.BrowserSetup, settings: ServerSettings) -> types.SetupConfig:
    """The upstream ``setup`` for a browser's validated setup, by the app's one builder.

    The page chooses voice, language, modalities, sampling and its functions; the server's
    settings choose the model, VAD and context-window compression.
    """
    tools: tuple[types.Tool, ...] = ()
    if browser.function_declarations:
        tools = (
            types.Tool(
                function_declarations=[
                    types.FunctionDeclaration(
                        name=d.name, description=d.description or None, parameters=d.parameters
                    )
                    for d in browser.function_declarations
                ]
            ),
        )
    vertex = settings.backend == "vertex"
    return setup_for(
        ConversationOptions(
            model=qualified_model_name(
                settings.model,
                vertex_project=settings.project_id if vertex else None,
                vertex_location=settings.location if vertex else None,
            ),
            response_modalities=tuple(types.Modality(m) for m in browser.response_modalities),
            voice=browser.voice_name,
            language_code=browser.language_code,
            system_instruction=browser.system_instruction,
            temperature=browser.temperature,
            top_p=browser.top_p,
            top_k=None if browser.top_k is None else float(browser.top_k),
            max_output_tokens=browser.max_output_tokens,
            seed=browser.seed,
            vad=settings.vad,
            compression=settings.compression,
            input_transcription=browser.input_transcription,
            output_transcription=browser.output_transcription,
            tools=tools,
        )
    )


# Each event kind the browser sees, as camelCase JSON shaped like the Live API's messages.
# Session-internal events (upstream goAway, resumption handles, reconnects) map to None.
def event_frame(event: events.Event) -> str | bytes | None:
    """The browser frame for one session event, or None if the browser must not see it."""
    if isinstance(event, events.ModelAudio):
        return event.data
    payload: dict[str, Any]
    if isinstance(event, events.ModelText):
        part: dict[str, Any] = {"text": event.text}
        if event.thought:
            part["thought"] = True
        payload = {"serverContent": {"modelTurn": {"parts": [part]}}}
    elif isinstance(event, events.InputTranscription):
        payload = {
            "serverContent": {
                "inputTranscription": {"text": event.text, "finished": event.finished}
            }
        }
    elif isinstance(event, events.OutputTranscription):
        payload = {
            "serverContent": {
                "outputTranscription": {"text": event.text, "finished": event.finished}
            }
        }
    elif isinstance(event, events.TurnComplete):
        content: dict[str, Any] = {"turnComplete": True}
        if event.reason:
            content["turnCompleteReason"] = event.reason
        payload = {"serverContent": content}
    elif isinstance(event, events.GenerationComplete):
        payload = {"serverContent": {"generationComplete": True}}
    elif isinstance(event, events.Interrupted):
        payload = {"serverContent": {"interrupted": True}}
    elif isinstance(event, events.ToolCall):
        payload = {
            "toolCall": {
                "functionCalls": [
                    {"id": call.id, "name": call.name, "args": call.args or {}}
                    for call in event.calls
                ]
            }
        }
    elif isinstance(event, events.ToolCallCancellation):
        payload = {"toolCallCancellation": {"ids": list(event.ids)}}
    elif isinstance(event, events.Usage):
        payload = {"usageMetadata": event.metadata}
    elif isinstance(event, events.VoiceActivity):
        payload = {"voiceActivity": {"kind": event.kind}}
    else:
        return None
    return bp.encode_json(payload)


class _Finished(Exception):
    """Internal: how a bridge ended, with what the browser should be told."""

    def __init__(self, code: int, reason: str, *, error: bool) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.error = error


class BrowserBridge:
    """Serves one accepted browser WebSocket until it ends.

    Args:
        websocket: the accepted browser connection.
        settings: limits and the model.
        transport: where upstream sessions go.
        statistics: counters shared by the app's bridges.
        connect: opens the upstream session (``Session.connect``; injectable for tests).
        clock: monotonic seconds, for the session time limit.
    """

    def __init__(
        self,
        websocket: WebSocket,
        *,
        settings: ServerSettings,
        transport: TransportConfig,
        statistics: BridgeStatistics,
        connect: SessionFactory = Session.connect,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ws = websocket
        self._settings = settings
        self._transport = transport
        self._stats = statistics
        self._connect = connect
        self._clock = clock
        self._send_lock = asyncio.Lock()

    async def run(self) -> None:
        """Serve the connection; returns once both sides are closed."""
        self._stats.active += 1
        session: Session | None = None
        try:
            setup = await self._receive_setup()
            if setup is None:
                return
            session = await self._open_session(setup)
            await self._send({"setupComplete": {}})
            outcome = await self._serve(session)
            await self._finish(outcome)
        except _Finished as outcome:
            await self._finish(outcome)
        except (WebSocketDisconnect, OSError):
            pass  # the browser left while the upstream session was being opened
        finally:
            self._stats.active -= 1
            if session is not None:
                with contextlib.suppress(Exception):
                    await session.close()

    async def _receive_setup(self) -> bp.BrowserSetup | None:
        try:
            message = await asyncio.wait_for(
                self._ws.receive(), timeout=self._settings.setup_timeout
            )
        except TimeoutError:
            self._stats.rejected_setups += 1
            raise _Finished(
                bp.CLOSE_POLICY, "setup: no setup message within the time allowed", error=True
            ) from None
        frame = _frame_of(message)
        if frame is None:
            return None
        if len(frame) > self._settings.max_message_bytes:
            raise _Finished(bp.CLOSE_TOO_BIG, "setup: over the size limit", error=True)
        try:
            return bp.parse_setup(frame)
        except bp.BrowserProtocolError as exc:
            self._stats.rejected_setups += 1
            raise _Finished(exc.close_code, str(exc), error=True) from None

    async def _open_session(self, setup: bp.BrowserSetup) -> Session:
        config = SessionConfig(
            transport=self._transport,
            setup=build_setup(setup, self._settings),
            reconnect=ReconnectPolicy(),
        )
        try:
            session = await self._connect(config)
        except SetupRejected as exc:
            self._stats.upstream_failures += 1
            self._log_upstream("refused the setup", exc)
            raise _Finished(
                bp.CLOSE_UPSTREAM_ERROR,
                _generic("upstream refused the setup", exc.code),
                error=True,
            ) from None
        except LiveError as exc:
            self._stats.upstream_failures += 1
            self._log_upstream("unavailable", exc)
            raise _Finished(bp.CLOSE_UPSTREAM_ERROR, "upstream unavailable", error=True) from None
        self._stats.sessions += 1
        return session

    async def _serve(self, session: Session) -> _Finished:
        queue: asyncio.Queue[bp.BrowserCommand] = asyncio.Queue(maxsize=_MAX_QUEUED_COMMANDS)
        tasks = {
            asyncio.create_task(self._read_browser(queue), name="browser-in"),
            asyncio.create_task(self._send_upstream(session, queue), name="upstream-send"),
            asyncio.create_task(self._session_to_browser(session), name="browser-out"),
            asyncio.create_task(self._session_clock(), name="session-clock"),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        task = done.pop()
        exc = task.exception()
        if isinstance(exc, _Finished):
            return exc
        if isinstance(exc, WebSocketDisconnect | OSError):
            return _Finished(bp.CLOSE_NORMAL, "", error=False)  # the browser vanished mid-send
        if exc is not None:
            logger.warning("bridge task %s failed: %s", task.get_name(), type(exc).__name__)
            return _Finished(bp.CLOSE_UPSTREAM_ERROR, "proxy error", error=True)
        return _Finished(bp.CLOSE_NORMAL, "", error=False)

    async def _read_browser(self, queue: asyncio.Queue[bp.BrowserCommand]) -> None:
        """Read and validate browser frames for :meth:`_send_upstream`.

        Reading and sending are separate tasks so that when the upstream socket pushes back
        (a slow server) the microphone chunks that pile up meanwhile go out together as one
        larger audio message: nothing is dropped or delayed further, and the per-message
        cost that made the server slow is paid once for the batch.  When upstream keeps
        up, each chunk goes out alone, at once.
        """
        limit = self._settings.max_audio_frame_bytes
        text_limit = self._settings.max_message_bytes
        receive = self._ws.receive
        stats = self._stats
        while True:
            frame = _frame_of(await receive())
            if frame is None:
                raise _Finished(bp.CLOSE_NORMAL, "", error=False)  # the browser left
            stats.frames_from_browser += 1
            if isinstance(frame, str) and len(frame) > text_limit:
                # uvicorn enforces ws_max_size already; this holds under any ASGI server.
                raise _Finished(bp.CLOSE_TOO_BIG, "message over the size limit", error=True)
            try:
                command = bp.parse_command(frame, max_audio_bytes=limit)
            except bp.BrowserProtocolError as exc:
                raise _Finished(exc.close_code, str(exc), error=True) from None
            # A full queue (upstream stalled) makes this wait: backpressure to the browser.
            await queue.put(command)

    async def _send_upstream(
        self, session: Session, queue: asyncio.Queue[bp.BrowserCommand]
    ) -> None:
        pending: bp.BrowserCommand | None = None
        while True:
            command = pending if pending is not None else await queue.get()
            pending = None
            if isinstance(command, bp.AudioChunk) and not queue.empty():
                # Chunks that queued up while the last send waited: send them as one.
                parts = [command.data]
                size = len(command.data)
                while not queue.empty() and size < _MAX_BATCH_BYTES:
                    following = queue.get_nowait()
                    if not isinstance(following, bp.AudioChunk):
                        pending = following  # keep the order: it goes out next
                        break
                    parts.append(following.data)
                    size += len(following.data)
                command = bp.AudioChunk(b"".join(parts))
            try:
                await self._forward(session, command)
            except LiveError as exc:
                self._log_upstream("send failed", exc)
                raise _Finished(
                    bp.CLOSE_UPSTREAM_ERROR, "upstream send failed", error=True
                ) from None

    @staticmethod
    async def _forward(session: Session, command: bp.BrowserCommand) -> None:
        if isinstance(command, bp.AudioChunk):
            await session.send_audio(command.data, sample_rate=16000)
        elif isinstance(command, bp.TextMessage):
            await session.send_text(command.text)
        elif isinstance(command, bp.ImageFrame):
            await session.send_video(command.data, mime_type=command.mime_type)
        elif isinstance(command, bp.ToolResponse):
            await session.send_tool_response(
                [
                    types.FunctionResponse(id=r.id, name=r.name, response=r.response)
                    for r in command.results
                ]
            )
        else:
            await session.audio_stream_end()

    async def _session_to_browser(self, session: Session) -> None:
        stats = self._stats
        async for event in session.events():
            if isinstance(event, events.Closed):
                stats.upstream_failures += 1
                self._log_upstream("session ended", f"code {event.code}: {event.reason}")
                reason = _generic("upstream session ended", event.code)
                raise _Finished(bp.CLOSE_UPSTREAM_ERROR, reason, error=True)
            frame = event_frame(event)
            if frame is None:
                continue
            async with self._send_lock:
                if isinstance(frame, bytes):
                    await self._ws.send_bytes(frame)
                else:
                    await self._ws.send_text(frame)
            stats.frames_to_browser += 1
        raise _Finished(bp.CLOSE_UPSTREAM_ERROR, "upstream session ended", error=True)

    async def _session_clock(self) -> None:
        limit = self._settings.session_time_limit
        warning = min(self._settings.session_warning, limit / 2)
        start = self._clock()
        await asyncio.sleep(max(0.0, limit - warning - (self._clock() - start)))
        async with self._send_lock:
            await self._ws.send_text(bp.time_limit_warning(limit - (self._clock() - start)))
        await asyncio.sleep(max(0.0, limit - (self._clock() - start)))
        raise _Finished(bp.CLOSE_NORMAL, "session time limit reached", error=False)

    def _log_upstream(self, what: str, detail: object) -> None:
        """The upstream's own words, for the operator: escapes stripped, credential masked."""
        secret = self._transport.auth.secret
        text = safe(str(detail), [secret.reveal()] if secret is not None else [])
        logger.warning("upstream %s: %s", what, " ".join(text.split())[:300])

    async def _send(self, payload: object) -> None:
        async with self._send_lock:
            await self._ws.send_text(bp.encode_json(payload))

    async def _finish(self, outcome: _Finished) -> None:
        """Tell the browser why it ends (if it is still there) and close its socket."""
        if self._ws.client_state != WebSocketState.CONNECTED:
            return
        with contextlib.suppress(Exception):
            if outcome.error:
                async with self._send_lock:
                    await self._ws.send_text(bp.error_message(outcome.reason, code=outcome.code))
            await self._ws.close(code=outcome.code, reason=_close_reason(outcome.reason))


def _frame_of(message: Any) -> str | bytes | None:
    """The payload of an ASGI websocket message, or None when the browser disconnected."""
    if message["type"] == "websocket.disconnect":
        return None
    data = message.get("bytes")
    if data is not None:
        return bytes(data)
    text = message.get("text")
    return text if text is not None else ""


def _generic(what: str, code: int) -> str:
    """``what (code N: our hint)``: all a page learns of an upstream failure."""
    hint = close_hint(code)
    return f"{what} (code {code}: {hint})" if hint else f"{what} (code {code})"


def _close_reason(reason: str) -> str:
    """A close reason fits in 123 UTF-8 bytes; cut longer ones on a character boundary."""
    encoded = reason.encode("utf-8")
    if len(encoded) <= 123:
        return reason
    return encoded[:120].decode("utf-8", "ignore") + "..."
