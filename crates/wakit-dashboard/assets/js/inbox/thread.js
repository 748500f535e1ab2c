// One conversation: its history (newest page first, older pages as the reader scrolls
// up, the scroll position kept), statuses ticking live, the service window with the
// time left, and the composer. Messages arriving live are appended without moving what
// the reader is looking at.

import { h, mount, errorPanel, announce } from '../dom.js';
import { rest, fn } from '../api.js';
import { clock, dayKey, dayHeading } from '../time.js';
import { contactName, phoneLabel, preview, ticks, windowState } from './format.js';
import { createComposer } from './composer.js';
import { createAgentState } from './agent.js';

const PAGE = 40;

/** Whether the browser can open a file's URI (wakit's own stored files are
 * `internal://media/<id>`, fetched through the API: shown as their kind for now). */
function linkable(uri) {
  return typeof uri === 'string' && /^(https?:\/\/|\/)/.test(uri);
}
const MESSAGE_SELECT = 'id,direction,content,status,timestamp,error,agent_id';

export function createThread({ org, conv, number, onBack, onRead, signal }) {
  const messages = new Map(); // id → {row, el}
  let oldestLoaded = 0; // messages fetched from the newest end (the offset of the next page)
  let done = false;
  let loadingOlder = null;
  let lastIncoming = null;
  let windowTimer = null;

  const name = contactName(conv);
  const windowBadge = h('span', { class: 'window', role: 'status' });
  const top = h('div', { class: 'history-top' });
  const history = h('div', { class: 'history', tabindex: '0', role: 'log', 'aria-label': `Messages with ${name}` }, top);
  const agent = createAgentState({ org, conv, signal });
  const composer = createComposer({
    org, conv, number, signal,
    sent: (row) => { add(row, { live: true, own: true }); agent.refresh(); },
    onWindowClosed: () => loadWindow(),
  });
  const el = h('section', { class: 'conversation', 'aria-label': `Conversation with ${name}` },
    h('header', { class: 'conv-head' },
      h('button', { type: 'button', class: 'button button-quiet back', onclick: onBack }, '← Back', h('span', { class: 'visually-hidden' }, ' to the conversation list')),
      h('div', {}, h('h2', {}, name), h('div', { class: 'sub' }, phoneLabel(conv.contact_address), number ? ` · to ${number.verified_name || phoneLabel(number.phone_number)}` : '')),
      agent.el,
      windowBadge),
    history,
    composer.el);

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) older();
  }, { root: history });

  function atBottom() {
    return history.scrollHeight - history.scrollTop - history.clientHeight < 40;
  }

  function bubble(row) {
    const out = row.direction === 'outgoing';
    const at = new Date(row.timestamp);
    const content = row.content || {};
    const uri = content.file?.uri;
    const body = [];
    if (content.kind === 'template') body.push(h('span', { class: 'msg-kind' }, `Template ${content.data?.name || ''}`));
    else if (linkable(uri) && content.kind === 'image') body.push(h('img', { src: uri, alt: content.text || 'Image' }));
    else if (linkable(uri) && content.kind === 'audio') body.push(h('audio', { controls: true, src: uri }));
    else if (linkable(uri)) body.push(h('a', { href: uri, rel: 'noopener' }, content.file.name || 'Document'));
    else if (!['text', 'button', 'interactive', 'reaction'].includes(content.kind)) body.push(h('span', { class: 'msg-kind' }, preview({ ...content, text: '' })));
    if (typeof content.text === 'string' && content.text) body.push(content.kind === 'text' ? content.text : h('div', {}, content.text));
    const failed = row.status === 'failed';
    return h('div', {
      class: `msg ${out ? 'out' : 'in'}${failed ? ' failed' : ''}`,
      dataset: { id: row.id, direction: row.direction, day: dayKey(at, org.timezone) },
    },
    body,
    failed && row.error && h('div', { class: 'form-error' }, row.error.message || row.error.title || 'Not delivered'),
    h('div', { class: 'msg-meta' },
      h('time', { datetime: row.timestamp }, clock(at, org.timezone)),
      out && ticks(row.status)));
  }

  function daySeparator(day, at) {
    return h('div', { class: 'day', dataset: { day } }, dayHeading(at, org.timezone));
  }

  /** Adds a message in time order; `live`: keep the reader's place or follow the end. */
  function add(row, { live = false, own = false } = {}) {
    if (row.conversation_id && row.conversation_id !== conv.id) return;
    const known = messages.get(row.id);
    if (known) {
      const el = bubble({ ...known.row, ...row });
      known.el.replaceWith(el);
      messages.set(row.id, { row: { ...known.row, ...row }, el });
      return;
    }
    const follow = own || atBottom();
    const el = bubble(row);
    messages.set(row.id, { row, el });
    if (live) oldestLoaded += 1;
    placeInOrder(row, el);
    if (row.direction === 'incoming') {
      if (!lastIncoming || row.timestamp > lastIncoming) { lastIncoming = row.timestamp; showWindow(); }
      if (live) { announce(`New message from ${name}`); onRead?.(); }
    }
    if (follow) history.scrollTop = history.scrollHeight;
  }

  /** Puts a message before the first later one (or at the end); then the day headings. */
  function placeInOrder(row, el, { batch = false } = {}) {
    let next = null;
    for (const n of history.querySelectorAll('.msg')) {
      const other = messages.get(n.dataset.id)?.row;
      if (other && other.timestamp > row.timestamp) { next = n; break; }
    }
    history.insertBefore(el, next);
    if (!batch) fixDays();
  }

  /** One heading before the first message of each day, none elsewhere. */
  function fixDays() {
    let day = null;
    for (let node = top.nextElementSibling; node;) {
      const next = node.nextElementSibling;
      if (node.classList.contains('day')) {
        const starts = next?.classList.contains('msg') && next.dataset.day === node.dataset.day && next.dataset.day !== day;
        if (starts) day = node.dataset.day;
        else node.remove();
      } else if (node.dataset.day !== day) {
        day = node.dataset.day;
        const at = new Date(messages.get(node.dataset.id)?.row.timestamp);
        history.insertBefore(daySeparator(day, at), node);
      }
      node = next;
    }
  }

  async function older() {
    if (loadingOlder || done) return;
    mount(top, h('span', { role: 'status' }, 'Loading earlier messages…'));
    loadingOlder = rest('messages', {
      select: MESSAGE_SELECT, conversation_id: `eq.${conv.id}`, organization_id: `eq.${org.id}`,
      order: 'timestamp.desc,id.desc', limit: PAGE, offset: oldestLoaded,
    }, { signal }).then((rows) => {
      const first = messages.size === 0;
      const before = history.scrollHeight;
      const keep = history.scrollTop;
      oldestLoaded += rows.length;
      done = rows.length < PAGE;
      for (const row of rows) if (!messages.has(row.id)) {
        const el = bubble(row);
        messages.set(row.id, { row, el });
        placeInOrder(row, el, { batch: true });
      }
      fixDays();
      if (first) history.scrollTop = history.scrollHeight;
      else history.scrollTop = keep + (history.scrollHeight - before);
      mount(top, done ? (messages.size ? 'The beginning of the conversation' : 'No messages yet') : '');
      if (!done) observer.observe(top);
    }).catch((err) => {
      if (!signal.aborted) mount(top, errorPanel(err, () => { loadingOlder = null; older(); }));
    }).finally(() => { loadingOlder = null; });
    return loadingOlder;
  }

  /** The customer's newest incoming message across the whole history → the window. */
  async function loadWindow() {
    try {
      const rows = await rest('messages', {
        select: 'timestamp', account_id: `eq.${conv.account_id}`, contact_address: `eq.${conv.contact_address}`,
        organization_id: `eq.${org.id}`, direction: 'eq.incoming', order: 'timestamp.desc', limit: 1,
      }, { signal });
      const newest = rows[0]?.timestamp || null;
      if (!lastIncoming || (newest && newest > lastIncoming)) lastIncoming = newest;
      showWindow();
    } catch (err) {
      if (!signal.aborted) windowBadge.textContent = 'Window unknown';
    }
  }

  function showWindow() {
    clearTimeout(windowTimer);
    const state = windowState(lastIncoming);
    windowBadge.textContent = state.label;
    windowBadge.classList.toggle('closed', !state.open);
    composer.setWindow(state);
    if (state.open) windowTimer = setTimeout(showWindow, 30000);
  }

  signal.addEventListener('abort', () => { clearTimeout(windowTimer); observer.disconnect(); });

  return {
    el,
    id: conv.id,
    async load() {
      await Promise.all([older(), loadWindow(), agent.load()]);
      composer.focus();
    },
    /** An event's message row (insert or update). */
    event(row) { add(row, { live: true }); },
  };
}

/** Marks the conversation read: no unread badge (for everyone), and the read receipt to
 * the customer's phone (blue ticks). */
export async function markRead({ org, conv, number, signal }) {
  const patched = rest('conversations', { id: `eq.${conv.id}`, organization_id: `eq.${org.id}` },
    { method: 'PATCH', body: { unread_count: 0 }, signal });
  const receipt = number && /^\d+$/.test(conv.contact_address)
    ? fn('/conversation/read', {
      method: 'POST', query: { organization_id: org.id }, signal,
      body: { contact_phone: conv.contact_address, account_phone: number.phone_number },
    }).catch(() => null) // nothing to mark (no incoming message) is fine
    : null;
  await Promise.all([patched, receipt]);
}
