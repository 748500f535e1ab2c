// Quick replies on "/": typing "/" then part of a quick reply's name in the composer
// lists the matches (the org's quick_replies); ↑/↓ choose, Enter or Tab inserts its
// content, Escape closes. The textarea keeps the focus (aria-activedescendant).

import { h, mount } from '../dom.js';
import { rest } from '../api.js';
import { fold } from './format.js';

export function quickReplies({ org, text, signal, onInsert }) {
  let all = null;
  let shown = [];
  let active = 0;
  const list = h('ul', { class: 'quick-list', role: 'listbox', id: 'quick-list', 'aria-label': 'Quick replies', hidden: true });
  text.setAttribute('aria-controls', 'quick-list');
  text.setAttribute('aria-autocomplete', 'list');

  async function load() {
    if (all) return all;
    all = await rest('quick_replies', { select: 'id,name,content', organization_id: `eq.${org.id}`, order: 'name.asc', limit: 500 }, { signal })
      .catch(() => []);
    return all;
  }

  function close() {
    list.hidden = true;
    shown = [];
    text.removeAttribute('aria-activedescendant');
  }

  function draw() {
    mount(list, shown.map((q, i) => h('li', {
      id: `quick-${i}`, role: 'option', 'aria-selected': String(i === active), class: 'quick-item',
      onmousedown: (e) => { e.preventDefault(); choose(i); },
    }, h('strong', {}, `/${q.name}`), ' ', h('span', { class: 'quick-content' }, q.content))));
    list.hidden = !shown.length;
    if (shown.length) text.setAttribute('aria-activedescendant', `quick-${active}`);
  }

  function choose(i) {
    const q = shown[i];
    close();
    if (q) onInsert(q.content);
  }

  text.addEventListener('input', async () => {
    const value = text.value;
    if (!value.startsWith('/') || value.includes('\n')) { close(); return; }
    const wanted = fold(value.slice(1));
    const replies = await load();
    if (text.value !== value) return;
    shown = replies.filter((q) => fold(q.name).includes(wanted)).slice(0, 8);
    active = 0;
    draw();
  });
  text.addEventListener('blur', close);

  return {
    el: list,
    /** Handles a key while the list is open; true when it was for the list. */
    key(e) {
      if (list.hidden) return false;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        active = (active + (e.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
        draw();
      } else if (e.key === 'Enter' || e.key === 'Tab') {
        choose(active);
      } else if (e.key === 'Escape') {
        close();
      } else {
        return false;
      }
      e.preventDefault();
      return true;
    },
  };
}
