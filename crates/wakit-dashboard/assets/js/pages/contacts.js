// Contacts (members): the organization's contacts a page at a time, searched by name or
// phone, a name edited in place (PATCH /rest/v1/contacts), and a contact's
// conversations linking into the inbox (#/inbox/<conversation id>).

import { h, mount, field } from '../dom.js';
import { rest, restWrite, quote } from '../api.js';
import { fold } from '../inbox/format.js';
import { loader, table, form, when, pageFrame } from '../ui.js';

const PAGE = 25;

function phones(contact) {
  return (contact.contacts_addresses || []).map((a) => `+${a.wa_id || a.address}`).join(', ');
}

export function render({ root, org, signal, setTitle }) {
  setTitle('Contacts');
  const scope = { organization_id: `eq.${org.id}` };
  let offset = 0;
  let q = '';
  const listBody = h('div', {});
  const detail = h('section', { class: 'card', 'aria-labelledby': 'contact-title', hidden: true });

  /** The ids of contacts whose address's name or phone matches (null: no search). */
  async function matching() {
    if (!q) return null;
    const digits = q.replace(/[\s()+-]/g, '');
    const or = [`search_name.like.${quote(`*${fold(q)}*`)}`];
    if (/^\d{3,}$/.test(digits)) or.push(`wa_id.like.${quote(`*${digits}*`)}`);
    const rows = await rest('contacts_addresses', { select: 'contact_id', ...scope, or: `(${or.join(',')})`, limit: 200 }, { signal });
    return [...new Set(rows.map((r) => r.contact_id).filter(Boolean))];
  }

  async function fetchPage() {
    const query = {
      select: 'id,name,created_at,contacts_addresses(address,wa_id,profile_name)',
      ...scope, order: 'name.asc.nullslast,id.asc', limit: PAGE + 1, offset,
    };
    const ids = await matching();
    if (ids) {
      const or = [`name_folded.like.${quote(`*${fold(q)}*`)}`];
      if (ids.length) or.push(`id.in.(${ids.map(quote).join(',')})`);
      query.or = `(${or.join(',')})`;
    }
    return rest('contacts', query, { signal });
  }

  function openContact(c) {
    detail.hidden = false;
    const name = h('input', { name: 'name', value: c.name || '', maxlength: 200, required: true });
    const convs = h('div', {});
    const title = h('h2', { id: 'contact-title', tabindex: '-1' }, c.name || phones(c));
    mount(detail, title,
      h('p', { class: 'muted' }, phones(c)),
      form({ 'aria-label': 'Rename the contact', class: 'toolbar' }, [
        field('Contact name', name),
        h('button', { type: 'submit', class: 'button button-primary' }, 'Save name'),
      ], async () => {
        const [saved] = await restWrite('PATCH', 'contacts', { id: `eq.${c.id}`, ...scope }, { name: name.value.trim() });
        if (!saved) throw new Error('The contact was not changed.');
        c.name = saved.name;
        title.textContent = saved.name;
        reload();
        return 'Name saved.';
      }),
      h('h3', {}, 'Conversations'), convs);
    const addresses = (c.contacts_addresses || []).map((a) => a.address);
    loader(convs, () => (addresses.length
      ? rest('conversations', { select: 'id,last_message_at,status', ...scope, contact_address: `in.(${addresses.map(quote).join(',')})`, order: 'last_message_at.desc.nullslast' }, { signal })
      : Promise.resolve([])),
    (rows) => (rows.length
      ? h('ul', { class: 'plain-list' }, rows.map((r) => h('li', {},
        h('a', { href: `#/inbox/${r.id}` }, `Conversation — last message ${when(r.last_message_at) || 'none'}`))))
      : h('p', { class: 'empty' }, 'No conversations.')));
    title.focus();
  }

  const reload = loader(listBody, fetchPage, (rows) => {
    const more = rows.length > PAGE;
    const shown = rows.slice(0, PAGE);
    return h('div', {},
      table('Contacts', ['Name', 'Phone', 'Since', ''], shown.map((c) => [
        c.name || '—', phones(c), when(c.created_at),
        h('button', { type: 'button', class: 'button button-small', 'aria-label': `Open ${c.name || phones(c)}`, onclick: () => openContact(c) }, 'Open'),
      ]), q ? 'No contact matches.' : 'No contacts yet.'),
      h('nav', { class: 'pager', 'aria-label': 'Pages' },
        h('button', { type: 'button', class: 'button button-small', disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); reload(); } }, 'Previous'),
        h('span', { class: 'muted' }, shown.length ? `${offset + 1}–${offset + shown.length}` : ''),
        h('button', { type: 'button', class: 'button button-small', disabled: !more, onclick: () => { offset += PAGE; reload(); } }, 'Next')));
  });

  const search = h('input', { type: 'search', autocomplete: 'off', placeholder: 'Name or phone' });
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { q = search.value.trim(); offset = 0; reload(); }, 250);
  });
  mount(root, pageFrame('Contacts',
    h('div', { class: 'toolbar', role: 'search' }, field('Search contacts by name or phone', search)),
    h('section', { class: 'card', 'aria-label': 'Contact list' }, listBody),
    detail));
  return () => clearTimeout(timer);
}
