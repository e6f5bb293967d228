// Seeded randomized test of the console's SSE parser (SseParser in mgmt-ui's console/events.js)
// against a plain model: random frames (named events, multi-line data, comments, retry fields,
// data-less frames) serialised with random line endings (\n, \r\n, \r) and fed in random chunks,
// splits inside "\r\n" and inside multi-byte characters included. Run: node sse-parser.test.mjs [seed]
// Prints the seed; on a mismatch prints the failing round and step and exits 1.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(join(here, '../../mgmt-ui/src/main/resources/io/evasan/mgmt/console/events.js'), 'utf8');
const { SseParser } = await import('data:text/javascript;base64,' + Buffer.from(source).toString('base64'));

const seed = Number(process.argv[2] ?? process.env.SSE_SEED ?? Date.now() % 2147483647);
console.log('sse-parser.test seed=' + seed);
let state = seed >>> 0 || 1;
function rnd(n) { // xorshift32
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state % n;
}
const pick = (a) => a[rnd(a.length)];
const WORDS = ['changed', 'jobs', 'x', 'topics', '{"topics":["pool","luns"]}', 'é', '€uro', '💾', ' lead', 'a:b', ''];

function randomText() {
  let t = '';
  const n = rnd(4);
  for (let i = 0; i < n; i++) t += pick(WORDS);
  return t.replace(/[\r\n]/g, '');
}

let failures = 0;
for (let round = 0; round < 400; round++) {
  const expectFrames = [];
  const expectComments = [];
  const expectRetry = [];
  const lines = [];
  const frames = 1 + rnd(6);
  for (let f = 0; f < frames; f++) {
    if (rnd(4) === 0) {
      const c = randomText();
      lines.push(':' + (rnd(2) ? ' ' : '') + c);
      expectComments.push(c.trim());
    }
    if (rnd(6) === 0) {
      const ms = rnd(5000);
      lines.push('retry: ' + ms);
      expectRetry.push(ms);
    }
    const named = rnd(3) > 0;
    const event = named ? pick(['changed', 'jobs', 'ping-like']) : null;
    if (named) lines.push('event: ' + event);
    const dataLines = rnd(4); // 0 = a frame without data: dispatches nothing
    const data = [];
    for (let d = 0; d < dataLines; d++) {
      const v = randomText();
      // "data:v" and "data: v" mean the same; "data:  v" keeps one leading space
      const form = rnd(3);
      lines.push(form === 0 ? 'data:' + v : form === 1 ? 'data: ' + v : 'data:  ' + v);
      data.push(form === 2 ? ' ' + v : form === 0 && v.startsWith(' ') ? v.slice(1) : v);
    }
    if (rnd(5) === 0) lines.push('id: ' + rnd(100)); // ignored field
    lines.push('');
    if (dataLines > 0) expectFrames.push([event || 'message', data.join('\n')]);
  }
  // "\r" then an empty line ended by "\n" would be one "\r\n" terminator: never generate that pair;
  // a lone "\r" as the last terminator is ambiguous until the next byte: the stream ends with "\n"
  let text = '';
  let prev = '';
  lines.forEach((l, i) => {
    let e = i === lines.length - 1 ? '\n' : pick(['\n', '\r\n', '\r']);
    if (prev === '\r' && l === '' && e === '\n') e = '\r\n';
    if (prev === '\r' && l === '' && i === lines.length - 1) e = '\r\n';
    text += l + e;
    prev = e;
  });
  const bytes = new TextEncoder().encode(text);

  const got = [];
  const comments = [];
  const retries = [];
  const p = new SseParser((e, d) => got.push([e, d]), (c) => comments.push(c), (ms) => retries.push(ms));
  const decoder = new TextDecoder();
  let at = 0;
  while (at < bytes.length) {
    const n = 1 + rnd(12);
    p.feed(decoder.decode(bytes.subarray(at, at + n), { stream: true }));
    at += n;
  }
  const same = JSON.stringify(got) === JSON.stringify(expectFrames)
    && JSON.stringify(comments) === JSON.stringify(expectComments)
    && JSON.stringify(retries) === JSON.stringify(expectRetry);
  if (!same) {
    failures++;
    console.error(`round ${round} (seed ${seed}) differs from the model`);
    console.error('  stream   ' + JSON.stringify(text));
    console.error('  expected ' + JSON.stringify({ expectFrames, expectComments, expectRetry }));
    console.error('  got      ' + JSON.stringify({ got, comments, retries }));
    break;
  }
}
if (failures) process.exit(1);
console.log('sse-parser.test: 400 rounds match the model');
