// The composer: Enter sends, Shift+Enter adds a line. Text goes through
// POST /rest/v1/messages (the send path: window check, durable row, dispatch); when the
// 24 h window is closed only a template can be sent (the picker).

import { h, mount } from '../dom.js';
import { request } from '../api.js';
import { openTemplatePicker } from './templates.js';
import { quickReplies } from './quick.js';

/** Sends one message row; the stored row comes back. */
export async function send({ org, conv, content, signal }) {
  const rows = await request('/rest/v1/messages', {
    method: 'POST', signal,
    headers: { prefer: 'return=representation' },
    query: { select: 'id,conversation_id,direction,content,status,timestamp,error,agent_id' },
    body: { organization_id: org.id, conversation_id: conv.id, content },
  });
  return Array.isArray(rows) ? rows[0] : rows;
}

export function createComposer({ org, conv, number, signal, sent, onWindowClosed }) {
  const text = h('textarea', { rows: 1, placeholder: 'Write a message (/ for quick replies)', 'aria-describedby': 'composer-help' });
  const button = h('button', { type: 'submit', class: 'button button-primary' }, 'Send');
  const error = h('p', { class: 'send-error', role: 'alert' });
  const templateButton = h('button', { type: 'button', class: 'button', onclick: () => pickTemplate() }, 'Template…');
  const help = h('span', { id: 'composer-help', class: 'visually-hidden' }, 'Enter sends; Shift+Enter starts a new line; / lists the quick replies.');
  const form = h('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); sendText(); } },
    h('label', { class: 'visually-hidden', for: 'composer-text' }, 'Message'),
    Object.assign(text, { id: 'composer-text' }), help, templateButton, button);
  const closedNote = h('div', { class: 'composer-note', hidden: true },
    h('span', {}, 'The 24-hour window is closed: WhatsApp only lets you send an approved template.'),
    h('button', { type: 'button', class: 'button button-primary', onclick: () => pickTemplate() }, 'Send a template…'));
  const quick = quickReplies({
    org, text, signal,
    onInsert: (content) => { text.value = content; grow(); },
  });
  const el = h('div', { class: 'composer-wrap' }, quick.el, error, closedNote, form);
  let sending = false;

  text.addEventListener('keydown', (e) => {
    if (quick.key(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendText(); }
  });
  text.addEventListener('input', grow);
  function grow() {
    text.style.height = 'auto';
    text.style.height = `${Math.min(text.scrollHeight + 2, 160)}px`;
  }

  async function sendText() {
    const body = text.value.trim();
    if (!body || sending) return;
    sending = true;
    button.disabled = true;
    mount(error);
    try {
      const row = await send({ org, conv, content: { type: 'text', text: body }, signal });
      text.value = '';
      grow();
      sent(row);
    } catch (err) {
      if (signal.aborted) return;
      mount(error, err.message);
      if (/window/i.test(err.message)) onWindowClosed?.();
    } finally {
      sending = false;
      button.disabled = false;
      text.focus();
    }
  }

  function pickTemplate() {
    openTemplatePicker({
      org, number, signal,
      send: async (content) => { const row = await send({ org, conv, content, signal }); sent(row); },
    });
  }

  return {
    el,
    focus: () => { if (!form.hidden) text.focus({ preventScroll: true }); },
    setWindow(state) {
      form.hidden = !state.open;
      closedNote.hidden = state.open;
    },
  };
}
