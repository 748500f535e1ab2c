// The inbox: the conversation list beside the open conversation (at phone width, one
// or the other), both kept live by the org's event stream.

import { h, mount, errorPanel } from '../dom.js';
import { rest } from '../api.js';
import { follow } from '../events.js';
import { createList, CONVERSATION_SELECT } from '../inbox/list.js';
import { createThread, markRead } from '../inbox/thread.js';

let view = null; // this page's state while it is shown

export async function render(ctx) {
  const { root, org, signal } = ctx;
  const layout = h('div', { class: 'inbox', dataset: { view: 'list' } });
  mount(root, layout);
  let numbers;
  try {
    numbers = await rest('organizations_addresses', {
      select: 'id,phone_number,verified_name,status', organization_id: `eq.${org.id}`, order: 'created_at.asc',
    }, { signal });
  } catch (err) {
    mount(root, errorPanel(err, () => { ctx.navigate('inbox'); render(ctx); }));
    return undefined;
  }
  const list = createList({ org, numbers, signal });
  const pane = h('div', { class: 'conversation placeholder' }, h('p', {}, 'Choose a conversation.'));
  mount(layout, list.el, pane);
  view = { ctx, layout, list, pane, numbers, thread: null, threadAbort: null };
  let connected;
  const live = new Promise((resolve) => { connected = resolve; });
  follow({
    org: org.id, signal,
    onState: (state, message) => { list.setLive(state, message); if (state === 'live') connected(); },
    onEvent: (e) => onEvent(view, e),
  });
  // The list is read once the stream has started, so no change falls between the two
  // (a stream that cannot start does not hold the inbox back for long).
  await Promise.race([live, new Promise((resolve) => { setTimeout(resolve, 3000); })]);
  await list.load();
  await open(view, ctx.params[0]);
  return () => { view?.threadAbort?.abort(); view = null; };
}

export function update(ctx) {
  if (view) open(view, ctx.params[0]);
}

async function open(v, id) {
  const { ctx, layout, list } = v;
  v.threadAbort?.abort();
  v.thread = null;
  list.select(id || null);
  if (!id) {
    layout.dataset.view = 'list';
    mount(v.pane, h('p', {}, 'Choose a conversation.'));
    v.pane.className = 'conversation placeholder';
    ctx.setTitle('Inbox');
    return;
  }
  layout.dataset.view = 'conversation';
  const abort = new AbortController();
  v.threadAbort = abort;
  const signal = AbortSignal.any([ctx.signal, abort.signal]);
  let conv = list.conversation(id);
  try {
    if (!conv) {
      const rows = await rest('conversations', { select: CONVERSATION_SELECT, id: `eq.${id}`, organization_id: `eq.${ctx.org.id}` }, { signal });
      conv = rows[0];
    }
  } catch (err) {
    if (!signal.aborted) mount(v.pane, errorPanel(err, () => open(v, id)));
    return;
  }
  if (!conv) {
    mount(v.pane, h('p', { class: 'empty' }, 'This conversation does not exist in this organization.'));
    return;
  }
  const number = v.numbers.find((n) => n.id === conv.account_id);
  const read = () => {
    if (document.visibilityState !== 'visible') return;
    list.markRead(conv.id);
    markRead({ org: ctx.org, conv, number, signal }).catch((err) => { if (!signal.aborted) console.warn('mark read', err); });
  };
  const thread = createThread({
    org: ctx.org, conv, number, signal, onRead: read,
    onBack: () => ctx.navigate('inbox'),
  });
  v.thread = thread;
  v.pane.replaceWith(thread.el);
  v.pane = thread.el;
  ctx.setTitle(thread.el.getAttribute('aria-label'));
  await thread.load();
  if (!signal.aborted && conv.unread_count > 0) read();
}

function onEvent(v, event) {
  if (!v) return;
  const row = event.data;
  if (!row) return;
  if (event.entity === 'messages') {
    if (v.thread && row.conversation_id === v.thread.id) v.thread.event(row);
    if (event.action === 'insert') refreshSoon(v, row.conversation_id, row);
  } else if (event.entity === 'conversations') {
    refreshSoon(v, row.id);
  }
}

const pending = new Map();
/** Reads a conversation again once a burst of its events is over. */
function refreshSoon(v, id, last) {
  const was = pending.get(id);
  if (was) clearTimeout(was.timer);
  const latest = last || was?.last;
  const timer = setTimeout(() => {
    pending.delete(id);
    if (view !== v) return;
    v.list.refresh(id, latest).catch((err) => console.warn('refresh conversation', err));
  }, 120);
  pending.set(id, { timer, last: latest });
}
