// Templates (members): a number's message templates as Meta has them (GET
// /functions/v1/api/templates) with status, category and language, and one previewed
// with its parameters filled as you type.

import { h, mount, field } from '../dom.js';
import { rest } from '../api.js';
import { bodyOf } from '../inbox/templates.js';
import { loader, table, orgFn, pageFrame } from '../ui.js';

function preview(org, number, t, signal) {
  const box = h('section', { class: 'card', 'aria-labelledby': 'preview-title' });
  const inner = h('div', {});
  const title = h('h2', { id: 'preview-title', tabindex: '-1' }, `Preview: ${t.name} (${t.language})`);
  mount(box, title, inner);
  const query = { template_id: t.id };
  if (number) query.account_phone = number;
  loader(inner, () => orgFn(org, '/templates', { query, signal }), (detail) => {
    const { text, names } = bodyOf(detail.components);
    const values = {};
    const out = h('div', { class: 'template-preview', role: 'status', 'aria-label': 'Preview' });
    const fill = () => {
      out.textContent = text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, n) => values[n] || `{{${n}}}`);
    };
    fill();
    return h('div', {},
      names.map((n) => field(/^\d+$/.test(n) ? `Parameter {{${n}}}` : `Parameter ${n}`,
        h('input', { type: 'text', oninput: (e) => { values[n] = e.target.value; fill(); } }))),
      out);
  }, 'Loading the template…');
  setTimeout(() => title.focus(), 0);
  return box;
}

export function render({ root, org, signal, setTitle }) {
  setTitle('Templates');
  const listBody = h('div', {});
  const shown = h('div', {});
  const picker = h('div', {});
  let number = null;

  const reload = () => loader(listBody, () => orgFn(org, '/templates', { query: number ? { account_phone: number } : {}, signal }), (answer) =>
    table('Templates', ['Name', 'Status', 'Category', 'Language', ''],
      (answer.templates || []).map((t) => [
        t.name, t.status || '—', t.category || '—', t.language,
        h('button', {
          type: 'button', class: 'button button-small', 'aria-label': `Preview ${t.name} (${t.language})`,
          onclick: () => mount(shown, preview(org, number, t, signal)),
        }, 'Preview'),
      ]), 'This number has no templates.'));

  mount(root, pageFrame('Templates',
    h('p', { class: 'intro' }, 'Templates are written and approved in Meta’s WhatsApp Manager; they open a conversation whose service window is closed.'),
    picker,
    h('section', { class: 'card', 'aria-label': 'Template list' }, listBody),
    shown));

  loader(picker, () => rest('organizations_addresses', { select: 'phone_number,verified_name', organization_id: `eq.${org.id}`, order: 'phone_number.asc' }, { signal }), (numbers) => {
    if (numbers.length < 2) { reload(); return h('span', {}); }
    number = numbers[0].phone_number;
    const select = h('select', { onchange: (e) => { number = e.target.value; mount(shown); reload(); } },
      numbers.map((n) => h('option', { value: n.phone_number }, `${n.verified_name || ''} +${n.phone_number}`)));
    reload();
    return h('div', { class: 'toolbar' }, field('Number', select));
  });
}
