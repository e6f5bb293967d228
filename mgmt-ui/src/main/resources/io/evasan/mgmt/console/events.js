// Server-sent events over fetch(): EventSource cannot send an Authorization header, so the stream
// of GET /api/events is read with a ReadableStream and its frames are parsed here
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
// Reconnects with exponential backoff and jitter; a watchdog aborts a stream that went silent
// (the server sends ": ping" every 15 s).

/** Incremental SSE parser: feed(text) calls onFrame(event, data) per complete frame, onComment(text) per comment. */
export class SseParser {
  constructor(onFrame, onComment = () => {}, onRetry = () => {}) {
    this.onFrame = onFrame;
    this.onComment = onComment;
    this.onRetry = onRetry;
    this.buf = '';
    this.event = '';
    this.data = [];
  }

  feed(text) {
    this.buf += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (!m) return;
      // a lone '\r' at the very end may be the first half of "\r\n": wait for the next chunk
      if (m[0] === '\r' && m.index === this.buf.length - 1) return;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  line(line) {
    if (line === '') {
      if (this.data.length > 0) this.onFrame(this.event || 'message', this.data.join('\n'));
      this.event = '';
      this.data = [];
      return;
    }
    if (line[0] === ':') {
      this.onComment(line.slice(1).trim());
      return;
    }
    const c = line.indexOf(':');
    const field = c < 0 ? line : line.slice(0, c);
    let value = c < 0 ? '' : line.slice(c + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) this.onRetry(Number(value));
  }
}

const SILENCE_MS = 40000;
const MAX_DELAY_MS = 30000;

/**
 * The live connection. Callbacks: onOpen() after each (re)connect (reload what is shown: events
 * were missed while away), onEvent(name, data) per frame (data parsed as JSON), onState(state, info)
 * with 'connecting' | 'live' | 'retrying' {delayMs, attempt, reason} | 'stopped', onUnauthorized().
 */
export class LiveEvents {
  constructor({ url, token, onOpen, onEvent, onState, onUnauthorized }) {
    Object.assign(this, { url, token, onOpen, onEvent, onState, onUnauthorized });
    this.stopped = true;
    this.baseDelay = 1000;
    this.ctrl = null;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.gen = (this.gen || 0) + 1;
    this.run(this.gen);
  }

  /** Ends a wait between attempts now (the appliance answers again): the next attempt starts at once. */
  reconnectNow() {
    if (this.wake) this.wake();
  }

  stop() {
    this.stopped = true;
    if (this.ctrl) this.ctrl.abort();
    if (this.wake) this.wake();
    this.onState('stopped');
  }

  async run(gen) {
    let attempt = 0;
    const current = () => !this.stopped && this.gen === gen;
    while (current()) {
      const ctrl = new AbortController();
      this.ctrl = ctrl;
      let reason = 'closed';
      this.onState('connecting');
      try {
        const r = await fetch(this.url, {
          headers: { Authorization: 'Bearer ' + this.token(), Accept: 'text/event-stream' },
          signal: ctrl.signal,
          cache: 'no-store',
          credentials: 'omit',
        });
        if (!current()) { ctrl.abort(); return; }
        if (r.status === 401) {
          this.stopped = true;
          this.onUnauthorized();
          return;
        }
        if (!r.ok || !r.body) throw new Error('HTTP ' + r.status);
        attempt = 0;
        this.onState('live');
        this.onOpen();
        await this.read(r.body.getReader(), ctrl);
      } catch (e) {
        reason = e.name === 'AbortError' ? 'no data for ' + SILENCE_MS / 1000 + ' s' : e.message;
      }
      if (!current()) return;
      attempt++;
      const delay = Math.min(MAX_DELAY_MS, this.baseDelay * 2 ** Math.min(attempt - 1, 6)) * (0.8 + 0.4 * Math.random());
      this.onState('retrying', { delayMs: delay, attempt, reason });
      await new Promise((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
      this.wake = null;
    }
  }

  async read(reader, ctrl) {
    const decoder = new TextDecoder();
    let watchdog = setTimeout(() => ctrl.abort(), SILENCE_MS);
    const parser = new SseParser(
      (event, data) => {
        let parsed = data;
        try {
          parsed = JSON.parse(data);
        } catch {
          // not JSON: hand over the text
        }
        this.onEvent(event, parsed);
      },
      () => {},
      (ms) => { this.baseDelay = Math.max(250, ms); },
    );
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => ctrl.abort(), SILENCE_MS);
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } finally {
      clearTimeout(watchdog);
    }
  }
}
