// The try-it page: gets a one-time token, opens /ws, sends the setup, then streams the
// microphone (AudioWorklet, 16 kHz PCM) and typed text or images, and shows and plays
// what comes back (24 kHz PCM through a playback worklet).  Plain JavaScript, no build.

const $ = (id) => document.getElementById(id);
const log = $("log");
const statusLine = $("status");

let socket = null;
let playback = null;   // {context, node}
let capture = null;    // {context, node, stream}
let modelLine = null;  // the reply being written
let userLine = null;   // the transcript of what the user is saying

// Counters for the curious (and the browser test): open the console, read geminiLive.stats.
const stats = { audioChunksSent: 0, audioChunksPlayed: 0, audioBytesPlayed: 0, messages: 0 };
window.geminiLive = { stats };

function setStatus(text, state) {
  statusLine.textContent = text;
  statusLine.dataset.state = state;
}

function addLine(kind, text) {
  const line = document.createElement("div");
  line.className = `msg ${kind}`;
  line.textContent = text;
  log.append(line);
  log.scrollTop = log.scrollHeight;
  return line;
}

function appendModel(text) {
  if (!modelLine) modelLine = addLine("model", "");
  modelLine.textContent += text;
  log.scrollTop = log.scrollHeight;
}

function setConnected(connected) {
  $("connect").disabled = connected;
  $("disconnect").disabled = !connected;
  $("mic").disabled = !connected;
  $("text").disabled = !connected;
  $("send").disabled = !connected;
  $("image").disabled = !connected;
  $("settings").querySelectorAll("select, input, textarea")
    .forEach((element) => { element.disabled = connected; });
}

function buildSetup() {
  const setup = {
    generation_config: {
      response_modalities: [$("modality").value],
      speech_config: { voice_config: { prebuilt_voice_config: { voice_name: $("voice").value } } },
    },
    system_instruction: { parts: [{ text: $("instruction").value }] },
    input_audio_transcription: $("transcribe").checked,
    output_audio_transcription: $("transcribe").checked,
  };
  if ($("demo-tool").checked) {
    setup.tools = {
      function_declarations: [{
        name: "get_time",
        description: "The current local time in the user's browser",
        parameters: { type: "object", properties: {} },
      }],
    };
  }
  return { setup };
}

// The one tool this page implements; anything else is answered with an error.
function runTool(call) {
  if (call.name === "get_time") return { output: new Date().toLocaleTimeString() };
  return { error: `unknown function ${call.name}` };
}

async function ensurePlayback() {
  if (playback) return playback;
  const context = new AudioContext({ sampleRate: 24000 });
  await context.audioWorklet.addModule("/static/playback-worklet.js");
  const node = new AudioWorkletNode(context, "playback-processor", { outputChannelCount: [1] });
  node.connect(context.destination);
  playback = { context, node };
  return playback;
}

function playPcm(buffer) {
  if (!playback) return;
  const pcm = new Int16Array(buffer, 0, buffer.byteLength >> 1);
  const samples = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 0x8000;
  playback.node.port.postMessage(samples, [samples.buffer]);
  stats.audioChunksPlayed += 1;
  stats.audioBytesPlayed += buffer.byteLength;
}

function handleMessage(message) {
  if (message.setupComplete) {
    setStatus("connected", "connected");
    setConnected(true);
    return;
  }
  if (message.error) {
    addLine("error", message.error.message);
    setStatus("error", "error");
    return;
  }
  if (message.goAway) {
    addLine("info", `session ends in ${message.goAway.timeLeft}`);
    setStatus(`ending in ${message.goAway.timeLeft}`, "warning");
    return;
  }
  if (message.toolCall) {
    const responses = message.toolCall.functionCalls.map((call) => ({
      id: call.id, name: call.name, response: runTool(call),
    }));
    addLine("info", `tool: ${responses.map((r) => r.name).join(", ")}`);
    socket.send(JSON.stringify({ type: "tool_response", function_responses: responses }));
    return;
  }
  const content = message.serverContent;
  if (!content) return;
  if (content.inputTranscription && content.inputTranscription.text) {
    if (!userLine) userLine = addLine("user", "");
    userLine.textContent += content.inputTranscription.text;
  }
  if (content.modelTurn) {
    for (const part of content.modelTurn.parts || []) {
      if (part.text && !part.thought) appendModel(part.text);
    }
  }
  if (content.outputTranscription && content.outputTranscription.text) {
    appendModel(content.outputTranscription.text);
  }
  if (content.interrupted && playback) playback.node.port.postMessage("flush");
  if (content.turnComplete || content.interrupted) {
    if (modelLine) modelLine.dataset.complete = "true";
    modelLine = null;
    userLine = null;
  }
}

async function connect() {
  $("connect").disabled = true;
  setStatus("connecting", "idle");
  try {
    try {
      await ensurePlayback();
    } catch (error) {
      // No audio output (a headless browser, a blocked device): text still works.
      addLine("info", `audio playback unavailable: ${error.message || error}`);
    }
    const reply = await fetch("/api/auth", { method: "POST" });
    const body = await reply.json();
    if (!reply.ok) throw new Error(body.error || `auth failed (${reply.status})`);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(body.session_token)}`);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => socket.send(JSON.stringify(buildSetup()));
    socket.onmessage = (event) => {
      stats.messages += 1;
      if (event.data instanceof ArrayBuffer) playPcm(event.data);
      else handleMessage(JSON.parse(event.data));
    };
    socket.onclose = (event) => {
      stopMic();
      setConnected(false);
      socket = null;
      const why = event.reason ? `: ${event.reason}` : "";
      const clean = event.code === 1000 || event.code === 1005;
      setStatus(`closed (${event.code}${why})`, clean ? "idle" : "error");
      addLine("info", `connection closed ${event.code}${why}`);
    };
  } catch (error) {
    setStatus(String(error.message || error), "error");
    $("connect").disabled = false;
  }
}

async function startMic() {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  const context = new AudioContext();
  await context.audioWorklet.addModule("/static/capture-worklet.js");
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, "capture-processor", { numberOfInputs: 1 });
  node.port.onmessage = (event) => {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(event.data);
      stats.audioChunksSent += 1;
    }
  };
  source.connect(node);
  capture = { context, node, stream };
  $("mic").textContent = "Microphone off";
  $("mic").setAttribute("aria-pressed", "true");
}

function stopMic() {
  if (!capture) return;
  capture.stream.getTracks().forEach((track) => track.stop());
  capture.context.close();
  capture = null;
  $("mic").textContent = "Microphone on";
  $("mic").setAttribute("aria-pressed", "false");
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({ type: "audio_stream_end" }));
  }
}

function sendImage(file) {
  const reader = new FileReader();
  reader.onload = () => {
    const data = String(reader.result).split(",", 2)[1];
    socket.send(JSON.stringify({ type: "image", data, mime_type: file.type }));
    addLine("user", `[image ${file.name}]`);
  };
  reader.readAsDataURL(file);
}

$("connect").addEventListener("click", connect);
$("disconnect").addEventListener("click", () => { if (socket) socket.close(1000, "user left"); });
$("mic").addEventListener("click", async () => {
  try {
    if (capture) stopMic(); else await startMic();
  } catch (error) {
    addLine("error", `microphone: ${error.message || error}`);
  }
});
$("image").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file && socket) sendImage(file);
  event.target.value = "";
});
$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text || !socket) return;
  socket.send(JSON.stringify({ type: "text", text }));
  addLine("user", text);
  modelLine = null;
  $("text").value = "";
});
