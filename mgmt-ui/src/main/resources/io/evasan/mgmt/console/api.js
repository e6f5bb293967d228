// The REST client: the admin token lives in sessionStorage (gone when the tab closes) and goes out
// as "Authorization: Bearer <token>" on every request; a 401 sends the user back to the login screen.

const KEY = 'evasan.token';

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(t) {
  sessionStorage.setItem(KEY, t);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
}

/** An answer >= 400: status, the server's message, and the field it names (if any). */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.field = body ? body.field : undefined;
    this.code = body ? body.code : undefined;
    this.sense = body ? body.sense : undefined; // seed-003 refusals: {key, asc, ascq}
    this.lopStatus = body ? body.lopStatus : undefined;
    this.wouldFailOver = body ? body.wouldFailOver : undefined; // a drill refused without force: the LUNs at stake
    this.takenOverBy = body ? body.takenOverBy : undefined;
    // a delete, shrink or copy refused without force (409, field "force"): what blocks it
    this.presentations = body ? body.presentations : undefined; // [{initiator, hostLun, unit, host}]
    this.snapshots = body ? body.snapshots : undefined;
  }
}

let authLost = () => {};
let reachability = () => {};
/** A GET that has no answer after this long counts as the appliance not answering (a hung server, a dead route). */
const GET_TIMEOUT_MS = 30000;

/** fn(message) runs when the server answers 401 (token missing, wrong, or rotated). */
export function onAuthLost(fn) {
  authLost = fn;
}

/** fn(true) after every HTTP answer, fn(false, reason) when a request got none (network error, time-out). */
export function onReachability(fn) {
  reachability = fn;
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      signal: method === 'GET' ? AbortSignal.timeout(GET_TIMEOUT_MS) : undefined,
    });
  } catch (e) {
    const reason = e.name === 'TimeoutError' ? `no answer in ${GET_TIMEOUT_MS / 1000} s` : e.message;
    reachability(false, reason);
    throw new ApiError(0, { error: 'the appliance does not answer (' + reason + ')' });
  }
  reachability(true);
  const text = r.status === 204 ? '' : await r.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: text.slice(0, 300) };
    }
  }
  if (r.status === 401) {
    const err = new ApiError(401, data);
    authLost(t ? 'The token was rejected (' + err.message + '). Log in again.' : 'Log in with the admin token.');
    throw err;
  }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const del = (path) => api('DELETE', path);
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);

/** Path segment encoding for names (LUN, snapshot). */
export const seg = (name) => encodeURIComponent(name);

/**
 * The uniform job list: the server's "jobs" array when it has one (job ids, pause/resume/cancel by
 * id), else derived from "bgcopies" and "rebuilds" of GET /api/jobs.
 */
export function normalizeJobs(body) {
  if (!body) return [];
  // ids are "bgcopy-<snapshot>" and "rebuild-<group>" (contract): the snapshot name comes from the id
  if (Array.isArray(body.jobs)) {
    return body.jobs.map((j) => (j.type === 'bgcopy' && String(j.id).startsWith('bgcopy-')
      ? { ...j, snapshot: String(j.id).slice('bgcopy-'.length) } : j));
  }
  const out = [];
  for (const r of body.rebuilds || []) {
    out.push({
      id: 'rebuild-' + r.group, type: 'rebuild', target: 'group ' + r.group,
      state: r.failure ? 'FAILED' : r.finished ? 'DONE' : 'RUNNING',
      done: r.done, total: r.total, unit: r.unit,
    });
  }
  for (const b of body.bgcopies || []) {
    out.push({
      id: 'bgcopy-' + b.snapshot, type: 'bgcopy', target: b.snapshot, snapshot: b.snapshot, lun: b.lun,
      state: b.state === 'STALLED_NO_SPACE' ? 'RUNNING' : b.state,
      stalled: b.state === 'STALLED_NO_SPACE' ? 'no free space in the disk group' : undefined,
      done: b.done, total: b.total, unit: b.unit,
    });
  }
  return out;
}
