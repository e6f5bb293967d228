// The "appliance unreachable" state: instead of pages that stay on "Loading…", a banner names the appliance's URL and
// why it is considered unreachable, offers "Retry now", probes every few seconds and, once the appliance answers again,
// hides itself and lets the shell reload what is shown. Two sources: a request that got no HTTP answer at all (network
// error or time-out: unreachable at once), and the live event stream not being live for DOWN_AFTER_MS (a short
// reconnect does not alarm anyone). Any HTTP answer, even an error status, proves the appliance reachable.

import { h, replace } from './dom.js';

const DOWN_AFTER_MS = 4000;
const PROBE_MS = 2000;

export class Reachability {
  /**
   * banner: the element to fill; probe(): a request to the appliance (its outcome reaches this object through
   * answered() / failed()); onBack(): runs when the appliance answers again after being unreachable.
   */
  constructor({ banner, probe, onBack }) {
    Object.assign(this, { banner, probe, onBack });
    this.requestDown = null; // the reason of the last request without an answer, or null
    this.streamDown = null;  // the live stream's reason once it has not been live for DOWN_AFTER_MS, or null
    this.streamReason = '';
    this.streamTimer = null;
    this.probeTimer = null;
    this.shown = false;
  }

  /** A request got an HTTP answer. */
  answered() {
    if (this.requestDown === null) return;
    this.requestDown = null;
    this.update();
  }

  /** A request got no HTTP answer (network error, refused connection, time-out). */
  failed(reason) {
    this.requestDown = reason;
    this.update();
  }

  /** The live stream's state ('connecting' | 'live' | 'retrying' {reason} | 'stopped'), as LiveEvents reports it. */
  stream(state, info) {
    if (state === 'live') {
      clearTimeout(this.streamTimer);
      this.streamTimer = null;
      this.streamDown = null;
      this.requestDown = null; // a live stream is an answer
      this.update();
      return;
    }
    if (state === 'stopped') {
      this.reset();
      return;
    }
    if (info && info.reason) this.streamReason = info.reason;
    if (this.streamTimer === null && this.streamDown === null) {
      this.streamTimer = setTimeout(() => {
        this.streamTimer = null;
        this.streamDown = 'the live event stream is down' + (this.streamReason ? ' (' + this.streamReason + ')' : '');
        this.update();
      }, DOWN_AFTER_MS);
    }
  }

  /** Forgets everything (logged out): the banner hides and probing stops. */
  reset() {
    clearTimeout(this.streamTimer);
    this.streamTimer = null;
    this.requestDown = null;
    this.streamDown = null;
    this.hide();
  }

  hide() {
    this.shown = false;
    this.reason = null;
    this.stopProbing();
    this.banner.hidden = true;
    replace(this.banner);
    delete document.body.dataset.reach;
  }

  get down() {
    return this.requestDown !== null || this.streamDown !== null;
  }

  update() {
    if (this.down) {
      this.show();
      return;
    }
    if (!this.shown) return;
    this.hide();
    this.onBack();
  }

  show() {
    const reason = this.requestDown !== null ? this.requestDown : this.streamDown;
    if (this.shown && reason === this.reason) return; // unchanged: no new announcement every probe
    this.reason = reason;
    const url = location.origin + '/';
    const retry = h('button', { type: 'button', class: 'small', 'data-testid': 'unreachable-retry' }, 'Retry now');
    retry.addEventListener('click', () => this.probe());
    const hadFocus = this.banner.contains(document.activeElement);
    replace(this.banner,
      h('span', { class: 'title' }, 'Appliance unreachable'),
      h('span', {}, 'The appliance at ', h('span', { class: 'mono url', 'data-testid': 'unreachable-url' }, url),
        ' does not answer: ', reason,
        `. Retrying every ${PROBE_MS / 1000} s; the page reloads by itself when it answers again.`),
      retry);
    if (hadFocus) retry.focus();
    this.banner.hidden = false;
    document.body.dataset.reach = 'down';
    this.shown = true;
    if (this.probeTimer === null) this.probeTimer = setInterval(() => this.probe(), PROBE_MS);
  }

  stopProbing() {
    clearInterval(this.probeTimer);
    this.probeTimer = null;
  }
}
