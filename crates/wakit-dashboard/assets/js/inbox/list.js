// The conversation list: the org's active conversations, newest first, a page at a
// time (never all of them), with the number filter, search by name or phone, and
// "unread only". Live: a conversation touched by an event is read again and moves to
// its place; nothing else is redrawn.

import { h, mount, errorPanel, initials } from '../dom.js';
import { rest, quote } from '../api.js';
import { label } from '../time.js';
import { contactName, phoneLabel, preview, fold } from './format.js';

const PAGE = 30;
export const CONVERSATION_SELECT =
  'id,account_id,contact_address,name,unread_count,last_message_at,last_message_id,contacts_addresses(profile_name,wa_id,contacts(name))';

export function createList({ org, numbers, onOpen, signal }) {
  const items = new Map(); // id → {conv, last (message row), el}
  let order = [];
  let offset = 0;
  let done = false;
  let loading = null;
  let selected = null;
  let generation = 0;
  const filters = { account: '', q: '', unread: false };

  const search = h('input', { type: 'search', placeholder: 'Name or phone', autocomplete: 'off' });
  const number = h('select', {},
    h('option', { value: '' }, 'All numbers'),
    numbers.map((n) => h('option', { value: n.id }, `${n.verified_name || 'Number'} · ${phoneLabel(n.phone_number)}`)));
  const unread = h('input', { type: 'checkbox', id: 'unread-only' });
  const live = h('span', { class: 'live', role: 'status', dataset: { state: 'connecting' } }, 'Connecting…');
  const list = h('ul', { class: 'conv-list', 'aria-label': 'Conversations' });
  const foot = h('div', { class: 'list-foot' });
  let searchTimer = null;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { filters.q = search.value.trim(); reload(); }, 250);
  });
  number.addEventListener('change', () => { filters.account = number.value; reload(); });
  unread.addEventListener('change', () => { filters.unread = unread.checked; reload(); });

  const el = h('section', { class: 'inbox-list', 'aria-label': 'Conversation list' },
    h('div', { class: 'inbox-filters' },
      h('label', { class: 'visually-hidden', for: 'conv-search' }, 'Search conversations by name or phone'),
      Object.assign(search, { id: 'conv-search' }),
      h('div', { class: 'row' },
        numbers.length > 1 && [h('label', { class: 'visually-hidden', for: 'conv-number' }, 'Number'), Object.assign(number, { id: 'conv-number' })],
        h('span', { class: 'check' }, unread, h('label', { for: 'unread-only' }, 'Unread only')),
        live)),
    h('div', { class: 'conv-scroll' }, list, foot));

  // The foot comes into view at the end of the loaded pages: the next page loads.
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) more();
  }, { root: el.querySelector('.conv-scroll'), rootMargin: '200px' });

  /** Addresses whose name or phone matches the search (null: no search). */
  async function matchingAddresses() {
    if (!filters.q) return null;
    const digits = filters.q.replace(/[\s()+-]/g, '');
    const or = [`search_name.like.${quote(`*${fold(filters.q)}*`)}`];
    if (/^\d{3,}$/.test(digits)) or.push(`wa_id.like.${quote(`*${digits}*`)}`);
    const rows = await rest('contacts_addresses', {
      select: 'address', organization_id: `eq.${org.id}`, or: `(${or.join(',')})`, limit: 200,
    }, { signal });
    return rows.map((r) => r.address);
  }

  async function fetchPage(gen) {
    const addresses = await matchingAddresses();
    if (addresses && !addresses.length) return [];
    const query = {
      select: CONVERSATION_SELECT,
      organization_id: `eq.${org.id}`,
      status: 'eq.active',
      order: 'last_message_at.desc.nullslast,id.desc',
      limit: PAGE,
      offset,
    };
    if (filters.account) query.account_id = `eq.${filters.account}`;
    if (filters.unread) query.unread_count = 'gt.0';
    if (addresses) query.contact_address = `in.(${addresses.map(quote).join(',')})`;
    const convs = await rest('conversations', query, { signal });
    if (gen !== generation) return null;
    await attachLast(convs);
    return convs;
  }

  /** The last message of each conversation (one request for the page). */
  async function attachLast(convs) {
    const ids = convs.map((c) => c.last_message_id).filter(Boolean);
    if (!ids.length) return;
    const rows = await rest('messages', {
      select: 'id,content,direction,status,timestamp', id: `in.(${ids.join(',')})`,
      organization_id: `eq.${org.id}`,
    }, { signal });
    const byId = new Map(rows.map((m) => [m.id, m]));
    for (const c of convs) c.last = byId.get(c.last_message_id) || null;
  }

  function more() {
    if (loading || done) return loading;
    const gen = generation;
    mount(foot, h('span', { role: 'status' }, 'Loading conversations…'));
    loading = fetchPage(gen).then((convs) => {
      if (convs === null || gen !== generation) return;
      for (const c of convs) upsert(c, { append: true });
      offset += convs.length;
      done = convs.length < PAGE;
      if (done) mount(foot, order.length ? '' : h('p', { class: 'empty' }, emptyText()));
      else { mount(foot, h('span', { class: 'visually-hidden' }, 'More conversations load as you scroll')); observer.observe(foot); }
    }).catch((err) => {
      if (signal.aborted) return;
      mount(foot, errorPanel(err, () => { loading = null; more(); }));
    }).finally(() => { if (gen === generation) loading = null; });
    return loading;
  }

  function emptyText() {
    if (filters.q) return `No conversation matches “${filters.q}”.`;
    if (filters.unread) return 'No unread conversations.';
    return 'No conversations yet. They appear here when customers write in.';
  }

  function reload() {
    generation += 1;
    loading = null;
    items.clear();
    order = [];
    offset = 0;
    done = false;
    list.replaceChildren();
    return more();
  }

  function matches(conv) {
    if (filters.account && conv.account_id !== filters.account) return false;
    if (filters.unread && !(conv.unread_count > 0) && conv.id !== selected) return false;
    return true;
  }

  /** Draws or redraws one conversation; new ones go to their place by time. */
  function upsert(conv, { append = false } = {}) {
    const known = items.get(conv.id);
    const merged = { ...(known?.conv || {}), ...conv };
    if (!('last' in conv) && known) merged.last = known.conv.last;
    const el = renderItem(merged);
    if (known) known.el.replaceWith(el);
    items.set(conv.id, { conv: merged, el });
    if (append) {
      if (!known) { order.push(conv.id); list.append(el); }
      return;
    }
    // Live: move to its place (newest first).
    order = order.filter((id) => id !== conv.id);
    const at = order.findIndex((id) => (items.get(id).conv.last_message_at || '') < (merged.last_message_at || ''));
    const index = at < 0 ? order.length : at;
    if (index >= order.length && !done && !known) { items.delete(conv.id); return; } // beyond the loaded pages
    order.splice(index, 0, conv.id);
    const before = order[index + 1] ? items.get(order[index + 1]).el : null;
    list.insertBefore(el, before);
    if (!known) offset += 1;
    if (foot.querySelector('.empty')) foot.replaceChildren();
  }

  function renderItem(conv) {
    const name = contactName(conv);
    const unreadCount = conv.id === selected ? 0 : conv.unread_count || 0;
    const last = conv.last;
    const lastText = last ? `${last.direction === 'outgoing' ? 'You: ' : ''}${preview(last.content)}` : '';
    return h('li', { class: `conv-item${unreadCount ? ' unread' : ''}`, dataset: { id: conv.id } },
      h('a', {
        href: `#/inbox/${conv.id}`,
        'aria-current': conv.id === selected ? 'true' : undefined,
        onclick: () => onOpen?.(conv.id),
      },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
      h('span', { class: 'conv-name' }, name),
      h('span', { class: 'conv-time' }, label(conv.last_message_at, org.timezone)),
      h('span', { class: 'conv-preview' }, lastText),
      unreadCount ? h('span', { class: 'badge', 'aria-label': `${unreadCount} unread` }, String(unreadCount)) : h('span')));
  }

  /** Reads one conversation again (after an event) and puts it in its place. */
  async function refresh(id, last) {
    const rows = await rest('conversations', { select: CONVERSATION_SELECT, id: `eq.${id}`, organization_id: `eq.${org.id}` }, { signal });
    const conv = rows[0];
    if (!conv) return;
    if (last) conv.last = last;
    else if (!items.has(id)) await attachLast([conv]);
    if (conv.status && conv.status !== 'active') return;
    if (!matches(conv) || (filters.q && !items.has(id))) return;
    upsert(conv);
  }

  return {
    el,
    load: more,
    refresh,
    conversation: (id) => items.get(id)?.conv || null,
    setLive(state, message) {
      live.dataset.state = state;
      live.textContent = state === 'live' ? 'Live' : state === 'down' ? 'Reconnecting…' : 'Connecting…';
      live.title = message || '';
    },
    select(id) {
      const previous = selected;
      selected = id;
      for (const key of [previous, id]) {
        const item = key && items.get(key);
        if (item) upsert({ ...item.conv, ...(key === id ? { unread_count: 0 } : {}) }, { append: true });
      }
    },
    /** The open conversation was read: no badge. */
    markRead(id) {
      const item = items.get(id);
      if (item) upsert({ ...item.conv, unread_count: 0 }, { append: true });
    },
  };
}
