// How conversations and messages read: names, previews, status ticks, the 24 h window.

import { h } from '../dom.js';
import { duration } from '../time.js';

const WINDOW_MS = 24 * 3600 * 1000;

/** The contact's name: address book, WhatsApp profile, conversation, else the phone. */
export function contactName(conv) {
  const address = conv.contacts_addresses || {};
  return address.contacts?.name || address.profile_name || conv.name || phoneLabel(conv.contact_address);
}

/** +digits for a phone key; a BSUID as it is. */
export function phoneLabel(address) {
  return /^\d+$/.test(address || '') ? `+${address}` : address || '';
}

const KINDS = {
  image: '📷 Photo', video: '🎬 Video', audio: '🎤 Audio', sticker: 'Sticker', location: '📍 Location',
  contacts: '👤 Contact card', order: '🛒 Order', unsupported: 'Unsupported message',
};

/** One line for a message's content (the list's preview). */
export function preview(content) {
  if (!content) return '';
  const kind = content.kind || content.type;
  const text = typeof content.text === 'string' ? content.text : '';
  if (kind === 'text' || kind === 'button' || kind === 'interactive') return text || kind;
  if (kind === 'reaction') return `Reacted ${text}`;
  if (kind === 'template') return `📋 Template: ${content.data?.name || ''}`;
  if (kind === 'document') return `📄 ${content.file?.name || text || 'Document'}`;
  const label = KINDS[kind] || kind;
  return text ? `${label}: ${text}` : label;
}

const STATUS = {
  pending: ['🕓', 'Sending'],
  sent: ['✓', 'Sent'],
  delivered: ['✓✓', 'Delivered'],
  read: ['✓✓', 'Read'],
  failed: ['⚠', 'Not delivered'],
};

/** The ticks of an outgoing message's status (labelled for screen readers). */
export function ticks(status) {
  const [mark, words] = STATUS[status] || ['', status || ''];
  return h('span', { class: `ticks ${status || ''}`, title: words, dataset: { status: status || '' } },
    h('span', { 'aria-hidden': 'true' }, mark),
    h('span', { class: 'visually-hidden' }, words));
}

/** The service window given the newest incoming message's time. */
export function windowState(lastIncoming, now = Date.now()) {
  if (!lastIncoming) return { open: false, label: 'Window closed: the customer never wrote', expiresAt: null };
  const expiresAt = Date.parse(lastIncoming) + WINDOW_MS;
  const left = expiresAt - now;
  if (left <= 0) return { open: false, label: 'Window closed', expiresAt };
  return { open: true, label: `Window open · ${duration(left)} left`, expiresAt };
}

/** Folds text as wakit's search does: lower case, no accents. */
export function fold(text) {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}
