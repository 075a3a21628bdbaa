// Model speech playback on the audio thread: the page posts Float32Array chunks at the
// context's rate (24 kHz); this plays them back to back and outputs silence when the
// queue runs dry.  A "flush" message drops everything queued (the user interrupted).
class PlaybackProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.current = null;
    this.offset = 0;
    this.port.onmessage = (event) => {
      if (event.data === "flush") {
        this.queue = [];
        this.current = null;
        this.offset = 0;
      } else {
        this.queue.push(event.data);
      }
    };
  }

  process(inputs, outputs) {
    const output = outputs[0][0];
    let written = 0;
    while (written < output.length) {
      if (this.current === null) {
        this.current = this.queue.shift() || null;
        this.offset = 0;
        if (this.current === null) break;
      }
      const count = Math.min(output.length - written, this.current.length - this.offset);
      output.set(this.current.subarray(this.offset, this.offset + count), written);
      written += count;
      this.offset += count;
      if (this.offset >= this.current.length) this.current = null;
    }
    output.fill(0, written);
    for (let channel = 1; channel < outputs[0].length; channel++) {
      outputs[0][channel].set(output);
    }
    return true;
  }
}

registerProcessor("playback-processor", PlaybackProcessor);
