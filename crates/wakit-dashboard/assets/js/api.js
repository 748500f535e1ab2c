// Authorized calls to wakit's routes — the same ones any client uses: /rest/v1
// (PostgREST), /functions/v1/api (the REST API), /auth/v1 (GoTrue). Each call carries
// the in-memory access token; a 401 refreshes it once and retries. Errors become
// ApiError with the server's own sentence, whatever the route's error shape.

import * as session from './session.js';

const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  constructor(status, message, code, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function messageOf(status, body) {
  if (body && typeof body === 'object') {
    const text = body.error || body.message || body.msg || body.error_description;
    if (typeof text === 'string' && text) return text;
  }
  if (status >= 500) return `The server failed (${status}). Try again in a moment.`;
  return `The request was refused (${status}).`;
}

/**
 * fetch() with the access token. opts: method, query (object or string), body (JSON),
 * headers, signal, raw (return the Response: streams), auth (false: no token).
 */
export async function request(url, opts = {}) {
  const { method = 'GET', body, signal, raw = false } = opts;
  let target = url;
  if (opts.query) {
    const qs = typeof opts.query === 'string' ? opts.query : new URLSearchParams(opts.query).toString();
    if (qs) target += (target.includes('?') ? '&' : '?') + qs;
  }
  const attempt = async (fresh) => {
    const headers = { accept: 'application/json', ...opts.headers };
    if (opts.auth !== false) {
      if (fresh) await session.refresh();
      headers.authorization = `Bearer ${await session.token()}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeout = raw ? null : AbortSignal.timeout(TIMEOUT_MS);
    const signals = [signal, timeout].filter(Boolean);
    let resp;
    try {
      resp = await fetch(target, {
        method, headers, credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err.name === 'TimeoutError') throw new ApiError(0, 'The server took too long to answer. Try again.', 'timeout');
      throw new ApiError(0, 'Cannot reach the server. Check the connection and try again.', 'network');
    }
    return resp;
  };
  let resp = await attempt(false);
  if (resp.status === 401 && opts.auth !== false) resp = await attempt(true);
  if (raw && resp.ok) return resp;
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!resp.ok) {
    const code = data && typeof data === 'object' ? data.code : undefined;
    throw new ApiError(resp.status, messageOf(resp.status, data), code, data);
  }
  return data;
}

/** The data API: rest('conversations', {select: '*', limit: 20}). */
export function rest(table, query, opts = {}) {
  return request(`/rest/v1/${table}`, { ...opts, query });
}

/** PostgREST write helpers (return=representation). */
export function restWrite(method, table, query, body) {
  return request(`/rest/v1/${table}`, { method, query, body, headers: { prefer: 'return=representation' } });
}

/** The REST API (/functions/v1/api{path}) as the signed-in user. */
export function fn(path, opts = {}) {
  return request(`/functions/v1/api${path}`, opts);
}

/** GoTrue (/auth/v1{path}) with the anon key. */
export function auth(path, opts = {}) {
  const anon = session.get()?.anon_key || '';
  return request(`/auth/v1${path}`, { ...opts, headers: { apikey: anon, 'x-supabase-api-version': '2024-01-01', ...opts.headers } });
}

/** PostgREST's quoting of a value inside or=(...) / in.(...). */
export function quote(value) {
  return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
