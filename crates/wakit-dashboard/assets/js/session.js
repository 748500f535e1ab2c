// The signed-in session. The access token lives in this module's memory only; the
// refresh token is in an HttpOnly cookie the page cannot read, traded for a new access
// token by POST /dashboard/session/refresh (CSRF: the wakit_csrf cookie echoed in
// X-CSRF-Token). Tabs refresh one at a time (Web Locks) and share the result
// (BroadcastChannel): the refresh token rotates, and a spent one presented twice would
// end the session.

const SESSION = '/dashboard/session';
const EARLY = 60; // seconds before expiry to refresh

let current = null; // {access_token, expires_at, user, anon_key}
let timer = null;
let inflight = null;
const listeners = new Set();
const channel = 'BroadcastChannel' in self ? new BroadcastChannel('wakit-session') : null;

export class SessionEnded extends Error {
  constructor(message = 'Your session has ended. Please sign in again.') { super(message); this.name = 'SessionEnded'; }
}

function csrf() {
  const pair = document.cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith('wakit_csrf='));
  return pair ? pair.slice('wakit_csrf='.length) : '';
}

function adopt(data, { broadcast } = {}) {
  current = data;
  clearTimeout(timer);
  if (data) {
    const wait = Math.max(5, data.expires_at - Date.now() / 1000 - EARLY);
    timer = setTimeout(() => { refresh().catch(() => {}); }, wait * 1000);
  }
  if (broadcast && channel) channel.postMessage(data ? { type: 'session', data } : { type: 'ended' });
  for (const fn of listeners) fn(current);
}

channel?.addEventListener('message', (e) => {
  if (e.data?.type === 'session') adopt(e.data.data);
  else if (e.data?.type === 'ended') adopt(null);
});

async function post(path, body) {
  let resp;
  try {
    resp = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf() },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new Error('Cannot reach the server. Check the connection and try again.');
  }
  if (resp.status === 204) return null;
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new Error(data.error || `The server answered ${resp.status}`);
    err.status = resp.status;
    err.code = data.code;
    throw err;
  }
  return data;
}

/** The session now (null when signed out). */
export function get() { return current; }

/** Calls `fn(session)` on every change (sign-in, refresh, sign-out). */
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

/** Signs in; throws with the server's sentence when refused. */
export async function signIn(email, password) {
  const data = await post(SESSION, { email, password });
  adopt(data, { broadcast: true });
  return data;
}

/**
 * A fresh access token from the cookie. Resolves to the session, or null when there
 * is none (never signed in, signed out, revoked): callers then show the sign-in.
 */
export function refresh() {
  if (inflight) return inflight;
  // No CSRF cookie: never signed in here (or signed out); nothing to refresh.
  if (!csrf()) return Promise.resolve(null);
  const seen = current?.access_token;
  const run = async () => {
    // Another tab may have refreshed while this one waited for the lock.
    if (current && current.access_token !== seen && current.expires_at - Date.now() / 1000 > EARLY) return current;
    try {
      const data = await post(`${SESSION}/refresh`);
      adopt(data, { broadcast: true });
      return data;
    } catch (err) {
      if (err.status === 401 || err.status === 403) { adopt(null, { broadcast: true }); return null; }
      throw err;
    }
  };
  inflight = (navigator.locks ? navigator.locks.request('wakit-session', run) : run())
    .finally(() => { inflight = null; });
  return inflight;
}

/** A usable access token: refreshed first when it is about to expire. */
export async function token() {
  if (current && current.expires_at - Date.now() / 1000 > 10) return current.access_token;
  const s = await refresh();
  if (!s) throw new SessionEnded();
  return s.access_token;
}

/** Signs out here and in every tab (the session ends on the server). */
export async function signOut() {
  try { await post(`${SESSION}/logout`); } finally { adopt(null, { broadcast: true }); }
}
