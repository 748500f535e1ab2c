// The live event stream: GET /functions/v1/api/events with the access token, read with
// fetch() streaming (EventSource cannot send an Authorization header). After a drop it
// reconnects with Last-Event-ID, so nothing committed meanwhile is missed.

import { request } from './api.js';

const MAX_BACKOFF_MS = 15000;

/**
 * Follows the org's events until `signal` aborts. onEvent({type, data, seq}) for each;
 * onState('connecting' | 'live' | 'down', message?) as the connection changes.
 */
export async function follow({ org, onEvent, onState = () => {}, signal }) {
  let last = null;
  let backoff = 1000;
  while (!signal.aborted) {
    onState('connecting');
    try {
      const headers = { accept: 'text/event-stream' };
      if (last !== null) headers['last-event-id'] = last;
      const resp = await request('/functions/v1/api/events', {
        query: { organization_id: org }, headers, raw: true, signal,
      });
      onState('live');
      backoff = 1000;
      for await (const event of parse(resp.body, signal)) {
        if (event.id !== undefined) last = event.id;
        if (event.data) {
          let body;
          try { body = JSON.parse(event.data); } catch { continue; }
          onEvent(body);
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      // 400/403: asking again will not help (not a member any more).
      if (err.status === 400 || err.status === 403) { onState('down', err.message); return; }
      onState('down', err.message);
    }
    if (signal.aborted) return;
    const wait = backoff * (0.5 + Math.random() / 2);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    await new Promise((resolve) => {
      const t = setTimeout(resolve, wait);
      signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
  }
}

/** Server-Sent Events from a byte stream: {id?, event?, data?} per message. */
async function* parse(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const stop = () => reader.cancel().catch(() => {});
  signal.addEventListener('abort', stop, { once: true });
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let blank;
      while ((blank = buffer.match(/\r?\n\r?\n/))) {
        const block = buffer.slice(0, blank.index);
        buffer = buffer.slice(blank.index + blank[0].length);
        const event = {};
        const data = [];
        for (const line of block.split(/\r?\n/)) {
          if (!line || line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') event.id = val;
          else if (field === 'event') event.event = val;
          else if (field === 'data') data.push(val);
        }
        if (data.length) event.data = data.join('\n');
        if (event.id !== undefined || event.data) yield event;
      }
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
