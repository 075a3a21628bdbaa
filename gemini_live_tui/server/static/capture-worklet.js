// Microphone capture on the audio thread: mono float samples at the context's rate in,
// 16 kHz 16-bit PCM chunks of 40 ms (640 samples) out to the page, which sends each one
// as a binary WebSocket frame.  Resampling is linear interpolation: the context rate is
// whatever the browser chose (often 48 kHz), and speech needs nothing finer.
const TARGET_RATE = 16000;
const CHUNK = 640;

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / TARGET_RATE;
    this.position = 0;
    this.previous = 0;
    this.chunk = new Int16Array(CHUNK);
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const samples = input[0];
    // position runs over the virtual sequence [previous, samples...] in input samples.
    while (this.position < samples.length) {
      const index = Math.floor(this.position);
      const fraction = this.position - index;
      const left = index === 0 ? this.previous : samples[index - 1];
      const right = samples[index];
      const value = left + (right - left) * fraction;
      const clamped = Math.max(-1, Math.min(1, value));
      this.chunk[this.filled++] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
      if (this.filled === CHUNK) {
        this.port.postMessage(this.chunk.buffer, [this.chunk.buffer]);
        this.chunk = new Int16Array(CHUNK);
        this.filled = 0;
      }
      this.position += this.step;
    }
    this.position -= samples.length;
    this.previous = samples[samples.length - 1];
    return true;
  }
}

registerProcessor("capture-processor", CaptureProcessor);
